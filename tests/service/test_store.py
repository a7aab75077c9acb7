"""The service's store: its migration makes exactly the tables its model describes, on SQLite and
PostgreSQL; opening twice migrates nothing more; the ledger and the service keep separate histories."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from incentives.service.models import ServiceBase
from incentives.service.store import Store

from .server import PG, drop_schema, pg_schema


def _diffs(store: Store) -> list:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": lambda name, type_, parent: type_ != "table"
            or name.startswith("svc_")})
        return compare_metadata(context, ServiceBase.metadata)


def test_the_migration_makes_the_model_and_opening_twice_changes_nothing(tmp_path):
    store = Store(tmp_path / "s.db")
    try:
        assert _diffs(store) == []
        names = set(inspect(store.engine).get_table_names())
        assert {"alembic_version", "service_alembic_version", "ledger_entries", "svc_runs"} <= names
        with store.engine.connect() as c:
            assert c.execute(text("SELECT version_num FROM service_alembic_version")).scalar() == "0001_service"
    finally:
        store.close()
    again = Store(tmp_path / "s.db")
    try:
        assert _diffs(again) == []
    finally:
        again.close()


def test_the_migration_makes_the_model_on_postgresql():
    import pytest
    made = pg_schema()
    if made is None:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (user postgres, database test)")
    schema, options = made
    try:
        store = Store(PG, options)
        try:
            assert _diffs(store) == []
        finally:
            store.close()
    finally:
        drop_schema(schema)
