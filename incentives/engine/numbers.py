"""How amounts and values are written in explanations: exact, grouped, stable."""

from __future__ import annotations

import datetime as dt
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

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

# The fast paths below read a Decimal's digits from str(d), which is cheaper than any Decimal
# operation: without an exponent ("E") it is exactly format(d, "f").  They take only the cases
# whose text follows from those digits alone (no rounding); every other case goes the exact way,
# so what is written never depends on which path was taken.  str(d) also names the Decimal exactly
# (sign, digits and exponent), so texts are kept by it: an explanation writes the same amount
# several times (a band's bound is the next band's start, a line's result the next step's input).
_TEXTS_KEPT = 4096  # texts kept per kind before starting over


def _group(whole: str) -> str:
    """`1,234,567` from `1234567` (digits only; no round trip through int for very long ones)."""
    n = len(whole)
    if n < 4:
        return whole
    if n < 7:
        return f"{whole[:-3]},{whole[-3:]}"
    if n < 100:
        return f"{int(whole):,}"
    head = n % 3 or 3
    return ",".join([whole[:head]] + [whole[i:i + 3] for i in range(head, n, 3)])


_MONEY_TEXTS: list[dict[str, str]] = [{} for _ in range(12)]


def money(d: Decimal, digits: int = 2) -> str:
    """`150,000.00`: grouped, at the currency's minor unit; more digits (up to four more) only
    where the value is not a whole number of minor units, so nothing is hidden by display."""
    if type(d) is Decimal and 0 <= digits < 12:
        s = str(d)
        kept = _MONEY_TEXTS[digits]
        text = kept.get(s)
        if text is None:
            text = _money_text(d, s, digits)
            if len(kept) >= _TEXTS_KEPT:
                kept.clear()
            kept[s] = text
        return text
    return _money(d, digits)


def _money_text(d: Decimal, s: str, digits: int) -> str:
    if "E" not in s and d.is_finite() and d.adjusted() + digits + 7 <= CONTEXT.prec:
        if d.is_zero():
            return _ZEROS[digits]  # never -0.00
        sign = ""
        if s[0] == "-":
            sign, s = "-", s[1:]
        whole, _, frac = s.partition(".")
        n = len(frac)
        if n <= digits:  # a whole number of minor units, written at the minor unit
            if not digits:
                return sign + _group(whole)
            return f"{sign}{_group(whole)}.{frac}{_PAD[digits - n]}"
        if not frac[digits:].strip("0"):  # the same, with zeros beyond the minor unit
            return f"{sign}{_group(whole)}.{frac[:digits]}" if digits else sign + _group(whole)
        if n <= digits + 4:  # finer than the minor unit: every digit, without trailing zeros
            return f"{sign}{_group(whole)}.{frac.rstrip('0')}"
    return _money(d, digits)


_ZEROS = ["0"] + ["0." + "0" * n for n in range(1, 16)]
_PAD = ["0" * n for n in range(16)]


def _money(d: Decimal, digits: int) -> str:
    if d.is_finite() and d.adjusted() + digits + 7 <= CONTEXT.prec and digits + 4 < len(_QUANTA):
        # explicit context, C-level grouping
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


_PERCENT_TEXTS: dict[str, str] = {}


def percent(d: Decimal) -> str:
    """`12%`, `12.5%`, `79.999999%`: up to six decimals of a percent, so that a value just
    under a threshold never reads as the threshold itself."""
    if type(d) is Decimal:
        s = str(d)
        text = _PERCENT_TEXTS.get(s)
        if text is None:
            text = _percent_text(d, s)
            if len(_PERCENT_TEXTS) >= _TEXTS_KEPT:
                _PERCENT_TEXTS.clear()
            _PERCENT_TEXTS[s] = text
        return text
    return _percent(d)


def _percent_text(d: Decimal, s: str) -> str:
    if len(s) < 30 and "E" not in s and d.is_finite():
        # d x 100 moves the point two places: exact, and at most six decimals need no rounding
        sign = ""
        if s[0] == "-":
            sign, s = "-", s[1:]
        whole, _, frac = s.partition(".")
        if len(frac) <= 6:
            if len(frac) < 2:
                frac += "00"[len(frac):]
            whole = (whole + frac[:2]).lstrip("0") or "0"
            frac = frac[2:].rstrip("0")
            if frac:
                return f"{sign}{whole}.{frac}%"
            return "0%" if whole == "0" else f"{sign}{whole}%"
    return _percent(d)


def _percent(d: Decimal) -> str:
    with _exact(d, 8):
        p = d * 100
        exp = p.as_tuple().exponent
        if isinstance(exp, int) and -exp > 6:
            p = p.quantize(Decimal("0.000001"))
        return decimal_text(p) + "%"


def number(d: Decimal) -> str:
    """`1,234.5`: grouped, up to eight decimals."""
    if type(d) is Decimal:
        s = str(d)
        if "E" not in s and d.is_finite():
            sign = ""
            if s[0] == "-":
                sign, s = "-", s[1:]
            whole, _, frac = s.partition(".")
            if len(frac) <= 8:
                frac = frac.rstrip("0")
                if frac:
                    return f"{sign}{_group(whole)}.{frac}"
                return "0" if whole == "0" else sign + _group(whole)
    with _exact(d, 8):
        if isinstance(d.as_tuple().exponent, int) and -d.as_tuple().exponent > 8:
            d = d.quantize(Decimal("0.00000001"))
        text = decimal_text(d)
    return _grouped(Decimal(text), len(text.partition(".")[2]))


def value(v, t: T, digits: int = 2) -> str:
    """Any plan value, written for a person."""
    if type(v) is Decimal:
        if t == T.MONEY:
            return money(v, digits)
        if t == T.PERCENT:
            return percent(v)
        return number(v)
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
    if type(v) is Decimal:
        s = str(v)
        if "E" not in s and v.is_finite():  # decimal_text(v), from the same digits
            if "." in s:
                s = s.rstrip("0").rstrip(".")
            return "0" if s == "-0" or not s else s
        return decimal_text(v)
    if isinstance(v, Decimal):
        return decimal_text(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def exact(d: Decimal, digits: int = 2) -> str:
    """An amount as an exact, ungrouped decimal string with at least the minor unit's digits: `12100.00`."""
    if type(d) is Decimal and 0 <= digits < 12:
        s = str(d)
        point = s.find(".")
        if point > 0 and len(s) - point - 1 == digits and point + digits < 30 and "E" not in s:
            # the usual case: exactly the minor unit's digits, so no more than 29 before the point
            return s[1:] if s[0] == "-" and d.is_zero() else s  # never -0.00
        if "E" not in s and d.is_finite() and d.adjusted() + digits + 3 <= CONTEXT.prec:
            if s[0] == "-" and d.is_zero():
                s = s[1:]  # never -0.00
            point = s.find(".")
            have = 0 if point < 0 else len(s) - point - 1
            if have >= digits:
                return s
            return f"{s}{_PAD[digits - have]}" if have else f"{s}.{_PAD[digits]}"
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
