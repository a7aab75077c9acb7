"""Aggregates per group over columns: sum, count, average, min and max of a value per payee (or per
team), by one stable sort on the group and `reduceat`, exact in int64 where the sum fits."""

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
    """sum, count, average, min, max of value per group (0..n-1) over the rows kept; 0 for none."""
    rows = np.arange(len(group)) if keep is None else np.flatnonzero(keep)
    g = group[rows]
    counts = np.bincount(g, minlength=n).astype(np.int64)
    if agg == "count":
        return Num(counts, 0)
    if value is None:
        raise Unsupported(None, f"a measure `{agg}` with nothing to take")
    value = V.full(len(group), value) if np.ndim(value.v if isinstance(value, Num) else value.x) == 0 else value
    order = np.argsort(g, kind="stable")
    gs = g[order]
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]]) if len(gs) else np.zeros(0, dtype=np.int64)
    owners = gs[starts] if len(gs) else np.zeros(0, dtype=np.int64)
    bad = None
    if value.bad is not None:
        bad = _any_by(group, value.bad & (keep if keep is not None else True), n)
    if agg in ("sum", "average"):
        total = _group_sum(value, rows[order], starts, owners, n)
        if agg == "sum":
            return V.with_bad(total, bad)
        has = counts > 0
        avg = V.div(total, Num(np.where(has, counts, 1), 0))
        return V.with_bad(V.where(has, avg, V.zeros(n)), bad)
    f = np.minimum if agg == "min" else np.maximum
    if isinstance(value, Num):
        out = np.zeros(n, dtype=np.int64)
        if len(gs):
            out[owners] = f.reduceat(np.asarray(value.v)[rows[order]], starts)
        return Num(out, value.scale, bad)
    x, e = np.zeros(n), np.zeros(n)
    if len(gs):
        x[owners] = f.reduceat(value.x[rows[order]], starts)
        e[owners] = np.maximum.reduceat(value.e[rows[order]], starts)
    return Approx(x, e, bad)


def _group_sum(value: Number, picked: np.ndarray, starts: np.ndarray, owners: np.ndarray, n: int) -> Number:
    if isinstance(value, Num):
        v = np.asarray(value.v)[picked]
        if value.maxabs() * max(len(v), 1) < V.SAFE:
            out = np.zeros(n, dtype=np.int64)
            if len(v):
                out[owners] = np.add.reduceat(v, starts)
            return Num(out, value.scale)
    a = V.approx(value)
    x, e = np.zeros(n), np.zeros(n)
    if len(picked):
        xs, es = a.x[picked], a.e[picked]
        x[owners] = np.add.reduceat(xs, starts)
        sizes = np.diff(np.r_[starts, len(picked)])
        e[owners] = np.add.reduceat(es, starts) + np.add.reduceat(np.abs(xs), starts) * V.EPS * (sizes + 1)
    return Approx(x, e)
