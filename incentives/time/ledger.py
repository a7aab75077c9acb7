"""The ledger: what each payee earned, was paid, advanced, recovered, clawed back and owed, period by period.

What this module owns:
  - `Ledger`, the one way in: it opens a ledger (an SQLite file, the CLI's embedded default, or a
    PostgreSQL URL, the payroll service's), brings its schema up to date with the Alembic
    migrations bundled in `incentives/time/migrations`, and records, books, finalizes and queries
    periods, runs and entries, each write one transaction;
  - the plain dataclasses that go in and come out (`PeriodRecord`, `RunRecord`, `Entry`): callers
    never see the ORM rows of `incentives.time.ledger_model`;
  - `LedgerError`, naming the ledger (file or URL, password hidden) and what is wrong;
  - exact money: an amount is a `Decimal` stored as a whole number of the currency's minor units
    (`to_minor`/`from_minor`, by `dsl.currencies.currency_digits`); an amount that is not a whole
    number of minor units is refused, never rounded, and sums are SQL SUMs of integers.

Periods are closed date ranges (`end` is the last day, as "2027-03" is 2027-03-01..2027-03-31).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

from sqlalchemy import ColumnElement, Connection, Engine, delete, exists, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dsl.currencies import currency_digits, is_currency
from incentives.time.ledger_model import (
    KINDS,
    LABEL_LENGTH,
    NAME_LENGTH,
    PERIOD_KINDS,
    EntryRow,
    LedgerError,
    PeriodRow,
    RunRow,
    open_engine,
    reason,
)

__all__ = ["KINDS", "Entry", "Ledger", "LedgerError", "PeriodRecord", "RunRecord", "from_minor", "to_minor"]

_BIGINT = 2 ** 63  # amount_minor is a signed 64-bit integer


@dataclass(frozen=True)
class PeriodRecord:
    """A period by its label ("2027-03"), kind (month, quarter, half, year, week, range) and inclusive dates."""

    label: str
    kind: str
    start: date
    end: date
    status: str = "open"
    recorded_at: datetime | None = None
    finalized_at: datetime | None = None


@dataclass(frozen=True)
class Entry:
    """One amount: `kind` (one of `KINDS`) of `payee`'s pay under `plan`, per component and deal ('' when not).

    `booked_in` is the period it is paid in, `about` the period it is about (they differ only for
    restatement adjustments); empty, they default to the period being recorded."""

    payee: str
    plan: str
    kind: str
    amount: Decimal
    currency: str
    component: str = ""
    deal: str = ""
    booked_in: str = ""
    about: str = ""
    note: str = ""


@dataclass(frozen=True)
class RunRecord:
    """A run of a plan set for a period (kind "run"), or a restatement of a finalized one ("restatement").

    `plans` is a list of {"name", "file", "hash", "effective"} (kept as JSON; dates become ISO text);
    `id` and `started_at` are filled in on the way out (`started_at` defaults to the time of recording)."""

    period: str
    kind: str
    plans: list[dict[str, Any]] = field(default_factory=list)
    data_hash: str = ""
    note: str = ""
    id: int | None = None
    started_at: datetime | None = None


def to_minor(amount: Decimal | int, currency: str, where: str | None = None) -> int:
    """`amount` in whole minor units of `currency` (12.34 USD -> 1234, 5 JPY -> 5); LedgerError if not whole."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise LedgerError(where, f"amount {amount!r} is not a Decimal (money is exact, never a float)")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise LedgerError(where, f"amount {amount} {currency} is not a finite number")
    places = currency_digits(currency)
    sign, digits, exponent = amount.as_tuple()
    coefficient = int("".join(map(str, digits)))
    exponent = int(exponent) + places
    if coefficient == 0:
        return 0
    if exponent >= 0:
        minor, rest = (coefficient * 10 ** exponent if exponent <= 19 else _BIGINT), 0
    elif -exponent > len(digits):  # 0 < coefficient < 10 ** -exponent: a fraction of a minor unit
        minor, rest = 0, coefficient
    else:
        minor, rest = divmod(coefficient, 10 ** -exponent)
    if rest:
        raise LedgerError(where, f"amount {amount} {currency} is not a whole number of minor units "
                                 f"({places} decimal places)", hint="round it by the plan's rounding before recording")
    if minor >= _BIGINT:
        raise LedgerError(where, f"amount {amount} {currency} is too large for the ledger")
    return -minor if sign else minor


def from_minor(minor: int, currency: str) -> Decimal:
    """The Decimal amount of `minor` minor units of `currency` (1234 USD -> 12.34, exactly its decimal places)."""
    return Decimal(int(minor)).scaleb(-currency_digits(currency))


def _now() -> datetime:
    return datetime.now(UTC)


def _kinds(kinds: str | Iterable[str] | None, where: str) -> tuple[str, ...] | None:
    if kinds is None:
        return None
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise LedgerError(where, f"unknown entry kind {', '.join(map(repr, unknown))}",
                          hint=f"the kinds are {', '.join(KINDS)}")
    return kinds


def _period(row: PeriodRow) -> PeriodRecord:
    return PeriodRecord(row.label, row.kind, row.start, row.end, row.status, row.recorded_at, row.finalized_at)


def _entry(row: EntryRow) -> Entry:
    return Entry(row.payee, row.plan, row.kind, from_minor(row.amount_minor, row.currency), row.currency,
                 row.component, row.deal, row.booked_in, row.about, row.note)


def _run(row: RunRow) -> RunRecord:
    return RunRecord(row.period, row.kind, json.loads(row.plans), row.data_hash, row.note, row.id, row.started_at)


class Ledger:
    """A ledger in an SQLite file (a path, or sqlite:///PATH) or PostgreSQL (postgresql[+psycopg]://...).

    Opening it runs the bundled Alembic migrations up to head (`migrate=False` skips that, for a
    service that runs its own history containing them); `engine_options` go to `create_engine`
    (e.g. `{"connect_args": {"options": "-csearch_path=SCHEMA"}}`).  Use it as a context manager
    or call `close()`."""

    def __init__(self, where: str | Path, *, engine_options: Mapping[str, Any] | None = None,
                 migrate: bool = True):
        self._engine, self._where = open_engine(where, engine_options, migrate)
        self._reads = sessionmaker(self._engine, expire_on_commit=False)
        self._writes = sessionmaker(self._engine.execution_options(ledger_write=True), expire_on_commit=False)
        self._closed = False

    @property
    def where(self) -> str:
        """The ledger's file or URL (password hidden), as errors name it."""
        return self._where

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for migration tooling and tests; the API never needs it)."""
        return self._engine

    @classmethod
    def joined(cls, connection: Connection, where: str) -> "Ledger":
        """A ledger whose every read and write joins `connection`'s open transaction (as savepoints): nothing
        it writes is committed until the caller commits, and a caller that fails or dies leaves nothing."""
        self = cls.__new__(cls)
        self._engine, self._where, self._closed, self._owns = connection.engine, where, False, False
        self._reads = self._writes = sessionmaker(bind=connection, expire_on_commit=False,
                                                  join_transaction_mode="create_savepoint")
        return self

    def close(self) -> None:
        """Release the database connections; the ledger cannot be used afterwards."""
        if not self._closed:
            self._closed = True
            if getattr(self, "_owns", True):
                self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self._where!r})"

    @contextmanager
    def _session(self, write: bool = False) -> Iterator[Session]:
        """One transaction (committed at the end, rolled back on any error); database errors become LedgerError."""
        if self._closed:
            raise LedgerError(self._where, "the ledger is closed")
        try:
            with (self._writes if write else self._reads).begin() as session:
                yield session
        except IntegrityError as error:
            raise LedgerError(self._where, f"the write conflicts with the ledger: {reason(error)}",
                              hint="another process may have written the same period at the same time") from None
        except SQLAlchemyError as error:
            raise LedgerError(self._where, f"database error: {reason(error)}") from None

    # -- checks ---------------------------------------------------------------------------------------------------

    def _check_period(self, period: PeriodRecord) -> None:
        p = period
        if not isinstance(p.label, str) or not p.label or len(p.label) > LABEL_LENGTH:
            raise LedgerError(self._where, f"period label {p.label!r} must be 1 to {LABEL_LENGTH} characters")
        if p.kind not in PERIOD_KINDS:
            raise LedgerError(self._where, f"period {p.label}: unknown kind {p.kind!r}",
                              hint=f"the kinds are {', '.join(PERIOD_KINDS)}")
        if not all(isinstance(d, date) and not isinstance(d, datetime) for d in (p.start, p.end)) or p.start > p.end:
            raise LedgerError(self._where, f"period {p.label}: start {p.start!r} and end {p.end!r} must be dates, "
                                           f"start <= end")

    def _check_run(self, run: RunRecord, kind: str) -> None:
        if run.kind != kind:
            raise LedgerError(self._where, f"run of period {run.period}: kind {run.kind!r} where {kind!r} is needed",
                              hint="record() takes a run, book() a restatement")
        if not isinstance(run.plans, list):
            raise LedgerError(self._where, f"run of period {run.period}: plans must be a list of dicts")
        if run.started_at is not None and (not isinstance(run.started_at, datetime) or run.started_at.tzinfo is None):
            raise LedgerError(self._where, f"run of period {run.period}: started_at must be an aware datetime")

    def _row(self, entry: Entry, booked_in: str, about: str) -> dict[str, Any]:
        """The entry as column values, checked; its booked_in/about must be empty or the given periods."""
        e = entry
        who = f"entry {e.kind} of payee {e.payee!r}, plan {e.plan!r}"
        if e.kind not in KINDS:
            raise LedgerError(self._where, f"{who}: unknown kind", hint=f"the kinds are {', '.join(KINDS)}")
        if not isinstance(e.currency, str) or not is_currency(e.currency):
            raise LedgerError(self._where, f"{who}: {e.currency!r} is not an ISO 4217 currency code")
        for name in ("payee", "plan", "component", "deal"):
            value = getattr(e, name)
            if not isinstance(value, str) or len(value) > NAME_LENGTH or (name in ("payee", "plan") and not value):
                raise LedgerError(self._where, f"{who}: {name} must be text of at most {NAME_LENGTH} characters"
                                               + (", not empty" if name in ("payee", "plan") else ""))
        for name, value in (("booked_in", booked_in), ("about", about)):
            if getattr(e, name) not in ("", value):
                raise LedgerError(self._where, f"{who}: {name} {getattr(e, name)!r} where {value!r} is recorded",
                                  hint="record() books a period's own entries, book() adjustments about another")
        return {"booked_in": booked_in, "about": about, "payee": e.payee, "plan": e.plan, "component": e.component,
                "deal": e.deal, "kind": e.kind, "amount_minor": to_minor(e.amount, e.currency, self._where),
                "currency": e.currency, "note": str(e.note or "")}

    def _open_period(self, session: Session, period: PeriodRecord, now: datetime, refresh: bool) -> None:
        """Insert `period` as open, or check the recorded one is the same period and not final."""
        row = session.get(PeriodRow, period.label, with_for_update=True)
        if row is None:
            session.add(PeriodRow(label=period.label, kind=period.kind, start=period.start, end=period.end,
                                  status="open", recorded_at=now))
            return
        if row.status == "final":
            raise LedgerError(self._where, f"period {period.label} is final (since {row.finalized_at:%Y-%m-%d}): "
                                           "it cannot be recorded or booked into",
                              hint="restate it: book adjustments about it into an open period")
        if (row.kind, row.start, row.end) != (period.kind, period.start, period.end):
            raise LedgerError(self._where, f"period {period.label} is recorded as {row.kind} {row.start}..{row.end}, "
                                           f"not {period.kind} {period.start}..{period.end}")
        if refresh:
            row.recorded_at = now

    def _insert(self, session: Session, run: RunRecord, now: datetime, rows: list[dict[str, Any]]) -> int:
        run_row = RunRow(period=run.period, kind=run.kind, started_at=run.started_at or now,
                         plans=json.dumps(run.plans, default=str), data_hash=run.data_hash or "", note=run.note or "")
        session.add(run_row)
        session.flush()
        if rows:
            session.execute(insert(EntryRow), [dict(row, run_id=run_row.id) for row in rows])
        return run_row.id

    # -- writes ---------------------------------------------------------------------------------------------------

    def record(self, run: RunRecord, period: PeriodRecord, entries: list[Entry]) -> int:
        """Record a run of an open period: its entries replace those of an earlier run of it. Returns the run id.

        One transaction: a final period is refused; adjustments booked into the period about other
        periods (restatements) stay."""
        self._check_period(period)
        self._check_run(run, "run")
        if run.period != period.label:
            raise LedgerError(self._where, f"run of period {run.period!r} recorded as period {period.label!r}")
        rows = [self._row(entry, period.label, period.label) for entry in entries]
        now = _now()
        with self._session(write=True) as session:
            self._open_period(session, period, now, refresh=True)
            session.execute(delete(EntryRow).where(EntryRow.booked_in == period.label,
                                                   EntryRow.about == period.label))
            return self._insert(session, run, now, rows)

    def book(self, run: RunRecord, into: PeriodRecord, about: str, entries: list[Entry]) -> int:
        """Book restatement adjustments about final period `about` into open period `into`. Returns the run id.

        One transaction: `into` must not be final (it is recorded as open if it is new); entries
        booked into it about `about` by an earlier restatement are replaced."""
        self._check_period(into)
        self._check_run(run, "restatement")
        if about == into.label:
            raise LedgerError(self._where, f"book() into {into.label} about itself",
                              hint="record() re-runs an open period")
        rows = [self._row(entry, into.label, about) for entry in entries]
        now = _now()
        with self._session(write=True) as session:
            restated = session.get(PeriodRow, about)
            if restated is None or restated.status != "final":
                state = "not recorded" if restated is None else "open"
                raise LedgerError(self._where, f"period {about} is {state}: only a final period is restated",
                                  hint="record() re-runs an open period")
            self._open_period(session, into, now, refresh=False)
            session.execute(delete(EntryRow).where(EntryRow.booked_in == into.label, EntryRow.about == about))
            return self._insert(session, run, now, rows)

    def finalize(self, label: str) -> PeriodRecord:
        """Close period `label`; refused if it is not recorded, already final, or an earlier period is still open."""
        with self._session(write=True) as session:
            row = session.get(PeriodRow, label, with_for_update=True)
            if row is None:
                raise LedgerError(self._where, f"period {label} is not recorded: there is nothing to finalize")
            if row.status == "final":
                raise LedgerError(self._where, f"period {label} is already final (since {row.finalized_at:%Y-%m-%d})")
            earlier = session.scalars(select(PeriodRow.label).where(PeriodRow.start < row.start,
                                                                    PeriodRow.status == "open")
                                      .order_by(PeriodRow.start, PeriodRow.label)).all()
            if earlier:
                raise LedgerError(self._where, f"period {label} cannot be finalized: earlier period(s) "
                                               f"{', '.join(earlier)} still open", hint="finalize them first")
            row.status, row.finalized_at = "final", _now()
            return _period(row)

    def reopen(self, label: str) -> PeriodRecord:
        """Open final period `label` again (an admin's correction of a finalize); refused unless it is the
        latest final period."""
        with self._session(write=True) as session:
            row = session.get(PeriodRow, label, with_for_update=True)
            if row is None or row.status != "final":
                raise LedgerError(self._where, f"period {label} is not final: there is nothing to reopen")
            later = session.scalars(select(PeriodRow.label).where(PeriodRow.start > row.start,
                                                                  PeriodRow.status == "final")).all()
            if later:
                raise LedgerError(self._where, f"period {label} cannot be reopened: later period(s) "
                                               f"{', '.join(later)} are final", hint="reopen them first")
            row.status, row.finalized_at = "open", None
            return _period(row)

    # -- queries --------------------------------------------------------------------------------------------------

    def periods(self) -> list[PeriodRecord]:
        """Every recorded period, by start (then end and label)."""
        with self._session() as session:
            rows = session.scalars(select(PeriodRow).order_by(PeriodRow.start, PeriodRow.end, PeriodRow.label))
            return [_period(row) for row in rows]

    def period(self, label: str) -> PeriodRecord | None:
        """The recorded period `label`, or None."""
        with self._session() as session:
            row = session.get(PeriodRow, label)
            return None if row is None else _period(row)

    def runs(self, period: str | None = None) -> list[RunRecord]:
        """The runs and restatements (of `period`, or all), in the order they were recorded."""
        stmt = select(RunRow).order_by(RunRow.id)
        if period is not None:
            stmt = stmt.where(RunRow.period == period)
        with self._session() as session:
            return [_run(row) for row in session.scalars(stmt)]

    def _filters(self, kinds: str | Iterable[str] | None = None, **equal: str | None) -> list[ColumnElement[bool]]:
        conditions = [getattr(EntryRow, name) == value for name, value in equal.items() if value is not None]
        chosen = _kinds(kinds, self._where)
        if chosen is not None:
            conditions.append(EntryRow.kind.in_(chosen))
        return conditions

    def entries(self, *, booked_in: str | None = None, about: str | None = None, payee: str | None = None,
                plan: str | None = None, kinds: str | Iterable[str] | None = None, deal: str | None = None,
                component: str | None = None) -> list[Entry]:
        """The entries matching every filter given, in the order they were recorded."""
        conditions = self._filters(kinds, booked_in=booked_in, about=about, payee=payee, plan=plan, deal=deal,
                                   component=component)
        with self._session() as session:
            return [_entry(row) for row in session.scalars(select(EntryRow).where(*conditions).order_by(EntryRow.id))]

    def _sum(self, session: Session, conditions: list[ColumnElement[bool]]) -> Decimal:
        stmt = select(EntryRow.currency, func.sum(EntryRow.amount_minor)).where(*conditions).group_by(EntryRow.currency)
        sums = {currency: int(total) for currency, total in session.execute(stmt)}
        if len(sums) > 1:
            raise LedgerError(self._where, f"the amounts are in several currencies ({', '.join(sorted(sums))})",
                              hint="give currency= to total one of them")
        if not sums:
            return Decimal(0)
        ((currency, minor),) = sums.items()
        return from_minor(minor, currency)

    def total(self, *, kinds: str | Iterable[str], payee: str | None = None, plan: str | None = None,
              component: str | None = None, deal: str | None = None, booked_in: str | None = None,
              about: str | None = None, about_between: tuple[date, date] | None = None,
              currency: str | None = None) -> Decimal:
        """The exact sum of the matching entries' amounts (0 if none); LedgerError if they mix currencies.

        `about_between=(first, last)` keeps entries about recorded periods lying within those days (inclusive)."""
        conditions = self._filters(kinds, payee=payee, plan=plan, component=component, deal=deal,
                                   booked_in=booked_in, about=about, currency=currency)
        if about_between is not None:
            first, last = about_between
            conditions.append(EntryRow.about.in_(select(PeriodRow.label).where(PeriodRow.start >= first,
                                                                               PeriodRow.end <= last)))
        with self._session() as session:
            return self._sum(session, conditions)

    def closing_balance(self, payee: str, plan: str, before: date, currency: str | None = None
                        ) -> tuple[Decimal, str | None]:
        """The "balance" `payee` carried under `plan` out of the latest period ending before `before`, and its label.

        The latest recorded period (by end) ending before `before` with a balance entry for them;
        (0, None) if there is none."""
        has_balance = exists().where(EntryRow.booked_in == PeriodRow.label, EntryRow.payee == payee,
                                     EntryRow.plan == plan, EntryRow.kind == "balance")
        latest = (select(PeriodRow.label).where(PeriodRow.end < before, has_balance)
                  .order_by(PeriodRow.end.desc(), PeriodRow.start.desc(), PeriodRow.label.desc()).limit(1))
        with self._session() as session:
            label = session.scalar(latest)
            if label is None:
                return Decimal(0), None
            conditions = self._filters("balance", payee=payee, plan=plan, booked_in=label, currency=currency)
            return self._sum(session, conditions), label

    # -- a whole plan at once (one query where a payee-by-payee loop would make thousands) ------------------------

    def closing_balances(self, plan: str, before: date) -> dict[tuple[str, str], tuple[Decimal, str]]:
        """Every payee's `closing_balance` under `plan` before `before`, by (payee, currency)."""
        stmt = (select(EntryRow.payee, EntryRow.currency, EntryRow.amount_minor, PeriodRow.label)
                .join(PeriodRow, PeriodRow.label == EntryRow.booked_in)
                .where(EntryRow.plan == plan, EntryRow.kind == "balance", PeriodRow.end < before)
                .order_by(PeriodRow.end, PeriodRow.start, PeriodRow.label, EntryRow.id))
        latest: dict[str, tuple[str, dict[str, int]]] = {}
        with self._session() as session:
            for payee, currency, minor, label in session.execute(stmt):
                held = latest.get(payee)
                if held is None or held[0] != label:
                    latest[payee] = held = (label, {})
                held[1][currency] = held[1].get(currency, 0) + int(minor)
        return {(payee, currency): (from_minor(minor, currency), label)
                for payee, (label, sums) in latest.items() for currency, minor in sums.items()}

    def sums(self, *, kinds: str | Iterable[str], plan: str, booked_in: str | None = None,
             about_between: tuple[date, date] | None = None) -> dict[tuple[str, str, str], Decimal]:
        """Exact sums of the matching entries by (payee, component, currency)."""
        conditions = self._filters(kinds, plan=plan, booked_in=booked_in)
        if about_between is not None:
            first, last = about_between
            conditions.append(EntryRow.about.in_(select(PeriodRow.label).where(PeriodRow.start >= first,
                                                                               PeriodRow.end <= last)))
        stmt = (select(EntryRow.payee, EntryRow.component, EntryRow.currency, func.sum(EntryRow.amount_minor))
                .where(*conditions).group_by(EntryRow.payee, EntryRow.component, EntryRow.currency))
        with self._session() as session:
            return {(payee, component, currency): from_minor(int(total), currency)
                    for payee, component, currency, total in session.execute(stmt)}

