"""The breakdown model: a payee's result explained, as pydantic models whose JSON form is the
documented, versioned breakdown schema (`SCHEMA`, published as docs/breakdown.schema.json), and
the statement that gathers one person's breakdowns across several plans.  `construct` makes a
model from values already of its fields' types without validating them again, as the explainer
does for every breakdown.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SCHEMA = "incentives.breakdown/1"


class Where(BaseModel):
    """The plan line an amount comes from."""

    file: str
    line: int
    column: int


class Value(BaseModel):
    name: str
    type: str
    value: str | bool | None = Field(description="exact value: decimals as strings, dates ISO 8601")
    shown: str = Field(description="the value as written in the breakdown")
    description: str | None = None
    formula: str | None = Field(None, description="for a definition: its formula with the values filled in")
    where: Where | None = None


class Band(BaseModel):
    """A band for this payee, exact: decimals as strings, percentages as fractions (8% is 0.08)."""

    number: int = Field(description="1-based position of the band in its table")
    lower: str
    upper: str | None
    value: str
    value_to: str | None = None
    portion: str | None = Field(None, description="marginal tiers: the part of the base inside the band")
    amount: str | None = None


class Kpi(BaseModel):
    name: str
    label: str | None
    weight: str
    attainment: str
    curve: str | None
    curved: str
    cap: str | None
    factor: str
    weighted: str
    amount: str


class DealLine(BaseModel):
    """A deal behind a measure or a per-deal tiers line, as credited to this payee."""

    id: str
    date: str
    deal_amount: str = Field(description="the whole deal's amount")
    share: str = Field(description="the payee's share, as a fraction (0.6 is 60%)")
    credit: str = Field(description="owner, split, overlay or rollup")
    via: str | None = Field(None, description="a roll-up: the person below whose credit this is")
    amount: str = Field(description="the credited amount: deal_amount x share")
    value: str | None = Field(None, description="a measure of another column: that column's credited value")
    shown: str | None = Field(None, description="a measure of another column: that value as written for a person "
                                                "(money grouped at the currency's digits, percentages, dates)")
    base: str | None = Field(None, description="per-deal tiers: the base taken for this deal")
    paid: str | None = Field(None, description="per-deal tiers: what this deal pays")
    running_before: str | None = Field(None, description="running tiers: the running total before this deal")


class ExcludedDeal(DealLine):
    """A credited deal a measure's condition left out, and why (the first part of the condition it fails)."""

    reason: Literal["status", "period", "condition"] = Field(
        description="status: its status is not one the measure counts; period: its date is outside the period; "
                    "condition: another part of the measure's condition is false")
    why: str = Field(description="the reason for a person, naming the part of the condition")


class ActivityLine(BaseModel):
    """An activity (a meeting, call, visit) behind a measure of activities: the payee's own."""

    id: str
    date: str
    type: str
    value: str | None = Field(None, description="a measure of a column or expression: its value for this activity")
    shown: str | None = Field(None, description="that value as written for a person")


class Measure(BaseModel):
    name: str
    description: str | None
    formula: str = Field(description="the measure as written in the plan")
    value: str
    shown: str
    deals: list[DealLine] = Field([], description="a measure of deals: the credited deals it took")
    excluded: list[ExcludedDeal] = Field([], description="a measure of deals in a population run: the payee's "
                                                         "credited deals it left out, each with the reason")
    people: list[dict] = Field([], description="a measure of team or reports: each person id and value")
    activities: list[ActivityLine] = Field([], description="a measure of activities: the payee's activities it took")
    where: Where


class ContestOut(BaseModel):
    name: str
    label: str | None
    qualified: bool
    score: str | None = Field(description="the value the payee is ranked by")
    rank: int = Field(description="the payee's place; 0 when not qualified or not placed")
    tied: int = Field(description="how many share the place (1: no tie)")
    competitors: int = Field(description="qualified entrants in the payee's group")
    prize: str
    where: Where


class Item(BaseModel):
    """A line (pay, tiers, scorecard) or a step (multiplier, cap, floor, gate)."""

    kind: Literal["pay", "pool", "tiers", "scorecard", "multiplier", "cap", "floor", "gate"]
    label: str
    where: Where
    formula: str = Field(description="the computation with the values filled in")
    details: list[str] = Field([], description="one line per band or KPI behind the formula")
    amount: str = Field(description="a line's amount, or the change a step made (negative when it removed)")
    before: str
    after: str
    tier_kind: str | None = None
    base: str | None = None
    reached: int | None = Field(None, description="1-based band reached, if any")
    bands: list[Band] = []
    kpis: list[Kpi] = []
    deals: list[DealLine] = Field([], description="per-deal and running tiers: each deal's part")
    passed: bool | None = None


class Component(BaseModel):
    name: str
    label: str | None
    where: Where
    amount: str
    items: list[Item]


class Award(BaseModel):
    name: str
    label: str | None
    kind: str
    granted: bool
    value: str | None = Field(None, description="cash-equivalent value for cost modelling; not paid as cash")
    where: Where


class PlanInfo(BaseModel):
    name: str
    file: str
    currency: str
    period: str
    rounding: str


class PeriodInfo(BaseModel):
    """The period the payee was evaluated for."""

    start: str = Field(description="first day, ISO 8601")
    end: str = Field(description="last day, ISO 8601")
    label: str = Field(description="2026, 2026-H1, 2026-Q1, 2026-03 where the dates are one, else `start to end`")


class Breakdown(BaseModel):
    """One payee's result explained step by step, in plan terms: the plan, the inputs and measures,
    each definition, component and line with the values it used, the plan-wide adjustments, the total
    and the awards.  Amounts are exact decimal strings; `incentives.render` turns it into text,
    Markdown, HTML or JSON (`model_dump(by_alias=True)` gives the JSON fields)."""

    schema_: str = Field(SCHEMA, alias="schema")
    plan: PlanInfo
    payee: str
    name: str | None = Field(None, description="the person's name (the people table's `name` column), if given")
    role: str | None = Field(None, description="the person's role (the people table's `role` column), if given")
    period: PeriodInfo | None = Field(None, description="the period evaluated (none for a plan without dates)")
    currency: str
    inputs: list[Value]
    measures: list[Measure] = Field([], description="measures of deals, team and reports, with what they took")
    contests: list[ContestOut] = Field([], description="the payee's rank in each contest and what it won")
    definitions: list[Value]
    components: list[Component]
    subtotal: str
    adjustments: list[Item] = Field(description="plan-wide caps and floors applied to the subtotal")
    total: str = Field(description="the cash payout")
    awards: list[Award]
    awards_value: str = Field("0", description="the cash-equivalent value of the awards granted (not paid as cash)")

    # the docstring is for Python readers; the published JSON schema (docs/breakdown.schema.json) has no description
    model_config = {"populate_by_name": True,
                    "json_schema_extra": lambda schema, cls: schema.pop("description", None)}


class CurrencyTotal(BaseModel):
    currency: str
    cash: str = Field(description="the cash payout of every plan in this currency")
    awards_value: str = Field(description="the cash-equivalent value of the awards granted (not paid as cash)")


class Statement(BaseModel):
    """One person's statement across several plans: each plan's breakdown and a total per currency."""

    payee: str
    name: str | None = None
    role: str | None = None
    period: PeriodInfo | None = None
    plans: list[Breakdown]
    totals: list[CurrencyTotal]


# ---- making models without validating again ---------------------------------------------------------
_set = object.__setattr__
_new = object.__new__
# what a pydantic model instance holds: construct() sets all of it (as BaseModel.model_construct does)
if set(BaseModel.__slots__) != {"__dict__", "__pydantic_fields_set__", "__pydantic_extra__",
                                "__pydantic_private__"}:  # pragma: no cover - a pydantic that differs
    raise ImportError(f"incentives.explain.model.construct does not know pydantic {BaseModel.__slots__}")


def construct(cls: type[BaseModel], values: dict, fields_set: set[str]) -> BaseModel:
    """What `cls(**given)` makes, without validating again: `values` holds every field, in the order
    declared, already of its field's type (a fresh list for a list default); `fields_set` names the
    fields given (a fresh set).  The explainer makes thousands of models a second, from values it
    has just made itself; anything it takes from outside is checked where it is taken.  The models
    here have no validators, private attributes or `model_post_init` of their own: a model given
    any of those must be validated instead."""
    m = _new(cls)
    _set(m, "__dict__", values)
    _set(m, "__pydantic_fields_set__", fields_set)
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


def where(span) -> Where:
    """The plan line of a span."""
    at = place(span)
    return Where(file=span.file, line=span.line, column=span.column) if at is None else where_at(at)


def place(span) -> tuple[str, int, int] | None:
    """A span's (file, line, column), when they are of Where's types (to make Wheres from, again and again)."""
    file, line, column = span.file, span.line, span.column
    return (file, line, column) if type(file) is str and type(line) is int and type(column) is int else None


def where_at(at: tuple[str, int, int]) -> Where:
    """The Where of a `place`."""
    m = _new(Where)  # construct(), inline: a breakdown has one for every line it shows
    _set(m, "__dict__", {"file": at[0], "line": at[1], "column": at[2]})
    _set(m, "__pydantic_fields_set__", {"file", "line", "column"})
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m
