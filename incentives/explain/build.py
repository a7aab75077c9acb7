"""Explain a payee's result: every amount traced to its plan line and inputs.

`explain(plan, result)` turns a traced `PayeeResult` into a `Breakdown`, a
pydantic model whose JSON form is the documented, versioned breakdown schema
(`SCHEMA`).  Formulas show the values filled in, for example
`12% x (150,000.00 - 100,000.00) = 6,000.00`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext

from dsl.printer import expr_text, measured_text
from dsl.types import T
from incentives.engine import ir, numbers
from incentives.engine.compiled import CompiledPlan
from incentives.engine.evaluate import CONTEXT
from incentives.engine.result import ItemResult, PayeeResult
from incentives.engine.schedule import DealScope
from incentives.errors import EvaluationError

from .lines import parts_of
from .model import (  # noqa: F401
    SCHEMA,
    ActivityLine,
    Award,
    Band,
    Breakdown,
    Component,
    ContestOut,
    CurrencyTotal,
    DealLine,
    ExcludedDeal,
    Item,
    Kpi,
    Measure,
    PeriodInfo,
    PlanInfo,
    Statement,
    Value,
    Where,
    construct,
    where,
)


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


_BREAKDOWN_GIVEN = {"plan", "payee", "name", "role", "period", "currency", "inputs", "measures", "contests",
                    "definitions", "components", "subtotal", "adjustments", "total", "awards", "awards_value"}
_REASONS = ("status", "period", "condition")
_new, _set = object.__new__, object.__setattr__


def _str_or_none(x) -> bool:
    return x is None or type(x) is str


class _Explainer:
    """One payee's breakdown: the plan's parts (worked out once per plan) with this payee's values.
    Models are made with `construct`; values taken from outside the engine (the payee's inputs,
    the deals' columns, the people table) are checked first, and anything unusual is given to the
    model to validate, as it was given before."""

    def __init__(self, plan: CompiledPlan, result: PayeeResult, person=None):
        self.parts = parts_of(plan)
        self.deal_fns = plan.evaluator.deal_compile  # what a measure of an expression took of each deal
        self.plan = plan.ir
        self.result = result
        self.values = result.values
        self.person = person
        self.digits = plan.ir.minor_units

    def show(self, v, t: T) -> str:
        return numbers.value(v, t, self.digits)

    def m(self, d: Decimal | None) -> str:
        """An amount for a person: grouped, as in formulas."""
        return "-" if d is None else numbers.money(d, self.digits)

    def a(self, d: Decimal | None) -> str | None:
        """An amount for a machine: exact, ungrouped, at least the minor unit."""
        return None if d is None else numbers.exact(d, self.digits)

    # ---- the parts of a breakdown ----
    def build(self) -> Breakdown:
        p, r, parts = self.plan, self.result, self.parts
        values, a = r.values, self.a
        inputs = [self.value(name, t, values.get(name), description, span)
                  for name, t, description, span in parts.inputs]
        definitions = [self.value(name, t, values.get(name), description, span, formula)
                       for name, t, description, span, formula in parts.lets]
        measures = [self.measure(m) for m in r.measures]
        contests = [self.contest(c) for c in r.contests]
        at = parts.where
        components = [construct(Component, {"name": c.name, "label": c.label, "where": at(c.span),
                                            "amount": a(c.amount), "items": [self.item(i) for i in c.items]},
                                {"name", "label", "where", "amount", "items"}) for c in r.components]
        awards = [self.award(x) for x in r.awards]
        granted = sum((x.value for x in r.awards if x.granted and x.value is not None), Decimal(0)) \
            if r.awards else Decimal(0)
        person = self.person
        values = {"schema_": SCHEMA, "plan": parts.plan_info(), "payee": r.payee,
                  "name": getattr(person, "name", None) or None, "role": getattr(person, "role", None) or None,
                  "period": period_info(values.get("period_start"), values.get("period_end")),
                  "currency": p.currency, "inputs": inputs, "measures": measures, "contests": contests,
                  "definitions": definitions, "components": components, "subtotal": a(r.subtotal),
                  "adjustments": [self.item(i) for i in r.payout_items], "total": a(r.total), "awards": awards,
                  "awards_value": a(granted)}
        if type(values["payee"]) is not str or not _str_or_none(values["name"]) \
                or not _str_or_none(values["role"]) or type(values["currency"]) is not str:
            del values["schema_"]
            return Breakdown(**values)  # validated, as given
        return construct(Breakdown, values, _BREAKDOWN_GIVEN.copy())

    def value(self, name: str, t: T, v, description, span, formula=None) -> Value:
        """An input (or, with its formula, a definition) and its value for this payee."""
        plain, shown = numbers.plain(v), numbers.value(v, t, self.digits)
        text = None if formula is None else f"{formula[0]} = {formula[1](self.values, v)}"
        at = self.parts.where(span)
        if plain is None or type(plain) is str or type(plain) is bool:
            m = _new(Value)
            _set(m, "__dict__", {"name": name, "type": t.value, "value": plain, "shown": shown,
                                 "description": description, "formula": text, "where": at})
            _set(m, "__pydantic_fields_set__", {"name", "type", "value", "shown", "description", "where"}
                 if formula is None else {"name", "type", "value", "shown", "description", "formula", "where"})
            _set(m, "__pydantic_extra__", None)
            _set(m, "__pydantic_private__", None)
            return m
        given = {"name": name, "type": t.value, "value": plain, "shown": shown, "description": description}
        if formula is not None:
            given["formula"] = text
        return Value(**given, where=at)  # not a value of the plan's types: validated, as given

    def item(self, i: ItemResult) -> Item:
        return self.parts.line(i.node).explain(self, i)

    def contest(self, c) -> ContestOut:
        declared = {x.name: x for x in self.plan.contests}[c.name]
        given = {"name": c.name, "label": declared.label, "qualified": c.qualified,
                 "score": None if c.score is None else numbers.plain(c.score), "rank": int(c.rank), "tied": c.tied,
                 "competitors": int(c.competitors), "prize": self.a(c.prize), "where": where(declared.span)}
        if type(c.name) is not str or type(c.qualified) is not bool or type(c.tied) is not int \
                or not _str_or_none(given["score"]):
            return ContestOut(**given)
        return construct(ContestOut, given, set(given))

    def award(self, a) -> Award:
        given = {"name": a.name, "label": a.label, "kind": a.kind, "granted": a.granted, "value": self.a(a.value),
                 "where": where(a.span)}
        if type(a.granted) is not bool:
            return Award(**given)
        return construct(Award, given, set(given))

    def deal(self, d: dict, pay=None, measured: str | None = None, cls=DealLine, **extra) -> DealLine:
        other = measured not in (None, "amount")
        raw = d.get(measured) if other else None
        missing = isinstance(raw, ir.Missing)  # an empty optional column: shown as missing, never as a number
        a = self.a
        value = None if missing or not other else numbers.plain(raw)
        shown = ("missing" if missing else self.show(raw, self.plan.deal_fields.get(measured, T.NUMBER))) \
            if other else None
        values = {"id": str(d["id"]), "date": d["date"].isoformat(), "deal_amount": a(d["deal_amount"]),
                  "share": numbers.plain(d["share"]), "credit": d["credit"], "via": d.get("via"),
                  "amount": a(d["amount"]), "value": value, "shown": shown,
                  "base": None if pay is None else a(pay.base), "paid": None if pay is None else a(pay.amount),
                  "running_before": None if pay is None or pay.running_before is None else a(pay.running_before)}
        if extra:
            values.update(extra)
        if not (_str_or_none(value) and type(values["date"]) is str and type(values["share"]) is str
                and type(values["credit"]) is str and _str_or_none(values["via"])
                and (not extra or (extra.get("reason") in _REASONS and type(extra.get("why")) is str))):
            return cls(**values)  # not what crediting makes: validated, as given
        return construct(cls, values, set(values))

    def measured(self, d: dict, decl: ir.Measure) -> DealLine:
        """A deal a measure took, with what it took of it: a column other than `amount`, or the value
        of the measured expression for this deal (worked out again, exactly, from the same values)."""
        if decl.value is None:
            return self.deal(d, None, decl.field)
        with localcontext(CONTEXT):
            x = self.deal_fns(decl.value)(DealScope(self.values, d))
        line = self.deal(d)
        # what line.model_copy(update={"value": ..., "shown": ...}) makes (the update is not validated)
        values = line.__dict__.copy()
        values["value"], values["shown"] = numbers.plain(x), self.show(x, decl.type)
        return construct(type(line), values, line.__pydantic_fields_set__ | {"value", "shown"})

    def activity(self, a: dict, decl: ir.Measure) -> ActivityLine:
        """An activity a measure took, with what it took of it (a column, or the measured expression)."""
        x = None
        if decl.value is not None:
            with localcontext(CONTEXT):
                x = self.deal_fns(decl.value)(DealScope(self.values, a))
        elif decl.field is not None:
            x = a.get(decl.field)
        values = {"id": str(a["id"]), "date": a["date"].isoformat(), "type": str(a.get("type") or ""),
                  "value": None if x is None else numbers.plain(x),
                  "shown": None if x is None else self.show(x, decl.type)}
        if type(values["date"]) is not str or not _str_or_none(values["value"]):
            return ActivityLine(**values)  # validated, as given
        return construct(ActivityLine, values, {"id", "date", "type", "value", "shown"})

    def measure(self, m) -> Measure:
        decl = self.parts.measures.get(m.name)
        if decl is None:
            decl = next(x for x in self.plan.measures if x.name == m.name)
        formula = self.parts.measure_formula(decl)
        value, shown = numbers.plain(m.value), self.show(m.value, decl.type)
        if decl.source == "activities":
            values = {"name": m.name, "description": decl.description, "formula": formula, "value": value,
                      "shown": shown, "deals": [], "excluded": [], "people": [],
                      "activities": [self.activity(a, decl) for a in m.deals], "where": where(decl.span)}
            given = {"name", "description", "formula", "value", "shown", "activities", "where"}
        else:
            values = {"name": m.name, "description": decl.description, "formula": formula, "value": value,
                      "shown": shown, "deals": [self.measured(d, decl) for d in m.deals],
                      "excluded": [self.deal(d, None, decl.field, ExcludedDeal, reason=kind, why=why)
                                   for d, kind, why in getattr(m, "excluded", ())],
                      "people": [{"id": pid, "value": numbers.plain(x), "shown": self.show(x, decl.type)}
                                 for pid, x in m.people], "activities": [], "where": where(decl.span)}
            given = {"name", "description", "formula", "value", "shown", "deals", "excluded", "people", "where"}
        if type(m.name) is not str or type(value) is not str:
            return Measure(**{k: values[k] for k in values if k in given})  # validated, as given
        return construct(Measure, values, given)

    @staticmethod
    def measure_formula(decl: ir.Measure) -> str:
        field = (f" {decl.field}" if decl.field else
                 f" {measured_text(decl.value.src)}" if decl.value is not None else "")
        cond = f" where {expr_text(decl.where.src)}" if decl.where is not None else ""
        return f"{decl.agg}{field} of {decl.source}{cond}"


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
    return construct(PeriodInfo, {"start": start.isoformat(), "end": end.isoformat(), "label": label},
                     {"start", "end", "label"})


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
