"""The arithmetic of band tables, on Decimals, free of any plan machinery.

A band is (lower, upper, value, value_to): it holds lower <= x < upper
(lower < x <= upper when upper-inclusive); upper None means open-ended.
These functions are the single definition of tier semantics: the row
evaluator calls them, and the property tests check their laws.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Band:
    lower: Decimal
    upper: Decimal | None
    value: Decimal
    value_to: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """One band's share of a marginal tier: rate x (portion of the base inside the band)."""

    index: int
    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    portion: Decimal
    amount: Decimal


def reached(base: Decimal, bands: Sequence[Band], upper_inclusive: bool = False) -> int | None:
    """Index of the band the base falls in; the last band if above a bounded top; None below the first."""
    index = None
    for i, b in enumerate(bands):
        inside_lower = base >= b.lower if not upper_inclusive else (base > b.lower or (i == 0 and base == b.lower))
        if not inside_lower:
            break
        index = i
        if b.upper is None:
            break
        if base < b.upper or (upper_inclusive and base == b.upper):
            break
    return index


def marginal(base: Decimal, bands: Sequence[Band]) -> list[Part]:
    """Each band pays its rate on the part of the base inside it."""
    parts = []
    for i, b in enumerate(bands):
        if base <= b.lower:
            break
        if b.upper is not None and b.upper == b.lower:
            continue  # an empty band (a quota of 0): nothing of the base is inside it
        top = base if b.upper is None else min(base, b.upper)
        portion = top - b.lower
        parts.append(Part(i, b.lower, b.upper, b.value, portion, b.value * portion))
    return parts


def band_value(base: Decimal, bands: Sequence[Band], index: int | None) -> Decimal:
    """The value of the reached band: flat, or linear from value to value_to across the band."""
    if index is None:
        return ZERO
    b = bands[index]
    if b.value_to is None or b.upper is None:
        return b.value
    if base >= b.upper:
        return b.value_to
    span = b.upper - b.lower
    return b.value + (b.value_to - b.value) * (base - b.lower) / span


def cumulative(bands: Sequence[Band], index: int | None) -> Decimal:
    """The sum of the amounts of every band reached so far."""
    if index is None:
        return ZERO
    return sum((b.value for b in bands[: index + 1]), ZERO)


def order_problem(bands: Sequence[Band]) -> tuple[int, str, Decimal, Decimal] | None:
    """The first band whose evaluated bounds are out of order: (index, what, first value, second value).

    what is "decreasing" (upper < lower, the values are lower and upper), "gap" or "overlap" (the
    values are where the previous band ends and where this one starts).  An empty band (upper ==
    lower, as when a quota of 0 collapses every band onto 0) is in order: no base is inside it, so
    it pays nothing and is never reached.
    """
    for i, b in enumerate(bands):
        if b.upper is not None and b.upper < b.lower:
            return i, "decreasing", b.lower, b.upper
        if i and bands[i - 1].upper is not None and bands[i - 1].upper != b.lower:
            return i, "gap" if b.lower > bands[i - 1].upper else "overlap", bands[i - 1].upper, b.lower
    return None
