"""Running a period run off the event loop: a thread pool takes runs from `POST /runs`, reads the
stored plan versions and datasets, pays the periods through the ledger on the same database, and
writes every payee's result, statement and breakdown with the run's success in one transaction.
A run that fails keeps its problems; a server that stops mid-run leaves no results (the run is
marked failed when it starts again).  Hooks (webhooks) are called when a run ends."""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from dsl import PlanError

from incentives.engine.calendar import parse_periods
from incentives.errors import IncentivesError, Problem
from incentives.explain.build import explain
from incentives.explain.render import RENDERERS
from incentives.plan import Plan, compile_text
from sqlalchemy.orm import Session

from incentives.time.ledger import Ledger, to_minor
from incentives.time.load import load_period_data
from incentives.time.runner import run_periods
from incentives.time.statement import statement_data
from .models import AuditRow, RunPayeeRow, RunRow
from .store import Store, now, sha256

SUFFIX = {"csv": ".csv", "json": ".json", "parquet": ".parquet", "toml": ".toml"}


class Worker:
    def __init__(self, store: Store, threads: int = 2):
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="incentives-run")
        self.hooks: list[Callable[[str], None]] = []

    def submit(self, run_id: str) -> None:
        self.pool.submit(self._execute, run_id)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)

    def _execute(self, run_id: str) -> None:
        try:
            execute(self.store, run_id)
        except Exception as e:  # noqa: BLE001 - a run never takes the worker down; its problems say why
            self.store.update_run(run_id, status="failed", finished_at=now(), problems=json.dumps(
                [{"code": "internal", "message": f"{type(e).__name__}: {e} (please report this)"}]))
        for hook in self.hooks:
            try:
                hook(run_id)
            except Exception:  # noqa: BLE001 - a hook's failure is its own (deliveries record theirs)
                pass


def plans_of(store: Store, request: dict[str, Any]) -> list[Plan]:
    out = []
    for ref in request["plans"]:
        row = store.plan_version(ref["name"], ref["hash"])
        out.append(compile_text(row.text, f"{row.name} v{row.version}.plan"))
    return out


def execute(store: Store, run_id: str) -> None:
    """Pay the run's periods through the ledger and store every payee's result, all in ONE transaction:
    a run that fails, or a server killed mid-run, leaves neither ledger entries nor results behind."""
    run = store.run(run_id)
    request = json.loads(run.request)
    store.update_run(run_id, status="running", started_at=now(), progress=5)
    try:
        plans = plans_of(store, request)
        periods = parse_periods(request["periods"])
        with tempfile.TemporaryDirectory(prefix="incentives-run-") as tmp:
            names: dict[str, str] = {}
            files: dict[str, Path | None] = {}
            for kind, ref in request["datasets"].items():
                row = store.dataset(ref["id"])
                path = Path(tmp) / f"{kind}{SUFFIX[row.format]}"
                path.write_bytes(row.content)
                files[kind] = path
                names[str(path)] = row.name or f"{kind} dataset {row.id}"
            try:
                data = load_period_data(plans, files["people"], files.get("deals"), files.get("splits"),
                                        files.get("activities"), files.get("mapping"), files.get("assignments"),
                                        files.get("quotas"), files.get("rates"), files.get("holidays"))
                store.update_run(run_id, progress=20)
                with store.engine.execution_options(ledger_write=True).connect() as connection, connection.begin():
                    runs = run_periods(plans, data, periods, Ledger.joined(connection, store.shown))
                    rows = _rows(plans, data, runs, names)
                    with Session(bind=connection, join_transaction_mode="create_savepoint") as session, \
                            session.begin():
                        _finish(session, run_id, rows)
            except (IncentivesError, PlanError, ValueError) as e:
                problems = getattr(e, "problems", None) or [Problem(str(e), code="data")]
                store.update_run(run_id, status="failed", finished_at=now(),
                                 problems=_named(json.dumps([_problem(p) for p in problems]), names))
                return
    except (IncentivesError, PlanError, ValueError) as e:
        problems = getattr(e, "problems", None) or [Problem(str(e), code="data")]
        store.update_run(run_id, status="failed", finished_at=now(),
                         problems=json.dumps([_problem(p) for p in problems]))


def _named(text: str, names: dict[str, str]) -> str:
    """The run's files as their datasets, not the temporary paths they were read from (the same request
    gives the same statements, and no server path shows)."""
    for path, name in names.items():
        text = text.replace(json.dumps(path)[1:-1], name)
    return text


def _finish(session: Session, run_id: str, rows: list[dict[str, Any]]) -> None:
    for p in rows:
        session.add(RunPayeeRow(run_id=run_id, **p))
    row = session.get(RunRow, run_id)
    row.status, row.progress, row.finished_at = "succeeded", 100, now()
    session.add(AuditRow(at=now(), actor=f"run {run_id}", action="run.finish", target=f"run {run_id}",
                         before_hash="", after_hash=sha256("".join(p["statement"] for p in rows)), detail=""))


def _rows(plans: list[Plan], data, runs, names: dict[str, str]) -> list[dict[str, Any]]:
    by_hash = {p.hash: p for p in plans}
    people = data.sales.people
    rows = []
    for r in runs:
        for p in r.payees:
            person = people.get(p.payee)
            name = person.name if person else ""
            breakdown = explain(by_hash[p.plan_hash], p.result, person) if p.result.components else None
            rows.append({"period": r.period.label, "payee": p.payee, "name": name,
                         "manager": person.manager if person else "", "plan": p.plan, "currency": p.currency,
                         "earned_minor": to_minor(p.total_earned, p.currency),
                         "paid_minor": to_minor(p.settlement.paid, p.currency),
                         "statement": _named(json.dumps(statement_data(r, p, name)), names),
                         "breakdown": _named(RENDERERS["json"](breakdown), names) if breakdown is not None else "{}"})
    return rows


def _problem(p: Any) -> dict[str, Any]:
    if hasattr(p, "to_dict"):
        return p.to_dict()
    return {"code": "data", "message": str(p)}
