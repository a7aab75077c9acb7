"""Checks of plan parameters: `param NAME = VALUE [range LO to HI] ["description"]`.

A param is a named value of the plan, typed by its value (money, percentage, number, date, text or
true/false), that any expression may read like an input.  Its value is the default a run uses
unless a scenario gives another, which must then lie within the declared range.  The value and the
bounds are constants of the param's own type; the default lies within the range, which does not end
below where it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import ast
from .check_expr import ExprChecker, Scope, fold
from .diagnostics import Diagnostic
from .printer import expr_text
from .types import T, describe

#: the types a param's range may bound
RANGED = (T.MONEY, T.PERCENT, T.NUMBER, T.DATE)


@dataclass
class ParamInfo:
    name: str
    type: T
    decl: ast.ParamDecl
    default: Any = None
    range: tuple[Any, Any] | None = None

    @property
    def reach(self) -> tuple[Decimal, Decimal] | None:
        """The values the lint assumes the param may take: its range, else its value (numbers only)."""
        if self.type not in (T.MONEY, T.PERCENT, T.NUMBER) or not isinstance(self.default, Decimal):
            return None
        return self.range if self.range is not None else (self.default, self.default)


def _error(errors: list[Diagnostic], node, message: str, code: str, hint: str | None = None) -> None:
    errors.append(Diagnostic(node.span, message, code, hint=hint))


def check_params(decls: list[ast.ParamDecl], exprs: ExprChecker, errors: list[Diagnostic]) -> dict[str, ParamInfo]:
    """Every param's type, value and range; a param with a wrong value is typed ERROR (reported once)."""
    out: dict[str, ParamInfo] = {}
    constants = Scope({}, where="in a param's value or range")
    for d in decls:
        name = d.name.text
        t = exprs.check(d.value, constants)
        value = fold(d.value)
        if t is not T.ERROR and value is None:
            example = "`15%` or `30_000 " + (exprs.currency or "USD") + "`"
            _error(errors, d.value, f"the value of param `{name}` must be a constant, such as {example}", "param",
                   hint="a param is a fixed value a scenario may change; use `let` for a value worked out "
                        "from inputs")
            t = T.ERROR
        info = ParamInfo(name, t, d, value if t is not T.ERROR else None)
        if d.range is not None:
            info.range = _range(d, info, exprs, constants, errors)
        if name not in out:
            out[name] = info
    return out


def _range(d: ast.ParamDecl, info: ParamInfo, exprs: ExprChecker, constants: Scope,
           errors: list[Diagnostic]) -> tuple | None:
    lo, hi = d.range
    name, t = info.name, info.type
    if t not in (*RANGED, T.ERROR):
        _error(errors, lo, f"a range needs numbers, money or dates; param `{name}` is {describe(t)}", "range")
        return None
    bounds = []
    for bound in (lo, hi):
        bt = exprs.check(bound, constants)
        value = fold(bound)
        if bt is T.ERROR:
            continue
        if value is None:
            _error(errors, bound, "a range bound must be a constant", "range")
        elif t is not T.ERROR and bt != t:
            hint = _same_kind(bound, t, exprs.currency)
            if hint is None and bt == T.MONEY and t in (T.NUMBER, T.PERCENT) and isinstance(d.value, ast.Literal):
                hint = f"a param is typed by its value: write it `{d.value.text} {exprs.currency or 'USD'}` to make " \
                       f"`{name}` money"
            _error(errors, bound, f"this bound is {describe(bt)}, but param `{name}` is {describe(t)}", "type",
                   hint=hint)
        else:
            bounds.append(value)
    if len(bounds) != 2 or t is T.ERROR:
        return None
    if bounds[1] < bounds[0]:
        _error(errors, hi, f"the range of param `{name}` ends ({expr_text(hi)}) below where it starts "
                           f"({expr_text(lo)})", "range", hint=f"write `range {expr_text(hi)} to {expr_text(lo)}`")
        return None
    if not bounds[0] <= info.default <= bounds[1]:
        _error(errors, d.value, f"the value {expr_text(d.value)} of param `{name}` lies outside its range "
                                f"{expr_text(lo)} to {expr_text(hi)}", "range")
    return bounds[0], bounds[1]


def _same_kind(bound: ast.Expr, t: T, currency: str | None) -> str | None:
    """How to write a bound of type t, when the bound is a plain number literal."""
    if not (isinstance(bound, ast.Literal) and bound.kind == "number"):
        return None
    if t == T.PERCENT:
        return f"write the bound as a percentage, such as `{bound.text}%`"
    if t == T.MONEY:
        return f"write the bound as an amount, such as `{bound.text} {currency or 'USD'}`"
    return None
