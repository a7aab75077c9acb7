"""Type and unit checking of expressions.

`ExprChecker.check(expr, scope)` returns the expression's type, records it in
`types` (keyed by the node's id) and reports every problem as a diagnostic.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from . import ast
from .diagnostics import Diagnostic, Severity
from .printer import decimal_text
from .types import (
    DIMENSIONLESS,
    INPUT_TYPES,
    NUMERIC,
    T,
    UnitError,
    arithmetic,
    describe,
    same_dimension,
    unify,
)

ROUNDING_MODES = ("half_up", "half_even", "half_down", "up", "down", "ceiling", "floor")
#: the parts of a date, each a count: `year(d)`, `quarter(d)` (1-4), `month(d)` (1-12), `day(d)` (1-31)
DATE_PARTS = ("year", "quarter", "month", "day")
BUILTINS = ("min", "max", "abs", "round", "days_between", *DATE_PARTS, "rank", "prize", "competitors",
            "per_period")
DATE_PART_MEANING = {"year": "the year of a date, such as 2026", "quarter": "the quarter of a date, 1 to 4",
                     "month": "the month of a date, 1 to 12", "day": "the day of the month of a date, 1 to 31"}
CONTEST_RESULTS = {"rank": T.COUNT, "prize": T.MONEY, "competitors": T.COUNT}

LITERAL_TYPES = {"money": T.MONEY, "percent": T.PERCENT, "number": T.NUMBER, "date": T.DATE,
                 "text": T.TEXT, "bool": T.BOOL}


@dataclass
class Scope:
    """What names an expression may use: value names with their types, and callables."""

    values: dict[str, T]
    tables: dict[str, "ast.TableDecl"] = field(default_factory=dict)
    curves: dict[str, T] = field(default_factory=dict)
    where: str = "here"
    components: frozenset[str] = frozenset()  # named here only to explain where they may be used
    contests: frozenset[str] = frozenset()  # contests whose results (rank, prize, competitors) may be used
    all_contests: frozenset[str] = frozenset()  # every contest, to explain where results may be used
    later: dict[str, tuple[str, str]] = field(default_factory=dict)  # known only later: name -> (why, where usable)
    fixed: bool = False  # constants only, and the plan's params (values holds them): tables, curves, prizes


def literal_type(lit: ast.Literal) -> T:
    return LITERAL_TYPES[lit.kind]


def fold(e: ast.Expr):
    """The value of a constant expression (`-5`, `not true`, `5 USD + 10 USD`, `50% of 200 USD`), else None."""
    if isinstance(e, ast.Literal):
        return e.value
    if isinstance(e, ast.Unary):
        x = fold(e.operand)
        if e.op == "not":
            return (not x) if isinstance(x, bool) else None
        return -x if isinstance(x, Decimal) else None
    if isinstance(e, ast.Binary) and e.op in ("+", "-", "*", "/", "of"):
        a, b = fold(e.left), fold(e.right)
        if not (isinstance(a, Decimal) and isinstance(b, Decimal)) or isinstance(a, bool) or isinstance(b, bool):
            return None
        if e.op == "/":
            return a / b if b != 0 else None
        return a + b if e.op == "+" else a - b if e.op == "-" else a * b
    return None


class ExprChecker:
    def __init__(self, currency: str | None, errors: list[Diagnostic], warnings: list[Diagnostic] | None = None):
        self.currency = currency
        self.errors = errors
        self.warnings = warnings if warnings is not None else []
        self.types: dict[int, T] = {}
        self.table_calls: list[tuple[ast.Call, ast.TableDecl]] = []
        self.optional: frozenset[str] = frozenset()  # optional deal columns (set by the checker)
        self.rules: dict = {}  # rule tables by name: (type, the deal columns they read) (set by the checker)

    def error(self, node, message: str, code: str, hint: str | None = None) -> T:
        self.errors.append(Diagnostic(node.span, message, code, hint=hint))
        return T.ERROR

    def check(self, e: ast.Expr, scope: Scope) -> T:
        t = self._check(e, scope)
        self.types[id(e)] = t
        return t

    def expect(self, e: ast.Expr, scope: Scope, wanted: set[T], what: str) -> T:
        """Check e and report unless its type is one of wanted."""
        t = self.check(e, scope)
        if t is not T.ERROR and t not in wanted:
            names = " or ".join(sorted({describe(w) for w in wanted}))
            hint = None
            if T.MONEY in wanted and isinstance(e, ast.Literal) and e.kind == "number":
                hint = f"write an amount with the plan's currency, such as `{e.text} {self.currency or 'USD'}`"
            elif T.MONEY in wanted and t == T.PERCENT:
                hint = "a percentage of an amount is written `8% of revenue`"
            self.error(e, f"{what} must be {names}, but this is {describe(t)}", "type", hint)
            return T.ERROR
        return t

    # ---- the cases ----

    def _check(self, e: ast.Expr, scope: Scope) -> T:
        if isinstance(e, ast.Literal):
            if e.kind == "money" and self.currency and e.currency != self.currency:
                return self.error(e, f"this plan pays in {self.currency}, but `{e.text}` is in {e.currency}",
                                  "currency", hint=f"write `{e.text.split()[0]} {self.currency}`")
            return literal_type(e)
        if isinstance(e, ast.Name):
            return self._name(e, scope)
        if isinstance(e, ast.Unary):
            t = self.check(e.operand, scope)
            if e.op == "not":
                if t not in (T.BOOL, T.ERROR):
                    return self.error(e, f"`not` needs true/false, but this is {describe(t)}", "type")
                return T.BOOL
            if t not in NUMERIC and t is not T.ERROR:
                return self.error(e, f"cannot negate {describe(t)}", "type")
            return t
        if isinstance(e, ast.Binary):
            return self._binary(e, scope)
        if isinstance(e, ast.Compare):
            return self._compare(e, scope)
        if isinstance(e, ast.InSet):
            t = self.check(e.operand, scope)
            for item in e.items:
                it = self.check(item, scope)
                if T.ERROR not in (t, it) and not same_dimension(t, it):
                    self.error(item, f"`{item.text}` is {describe(it)}, but the value tested is {describe(t)}", "type")
            return T.BOOL
        if isinstance(e, ast.InPeriod):
            t = self.check(e.operand, scope)
            if t not in (T.DATE, T.ERROR):
                return self.error(e.operand, f"`in period` tests a date, but this is {describe(t)}", "type")
            if "period_start" not in scope.values:
                return self.error(e, f"there is no period {scope.where}", "name")
            return T.BOOL
        if isinstance(e, ast.IsMissing):
            return self._is_missing(e, scope)
        if isinstance(e, ast.If):
            c = self.check(e.cond, scope)
            if c not in (T.BOOL, T.ERROR):
                self.error(e.cond, f"the condition must be true/false, but this is {describe(c)}", "type")
            a, b = self.check(e.then, scope), self.check(e.otherwise, scope)
            try:
                return unify(a, b)
            except UnitError:
                if isinstance(e, ast.DatedIf):
                    return self.error(e, f"the value from {e.cond.right.text} is {describe(a)}, but the value before "
                                         f"it is {describe(b)}: a dated definition keeps one type", "type")
                return self.error(e, f"the two branches differ: `then` gives {describe(a)}, "
                                     f"`else` gives {describe(b)}", "type")
        if isinstance(e, ast.Call):
            return self._call(e, scope)
        raise TypeError(e)  # pragma: no cover

    def _is_missing(self, e: ast.IsMissing, scope: Scope) -> T:
        t = self.check(e.operand, scope)
        name = e.operand.id if isinstance(e.operand, ast.Name) else None
        if t is not T.ERROR and name not in self.optional:
            shown = f"`{name}`" if name else "this"
            self.error(e, f"`is missing` tests an optional column of the deal data; {shown} is not one",
                       "missing", hint="declare the column `field NAME: TYPE optional` in the `deals` block")
        return T.BOOL

    def _name(self, e: ast.Name, scope: Scope) -> T:
        if e.id in scope.values:
            return scope.values[e.id]
        if e.id in self.rules:
            t, columns = self.rules[e.id]
            outside = sorted(c for c in columns if c not in scope.values)
            if outside:
                return self.error(e, f"rule table `{e.id}` reads deal columns ({', '.join(outside)}): use it "
                                     f"where a deal is at hand, in a measure of deals or tiers per deal", "name")
            return t
        if e.id in scope.components:
            return self.error(e, f"`{e.id}` is a component: its amount can be used only in awards, the payout "
                                 f"block and properties, once every component is worked out", "name")
        if e.id in scope.tables or e.id in scope.curves:
            kind = "table" if e.id in scope.tables else "curve"
            return self.error(e, f"`{e.id}` is a {kind}: look a value up with `{e.id}(...)`", "name")
        if e.id in scope.later:
            why, where = scope.later[e.id]
            return self.error(e, f"`{e.id}` cannot be used {scope.where}: {why}", "name", hint=where)
        known = list(scope.values)
        close = difflib.get_close_matches(e.id, known, n=1)
        hint = f"did you mean `{close[0]}`?" if close else None
        if not known or scope.fixed:
            allowed = "only constants and params are allowed" if known else "only constants are allowed"
            return self.error(e, f"`{e.id}` cannot be used {scope.where}: {allowed}", "name", hint)
        return self.error(e, f"unknown name `{e.id}`", "name", hint)

    def _binary(self, e: ast.Binary, scope: Scope) -> T:
        a, b = self.check(e.left, scope), self.check(e.right, scope)
        if e.op in ("and", "or"):
            for side, t in ((e.left, a), (e.right, b)):
                if t not in (T.BOOL, T.ERROR):
                    self.error(side, f"`{e.op}` needs true/false on both sides, but this is {describe(t)}", "type")
            return T.BOOL
        if e.op == "/" and isinstance(e.right, ast.Literal) and e.right.kind in ("number", "percent", "money") \
                and e.right.value == 0:
            return self.error(e.right, "division by zero", "division-by-zero")
        try:
            return arithmetic(e.op, a, b)
        except UnitError as err:
            return self.error(e, str(err), "units")

    def _compare(self, e: ast.Compare, scope: Scope) -> T:
        a, b = self.check(e.left, scope), self.check(e.right, scope)
        if T.ERROR in (a, b):
            return T.BOOL
        if not same_dimension(a, b):
            hint = None
            if a == T.MONEY or b == T.MONEY:
                hint = "compare money with money, for example `revenue >= 50% of quota`"
            self.error(e, f"cannot compare {describe(a)} with {describe(b)}", "units", hint)
        elif {a, b} == {T.PERCENT, T.NUMBER}:
            lit = e.right if b == T.NUMBER else e.left
            if isinstance(lit, ast.Literal) and lit.kind == "number" and abs(lit.value) > 1:
                means = decimal_text(lit.value * 100)
                self.warnings.append(Diagnostic(lit.span, f"a percentage is compared with the number {lit.text}, "
                                                f"which means {means}%", "percent-number", Severity.WARNING,
                                                hint=f"did you mean `{lit.text}%`?"))
        elif e.op not in ("==", "!=") and a in (T.TEXT, T.BOOL):
            self.error(e, f"`{e.op}` orders numbers, money and dates, not {describe(a)}", "type",
                       hint="use `==`, `!=` or `in {...}`")
        return T.BOOL

    def _call(self, e: ast.Call, scope: Scope) -> T:
        name = e.func.text
        if name in scope.tables:
            return self._table_call(e, scope.tables[name], scope)
        if name in scope.curves:
            if len(e.args) != 1:
                return self.error(e, f"curve `{name}` takes one value, the attainment", "arity")
            t = self.check(e.args[0], scope)
            if t not in DIMENSIONLESS and t is not T.ERROR:
                self.error(e.args[0], f"a curve maps a percentage or number, not {describe(t)}", "type")
            return scope.curves[name]
        if name == "round":
            return self._round(e, scope)
        if name in CONTEST_RESULTS:
            return self._contest_result(e, scope)
        if name in ("min", "max"):
            if len(e.args) < 2:
                return self.error(e, f"`{name}` needs at least two values", "arity")
            types = [self.check(a, scope) for a in e.args]
            result = types[0]
            for arg, t in zip(e.args[1:], types[1:]):
                try:
                    result = unify(result, t)
                except UnitError:
                    return self.error(arg, f"`{name}` compares like with like: {describe(types[0])} "
                                           f"and {describe(t)} differ", "units")
            if result not in NUMERIC and result not in (T.DATE, T.ERROR):
                return self.error(e, f"`{name}` needs numbers, money or dates", "type")
            return result
        if name == "abs":
            if len(e.args) != 1:
                return self.error(e, "`abs` takes one value", "arity")
            t = self.check(e.args[0], scope)
            if t not in NUMERIC and t is not T.ERROR:
                return self.error(e, f"`abs` needs a number or money, not {describe(t)}", "type")
            return t
        if name == "days_between":
            if len(e.args) != 2:
                return self.error(e, "`days_between` takes two dates", "arity")
            for a in e.args:
                self.expect(a, scope, {T.DATE}, "each argument of `days_between`")
            return T.COUNT
        if name in DATE_PARTS:
            return self._date_part(e, scope)
        if name == "per_period":
            return check_per_period(e, self, scope)
        callables = list(BUILTINS) + list(scope.tables) + list(scope.curves)
        close = difflib.get_close_matches(name, callables, n=1)
        return self.error(e.func, f"unknown function `{name}`", "name",
                          f"did you mean `{close[0]}`?" if close else
                          "functions are " + ", ".join(BUILTINS) + ", and the plan's tables and curves")

    def _contest_result(self, e: ast.Call, scope: Scope) -> T:
        name = e.func.text
        arg = e.args[0] if len(e.args) == 1 else None
        if not isinstance(arg, ast.Name):
            return self.error(e, f"`{name}` takes the name of a contest, such as `{name}(champion)`", "arity")
        if arg.id not in scope.all_contests:
            close = difflib.get_close_matches(arg.id, list(scope.all_contests), n=1)
            return self.error(arg, f"`{arg.id}` is not a contest", "name",
                              f"did you mean `{close[0]}`?" if close else None)
        if arg.id not in scope.contests:
            return self.error(e, f"`{name}({arg.id})` is known once every person is ranked: use it in components, "
                                 f"awards, the payout block or properties, not {scope.where.replace('here', 'here')}",
                              "contest")
        self.types[id(arg)] = T.TEXT
        return CONTEST_RESULTS[name]

    def _date_part(self, e: ast.Call, scope: Scope) -> T:
        name = e.func.text
        usage = f"`{name}(d)` gives {DATE_PART_MEANING[name]}"
        if len(e.args) != 1:
            return self.error(e, f"`{name}` takes one date", "arity", usage)
        arg = e.args[0]
        t = self.check(arg, scope)
        if t not in (T.DATE, T.ERROR):
            hint = usage
            if isinstance(arg, ast.Literal) and arg.kind == "text":
                hint = "a date is written without quotes, such as `2026-01-31`"
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", arg.value):
                    hint = f"a date is written without quotes: `{arg.value}`"
            return self.error(arg, f"`{name}` takes a date, but this is {describe(t)}", "type", hint)
        return T.COUNT

    def _round(self, e: ast.Call, scope: Scope) -> T:
        usage = "write `round(value, places, mode)`, for example `round(bonus, 2, half_up)`"
        if len(e.args) != 3:
            return self.error(e, "`round` takes a value, a number of decimal places and a rounding mode",
                              "arity", usage)
        value, places, mode = e.args
        t = self.check(value, scope)
        if t not in NUMERIC and t is not T.ERROR:
            self.error(value, f"`round` needs a number or money, not {describe(t)}", "type")
        if not (isinstance(places, ast.Literal) and places.kind == "number"
                and places.value == places.value.to_integral_value() and 0 <= places.value <= 12):
            self.error(places, "the number of decimal places must be a whole number from 0 to 12", "round", usage)
        else:
            self.types[id(places)] = T.NUMBER
        if not (isinstance(mode, ast.Name) and mode.id in ROUNDING_MODES):
            self.error(mode, "unknown rounding mode", "round", "modes are " + ", ".join(ROUNDING_MODES))
        return t

    def _table_call(self, e: ast.Call, table: ast.TableDecl, scope: Scope) -> T:
        if len(e.args) != len(table.keys):
            keys = ", ".join(k.text for k, _ in table.keys)
            return self.error(e, f"table `{table.name.text}` is looked up by {len(table.keys)} "
                                 f"key(s) ({keys}), but {len(e.args)} were given", "arity")
        for arg, (key, key_type) in zip(e.args, table.keys):
            want = INPUT_TYPES.get(key_type.text)
            t = self.check(arg, scope)
            if want and T.ERROR not in (t, want) and not same_dimension(t, want):
                self.error(arg, f"key `{key.text}` of table `{table.name.text}` is {describe(want)}, "
                                f"but this is {describe(t)}", "type")
        self.table_calls.append((e, table))
        return INPUT_TYPES.get(table.value_type.text, T.ERROR)


def check_per_period(e: ast.Call, exprs: "ExprChecker", scope: Scope) -> T:
    """`per_period(annual)` or `per_period(annual, w1, ..., w4)` (quarters) or 12 weights (months): the
    part of an annual amount that falls in the period."""
    usage = ("`per_period(annual)` splits an annual amount evenly into the period; give 4 quarterly or 12 "
             "monthly weights to split it unevenly: `per_period(target, 20%, 20%, 20%, 40%)`")
    if not e.args or len(e.args) - 1 not in (0, 4, 12):
        return exprs.error(e, f"`per_period` takes an annual amount and 0, 4 or 12 weights, not "
                              f"{max(len(e.args) - 1, 0)}", "arity", usage)
    t = exprs.check(e.args[0], scope)
    if t not in NUMERIC and t is not T.ERROR:
        return exprs.error(e.args[0], f"`per_period` splits money or a number, not {describe(t)}", "type", usage)
    weights = e.args[1:]
    typed = [exprs.expect(w, scope, {T.PERCENT}, "each weight of `per_period`") for w in weights]
    values = [fold(w) if t == T.PERCENT else None for w, t in zip(weights, typed)]
    if weights and all(isinstance(v, Decimal) for v in values) and sum(values) != 1:
        exprs.error(e, f"the weights of `per_period` add up to {(sum(values) * 100).normalize():f}%, not 100%",
                    "weights")
    if "period_start" not in scope.values:
        return exprs.error(e, f"there is no period {scope.where}", "name")
    return T.NUMBER if t == T.COUNT else t
