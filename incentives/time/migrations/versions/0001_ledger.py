"""The ledger: periods, runs and entries.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-22

What this revision owns: creating `ledger_periods`, `ledger_runs` and `ledger_entries` exactly as
`incentives.time.ledger_model` declares them (a test compares the migrated schema with the model).
A revision is a frozen snapshot, so the tables, types, constraint names and vocabularies are
spelled out here rather than imported from the model, which later revisions change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_ledger"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = ("earned", "deal_earned", "adjustment", "clawback", "draw_advance", "guarantee", "recovery", "forgiven",
          "paid", "balance")
_PERIOD_KINDS = ("month", "quarter", "half", "year", "week", "range")
_RUN_KINDS = ("run", "restatement")
_STATUSES = ("open", "final")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for `column IN (values)`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    """Create the ledger's three tables and the entries' indexes."""
    op.create_table(
        "ledger_periods",
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(8), server_default="open", nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_one_of("kind", _PERIOD_KINDS), name=op.f("ck_ledger_periods_kind")),
        sa.CheckConstraint(_one_of("status", _STATUSES), name=op.f("ck_ledger_periods_status")),
        sa.CheckConstraint('start <= "end"', name=op.f("ck_ledger_periods_dates")),
        sa.PrimaryKeyConstraint("label", name=op.f("pk_ledger_periods")),
    )
    op.create_table(
        "ledger_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plans", sa.Text(), nullable=False),
        sa.Column("data_hash", sa.String(128), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(_one_of("kind", _RUN_KINDS), name=op.f("ck_ledger_runs_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_runs")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("booked_in", sa.String(64), nullable=False),
        sa.Column("about", sa.String(64), nullable=False),
        sa.Column("payee", sa.String(200), nullable=False),
        sa.Column("plan", sa.String(200), nullable=False),
        sa.Column("component", sa.String(200), server_default="", nullable=False),
        sa.Column("deal", sa.String(200), server_default="", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(_one_of("kind", _KINDS), name=op.f("ck_ledger_entries_kind")),
        sa.ForeignKeyConstraint(["booked_in"], ["ledger_periods.label"],
                                name=op.f("fk_ledger_entries_booked_in_ledger_periods")),
        sa.ForeignKeyConstraint(["run_id"], ["ledger_runs.id"], name=op.f("fk_ledger_entries_run_id_ledger_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(op.f("ix_ledger_entries_booked_in"), "ledger_entries", ["booked_in"])
    op.create_index(op.f("ix_ledger_entries_payee_plan"), "ledger_entries", ["payee", "plan"])
    op.create_index(op.f("ix_ledger_entries_deal"), "ledger_entries", ["deal"])


def downgrade() -> None:
    """Drop the ledger's tables (and with them every recorded amount)."""
    op.drop_index(op.f("ix_ledger_entries_deal"), table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_payee_plan"), table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_booked_in"), table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_runs")
    op.drop_table("ledger_periods")
