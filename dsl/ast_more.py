"""AST nodes of the later constructs: `is missing` tests, rule tables, draws and clawbacks.

They live apart from `dsl.ast` (which re-exports them) to keep each module readable; like every
node they carry a `Span` that equality ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .source import Span

NO_SPAN = Span("<none>", 0, 0, 0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)  # type: ignore[return-value]


@dataclass
class IsMissing:
    """`COLUMN is missing` (or `is not missing`): whether an optional column is empty for this record."""

    operand: "Expr"  # noqa: F821 - a Name
    negated: bool = False
    span: Span = _span()


@dataclass
class Rule:
    """`when COND: VALUE` in a rule table; its conditions are the parts of COND joined by `and`."""

    cond: "Expr"  # noqa: F821
    value: "Expr"  # noqa: F821
    span: Span = _span()


@dataclass
class RulesDecl:
    """`rules NAME: TYPE ["description"] { when COND: VALUE ... default: VALUE }`: the value of the
    most specific matching rule (the most conditions), the first written among equally specific."""

    name: "Ident"  # noqa: F821
    type: "Ident"  # noqa: F821
    rules: list[Rule]
    default: "Expr | None" = None  # noqa: F821
    description: str | None = None
    span: Span = _span()


@dataclass
class ActivitiesDecl:
    """`activities { field NAME: TYPE ... }`: columns of the activity data (meetings, calls, visits)
    beyond the standard ones (id, owner, date, type), declared like deal columns."""

    fields: list  # InputDecl, as in a `deals` block
    span: Span = _span()


@dataclass
class DrawDecl:
    """`draw NAME { amount ... }`: a draw paid each period against earnings, recoverable (an advance
    recovered from later earnings above the draw) or guaranteed (a top-up never owed)."""

    name: Any  # an Ident (nodes of dsl.ast: this module cannot import it)
    label: str | None
    amount: Any = None  # an Expr
    prorated: bool = False
    kind: Any | None = None  # recoverable or guaranteed (recoverable when not said)
    recover: Any = None  # the share of the earnings above the draw that recovers what is owed
    delay: Any = None  # periods before recovery starts
    cap: Any = None  # most recovered in one period
    periods: Any = None  # the draw is paid for this many periods from the payee's start
    forgive: list[Any] = field(default_factory=list)  # Idents: year_end or termination
    span: Span = _span()


@dataclass
class ClawbackDecl:
    """`clawback NAME { when ... within N days ... }`: a deal reversed within N days of its close takes
    back what was paid on it, fully, by a share, or straight-line over an earning window."""

    name: Any
    label: str | None
    when: Any = None  # which deals are reversed (default: refunded, cancelled or churned)
    within: Any = None
    take: Any = None  # the share of what was paid that is taken back (100% when not said)
    straight: Any = None  # straight line over N days from the close
    forgive: list[Any] = field(default_factory=list)
    span: Span = _span()


@dataclass
class ParamDecl:
    """`param NAME = VALUE [range LO to HI] ["description"]`: a named value of the plan (its default is
    VALUE) that a what-if scenario may change, within the range when one is declared."""

    name: Any  # an Ident
    value: Any  # an Expr: a constant
    range: tuple[Any, Any] | None = None
    description: str | None = None
    span: Span = _span()
