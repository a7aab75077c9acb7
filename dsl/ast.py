"""The plan's abstract syntax tree.

Every node carries the `Span` it came from.  Spans are excluded from equality,
so two plans that differ only in layout compare equal (the formatter's tests
rely on that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Iterator, Union

from .source import Source, Span
from .ast_more import ActivitiesDecl, IsMissing, Rule, RulesDecl  # noqa: F401 - nodes of later constructs
from .ast_more import ClawbackDecl, DrawDecl, ParamDecl  # noqa: F401 - pay across periods, parameters

#: The span of a node made by code rather than parsed from text.
NO_SPAN = Span("<none>", 0, 0, 0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)  # type: ignore[return-value]


@dataclass
class Ident:
    text: str
    span: Span = _span()


# ---- expressions -------------------------------------------------------------


@dataclass
class Literal:
    """A literal value.  kind is money, percent, number, date, text or bool.

    value holds a Decimal (percent as a fraction: 8% is 0.08), a date, a str
    or a bool; currency is set for money.  text is the literal as written.
    """

    kind: str
    value: Decimal | dt.date | str | bool
    currency: str | None = None
    text: str = field(default="", compare=False)
    span: Span = _span()


@dataclass
class Name:
    id: str
    span: Span = _span()


@dataclass
class Unary:
    op: str  # "-" or "not"
    operand: "Expr"
    span: Span = _span()


@dataclass
class Binary:
    op: str  # + - * / of and or
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@dataclass
class Compare:
    op: str  # >= <= == != > <
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@dataclass
class InSet:
    operand: "Expr"
    items: list[Literal]
    span: Span = _span()


@dataclass
class InPeriod:
    """`date in period`: from period_start to period_end, both included."""

    operand: "Expr"
    span: Span = _span()


@dataclass
class If:
    cond: "Expr"
    then: "Expr"
    otherwise: "Expr"
    span: Span = _span()


class DatedIf(If):
    """`from DATE: value` of a dated definition: `if period_end >= DATE then value else` the earlier value."""



@dataclass
class Call:
    func: Ident
    args: list["Expr"]
    span: Span = _span()


Expr = Union[Literal, Name, Unary, Binary, Compare, InSet, InPeriod, If, Call, IsMissing]


# ---- declarations ------------------------------------------------------------


@dataclass
class PlanHeader:
    name: str
    currency: Ident | None = None
    period: Ident | None = None
    effective: tuple[Literal, Literal] | None = None
    rounding_mode: Ident | None = None
    rounding_point: Ident | None = None
    span: Span = _span()
    partial: Span | None = None  # `partial periods`: runs on any dates inside the effective range
    days: Ident | None = None  # `days calendar` or `days working`: how participation counts days
    fx: Ident | None = None  # `fx at close` or `fx at period_end`: which date picks a deal's rate


@dataclass
class InputDecl:
    name: Ident
    type: Ident
    default: Expr | None = None
    range: tuple[Expr, Expr] | None = None
    choices: list[Literal] | None = None
    description: str | None = None
    span: Span = _span()
    optional: bool = False  # a deal column that may be empty (then it is missing)
    prorated: bool = False  # the value given is for a whole period: it is multiplied by participation


@dataclass
class LetDecl:
    name: Ident
    expr: Expr  # with `from` clauses: the chain of `if period_end >= DATE` they mean
    description: str | None = None
    span: Span = _span()
    base: Expr | None = None  # with `from` clauses: the value before the first date
    dated: list[tuple[Literal, Expr]] = field(default_factory=list)  # (from date, value), as written


@dataclass
class TableRow:
    keys: list[Literal]
    value: Expr
    span: Span = _span()


@dataclass
class TableDecl:
    name: Ident
    keys: list[tuple[Ident, Ident]]
    value_type: Ident
    rows: list[TableRow]
    default: Expr | None = None
    span: Span = _span()


@dataclass
class Band:
    """`from lower [to upper]: value [to value_to]`."""

    lower: Expr
    upper: Expr | None
    value: Expr
    value_to: Expr | None = None
    span: Span = _span()


@dataclass
class CurveDecl:
    name: Ident
    bands: list[Band]
    span: Span = _span()
    description: str | None = None


@dataclass
class PayLine:
    expr: Expr
    label: str | None = None
    span: Span = _span()


@dataclass
class PoolLine:
    """`pool AMOUNT among GROUP equally|by CONTRIBUTION`: a group's pool shared among its members."""

    amount: Expr
    among: Ident
    by: Expr | None  # None: equally
    label: str | None = None
    span: Span = _span()


@dataclass
class TiersLine:
    """Tiers on a base; with `per` ("deal" or "running") the base is taken deal by deal."""

    kind: Ident
    base: Expr
    bands: list[Band]
    upper_inclusive: bool = False
    label: str | None = None
    per: str | None = None
    where: Expr | None = None
    span: Span = _span()


@dataclass
class Kpi:
    name: Ident
    label: str | None
    weight: Expr
    attainment: Expr
    curve: Ident | None = None
    cap: Expr | None = None
    span: Span = _span()


@dataclass
class ScorecardLine:
    target: Expr
    kpis: list[Kpi]
    cap: Expr | None = None
    label: str | None = None
    span: Span = _span()


@dataclass
class MultiplierStep:
    base: Expr
    bands: list[Band]
    span: Span = _span()
    label: str | None = None
    upper_inclusive: bool = False


@dataclass
class CapStep:
    expr: Expr
    span: Span = _span()
    label: str | None = None


@dataclass
class FloorStep:
    expr: Expr
    span: Span = _span()
    label: str | None = None


@dataclass
class GateStep:
    cond: Expr
    otherwise: Expr | None = None
    span: Span = _span()
    label: str | None = None


Line = Union[PayLine, PoolLine, TiersLine, ScorecardLine]
Step = Union[MultiplierStep, CapStep, FloorStep, GateStep]
ComponentItem = Union[Line, Step]


@dataclass
class ComponentDecl:
    name: Ident
    label: str | None
    items: list[ComponentItem]
    span: Span = _span()
    ytd: Span | None = None  # `ytd`: worked out on the year to date, paying that less what it paid before


@dataclass
class AwardDecl:
    name: Ident
    label: str | None
    kind: Ident | None = None
    when: Expr | None = None
    value: Expr | None = None
    span: Span = _span()


@dataclass
class PayoutDecl:
    steps: list[CapStep | FloorStep]
    span: Span = _span()


@dataclass
class Given:
    name: Ident
    value: Expr
    span: Span = _span()


@dataclass
class Expect:
    """`expect [PAYEE] NAME = amount` (a component, total, subtotal or measure), or
    `expect [PAYEE] [no] award NAME`.  PAYEE names a person of the example's people."""

    name: Ident
    value: Expr | None = None
    award: bool | None = None  # True: expect the award; False: expect it not granted
    payee: Ident | None = None
    span: Span = _span()
    deal: Ident | None = None  # `expect [PAYEE] deal "D-1" NAME = amount`: what the component paid on one deal


@dataclass
class Record:
    """`person "ID" { name = value, ... }` or `deal "ID" { ... }` in an example."""

    kind: str  # person, deal or activity
    id: Ident
    fields: list[Given]
    span: Span = _span()


@dataclass
class CreditRow:
    """`split "DEAL" 40% to "PERSON"` (or `overlay ...`) in an example."""

    kind: str  # split or overlay
    deal: Ident
    share: Expr
    person: Ident
    span: Span = _span()


@dataclass
class DataFile:
    """`people from "FILE"` (or deals, splits) in an example: a path relative to the plan file."""

    kind: str  # people, deals or splits
    path: Ident
    span: Span = _span()


@dataclass
class ExamplePeriod:
    """`period "2026-Q1"` or `period 2026-01-01 to 2026-03-31` in an example."""

    name: Ident | None = None
    start: Literal | None = None
    end: Literal | None = None
    span: Span = _span()


@dataclass
class ExampleDecl:
    label: str
    givens: list[Given]
    expects: list[Expect]
    span: Span = _span()
    period: ExamplePeriod | None = None
    records: list[Record] = field(default_factory=list)
    credits: list[CreditRow] = field(default_factory=list)
    files: list[DataFile] = field(default_factory=list)
    extra_periods: list[ExamplePeriod] = field(default_factory=list)  # a second `period` line: an error

    @property
    def has_sales(self) -> bool:
        """Whether the example gives sales data (then it runs over its people as a population); a
        `period` line alone sets the period of a one-payee example."""
        return bool(self.records or self.credits or self.files)

    @property
    def items(self) -> list:
        """Every line of the example, in the order written."""
        parts = [*self.givens, *self.expects, *self.records, *self.credits, *self.files, *self.extra_periods]
        parts += [self.period] if self.period else []
        return sorted(parts, key=lambda n: (n.span.line, n.span.column))


@dataclass
class Monotone:
    """`monotone TARGET in INPUT`: TARGET never decreases when INPUT rises, all else equal."""

    target: Ident
    input: Ident
    span: Span = _span()


@dataclass
class PropertyDecl:
    label: str
    assumes: list[Expr]
    laws: list[Expr | Monotone]
    span: Span = _span()
    over: Ident | None = None  # `over deals`: the laws hold for everyone in generated sales data



@dataclass
class DealsDecl:
    """Columns of the deal data beyond the standard ones, declared like inputs."""

    fields: list[InputDecl]
    span: Span = _span()


@dataclass
class CreditingDecl:
    rules: list[Ident]  # splits, overlays, rollup
    span: Span = _span()


@dataclass
class MeasureDecl:
    """`measure NAME = AGG [VALUE] of SOURCE [where COND]`: an aggregate over the payee's credited
    deals (SOURCE deals) or over people (team, reports).  VALUE is a name (`field`) or an
    expression of the deal's columns or the person's values (`value`, with `field` None)."""

    name: Ident
    agg: Ident
    field: Ident | None
    source: Ident
    where: Expr | None = None
    description: str | None = None
    span: Span = _span()
    value: Expr | None = None  # the measured expression, when it is more than a name



@dataclass
class ContestDecl:
    """A ranking of people by a value, with qualification, a tie rule and prizes by place."""

    name: Ident
    label: str | None
    rank_by: Expr | None = None
    among: Ident | None = None
    qualify: Expr | None = None
    ties: Ident | None = None  # shared, split or broken
    tie_breakers: list[Expr] = field(default_factory=list)
    prizes: list[Expr] = field(default_factory=list)
    places: Expr | None = None
    span: Span = _span()


Decl = Union[PlanHeader, InputDecl, LetDecl, TableDecl, CurveDecl, ComponentDecl, AwardDecl, PayoutDecl,
             ExampleDecl, PropertyDecl, DealsDecl, CreditingDecl, MeasureDecl, ContestDecl, ActivitiesDecl,
             DrawDecl, ClawbackDecl, ParamDecl]


@dataclass
class Comment:
    text: str
    span: Span = _span()


@dataclass
class Plan:
    decls: list[Decl]
    source: Source = field(compare=False, repr=False)
    comments: list[Comment] = field(default_factory=list, compare=False, repr=False)

    @property
    def header(self) -> PlanHeader | None:
        return next((d for d in self.decls if isinstance(d, PlanHeader)), None)

    def of_type(self, cls):
        return [d for d in self.decls if isinstance(d, cls)]


def walk(root, skip: tuple[str, ...] = ("span",)) -> Iterator:
    """Every dataclass node under root, depth first, following lists, tuples and dict values.

    Used for the AST and, with skip=("span", "src"), for the IR: one walker for every pass that
    looks for names, constants or columns anywhere in a plan.
    """
    stack = [root]
    while stack:
        n = stack.pop()
        if isinstance(n, (list, tuple)):
            stack.extend(reversed(n))
        elif isinstance(n, dict):
            stack.extend(reversed(list(n.values())))
        elif is_dataclass(n) and not isinstance(n, type):
            yield n
            stack.extend(reversed([getattr(n, f.name) for f in fields(n) if f.name not in skip]))
