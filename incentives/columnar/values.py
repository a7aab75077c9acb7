"""Column values and their arithmetic: exact where it can be, certified where it cannot.

A numeric column is one of two kinds, chosen per column as it is worked out:

* `Num`: exact fixed point, `value = v / 10**scale` with `v` an int64 array.  Sums, differences,
  products, minima, comparisons and roundings of `Num`s are exact integer arithmetic, and give the
  very numbers the Decimal row evaluator gives (Decimal is exact too while a value has fewer than
  34 digits, and an int64 has at most 19).  Before every operation the largest magnitude in the
  columns is checked: an operation that could go past 2**62 (or a scale past 18 digits) is not
  done in int64 at all, the column becomes an `Approx` instead.  Nothing ever wraps.
* `Approx`: a float64 value `x` and a float64 bound `e` on its distance from the exact value
  *and* from the row evaluator's 34-digit Decimal value.  A division that does not come out even
  (attainment = revenue / quota) gives one; so does an overflow.  Arithmetic widens the bound
  (each float operation adds its rounding error, each Decimal operation its 34-digit rounding).

A decision on an `Approx` (a comparison, a band reached, a rounding to the cent) is taken only
where the whole interval `x - e .. x + e` gives the same answer; where it does not, the row is
marked *bad*.  Every value carries its `bad` mask (None: no row is bad), and bad rows are worked
out again by the row evaluator, so a payee's amounts are always the row evaluator's amounts.  A
rounding that is decided turns an `Approx` back into an exact `Num`: a line rounded to the cent
is exact again, whatever came before it.

Errors are bad rows too: a division by zero, a table with no row, bands out of order.  The row
evaluator then raises the located error the plan's author expects.

Why int64 and float64 rather than decimal128 columns or a dataframe library: measured on one band
of a marginal tier over 1,000,000 payees (min of revenue and 50% of quota, times 5%, rounded
half-up to the cent), in one process: numpy int64 0.016 s, pyarrow decimal128 compute 0.183 s
(11.5 times slower; it also has no checked overflow of its own beyond 38 digits), polars Decimal
0.091 s (5.7 times slower, and its `round` is half-to-even only: 0.125 rounds to 0.12, so the
plan's half-up could not be had from it).  numba was not tried: it would add a compiler to the
dependencies, and the evaluator's time at 1,000,000 payees is mostly reading and writing Arrow
tables, not arithmetic (see benchmarks/columnar.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

SAFE = 2 ** 62  # exact values stay below this in magnitude
MAX_SCALE = 18
EPS = 2.0 ** -51  # a relative bound on one float64 operation's rounding (twice the unit), with room
DEC = 1e-30  # a relative bound on one 34-digit Decimal rounding (10**-33), with room
TEN = [10 ** k for k in range(40)]


def _or(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def _and_mask(bad, mask):
    """Bad only where the mask is on (a branch not taken is not the row's problem)."""
    if bad is None:
        return None
    return bad & mask


@dataclass(slots=True)
class Num:
    v: np.ndarray  # int64, or an int64 scalar for constants
    scale: int
    bad: np.ndarray | None = None
    #: a bound on |v|, carried from the operands (so most overflow checks cost no pass over the data),
    #: or None: worked out from the values when first asked
    hi: int | None = None

    def maxabs(self) -> int:
        if self.hi is None:
            if np.ndim(self.v) == 0:
                self.hi = abs(int(self.v))
            elif self.v.size == 0:
                self.hi = 0
            else:
                self.hi = max(abs(int(self.v.max())), abs(int(self.v.min())))
        return self.hi

    def at(self, scale: int) -> Num | None:
        """The same values at a larger scale, or None if that could overflow."""
        if scale == self.scale:
            return self
        k = scale - self.scale
        if scale > MAX_SCALE or self.maxabs() * TEN[k] >= SAFE:
            return None
        return Num(self.v * np.int64(TEN[k]), scale, self.bad, self.maxabs() * TEN[k])


@dataclass(slots=True)
class Approx:
    x: np.ndarray  # float64
    e: np.ndarray  # float64 >= 0: a bound on |x - exact| and on |x - row evaluator's value|
    bad: np.ndarray | None = None
    #: the exact value in the rows `exm` holds: a division that came out even there (most rows of
    #: attainment = revenue / quota, say), carried through later arithmetic, so that decisions in those
    #: rows are exact even though the column as a whole is not
    ex: Num | None = None
    exm: np.ndarray | None = None


@dataclass(slots=True)
class Flag:
    b: np.ndarray  # bool
    bad: np.ndarray | None = None


@dataclass(slots=True)
class Text:
    a: np.ndarray  # object (str)
    bad: np.ndarray | None = None


@dataclass(slots=True)
class Day:
    d: np.ndarray  # int64 days since 1970-01-01
    bad: np.ndarray | None = None


Number = Num | Approx
Value = Num | Approx | Flag | Text | Day


def with_bad(value, bad):
    """The value with more bad rows."""
    if bad is None:
        return value
    if isinstance(value, Num):
        return Num(value.v, value.scale, _or(value.bad, bad), value.hi)
    if isinstance(value, Approx):
        return Approx(value.x, value.e, _or(value.bad, bad), value.ex, value.exm)
    return type(value)(*[getattr(value, f) for f in value.__slots__[:-1]], _or(value.bad, bad))


def without_bad(value):
    if isinstance(value, Num):
        return Num(value.v, value.scale, None, value.hi)
    if isinstance(value, Approx):
        return Approx(value.x, value.e, None, value.ex, value.exm)
    return type(value)(*[getattr(value, f) for f in value.__slots__[:-1]], None)


# ---- numbers ----
def const_num(d: Decimal) -> Number:
    _sign, _digits, exp = d.as_tuple()
    scale = max(0, -exp)
    v = int(d.scaleb(scale))
    if scale <= MAX_SCALE and abs(v) < SAFE:
        return Num(np.int64(v), scale)
    x = float(d)
    return Approx(np.float64(x), np.float64(abs(x) * EPS))


def approx(a: Number) -> Approx:
    if isinstance(a, Approx):
        return a
    x = np.asarray(a.v).astype(np.float64) / float(TEN[a.scale])
    return Approx(x, np.abs(x) * EPS, a.bad, Num(a.v, a.scale, None, a.hi), np.bool_(True))


def _shadow(a: Number) -> tuple[Num, np.ndarray] | None:
    """The exact part of a value: (exact values, rows where they hold), or None."""
    if isinstance(a, Num):
        return Num(a.v, a.scale, None, a.hi), np.bool_(True)
    if a.ex is None:
        return None
    return a.ex, a.exm


def _shadowed(out: Approx, a: Number, b: Number | None, op) -> Approx:
    """out with the exact part of op(a, b) where both have one (op on Nums: a Num, or else no part)."""
    if isinstance(a, Num) and (b is None or isinstance(b, Num)):
        return out  # the exact operation itself did not fit int64: there is no exact part
    sa = _shadow(a)
    sb = _shadow(b) if b is not None else (None, np.bool_(True))
    if sa is None or sb is None:
        return out
    r = op(sa[0], sb[0]) if b is not None else op(sa[0])
    if isinstance(r, Approx):  # the exact part overflowed int64: what it kept, if anything
        if r.ex is None:
            return out
        r, mask = r.ex, r.exm & sa[1] & sb[1]
    else:
        mask = sa[1] & sb[1]
    if not np.any(mask):
        return out
    out.ex, out.exm = Num(r.v, r.scale, None, r.hi), mask
    return out


def _align(a: Num, b: Num) -> tuple[Num, Num] | None:
    s = max(a.scale, b.scale)
    a2, b2 = a.at(s), b.at(s)
    if a2 is None or b2 is None:
        return None
    return a2, b2


def add(a: Number, b: Number, sign: int = 1) -> Number:
    bad = _or(a.bad, b.bad)
    if isinstance(a, Num) and isinstance(b, Num):
        pair = _align(a, b)
        if pair is not None and pair[0].maxabs() + pair[1].maxabs() < SAFE:
            x, y = pair
            return Num(x.v + y.v if sign > 0 else x.v - y.v, x.scale, bad, x.maxabs() + y.maxabs())
    a2, b2 = approx(a), approx(b)
    x = a2.x + b2.x if sign > 0 else a2.x - b2.x
    out = Approx(x, a2.e + b2.e + (np.abs(a2.x) + np.abs(b2.x)) * (EPS + DEC), bad)
    return _shadowed(out, a, b, lambda p, q: add(p, q, sign))


def mul(a: Number, b: Number) -> Number:
    bad = _or(a.bad, b.bad)
    if (isinstance(a, Num) and isinstance(b, Num) and a.scale + b.scale <= MAX_SCALE
            and a.maxabs() * b.maxabs() < SAFE):
        return Num(a.v * b.v, a.scale + b.scale, bad, a.maxabs() * b.maxabs())
    a2, b2 = approx(a), approx(b)
    x = a2.x * b2.x
    ax, bx = np.abs(a2.x), np.abs(b2.x)
    out = Approx(x, (ax * b2.e + bx * a2.e + a2.e * b2.e) * (1 + EPS) + np.abs(x) * (EPS + DEC), bad)
    return _shadowed(out, a, b, mul)


def neg(a: Number) -> Number:
    if isinstance(a, Num):
        return Num(-a.v, a.scale, a.bad, a.hi)
    return _shadowed(Approx(-a.x, a.e, a.bad), a, None, neg)


def absolute(a: Number) -> Number:
    if isinstance(a, Num):
        return Num(np.abs(a.v), a.scale, a.bad, a.hi)
    return _shadowed(Approx(np.abs(a.x), a.e, a.bad), a, None, absolute)


def div(a: Number, b: Number) -> Number:
    """a / b; rows dividing by zero (or by an interval holding zero) are bad."""
    bad = _or(a.bad, b.bad)
    if isinstance(b, Num):
        zero = np.asarray(b.v == 0)
        if zero.any():
            bad = _or(bad, np.broadcast_to(zero, np.shape(a.v if isinstance(a, Num) else a.x)) if zero.ndim == 0
                      else zero)
            b = Num(np.where(b.v == 0, np.int64(1), b.v), b.scale, b.bad)
    shadow = None
    if isinstance(a, Num) and isinstance(b, Num):
        exact = _exact_quotient(a, b)
        if exact is not None:
            q, scale, even = exact
            if np.all(even):
                return Num(q, scale, bad)
            shadow = (Num(q, scale), even)  # exact where it came out even
    elif _shadow(a) is not None and _shadow(b) is not None:
        (ea, ma), (eb, mb) = _shadow(a), _shadow(b)
        r = div(ea, Num(np.where(eb.v == 0, np.int64(1), eb.v), eb.scale))
        part = _shadow(r)
        if part is not None:
            shadow = (part[0], part[1] & ma & mb & (eb.v != 0))
    a, b = approx(a), approx(b)
    bx = np.abs(b.x)
    near_zero = bx <= b.e * 2
    if np.any(near_zero):
        bad = _or(bad, np.broadcast_to(near_zero, np.broadcast(a.x, b.x).shape).copy())
        bx = np.where(near_zero, 1.0, bx)
        b = Approx(np.where(near_zero, 1.0, b.x), np.where(near_zero, 0.0, b.e))
    x = a.x / b.x
    e = (np.abs(a.x) * b.e + bx * a.e) / (bx * (bx - b.e)) * (1 + 4 * EPS) + np.abs(x) * (EPS + DEC)
    out = Approx(x, e, bad)
    if shadow is not None and np.any(shadow[1]):
        out.ex, out.exm = shadow
    return out


def _exact_quotient(a: Num, b: Num) -> tuple[np.ndarray, int, np.ndarray] | None:
    """a / b in int64 at the finest scale that holds it: (quotients, scale, rows where it came out
    even); None where no scale fits."""
    big = a.maxabs()
    room = 0
    while room < MAX_SCALE and big * TEN[room + 1] < SAFE:
        room += 1
    k = room
    scale = a.scale + k - b.scale
    if scale < 0:
        return None
    if scale > MAX_SCALE:
        k -= scale - MAX_SCALE
        scale = MAX_SCALE
    q, r = np.divmod(a.v * np.int64(TEN[k]), b.v)
    even = np.asarray(r == 0)
    # the smallest scale that holds every quotient exactly keeps later products in range
    while scale > max(a.scale, 0) and np.all((q % 10 == 0) | ~even):
        q, scale = q // 10, scale - 1
    return np.asarray(q, dtype=np.int64), scale, even


def minimum(a: Number, b: Number, take_min: bool = True) -> Number:
    bad = _or(a.bad, b.bad)
    f = np.minimum if take_min else np.maximum
    if isinstance(a, Num) and isinstance(b, Num):
        pair = _align(a, b)
        if pair is not None:
            return Num(f(pair[0].v, pair[1].v), pair[0].scale, bad, max(pair[0].maxabs(), pair[1].maxabs()))
    a2, b2 = approx(a), approx(b)
    out = Approx(f(a2.x, b2.x), np.maximum(a2.e, b2.e), bad)
    return _shadowed(out, a, b, lambda p, q: minimum(p, q, take_min))


def compare(a: Number, b: Number, op: str) -> Flag:
    """a op b (>=, <=, >, <, ==, !=); undecided rows of Approx values are bad."""
    bad = _or(a.bad, b.bad)
    if isinstance(a, Num) and isinstance(b, Num):
        pair = _align(a, b)
        if pair is not None:
            return Flag(np.asarray(_OPS[op](pair[0].v, pair[1].v)), bad)
    sa, sb = _shadow(a), _shadow(b)
    a, b = approx(a), approx(b)
    d = a.x - b.x
    e = (a.e + b.e) * (1 + EPS) + (np.abs(a.x) + np.abs(b.x)) * EPS
    decided = np.abs(d) > e
    out = np.asarray(_OPS[op](d, 0.0))
    if sa is not None and sb is not None:  # exactly, where both sides are exact
        pair = _align(sa[0], sb[0])
        if pair is not None:
            mask = np.asarray(sa[1] & sb[1])
            out = np.where(mask, _OPS[op](pair[0].v, pair[1].v), out)
            decided = decided | mask
    if not np.all(decided):
        bad = _or(bad, np.asarray(~decided))
    return Flag(out, bad)


_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less,
        "==": np.equal, "!=": np.not_equal}


def where(c: np.ndarray, a: Value, b: Value) -> Value:
    """Row by row: a where c, else b; each side's bad rows count only where that side is taken."""
    bad = _or(_and_mask(a.bad, c), _and_mask(b.bad, ~c))
    if isinstance(a, (Num, Approx)) and isinstance(b, (Num, Approx)):
        if isinstance(a, Num) and isinstance(b, Num):
            pair = _align(a, b)
            if pair is not None:
                return Num(np.where(c, pair[0].v, pair[1].v), pair[0].scale, bad,
                           max(pair[0].maxabs(), pair[1].maxabs()))
        a2, b2 = approx(a), approx(b)
        out = Approx(np.where(c, a2.x, b2.x), np.where(c, a2.e, b2.e), bad)
        sa, sb = _shadow(a), _shadow(b)
        if sa is not None and sb is not None:
            pair = _align(sa[0], sb[0])
            if pair is not None:
                out.ex = Num(np.where(c, pair[0].v, pair[1].v), pair[0].scale, None,
                             max(pair[0].maxabs(), pair[1].maxabs()))
                out.exm = np.where(c, sa[1], sb[1])
        elif sa is not None or sb is not None:  # exact on the side that has it, where it is taken
            side, taken = (sa, c) if sa is not None else (sb, ~c)
            out.ex, out.exm = side[0], side[1] & taken
        return out
    if isinstance(a, Flag):
        return Flag(np.where(c, a.b, b.b), bad)
    if isinstance(a, Text):
        return Text(np.where(c, a.a, b.a), bad)
    if isinstance(a, Day):
        return Day(np.where(c, a.d, b.d), bad)
    raise TypeError(type(a))  # pragma: no cover


def zeros(n: int) -> Num:
    return Num(np.zeros(n, dtype=np.int64), 0)


def full(n: int, value: Value) -> Value:
    """A constant as a whole column (constants are scalars until something needs their length)."""
    if isinstance(value, Num):
        return Num(np.broadcast_to(np.asarray(value.v, dtype=np.int64), (n,)).copy(), value.scale, value.bad,
                   value.maxabs())
    if isinstance(value, Approx):
        return Approx(np.full(n, value.x, dtype=np.float64), np.full(n, value.e, dtype=np.float64), value.bad,
                      full(n, value.ex) if value.ex is not None else None,
                      np.broadcast_to(value.exm, (n,)).copy() if value.ex is not None else None)
    if isinstance(value, Flag):
        return Flag(np.broadcast_to(value.b, (n,)).copy(), value.bad)
    if isinstance(value, Text):
        out = np.empty(n, dtype=object)
        out[:] = value.a if np.ndim(value.a) else value.a.item() if hasattr(value.a, "item") else value.a
        return Text(out, value.bad)
    return Day(np.broadcast_to(np.asarray(value.d, dtype=np.int64), (n,)).copy(), value.bad)
