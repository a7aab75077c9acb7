"""Explain a payee's result: every amount traced to its plan line and inputs.

`explain(plan, result)` turns a traced `PayeeResult` into a `Breakdown`, a
pydantic model whose JSON form is the documented, versioned breakdown schema
(`SCHEMA`).  Formulas show the values filled in, for example
`12% x (150,000.00 - 100,000.00) = 6,000.00`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext

from dsl import ast
from dsl.printer import expr_text, measured_text
from dsl.types import T

from incentives.engine import ir, numbers
from incentives.errors import EvaluationError
from incentives.engine.evaluate import CONTEXT
from incentives.engine.compiled import CompiledPlan
from incentives.engine.result import BandHit, ItemResult, PayeeResult
from incentives.engine.schedule import DealScope

from .model import (SCHEMA, ActivityLine, Award, Band, Breakdown, Component, ContestOut, CurrencyTotal, DealLine,  # noqa: F401
                    ExcludedDeal, Item, Kpi, Measure, PeriodInfo, PlanInfo, Statement, Value, Where, where)


class Filler:
    """Writes an expression with the values of one payee filled in."""

    def __init__(self, plan: CompiledPlan, values: dict):
        self.fns = plan.evaluator.compile
        self.values = values
        self.digits = plan.ir.minor_units

    def show(self, v, t: T) -> str:
        return numbers.value(v, t, self.digits)

    def fill(self, n: ir.Expr, min_prec: int = 0) -> str:
        from dsl.printer import PREC

        if isinstance(n, ir.Const):
            return self.show(n.value, n.type)
        if isinstance(n, ir.Var):
            return self.show(self.values.get(n.name), n.type)
        if isinstance(n, ir.Op):
            if n.op == "neg":
                return "-" + self.fill(n.args[0], PREC["neg"])
            if n.op == "not":
                text, p = "not " + self.fill(n.args[0], PREC["not"]), PREC["not"]
            else:
                p = PREC.get(n.op, PREC["cmp"])
                sym = {"*": "x"}.get(n.op, n.op)
                text = f"{self.fill(n.args[0], p)} {sym} {self.fill(n.args[1], p + 1)}"
            return f"({text})" if p < min_prec else text
        if isinstance(n, ir.RuleRef):  # the value, and which rule of the table gave it
            rules, index = self.fns.plan.rules[n.name], self.fns.rule_case(n.name)(self.values)
            case = rules.cases[index] if index < len(rules.cases) else None
            why = f"the rule on line {case.span.line}, when {expr_text(case.cond.src)}" if case else "default"
            return f"{n.name} [{self.show(self.fns(n)(self.values), n.type)} by {why}]"
        if isinstance(n, (ir.Lookup, ir.CurveApply, ir.Func, ir.Cond, ir.InSet, ir.IsMissing)):
            try:
                value = self.show(self.fns(n)(self.values), n.type)
            except EvaluationError:
                value = "not evaluated"  # a branch the evaluation skipped (`and`, `or`, `if`)
            return f"{expr_text(n.src)} [{value}]"
        raise TypeError(n)  # pragma: no cover

    def formula(self, n: ir.Expr, result, t: T) -> str:
        filled = self.fill(n)
        shown = self.show(result, t)
        return shown if filled == shown else f"{filled} = {shown}"


class _Explainer(Filler):
    def __init__(self, plan: CompiledPlan, result: PayeeResult, person=None):
        super().__init__(plan, result.values)
        self.deal_fns = plan.evaluator.deal_compile  # what a measure of an expression took of each deal
        self.plan = plan.ir
        self.result = result
        self.person = person

    def m(self, d: Decimal | None) -> str:
        """An amount for a person: grouped, as in formulas."""
        return "-" if d is None else numbers.money(d, self.digits)

    def a(self, d: Decimal | None) -> str | None:
        """An amount for a machine: exact, ungrouped, at least the minor unit."""
        return None if d is None else numbers.exact(d, self.digits)

    # ---- the parts of a breakdown ----
    def build(self) -> Breakdown:
        p, r = self.plan, self.result
        inputs = [Value(name=name, type=info.type.value, value=numbers.plain(r.values.get(name)),
                        shown=self.show(r.values.get(name), info.type), description=info.decl.description,
                        where=where(info.decl.span)) for name, info in p.inputs.items()]
        definitions = [Value(name=let.name, type=let.expr.type.value, value=numbers.plain(r.values.get(let.name)),
                             shown=self.show(r.values.get(let.name), let.expr.type), description=let.description,
                             formula=f"{expr_text(let.expr.src)} = {self.formula(let.expr, r.values.get(let.name), let.expr.type)}",
                             where=where(let.span)) for let in p.lets]
        measures = [self.measure(m) for m in r.measures]
        declared = {c.name: c for c in p.contests}
        contests = [ContestOut(name=c.name, label=declared[c.name].label, qualified=c.qualified,
                               score=None if c.score is None else numbers.plain(c.score), rank=int(c.rank),
                               tied=c.tied, competitors=int(c.competitors), prize=self.a(c.prize),
                               where=where(declared[c.name].span)) for c in r.contests]
        components = [Component(name=c.name, label=c.label, where=where(c.span), amount=self.a(c.amount),
                                items=[self.item(i) for i in c.items]) for c in r.components]
        awards = [Award(name=a.name, label=a.label, kind=a.kind, granted=a.granted,
                        value=self.a(a.value), where=where(a.span)) for a in r.awards]
        granted = sum((a.value for a in r.awards if a.granted and a.value is not None), Decimal(0))
        person = self.person
        return Breakdown(
            plan=PlanInfo(name=p.name, file=p.file, currency=p.currency, period=p.period,
                          rounding=f"{p.rounding_mode} at {p.rounding_point}"),
            payee=r.payee, name=getattr(person, "name", None) or None, role=getattr(person, "role", None) or None,
            period=period_info(r.values.get("period_start"), r.values.get("period_end")), currency=p.currency, inputs=inputs, measures=measures, contests=contests,
            definitions=definitions,
            components=components,
            subtotal=self.a(r.subtotal), adjustments=[self.item(i) for i in r.payout_items],
            total=self.a(r.total), awards=awards, awards_value=self.a(granted),
        )

    def deal(self, d: dict, pay=None, measured: str | None = None, cls=DealLine, **extra) -> DealLine:
        other = measured not in (None, "amount")
        raw = d.get(measured) if other else None
        missing = isinstance(raw, ir.Missing)  # an empty optional column: shown as missing, never as a number
        return cls(value=None if missing or not other else numbers.plain(raw),
                   shown=("missing" if missing else self.show(raw, self.plan.deal_fields.get(measured, T.NUMBER)))
                   if other else None,
                   id=str(d["id"]), date=d["date"].isoformat(), deal_amount=self.a(d["deal_amount"]),
                   share=numbers.plain(d["share"]), credit=d["credit"], via=d.get("via"),
                   amount=self.a(d["amount"]),
                   base=None if pay is None else self.a(pay.base), paid=None if pay is None else self.a(pay.amount),
                   running_before=None if pay is None or pay.running_before is None
                   else self.a(pay.running_before), **extra)

    def measured(self, d: dict, decl: ir.Measure) -> DealLine:
        """A deal a measure took, with what it took of it: a column other than `amount`, or the value
        of the measured expression for this deal (worked out again, exactly, from the same values)."""
        if decl.value is None:
            return self.deal(d, None, decl.field)
        with localcontext(CONTEXT):
            x = self.deal_fns(decl.value)(DealScope(self.values, d))
        return self.deal(d).model_copy(update={"value": numbers.plain(x), "shown": self.show(x, decl.type)})

    def activity(self, a: dict, decl: ir.Measure) -> ActivityLine:
        """An activity a measure took, with what it took of it (a column, or the measured expression)."""
        x = None
        if decl.value is not None:
            with localcontext(CONTEXT):
                x = self.deal_fns(decl.value)(DealScope(self.values, a))
        elif decl.field is not None:
            x = a.get(decl.field)
        return ActivityLine(id=str(a["id"]), date=a["date"].isoformat(), type=str(a.get("type") or ""),
                            value=None if x is None else numbers.plain(x),
                            shown=None if x is None else self.show(x, decl.type))

    def measure(self, m) -> Measure:
        decl = next(x for x in self.plan.measures if x.name == m.name)
        if decl.source == "activities":
            return Measure(name=m.name, description=decl.description, formula=self.measure_formula(decl),
                           value=numbers.plain(m.value), shown=self.show(m.value, decl.type),
                           activities=[self.activity(a, decl) for a in m.deals], where=where(decl.span))
        return Measure(name=m.name, description=decl.description,
                       formula=self.measure_formula(decl), value=numbers.plain(m.value),
                       shown=self.show(m.value, decl.type), deals=[self.measured(d, decl) for d in m.deals],
                       excluded=[self.deal(d, None, decl.field, ExcludedDeal, reason=kind, why=why)
                                 for d, kind, why in getattr(m, "excluded", ())],
                       people=[{"id": pid, "value": numbers.plain(x), "shown": self.show(x, decl.type)}
                               for pid, x in m.people], where=where(decl.span))

    @staticmethod
    def measure_formula(decl: ir.Measure) -> str:
        field = (f" {decl.field}" if decl.field else
                 f" {measured_text(decl.value.src)}" if decl.value is not None else "")
        cond = f" where {expr_text(decl.where.src)}" if decl.where is not None else ""
        return f"{decl.agg}{field} of {decl.source}{cond}"

    def band(self, b: BandHit) -> Band:
        x = numbers.plain
        return Band(number=b.index + 1, lower=x(b.lower), upper=x(b.upper), value=x(b.value),
                    value_to=x(b.value_to), portion=x(b.portion), amount=self.a(b.amount))

    def item(self, i: ItemResult) -> Item:
        node = i.node
        base_t = getattr(getattr(node, "base", None), "type", T.NUMBER)
        self._value_type = _band_value_type(node)
        common = dict(kind=i.kind, where=where(i.span), amount=self.a(i.amount), before=self.a(i.before),
                      after=self.a(i.after))
        if i.kind == "pool":
            share = i.pool
            how = "equally" if node.by is None else f"by {expr_text(node.by.src)}"
            if share.members == 0:
                return Item(label=node.label or f"pool among {node.among}", formula="no pool: the payee was "
                            "evaluated alone; pools are shared in a run over the whole population", **common)
            group = "whole population" if node.among == "all" else node.among
            if node.by is None or share.weights == 0:
                how = "equally" if node.by is None else f"equally ({how} adds up to 0)"
                formula = f"{self.m(share.amount)} / {share.members} = {self.m(share.share)}"
            else:
                formula = (f"{self.m(share.amount)} x {numbers.number(share.weight)} / {numbers.number(share.weights)}"
                           f" = {self.m(share.share)}")
            return Item(label=node.label or f"pool {expr_text(node.amount.src)} among {node.among} {how}",
                        formula=formula, details=[f"the {group}'s pool of {self.m(share.amount)} is shared "
                                                  f"{how} among {share.members} "
                                                  f"{'person' if share.members == 1 else 'people'}, "
                                                  f"exactly to the cent"],
                        **common)
        if i.kind == "pay":
            return Item(label=node.label or expr_text(node.expr.src), formula=self.formula(node.expr, i.amount, T.MONEY),
                        **common)
        if i.kind == "tiers" and node.per is not None:
            return self._deal_tiers(node, i, common)
        if i.kind == "tiers":
            bands = [self.band(b) for b in i.bands]
            formula, details = self._tiers_formula(node, i, base_t)
            return Item(label=node.label or f"{node.kind} tiers on {expr_text(node.base.src)}",
                        formula=formula, details=details, tier_kind=node.kind,
                        base=self.show(i.base, base_t), reached=None if i.reached is None else i.reached + 1,
                        bands=bands, **common)
        if i.kind == "scorecard":
            kpis = [Kpi(name=k.name, label=k.label, weight=numbers.percent(k.weight),
                        attainment=numbers.percent(k.attainment), curve=k.curve, curved=numbers.percent(k.curved),
                        cap=None if k.cap is None else numbers.percent(k.cap), factor=numbers.percent(k.factor),
                        weighted=numbers.percent(k.weighted), amount=self.a(k.amount)) for k in i.kpis]
            parts = sum((k.amount for k in i.kpis), Decimal(0))
            capped = i.limit is not None and (i.uncapped > i.limit or parts > i.amount)
            if not capped and parts == i.amount:
                formula = " + ".join(self.m(k.amount) for k in i.kpis) + f" = {self.m(i.amount)}"
            else:
                cap_text = (f", capped at {numbers.percent(i.limit)} from {numbers.percent(i.uncapped)}"
                            if capped else "")
                formula = f"{self.m(i.target)} x {numbers.percent(i.factor)}{cap_text} = {self.m(i.amount)}"
            details = [f"{k.label or k.name}: attainment {k.attainment}"
                       + (f" -> {k.curve} {k.curved}" if k.curve else "")
                       + (f", capped at {k.cap}" if k.cap is not None and k.curved != k.factor else "")
                       + f"; {k.factor} x weight {k.weight} = {k.weighted} -> {self.m(Decimal(k.amount))}"
                       for k in kpis]
            if capped:
                details.append(f"the overall cap of {numbers.percent(i.limit)} removed "
                               f"{self.m(parts - i.amount)} from the {self.m(parts)} the KPIs add up to")
            return Item(label=node.label or "scorecard", formula=formula, details=details, kpis=kpis, **common)
        if i.kind == "multiplier":
            where_ = ("no band reached: unchanged" if i.reached is None else
                      f"{expr_text(node.base.src)} {self.show(i.base, base_t)} is in band {i.reached + 1}")
            word = "accelerator" if i.factor > 1 else "decelerator" if i.factor < 1 else "multiplier"
            return Item(label=node.label or f"{word} on {expr_text(node.base.src)}", base=self.show(i.base, base_t),
                        reached=None if i.reached is None else i.reached + 1,
                        bands=[self.band(b) for b in i.bands],
                        formula=f"{self.m(i.before)} x {numbers.number(i.factor)} = {self.m(i.after)} ({where_})",
                        **common)
        if i.kind in ("cap", "floor"):
            limit = self.m(i.limit)
            if i.amount == 0:
                formula = f"{self.m(i.before)} is within the {i.kind} of {limit}: unchanged"
            elif i.kind == "cap":
                formula = f"capped at {limit}: {self.m(i.before)} - {self.m(-i.amount)} removed = {self.m(i.after)}"
            else:
                formula = f"raised to the floor of {limit}: {self.m(i.before)} + {self.m(i.amount)} added = {self.m(i.after)}"
            source = node.amount.src
            label = node.label or (i.kind if isinstance(source, ast.Literal) else f"{i.kind} {expr_text(source)}")
            return Item(label=label, formula=formula, **common)
        if i.kind == "gate":
            cond = f"{expr_text(node.cond.src)}: {self.fill(node.cond)}"
            if i.passed:
                formula = f"passed ({cond}): unchanged"
            else:
                formula = (f"failed ({cond}): {self.m(i.before)} x {numbers.percent(i.factor)} = {self.m(i.after)}")
            return Item(label=node.label or f"gate {expr_text(node.cond.src)}", formula=formula, passed=i.passed, **common)
        raise TypeError(i.kind)  # pragma: no cover

    def _deal_tiers(self, node: ir.Tiers, i: ItemResult, common: dict) -> Item:
        lines, details = [], []
        for pay in i.deals:
            lines.append(self.deal(pay.row, pay))
            parts = " + ".join(f"{self._value_type_show(h.value)} x {self.m(h.portion)}" for h in pay.bands)
            if pay.running_before is not None:
                details.append(f"{pay.deal} ({pay.date}): {self.m(pay.base)}, running total "
                               f"{self.m(pay.running_before)} -> {self.m(pay.running_before + pay.base)}, "
                               f"pays {self.m(pay.amount)}")
            else:
                details.append(f"{pay.deal} ({pay.date}): {self.m(pay.base)}" + (f": {parts}" if parts else "")
                               + f" = {self.m(pay.amount)}")
        formula = (" + ".join(self.m(p.amount) for p in i.deals) + f" = {self.m(i.amount)}") if i.deals \
            else "no deals: 0"
        mode = "each deal" if node.per == "deal" else "the running total, deal by deal"
        return Item(label=node.label or f"{node.kind} tiers on {mode}", formula=formula, details=details,
                    tier_kind=node.kind, deals=lines, **common)

    def _value_type_show(self, v: Decimal) -> str:
        return self.show(v, self._value_type)

    def _tiers_formula(self, node: ir.Tiers, i: ItemResult, base_t: T) -> tuple[str, list[str]]:
        b = lambda d: self.show(d, base_t)  # noqa: E731
        v = self._value_type_show
        if not i.bands:
            return f"{expr_text(node.base.src)} {b(i.base)} reaches no band: {self.m(i.amount)}", []
        if node.kind == "marginal":
            details = []
            for h in i.bands:
                top = i.base if h.upper is None or i.base < h.upper else h.upper
                details.append(f"band {h.index + 1}: {v(h.value)} x ({b(top)} - {b(h.lower)}) = {self.m(h.amount)}")
            if len(details) == 1:
                return details[0].split(": ", 1)[1], details
            return " + ".join(self.m(h.amount) for h in i.bands) + f" = {self.m(i.amount)}", details
        h = i.bands[-1]
        band = f"band {h.index + 1}, from {b(h.lower)}" + (f" to {b(h.upper)}" if h.upper is not None else "")
        if node.kind == "retroactive":
            return f"{v(h.value)} x {b(i.base)} = {self.m(i.amount)} ({band})", []
        if node.kind == "step":
            return f"{band}, pays {self.m(i.amount)}", []
        if node.kind == "cumulative":
            details = [f"band {x.index + 1} from {b(x.lower)}: {self.m(x.value)}" for x in i.bands]
            return " + ".join(self.m(x.value) for x in i.bands) + f" = {self.m(i.amount)}", details
        if h.value_to is None or h.upper is None:
            return f"{band}, pays {self.m(i.amount)}", []
        return (f"{self.m(h.value)} + ({self.m(h.value_to)} - {self.m(h.value)}) x ({b(min(i.base, h.upper))} - "
                f"{b(h.lower)}) / ({b(h.upper)} - {b(h.lower)}) = {self.m(i.amount)} ({band})"), []


def _band_value_type(node) -> T:
    bands = getattr(node, "bands", None)
    if not bands:
        return T.NUMBER
    return bands[0].value.type


def explain(plan: CompiledPlan, result: PayeeResult, person=None) -> Breakdown:
    """The breakdown of a traced result (run the plan with trace=True).  person: the payee's row of
    the people table (a `Person`, or anything with `name` and `role`), for the statement's heading."""
    with localcontext(CONTEXT):
        return _Explainer(plan, result, person).build()


def period_info(start, end) -> PeriodInfo | None:
    """The period with its shortest name: 2026, 2026-H1, 2026-Q1, 2026-03, or `start to end`."""
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        return None
    label = f"{start.isoformat()} to {end.isoformat()}"
    after = end + dt.timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if start.day == 1 and after.day == 1 and months in (1, 3, 6, 12) and (start.month - 1) % months == 0:
        n = (start.month - 1) // months + 1
        label = {1: f"{start.year}-{start.month:02d}", 3: f"{start.year}-Q{n}", 6: f"{start.year}-H{n}",
                 12: f"{start.year}"}[months]
    return PeriodInfo(start=start.isoformat(), end=end.isoformat(), label=label)


def statements(breakdowns: list[Breakdown]) -> list[Statement]:
    """One statement per person from the breakdowns of several plans (in the order given): each
    person's breakdowns in plan order, and a cash and an awards total per currency."""
    by_payee: dict[str, list[Breakdown]] = {}
    for b in breakdowns:
        by_payee.setdefault(b.payee, []).append(b)
    out = []
    for payee, mine in by_payee.items():
        cash: dict[str, Decimal] = {}
        awards: dict[str, Decimal] = {}
        digits: dict[str, int] = {}
        for b in mine:
            cash[b.currency] = cash.get(b.currency, Decimal(0)) + Decimal(b.total)
            awards[b.currency] = awards.get(b.currency, Decimal(0)) + Decimal(b.awards_value)
            digits[b.currency] = len(b.total.partition(".")[2])
        totals = [CurrencyTotal(currency=c, cash=numbers.exact(cash[c], digits[c]),
                                awards_value=numbers.exact(awards[c], digits[c])) for c in cash]
        first = mine[0]
        out.append(Statement(payee=payee, name=next((b.name for b in mine if b.name), None),
                             role=next((b.role for b in mine if b.role), None), period=first.period,
                             plans=mine, totals=totals))
    return out


def json_schema() -> dict:
    """The JSON Schema of the breakdown, published as docs/breakdown.schema.json."""
    schema = Breakdown.model_json_schema(by_alias=True)
    schema["$id"] = SCHEMA
    return schema
