"""The ledger's storage: one SQLAlchemy 2 model for SQLite (the CLI) and PostgreSQL (the payroll service).

What this module owns:
  - `Base`, whose `MetaData` (with a naming convention, so constraint names are the same on every backend)
    holds the ledger's tables; a service that keeps the ledger adds its own tables to the same `Base.metadata`
    and its own revisions to the same Alembic history (`incentives/time/migrations`);
  - the three tables `ledger_periods`, `ledger_runs` and `ledger_entries` (`PeriodRow`, `RunRow`, `EntryRow`)
    and the vocabularies their CHECK constraints allow (`KINDS`, `PERIOD_KINDS`, `RUN_KINDS`, `STATUSES`);
  - `UTCDateTime`, the column type of every instant: aware UTC datetimes in and out on both backends;
  - `open_engine`: from a path or URL to an engine on an up-to-date ledger, running the bundled Alembic
    migrations programmatically (no alembic.ini), SQLite with foreign keys and real transactions;
  - `LedgerError`, which everything here and in `incentives.time.ledger` raises.

Only portable types: strings, `Text`, `Date`, `DateTime(timezone=True)` and integers; money is
`amount_minor`, a BigInteger count of the currency's minor units (never a float).  The migration
`versions/0001_ledger.py` creates exactly these tables; a test compares the two.  Callers of
`incentives.time.ledger` never see the row classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import (
    URL,
    BigInteger,
    CheckConstraint,
    Connection,
    Date,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from dsl.errors import IncentivesError, Problem

__all__ = ["KINDS", "LABEL_LENGTH", "NAME_LENGTH", "PERIOD_KINDS", "RUN_KINDS", "STATUSES", "Base", "EntryRow",
           "LedgerError", "PeriodRow", "RunRow", "UTCDateTime", "open_engine"]

#: what an entry records
KINDS = ("earned", "deal_earned", "adjustment", "clawback", "draw_advance", "guarantee", "recovery", "forgiven",
         "paid", "balance")
#: the kinds of period a label names
PERIOD_KINDS = ("month", "quarter", "half", "year", "week", "range")
#: a period's run (`record`) or a restatement booking adjustments about a finalized period (`book`)
RUN_KINDS = ("run", "restatement")
#: an open period may be re-run; a final one is closed
STATUSES = ("open", "final")

LABEL_LENGTH = 64  # a period label: "2027-03", "2027-W05", "2027-01-01..2027-03-15"
NAME_LENGTH = 200  # payee, plan, component and deal identifiers
HASH_LENGTH = 128  # a data hash (hex digest, with its algorithm's name)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for `column IN (values)` (the values are this module's constants, never input)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class LedgerError(IncentivesError):
    """A ledger that cannot be opened, or a write or query it refuses; the problem names the ledger."""

    kind = "ledger"

    def __init__(self, where: str | None, message: str, hint: str | None = None):
        text = f"{where}: {message}" if where else message
        super().__init__([Problem(text, code="ledger", message=message, file=where, hint=hint)])


def reason(error: BaseException) -> str:
    """The first line of the database's own message (without SQLAlchemy's statement and link)."""
    inner = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    return (str(inner).strip().splitlines() or [type(inner).__name__])[0]


def _config(connection: Connection | None = None) -> Config:
    """An Alembic configuration without alembic.ini: the bundled migrations, run on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def _knows(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except (RevisionError, CommandError):
        return False


def _target(where: str | Path) -> tuple[URL, str]:
    """The database URL of `where` (a path is an SQLite file) and how errors name it."""
    if isinstance(where, Path) or "://" not in str(where):
        path = Path(where).expanduser()
        shown = str(where)
        if path.is_dir():
            raise LedgerError(shown, "is a folder, not a ledger file")
        if not path.parent.is_dir():
            raise LedgerError(shown, f"cannot create the ledger: the folder {path.parent} does not exist")
        return URL.create("sqlite", database=str(path)), shown
    try:
        url = make_url(str(where))
    except ArgumentError:  # its message repeats the URL, password included
        raise LedgerError(str(where).split("@")[-1], "not a database URL") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise LedgerError(shown, "a ledger is an SQLite file or a PostgreSQL database",
                          hint="give a path, sqlite:///PATH or postgresql://USER@HOST/DATABASE")
    database = url.database or ""
    local = url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:")
    if local and not Path(database).expanduser().parent.is_dir():
        raise LedgerError(shown, f"cannot create the ledger: the folder {Path(database).parent} does not exist")
    return url, shown


def _sqlite_transactions(engine: Engine) -> None:
    """SQLite: foreign keys on, and real transactions (BEGIN IMMEDIATE for writes) that cover DDL too."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite emits no BEGIN/COMMIT of its own; `_begin` does
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("ledger_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")



def open_engine(where: str | Path, engine_options: Mapping[str, Any] | None = None,
                migrate: bool = True) -> tuple[Engine, str]:
    """An engine on the ledger at `where` (schema brought to head unless `migrate` is false), and how errors name it.

    LedgerError if it cannot be opened or is not a ledger: never a traceback from the database."""
    url, shown = _target(where)
    try:
        engine = create_engine(url, **dict(engine_options or {}))
    except ImportError as error:  # the PostgreSQL driver is an extra: say how to get it
        raise LedgerError(shown, f"cannot open the ledger: {error}",
                          hint="install the PostgreSQL driver: pip install 'incentives[postgres]'") from None
    except (ArgumentError, TypeError) as error:
        raise LedgerError(shown, f"cannot open the ledger: {error}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    try:
        with engine.execution_options(ledger_write=True).begin() as connection:
            if migrate:
                _migrate(connection, shown)
    except LedgerError:
        engine.dispose()
        raise
    except (SQLAlchemyError, CommandError, OSError, engine.dialect.loaded_dbapi.Error) as error:
        engine.dispose()
        raise LedgerError(shown, f"cannot open the ledger: {reason(error)}") from None
    return engine, shown


def _migrate(connection: Connection, shown: str) -> None:
    """Refuse a database that is not a ledger; bring a ledger's (or an empty database's) schema to head."""
    tables = set(sa_inspect(connection).get_table_names())
    if tables and VERSION_TABLE not in tables:
        names = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise LedgerError(shown, f"not a ledger: it has tables ({names}) but no {VERSION_TABLE}",
                          hint="give a new file or an empty database, or an existing ledger")
    scripts = _scripts()
    current = MigrationContext.configure(connection).get_current_heads()
    unknown = [revision for revision in current if not _knows(scripts, revision)]
    if unknown:
        raise LedgerError(shown, f"not a ledger this version knows: its schema is at revision {', '.join(unknown)}",
                          hint="was it written by a newer version?")
    if set(current) != set(scripts.get_heads()):
        command.upgrade(_config(connection), "heads")


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: `DateTime(timezone=True)` (timestamptz on PostgreSQL, text on SQLite), always aware UTC in Python.

    Naive datetimes are refused (an instant without a zone is ambiguous); SQLite, which keeps no
    offset, stores UTC and reads back UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a naive datetime ({value.isoformat()}) where an aware UTC instant is needed")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base whose `metadata` holds the ledger's tables (and a service's own, added to it)."""

    metadata = MetaData(naming_convention=NAMING)  # type: ignore[arg-type]  # the convention's keys are strings


class PeriodRow(Base):
    """A recorded period: its label, kind and inclusive dates, and whether it is still open or final."""

    __tablename__ = "ledger_periods"
    __table_args__ = (
        CheckConstraint(_one_of("kind", PERIOD_KINDS), name="kind"),
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        CheckConstraint('start <= "end"', name="dates"),
    )

    label: Mapped[str] = mapped_column(String(LABEL_LENGTH), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RunRow(Base):
    """One run of a plan set for a period (`run`), or a restatement of a finalized one (`restatement`)."""

    __tablename__ = "ledger_runs"
    __table_args__ = (CheckConstraint(_one_of("kind", RUN_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(LABEL_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    plans: Mapped[str] = mapped_column(Text)  # JSON: [{"name", "file", "hash", "effective"}, ...]
    data_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")


class EntryRow(Base):
    """One amount: what `kind` of money `payee` got under `plan` (and `component`, `deal`), booked in a period."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(_one_of("kind", KINDS), name="kind"),
        Index("ix_ledger_entries_booked_in", "booked_in"),
        Index("ix_ledger_entries_payee_plan", "payee", "plan"),
        Index("ix_ledger_entries_deal", "deal"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("ledger_runs.id"))
    # the period it is booked in (= paid in), and the period it is about (they differ for restatements only)
    booked_in: Mapped[str] = mapped_column(String(LABEL_LENGTH), ForeignKey("ledger_periods.label"))
    about: Mapped[str] = mapped_column(String(LABEL_LENGTH))
    payee: Mapped[str] = mapped_column(String(NAME_LENGTH))
    plan: Mapped[str] = mapped_column(String(NAME_LENGTH))
    component: Mapped[str] = mapped_column(String(NAME_LENGTH), default="", server_default="")
    deal: Mapped[str] = mapped_column(String(NAME_LENGTH), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # 12.34 USD -> 1234, 5 JPY -> 5, 1.234 BHD -> 1234
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
