"""How amounts and values are written in explanations: exact, grouped, stable."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext

from dsl.printer import decimal_text
from dsl.types import T


#: The engine's decimal context: every evaluation and every formatted number runs in it, whatever the
#: caller's context is.  34 significant digits (IEEE decimal128) for intermediate values, traps on
#: invalid operations, division by zero and overflow.  `incentives.engine.evaluate.CONTEXT` is this.
CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN, Emin=-999_999, Emax=999_999, capitals=1, clamp=0,
                  flags=[], traps=[InvalidOperation, DivisionByZero, Overflow])


def _exact(d: Decimal, places: int):
    """The engine's decimal context (never the caller's), with room for every digit of `d` at
    `places` decimals, so rounding for display never raises InvalidOperation however large `d` is.
    (A plain function, not a generator: it is on the hot path of every explanation.)"""
    if d.is_finite():
        needed = d.adjusted() + places + 3
        if needed > CONTEXT.prec:
            return localcontext(CONTEXT, prec=needed)
    return localcontext(CONTEXT)


def _grouped(d: Decimal, places: int) -> str:
    """`1,234.50`: d (already at `places` decimals, or fewer) grouped by thousands, with no
    round trip through int (which refuses more than 4,300 digits)."""
    text = format(d, "f")
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    frac = (frac + "0" * places)[:places] if places else ""
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    return sign + ",".join([whole, *groups]) + ("." + frac if frac else "")


_QUANTA = [Decimal(1).scaleb(-n) for n in range(16)]


def money(d: Decimal, digits: int = 2) -> str:
    """`150,000.00`: grouped, at the currency's minor unit; more digits (up to four more) only
    where the value is not a whole number of minor units, so nothing is hidden by display."""
    if d.is_finite() and d.adjusted() + digits + 7 <= CONTEXT.prec and digits + 4 < len(_QUANTA):
        # the fast path (every amount a plan can pay): explicit context, C-level grouping
        d = d.copy_abs() if d.is_zero() else d  # never -0.00
        at = d.quantize(_QUANTA[digits], context=CONTEXT)
        if d == at:
            return f"{at:,.{digits}f}"
        fine = d.quantize(_QUANTA[digits + 4], context=CONTEXT).normalize(CONTEXT)
        return f"{fine:,.{max(digits, -fine.as_tuple().exponent)}f}"
    with _exact(d, digits + 4):
        q = Decimal(1).scaleb(-digits)
        if d == 0:
            d = abs(d)  # never -0.00
        if d == d.quantize(q):
            return _grouped(d.quantize(q), digits)
        fine = d.quantize(Decimal(1).scaleb(-(digits + 4))).normalize()
        places = max(digits, -fine.as_tuple().exponent)
        return _grouped(fine, places)


def percent(d: Decimal) -> str:
    """`12%`, `12.5%`, `79.999999%`: up to six decimals of a percent, so that a value just
    under a threshold never reads as the threshold itself."""
    with _exact(d, 8):
        p = d * 100
        exp = p.as_tuple().exponent
        if isinstance(exp, int) and -exp > 6:
            p = p.quantize(Decimal("0.000001"))
        return decimal_text(p) + "%"


def number(d: Decimal) -> str:
    """`1,234.5`: grouped, up to eight decimals."""
    with _exact(d, 8):
        if isinstance(d.as_tuple().exponent, int) and -d.as_tuple().exponent > 8:
            d = d.quantize(Decimal("0.00000001"))
        text = decimal_text(d)
    return _grouped(Decimal(text), len(text.partition(".")[2]))


def value(v, t: T, digits: int = 2) -> str:
    """Any plan value, written for a person."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return f'"{v}"'
    if v is None:
        return "-"
    if t == T.MONEY:
        return money(v, digits)
    if t == T.PERCENT:
        return percent(v)
    return number(v)


def plain(v) -> str | bool | None:
    """A value for JSON: Decimals as exact strings, dates ISO, text and booleans as they are."""
    if isinstance(v, Decimal):
        return decimal_text(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def exact(d: Decimal, digits: int = 2) -> str:
    """An amount as an exact, ungrouped decimal string with at least the minor unit's digits: `12100.00`."""
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and d.adjusted() + digits + 3 <= CONTEXT.prec:  # the fast path
        d = d.copy_abs() if d.is_zero() else d  # never -0.00
        return format(d.quantize(_QUANTA[digits], context=CONTEXT) if -exp < digits else d, "f")
    with _exact(d, digits):
        if d == 0:
            d = abs(d)  # never -0.00
        if isinstance(exp, int) and -exp < digits:
            d = d.quantize(Decimal(1).scaleb(-digits))
        return format(d, "f")
