"""A real server on loopback for the service tests: uvicorn in a thread, on a free port, over a fresh
SQLite file or a fresh PostgreSQL schema, with an admin token.  No mocks of the store or of HTTP."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import httpx
import uvicorn

from incentives.service.app import create_app
from incentives.service.store import Store

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Server:
    url: str
    token: str
    where: str | Path
    engine_options: dict[str, Any]

    def client(self, token: str | None = None, **kw: Any) -> httpx.Client:
        token = self.token if token is None else token  # "": no token at all
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kw)

    def store(self) -> Store:
        """Another connection to the server's database (close it after use)."""
        return Store(self.where, self.engine_options)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_schema() -> tuple[str, dict[str, Any]] | None:
    """A new PostgreSQL schema and the engine options that select it; None when PostgreSQL does not answer."""
    try:
        import psycopg
        schema = f"svc_{uuid.uuid4().hex[:12]}"
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3,
                             autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as e:  # noqa: BLE001
        return None if "connect" in str(e).lower() or "refused" in str(e).lower() else None
    return schema, {"connect_args": {"options": f"-csearch_path={schema}"}}


def drop_schema(schema: str) -> None:
    import psycopg
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def running(where: str | Path, engine_options: dict[str, Any] | None = None, threads: int = 2) -> Iterator[Server]:
    options = dict(engine_options or {})
    store = Store(where, options)
    token = store.create_token("admin", actor="test")
    store.close()
    port = free_port()
    config = uvicorn.Config(create_app(where, options, threads), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", token, where, options)
    finally:
        server.should_exit = True
        thread.join(30)


@contextmanager
def running_on(backend: str, path: Path, threads: int = 2) -> Iterator[Server]:
    """A server over an SQLite file at `path`, or over a fresh PostgreSQL schema (dropped afterwards);
    the test is skipped, saying why, when PostgreSQL does not answer."""
    if backend == "sqlite":
        with running(path, threads=threads) as server:
            yield server
        return
    made = pg_schema()
    if made is None:
        import pytest
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (user postgres, database test)")
    schema, options = made
    try:
        with running(PG, options, threads) as server:
            yield server
    finally:
        drop_schema(schema)

