"""Band tables over columns: which band each row reaches, the value there, marginal parts.

The row evaluator's `incentives.engine.tiers` is the definition; these functions give the same
answers for every row at once.  Bounds may differ by row (`50% of quota`); bounds that are out
of order for a row make that row bad, so the row evaluator raises its located error for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from incentives.engine import ir

from . import values as V
from .values import Flag, Number


@dataclass
class Bands:
    lower: list[Number]
    upper: list[Number | None]
    value: list[Number]
    value_to: list[Number | None]
    bad: np.ndarray | None  # rows whose bands are out of order


def bands_of(frame, bands: tuple[ir.Band, ...]) -> Bands:
    lower = [frame(b.lower) for b in bands]
    upper = [frame(b.upper) if b.upper is not None else None for b in bands]
    value = [frame(b.value) for b in bands]
    value_to = [frame(b.value_to) if b.value_to is not None else None for b in bands]
    bad = None
    constant = all(isinstance(x, ir.Const) for b in bands for x in (b.lower, b.upper) if x is not None)
    if not constant:  # constant bands were checked when the plan was compiled
        for i in range(len(bands)):
            if upper[i] is not None:
                down = V.compare(upper[i], lower[i], "<")
                bad = V._or(bad, V._or(down.bad, np.asarray(down.b)))
            if i and upper[i - 1] is not None:
                apart = V.compare(upper[i - 1], lower[i], "!=")
                bad = V._or(bad, V._or(apart.bad, np.asarray(apart.b)))
        if bad is not None and np.ndim(bad) == 0:
            bad = np.full(frame.n, bool(bad))
    return Bands(lower, upper, value, value_to, bad)


def _flag(f: Flag, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    return np.broadcast_to(np.asarray(f.b), (n,)), f.bad


def reached(base: Number, b: Bands, n: int, upper_inclusive: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Index of the band each row's base falls in (-1 below the first), as `tiers.reached`; and the
    rows where a comparison could not be decided."""
    index = np.full(n, -1, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    bad = None
    for i, lower in enumerate(b.lower):
        if upper_inclusive:
            gt, gt_bad = _flag(V.compare(base, lower, ">"), n)
            inside, inside_bad = gt, gt_bad
            if i == 0:
                eq, eq_bad = _flag(V.compare(base, lower, "=="), n)
                inside, inside_bad = gt | eq, V._or(gt_bad, eq_bad)
        else:
            inside, inside_bad = _flag(V.compare(base, lower, ">="), n)
        bad = V._or(bad, V._and_mask(inside_bad, active))
        active = active & inside
        index[active] = i
        upper = b.upper[i]
        if upper is None:
            break
        below, below_bad = _flag(V.compare(base, upper, "<"), n)
        stop, stop_bad = below, below_bad
        if upper_inclusive:
            at, at_bad = _flag(V.compare(base, upper, "=="), n)
            stop, stop_bad = below | at, V._or(below_bad, at_bad)
        bad = V._or(bad, V._and_mask(stop_bad, active))
        active = active & ~stop
    return index, bad


def select(index: np.ndarray, columns: list[Number], n: int, default: Number) -> Number:
    """Each row's column at its index (default at -1)."""
    out = V.full(n, default)
    for i, col in enumerate(columns):
        hit = index == i
        if hit.any():
            out = V.where(hit, col, out)
    return out


def band_value(base: Number, b: Bands, index: np.ndarray, n: int) -> Number:
    """The reached band's value: flat, or linear from value to value_to across it (0 below the first)."""
    out = V.zeros(n)
    for i in range(len(b.value)):
        hit = index == i
        if not hit.any():
            continue
        value = b.value[i]
        if b.value_to[i] is not None and b.upper[i] is not None:
            top = V.compare(base, b.upper[i], ">=")
            width = V.add(b.upper[i], b.lower[i], -1)
            slope = V.div(V.mul(V.add(b.value_to[i], value, -1), V.add(base, b.lower[i], -1)), width)
            inside = V.add(value, slope)
            value = V.with_bad(V.where(np.broadcast_to(np.asarray(top.b), (n,)), b.value_to[i], inside),
                               top.bad)
        out = V.where(hit, value, out)
    return out


def cumulative(b: Bands, index: np.ndarray, n: int) -> Number:
    out = V.zeros(n)
    total: Number = V.zeros(n)
    for i, value in enumerate(b.value):
        total = V.add(total, value)
        hit = index == i
        if hit.any():
            out = V.where(hit, total, out)
    return out


def marginal_parts(base: Number, b: Bands, n: int):
    """(inside mask, amount) of each band of a marginal tier, as `tiers.marginal`: a band pays its
    rate on the part of the base inside it; bands from the first the base does not pass pay nothing."""
    going = np.ones(n, dtype=bool)
    bad = None
    for i, lower in enumerate(b.lower):
        above = V.compare(base, lower, ">")
        ab, ab_bad = _flag(above, n)
        bad = V._or(bad, V._and_mask(ab_bad, going))
        going = going & ab
        if not going.any():
            break
        upper = b.upper[i]
        inside = going
        if upper is not None:
            empty = V.compare(upper, lower, "==")
            eb, e_bad = _flag(empty, n)
            bad = V._or(bad, V._and_mask(e_bad, going))
            inside = going & ~eb
            top = V.minimum(base, upper)
        else:
            top = base
        portion = V.add(top, lower, -1)
        yield i, inside, portion, V.mul(b.value[i], portion), bad
        bad = None


def curve_value(frame, name: str, x: Number) -> Number:
    """A declared curve at x, as the row compiler's `curve`."""
    b = bands_of(frame, frame.plan.curves[name])
    index, bad = reached(x, b, frame.n)
    return V.with_bad(band_value(x, b, index, frame.n), V._or(bad, b.bad))
