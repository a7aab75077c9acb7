"""The part of explaining that depends only on the plan, worked out once per plan.

A breakdown's labels, plan locations, the text of every expression and the shape of every
formula are the same for every payee of a plan.  `PlanParts` works them out the first time the
plan is explained and keeps them for as long as the plan's evaluator lives; each `Line` then
fills in one payee's numbers.  What is written is exactly what working everything out again
would write: the same texts, made from the same values, in the same order.
"""

from __future__ import annotations

import weakref
from decimal import Decimal

from dsl import ast
from dsl.printer import PREC, expr_text, measured_text
from dsl.types import T
from incentives.engine import ir, numbers
from incentives.engine.result import BandHit, ItemResult
from incentives.errors import EvaluationError

from .model import Band, Item, Kpi, PlanInfo, Where, construct, place, where_at
from .model import where as _where

_ZERO = Decimal(0)
_new, _set = object.__new__, object.__setattr__
_KPI_FIELDS = ("name", "label", "weight", "attainment", "curve", "curved", "cap", "factor", "weighted", "amount")
_COMMON = ("kind", "where", "amount", "before", "after")
#: the fields each kind of line gives its Item (the rest keep their defaults); each Item gets a copy
_GIVEN = {
    "pool_alone": {"label", "formula", *_COMMON},
    "pool": {"label", "formula", "details", *_COMMON},
    "pay": {"label", "formula", *_COMMON},
    "deal_tiers": {"label", "formula", "details", "tier_kind", "deals", *_COMMON},
    "tiers": {"label", "formula", "details", "tier_kind", "base", "reached", "bands", *_COMMON},
    "scorecard": {"label", "formula", "details", "kpis", *_COMMON},
    "multiplier": {"label", "base", "reached", "bands", "formula", *_COMMON},
    "limit": {"label", "formula", *_COMMON},
    "gate": {"label", "formula", "passed", *_COMMON},
}


def new_item(given: str, kind: str, label: str, where, formula: str, amount: str, before: str, after: str,
             details: list | None = None, tier_kind: str | None = None, base: str | None = None,
             reached: int | None = None, bands: list | None = None, kpis: list | None = None,
             deals: list | None = None, passed: bool | None = None) -> Item:
    m = _new(Item)
    _set(m, "__dict__", {
        "kind": kind, "label": label, "where": where, "formula": formula,
        "details": [] if details is None else details, "amount": amount, "before": before, "after": after,
        "tier_kind": tier_kind, "base": base, "reached": reached, "bands": [] if bands is None else bands,
        "kpis": [] if kpis is None else kpis, "deals": [] if deals is None else deals, "passed": passed,
    })
    _set(m, "__pydantic_fields_set__", _GIVEN[given].copy())
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


# ---- expressions with one payee's values filled in ------------------------------------------------
def fill_fn(n: ir.Expr, fns, digits: int, min_prec: int = 0):
    """A function of (values) writing `n` with the values filled in: what `Filler.fill` writes,
    with the walk over the expression and its constant parts done once."""
    show = numbers.value
    if isinstance(n, ir.Const):
        value, t, memo = n.value, n.type, []

        def const(values):
            if not memo:
                memo.append(show(value, t, digits))
            return memo[0]
        return const
    if isinstance(n, ir.Var):
        name, t = n.name, n.type
        return lambda values: show(values.get(name), t, digits)
    if isinstance(n, ir.Op):
        if n.op == "neg":
            inner = fill_fn(n.args[0], fns, digits, PREC["neg"])
            return lambda values: "-" + inner(values)
        if n.op == "not":
            inner, p = fill_fn(n.args[0], fns, digits, PREC["not"]), PREC["not"]
            if p < min_prec:
                return lambda values: f"(not {inner(values)})"
            return lambda values: "not " + inner(values)
        p = PREC.get(n.op, PREC["cmp"])
        sym = {"*": "x"}.get(n.op, n.op)
        left, right = fill_fn(n.args[0], fns, digits, p), fill_fn(n.args[1], fns, digits, p + 1)
        if p < min_prec:
            return lambda values: f"({left(values)} {sym} {right(values)})"
        return lambda values: f"{left(values)} {sym} {right(values)}"
    if isinstance(n, ir.RuleRef):  # the value, and which rule of the table gave it
        name, t = n.name, n.type

        def rule(values):
            rules, index = fns.plan.rules[name], fns.rule_case(name)(values)
            case = rules.cases[index] if index < len(rules.cases) else None
            why = f"the rule on line {case.span.line}, when {expr_text(case.cond.src)}" if case else "default"
            return f"{name} [{show(fns(n)(values), t, digits)} by {why}]"
        return rule
    if isinstance(n, (ir.Lookup, ir.CurveApply, ir.Func, ir.Cond, ir.InSet, ir.IsMissing)):
        src, t = expr_text(n.src), n.type

        def evaluated(values):
            try:
                value = show(fns(n)(values), t, digits)
            except EvaluationError:
                value = "not evaluated"  # a branch the evaluation skipped (`and`, `or`, `if`)
            return f"{src} [{value}]"
        return evaluated

    def unknown(values):
        raise TypeError(n)  # pragma: no cover
    return unknown


def formula_fn(n: ir.Expr, fns, digits: int, t: T):
    """A function of (values, result): what `Filler.formula` writes."""
    fill = fill_fn(n, fns, digits)

    def formula(values, result):
        filled = fill(values)
        shown = numbers.value(result, t, digits)
        return shown if filled == shown else f"{filled} = {shown}"
    return formula


# ---- the plan's parts ---------------------------------------------------------------------------
class PlanParts:
    """What every breakdown of one plan shares: its lines' labels and locations, its expressions'
    texts and fill-in functions."""

    def __init__(self, plan):
        p, fns = plan.ir, plan.evaluator.compile
        self.ir, self.fns, self.digits = p, fns, p.minor_units
        self.lines = {id(i): Line(i, fns, p.minor_units) for c in p.components for i in c.items}
        self.lines.update((id(i), Line(i, fns, p.minor_units)) for i in p.payout)
        self.inputs = [(name, info.type, info.decl.description, info.decl.span) for name, info in p.inputs.items()]
        self.places = {id(s): (s, place(s)) for s in [c.span for c in p.components]
                       + [info.decl.span for info in p.inputs.values()] + [let.span for let in p.lets]}
        self.lets = [(let.name, let.expr.type, let.description, let.span,
                      (expr_text(let.expr.src), formula_fn(let.expr, fns, p.minor_units, let.expr.type)))
                     for let in p.lets]
        self.plan = {"name": p.name, "file": p.file, "currency": p.currency, "period": p.period,
                     "rounding": f"{p.rounding_mode} at {p.rounding_point}"}
        self.plan_ok = all(type(x) is str for x in self.plan.values())
        self.measures = {m.name: m for m in p.measures}
        self.formulas: dict[int, tuple] = {}  # id(measure) -> (measure, its formula as written)

    def measure_formula(self, decl: ir.Measure) -> str:
        """What a measure takes, as written in the plan: `sum amount of deals where ...`."""
        kept = self.formulas.get(id(decl))
        if kept is not None and kept[0] is decl:
            return kept[1]
        field = (f" {decl.field}" if decl.field else
                 f" {measured_text(decl.value.src)}" if decl.value is not None else "")
        cond = f" where {expr_text(decl.where.src)}" if decl.where is not None else ""
        formula = f"{decl.agg}{field} of {decl.source}{cond}"
        if self.measures.get(decl.name) is decl:  # the plan's own: kept for as long as the plan
            self.formulas[id(decl)] = (decl, formula)
        return formula

    def plan_info(self) -> PlanInfo:
        if self.plan_ok:
            m = _new(PlanInfo)
            _set(m, "__dict__", self.plan.copy())
            _set(m, "__pydantic_fields_set__", {"name", "file", "currency", "period", "rounding"})
            _set(m, "__pydantic_extra__", None)
            _set(m, "__pydantic_private__", None)
            return m
        return PlanInfo(**self.plan)

    def where(self, span) -> Where:
        """The Where of a span, from its place worked out once for the plan's own spans."""
        kept = self.places.get(id(span))
        if kept is not None and kept[0] is span and kept[1] is not None:
            return where_at(kept[1])
        return _where(span)

    def line(self, node) -> Line:
        """The node's line: worked out once for the plan's own lines (a node from elsewhere, each time)."""
        line = self.lines.get(id(node))
        if line is None or line.node is not node:
            return Line(node, self.fns, self.digits)
        return line


#: id(evaluator) -> (weak reference to it, its plan's parts); an entry goes when its evaluator goes
_PARTS: dict[int, tuple[weakref.ref, PlanParts]] = {}


def parts_of(plan) -> PlanParts:
    """The plan's parts, kept for as long as its evaluator lives (made again for another IR)."""
    evaluator = plan.evaluator
    kept = _PARTS.get(id(evaluator))
    if kept is not None and kept[0]() is evaluator and kept[1].ir is plan.ir:
        return kept[1]
    parts = PlanParts(plan)
    if evaluator.plan is plan.ir:
        key = id(evaluator)
        _PARTS[key] = (weakref.ref(evaluator, lambda _, key=key: _PARTS.pop(key, None)), parts)
    return parts


def _band_value_type(node) -> T:
    bands = getattr(node, "bands", None)
    if not bands:
        return T.NUMBER
    return bands[0].value.type


class Line:
    """One line or step of the plan, explained for a payee: `explain(ex, result)` gives its Item."""

    def __init__(self, node, fns, digits: int):
        self.node, self.digits = node, digits
        self.at = place(node.span)
        self.base_t = getattr(getattr(node, "base", None), "type", T.NUMBER)
        self.value_t = _band_value_type(node)
        self._base_text: str | None = None
        if isinstance(node, ir.Pay):
            self.label = node.label or expr_text(node.expr.src)
            self.formula = formula_fn(node.expr, fns, digits, T.MONEY)
        elif isinstance(node, ir.Tiers):
            self.label = node.label or (f"{node.kind} tiers on {self.base_text}" if node.per is None else
                                        f"{node.kind} tiers on "
                                        f"{'each deal' if node.per == 'deal' else 'the running total, deal by deal'}")
        elif isinstance(node, (ir.Cap, ir.Floor)):
            kind, source = ("cap" if isinstance(node, ir.Cap) else "floor"), node.amount.src
            self.label = node.label or (kind if isinstance(source, ast.Literal) else f"{kind} {expr_text(source)}")
        elif isinstance(node, ir.Gate):
            self.cond_text = expr_text(node.cond.src)
            self.label = node.label or f"gate {self.cond_text}"
            self.fill_cond = fill_fn(node.cond, fns, digits)

    @property
    def base_text(self) -> str:
        """The base of a tiers line or multiplier as written (worked out when first needed)."""
        if self._base_text is None:
            self._base_text = expr_text(self.node.base.src)
        return self._base_text

    def band(self, ex, b: BandHit) -> Band:
        x = numbers.plain
        lower, value = x(b.lower), x(b.value)
        upper = None if b.upper is None else x(b.upper)
        value_to = None if b.value_to is None else x(b.value_to)
        portion = None if b.portion is None else x(b.portion)
        amount = None if b.amount is None else numbers.exact(b.amount, self.digits)
        if type(lower) is not str or type(value) is not str or not (upper is None or type(upper) is str) or not (
                value_to is None or type(value_to) is str) or not (portion is None or type(portion) is str):
            # not what an evaluation makes: validated, as given
            return Band(number=b.index + 1, lower=lower, upper=upper, value=value, value_to=value_to,
                        portion=portion, amount=amount)
        m = _new(Band)
        _set(m, "__dict__", {"number": b.index + 1, "lower": lower, "upper": upper, "value": value,
                             "value_to": value_to, "portion": portion, "amount": amount})
        _set(m, "__pydantic_fields_set__", {"number", "lower", "upper", "value", "value_to", "portion", "amount"})
        _set(m, "__pydantic_extra__", None)
        _set(m, "__pydantic_private__", None)
        return m

    def explain(self, ex, i: ItemResult) -> Item:
        node, kind = self.node, i.kind
        m, exact, digits = ex.m, numbers.exact, self.digits
        where = _where(node.span) if self.at is None else where_at(self.at)
        amount = None if i.amount is None else exact(i.amount, digits)
        before = None if i.before is None else exact(i.before, digits)
        after = None if i.after is None else exact(i.after, digits)
        if kind == "tiers" and node.per is None:
            band = self.band
            bands = [band(ex, b) for b in i.bands]
            base = numbers.value(i.base, self.base_t, digits)
            formula, details = self._tiers_formula(ex, i, base)
            return new_item("tiers", kind, self.label, where, formula, amount, before, after, details=details,
                            tier_kind=node.kind, base=base, reached=None if i.reached is None else i.reached + 1,
                            bands=bands)
        if kind in ("cap", "floor"):
            limit = m(i.limit)
            if i.amount == 0:
                formula = f"{m(i.before)} is within the {kind} of {limit}: unchanged"
            elif kind == "cap":
                formula = f"capped at {limit}: {m(i.before)} - {m(-i.amount)} removed = {m(i.after)}"
            else:
                formula = f"raised to the floor of {limit}: {m(i.before)} + {m(i.amount)} added = {m(i.after)}"
            return new_item("limit", kind, self.label, where, formula, amount, before, after)
        if kind == "pay":
            return new_item("pay", kind, self.label, where, self.formula(ex.values, i.amount), amount, before, after)
        if kind == "gate":
            cond = f"{self.cond_text}: {self.fill_cond(ex.values)}"
            if i.passed:
                formula = f"passed ({cond}): unchanged"
            else:
                formula = f"failed ({cond}): {m(i.before)} x {numbers.percent(i.factor)} = {m(i.after)}"
            return new_item("gate", kind, self.label, where, formula, amount, before, after, passed=i.passed)
        if kind == "multiplier":
            base = ex.show(i.base, self.base_t)
            where_ = ("no band reached: unchanged" if i.reached is None else
                      f"{self.base_text} {base} is in band {i.reached + 1}")
            word = "accelerator" if i.factor > 1 else "decelerator" if i.factor < 1 else "multiplier"
            return new_item("multiplier", kind, node.label or f"{word} on {self.base_text}", where,
                            f"{m(i.before)} x {numbers.number(i.factor)} = {m(i.after)} ({where_})",
                            amount, before, after, base=base, reached=None if i.reached is None else i.reached + 1,
                            bands=[self.band(ex, b) for b in i.bands])
        if kind == "pool":
            return self._pool(ex, i, where, amount, before, after)
        if kind == "tiers":
            return self._deal_tiers(ex, i, where, amount, before, after)
        if kind == "scorecard":
            return self._scorecard(ex, i, where, amount, before, after)
        raise TypeError(kind)  # pragma: no cover

    def _tiers_formula(self, ex, i: ItemResult, base: str) -> tuple[str, list[str]]:
        node, m, base_t = self.node, ex.m, self.base_t
        show, value_t, digits = numbers.value, self.value_t, self.digits
        if not i.bands:
            return f"{self.base_text} {base} reaches no band: {m(i.amount)}", []
        if node.kind == "marginal":
            details, amounts, whole = [], [], i.base
            for h in i.bands:
                upper = h.upper
                shown = m(h.amount)
                amounts.append(shown)
                details.append(f"band {h.index + 1}: {show(h.value, value_t, digits)} x "
                               f"({base if upper is None or whole < upper else show(upper, base_t, digits)} - "
                               f"{show(h.lower, base_t, digits)}) = {shown}")
            if len(details) == 1:
                return details[0].split(": ", 1)[1], details
            return " + ".join(amounts) + f" = {m(i.amount)}", details
        def b(d):
            return show(d, base_t, digits)
        h = i.bands[-1]
        band = f"band {h.index + 1}, from {b(h.lower)}" + (f" to {b(h.upper)}" if h.upper is not None else "")
        if node.kind == "retroactive":
            return f"{show(h.value, value_t, digits)} x {base} = {m(i.amount)} ({band})", []
        if node.kind == "step":
            return f"{band}, pays {m(i.amount)}", []
        if node.kind == "cumulative":
            details = [f"band {x.index + 1} from {b(x.lower)}: {m(x.value)}" for x in i.bands]
            return " + ".join(m(x.value) for x in i.bands) + f" = {m(i.amount)}", details
        if h.value_to is None or h.upper is None:
            return f"{band}, pays {m(i.amount)}", []
        return (f"{m(h.value)} + ({m(h.value_to)} - {m(h.value)}) x ({b(min(i.base, h.upper))} - "
                f"{b(h.lower)}) / ({b(h.upper)} - {b(h.lower)}) = {m(i.amount)} ({band})"), []

    def _pool(self, ex, i: ItemResult, where, amount, before, after) -> Item:
        node, share, m = self.node, i.pool, ex.m
        how = "equally" if node.by is None else f"by {expr_text(node.by.src)}"
        if share.members == 0:
            return new_item("pool_alone", "pool", node.label or f"pool among {node.among}", where,
                            "no pool: the payee was evaluated alone; pools are shared in a run over the whole "
                            "population", amount, before, after)
        group = "whole population" if node.among == "all" else node.among
        if node.by is None or share.weights == 0:
            how = "equally" if node.by is None else f"equally ({how} adds up to 0)"
            formula = f"{m(share.amount)} / {share.members} = {m(share.share)}"
        else:
            formula = (f"{m(share.amount)} x {numbers.number(share.weight)} / {numbers.number(share.weights)}"
                       f" = {m(share.share)}")
        return new_item("pool", "pool", node.label or f"pool {expr_text(node.amount.src)} among {node.among} {how}",
                        where, formula, amount, before, after,
                        details=[(f"the {group}'s pool of {m(share.amount)} is shared {how} among {share.members} "
                                  f"{'person' if share.members == 1 else 'people'}, exactly to the cent")])

    def _scorecard(self, ex, i: ItemResult, where, amount, before, after) -> Item:
        m, pct = ex.m, numbers.percent
        kpis = []
        for k in i.kpis:
            values = {"name": k.name, "label": k.label, "weight": pct(k.weight), "attainment": pct(k.attainment),
                      "curve": k.curve, "curved": pct(k.curved), "cap": None if k.cap is None else pct(k.cap),
                      "factor": pct(k.factor), "weighted": pct(k.weighted), "amount": ex.a(k.amount)}
            kpis.append(construct(Kpi, values, set(_KPI_FIELDS)) if type(k.name) is str
                        and (k.label is None or type(k.label) is str) and (k.curve is None or type(k.curve) is str)
                        else Kpi(**values))
        parts = sum((k.amount for k in i.kpis), _ZERO)
        capped = i.limit is not None and (i.uncapped > i.limit or parts > i.amount)
        if not capped and parts == i.amount:
            formula = " + ".join(m(k.amount) for k in i.kpis) + f" = {m(i.amount)}"
        else:
            cap_text = f", capped at {pct(i.limit)} from {pct(i.uncapped)}" if capped else ""
            formula = f"{m(i.target)} x {pct(i.factor)}{cap_text} = {m(i.amount)}"
        details = [f"{k.label or k.name}: attainment {k.attainment}"
                   + (f" -> {k.curve} {k.curved}" if k.curve else "")
                   + (f", capped at {k.cap}" if k.cap is not None and k.curved != k.factor else "")
                   + f"; {k.factor} x weight {k.weight} = {k.weighted} -> {m(Decimal(k.amount))}"
                   for k in kpis]
        if capped:
            details.append(f"the overall cap of {pct(i.limit)} removed {m(parts - i.amount)} from the "
                           f"{m(parts)} the KPIs add up to")
        return new_item("scorecard", "scorecard", self.node.label or "scorecard", where, formula, amount, before,
                        after, details=details, kpis=kpis)

    def _deal_tiers(self, ex, i: ItemResult, where, amount, before, after) -> Item:
        m, show, value_t, digits = ex.m, numbers.value, self.value_t, self.digits
        lines, details = [], []
        for pay in i.deals:
            lines.append(ex.deal(pay.row, pay))
            parts = " + ".join(f"{show(h.value, value_t, digits)} x {m(h.portion)}" for h in pay.bands)
            if pay.running_before is not None:
                details.append(f"{pay.deal} ({pay.date}): {m(pay.base)}, running total "
                               f"{m(pay.running_before)} -> {m(pay.running_before + pay.base)}, "
                               f"pays {m(pay.amount)}")
            else:
                details.append(f"{pay.deal} ({pay.date}): {m(pay.base)}" + (f": {parts}" if parts else "")
                               + f" = {m(pay.amount)}")
        formula = (" + ".join(m(p.amount) for p in i.deals) + f" = {m(i.amount)}") if i.deals \
            else "no deals: 0"
        return new_item("deal_tiers", "tiers", self.label, where, formula, amount, before, after, details=details,
                        tier_kind=self.node.kind, deals=lines)
