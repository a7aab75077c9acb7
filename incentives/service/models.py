"""The service's tables.  They live on their own metadata (`ServiceBase`) with their own Alembic
history (`incentives/service/migrations`), in the same database as the ledger's tables
(`incentives.time.ledger_model`), which the service writes through `incentives.time.ledger.Ledger`.

Plan versions and datasets are immutable: each is stored with the SHA-256 of its content, so a run,
which names the versions and datasets it used, can be reproduced byte for byte.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, Date, ForeignKey, Integer, LargeBinary, MetaData, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from incentives.time.ledger_model import NAMING, UTCDateTime

HASH = 64
NAME = 200


class ServiceBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)  # type: ignore[arg-type]


class PlanVersionRow(ServiceBase):
    """A plan as uploaded: its text, name, content hash and effective dates; never changed."""

    __tablename__ = "svc_plan_versions"
    __table_args__ = (UniqueConstraint("name", "version"), UniqueConstraint("name", "hash"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME), index=True)
    version: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(HASH))
    text: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    period: Mapped[str] = mapped_column(String(16))
    effective_start: Mapped[datetime | None] = mapped_column(Date, nullable=True)
    effective_end: Mapped[datetime | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    author: Mapped[str] = mapped_column(String(NAME), default="")


class DatasetRow(ServiceBase):
    """An imported table (people, assignments, quotas, deals, splits, activities, rates, holidays), as
    uploaded, with its hash; validated whole before it is stored."""

    __tablename__ = "svc_datasets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(NAME), default="")
    format: Mapped[str] = mapped_column(String(8))
    hash: Mapped[str] = mapped_column(String(HASH))
    rows: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    author: Mapped[str] = mapped_column(String(NAME), default="")


class RunRow(ServiceBase):
    """A period run asked for with an idempotency key: what it asked, where it stands, what went wrong."""

    __tablename__ = "svc_runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(NAME), unique=True)
    request_hash: Mapped[str] = mapped_column(String(HASH))
    request: Mapped[str] = mapped_column(Text)  # JSON: plans (name and hash), periods, datasets (id and hash)
    status: Mapped[str] = mapped_column(String(16))  # queued, running, succeeded, failed
    progress: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of problems when failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    author: Mapped[str] = mapped_column(String(NAME), default="")


class RunPayeeRow(ServiceBase):
    """One payee's result of a run for one plan and period: amounts, statement and breakdown (JSON)."""

    __tablename__ = "svc_run_payees"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("svc_runs.id"), index=True)
    period: Mapped[str] = mapped_column(String(64))
    payee: Mapped[str] = mapped_column(String(NAME))
    name: Mapped[str] = mapped_column(String(NAME), default="")
    manager: Mapped[str] = mapped_column(String(NAME), default="")
    plan: Mapped[str] = mapped_column(String(NAME))
    currency: Mapped[str] = mapped_column(String(3))
    earned_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger)
    statement: Mapped[str] = mapped_column(Text)
    breakdown: Mapped[str] = mapped_column(Text)


class TokenRow(ServiceBase):
    """An API token: only its SHA-256 is kept."""

    __tablename__ = "svc_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hash: Mapped[str] = mapped_column(String(HASH), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    person: Mapped[str] = mapped_column(String(NAME), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditRow(ServiceBase):
    """Every write: who, when, what, and the hashes of what it replaced and wrote."""

    __tablename__ = "svc_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(NAME))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(400))
    before_hash: Mapped[str] = mapped_column(String(HASH), default="")
    after_hash: Mapped[str] = mapped_column(String(HASH), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class WebhookRow(ServiceBase):
    __tablename__ = "svc_webhooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DeliveryRow(ServiceBase):
    """One event sent (or being retried) to one webhook."""

    __tablename__ = "svc_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(Integer, ForeignKey("svc_webhooks.id"))
    event: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
