"""`POST /runs` (with an `Idempotency-Key`), `GET /runs`, `GET /runs/{id}`, `GET /runs/{id}/payouts`."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response

from incentives.engine.calendar import parse_periods
from incentives.time.ledger import from_minor

from ..auth import Admin, Payroll
from ..models import RunRow
from ..schemas import ErrorPublic, PayoutPublic, RunCreate, RunPublic

router = APIRouter(tags=["runs"])


def public(row: RunRow) -> RunPublic:
    return RunPublic(id=row.id, status=row.status, progress=row.progress, request=json.loads(row.request),
                     problems=json.loads(row.problems or "[]"), created_at=row.created_at,
                     started_at=row.started_at, finished_at=row.finished_at)


@router.post("/runs", status_code=202, response_model=RunPublic,
             responses={409: {"model": ErrorPublic, "description": "A final period, or a key used for another "
                                                                   "request"},
                        422: {"model": ErrorPublic, "description": "An unknown plan, dataset or period"}})
def create_run(body: RunCreate, request: Request, who: Admin,
               idempotency_key: Annotated[str, Header(min_length=1, max_length=200)]) -> RunPublic:
    """Queue a period run.  The same key with the same request answers with the same run; with another
    request it is refused (409).  The run executes in a worker: poll `GET /runs/{id}`."""
    store = request.app.state.store
    if (body.period is None) == (body.periods is None):
        raise HTTPException(422, "give `period` or `periods` (one of them)")
    try:
        periods = parse_periods(body.periods or body.period)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    if "people" not in body.datasets:
        raise HTTPException(422, "give a `people` dataset")
    plans = []
    for ref in body.plans:
        row = store.plan_version(ref.name, ref.hash)
        if row is None:
            raise HTTPException(422, f"no plan {ref.name!r}" + (f" with hash {ref.hash}" if ref.hash else ""))
        plans.append({"name": row.name, "hash": row.hash, "version": row.version})
    datasets = {}
    for kind, id_ in sorted(body.datasets.items()):
        row = store.dataset(id_)
        if row is None or row.kind != kind:
            raise HTTPException(422, f"no {kind} dataset {id_}")
        datasets[kind] = {"id": row.id, "hash": row.hash}
    req = {"plans": plans, "periods": "..".join([periods[0].label, periods[-1].label]) if len(periods) > 1
           else periods[0].label, "datasets": datasets}
    earlier = store.run_for_key(idempotency_key)
    if earlier is not None:  # a retry: the same answer, whatever happened since (or 409 for another request)
        run, _ = store.create_run(idempotency_key, req, who.name)
        return public(run)
    with store.ledger() as ledger:
        final = [p.label for p in periods if (rec := ledger.period(p.label)) is not None and rec.status == "final"]
    if final:
        raise HTTPException(409, f"{', '.join(final)} {'is' if len(final) == 1 else 'are'} final: a run may not "
                                 f"change it; record a correction with POST /adjustments")
    run, created = store.create_run(idempotency_key, req, who.name)
    if created:
        request.app.state.worker.submit(run.id)
    return public(run)


@router.get("/runs", response_model=list[RunPublic])
def list_runs(request: Request, who: Payroll) -> list[RunPublic]:
    return [public(r) for r in request.app.state.store.runs()]


def _run(request: Request, run_id: str) -> RunRow:
    row = request.app.state.store.run(run_id) if "\x00" not in run_id else None
    if row is None:
        raise HTTPException(404, f"no run {run_id}")
    return row


@router.get("/runs/{run_id}", response_model=RunPublic, responses={404: {"model": ErrorPublic}})
def get_run(run_id: str, request: Request, who: Payroll) -> RunPublic:
    return public(_run(request, run_id))


def payouts_of(request: Request, run_id: str) -> list[PayoutPublic]:
    row = _run(request, run_id)
    if row.status != "succeeded":
        raise HTTPException(409, f"run {run_id} is {row.status}: payouts come when it has succeeded")
    return [PayoutPublic(period=p.period, payee=p.payee, name=p.name, plan=p.plan, currency=p.currency,
                         earned=format(from_minor(p.earned_minor, p.currency), "f"),
                         paid=format(from_minor(p.paid_minor, p.currency), "f"))
            for p in request.app.state.store.payees(run_id)]


@router.get("/runs/{run_id}/payouts", response_model=list[PayoutPublic],
            responses={404: {"model": ErrorPublic}, 409: {"model": ErrorPublic},
                       200: {"content": {"text/csv": {}}}})
def payouts(run_id: str, request: Request, who: Payroll,
            format: Annotated[str, Query(pattern="^(json|csv)$")] = "json"):
    """Every payee's earned and paid amounts per plan and period (exact decimal text), as JSON or CSV."""
    rows = payouts_of(request, run_id)
    if format == "json":
        return rows
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(PayoutPublic.model_fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(r.model_dump() for r in rows)
    return Response(buf.getvalue(), media_type="text/csv")
