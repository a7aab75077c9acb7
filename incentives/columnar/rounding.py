"""Rounding a column to a number of decimals, exactly as `Decimal.quantize` does.

An exact column (`Num`) is rounded in integers; an `Approx` column is rounded where both ends of
its interval round to the same number (elsewhere the row is bad, for the row evaluator), which
makes the result exact.  The modes are the plan language's (`ROUNDING` in the row compiler).
"""

from __future__ import annotations

import numpy as np

from .values import EPS, TEN, Num, Number, _or


def _round_ints(v: np.ndarray, d: int, mode: str) -> np.ndarray:
    """v / d rounded to an integer by mode (d > 0), in int64."""
    if mode == "floor":
        return v // d
    if mode == "ceiling":
        return -((-v) // d)
    if mode in ("half_up", "half_down", "down", "up") and d % 2 == 0:
        # on |v|, then the sign back: |v| < 2**62 and d <= 10**18, so nothing here can overflow
        bump = {"half_up": d // 2, "half_down": d // 2 - 1, "down": 0, "up": d - 1}[mode]
        m = (np.abs(v) + bump) // d
        return np.where(v < 0, -m, m)
    q, r = np.divmod(v, np.int64(d))  # floor division: 0 <= r < d
    neg = v < 0
    if mode == "down":  # toward zero
        return np.where(neg, q + (r > 0), q)
    if mode == "up":  # away from zero
        return np.where(neg, q, q + (r > 0))
    twice = 2 * r
    if mode == "half_up":  # half away from zero
        up = np.where(neg, twice > d, twice >= d)
    elif mode == "half_down":  # half toward zero
        up = np.where(neg, twice >= d, twice > d)
    else:  # half_even
        up = (twice > d) | ((twice == d) & (q % 2 == 1))
    return q + up


def _round_floats(y: np.ndarray, mode: str) -> np.ndarray:
    """Round float64 values to integers by mode, monotonically and exactly for the float given:
    the fraction `y - floor(y)` is exact for |y| < 2**52."""
    fl = np.floor(y)
    fr = y - fl
    if mode == "floor":
        return fl
    if mode == "ceiling":
        return fl + (fr > 0)
    neg = y < 0
    if mode == "down":
        return np.where(neg, fl + (fr > 0), fl)
    if mode == "up":
        return np.where(neg, fl, fl + (fr > 0))
    if mode == "half_up":
        up = np.where(neg, fr > 0.5, fr >= 0.5)
    elif mode == "half_down":
        up = np.where(neg, fr >= 0.5, fr > 0.5)
    else:
        up = (fr > 0.5) | ((fr == 0.5) & (np.mod(fl, 2) == 1))
    return fl + up


def round_to(a: Number, places: int, mode: str) -> Number:
    """a rounded to `places` decimals (a Num at that scale where decided)."""
    if isinstance(a, Num):
        if a.scale <= places:
            up = a.at(places)
            return up if up is not None else a
        d = TEN[a.scale - places]
        return Num(_round_ints(np.asarray(a.v), d, mode), places, a.bad, a.maxabs() // d + 1)
    exact = round_to(a.ex, places, mode) if a.ex is not None else None
    factor = float(TEN[places])
    y = a.x * factor
    e = a.e * factor * (1 + 4 * EPS) + np.abs(y) * 2 * EPS
    lo, hi = _round_floats(y - e, mode), _round_floats(y + e, mode)
    decided = (lo == hi) & (np.abs(y) + e < 2.0 ** 52)
    bad = a.bad
    if not np.all(decided):
        lo = np.where(decided, lo, 0.0)
    out = np.asarray(lo).astype(np.int64)
    if isinstance(exact, Num) and exact.scale == places:  # exact where the value is
        mask = np.asarray(a.exm)
        out = np.where(mask, exact.v, out)
        decided = decided | mask
    if not np.all(decided):
        bad = _or(bad, np.asarray(~decided))
    return Num(out, places, bad)
