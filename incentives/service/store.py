"""The service's store: one database (an SQLite file by default, PostgreSQL by URL) holding the
ledger's tables and the service's, both migrated when it is opened.  Every write is one transaction
that also writes its audit row, so a refused request leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incentives.time.ledger import Ledger
from incentives.time.ledger_model import open_engine
from .models import AuditRow, DatasetRow, PlanVersionRow, RunPayeeRow, RunRow, TokenRow

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ROLES = ("admin", "payroll", "manager", "rep")


def now() -> datetime:
    return datetime.now(UTC)


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


class Conflict(Exception):
    """A write the store refuses: the same idempotency key with another request, say."""


class Store:
    """The database behind the service.  `where`: a path (an SQLite file) or a database URL."""

    def __init__(self, where: str | Path, engine_options: dict[str, Any] | None = None):
        self.where = where
        self.engine_options = dict(engine_options or {})
        options = dict(self.engine_options)
        engine, self.shown = open_engine(where, options)  # the ledger's tables, migrated
        self.engine: Engine = engine
        if engine.dialect.name == "sqlite":
            @event.listens_for(engine, "connect")
            def _wait(dbapi_connection: Any, _record: Any) -> None:  # writers queue, they do not fail at once
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA busy_timeout = 30000")
                cursor.close()
            engine.dispose()  # connections made before the listener get it on reconnect
        self._migrate()

    def _migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        config.set_main_option("path_separator", "os")
        with self.engine.execution_options(ledger_write=True).begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ledger(self) -> Ledger:
        """A ledger on the same database (the caller closes it)."""
        return Ledger(self.where, engine_options=self.engine_options)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self, actor: str, action: str, target: str, before: str = "", after: str = "",
              detail: str = "") -> Iterator[Session]:
        """One transaction with its audit row; the row's after-hash may be set on `session.info`."""
        engine = self.engine.execution_options(ledger_write=True)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            session.info["audit"] = {"after": after, "before": before, "target": target, "detail": detail}
            yield session
            info = session.info["audit"]
            session.add(AuditRow(at=now(), actor=actor, action=action, target=info["target"][:400],
                                 before_hash=info["before"], after_hash=info["after"], detail=info["detail"]))

    # ---- tokens ----
    def create_token(self, role: str, person: str = "", actor: str = "cli") -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role `{role}`: {', '.join(ROLES)}")
        token = "inc_" + secrets.token_urlsafe(32)
        with self.write(actor, "token.create", f"role {role}" + (f" person {person}" if person else "")) as s:
            s.add(TokenRow(hash=sha256(token), role=role, person=person, created_at=now(), revoked=False))
        return token

    def token(self, token: str) -> TokenRow | None:
        with self.read() as s:
            row = s.scalar(select(TokenRow).where(TokenRow.hash == sha256(token)))
            return row if row is not None and not row.revoked else None

    # ---- plans and datasets ----
    def plan_versions(self, name: str | None = None) -> list[PlanVersionRow]:
        if name is not None and "\x00" in name:
            return []
        with self.read() as s:
            stmt = select(PlanVersionRow).order_by(PlanVersionRow.name, PlanVersionRow.version)
            if name is not None:
                stmt = stmt.where(PlanVersionRow.name == name)
            return list(s.scalars(stmt))

    def plan_version(self, name: str, hash_: str | None = None) -> PlanVersionRow | None:
        if "\x00" in name or (hash_ and "\x00" in hash_):
            return None
        with self.read() as s:
            stmt = select(PlanVersionRow).where(PlanVersionRow.name == name)
            stmt = stmt.where(PlanVersionRow.hash == hash_) if hash_ else stmt.order_by(PlanVersionRow.version.desc())
            return s.scalars(stmt).first()

    def add_plan(self, fields: dict[str, Any], actor: str) -> tuple[PlanVersionRow, bool]:
        """Store a checked plan as a new version; the same text again is the version it already is."""
        for _ in range(20):
            existing = self.plan_version(fields["name"], fields["hash"])
            if existing is not None:
                return existing, False
            try:
                with self.write(actor, "plan.upload", f"plan {fields['name']}", after=fields["hash"]) as s:
                    last = s.scalar(select(PlanVersionRow.version).where(PlanVersionRow.name == fields["name"])
                                    .order_by(PlanVersionRow.version.desc()).limit(1))
                    row = PlanVersionRow(**fields, version=(last or 0) + 1, created_at=now(), author=actor)
                    s.add(row)
                return row, True
            except IntegrityError:  # another upload of this plan took the number (or was this very text)
                continue
        raise Conflict(f"plan {fields['name']!r} is being uploaded by many at once: retry")

    def add_dataset(self, kind: str, name: str, format: str, content: bytes, rows: int, actor: str) -> DatasetRow:
        digest = sha256(content)
        with self.write(actor, "dataset.import", f"dataset {kind} {name}".strip(), after=digest) as s:
            row = DatasetRow(kind=kind, name=name, format=format, hash=digest, rows=rows, content=content,
                             created_at=now(), author=actor)
            s.add(row)
        return row

    def dataset(self, id_: int) -> DatasetRow | None:
        if not 1 <= id_ < 2**31:
            return None
        with self.read() as s:
            return s.get(DatasetRow, id_)

    def datasets(self) -> list[DatasetRow]:
        with self.read() as s:
            return list(s.scalars(select(DatasetRow).order_by(DatasetRow.id)))

    # ---- runs ----
    def create_run(self, key: str, request: dict[str, Any], actor: str) -> tuple[RunRow, bool]:
        """The run for an idempotency key: a new one (True), or the one the key already made (False);
        Conflict when the key was used for another request."""
        body = json.dumps(request, sort_keys=True, default=str)
        digest = sha256(body)
        for _ in range(2):
            with self.read() as s:
                existing = s.scalar(select(RunRow).where(RunRow.idempotency_key == key))
            if existing is not None:
                if existing.request_hash != digest:
                    raise Conflict(f"the Idempotency-Key `{key}` was used for another request (run {existing.id})")
                return existing, False
            try:
                with self.write(actor, "run.create", "run", after=digest) as s:
                    row = RunRow(id=uuid.uuid4().hex, idempotency_key=key, request_hash=digest, request=body,
                                 status="queued", progress=0, problems="[]", created_at=now(), author=actor)
                    s.add(row)
                    s.info["audit"]["target"] = f"run {row.id}"
                return row, True
            except IntegrityError:  # another request with the key won the race: answer with its run
                continue
        raise Conflict(f"the Idempotency-Key `{key}` is being used by another request: retry")

    def run(self, run_id: str) -> RunRow | None:
        if "\x00" in run_id or len(run_id) > 36:
            return None
        with self.read() as s:
            return s.get(RunRow, run_id)

    def run_for_key(self, key: str) -> RunRow | None:
        with self.read() as s:
            return s.scalar(select(RunRow).where(RunRow.idempotency_key == key))

    def runs(self) -> list[RunRow]:
        with self.read() as s:
            return list(s.scalars(select(RunRow).order_by(RunRow.created_at)))

    def update_run(self, run_id: str, **fields: Any) -> None:
        with Session(self.engine.execution_options(ledger_write=True)) as s, s.begin():
            row = s.get(RunRow, run_id)
            for k, v in fields.items():
                setattr(row, k, v)

    def interrupted(self) -> list[str]:
        """Runs left queued or running by a server that stopped: marked failed (their results were never
        written: a run's results and its success are one transaction)."""
        with Session(self.engine.execution_options(ledger_write=True)) as s, s.begin():
            rows = list(s.scalars(select(RunRow).where(RunRow.status.in_(("queued", "running")))))
            for row in rows:
                row.status, row.finished_at = "failed", now()
                row.problems = json.dumps([{"code": "interrupted", "message": "the server stopped during the run; "
                                                                              "start it again with a new key"}])
            return [r.id for r in rows]

    def payees(self, run_id: str, person: str | None = None) -> list[RunPayeeRow]:
        if "\x00" in run_id or (person is not None and "\x00" in person):
            return []
        with self.read() as s:
            stmt = select(RunPayeeRow).where(RunPayeeRow.run_id == run_id).order_by(RunPayeeRow.id)
            if person is not None:
                stmt = stmt.where(RunPayeeRow.payee == person)
            return list(s.scalars(stmt))

    def audit(self, limit: int = 200) -> list[AuditRow]:
        with self.read() as s:
            return list(s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)))
