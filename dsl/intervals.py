"""Interval arithmetic over a plan's declared input ranges.

`Bounds(plan).of(expr)` gives the smallest and largest value an expression can
take when every input stays within its declared range (None where that cannot
be known: an input without a range, a table lookup, a date).  A plan parameter
(`param`) may take any value of its declared range (its own value if it has
none): a scenario may change it.  `possible(cond)`
gives which truth values a condition can take.  The lint uses both to find
bands that can never be reached, gates and awards that can never pass, and
marginal tiers whose bounded last band the base can pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import ast
from .types import T


@dataclass(frozen=True)
class Interval:
    lo: Decimal
    hi: Decimal

    def __str__(self) -> str:
        from .printer import decimal_text

        return f"{decimal_text(self.lo)} to {decimal_text(self.hi)}"


def _hull(values) -> Interval:
    values = list(values)
    return Interval(min(values), max(values))


class Bounds:
    def __init__(self, inputs: dict, lets: dict[str, ast.Expr], params: dict[str, tuple] | None = None):
        self.inputs = inputs
        self.lets = lets
        self.params = params or {}  # name -> (lowest, highest)
        self.memo: dict[str, Interval | None] = {}

    def of(self, e: ast.Expr) -> Interval | None:
        if isinstance(e, ast.Literal):
            return Interval(e.value, e.value) if isinstance(e.value, Decimal) else None
        if isinstance(e, ast.Name):
            return self._name(e.id)
        if isinstance(e, ast.Unary) and e.op == "-":
            x = self.of(e.operand)
            return None if x is None else Interval(-x.hi, -x.lo)
        if isinstance(e, ast.Binary) and e.op in ("+", "-", "*", "/", "of"):
            a, b = self.of(e.left), self.of(e.right)
            if a is None or b is None:
                return None
            if e.op == "+":
                return Interval(a.lo + b.lo, a.hi + b.hi)
            if e.op == "-":
                return Interval(a.lo - b.hi, a.hi - b.lo)
            if e.op in ("*", "of"):
                return _hull(x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi))
            if b.lo > 0 or b.hi < 0:
                return _hull(x / y for x in (a.lo, a.hi) for y in (b.lo, b.hi))
            return None
        if isinstance(e, ast.Call) and e.func.text in ("min", "max") and e.args:
            parts = [self.of(a) for a in e.args]
            if any(p is None for p in parts):
                return None
            pick = min if e.func.text == "min" else max
            return Interval(pick(p.lo for p in parts), pick(p.hi for p in parts))
        if isinstance(e, ast.If):
            a, b = self.of(e.then), self.of(e.otherwise)
            return None if a is None or b is None else Interval(min(a.lo, b.lo), max(a.hi, b.hi))
        return None

    def _name(self, name: str) -> Interval | None:
        if name in self.params:
            return Interval(*self.params[name])
        info = self.inputs.get(name)
        if info is not None:
            if info.type in (T.MONEY, T.PERCENT, T.NUMBER, T.COUNT):
                if info.range is not None:
                    return Interval(*info.range)
                if info.choices:
                    return _hull(info.choices)
            return None
        if name in self.lets:
            if name not in self.memo:
                self.memo[name] = None  # a cycle (already an error) gives no bounds
                self.memo[name] = self.of(self.lets[name])
            return self.memo[name]
        return None

    def possible(self, e: ast.Expr) -> set[bool]:
        """The truth values a condition can take: {True}, {False} or both."""
        both = {True, False}
        if isinstance(e, ast.Literal) and isinstance(e.value, bool):
            return {e.value}
        if isinstance(e, ast.Unary) and e.op == "not":
            return {not v for v in self.possible(e.operand)}
        if isinstance(e, ast.Binary) and e.op in ("and", "or"):
            a, b = self.possible(e.left), self.possible(e.right)
            if e.op == "and":
                return {x and y for x in a for y in b}
            return {x or y for x in a for y in b}
        if isinstance(e, ast.Compare):
            a, b = self.of(e.left), self.of(e.right)
            if a is None or b is None:
                return both
            can = {
                ">=": (a.hi >= b.lo, a.lo < b.hi), ">": (a.hi > b.lo, a.lo <= b.hi),
                "<=": (a.lo <= b.hi, a.hi > b.lo), "<": (a.lo < b.hi, a.hi >= b.lo),
                "==": (a.lo <= b.hi and b.lo <= a.hi, not (a.lo == a.hi == b.lo == b.hi)),
                "!=": (not (a.lo == a.hi == b.lo == b.hi), a.lo <= b.hi and b.lo <= a.hi),
            }[e.op]
            return {v for v, ok in zip((True, False), can) if ok}
        return both
