"""The arithmetic of contests and pools, on Decimals, free of plan machinery.

Ranking: entrants are ordered by score (highest first), then by each
tie-breaker; entrants equal on all of these share a place (1, 1, 3: standard
competition ranking).  Prizes go by place: with `shared` ties each tied
entrant gets the prize of the shared place; with `split` the prizes of all the
places the tied entrants occupy are added up and shared equally.

Sharing money exactly (`share_out`): each share is worked out exactly, cut
down to the minor unit, and the minor units left over go one each to the
largest remainders, ties to the lower payee id.  The shares always add up to
the amount, to the minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Sequence

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Placing:
    place: int  # 1-based; tied entrants share the best of their places
    tied: int  # how many entrants share this place
    prize: Decimal


def share_out(amount: Decimal, weights: dict[str, Decimal], quantum: Decimal) -> dict[str, Decimal]:
    """Share amount among ids in proportion to weights (equally if they add up to 0), exactly to the quantum."""
    if not weights:
        return {}
    total = sum(weights.values(), ZERO)
    if total == 0:
        weights, total = {k: Decimal(1) for k in weights}, Decimal(len(weights))
    sign = -1 if amount < 0 else 1
    amount = abs(amount)
    exact = {k: amount * w / total for k, w in weights.items()}
    floors = {k: v.quantize(quantum, rounding=ROUND_DOWN) for k, v in exact.items()}
    left = int((amount - sum(floors.values(), ZERO)) / quantum)
    order = sorted(weights, key=lambda k: (-(exact[k] - floors[k]), k))
    for k in order[:left]:
        floors[k] += quantum
    return {k: sign * v for k, v in floors.items()}


def rank(scores: dict[str, tuple[Decimal, ...]], prizes: Sequence[Decimal], ties: str,
         quantum: Decimal) -> dict[str, Placing]:
    """Places and prizes for entrants keyed by id; scores are (score, tie-breaker, ...)."""
    ordered = sorted(scores, key=lambda k: tuple(-x for x in scores[k]) + (k,))
    out: dict[str, Placing] = {}
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and scores[ordered[j + 1]] == scores[ordered[i]]:
            j += 1
        group = ordered[i : j + 1]
        place = i + 1
        if ties == "split":
            pot = sum((prizes[p] for p in range(i, j + 1) if p < len(prizes)), ZERO)
            shares = share_out(pot, {k: Decimal(1) for k in group}, quantum)
        else:  # shared (and broken ties that the breakers could not break)
            prize = prizes[i] if i < len(prizes) else ZERO
            shares = {k: prize for k in group}
        for k in group:
            out[k] = Placing(place, len(group), shares[k])
        i = j + 1
    return out
