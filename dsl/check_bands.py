"""Checks of band tables: tiers, multipliers and curves.

Bands are written `from lower [to upper]: value [to value]`.  A band includes
its lower bound and excludes its upper bound (`upper_inclusive` flips this).
Only the last band may be open-ended.  Where two bounds are written alike
(constants, or percentages of the same expression such as `50% of quota`) the
checker compares them and reports gaps, overlaps and empty or decreasing
bands; bounds it cannot compare are checked when the plan runs.
"""

from __future__ import annotations

from decimal import Decimal

from . import ast
from .check_expr import ExprChecker, Scope, fold
from .diagnostics import Diagnostic, Severity
from .printer import decimal_text, expr_text
from .types import (
    DIMENSIONLESS,
    T,
    UnitError,
    arithmetic,
    describe,
    same_dimension,
    unify,
)

TIER_KINDS = ("marginal", "retroactive", "step", "cumulative", "interpolated")


def linear_form(e: ast.Expr) -> tuple[Decimal, str | None] | None:
    """A bound as coefficient x scale, where scale is the text of an expression.

    `50% of quota` is (0.5, "quota"), `100 USD` is (100, None), `quota` is
    (1, "quota").  None when the bound is not of that simple form.
    """
    value = fold(e)
    if isinstance(value, Decimal) and not isinstance(value, bool):
        return value, None
    if isinstance(e, ast.Binary) and e.op in ("of", "*"):
        for coef, scale in ((e.left, e.right), (e.right, e.left)):
            c = fold(coef)
            if isinstance(c, Decimal):
                return c, expr_text(scale)
    if isinstance(e, (ast.Name, ast.Call)):
        return Decimal(1), expr_text(e)
    return None


class BandChecker:
    def __init__(self, exprs: ExprChecker, errors: list[Diagnostic], warnings: list[Diagnostic]):
        self.exprs = exprs
        self.errors = errors
        self.warnings = warnings

    def check(self, bands: list[ast.Band], base: ast.Expr, base_type: T, kind: str, scope: Scope) -> T:
        """Check a band table and return the type of the values it yields."""
        value_types: list[T] = []
        for band in bands:
            for bound in (band.lower, band.upper):
                if bound is None:
                    continue
                t = self.exprs.check(bound, scope)
                if T.ERROR not in (t, base_type) and not same_dimension(t, base_type):
                    hint = None
                    if base_type == T.MONEY and t == T.PERCENT:
                        hint = "a bound that is a share of a quota is written `50% of quota`"
                    elif base_type == T.MONEY and isinstance(bound, ast.Literal) and bound.kind == "number":
                        hint = f"write an amount with the plan's currency, such as `{bound.text} {self.exprs.currency}`"
                    self.errors.append(Diagnostic(bound.span, f"this bound is {describe(t)}, but the base "
                                                  f"`{expr_text(base)}` is {describe(base_type)}", "band-unit",
                                                  hint=hint))
            value_types.append(self._value(band, base, base_type, kind, scope))
        self._order(bands)
        result = T.ERROR
        for t in value_types:
            if t is T.ERROR:
                continue
            try:
                result = t if result is T.ERROR else unify(result, t)
            except UnitError:
                pass
        return result

    def _value(self, band: ast.Band, base: ast.Expr, base_type: T, kind: str, scope: Scope) -> T:
        v = self.exprs.check(band.value, scope)
        v2 = self.exprs.check(band.value_to, scope) if band.value_to is not None else None
        interpolating = kind in ("interpolated", "curve", "multiplier")
        if v2 is not None and not interpolating:
            self.errors.append(Diagnostic(band.value_to.span, f"`to` after the value interpolates, which "
                                          f"`{kind}` bands do not do", "band-value",
                                          hint="use `tiers interpolated` for amounts that grow within a band"))
        if v2 is not None and band.upper is None:
            self.errors.append(Diagnostic(band.value_to.span, "an open-ended band cannot interpolate: "
                                          "it has no upper bound to reach the second value at", "band-value"))
        if v is T.ERROR:
            return T.ERROR
        if kind in ("marginal", "retroactive"):
            try:
                amount = arithmetic("*", v, base_type) if base_type is not T.ERROR else T.MONEY
            except UnitError as err:
                hint = ("on a money base a rate is a percentage such as `8%`; for a fixed amount per band "
                        "use `tiers step`") if base_type == T.MONEY else None
                self.errors.append(Diagnostic(band.value.span, f"a {kind} rate times the base: {err}", "units",
                                              hint=hint))
                return T.ERROR
            if amount != T.MONEY:
                self.errors.append(Diagnostic(band.value.span, f"a {kind} band pays rate x base, which must be "
                                              f"money; here it is {describe(amount)}", "band-value",
                                              hint="on a money base write a percentage (`8%`); "
                                                   "on a count write an amount per unit (`50 USD`)"))
                return T.ERROR
            if base_type == T.MONEY and v in (T.NUMBER, T.COUNT):
                self._bare_rate(band.value, v, base, kind)
            return T.MONEY
        if kind in ("step", "cumulative", "interpolated"):
            for t, node in ((v, band.value), (v2, band.value_to)):
                if t is not None and t not in (T.MONEY, T.ERROR):
                    hint = (f"write an amount with the plan's currency, such as `{node.text} {self.exprs.currency}`"
                            if isinstance(node, ast.Literal) and node.kind == "number" else None)
                    self.errors.append(Diagnostic(node.span, f"a {kind} band pays an amount of money, "
                                                  f"but this is {describe(t)}", "band-value", hint=hint))
                    return T.ERROR
            return T.MONEY
        # multiplier and curve: dimensionless values
        for t, node in ((v, band.value), (v2, band.value_to)):
            if t is not None and t not in DIMENSIONLESS and t is not T.ERROR:
                what = "a multiplier" if kind == "multiplier" else "a curve value"
                self.errors.append(Diagnostic(node.span, f"{what} must be a percentage or a number, "
                                              f"not {describe(t)}", "band-value"))
                return T.ERROR
        return v if v2 is None else unify(v, v2)

    def _bare_rate(self, node: ast.Expr, t: T, base: ast.Expr, kind: str) -> None:
        """A number, not a percentage, as a rate on a money base: it multiplies the base (`5` pays 500%).

        A constant of 1 or more (in size) is an error; a constant below 1 (`0.05`, which does pay 5%) and a
        value not known until the plan runs are warnings.  Either way the hint gives the percentage.  A
        constant 0 pays nothing however it is read, and is left alone.
        """
        value = fold(node)
        on = expr_text(base)
        if isinstance(value, Decimal) and not isinstance(value, bool):
            if value == 0:  # nothing, whichever way it is read
                return
            text = expr_text(node)
            pays = decimal_text(value * 100) + "%"
            if abs(value) >= 1:
                points = text if isinstance(node, ast.Literal) else decimal_text(value)
                self.errors.append(Diagnostic(
                    node.span, f"a bare number as a {kind} rate multiplies the base: `{text}` pays {pays} of "
                               f"`{on}`", "band-rate", hint=f"a rate on a money base is a percentage: write `{points}%`"))
            else:
                self.warnings.append(Diagnostic(
                    node.span, f"a bare number as a {kind} rate multiplies the base: `{text}` pays {pays} of "
                               f"`{on}`", "band-rate", Severity.WARNING,
                    hint=f"a rate on a money base is a percentage: write `{pays}`"
                         + (f" (or `{text}%` if you meant {text} percent)" if isinstance(node, ast.Literal) else "")))
            return
        self.warnings.append(Diagnostic(
            node.span, f"this {kind} rate is {describe(t)}, not a percentage: it multiplies the base `{on}`, "
                       f"so a value of 5 pays 500%", "band-rate", Severity.WARNING,
            hint="a rate on a money base is a percentage: make it one (declare it `percent`, or multiply by `1%` "
                 "if it counts percentage points)"))

    def _order(self, bands: list[ast.Band]) -> None:
        for i, band in enumerate(bands):
            if band.upper is None and i < len(bands) - 1:
                self.errors.append(Diagnostic(band.span, "only the last band can be open-ended: "
                                              "this one needs `to ...`", "band-open"))
            lo, hi = linear_form(band.lower), linear_form(band.upper) if band.upper is not None else None
            if lo and hi and lo[1] == hi[1] and hi[0] <= lo[0]:
                word = "empty" if hi[0] == lo[0] else "decreasing"
                self.errors.append(Diagnostic(band.span, f"this band is {word}: it goes from "
                                              f"{expr_text(band.lower)} to {expr_text(band.upper)}", "band-order"))
            if i == 0 or bands[i - 1].upper is None:
                continue
            prev = linear_form(bands[i - 1].upper)
            was, now = expr_text(bands[i - 1].upper), expr_text(band.lower)
            if prev and lo and prev[1] == lo[1]:
                if lo[0] > prev[0]:
                    self.errors.append(Diagnostic(band.lower.span, f"gap between bands: the previous band ends "
                                                  f"at {was} but this one starts at {now}",
                                                  "band-gap", hint="start each band where the previous one ends"))
                elif lo[0] < prev[0]:
                    self.errors.append(Diagnostic(band.lower.span, f"bands overlap: the previous band ends at "
                                                  f"{was} but this one starts at {now}",
                                                  "band-overlap", hint="start each band where the previous one ends"))


