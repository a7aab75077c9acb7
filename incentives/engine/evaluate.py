"""Evaluate a compiled plan for payees: exact Decimal amounts, optionally traced.

`Evaluator(plan)` compiles the IR once; `evaluator.run(values, payee)` gives a
`PayeeResult`.  With `trace=True` every line and step is recorded for the
explanation; without it only the amounts are kept, which is the fast path.
"""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    Decimal,
    DecimalException,
    localcontext,
)
from contextlib import contextmanager
from typing import Any, Callable, Collection, Iterable

from dsl.source import Span

from . import ir, numbers, tiers
from .compile import ROUNDING, Compiler
from incentives.errors import EvaluationError
from .schedule import ALONE, DealScope, PayeeContext, Values, context_of
from .result import AwardResult, BandHit, ComponentResult, DealPay, ItemResult, KpiResult, PayeeResult, PoolShare

ZERO = Decimal(0)
ONE = Decimal(1)

#: Every evaluation runs in this context (defined with the number formatting, which uses it too).
CONTEXT = numbers.CONTEXT


#: A payee evaluated alone takes part in no pool: its share is nothing (members 0 says so).
UNSHARED = PoolShare(ZERO, 0, ZERO, ZERO, ZERO)


class Evaluator:
    def __init__(self, plan: ir.Plan):
        self.plan = plan
        self.plan_span = plan.components[0].span if plan.components else Span.point(plan.file, 1, 1)
        self.compile = Compiler(plan)
        self.deal_compile = Compiler(plan, deal=True)
        c = self.compile
        self.quantum = Decimal(1).scaleb(-plan.minor_units)
        self.mode = ROUNDING[plan.rounding_mode]
        point = plan.rounding_point
        self.rounds_lines = point == "line"
        self.round_line = self.round if point == "line" else _same
        self.round_component = self.round if point in ("line", "component") else _same
        self.lets = [(let.name, c(let.expr)) for let in plan.lets]
        # the params' defaults too: a run (a scenario) that gives a param's value overrides its default
        self.params = {name: p.default for name, p in plan.params.items()}
        self.defaults = {**self.params,
                         **{name: info.default for name, info in plan.givable.items() if info.has_default}}
        self.required = [(name, info.decl.span) for name, info in plan.inputs.items() if not info.has_default]
        self.components = [(comp, [self._item(i) for i in comp.items]) for comp in plan.components]
        self.payout = [self._item(i) for i in plan.payout]
        self.awards = [(a, c.opt(a.when), c.opt(a.value)) for a in plan.awards]

    def round(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.quantum, rounding=self.mode) + ZERO  # + 0 turns -0.00 into 0.00

    # ---- running ----
    @contextmanager
    def guard(self, payee: str):
        """Work for one payee: in the engine's decimal context, errors naming the payee, decimal
        trouble (an overflow, say) turned into a located error rather than a traceback."""
        with localcontext(CONTEXT):
            try:
                yield
            except EvaluationError as err:
                if err.payee is None:
                    err.payee = payee
                raise
            except DecimalException as err:
                raise EvaluationError(self.plan_span, f"a value is too large or too precise to compute exactly "
                                                      f"({type(err).__name__})", payee) from None

    def run(self, inputs: dict[str, Any], payee: str = "", trace: bool = False,
            context: PayeeContext = ALONE) -> PayeeResult:
        with self.guard(payee):
            return self._finish(self.prepare(inputs, context), payee, trace)

    def run_many(self, rows: Iterable[tuple[str, dict[str, Any]]], trace: bool = False) -> list[PayeeResult]:
        return [self.run(values, payee, trace) for payee, values in rows]

    def prepare(self, inputs: dict[str, Any], context: PayeeContext = ALONE,
                lets: Collection[str] | None = None) -> Values:
        """The payee's values: inputs with defaults, params (their defaults unless the values give
        them), and every definition (before any component);
        the context holds what other payees' data gives this one (deals, contests, pools).  With
        `lets`, only the definitions named there are worked out (in the plan's order): a population
        run works out some before the measures of team and reports, and gives them as inputs."""
        values = Values(self.defaults, context=context)
        values.update(inputs)
        for name, span in self.required:
            if name not in values:
                raise EvaluationError(span, f"no value for input `{name}`, which has no default")
        for name, fn in self.lets:
            if lets is None or name in lets:
                values[name] = fn(values)
        return values

    def run_prepared(self, values: dict[str, Any], payee: str = "", trace: bool = False) -> PayeeResult:
        """Finish a payee whose values were prepared (and completed by a population run)."""
        with self.guard(payee):
            return self._finish(values, payee, trace)

    def _finish(self, values: dict[str, Any], payee: str, trace: bool) -> PayeeResult:
        components = []
        subtotal = ZERO
        for comp, items in self.components:
            running = ZERO
            done: list[ItemResult] | None = [] if trace else None
            for step in items:
                running = step(values, running, done)
            amount = self.round_component(running)
            values[comp.name] = amount
            subtotal += amount
            components.append(ComponentResult(comp.name, comp.label, comp.span, amount, done or []))
        total = subtotal
        payout_done: list[ItemResult] | None = [] if trace else None
        for step in self.payout:
            total = step(values, total, payout_done)
        total = self.round(total)
        awards = []
        for award, when, value in self.awards:
            granted = True if when is None else bool(when(values))
            awards.append(AwardResult(award.name, award.label, award.kind, award.span, granted,
                                      value(values) if value is not None and granted else None))
        kept = values if trace else {}
        return PayeeResult(payee, total, components, awards, subtotal, payout_done or [], kept)

    # ---- lines and steps: each becomes fn(values, running, trace) -> running ----
    def _item(self, item: ir.Item) -> Callable:
        c = self.compile
        if isinstance(item, ir.Pay):
            fn = c(item.expr)

            def pay(v, running, done):
                amount = self.round_line(fn(v))
                if done is not None:
                    done.append(ItemResult(item, "pay", running, amount, running + amount))
                return running + amount
            return pay
        if isinstance(item, ir.Pool):
            key = item.key

            def pool(v, running, done):
                share = context_of(v).pools.get(key, UNSHARED)
                amount = share.share
                if done is not None:
                    done.append(ItemResult(item, "pool", running, amount, running + amount, pool=share))
                return running + amount
            return pool
        if isinstance(item, ir.Tiers):
            return self._tiers(item)
        if isinstance(item, ir.Scorecard):
            return self._scorecard(item)
        if isinstance(item, ir.Multiplier):
            base_fn, bands_fn = c(item.base), c.bands(item.bands)

            def multiply(v, running, done):
                base, bands = base_fn(v), bands_fn(v)
                index = tiers.reached(base, bands, item.upper_inclusive)
                factor = ONE if index is None else tiers.band_value(base, bands, index)
                after = self.round_line(running * factor)
                if done is not None:
                    done.append(ItemResult(item, "multiplier", running, after - running, after, base=base,
                                           bands=_hits(bands, index), reached=index, factor=factor))
                return after
            return multiply
        if isinstance(item, (ir.Cap, ir.Floor)):
            fn, is_cap = c(item.amount), isinstance(item, ir.Cap)
            # A limit between two minor units is moved onto the grid on its safe side (a cap down,
            # a floor up), so no later rounding can take the amount past it.
            safe = ROUND_FLOOR if is_cap else ROUND_CEILING

            def limit(v, running, done):
                bound = fn(v).quantize(self.quantum, rounding=safe)
                after = self.round_line(min(running, bound) if is_cap else max(running, bound))
                if done is not None:
                    done.append(ItemResult(item, "cap" if is_cap else "floor", running, after - running, after,
                                           limit=bound))
                return after
            return limit
        if isinstance(item, ir.Gate):
            cond, factor_fn = c(item.cond), c(item.factor)

            def gate(v, running, done):
                passed = bool(cond(v))
                factor = ONE if passed else factor_fn(v)
                after = running if passed else self.round_line(running * factor)
                if done is not None:
                    done.append(ItemResult(item, "gate", running, after - running, after, passed=passed,
                                           factor=factor))
                return after
            return gate
        raise TypeError(item)  # pragma: no cover

    def _tiers(self, item: ir.Tiers) -> Callable:
        if item.per is not None:
            return self._deal_tiers(item)
        base_fn, bands_fn = self.compile(item.base), self.compile.bands(item.bands)
        kind, upper_inclusive = item.kind, item.upper_inclusive
        rl = self.round_line

        def tiered(v, running, done):
            base, bands = base_fn(v), bands_fn(v)
            hits: list[BandHit] = []
            index = None
            if kind == "marginal":
                amount = ZERO
                for part in tiers.marginal(base, bands):
                    part_amount = rl(part.amount)
                    amount += part_amount
                    if done is not None:
                        hits.append(BandHit(part.index, part.lower, part.upper, part.rate, None,
                                            part.portion, part_amount))
                index = hits[-1].index if hits else None
            else:
                index = tiers.reached(base, bands, upper_inclusive)
                if kind == "retroactive":
                    amount = rl(base * (bands[index].value if index is not None else ZERO))
                elif kind == "cumulative":
                    amount = rl(tiers.cumulative(bands, index))
                else:  # step, interpolated
                    amount = rl(tiers.band_value(base, bands, index))
                if done is not None:
                    hits = _hits(bands, index, cumulative=kind == "cumulative")
            if done is not None:
                done.append(ItemResult(item, "tiers", running, amount, running + amount, base=base, bands=hits,
                                       reached=index))
            return running + amount
        return tiered

    def _deal_tiers(self, item: ir.Tiers) -> Callable:
        """Tiers taken deal by deal (in date order): each deal alone (`per deal`), or each deal paid what
        it adds to the marginal payout of the running total (`running`), split across bands it crosses."""
        dc = self.deal_compile
        base_fn, where_fn = dc(item.base), dc.opt(item.where)
        # bands that read the deal's columns are worked out deal by deal; others once for the payee
        by_deal = any(isinstance(n, ir.Var) and n.kind == "deal" for n in ir.walk(item.bands))
        bands_fn = dc.bands(item.bands) if by_deal else self.compile.bands(item.bands)
        kind, upper_inclusive, running_total = item.kind, item.upper_inclusive, item.per == "running"
        rl = self.round_line

        def one(base, bands):
            if kind == "marginal":
                parts = tiers.marginal(base, bands)
                return sum((p.amount for p in parts), ZERO), parts
            index = tiers.reached(base, bands, upper_inclusive)
            if kind == "retroactive":
                return base * (bands[index].value if index is not None else ZERO), []
            if kind == "cumulative":
                return tiers.cumulative(bands, index), []
            return tiers.band_value(base, bands, index), []

        def per_deal(v, running, done):
            bands = None if by_deal else bands_fn(v)
            amount, total = ZERO, ZERO
            paid: list[DealPay] = []
            scope = DealScope(v)
            for deal in context_of(v).deals:
                scope.deal = deal
                if where_fn is not None and not where_fn(scope):
                    continue
                base = base_fn(scope)
                if by_deal:
                    bands = bands_fn(scope)
                if running_total:
                    # each deal pays the rounded payout of the running total after it less that before it,
                    # so the deals add up exactly to the period total's rounded payout
                    before = total
                    total += base
                    after_pay, parts = one(total, bands)
                    pay = rl(after_pay) - rl(one(before, bands)[0])
                else:
                    before = None
                    raw, parts = one(base, bands)
                    pay = rl(raw)
                amount += pay
                if done is not None:
                    hits = [BandHit(p.index, p.lower, p.upper, p.rate, None, p.portion, p.amount) for p in parts
                            if not running_total or p.upper is None or p.upper > before]
                    paid.append(DealPay(deal["id"], deal["date"], base, pay, before, hits, deal))
            if done is not None:
                done.append(ItemResult(item, "tiers", running, amount, running + amount, base=total,
                                       deals=paid))
            return running + amount
        return per_deal

    def _scorecard(self, item: ir.Scorecard) -> Callable:
        c = self.compile
        target_fn, cap_fn = c(item.target), c.opt(item.cap)
        kpis = [(k, c(k.weight), c(k.attainment), c.curve(k.curve) if k.curve else None, c.opt(k.cap))
                for k in item.kpis]
        rl = self.round_line

        def scorecard(v, running, done):
            target = target_fn(v)
            results, uncapped = [], ZERO
            for k, weight_fn, att_fn, curve_fn, kcap_fn in kpis:
                weight, attainment = weight_fn(v), att_fn(v)
                curved = attainment if curve_fn is None else curve_fn(attainment, v)
                kcap = kcap_fn(v) if kcap_fn else None
                factor = min(curved, kcap) if kcap is not None else curved
                weighted = weight * factor
                uncapped += weighted
                results.append(KpiResult(k.name, k.label, weight, attainment, k.curve, curved, kcap, factor,
                                         weighted, rl(target * weighted)))
            cap = cap_fn(v) if cap_fn else None
            overall = min(uncapped, cap) if cap is not None else uncapped
            if self.rounds_lines:
                # the line is the sum of its rounded parts, and never more than the rounded cap: so
                # crossing the cap never lowers the pay, not even by a cent
                amount = sum((r.amount for r in results), ZERO)
                if cap is not None:
                    amount = min(amount, rl(target * cap))
            else:
                amount = rl(target * overall)
            if done is not None:
                done.append(ItemResult(item, "scorecard", running, amount, running + amount, factor=overall,
                                       uncapped=uncapped, limit=cap, target=target, kpis=results))
            return running + amount
        return scorecard


def _same(x: Decimal) -> Decimal:
    return x


def _hits(bands: list[tiers.Band], index: int | None, cumulative: bool = False) -> list[BandHit]:
    if index is None:
        return []
    chosen = range(index + 1) if cumulative else (index,)
    return [BandHit(i, bands[i].lower, bands[i].upper, bands[i].value, bands[i].value_to) for i in chosen]
