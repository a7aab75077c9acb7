"""AST nodes of the later constructs: `is missing` tests and rule tables.

They live apart from `dsl.ast` (which re-exports them) to keep each module readable; like every
node they carry a `Span` that equality ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
