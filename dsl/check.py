"""Static checks of a parsed plan: names, types, units, bands, tables, weights.

`check(plan)` returns a `CheckedPlan` (the AST plus what the checker learnt:
the type of every expression, the inputs, the order of definitions) or raises
`PlanError` with every error found.  Warnings ride along on the result.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from . import ast
from .check_bands import TIER_KINDS, BandChecker
from .check_numbers import check_literals
from .check_params import ParamInfo, check_params
from .check_expr import BUILTINS, CONTEST_RESULTS, ROUNDING_MODES, ExprChecker, Scope, fold
from .check_tables import check_table, check_table_keys
from .check_rules import check_rules, optional_columns
from .check_activities import activity_fields, check_activity_names
from .check_measures import check_person_definitions, let_order, running_bands_scope
from .check_sales import (PERIOD_NAMES, check_contest, check_deal_names, check_measure, check_pool,
                          crediting_rules, deal_fields, is_result_measure, paid_later)
from .check_time import check_clawbacks, check_dated_lets, check_draws, check_prorated, header_time
from .check_tests import RESULT_NAMES, ExampleContext, check_example, check_property
from .currencies import currency_digits, is_currency
from .diagnostics import Diagnostic, PlanError, Severity
from .lint import lint
from .printer import decimal_text, expr_text
from .source import Span
from .types import DIMENSIONLESS, INPUT_TYPES, T, describe, fits

PERIODS = ("month", "quarter", "half", "year")
ROUNDING_POINTS = ("line", "component", "payout")
#: Words that can never be read as a name in an expression.
RESERVED = ("true", "false", "if", "then", "else", "not", "and", "or", "in", "of", "total", "subtotal",
            "period_start", "period_end", "period_days", "days_active", "participation",
            "payee")  # payee: the id column of every output row
AWARD_KINDS = ("title", "trip", "training", "promotion", "recognition", "mentoring", "prize", "other")


@dataclass
class InputInfo:
    name: str
    type: T
    decl: ast.InputDecl | ast.MeasureDecl
    default: Any = None
    has_default: bool = False
    range: tuple[Any, Any] | None = None
    choices: list[Any] | None = None


@dataclass
class CheckedPlan:
    plan: ast.Plan
    name: str
    currency: str
    minor_units: int
    period: str
    effective: tuple | None
    rounding_mode: str
    rounding_point: str
    inputs: dict[str, InputInfo]
    lets: list[ast.LetDecl]
    tables: dict[str, ast.TableDecl]
    curves: dict[str, ast.CurveDecl]
    components: list[ast.ComponentDecl]
    awards: list[ast.AwardDecl]
    payout: ast.PayoutDecl | None
    types: dict[int, T]
    value_types: dict[str, T]
    examples: list[ast.ExampleDecl] = field(default_factory=list)
    properties: list[ast.PropertyDecl] = field(default_factory=list)
    deal_fields: dict[str, T] = field(default_factory=dict)
    crediting: frozenset[str] = frozenset()
    measures: dict[str, InputInfo] = field(default_factory=dict)  # measures, given like inputs in plan tests
    contests: list[ast.ContestDecl] = field(default_factory=list)
    deal_field_infos: dict[str, InputInfo] = field(default_factory=dict)  # declared deal columns' ranges, values
    warnings: list[Diagnostic] = field(default_factory=list)
    activity_fields: dict[str, T] = field(default_factory=dict)  # activity columns: standard and declared
    activity_field_infos: dict[str, InputInfo] = field(default_factory=dict)
    partial: bool = False  # `partial periods`: a run may cover any dates inside the effective range
    days: str = "calendar"  # how participation counts days: calendar or working
    fx: str = "close"  # which date picks a deal's currency rate: close or period_end
    draws: list[ast.DrawDecl] = field(default_factory=list)
    clawbacks: list[ast.ClawbackDecl] = field(default_factory=list)
    params: dict[str, ParamInfo] = field(default_factory=dict)  # `param` declarations, by name

    @property
    def reads_deals(self) -> bool:
        return any(m.decl.source.text == "deals" for m in self.measures.values()) or any(
            isinstance(i, ast.TiersLine) and i.per for c in self.components for i in c.items)

    def type_of(self, e: ast.Expr) -> T:
        return self.types.get(id(e), T.ERROR)


def check(plan: ast.Plan) -> CheckedPlan:
    return _Checker(plan).run()


class _Checker:
    def __init__(self, plan: ast.Plan):
        self.plan = plan
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, node, message: str, code: str, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(node.span, message, code, hint=hint))

    # ---- the whole plan ----
    def run(self) -> CheckedPlan:
        plan = self.plan
        too_large = check_literals(plan)
        if too_large:  # before anything computes with them
            raise PlanError(too_large, plan.source)
        header = self._header()
        self.currency = header["currency"]
        self.exprs = ExprChecker(self.currency, self.errors, self.warnings)
        self.bands = BandChecker(self.exprs, self.errors, self.warnings)
        self._unique_names()
        params = check_params(plan.of_type(ast.ParamDecl), self.exprs, self.errors)
        self.fixed = {name: p.type for name, p in params.items()}  # what tables, curves and prizes may read

        tables = {d.name.text: d for d in plan.of_type(ast.TableDecl)}
        for t in tables.values():
            check_table(t, self.exprs, self.errors, self.fixed)
        curves = {d.name.text: d for d in plan.of_type(ast.CurveDecl)}
        curve_types = {name: self._curve(c) for name, c in curves.items()}

        inputs = {d.name.text: self._input(d) for d in plan.of_type(ast.InputDecl)}
        check_prorated(plan.of_type(ast.InputDecl), self.errors)
        check_dated_lets(plan.of_type(ast.LetDecl), self.errors)
        values: dict[str, T] = {**PERIOD_NAMES, **self.fixed, **{name: info.type for name, info in inputs.items()}}
        self.fields = deal_fields(plan.of_type(ast.DealsDecl), self.errors)
        field_infos = {f.name.text: self._input(f) for d in plan.of_type(ast.DealsDecl)[:1] for f in d.fields
                       if f.name.text in self.fields}
        self.activity_fields, activity_infos, optional = activity_fields(plan.of_type(ast.ActivitiesDecl),
                                                                         self._input, self.errors)
        self.exprs.optional = optional_columns(plan.of_type(ast.DealsDecl), self.errors) | optional
        self.exprs.rules = check_rules(plan.of_type(ast.RulesDecl), values, self.fields,
                                       Scope({}, tables, curve_types), self.exprs, self.errors)
        rules = crediting_rules(plan.of_type(ast.CreditingDecl), self.errors)
        lets = let_order(plan.of_type(ast.LetDecl), self.errors)
        measures = self._measures(plan, values, lets, tables, curve_types)
        later_lets = [let for let in lets if let.name.text not in self.person_lets]  # the rest: typed here
        values.update({let.name.text: T.ERROR for let in later_lets})  # a cycle is reported once, not per use
        components = plan.of_type(ast.ComponentDecl)
        contests = plan.of_type(ast.ContestDecl)
        all_contests = frozenset(c.name.text for c in contests)
        scope = Scope(values, tables, curve_types, "in definitions", frozenset(c.name.text for c in components),
                      frozenset(), all_contests, later=self.paid_later)
        for let in later_lets:
            values[let.name.text] = self.exprs.check(let.expr, scope)
        self.inputs = inputs

        for c in contests:
            check_contest(c, replace(scope, where="in a contest"), self.exprs, self.errors,
                          currency_digits(self.currency), params)
        ranked = Scope({**values, **self.pay_measures}, tables, curve_types, "here", scope.components, all_contests,
                       all_contests)
        # pools are shared out before anyone is ranked or paid: no contest results, no measures of pay
        self.pool_scope = Scope(values, tables, curve_types, "in a pool (pools are shared before contests are "
                                "decided)", scope.components, frozenset(), all_contests, later=self.paid_later)
        for c in components:
            self._component(c, ranked)
        after = Scope({**values, **self.pay_measures, **{c.name.text: T.MONEY for c in components}}, tables,
                      curve_types,
                      contests=all_contests, all_contests=all_contests)
        awards = plan.of_type(ast.AwardDecl)
        for a in awards:
            self._award(a, after)
        payouts = plan.of_type(ast.PayoutDecl)
        for extra in payouts[1:]:
            self.error(extra, "a plan has one `payout` block", "duplicate")
        for p in payouts:
            for step in p.steps:
                self.exprs.expect(step.expr, after, {T.MONEY}, f"a plan-wide {_step_word(step)}")
        draws, clawbacks = plan.of_type(ast.DrawDecl), plan.of_type(ast.ClawbackDecl)
        check_draws(draws, self.exprs, replace(scope, where="in a draw"), self.errors)
        reads_deals = any(m.decl.source.text == "deals" for m in measures.values()) or any(
            isinstance(i, ast.TiersLine) and i.per for c in components for i in c.items)
        check_clawbacks(clawbacks, self.exprs, Scope({**values, **self.fields}, tables, curve_types,
                                                     "in a clawback's `when`"), reads_deals, self.errors)
        examples, properties = plan.of_type(ast.ExampleDecl), plan.of_type(ast.PropertyDecl)
        component_names = {c.name.text for c in components}
        award_names = {a.name.text for a in awards}
        givable = {**inputs, **measures}
        context = ExampleContext(inputs, measures, component_names, award_names, self.fields, field_infos, rules,
                                 header["effective"] is not None, self.activity_fields, activity_infos)
        context.named = {n: t for n, t in values.items() if t is not T.ERROR}
        for ex in examples:
            check_example(ex, context, self.exprs, self.errors)
        results = Scope({**after.values, **{n: T.MONEY for n in RESULT_NAMES},
                         **{a: T.BOOL for a in award_names}}, tables, curve_types, contests=all_contests,
                        all_contests=all_contests)
        for prop in properties:
            check_property(prop, results, givable, self.exprs, self.errors, sales=bool(measures or contests) or any(
                (isinstance(i, ast.TiersLine) and i.per) or isinstance(i, ast.PoolLine)
                for c in components for i in c.items))
        if not components and not awards:
            self.error(plan.header or _first(plan), "the plan pays nothing: add a `component` or an `award`",
                       "empty-plan")
        check_table_keys(self.exprs.table_calls, inputs, self.errors)

        if not self.errors:
            self.warnings.extend(lint(plan, inputs, self.exprs.types, self.currency, params))
        if self.errors:
            self.errors.sort(key=lambda d: (d.span.line, d.span.column))
            raise PlanError(self.errors + self.warnings, plan.source)
        return CheckedPlan(
            plan=plan, name=header["name"], currency=self.currency,
            minor_units=currency_digits(self.currency), period=header["period"],
            effective=header["effective"], rounding_mode=header["mode"], rounding_point=header["point"],
            inputs=inputs, lets=lets, tables=tables, curves=curves, components=components, awards=awards,
            payout=payouts[0] if payouts else None, types=self.exprs.types, value_types=values,
            examples=examples, properties=properties, deal_fields=self.fields, crediting=rules,
            measures=measures, contests=contests, deal_field_infos=field_infos,
            activity_fields=self.activity_fields, activity_field_infos=activity_infos,
            partial=header["partial"], days=header["days"], fx=header["fx"], draws=draws, clawbacks=clawbacks,
            params=params,
            warnings=sorted(self.warnings, key=lambda d: (d.span.line, d.span.column)),
        )

    def _header(self) -> dict:
        headers = self.plan.of_type(ast.PlanHeader)
        out = {"name": "", "currency": None, "period": "month", "effective": None,
               "mode": "half_up", "point": "line", "partial": False, "days": "calendar", "fx": "close"}
        if not headers:
            self.error(_first(self.plan), "the plan has no header: start it with "
                       "`plan \"Name\" { currency USD period quarter }`", "no-header")
            return out
        for extra in headers[1:]:
            self.error(extra, "a plan has one header; this is a second `plan` block", "duplicate")
        h = headers[0]
        out["name"] = h.name
        out.update(header_time(h, self.errors))
        if h.currency is None:
            self.error(h, "the plan must say its currency, for example `currency USD`", "no-currency")
        elif not is_currency(h.currency.text):
            self.error(h.currency, f"`{h.currency.text}` is not an ISO 4217 currency code", "currency",
                       hint="for example USD, EUR, CNY, JPY")
        else:
            out["currency"] = h.currency.text
        if h.period is None:
            self.error(h, "the plan must say its period: " + ", ".join(PERIODS), "no-period")
        elif h.period.text not in PERIODS:
            self.error(h.period, f"unknown period `{h.period.text}`", "period", hint="periods are " + ", ".join(PERIODS))
        else:
            out["period"] = h.period.text
        if h.effective is not None:
            start, end = h.effective
            if end.value < start.value:
                self.error(end, f"the plan ends ({end.text}) before it starts ({start.text})", "dates")
            out["effective"] = (start.value, end.value)
        if h.rounding_mode is not None:
            if h.rounding_mode.text not in ROUNDING_MODES:
                self.error(h.rounding_mode, f"unknown rounding mode `{h.rounding_mode.text}`", "round",
                           hint="modes are " + ", ".join(ROUNDING_MODES))
            else:
                out["mode"] = h.rounding_mode.text
        if h.rounding_point is not None:
            if h.rounding_point.text not in ROUNDING_POINTS:
                self.error(h.rounding_point, f"unknown rounding point `{h.rounding_point.text}`", "round",
                           hint="round at " + ", ".join(ROUNDING_POINTS))
            else:
                out["point"] = h.rounding_point.text
        return out

    def _unique_names(self) -> None:
        seen: dict[str, ast.Ident] = {}
        for d in self.plan.decls:
            name = getattr(d, "name", None)
            if not isinstance(name, ast.Ident):
                continue
            if name.text in seen:
                first = seen[name.text]
                self.error(name, f"`{name.text}` is already defined on line {first.span.line}", "duplicate")
            else:
                seen[name.text] = name
            if name.text == "linear" and isinstance(d, ast.CurveDecl):
                self.error(name, "`linear` names the straight curve of a KPI; choose another name", "reserved")
            elif name.text in BUILTINS and (name.text not in CONTEST_RESULTS
                                            or isinstance(d, (ast.TableDecl, ast.CurveDecl))):
                self.error(name, f"`{name.text}` is a built-in function; choose another name", "reserved")
            elif name.text in RESERVED:
                self.error(name, f"`{name.text}` is a word of the language and cannot be used as a name", "reserved")

    # ---- declarations ----
    def _measures(self, plan: ast.Plan, values: dict[str, T], lets: list[ast.LetDecl], tables: dict,
                  curves: dict[str, T]) -> dict[str, InputInfo]:
        """Type every measure (deal measures first: people measures aggregate them) into values."""
        decls = plan.of_type(ast.MeasureDecl)
        if decls or any(isinstance(i, ast.TiersLine) and i.per for c in plan.of_type(ast.ComponentDecl)
                        for i in c.items):
            check_deal_names(plan, self.fields, self.errors)
        out: dict[str, InputInfo] = {}
        people = dict(values)
        results = {c.name.text for c in plan.of_type(ast.ComponentDecl)} | {"total"}
        self.pay_measures: dict[str, T] = {}
        self.paid_later = paid_later(decls, results)  # where measures of pay are not known yet: why
        self.person_lets: list[str] | None = None
        if any(m.source.text == "activities" for m in decls):
            check_activity_names(plan, self.activity_fields, self.errors)
        own = ("deals", "activities")  # measures of the payee's own records, before those of people
        for m in sorted(decls, key=lambda m: m.source.text not in own):
            if m.source.text not in own and self.person_lets is None:  # first the definitions they read
                self.person_lets = check_person_definitions(self, plan, lets, results, values, people, tables, curves)
            t = check_measure(m, self.fields, people, self.exprs, self.errors, results,
                              frozenset(c.name.text for c in plan.of_type(ast.ContestDecl)), self.paid_later,
                              self.activity_fields)
            if is_result_measure(m, results):
                self.pay_measures[m.name.text] = t  # known only when the reports are paid: not in definitions
            else:
                values[m.name.text] = t
            if m.source.text in own:
                people[m.name.text] = t
            out[m.name.text] = InputInfo(m.name.text, t, m, default=Decimal(0), has_default=True)
        self.person_lets = self.person_lets or []
        return {name: out[name] for name in (m.name.text for m in decls)}

    def _input(self, d: ast.InputDecl) -> InputInfo:
        t = INPUT_TYPES.get(d.type.text)
        if t is None:
            close = difflib.get_close_matches(d.type.text, list(INPUT_TYPES), n=1)
            self.error(d.type, f"unknown type `{d.type.text}`", "type",
                       hint=f"did you mean `{close[0]}`?" if close else "types are " + ", ".join(INPUT_TYPES))
            t = T.ERROR
        info = InputInfo(d.name.text, t, d)
        empty = Scope({}, where="in an input declaration")
        if d.default is not None:
            dt = self.exprs.check(d.default, empty)
            value = fold(d.default)
            if dt is T.ERROR:
                pass
            elif value is None:
                self.error(d.default, "a default must be a constant", "default")
            elif t is not T.ERROR and not fits(dt, t, value):
                self.error(d.default, f"the default is {describe(dt)}, but `{d.name.text}` is {describe(t)}", "type")
            else:
                info.default, info.has_default = value, True
        if d.range is not None:
            lo, hi = d.range
            if t not in (T.ERROR, T.MONEY, T.PERCENT, T.NUMBER, T.COUNT, T.DATE):
                self.error(lo, f"a range needs numbers, money or dates; `{d.name.text}` is {describe(t)}", "range",
                           hint="list the values with `in {...}`")
            else:
                bounds = []
                for bound in (lo, hi):
                    bt = self.exprs.check(bound, empty)
                    value = fold(bound)
                    if bt is T.ERROR:
                        continue
                    if value is None:
                        self.error(bound, "a range bound must be a constant", "range")
                    elif t is not T.ERROR and not fits(bt, t, value):
                        self.error(bound, f"this bound is {describe(bt)}, but `{d.name.text}` is {describe(t)}", "type")
                    else:
                        bounds.append(value)
                if len(bounds) == 2:
                    info.range = (bounds[0], bounds[1])
                    if info.range[1] < info.range[0]:
                        self.error(hi, "the range ends below where it starts", "range")
                    elif info.has_default and not info.range[0] <= info.default <= info.range[1]:
                        self.error(d.default, f"the default {expr_text(d.default)} lies outside the declared range "
                                              f"{expr_text(lo)} to {expr_text(hi)}", "range")
        if d.choices is not None:
            if t not in (T.TEXT, T.COUNT, T.NUMBER, T.ERROR):
                self.error(d.choices[0], f"`in {{...}}` lists the values of a text or count input, "
                                         f"not {describe(t)}", "type")
            for c in d.choices:
                ct = self.exprs.check(c, empty)
                if T.ERROR not in (ct, t) and not fits(ct, t, c.value):
                    self.error(c, f"`{c.text}` is {describe(ct)}, but `{d.name.text}` is {describe(t)}", "type")
            info.choices = [c.value for c in d.choices]
            if info.has_default and info.default not in info.choices:
                self.error(d.default, "the default is not one of the listed values", "default")
        return info

    def _curve(self, c: ast.CurveDecl) -> T:
        base = ast.Name("attainment", c.name.span)
        t = self.bands.check(c.bands, base, T.PERCENT, "curve", Scope(self.fixed, where="in a curve", fixed=True))
        return T.PERCENT if t is T.ERROR else t

    # ---- components ----
    def _component(self, c: ast.ComponentDecl, scope: Scope) -> None:
        has_line = False
        for item in c.items:
            if isinstance(item, ast.PayLine):
                has_line = True
                self.exprs.expect(item.expr, scope, {T.MONEY}, "what a `pay` line pays")
            elif isinstance(item, ast.PoolLine):
                has_line = True
                check_pool(item, self.pool_scope, self.exprs, self.errors)
            elif isinstance(item, ast.TiersLine):
                has_line = True
                self._tiers(item, scope)
            elif isinstance(item, ast.ScorecardLine):
                has_line = True
                self._scorecard(item, scope)
            elif isinstance(item, ast.MultiplierStep):
                bt = self.exprs.expect(item.base, scope, {T.MONEY, *DIMENSIONLESS}, "a multiplier's base")
                self.bands.check(item.bands, item.base, bt, "multiplier", scope)
            elif isinstance(item, (ast.CapStep, ast.FloorStep)):
                self.exprs.expect(item.expr, scope, {T.MONEY}, f"a {_step_word(item)}")
            elif isinstance(item, ast.GateStep):
                self.exprs.expect(item.cond, scope, {T.BOOL}, "a gate's condition")
                if item.otherwise is not None:
                    self.exprs.expect(item.otherwise, scope, set(DIMENSIONLESS), "the factor when a gate fails")
                    o = item.otherwise
                    if isinstance(o, ast.Literal) and o.kind in ("number", "percent") and o.value > 1:
                        self.warnings.append(Diagnostic(o.span, f"when the gate fails the amount is multiplied by "
                                                        f"{o.text}, more than when it passes", "gate-factor",
                                                        Severity.WARNING,
                                                        hint=f"did you mean `{o.text}%`?" if o.kind == "number"
                                                        else None))
        if not has_line:
            self.error(c.name, f"component `{c.name.text}` pays nothing: add a `pay`, `tiers` or "
                               f"`scorecard` line", "empty-component")

    def _tiers(self, line: ast.TiersLine, scope: Scope) -> None:
        payee_scope = scope  # bands are the payee's, whatever deal is taken through them
        if line.per is not None:
            scope = Scope({**scope.values, **self.fields}, scope.tables, scope.curves, "in tiers per deal",
                          scope.components)
            # per deal, each deal's bands may read its columns; a running total has one set of bands
            payee_scope = scope if line.per == "deal" else running_bands_scope(payee_scope, self.fields)
            if line.where is not None:
                self.exprs.expect(line.where, scope, {T.BOOL}, "the condition on deals")
            if line.per == "running" and line.kind.text != "marginal":
                self.error(line.kind, "a running total is paid through `marginal` tiers", "tiers",
                           hint="use `tiers marginal running on ...`, or `per deal` for other kinds")
        elif line.where is not None:
            self.error(line.where, "`where` picks deals: it needs `per deal` or `running`", "tiers")
        bt = self.exprs.check(line.base, scope)
        if line.kind.text not in TIER_KINDS:
            close = difflib.get_close_matches(line.kind.text, TIER_KINDS, n=1)
            self.error(line.kind, f"unknown kind of tiers `{line.kind.text}`", "tiers",
                       hint=f"did you mean `{close[0]}`?" if close else "kinds are " + ", ".join(TIER_KINDS))
            return
        if bt not in (T.MONEY, T.PERCENT, T.NUMBER, T.COUNT, T.ERROR):
            self.error(line.base, f"tiers need a base of money or numbers, not {describe(bt)}", "type")
            return
        self.bands.check(line.bands, line.base, bt, line.kind.text, payee_scope)

    def _scorecard(self, s: ast.ScorecardLine, scope: Scope) -> None:
        self.exprs.expect(s.target, scope, {T.MONEY}, "a scorecard's target amount")
        if s.cap is not None:
            self.exprs.expect(s.cap, scope, set(DIMENSIONLESS), "a scorecard's overall cap")
        total, all_literal = Decimal(0), True
        names: set[str] = set()
        for k in s.kpis:
            if k.name.text in names:
                self.error(k.name, f"KPI `{k.name.text}` appears twice", "duplicate")
            names.add(k.name.text)
            wt = self.exprs.expect(k.weight, scope, {T.PERCENT}, "a KPI weight")
            weight = fold(k.weight)
            if weight is not None and wt == T.PERCENT:
                total += weight
                if weight < 0:
                    self.error(k.weight, "a weight cannot be negative", "weights")
            else:
                all_literal = False
                if wt != T.ERROR:
                    self.error(k.weight, "a KPI weight must be written as a percentage, such as `40%`", "weights")
            self.exprs.expect(k.attainment, scope, set(DIMENSIONLESS), "a KPI's attainment")
            if k.curve is not None and k.curve.text not in scope.curves and k.curve.text != "linear":
                close = difflib.get_close_matches(k.curve.text, list(scope.curves), n=1)
                self.error(k.curve, f"unknown curve `{k.curve.text}`", "name",
                           hint=f"did you mean `{close[0]}`?" if close else "declare it with `curve NAME { ... }`")
            if k.cap is not None:
                self.exprs.expect(k.cap, scope, set(DIMENSIONLESS), "a KPI's cap")
        if all_literal and total != 1:
            self.error(s, f"the KPI weights add up to {decimal_text(total * 100)}%, not 100%", "weights")

    def _award(self, a: ast.AwardDecl, scope: Scope) -> None:
        if a.kind is None:
            self.error(a.name, "an award needs a kind: " + ", ".join(AWARD_KINDS), "award")
        elif a.kind.text not in AWARD_KINDS:
            self.error(a.kind, f"unknown kind of award `{a.kind.text}`", "award",
                       hint="kinds are " + ", ".join(AWARD_KINDS))
        if a.when is not None:
            self.exprs.expect(a.when, scope, {T.BOOL}, "an award's condition")
        if a.value is not None:
            self.exprs.expect(a.value, scope, {T.MONEY}, "an award's cash-equivalent value")

def _step_word(step) -> str:
    return "cap" if isinstance(step, ast.CapStep) else "floor"


def _first(plan: ast.Plan):
    """Where to report a problem with the plan as a whole: its first declaration, or line 1."""
    if plan.decls:
        return plan.decls[0]
    return ast.Comment("", Span.point(plan.source.name, 1, 1))
