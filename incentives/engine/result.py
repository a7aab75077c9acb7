"""What evaluating a plan for one payee produces.

Amounts are Decimals.  With tracing on, each component keeps the lines and
steps it went through, in the order written, with the running amount after
each: the raw material of an explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dsl.source import Span

from . import ir


class _Unused(list):
    """The empty list every traced line shares for the parts it has none of (a pay line's bands,
    KPIs and deals), and every payee result for the measures and contests only a population run
    gives it: one object for all, so a result allocates nothing for them, and fewer objects are
    kept for the garbage collector to walk.  Being shared, it cannot be changed (a population run
    gives a payee lists of its own)."""

    __slots__ = ()

    def _unchangeable(self, *args, **kwargs):
        raise TypeError("this empty list is shared by every result that has none: it cannot be changed; "
                        "give the result a list of its own")

    append = extend = insert = remove = pop = clear = sort = reverse = _unchangeable
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _unchangeable

    def __hash__(self) -> int:  # shared and never changed, so it can be a dataclass default
        return 0

    def __reduce__(self):
        return (_unused, ())

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def _unused() -> _Unused:
    return UNUSED


#: The bands, KPIs and deals of a traced line that has none, and the measures and contests of a
#: payee evaluated alone: `[]`, shared.
UNUSED = _Unused()


@dataclass(slots=True)
class BandHit:
    """A band that took part in a line: its bounds and value for this payee."""

    index: int
    lower: Decimal
    upper: Decimal | None
    value: Decimal
    value_to: Decimal | None = None
    portion: Decimal | None = None  # marginal: the part of the base inside the band
    amount: Decimal | None = None


@dataclass(slots=True)
class KpiResult:
    name: str
    label: str | None
    weight: Decimal
    attainment: Decimal
    curve: str | None
    curved: Decimal  # the attainment after its curve
    cap: Decimal | None
    factor: Decimal  # after the KPI cap
    weighted: Decimal
    amount: Decimal


@dataclass(slots=True)
class ContestResult:
    """A payee's result in a contest: rank 0 when not qualified or not placed."""

    name: str
    qualified: bool
    score: Decimal | None
    rank: Decimal
    tied: int
    competitors: Decimal
    prize: Decimal


@dataclass(slots=True)
class PoolShare:
    amount: Decimal  # the whole pool of the payee's group
    members: int
    weight: Decimal  # this payee's contribution (1 when shared equally)
    weights: Decimal  # all members' contributions
    share: Decimal


@dataclass(slots=True)
class DealPay:
    """One deal's part of a per-deal or running tiers line."""

    deal: str
    date: Any
    base: Decimal
    amount: Decimal
    running_before: Decimal | None = None  # running tiers: the total before this deal
    bands: list[BandHit] = field(default_factory=list)
    row: dict | None = None  # the credited deal (one payee may be credited a deal several ways)


@dataclass(slots=True)
class ItemResult:
    """One line or step of a component (or of the plan-wide payout block)."""

    node: ir.Item
    kind: str  # pay, tiers, scorecard, multiplier, cap, floor, gate
    before: Decimal
    amount: Decimal  # a line's own amount; for a step, the change it made
    after: Decimal
    base: Decimal | None = None
    bands: list[BandHit] = UNUSED
    reached: int | None = None
    limit: Decimal | None = None  # a cap or floor's value
    passed: bool | None = None  # a gate
    factor: Decimal | None = None  # a gate's or multiplier's factor, a scorecard's overall factor
    uncapped: Decimal | None = None  # a scorecard's factor before the overall cap
    target: Decimal | None = None
    kpis: list[KpiResult] = UNUSED
    deals: list[DealPay] = UNUSED
    pool: PoolShare | None = None

    @property
    def span(self) -> Span:
        return self.node.span


@dataclass(slots=True)
class ComponentResult:
    name: str
    label: str | None
    span: Span
    amount: Decimal
    items: list[ItemResult] = field(default_factory=list)


@dataclass(slots=True)
class AwardResult:
    name: str
    label: str | None
    kind: str
    span: Span
    granted: bool
    value: Decimal | None


@dataclass(slots=True)
class PayeeResult:
    """One payee's result: the total, each component's amount, the awards, and (when traced) every
    line and step with its values, the measures and contests behind them."""

    payee: str
    total: Decimal
    components: list[ComponentResult]
    awards: list[AwardResult]
    subtotal: Decimal = Decimal(0)
    payout_items: list[ItemResult] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    measures: list[Any] = UNUSED  # population runs (which give each payee its own list): MeasureTrace
    contests: list[ContestResult] = UNUSED

    def component(self, name: str) -> ComponentResult:
        return next(c for c in self.components if c.name == name)

    @property
    def award_value(self) -> Decimal:
        return sum((a.value or Decimal(0) for a in self.awards if a.granted), Decimal(0))
