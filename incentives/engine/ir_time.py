"""The IR of what pays across periods: a plan's draw and clawbacks (`incentives.time` settles them)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dsl.source import Span

from .ir import Expr


@dataclass(frozen=True)
class Draw:
    """A draw paid each period against earnings: recoverable (advances recovered from later earnings
    above the draw) or a guarantee (a top-up never owed)."""

    name: str
    label: str | None
    amount: Expr  # per period, of the payee's values
    prorated: bool  # multiplied by the payee's participation in the period
    recoverable: bool
    recover: Expr | None  # the share of the earnings above the draw that recovers what is owed (100%)
    delay: int  # periods before recovery starts
    cap: Expr | None  # most recovered in one period
    periods: int | None  # paid for this many periods from the payee's start on the plan
    forgive: frozenset[str]  # year_end, termination
    span: Span


@dataclass(frozen=True)
class Clawback:
    """A deal reversed within `within` days of its close takes back what was paid on it."""

    name: str
    label: str | None
    when: Expr | None  # which deals count as reversed (None: status refunded, cancelled or churned)
    within: int
    take: Decimal  # the share of what was paid that is taken back
    straight: int | None  # straight line over this many days from the close
    forgive: frozenset[str]
    span: Span
