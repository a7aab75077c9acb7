"""Lowering: a checked plan (AST with types) to the IR (`incentives.ir`).

Names are resolved to what they are (an input, a definition, a component, a
deal column, a measure, the period), `of` becomes multiplication, tables
become dictionaries, examples' constants stay expressions (evaluated when the
example runs), and the deal columns the plan reads are collected.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from dsl import ast
from dsl.check import CheckedPlan
from dsl.check_expr import fold
from dsl.check_rules import conjuncts
from dsl.check_sales import PERIOD_NAMES, is_result_measure
from dsl.periods import period_bounds
from dsl.types import INPUT_TYPES, T

from .schedule import schedule_of
from .ir_time import Clawback, Draw

from .ir import (Award, Expr, Item, Band, Cap, Component, Cond, Const, Contest, CreditRow, CurveApply, Example, ExampleSales,
                 Expectation, Floor, Func, Gate, InSet, IsMissing, Kpi, Law, Let, Lookup, Measure, Multiplier, Op, Pay,
                 Param, Plan, Pool, Property, Record, RuleCase, RuleRef, Rules, Scorecard, Table, Tiers, Var, walk)


class _Lower:
    def __init__(self, checked: CheckedPlan):
        self.c = checked
        self.lets = {d.name.text for d in checked.lets}
        self.components = {d.name.text for d in checked.components}
        self.rule_decls = {d.name.text: d for d in checked.plan.of_type(ast.RulesDecl)}

    def expr(self, e: ast.Expr) -> Expr:
        t = self.c.type_of(e)
        if isinstance(e, ast.Literal):
            return Const(e.value, t, e)
        if isinstance(e, ast.Name) and e.id in self.rule_decls and e.id not in self.c.value_types:
            return RuleRef(e.id, t, e)
        if isinstance(e, ast.IsMissing):
            return IsMissing(e.operand.id, e.negated, T.BOOL, e)
        if isinstance(e, ast.Name):
            kind = ("input" if e.id in self.c.inputs else "let" if e.id in self.lets
                    else "param" if e.id in self.c.params
                    else "component" if e.id in self.components else "deal" if e.id in self.c.deal_fields or e.id in self.c.activity_fields
                    else "measure" if e.id in self.c.measures
                    else "period" if e.id in PERIOD_NAMES else "result")
            return Var(e.id, t, kind, e)
        if isinstance(e, ast.Unary):
            return Op("neg" if e.op == "-" else "not", (self.expr(e.operand),), t, e)
        if isinstance(e, ast.Binary):
            op = "*" if e.op == "of" else e.op
            return Op(op, (self.expr(e.left), self.expr(e.right)), t, e)
        if isinstance(e, ast.Compare):
            return Op(e.op, (self.expr(e.left), self.expr(e.right)), T.BOOL, e)
        if isinstance(e, ast.InSet):
            return InSet(self.expr(e.operand), frozenset(i.value for i in e.items), T.BOOL, e)
        if isinstance(e, ast.InPeriod):  # period_start <= date <= period_end, shown so in explanations
            x = self.expr(e.operand)
            return Op("and", (Op(">=", (x, Var("period_start", T.DATE, "period", e)), T.BOOL, e),
                              Op("<=", (x, Var("period_end", T.DATE, "period", e)), T.BOOL, e)), T.BOOL, e)
        if isinstance(e, ast.If):
            return Cond(self.expr(e.cond), self.expr(e.then), self.expr(e.otherwise), t, e)
        if isinstance(e, ast.Call):
            name = e.func.text
            if name in self.c.tables:
                return Lookup(name, tuple(self.expr(a) for a in e.args), t, e)
            if name in self.c.curves:
                return CurveApply(name, self.expr(e.args[0]), t, e)
            if name == "round":
                value, places, mode = e.args
                return Func("round", (self.expr(value), Const(places.value, T.NUMBER, places)), t, mode.id, e)
            if name in ("rank", "prize", "competitors"):
                return Func(name, (Const(e.args[0].id, T.TEXT, e.args[0]),), t, None, e)
            return Func(name, tuple(self.expr(a) for a in e.args), t, None, e)
        raise TypeError(e)  # pragma: no cover

    def opt(self, e):
        return None if e is None else self.expr(e)

    def bands(self, bands: list[ast.Band]) -> tuple[Band, ...]:
        return tuple(Band(self.expr(b.lower), self.opt(b.upper), self.expr(b.value), self.opt(b.value_to), b.span)
                     for b in bands)

    def item(self, i, key: str = "") -> Item:
        if isinstance(i, ast.PayLine):
            return Pay(self.expr(i.expr), i.label, i.span)
        if isinstance(i, ast.PoolLine):
            return Pool(key, self.expr(i.amount), i.among.text, self.opt(i.by), i.label, i.span)
        if isinstance(i, ast.TiersLine):
            return Tiers(i.kind.text, self.expr(i.base), self.bands(i.bands), i.upper_inclusive, i.label, i.span,
                         i.per, self.opt(i.where))
        if isinstance(i, ast.ScorecardLine):
            kpis = tuple(Kpi(k.name.text, k.label, self.expr(k.weight), self.expr(k.attainment),
                             None if k.curve is None or k.curve.text == "linear" else k.curve.text,
                             self.opt(k.cap), k.span) for k in i.kpis)
            return Scorecard(self.expr(i.target), kpis, self.opt(i.cap), i.label, i.span)
        if isinstance(i, ast.MultiplierStep):
            return Multiplier(self.expr(i.base), self.bands(i.bands), i.span, i.label, i.upper_inclusive)
        if isinstance(i, ast.CapStep):
            return Cap(self.expr(i.expr), i.span, i.label)
        if isinstance(i, ast.FloorStep):
            return Floor(self.expr(i.expr), i.span, i.label)
        if isinstance(i, ast.GateStep):
            factor = self.expr(i.otherwise) if i.otherwise is not None else Const(Decimal(0), T.PERCENT)
            return Gate(self.expr(i.cond), factor, i.span, i.label)
        raise TypeError(i)  # pragma: no cover

    def rules(self) -> dict[str, Rules]:
        """Each rule table with its cases in the order they are tried: most conditions first, then as written."""
        out = {}
        for name, d in self.rule_decls.items():
            cases = sorted((RuleCase(self.expr(r.cond), self.expr(r.value), len(conjuncts(r.cond)), r.span)
                            for r in d.rules), key=lambda case: -case.conditions)
            default = self.expr(d.default) if d.default is not None else Const(None, T.ERROR)
            out[name] = Rules(name, tuple(cases), default, INPUT_TYPES.get(d.type.text, T.ERROR), d.description,
                              d.span)
        return out

    def plan(self) -> Plan:
        c = self.c
        tables = {}
        for name, d in c.tables.items():
            rows = {tuple(k.value for k in row.keys): self.expr(row.value) for row in d.rows}
            key_types = tuple(T(kt.text) for _, kt in d.keys)
            tables[name] = Table(name, key_types, rows, self.opt(d.default), d.span)
        payout = c.payout
        return Plan(
            name=c.name, file=c.plan.source.name, currency=c.currency, minor_units=c.minor_units,
            period=c.period, effective=c.effective, rounding_mode=c.rounding_mode,
            rounding_point=c.rounding_point, inputs=c.inputs,
            lets=tuple(Let(d.name.text, self.expr(d.expr), d.description, d.span) for d in c.lets),
            tables=tables,
            curves={name: self.bands(d.bands) for name, d in c.curves.items()},
            components=tuple(Component(d.name.text, d.label,
                                       tuple(self.item(i, f"{d.name.text}#{n}") for n, i in enumerate(d.items)),
                                       d.span, d.ytd is not None) for d in c.components),
            awards=tuple(Award(a.name.text, a.label, a.kind.text, self.opt(a.when), self.opt(a.value), a.span)
                         for a in c.awards),
            payout=tuple(self.item(s) for s in payout.steps) if payout else (),
            payout_span=payout.span if payout else None,
            examples=tuple(self.example(x) for x in c.examples),
            properties=tuple(Property(p.label, tuple(self.expr(a) for a in p.assumes),
                                      tuple(self.law(law) for law in p.laws), p.span,
                                      p.over is not None and p.over.text == "deals",
                                      p.over is not None and p.over.text == "periods")
                             for p in c.properties),
            deal_fields=dict(c.deal_fields), crediting=c.crediting,
            measures=tuple(Measure(name, m.decl.agg.text, m.decl.field.text if m.decl.field else None,
                                   m.decl.source.text, self.opt(m.decl.where), m.type, m.decl.description,
                                   m.decl.span, is_result_measure(m.decl, self.components | {"total"}),
                                   self.opt(m.decl.value))
                           for name, m in c.measures.items()),
            givable={**c.inputs, **c.measures},
            deal_field_infos=dict(c.deal_field_infos),
            rules=self.rules(),
            optional_columns=frozenset(n for n, i in [*c.deal_field_infos.items(), *c.activity_field_infos.items()]
                                       if getattr(i.decl, "optional", False)),
            activity_fields=dict(c.activity_fields), activity_field_infos=dict(c.activity_field_infos),
            contests=tuple(Contest(k.name.text, k.label, self.expr(k.rank_by), k.among.text if k.among else "all",
                                   self.opt(k.qualify), k.ties.text if k.ties else "shared",
                                   tuple(self.expr(b) for b in k.tie_breakers), tuple(self.expr(p) for p in k.prizes),
                                   int(fold(k.places)) if k.places is not None else
                                   (len(k.prizes) or None), k.span) for k in c.contests),
            partial=c.partial, days=c.days, fx=c.fx,
            draw=self.draw(c.draws[0]) if c.draws else None,
            clawbacks=tuple(self.clawback(k) for k in c.clawbacks),
            params={name: Param(name, p.type, p.default, p.range, p.decl.description, p.decl.span)
                    for name, p in c.params.items()},
        )

    def draw(self, d: ast.DrawDecl) -> Draw:
        return Draw(d.name.text, d.label, self.expr(d.amount), d.prorated,
                    d.kind is None or d.kind.text == "recoverable", self.opt(d.recover),
                    int(d.delay.value) if d.delay is not None else 0, self.opt(d.cap),
                    int(d.periods.value) if d.periods is not None else None,
                    frozenset(e.text for e in d.forgive), d.span)

    def clawback(self, k: ast.ClawbackDecl) -> Clawback:
        return Clawback(k.name.text, k.label, self.opt(k.when), int(k.within.value),
                        Decimal(fold(k.take)) if k.take is not None else Decimal(1),
                        int(k.straight.value) if k.straight is not None else None,
                        frozenset(e.text for e in k.forgive), k.span)

    def example(self, x: ast.ExampleDecl) -> Example:
        expects = tuple(Expectation(e.name.text, self.opt(e.value), e.award, e.span,
                                    e.payee.text if e.payee is not None else None,
                                    e.deal.text if e.deal is not None else None) for e in x.expects)
        sales = None
        period = None
        if x.period is not None:
            period = (period_bounds(x.period.name.text) if x.period.name is not None
                      else (x.period.start.value, x.period.end.value))
        if x.has_sales:
            records = {kind: tuple(Record(r.id.text, {f.name.text: self.expr(f.value) for f in r.fields}, r.span)
                                   for r in x.records if r.kind == kind) for kind in ("person", "deal", "activity")}
            credits = tuple(CreditRow(r.kind, r.deal.text, self.expr(r.share), r.person.text, r.span)
                            for r in x.credits)
            sales = ExampleSales(period, records["person"], records["deal"], credits,
                                 {f.kind: f.path.text for f in x.files}, x.span, records["activity"])
        return Example(x.label, {g.name.text: self.expr(g.value) for g in x.givens}, expects, x.span, sales, period)

    def deal_columns(self, plan: "Plan", source: str = "deals") -> frozenset[str]:
        """The columns of deals (or of activities: source "activities") the plan reads."""
        measures = [m for m in plan.measures if (m.source == "activities") == (source == "activities")]
        used = {m.field for m in measures if m.source == source and m.field}
        roots = [measures, plan.components] if source == "deals" else [measures]
        refs = {n.name for n in walk(roots) if isinstance(n, RuleRef)}
        rules = [plan.rules[name] for name in sorted(refs)]
        used.update(n.name for n in walk([*roots, rules]) if isinstance(n, Var) and n.kind == "deal")
        return frozenset(used)

    def law(self, law) -> Law:
        if isinstance(law, ast.Monotone):
            return Law(None, (law.target.text, law.input.text), law.span)
        return Law(self.expr(law), None, law.span)


def lower(checked: CheckedPlan) -> Plan:
    """Turn a checked plan into IR."""
    lowering = _Lower(checked)
    plan = lowering.plan()
    plan = replace(plan, deal_columns=lowering.deal_columns(plan),
                   activity_columns=lowering.deal_columns(plan, "activities"))
    return replace(plan, stages=schedule_of(plan))
