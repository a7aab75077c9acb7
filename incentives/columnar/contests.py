"""Contests and pools over columns, group by group, in O(n log n).

A contest is one `np.lexsort` over (group, score, tie-breakers, id) of its qualified entrants;
places, ties and prizes follow from where the sorted keys change (standard competition ranking,
as `incentives.sales.ranking.rank`).  A pool shares its amount exactly in integer minor units:
each share cut down to the minor unit, and the units left over one each to the largest
remainders, ties to the lower payee id (`ranking.share_out`).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from incentives.engine import ir
from incentives.engine.compile import ROUNDING
from incentives.sales.ranking import share_out

from . import values as V
from .expr import Frame, Unsupported
from .rounding import round_to
from .values import Num


def id_rank(ids: np.ndarray) -> np.ndarray:
    """Each id's position in id order (ties to the lower id come first)."""
    order = pc.sort_indices(pa.array(ids.tolist(), type=pa.string())).to_numpy()
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    return rank


def _exact(col, n: int, span, what: str) -> Num:
    if not isinstance(col, Num):
        raise Unsupported(span, f"a contest {what} that is not exact (ties could not be told)")
    return V.full(n, col) if np.ndim(col.v) == 0 else col


def contest(frame: Frame, c: ir.Contest, org) -> dict[str, Num]:
    n = frame.n
    if getattr(org, "rank_of_id", None) is None:
        org.rank_of_id = id_rank(org.ids)
    groups = org.groups(c.among)
    entrants = np.ones(n, dtype=bool)
    bad = None
    if c.qualify is not None:
        q = frame(c.qualify)
        entrants = np.broadcast_to(np.asarray(q.b), (n,)).copy()
        bad = q.bad
    keys = [_exact(frame(c.rank_by), n, c.span, "score")] + [_exact(frame(b), n, c.span, "tie-breaker")
                                                             for b in c.tie_breakers]
    for k in keys:
        if k.bad is not None:
            bad = V._or(bad, k.bad & entrants)
    rows = np.flatnonzero(entrants)
    g = groups[rows]
    vals = [np.asarray(k.v)[rows] for k in keys]
    order = np.lexsort([org.rank_of_id[rows]] + [-v for v in reversed(vals)] + [g])
    rows, g = rows[order], g[order]
    vals = [v[order] for v in vals]
    m = len(rows)
    new_group = np.r_[True, g[1:] != g[:-1]] if m else np.zeros(0, dtype=bool)
    new_run = new_group.copy()
    for v in vals:
        if m:
            new_run[1:] |= v[1:] != v[:-1]
    idx = np.arange(m)
    group_start = np.maximum.accumulate(np.where(new_group, idx, 0)) if m else idx
    run_start = np.maximum.accumulate(np.where(new_run, idx, 0)) if m else idx
    run_id = np.cumsum(new_run) - 1
    run_len = np.bincount(run_id)[run_id] if m else idx
    pos = run_start - group_start  # the place, 0-based, tied entrants sharing the best
    place = pos + 1
    prizes = [frame(p) for p in c.prizes]
    scale = max([p.scale for p in prizes if isinstance(p, Num)] + [0])
    table = np.array([int(np.asarray(p.at(scale).v)) for p in prizes] + [0], dtype=np.int64)
    if c.ties == "split":
        prize = _split(table, scale, pos, run_start, run_len, new_run, frame.plan)
    else:
        prize = table[np.minimum(pos, len(prizes))]
        prize = Num(prize, scale)
    placed = np.ones(m, dtype=bool) if c.places is None else place <= c.places
    rank_col = np.zeros(n, dtype=np.int64)
    rank_col[rows] = np.where(placed, place, 0)
    prize_col = np.zeros(n, dtype=np.int64)
    prize_col[rows] = np.where(placed, np.asarray(prize.v), 0)
    per_group = np.bincount(g, minlength=int(groups.max(initial=-1)) + 1)
    competitors = per_group[groups] if len(per_group) else np.zeros(n, dtype=np.int64)
    return {"rank": Num(rank_col, 0, bad), "prize": Num(prize_col, prize.scale, bad),
            "competitors": Num(competitors.astype(np.int64), 0, bad)}


def _split(table: np.ndarray, scale: int, pos, run_start, run_len, new_run, plan: ir.Plan) -> Num:
    """Tied entrants share the prizes of the places they take, exactly (`share_out`)."""
    places = len(table) - 1
    minor = plan.minor_units
    quantum = Decimal(1).scaleb(-minor)
    out_scale = max(scale, minor)
    out = np.zeros(len(pos), dtype=np.int64)
    for start in np.flatnonzero(new_run & (pos < places)):
        k, size = int(pos[start]), int(run_len[start])
        pot = sum((Decimal(int(table[p])).scaleb(-scale) for p in range(k, min(k + size, places))), Decimal(0))
        shares = share_out(pot, {f"{i:012d}": Decimal(1) for i in range(size)}, quantum)
        for i in range(size):
            out[start + i] = int(shares[f"{i:012d}"].scaleb(out_scale))
    return Num(out, out_scale)


def pool(frame: Frame, item: ir.Pool, org, plan) -> Num:
    """Each payee's share of a pool within its group (everyone, or the team)."""
    n, p = frame.n, frame.plan
    if getattr(org, "rank_of_id", None) is None:
        org.rank_of_id = id_rank(org.ids)
    amount = round_to(frame(item.amount), p.minor_units, p.rounding_mode)
    if not isinstance(amount, Num) or amount.bad is not None and np.any(amount.bad):
        raise Unsupported(item.span, "a pool amount that could not be decided exactly")
    amount = V.full(n, amount)
    groups = org.groups(item.among)
    if n and np.any(np.asarray(amount.v) != np.asarray(amount.v)[np.argmax(groups == groups)]):
        first = np.zeros(int(groups.max()) + 1, dtype=np.int64)
        first[groups[::-1]] = np.asarray(amount.v)[::-1]
        if np.any(first[groups] != amount.v):
            raise Unsupported(item.span, "a pool that is not the same for the whole group (the row run names it)")
    if item.by is not None:
        w = frame(item.by)
        if not isinstance(w, Num) or w.bad is not None:
            raise Unsupported(item.span, "pool weights that are not exact")
        w = V.full(n, w)
        weights = np.maximum(np.asarray(w.v), 0)
    else:
        weights = np.ones(n, dtype=np.int64)
    totals = np.zeros(int(groups.max(initial=-1)) + 1, dtype=object if weights.max(initial=0) * n >= V.SAFE
                      else np.int64)
    np.add.at(totals, groups, weights.astype(totals.dtype))
    total = totals[groups]
    equal = total == 0
    weights = np.where(equal, 1, weights)
    sizes = np.bincount(groups, minlength=len(totals))
    total = np.where(equal, sizes[groups], total)
    a = np.asarray(amount.v)
    sign = np.where(a < 0, -1, 1)
    units = np.abs(a)
    if int(units.max(initial=0)) * int(weights.max(initial=0)) >= V.SAFE:  # exact in Python integers
        units, weights, total = units.astype(object), weights.astype(object), total.astype(object)
    product = units * weights
    floor, rem = product // total, product % total
    left = np.zeros(len(totals), dtype=np.int64)
    np.add.at(left, groups, np.asarray(floor, dtype=object).astype(np.int64))
    first_units = np.zeros(len(totals), dtype=np.int64)
    first_units[groups] = np.asarray(units, dtype=object).astype(np.int64)
    left = first_units - left
    order = np.lexsort([org.rank_of_id, -np.asarray(rem, dtype=object).astype(np.float64)
                        if rem.dtype == object else -rem, groups])
    gs = groups[order]
    starts = np.r_[0, np.flatnonzero(gs[1:] != gs[:-1]) + 1] if n else np.zeros(0, dtype=np.int64)
    pos = np.arange(n) - np.maximum.accumulate(np.where(np.r_[True, gs[1:] != gs[:-1]] if n else [], np.arange(n), 0))
    extra = np.zeros(n, dtype=np.int64)
    extra[order] = pos < left[gs]
    share = (np.asarray(floor, dtype=object).astype(np.int64) + extra) * sign
    del starts
    return Num(share.astype(np.int64), amount.scale)


_ = ROUNDING
