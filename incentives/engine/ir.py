"""The compiled form of a plan: a typed, resolved intermediate representation.

The IR is plain data.  Names are resolved (an input, a definition, a
component), `of` is multiplication, tables are dictionaries, and every node
keeps the AST node it came from for explanations.  Nothing in it is tied to
one payee: the row evaluator (`incentives.compile`) turns it into functions
over one payee's values, and a columnar evaluator can interpret the same nodes
over whole arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterator, Union

from dsl import ast
from dsl.check import InputInfo
from dsl.source import Span
from dsl.types import T


class Stage(str, Enum):
    """The stages of a population run, in order (see `incentives.engine.schedule`)."""

    CREDIT = "credit"
    DEAL_MEASURES = "deal measures"
    PERSON_DEFINITIONS = "person definitions"
    GROUP_MEASURES = "group measures"
    PREPARE = "prepare"
    CONTESTS = "contests"
    POOLS = "pools"
    FINISH = "finish"


def _src():
    return field(default=None, compare=False, repr=False)


class Missing:
    """The value of an optional column left empty (one object, `MISSING`).  Only `is missing` may
    read it: a plan that uses it otherwise stops with an error naming the record and column.
    Crediting scales money columns by the payee's share; a missing value stays missing."""

    _one: "Missing | None" = None

    def __new__(cls) -> "Missing":
        if cls._one is None:
            cls._one = super().__new__(cls)
        return cls._one

    def __repr__(self) -> str:
        return "missing"

    __str__ = __repr__

    def __mul__(self, other) -> "Missing":
        return self

    __rmul__ = __mul__

    def __reduce__(self):
        return (Missing, ())


MISSING = Missing()


@dataclass(frozen=True)
class Const:
    value: Any
    type: T
    src: Any = _src()


@dataclass(frozen=True)
class Var:
    name: str
    type: T
    kind: str  # input, let, param, component, deal, measure, period or result
    src: Any = _src()


@dataclass(frozen=True)
class Param:
    """`param NAME = VALUE [range LO to HI]`: a value of the plan a scenario may change.  It is read
    from the payee's values like an input; `Evaluator.prepare` puts the default in where a run gives
    no other (so one compiled plan serves every scenario)."""

    name: str
    type: T
    default: Any  # a Decimal for money, percentages and numbers
    range: tuple[Any, Any] | None
    description: str | None
    span: Span


@dataclass(frozen=True)
class Op:
    """Arithmetic (+ - * /), comparison (>= ...), logic (and, or, not) or negation (neg)."""

    op: str
    args: tuple["Expr", ...]
    type: T
    src: Any = _src()


@dataclass(frozen=True)
class Cond:
    cond: "Expr"
    then: "Expr"
    otherwise: "Expr"
    type: T
    src: Any = _src()


@dataclass(frozen=True)
class InSet:
    operand: "Expr"
    values: frozenset
    type: T = T.BOOL
    src: Any = _src()


@dataclass(frozen=True)
class Func:
    """min, max, abs, days_between, round (args: value, places, mode name)."""

    name: str
    args: tuple["Expr", ...]
    type: T
    mode: str | None = None
    src: Any = _src()


@dataclass(frozen=True)
class Lookup:
    table: str
    args: tuple["Expr", ...]
    type: T
    src: Any = _src()


@dataclass(frozen=True)
class CurveApply:
    curve: str
    arg: "Expr"
    type: T
    src: Any = _src()


@dataclass(frozen=True)
class IsMissing:
    """`COLUMN is missing` (negated: `is not missing`) on the deal at hand."""

    name: str
    negated: bool
    type: T = T.BOOL
    src: Any = _src()


@dataclass(frozen=True)
class RuleRef:
    """The value of a rule table (`Plan.rules`), worked out where it is used (per deal if it reads deals)."""

    name: str
    type: T
    src: Any = _src()


Expr = Union[Const, Var, Op, Cond, InSet, Func, Lookup, CurveApply, IsMissing, RuleRef]


@dataclass(frozen=True)
class RuleCase:
    cond: Expr
    value: Expr
    conditions: int  # how many `and`-ed conditions: the more, the more specific
    span: Span


@dataclass(frozen=True)
class Rules:
    """A rule table: its cases in the order they are tried (most conditions first, then as written)."""

    name: str
    cases: tuple[RuleCase, ...]
    default: Expr
    type: T
    description: str | None
    span: Span


@dataclass(frozen=True)
class Band:
    lower: Expr
    upper: Expr | None
    value: Expr
    value_to: Expr | None
    span: Span


@dataclass(frozen=True)
class Table:
    name: str
    key_types: tuple[T, ...]
    rows: dict[tuple, Expr]
    default: Expr | None
    span: Span


# ---- component lines and steps ----


@dataclass(frozen=True)
class Measure:
    """An aggregate over the payee's credited deals, or over a person value of the team or reports."""

    name: str
    agg: str  # sum, count, average, min, max
    field: str | None
    source: str  # deals, activities, team, reports
    where: Expr | None
    type: T
    description: str | None
    span: Span
    of_pay: bool = False  # a measure of what the reports were paid: worked out after them
    value: Expr | None = None  # what is taken of each deal or person, when more than a name (`field`)


@dataclass(frozen=True)
class Contest:
    name: str
    label: str | None
    rank_by: Expr
    among: str  # all or team
    qualify: Expr | None
    ties: str  # shared, split or broken
    tie_breakers: tuple[Expr, ...]
    prizes: tuple[Expr, ...]
    places: int | None  # None: every qualified entrant is placed
    span: Span


@dataclass(frozen=True)
class Pool:
    key: str  # component#index: where the population run leaves this payee's share
    amount: Expr
    among: str
    by: Expr | None
    label: str | None
    span: Span


@dataclass(frozen=True)
class Pay:
    expr: Expr
    label: str | None
    span: Span


@dataclass(frozen=True)
class Tiers:
    kind: str
    base: Expr
    bands: tuple[Band, ...]
    upper_inclusive: bool
    label: str | None
    span: Span
    per: str | None = None  # None: on the period's base; "deal": each deal alone; "running": a running total
    where: Expr | None = None


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str | None
    weight: Expr
    attainment: Expr
    curve: str | None  # None or "linear": the attainment itself
    cap: Expr | None
    span: Span


@dataclass(frozen=True)
class Scorecard:
    target: Expr
    kpis: tuple[Kpi, ...]
    cap: Expr | None
    label: str | None
    span: Span


@dataclass(frozen=True)
class Multiplier:
    base: Expr
    bands: tuple[Band, ...]
    span: Span
    label: str | None = None
    upper_inclusive: bool = False


@dataclass(frozen=True)
class Cap:
    amount: Expr
    span: Span
    label: str | None = None


@dataclass(frozen=True)
class Floor:
    amount: Expr
    span: Span
    label: str | None = None


@dataclass(frozen=True)
class Gate:
    cond: Expr
    factor: Expr
    span: Span
    label: str | None = None


Item = Union[Pay, Pool, Tiers, Scorecard, Multiplier, Cap, Floor, Gate]


@dataclass(frozen=True)
class Component:
    name: str
    label: str | None
    items: tuple[Item, ...]
    span: Span
    ytd: bool = False  # worked out on the year to date; pays that less what it paid before in the year


@dataclass(frozen=True)
class Award:
    name: str
    label: str | None
    kind: str
    when: Expr | None
    value: Expr | None
    span: Span


@dataclass(frozen=True)
class Let:
    name: str
    expr: Expr
    description: str | None
    span: Span


@dataclass(frozen=True)
class Expectation:
    name: str
    amount: Expr | None  # an amount expected of a component, total, subtotal or measure
    award: bool | None  # or: the award is expected granted (True) or not (False)
    span: Span
    payee: str | None = None  # whose: a person of the example's people
    deal: str | None = None  # what the component paid on this deal (a deal of the example's)


@dataclass(frozen=True)
class Record:
    """A person or a deal given in an example: its id and columns (constant expressions)."""

    id: str
    values: dict[str, Expr]
    span: Span


@dataclass(frozen=True)
class CreditRow:
    kind: str  # split or overlay
    deal: str
    share: Expr
    person: str
    span: Span


@dataclass(frozen=True)
class ExampleSales:
    """The sales data an example gives: run over these people as a population."""

    period: tuple | None
    people: tuple[Record, ...]
    deals: tuple[Record, ...]
    credits: tuple[CreditRow, ...]
    files: dict[str, str]  # people, deals, splits, activities -> a path relative to the plan file
    span: Span | None = None
    activities: tuple[Record, ...] = ()


@dataclass(frozen=True)
class Example:
    label: str
    givens: dict[str, Expr]
    expects: tuple[Expectation, ...]
    span: Span
    sales: ExampleSales | None = None
    period: tuple | None = None  # a one-payee example's `period` line: the period of its run


@dataclass(frozen=True)
class Law:
    """`always CONDITION`, or `monotone TARGET in INPUT` (then expr is None)."""

    expr: Expr | None
    monotone: tuple[str, str] | None
    span: Span


@dataclass(frozen=True)
class Property:
    label: str
    assumes: tuple[Expr, ...]
    laws: tuple[Law, ...]
    span: Span
    over_deals: bool = False  # the laws hold for everyone in generated sales data
    over_periods: bool = False  # the laws hold for each payee's totals over a year run through a ledger


@dataclass(frozen=True)
class Plan:
    name: str
    file: str
    currency: str
    minor_units: int
    period: str
    effective: tuple | None
    rounding_mode: str
    rounding_point: str
    inputs: dict[str, InputInfo]
    lets: tuple[Let, ...]
    tables: dict[str, Table]
    curves: dict[str, tuple[Band, ...]]
    components: tuple[Component, ...]
    awards: tuple[Award, ...]
    payout: tuple[Cap | Floor, ...]
    payout_span: Span | None
    examples: tuple[Example, ...] = ()
    properties: tuple[Property, ...] = ()
    deal_fields: dict[str, T] = field(default_factory=dict)
    crediting: frozenset[str] = frozenset()
    measures: tuple[Measure, ...] = ()
    #: everything a payee's values may hold: the inputs, and the measures (given like inputs in plan tests)
    givable: dict[str, InputInfo] = field(default_factory=dict)
    #: the deal columns the plan reads: the data must give them on every deal
    deal_columns: frozenset[str] = frozenset()
    contests: tuple[Contest, ...] = ()
    deal_field_infos: dict[str, InputInfo] = field(default_factory=dict)
    #: the stages a population run of this plan goes through, in order (set by lowering)
    stages: tuple[Stage, ...] = (Stage.PREPARE, Stage.FINISH)
    rules: dict[str, Rules] = field(default_factory=dict)
    optional_columns: frozenset[str] = frozenset()  # deal (and activity) columns that may be missing
    activity_fields: dict[str, T] = field(default_factory=dict)  # activity columns: standard and declared
    activity_field_infos: dict[str, InputInfo] = field(default_factory=dict)
    activity_columns: frozenset[str] = frozenset()  # the activity columns the plan reads
    partial: bool = False  # runs may cover any dates inside the effective range
    days: str = "calendar"  # participation counts calendar or working days
    fx: str = "close"  # a deal's currency rate is the one at its close, or at the period's end
    draw: Any = None  # ir_time.Draw
    clawbacks: tuple = ()  # ir_time.Clawback, in the order written
    params: dict[str, Param] = field(default_factory=dict)  # the plan's parameters, by name, as written

    @property
    def reads_activities(self) -> bool:
        return any(m.source == "activities" for m in self.measures)

    @property
    def uses_period(self) -> bool:
        """Whether anything reads period_start or period_end (`in period` included)."""
        return any(isinstance(n, Var) and n.kind == "period" or isinstance(n, Func) and n.name == "per_period"
                   for n in walk([self.lets, self.components, self.awards, self.payout, self.measures,
                                  self.contests, self.rules, self.draw, self.clawbacks]))

    @property
    def needs_population(self) -> bool:
        """Whether payees depend on each other (deals, measures, contests, pools): run them together."""
        return bool(self.measures or self.contests or any(isinstance(i, Pool) or (isinstance(i, Tiers) and i.per)
                                                          for c in self.components for i in c.items))


def walk(root) -> Iterator:
    """Every IR node under root (the AST walker, skipping each node's source)."""
    return ast.walk(root, skip=("span", "src"))
