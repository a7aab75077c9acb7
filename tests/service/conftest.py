"""Fixtures: `server` (SQLite file) and `pg_server` (a PostgreSQL schema, skipped with the reason when
PostgreSQL does not answer on 127.0.0.1:5432); `backend_server` runs a test on both."""

from __future__ import annotations

import pytest

from .server import running, running_on


@pytest.fixture
def server(tmp_path):
    with running(tmp_path / "service.db") as s:
        yield s


@pytest.fixture
def pg_server(tmp_path):
    with running_on("postgresql", tmp_path / "unused.db") as s:
        yield s


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_server(request, tmp_path):
    with running_on(request.param, tmp_path / "service.db") as s:
        yield s
