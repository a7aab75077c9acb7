"""Tiers per deal and on a running total, over the credited rows at once.

As the row evaluator's `_deal_tiers`: `per deal` pays each deal's own tier amount, rounded;
`running` pays each deal what it adds to the rounded payout of the payee's running total, in
deal order, so a payee's deals add up exactly to the rounded payout of their total.  The running
total is a cumulative sum per payee over the credited rows sorted by payee and deal.
"""

from __future__ import annotations

import numpy as np

from incentives.engine import ir

from . import bands as B
from . import values as V
from .aggregate import aggregate
from .credit import Credited, DealFrame
from .expr import Unsupported
from .lines import Lines
from .values import Num, Number


def one(base: Number, b: B.Bands, kind: str, upper_inclusive: bool, n: int) -> tuple[Number, np.ndarray | None]:
    """A tier's amount for each row's base, unrounded (the row evaluator's `one`)."""
    if kind == "marginal":
        amount: Number = V.zeros(n)
        bad = None
        for _, inside, _, part, part_bad in B.marginal_parts(base, b, n):
            bad = V._or(bad, part_bad)
            amount = V.add(amount, V.where(inside, part, V.zeros(n)))
        return amount, bad
    index, bad = B.reached(base, b, n, upper_inclusive)
    if kind == "retroactive":
        return V.mul(base, B.select(index, b.value, n, V.zeros(n))), bad
    if kind == "cumulative":
        return B.cumulative(b, index, n), bad
    return B.band_value(base, b, index, n), bad


def deal_tiers(lines: Lines, frame: DealFrame, rows: Credited, item: ir.Tiers, payees: int) -> Number:
    """Each payee's amount of a per-deal or running tier line."""
    n = rows.n
    keep, bad = frame.condition(item.where)
    base = frame(item.base)
    if isinstance(base, Num) and np.ndim(base.v) == 0:
        base = V.full(n, base)
    b = B.bands_of(frame, item.bands)
    bad = V._or(bad, b.bad)
    if item.per == "deal":
        raw, why = one(base, b, item.kind, item.upper_inclusive, n)
        pay = lines.rl(raw)
    else:
        if not isinstance(base, Num):
            raise Unsupported(item.span, "a running total of values that are not exact")
        kept = np.where(keep, np.asarray(base.v), 0)
        if base.maxabs() * max(n, 1) >= V.SAFE:
            raise Unsupported(item.span, "a running total too large for int64")
        order = np.lexsort([np.arange(n), rows.deals.order[rows.deal], rows.payee])
        sorted_v = kept[order]
        cs = np.cumsum(sorted_v)
        first = np.r_[True, rows.payee[order][1:] != rows.payee[order][:-1]] if n else np.zeros(0, dtype=bool)
        start_cs = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else np.zeros(0, dtype=np.int64)
        offset = (cs - sorted_v)[start_cs] if n else cs
        after_sorted = cs - offset
        after = np.empty(n, dtype=np.int64)
        after[order] = after_sorted
        before = after - kept
        a_amt, a_bad = one(Num(after, base.scale), b, item.kind, item.upper_inclusive, n)
        b_amt, b_bad = one(Num(before, base.scale), b, item.kind, item.upper_inclusive, n)
        pay = V.add(lines.rl(a_amt), lines.rl(b_amt), -1)
        why = V._or(a_bad, b_bad)
    bad = V._or(bad, why)
    if bad is not None:
        pay = V.with_bad(pay, np.broadcast_to(bad, (n,)) & keep)
    return aggregate("sum", pay, rows.payee, keep, payees)
