"""The ledger (`incentives.time.ledger`) on SQLite and PostgreSQL: what it records, replaces, refuses and sums.

Every test runs on both backends: an SQLite file under tmp_path, and a PostgreSQL schema of its own
(`ledger_<uuid>`, dropped at the end) at 127.0.0.1:5432, skipped when PostgreSQL does not answer.
Nothing is shared between tests, so they run in parallel (pytest-xdist).
"""

from __future__ import annotations

import pickle
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from incentives.time.ledger import Entry, Ledger, LedgerError, PeriodRecord, RunRecord
from incentives.time.ledger_model import Base

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HEAD = "0001_ledger"

Opener = Callable[[], Ledger]
_unreachable: list[str] = []  # why PostgreSQL did not answer, once: later tests skip without waiting again


def month(label: str) -> PeriodRecord:
    """The month `label` ("2027-03") as a period record."""
    year, number = map(int, label.split("-"))
    start = date(year, number, 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return PeriodRecord(label, "month", start, end)


def run(label: str) -> RunRecord:
    return RunRecord(label, "run", [{"name": "sales", "file": "sales.plan", "hash": "abc", "effective": None}],
                     data_hash="sha256:0", note=f"run of {label}")


def restatement(label: str) -> RunRecord:
    return RunRecord(label, "restatement", [], note=f"restating {label}")


def entry(payee: str, kind: str, amount: str, currency: str = "USD", **more: Any) -> Entry:
    return Entry(payee, more.pop("plan", "sales"), kind, Decimal(amount), currency, **more)


def snapshot(ledger: Ledger) -> tuple[Any, ...]:
    """Everything the ledger holds, to compare before and after a refused write."""
    return ledger.periods(), ledger.entries(), ledger.runs()


# -- backends ---------------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """A function opening (again and again) the same ledger: an SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        yield lambda: Ledger(path)
        return
    if _unreachable:
        pytest.skip(_unreachable[0])
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    schema = f"ledger_{uuid.uuid4().hex}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        _unreachable.append(f"PostgreSQL not reachable at 127.0.0.1:5432: {error.orig}")
        pytest.skip(_unreachable[0])
    options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    try:
        yield lambda: Ledger(PG_URL, engine_options=options)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def ledger(opener: Opener) -> Iterator[Ledger]:
    with opener() as opened:
        yield opened


def finalized(ledger: Ledger, *labels: str) -> None:
    """Record (with no entries) and finalize each month, in order."""
    for label in labels:
        ledger.record(run(label), month(label), [])
        ledger.finalize(label)


# -- record, book, finalize ---------------------------------------------------------------------------------------


def test_rerunning_an_open_period_replaces_its_entries_but_keeps_adjustments(ledger: Ledger) -> None:
    finalized(ledger, "2027-01")
    first = ledger.record(run("2027-02"), month("2027-02"), [entry("ann", "earned", "100.00", component="base"),
                                                             entry("bob", "earned", "50.00")])
    ledger.book(restatement("2027-01"), month("2027-02"), "2027-01", [entry("ann", "adjustment", "7.50")])
    second = ledger.record(run("2027-02"), month("2027-02"), [entry("ann", "earned", "120.00", component="base")])
    assert second > first
    booked = ledger.entries(booked_in="2027-02")
    assert [(e.payee, e.kind, e.amount, e.about) for e in booked] == [
        ("ann", "adjustment", Decimal("7.50"), "2027-01"), ("ann", "earned", Decimal("120.00"), "2027-02")]
    assert ledger.entries(payee="bob") == []
    assert ledger.total(kinds=["earned", "adjustment"], payee="ann", booked_in="2027-02") == Decimal("127.50")
    assert [r.kind for r in ledger.runs("2027-02")] == ["run", "run"]
    assert [r.kind for r in ledger.runs("2027-01")] == ["run", "restatement"]
    last = ledger.runs("2027-02")[-1]
    assert (last.id, last.plans[0]["name"], last.data_hash) == (second, "sales", "sha256:0")
    assert last.started_at is not None and last.started_at.tzinfo is not None


def test_a_final_period_refuses_record_and_book_and_changes_nothing(ledger: Ledger) -> None:
    ledger.record(run("2026-12"), month("2026-12"), [entry("ann", "earned", "10.00")])
    ledger.finalize("2026-12")
    ledger.record(run("2027-01"), month("2027-01"), [entry("ann", "earned", "20.00")])
    final = ledger.finalize("2027-01")
    assert final.status == "final" and final.finalized_at is not None and final.finalized_at.tzinfo == UTC
    before = snapshot(ledger)
    with pytest.raises(LedgerError, match="2027-01 is final"):
        ledger.record(run("2027-01"), month("2027-01"), [entry("ann", "earned", "99.00")])
    with pytest.raises(LedgerError, match="2027-01 is final"):
        ledger.book(restatement("2026-12"), month("2027-01"), "2026-12", [entry("ann", "adjustment", "1.00")])
    assert snapshot(ledger) == before


def test_finalize_goes_in_order(ledger: Ledger) -> None:
    for label in ("2027-01", "2027-02"):
        ledger.record(run(label), month(label), [entry("ann", "earned", "1.00")])
    with pytest.raises(LedgerError, match=r"2027-02 cannot be finalized: earlier period\(s\) 2027-01 still open"):
        ledger.finalize("2027-02")
    with pytest.raises(LedgerError, match="2027-03 is not recorded"):
        ledger.finalize("2027-03")
    ledger.finalize("2027-01")
    with pytest.raises(LedgerError, match="2027-01 is already final"):
        ledger.finalize("2027-01")
    assert ledger.finalize("2027-02").status == "final"
    assert [(p.label, p.status) for p in ledger.periods()] == [("2027-01", "final"), ("2027-02", "final")]


def test_book_replaces_earlier_adjustments_about_the_same_period(ledger: Ledger) -> None:
    finalized(ledger, "2027-01", "2027-02")
    ledger.book(restatement("2027-01"), month("2027-03"), "2027-01", [entry("ann", "adjustment", "5.00")])
    ledger.book(restatement("2027-02"), month("2027-03"), "2027-02", [entry("ann", "adjustment", "2.00")])
    ledger.book(restatement("2027-01"), month("2027-03"), "2027-01", [entry("ann", "adjustment", "-3.00"),
                                                                       entry("bob", "clawback", "-1.00")])
    assert ledger.period("2027-03").status == "open"  # booked into before its own run: recorded as open
    assert [(e.about, e.payee, e.amount) for e in ledger.entries(booked_in="2027-03")] == [
        ("2027-02", "ann", Decimal("2.00")), ("2027-01", "ann", Decimal("-3.00")), ("2027-01", "bob", Decimal("-1.00"))]
    assert ledger.total(kinds="adjustment", about="2027-01") == Decimal("-3.00")
    with pytest.raises(LedgerError, match="2027-04 is not recorded: only a final period is restated"):
        ledger.book(restatement("2027-04"), month("2027-03"), "2027-04", [])
    with pytest.raises(LedgerError, match="2027-03 is open"):
        ledger.book(restatement("2027-03"), month("2027-05"), "2027-03", [])


def test_record_refuses_entries_and_periods_that_do_not_belong(ledger: Ledger) -> None:
    ledger.record(run("2027-01"), month("2027-01"), [])
    with pytest.raises(LedgerError, match="booked_in '2027-02' where '2027-01' is recorded"):
        ledger.record(run("2027-01"), month("2027-01"), [entry("ann", "earned", "1.00", booked_in="2027-02")])
    with pytest.raises(LedgerError, match="unknown kind"):
        ledger.record(run("2027-01"), month("2027-01"), [entry("ann", "bonus", "1.00")])
    with pytest.raises(LedgerError, match="recorded as month 2027-01-01..2027-01-31"):
        ledger.record(run("2027-01"), PeriodRecord("2027-01", "range", date(2027, 1, 1), date(2027, 1, 15)), [])
    with pytest.raises(LedgerError, match="kind 'restatement' where 'run' is needed"):
        ledger.record(restatement("2027-01"), month("2027-01"), [])


# -- queries ------------------------------------------------------------------------------------------------------


def test_closing_balance_is_the_latest_earlier_periods(ledger: Ledger) -> None:
    ledger.record(run("2027-01"), month("2027-01"), [entry("ann", "balance", "-100.00"),
                                                     entry("ann", "balance", "-5.00", plan="other")])
    ledger.record(run("2027-02"), month("2027-02"), [entry("ann", "balance", "-40.00")])
    ledger.record(run("2027-03"), month("2027-03"), [entry("bob", "balance", "-1.00"), entry("ann", "earned", "9")])
    assert ledger.closing_balance("ann", "sales", date(2027, 4, 1)) == (Decimal("-40.00"), "2027-02")
    assert ledger.closing_balance("ann", "sales", date(2027, 3, 1)) == (Decimal("-40.00"), "2027-02")
    assert ledger.closing_balance("ann", "sales", date(2027, 2, 28)) == (Decimal("-100.00"), "2027-01")
    assert ledger.closing_balance("ann", "other", date(2027, 4, 1)) == (Decimal("-5.00"), "2027-01")
    assert ledger.closing_balance("ann", "sales", date(2027, 1, 31)) == (Decimal(0), None)
    assert ledger.closing_balance("cy", "sales", date(2028, 1, 1)) == (Decimal(0), None)


def test_totals_are_exact_in_each_currencys_minor_units(ledger: Ledger) -> None:
    ledger.record(run("2027-01"), month("2027-01"), [
        entry("ann", "earned", "0.10", deal="D1"), entry("ann", "earned", "0.20", deal="D2"),
        entry("jun", "earned", "5", "JPY"), entry("jun", "earned", "7", "JPY"),
        entry("ali", "earned", "1.234", "BHD"), entry("ali", "earned", "0.001", "BHD", component="kicker"),
        entry("ann", "paid", "-0.30")])
    assert ledger.total(kinds="earned", payee="ann") == Decimal("0.30")
    assert str(ledger.total(kinds="earned", payee="ann")) == "0.30"
    assert ledger.total(kinds=["earned", "paid"], payee="ann") == 0
    assert ledger.total(kinds="earned", deal="D2") == Decimal("0.20")
    assert str(ledger.total(kinds="earned", payee="jun")) == "12"
    assert str(ledger.total(kinds="earned", currency="BHD")) == "1.235"
    assert ledger.total(kinds="earned", payee="ali", component="kicker") == Decimal("0.001")
    assert ledger.total(kinds="earned", payee="nobody") == 0
    with pytest.raises(LedgerError, match=r"several currencies \(BHD, JPY, USD\)"):
        ledger.total(kinds="earned")
    assert ledger.total(kinds="earned", payee="ann", about_between=(date(2027, 1, 1), date(2027, 3, 31))) \
        == Decimal("0.30")
    assert ledger.total(kinds="earned", payee="ann", about_between=(date(2027, 1, 2), date(2027, 3, 31))) == 0
    with ledger.engine.connect() as connection:
        stored = dict(connection.execute(sa.text("SELECT currency, SUM(amount_minor) FROM ledger_entries "
                                                 "WHERE kind = 'earned' GROUP BY currency")).all())
    assert {currency: int(minor) for currency, minor in stored.items()} == {"USD": 30, "JPY": 12, "BHD": 1235}
    assert [e.amount for e in ledger.entries(payee="jun")] == [Decimal(5), Decimal(7)]
    assert ledger.entries(deal="D1")[0] == Entry("ann", "sales", "earned", Decimal("0.10"), "USD", deal="D1",
                                                 booked_in="2027-01", about="2027-01")


@pytest.mark.parametrize("amount, currency", [("0.001", "USD"), ("0.5", "JPY"), ("1.2345", "BHD"),
                                              ("NaN", "USD"), ("1E+30", "USD"), ("-0.00001", "CLF")])
def test_an_amount_that_is_not_whole_minor_units_is_refused(ledger: Ledger, amount: str, currency: str) -> None:
    with pytest.raises(LedgerError, match=re.escape(f"amount {amount} {currency}")):
        ledger.record(run("2027-01"), month("2027-01"), [entry("ann", "earned", amount, currency)])
    with pytest.raises(LedgerError, match="never a float"):
        ledger.record(run("2027-01"), month("2027-01"), [Entry("ann", "sales", "earned", 0.1, "USD")])  # type: ignore
    assert snapshot(ledger) == ([], [], [])


# -- the database ---------------------------------------------------------------------------------------------------


def test_reopening_a_ledger_sees_the_same_data_and_migrates_once(opener: Opener) -> None:
    with opener() as first:
        finalized(first, "2027-01")
        first.record(run("2027-02"), month("2027-02"), [entry("ann", "earned", "12.34", note="Q1 deal")])
        before = snapshot(first)
    with opener() as again, opener() as third:
        assert snapshot(again) == snapshot(third) == before
        with again.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]


def test_the_model_is_what_the_migrations_create(ledger: Ledger) -> None:
    with ledger.engine.connect() as connection:
        # SQLite reflects '' server defaults as quoted text, so Alembic compares defaults on PostgreSQL only
        options = {"compare_type": True, "compare_server_default": connection.dialect.name == "postgresql"}
        assert compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata) == []
        inspector = sa.inspect(connection)
        assert set(inspector.get_table_names()) == {*Base.metadata.tables, "alembic_version"}
        for name, table in Base.metadata.tables.items():  # what autogenerate does not compare: CHECKs, FK names
            checks = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
            assert {c["name"] for c in inspector.get_check_constraints(name)} == checks
            keys = {c.name for c in table.constraints if isinstance(c, sa.ForeignKeyConstraint)}
            assert {c["name"] for c in inspector.get_foreign_keys(name)} == keys


def test_a_database_that_is_not_a_ledger_is_refused(opener: Opener) -> None:
    with opener() as opened:
        with opened.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE alembic_version")
        with pytest.raises(LedgerError, match=r"not a ledger: it has tables \(ledger_entries, .*\) but no alembic_v"):
            opener()
        with opened.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
            connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('ffff_other_app')")
        with pytest.raises(LedgerError, match="schema is at revision ffff_other_app"):
            opener()


def test_files_that_are_not_ledgers_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 200)
    with pytest.raises(LedgerError, match="notes.txt: cannot open the ledger: file is not a database") as caught:
        Ledger(text)
    assert caught.value.problems[0].file == str(text)
    assert pickle.loads(pickle.dumps(caught.value)).to_dict() == caught.value.to_dict()
    other = tmp_path / "other.db"
    with sa.create_engine(f"sqlite:///{other}").begin() as connection:
        connection.exec_driver_sql("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    with pytest.raises(LedgerError, match=r"not a ledger: it has tables \(customers\)"):
        Ledger(f"sqlite:///{other}")
    with pytest.raises(LedgerError, match="the folder .*missing does not exist"):
        Ledger(tmp_path / "missing" / "ledger.db")
    with pytest.raises(LedgerError, match="is a folder"):
        Ledger(tmp_path)
    with pytest.raises(LedgerError, match="an SQLite file or a PostgreSQL database"):
        Ledger("mysql://bob:secret@localhost/pay")
    assert not (tmp_path / "missing").exists()
