"""Request and response models: the API's contract, as OpenAPI shows it.  Amounts are exact decimal
text ("1234.50"), never binary floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

KINDS = ("people", "assignments", "quotas", "deals", "splits", "activities", "rates", "holidays")
DatasetKind = Literal["people", "assignments", "quotas", "deals", "splits", "activities", "rates", "holidays"]


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
    text: str = Field(description="The plan's text, as in a .plan file.", max_length=1_000_000)
    file: str = Field("plan.plan", description="A file name for messages.", max_length=200)


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
    name: str
    hash: str | None = Field(None, description="A version's hash; the latest version when not given.")


class RunCreate(BaseModel):
    plans: list[PlanRef] = Field(min_length=1, max_length=50)
    period: str | None = Field(None, description="One period: 2027-03, 2027-Q1, 2027, 2027-W05.")
    periods: str | None = Field(None, description="A sequence paid in order: 2027-01..2027-06.")
    datasets: dict[DatasetKind, int] = Field(description="Dataset ids by kind; `people` is required.")


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
    plan: str = Field(description="A stored plan's name (its latest version).")
    hash: str | None = None
    values: dict[str, str | int | bool] = Field(default_factory=dict, description="The payee's inputs.")
    period: str | None = None
    payee: str = "payee"


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
    payee: str
    plan: str
    amount: str = Field(description="Exact decimal text, e.g. \"-125.50\".", pattern=r"^-?\d{1,15}(\.\d{1,4})?$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    about: str = Field(description="The final period the correction is about.")
    reason: str = Field(min_length=1, max_length=1000)
    component: str = ""


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
