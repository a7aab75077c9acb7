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
from incentives.sales.ranking import share_out

from . import values as V
from .expr import Frame, Unsupported
from .rounding import round_to
from .values import Num


def id_rank(ids: pa.Array) -> np.ndarray:
    """Each id's position in id order (ties to the lower id come first)."""
    order = pc.sort_indices(ids).to_numpy()
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    return rank


def _exact(col, n: int, span, what: str) -> Num:
    if isinstance(col, V.Approx) and col.ex is not None and np.all(col.exm):
        col = V.with_bad(col.ex, col.bad)  # a division that came out even for everyone
    if not isinstance(col, Num):
        raise Unsupported(span, f"a contest {what} that is not exact (ties could not be told)")
    return V.full(n, col) if np.ndim(col.v) == 0 else col


def contest(frame: Frame, c: ir.Contest, org) -> dict[str, Num]:
    n = frame.n
    groups = org.groups(c.among)
    entrants, bad = frame.condition(c.qualify)
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
    """Each payee's share of a pool within its group (everyone, or the team), as `share_out`."""
    n, p = frame.n, frame.plan
    if n == 0:
        return V.zeros(0)
    amount = round_to(frame(item.amount), p.minor_units, p.rounding_mode)
    if not isinstance(amount, Num) or (amount.bad is not None and np.any(amount.bad)):
        raise Unsupported(item.span, "a pool amount that could not be decided exactly")
    a = np.asarray(V.full(n, amount).v)
    groups = org.groups(item.among)
    count = int(groups.max()) + 1
    first = np.zeros(count, dtype=np.int64)
    first[groups[::-1]] = a[::-1]  # the first member's amount (the last write wins)
    if np.any(first[groups] != a):
        raise Unsupported(item.span, "a pool that is not the same for the whole group (the row run names it)")
    if item.by is not None:
        w = frame(item.by)
        if not isinstance(w, Num) or w.bad is not None:
            raise Unsupported(item.span, "pool weights that are not exact")
        weights = np.maximum(np.asarray(V.full(n, w).v), 0)  # a negative contribution counts as none
    else:
        weights = np.ones(n, dtype=np.int64)
    sizes = np.bincount(groups, minlength=count)
    units = np.abs(first)
    big = int(weights.max(initial=0)) * max(n, 1) >= V.SAFE or int(units.max()) * int(weights.max(initial=1)) >= V.SAFE
    if big:  # exact in Python integers: slower, never wrong
        weights = weights.astype(object)
    totals = np.zeros(count, dtype=weights.dtype)
    np.add.at(totals, groups, weights)
    equal = (totals == 0)[groups]  # nothing to share by: equal shares
    weights = np.where(equal, 1, weights)
    total = np.where(equal, sizes[groups], totals[groups])
    u = units[groups].astype(weights.dtype)
    product = u * weights
    floor, rem = product // total, product % total
    given = np.zeros(count, dtype=weights.dtype)
    np.add.at(given, groups, floor)
    left = (units.astype(weights.dtype) - given).astype(np.int64)
    if big:
        order = np.array(sorted(range(n), key=lambda i: (groups[i], -rem[i], org.rank_of_id[i])), dtype=np.int64)
    else:
        order = np.lexsort([org.rank_of_id, -rem, groups])
    gs = groups[order]
    starts = np.r_[True, gs[1:] != gs[:-1]]
    pos = np.arange(n) - np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    extra = np.zeros(n, dtype=np.int64)
    extra[order] = pos < left[gs]
    share = (np.asarray(floor).astype(np.int64) + extra) * np.where(first[groups] < 0, -1, 1)
    return Num(share, amount.scale)

