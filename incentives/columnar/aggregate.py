"""Aggregates per group over columns: sum, count, average, min and max of a value per payee (or per
team), by unbuffered `ufunc.at` on the group's index (no sort), exact in int64 where the sum fits."""

from __future__ import annotations

import numpy as np

from . import values as V
from .expr import Unsupported
from .values import Approx, Num, Number


def _any_by(index: np.ndarray, flags: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[index[np.broadcast_to(flags, index.shape)]] = True
    return out


# ---- aggregates ----
def aggregate(agg: str, value: Number | None, group: np.ndarray, keep: np.ndarray | None, n: int) -> Number:
    """sum, count, average, min, max of value per group (0..n-1) over the rows kept; 0 for none.
    Unbuffered ufunc.at adds in int64 (exact where the bound says the sums fit), no sort."""
    rows = None if keep is None else np.flatnonzero(keep)
    g = group if rows is None else group[rows]
    counts = np.bincount(g, minlength=n).astype(np.int64)
    if agg == "count":
        return Num(counts, 0)
    if value is None:
        raise Unsupported(None, f"a measure `{agg}` with nothing to take")
    value = V.full(len(group), value) if np.ndim(value.v if isinstance(value, Num) else value.x) == 0 else value
    bad = None
    if value.bad is not None:
        bad = _any_by(group, value.bad & (keep if keep is not None else True), n)
    if agg in ("sum", "average"):
        total = _group_sum(value, rows, g, counts, n)
        if agg == "sum":
            return V.with_bad(total, bad)
        has = counts > 0
        avg = V.div(total, Num(np.where(has, counts, 1), 0))
        return V.with_bad(V.where(has, avg, V.zeros(n)), bad)
    f = np.minimum if agg == "min" else np.maximum
    has = counts > 0
    if isinstance(value, Num):
        v = np.asarray(value.v) if rows is None else np.asarray(value.v)[rows]
        fill = np.iinfo(np.int64).max if agg == "min" else np.iinfo(np.int64).min
        out = np.full(n, fill, dtype=np.int64)
        f.at(out, g, v)
        return Num(np.where(has, out, 0), value.scale, bad, value.hi)
    x = value.x if rows is None else value.x[rows]
    e = value.e if rows is None else value.e[rows]
    ox = np.full(n, np.inf if agg == "min" else -np.inf)
    f.at(ox, g, x)
    oe = np.zeros(n)
    np.maximum.at(oe, g, e)
    return Approx(np.where(has, ox, 0.0), oe, bad)


def _group_sum(value: Number, rows: np.ndarray | None, g: np.ndarray, counts: np.ndarray, n: int) -> Number:
    if isinstance(value, Num):
        v = np.asarray(value.v) if rows is None else np.asarray(value.v)[rows]
        if value.maxabs() * max(len(v), 1) < V.SAFE:
            out = np.zeros(n, dtype=np.int64)
            np.add.at(out, g, v)
            return Num(out, value.scale)  # its bound: worked out from the sums when asked (few rows)
    a = V.approx(value)
    xs = a.x if rows is None else a.x[rows]
    es = a.e if rows is None else a.e[rows]
    x, e, mag = np.zeros(n), np.zeros(n), np.zeros(n)
    np.add.at(x, g, xs)
    np.add.at(e, g, es)
    np.add.at(mag, g, np.abs(xs))
    return Approx(x, e + mag * V.EPS * (counts + 1))
