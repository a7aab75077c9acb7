"""Explain a payee's result: every amount traced to its plan line and inputs.

`explain(plan, result)` turns a traced `PayeeResult` into a `Breakdown`, a
pydantic model whose JSON form is the documented, versioned breakdown schema
(`SCHEMA`).  Formulas show the values filled in, for example
`12% x (150,000.00 - 100,000.00) = 6,000.00`.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Literal

from pydantic import BaseModel, Field

from dsl import ast
from dsl.printer import expr_text
from dsl.types import T

from incentives.engine import ir, numbers
from incentives.errors import EvaluationError
from incentives.engine.evaluate import CONTEXT
from incentives.engine.compiled import CompiledPlan
from incentives.engine.result import BandHit, ItemResult, PayeeResult

SCHEMA = "incentives.breakdown/1"


class Where(BaseModel):
    """The plan line an amount comes from."""

    file: str
    line: int
    column: int


class Value(BaseModel):
    name: str
    type: str
    value: str | bool | None = Field(description="exact value: decimals as strings, dates ISO 8601")
    shown: str = Field(description="the value as written in the breakdown")
    description: str | None = None
    formula: str | None = Field(None, description="for a definition: its formula with the values filled in")
    where: Where | None = None


class Band(BaseModel):
    """A band for this payee, exact: decimals as strings, percentages as fractions (8% is 0.08)."""

    number: int = Field(description="1-based position of the band in its table")
    lower: str
    upper: str | None
    value: str
    value_to: str | None = None
    portion: str | None = Field(None, description="marginal tiers: the part of the base inside the band")
    amount: str | None = None


class Kpi(BaseModel):
    name: str
    label: str | None
    weight: str
    attainment: str
    curve: str | None
    curved: str
    cap: str | None
    factor: str
    weighted: str
    amount: str


class DealLine(BaseModel):
    """A deal behind a measure or a per-deal tiers line, as credited to this payee."""

    id: str
    date: str
    deal_amount: str = Field(description="the whole deal's amount")
    share: str = Field(description="the payee's share, as a fraction (0.6 is 60%)")
    credit: str = Field(description="owner, split, overlay or rollup")
    via: str | None = Field(None, description="a roll-up: the person below whose credit this is")
    amount: str = Field(description="the credited amount: deal_amount x share")
    value: str | None = Field(None, description="a measure of another column: that column's credited value")
    base: str | None = Field(None, description="per-deal tiers: the base taken for this deal")
    paid: str | None = Field(None, description="per-deal tiers: what this deal pays")
    running_before: str | None = Field(None, description="running tiers: the running total before this deal")


class Measure(BaseModel):
    name: str
    description: str | None
    formula: str = Field(description="the measure as written in the plan")
    value: str
    shown: str
    deals: list[DealLine] = Field([], description="a measure of deals: the credited deals it took")
    people: list[dict] = Field([], description="a measure of team or reports: each person id and value")
    where: Where


class ContestOut(BaseModel):
    name: str
    label: str | None
    qualified: bool
    score: str | None = Field(description="the value the payee is ranked by")
    rank: int = Field(description="the payee's place; 0 when not qualified or not placed")
    tied: int = Field(description="how many share the place (1: no tie)")
    competitors: int = Field(description="qualified entrants in the payee's group")
    prize: str
    where: Where


class Item(BaseModel):
    """A line (pay, tiers, scorecard) or a step (multiplier, cap, floor, gate)."""

    kind: Literal["pay", "pool", "tiers", "scorecard", "multiplier", "cap", "floor", "gate"]
    label: str
    where: Where
    formula: str = Field(description="the computation with the values filled in")
    details: list[str] = Field([], description="one line per band or KPI behind the formula")
    amount: str = Field(description="a line's amount, or the change a step made (negative when it removed)")
    before: str
    after: str
    tier_kind: str | None = None
    base: str | None = None
    reached: int | None = Field(None, description="1-based band reached, if any")
    bands: list[Band] = []
    kpis: list[Kpi] = []
    deals: list[DealLine] = Field([], description="per-deal and running tiers: each deal's part")
    passed: bool | None = None


class Component(BaseModel):
    name: str
    label: str | None
    where: Where
    amount: str
    items: list[Item]


class Award(BaseModel):
    name: str
    label: str | None
    kind: str
    granted: bool
    value: str | None = Field(None, description="cash-equivalent value for cost modelling; not paid as cash")
    where: Where


class PlanInfo(BaseModel):
    name: str
    file: str
    currency: str
    period: str
    rounding: str


class Breakdown(BaseModel):
    """One payee's result explained step by step, in plan terms: the plan, the inputs and measures,
    each definition, component and line with the values it used, the plan-wide adjustments, the total
    and the awards.  Amounts are exact decimal strings; `incentives.render` turns it into text,
    Markdown, HTML or JSON (`model_dump(by_alias=True)` gives the JSON fields)."""

    schema_: str = Field(SCHEMA, alias="schema")
    plan: PlanInfo
    payee: str
    currency: str
    inputs: list[Value]
    measures: list[Measure] = Field([], description="measures of deals, team and reports, with what they took")
    contests: list[ContestOut] = Field([], description="the payee's rank in each contest and what it won")
    definitions: list[Value]
    components: list[Component]
    subtotal: str
    adjustments: list[Item] = Field(description="plan-wide caps and floors applied to the subtotal")
    total: str
    awards: list[Award]

    # the docstring is for Python readers; the published JSON schema (docs/breakdown.schema.json) has no description
    model_config = {"populate_by_name": True,
                    "json_schema_extra": lambda schema, cls: schema.pop("description", None)}


def where(span) -> Where:
    return Where(file=span.file, line=span.line, column=span.column)


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
        if isinstance(n, (ir.Lookup, ir.CurveApply, ir.Func, ir.Cond, ir.InSet)):
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
    def __init__(self, plan: CompiledPlan, result: PayeeResult):
        super().__init__(plan, result.values)
        self.plan = plan.ir
        self.result = result

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
        return Breakdown(
            plan=PlanInfo(name=p.name, file=p.file, currency=p.currency, period=p.period,
                          rounding=f"{p.rounding_mode} at {p.rounding_point}"),
            payee=r.payee, currency=p.currency, inputs=inputs, measures=measures, contests=contests,
            definitions=definitions,
            components=components,
            subtotal=self.a(r.subtotal), adjustments=[self.item(i) for i in r.payout_items],
            total=self.a(r.total), awards=awards,
        )

    def deal(self, d: dict, pay=None, measured: str | None = None) -> DealLine:
        return DealLine(value=None if measured in (None, "amount") else numbers.plain(d.get(measured)),id=str(d["id"]), date=d["date"].isoformat(), deal_amount=self.a(d["deal_amount"]),
                        share=numbers.plain(d["share"]), credit=d["credit"], via=d.get("via"),
                        amount=self.a(d["amount"]),
                        base=None if pay is None else self.a(pay.base), paid=None if pay is None else self.a(pay.amount),
                        running_before=None if pay is None or pay.running_before is None
                        else self.a(pay.running_before))

    def measure(self, m) -> Measure:
        decl = next(x for x in self.plan.measures if x.name == m.name)
        field = f" {decl.field}" if decl.field else ""
        cond = f" where {expr_text(decl.where.src)}" if decl.where is not None else ""
        return Measure(name=m.name, description=decl.description,
                       formula=f"{decl.agg}{field} of {decl.source}{cond}", value=numbers.plain(m.value),
                       shown=self.show(m.value, decl.type), deals=[self.deal(d, None, decl.field) for d in m.deals],
                       people=[{"id": pid, "value": numbers.plain(x), "shown": self.show(x, decl.type)}
                               for pid, x in m.people], where=where(decl.span))

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
            return Item(label=f"{word} on {expr_text(node.base.src)}", base=self.show(i.base, base_t),
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
            label = i.kind if isinstance(source, ast.Literal) else f"{i.kind} {expr_text(source)}"
            return Item(label=label, formula=formula, **common)
        if i.kind == "gate":
            cond = f"{expr_text(node.cond.src)}: {self.fill(node.cond)}"
            if i.passed:
                formula = f"passed ({cond}): unchanged"
            else:
                formula = (f"failed ({cond}): {self.m(i.before)} x {numbers.percent(i.factor)} = {self.m(i.after)}")
            return Item(label=f"gate {expr_text(node.cond.src)}", formula=formula, passed=i.passed, **common)
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


def explain(plan: CompiledPlan, result: PayeeResult) -> Breakdown:
    """The breakdown of a traced result (run the plan with trace=True)."""
    with localcontext(CONTEXT):
        return _Explainer(plan, result).build()


def json_schema() -> dict:
    """The JSON Schema of the breakdown, published as docs/breakdown.schema.json."""
    schema = Breakdown.model_json_schema(by_alias=True)
    schema["$id"] = SCHEMA
    return schema
