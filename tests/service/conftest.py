"""Fixtures: `server` (SQLite file) and `pg_server` (a PostgreSQL schema, skipped with the reason when
PostgreSQL does not answer on 127.0.0.1:5432); `backend_server` runs a test on both."""

from __future__ import annotations

import pytest

from .server import drop_schema, pg_schema, running, PG


@pytest.fixture
def server(tmp_path):
    with running(tmp_path / "service.db") as s:
        yield s


@pytest.fixture
def pg_server():
    made = pg_schema()
    if made is None:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (user postgres, database test)")
    schema, options = made
    try:
        with running(PG, options) as s:
            yield s
    finally:
        drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_server(request, tmp_path):
    if request.param == "sqlite":
        with running(tmp_path / "service.db") as s:
            yield s
        return
    made = pg_schema()
    if made is None:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (user postgres, database test)")
    schema, options = made
    try:
        with running(PG, options) as s:
            yield s
    finally:
        drop_schema(schema)
