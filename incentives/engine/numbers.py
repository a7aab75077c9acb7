"""How amounts and values are written in explanations: exact, grouped, stable."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dsl.printer import decimal_text
from dsl.types import T


def money(d: Decimal, digits: int = 2) -> str:
    """`150,000.00`: grouped, at the currency's minor unit; more digits (up to four more) only
    where the value is not a whole number of minor units, so nothing is hidden by display."""
    q = Decimal(1).scaleb(-digits)
    if d == 0:
        d = abs(d)  # never -0.00
    if d == d.quantize(q):
        return f"{d.quantize(q):,.{digits}f}"
    fine = d.quantize(Decimal(1).scaleb(-(digits + 4))).normalize()
    places = max(digits, -fine.as_tuple().exponent)
    return f"{fine:,.{places}f}"


def percent(d: Decimal) -> str:
    """`12%`, `12.5%`, `79.999999%`: up to six decimals of a percent, so that a value just
    under a threshold never reads as the threshold itself."""
    p = d * 100
    exp = p.as_tuple().exponent
    if isinstance(exp, int) and -exp > 6:
        p = p.quantize(Decimal("0.000001"))
    return decimal_text(p) + "%"


def number(d: Decimal) -> str:
    """`1,234.5`: grouped, up to eight decimals."""
    if isinstance(d.as_tuple().exponent, int) and -d.as_tuple().exponent > 8:
        d = d.quantize(Decimal("0.00000001"))
    whole, _, frac = decimal_text(d).partition(".")
    return f"{int(whole):,}" + ("." + frac if frac else "")


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
    if d == 0:
        d = abs(d)  # never -0.00
    if isinstance(exp, int) and -exp < digits:
        d = d.quantize(Decimal(1).scaleb(-digits))
    return format(d, "f")
