"""IR expressions over whole columns: the columnar twin of `incentives.engine.compile`.

`Frame` holds one run's columns by name (inputs, measures, definitions, components, the period's
names) and works out any IR expression over all rows at once, giving a column value of
`incentives.columnar.values`.  Both branches of an `if` are worked out and then chosen row by
row; a branch's bad rows (division by zero, say) count only where it is taken, as the row
evaluator would only have evaluated the branch taken.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np

from incentives.engine import calendar, ir

from . import values as V
from .rounding import round_to
from .values import Approx, Day, Flag, Num, Text, Value

EPOCH = dt.date(1970, 1, 1)


class Unsupported(Exception):
    """Something the columnar evaluator does not do (yet): the run uses the row evaluator for it."""

    def __init__(self, span, what: str):
        super().__init__(what)
        self.span, self.what = span, what


def constant(value: Any, n: int | None = None) -> Value:
    if isinstance(value, bool):
        return Flag(np.bool_(value))
    if isinstance(value, Decimal):
        return V.const_num(value)
    if isinstance(value, int):
        return V.const_num(Decimal(value))
    if isinstance(value, str):
        return Text(np.asarray(value, dtype=object))
    if isinstance(value, dt.date):
        return Day(np.int64((value - EPOCH).days))
    raise TypeError(value)


def _span(node):
    return node.src.span if getattr(node, "src", None) is not None else None


class Frame:
    """One run's columns (n rows), and the plan they are worked out for.

    env maps names to column values; contests maps a contest name to its columns (rank, prize,
    competitors).  `deal_env`, when given, is a frame of credited deal rows: deal columns are read
    from it and every other name from the payee's columns gathered by `payee_index`."""

    def __init__(self, plan: ir.Plan, n: int, env: dict[str, Value], contests: dict | None = None):
        self.plan, self.n, self.env = plan, n, env
        self.contests = contests or {}
        self.memo: dict[int, Value] = {}

    def __call__(self, node: ir.Expr) -> Value:
        key = id(node)
        out = self.memo.get(key)
        if out is None:
            out = self._eval(node)
            if isinstance(node, ir.Const):
                self.memo[key] = out
        return out

    def condition(self, node: ir.Expr | None) -> tuple[np.ndarray, np.ndarray | None]:
        """A condition over every row: (where it holds, its bad rows); no condition holds everywhere."""
        if node is None:
            return np.ones(self.n, dtype=bool), None
        c = self(node)
        return np.broadcast_to(np.asarray(c.b), (self.n,)), c.bad

    def var(self, node: ir.Var) -> Value:
        try:
            return self.env[node.name]
        except KeyError:
            raise Unsupported(_span(node), f"`{node.name}` has no column here") from None

    def _eval(self, n: ir.Expr) -> Value:
        if isinstance(n, ir.Const):
            if n.value is None:
                raise Unsupported(_span(n), "a value with no default")
            return constant(n.value)
        if isinstance(n, ir.Var):
            return self.var(n)
        if isinstance(n, ir.Op):
            return self._op(n)
        if isinstance(n, ir.Cond):
            c = self(n.cond)
            out = V.where(np.asarray(c.b), self(n.then), self(n.otherwise))
            return V.with_bad(out, c.bad)
        if isinstance(n, ir.InSet):
            return self._inset(self(n.operand), n.values)
        if isinstance(n, ir.Func):
            return self._func(n)
        if isinstance(n, ir.Lookup):
            return self._lookup(n)
        if isinstance(n, ir.CurveApply):
            from .bands import curve_value  # bands build on this module
            return curve_value(self, n.curve, self(n.arg))
        if isinstance(n, ir.RuleRef):
            return self._rules(n.name)
        raise Unsupported(_span(n), f"`{type(n).__name__}` in a columnar run")

    # ---- operators ----
    def _op(self, n: ir.Op) -> Value:
        if n.op == "neg":
            return V.neg(self(n.args[0]))
        if n.op == "not":
            x = self(n.args[0])
            return Flag(~np.asarray(x.b), x.bad)
        a = self(n.args[0])
        if n.op in ("and", "or"):
            b = self(n.args[1])
            ab, bb = np.asarray(a.b), np.asarray(b.b)
            if n.op == "and":  # b is read only where a holds
                return Flag(ab & bb, V._or(a.bad, V._and_mask(b.bad, ab)))
            return Flag(ab | bb, V._or(a.bad, V._and_mask(b.bad, ~ab)))
        b = self(n.args[1])
        if n.op == "+":
            return V.add(a, b)
        if n.op == "-":
            if isinstance(a, Day) and isinstance(b, Day):
                return Num(a.d - b.d, 0, V._or(a.bad, b.bad))
            return V.add(a, b, -1)
        if n.op == "*":
            return V.mul(a, b)
        if n.op == "/":
            return V.div(a, b)
        return compare(a, b, n.op)

    def _inset(self, x: Value, values: frozenset) -> Flag:
        if isinstance(x, Text):
            return Flag(np.isin(np.asarray(x.a, dtype=object), list(values)), x.bad)
        out = np.zeros(np.shape(x.v if isinstance(x, Num) else x.x), dtype=bool) if not isinstance(x, (Flag, Day)) \
            else np.zeros(np.shape(x.b if isinstance(x, Flag) else x.d), dtype=bool)
        bad = x.bad
        for item in values:
            eq = compare(x, constant(item), "==")
            out = out | eq.b
            bad = V._or(bad, eq.bad)
        return Flag(out, bad)

    # ---- functions ----
    def _func(self, n: ir.Func) -> Value:
        name = n.name
        if name in ("rank", "prize", "competitors"):
            contest = n.args[0].value
            columns = self.contests.get(contest)
            if columns is None:
                return V.zeros(self.n)
            return columns[name]
        if name == "round":
            return round_to(self(n.args[0]), int(n.args[1].value), n.mode)
        if name == "per_period":
            return self._per_period(n)
        args = [self(a) for a in n.args]
        if name in ("min", "max"):
            out = args[0]
            for a in args[1:]:
                out = V.minimum(out, a, name == "min")
            return out
        if name == "abs":
            return V.absolute(args[0])
        if name == "days_between":
            a, b = args
            return Num(np.asarray(b.d - a.d, dtype=np.int64), 0, V._or(a.bad, b.bad))
        if name in ("year", "quarter", "month", "day"):
            return _date_part(args[0], name)
        raise Unsupported(_span(n), f"`{name}(...)` in a columnar run")

    def _per_period(self, n: ir.Func) -> Value:
        start, end = self.env.get("period_start"), self.env.get("period_end")
        if start is None or np.ndim(start.d) or np.ndim(end.d):
            raise Unsupported(_span(n), "`per_period` without one period for every payee")
        weights = []
        for w in n.args[1:]:
            if not isinstance(w, ir.Const):
                raise Unsupported(_span(n), "`per_period` with weights that are not constants")
            weights.append(w.value)
        share = calendar.annual_share(EPOCH + dt.timedelta(int(start.d)), EPOCH + dt.timedelta(int(end.d)), weights)
        amount = self(n.args[0])
        # one rounding at 34 digits, as `calendar.to_decimal(Fraction(amount) * share)`
        return V.div(V.mul(amount, V.const_num(Decimal(share.numerator))), V.const_num(Decimal(share.denominator)))

    def _lookup(self, n: ir.Lookup) -> Value:
        table = self.plan.tables[n.table]
        args = [self(a) for a in n.args]
        out: Value | None = None
        matched = np.zeros(self.n, dtype=bool)
        bad = None
        for a in args:
            bad = V._or(bad, a.bad)
        for key, expr in table.rows.items():
            hit = np.ones(self.n, dtype=bool)
            for a, k in zip(args, key):
                eq = compare(a, constant(k), "==")
                hit &= eq.b
                bad = V._or(bad, eq.bad)
            hit &= ~matched
            if not hit.any():
                continue
            value = self(expr)
            out = V.full(self.n, value) if out is None else V.where(hit, value, out)
            matched |= hit
        if table.default is not None and not (isinstance(table.default, ir.Const) and table.default.value is None):
            default = self(table.default)
            out = V.full(self.n, default) if out is None else V.where(matched, out, default)
        else:
            if out is None:
                out = V.zeros(self.n)
            missing = ~matched
            if missing.any():  # no row and no default: the row evaluator names the key
                bad = V._or(bad, missing)
        return V.with_bad(out, bad)

    def _rules(self, name: str) -> Value:
        rules = self.plan.rules[name]
        remaining = np.ones(self.n, dtype=bool)
        bad = None
        chosen = []
        for case in rules.cases:
            c = self(case.cond)
            cb = np.broadcast_to(np.asarray(c.b), (self.n,))
            bad = V._or(bad, V._and_mask(c.bad, remaining))
            take = remaining & cb
            chosen.append((take, case.value))
            remaining = remaining & ~cb
        out = V.full(self.n, self(rules.default))
        for take, expr in reversed(chosen):
            if take.any():
                out = V.where(take, self(expr), out)
        return V.with_bad(out, bad)


def compare(a: Value, b: Value, op: str) -> Flag:
    if isinstance(a, (Num, Approx)) and isinstance(b, (Num, Approx)):
        return V.compare(a, b, op)
    bad = V._or(a.bad, b.bad)
    if isinstance(a, Text):
        x, y = np.asarray(a.a, dtype=object), np.asarray(b.a, dtype=object)
    elif isinstance(a, Day):
        x, y = a.d, b.d
    else:
        x, y = a.b, b.b
    return Flag(np.asarray(V._OPS[op](x, y), dtype=bool), bad)


def _date_part(a: Day, name: str) -> Num:
    days = np.asarray(a.d, dtype="datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    if name == "year":
        v = year
    elif name == "month":
        v = month
    elif name == "quarter":
        v = (month - 1) // 3 + 1
    else:
        v = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return Num(np.asarray(v, dtype=np.int64), 0, a.bad)


