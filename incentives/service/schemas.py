"""Request and response models: the API's contract, as OpenAPI shows it.  Amounts are exact decimal
text ("1234.50"), never binary floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_ID = 2**31 - 1  # ids fit a 32-bit integer column on every backend


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("may not hold a NUL character")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
KINDS = ("people", "assignments", "quotas", "deals", "splits", "activities", "rates", "holidays")
DatasetKind = Literal["people", "assignments", "quotas", "deals", "splits", "activities", "rates", "holidays",
                      "mapping"]


class ProblemPublic(BaseModel):
    """One located problem, as the engine reports it."""

    code: str = ""
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    row: int | None = None
    field: str | None = None
    payee: str | None = None
    hint: str | None = None


class ErrorPublic(BaseModel):
    """Every error: what went wrong, and the engine's located problems where there are some."""

    detail: str
    problems: list[ProblemPublic] = []


class PlanCreate(BaseModel):
    text: Text = Field(description="The plan's text, as in a .plan file.", max_length=1_000_000)
    file: Text = Field("plan.plan", description="A file name for messages.", max_length=200)


class PlanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    version: int
    hash: str
    currency: str
    period: str
    effective_start: date | None
    effective_end: date | None
    created_at: datetime


class DatasetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    name: str
    format: str
    hash: str
    rows: int
    created_at: datetime


class PlanRef(BaseModel):
    name: Text = Field(max_length=200)
    hash: Text | None = Field(None, description="A version's hash; the latest version when not given.",
                              max_length=64)


class RunCreate(BaseModel):
    plans: list[PlanRef] = Field(min_length=1, max_length=50)
    period: Text | None = Field(None, description="One period: 2027-03, 2027-Q1, 2027, 2027-W05.", min_length=1,
                                max_length=64)
    periods: Text | None = Field(None, description="A sequence paid in order: 2027-01..2027-06.", min_length=1,
                                 max_length=64)
    datasets: dict[DatasetKind, Id] = Field(description="Dataset ids by kind; `people` is required; `mapping` (a "
                                                        "CRM column mapping, TOML) applies to the tables it names.")


class RunPublic(BaseModel):
    id: str
    status: str
    progress: int
    request: dict[str, Any]
    problems: list[ProblemPublic]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PayoutPublic(BaseModel):
    period: str
    payee: str
    name: str
    plan: str
    currency: str
    earned: str
    paid: str


class CalculateRequest(BaseModel):
    plan: Text = Field(description="A stored plan's name (its latest version).", max_length=200)
    hash: Text | None = Field(None, max_length=64)
    values: dict[Text, Text | int | bool] = Field(default_factory=dict, description="The payee's inputs.")
    period: Text | None = Field(None, max_length=64)
    payee: Text = Field("payee", max_length=200)


class CalculateResponse(BaseModel):
    payee: str
    plan: str
    hash: str
    total: str
    breakdown: dict[str, Any]


class PeriodPublic(BaseModel):
    label: str
    kind: str
    start: date
    end: date
    status: str


class AdjustmentCreate(BaseModel):
    payee: Text = Field(min_length=1, max_length=200)
    plan: Text = Field(min_length=1, max_length=200)
    amount: str = Field(description="Exact decimal text, e.g. \"-125.50\".", pattern=r"^-?\d{1,15}(\.\d{1,4})?$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    about: Text = Field(description="The final period the correction is about.", max_length=64)
    reason: Text = Field(min_length=1, max_length=1000)
    component: Text = Field("", max_length=200)


class AdjustmentPublic(BaseModel):
    booked_in: str
    about: str
    payee: str
    plan: str
    amount: str
    currency: str
    note: str


class AuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before_hash: str
    after_hash: str
    detail: str


class StatementPublic(BaseModel):
    statement: dict[str, Any] = Field(description="The period statement: values in force, earnings, conversions, "
                                                  "adjustments, clawbacks, balance and draw.")
    breakdown: dict[str, Any] = Field(description="The line-by-line breakdown (incentives.breakdown/1).")


class StatementsPublic(BaseModel):
    run: str
    person: str
    statements: list[StatementPublic]

