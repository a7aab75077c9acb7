"""`GET /periods`, `POST /periods/{period}/finalize` (a later run for it is refused), `POST
/periods/{period}/reopen` (an audited admin action), `POST /adjustments` (a correction with its
reason and author, paid in the open period after the last final one, through the ledger)."""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from fastapi import APIRouter, HTTPException, Request

from incentives.engine.calendar import parse_period
from incentives.time.ledger import Entry, Ledger, LedgerError, PeriodRecord, RunRecord
from incentives.time.runner import open_after

from ..auth import Actor, Admin, Payroll
from ..schemas import AdjustmentCreate, AdjustmentPublic, ErrorPublic, PeriodPublic

router = APIRouter(tags=["periods"])


def _public(p) -> PeriodPublic:
    return PeriodPublic(label=p.label, kind=p.kind, start=p.start, end=p.end, status=p.status)


@router.get("/periods", response_model=list[PeriodPublic])
def periods(request: Request, who: Payroll) -> list[PeriodPublic]:
    with request.app.state.store.ledger() as ledger:
        return [_public(p) for p in ledger.periods()]


def _change(request: Request, who: Actor, period: str, action: str, before: str, after: str,
            change: Callable[[Ledger, str], PeriodRecord]) -> PeriodPublic:
    """Finalize or reopen through the ledger, which refuses what is out of order (409); audited in the
    same transaction, so a refusal leaves no audit row."""
    store = request.app.state.store
    with store.ledger() as ledger:
        if ledger.period(period) is None:
            raise HTTPException(404, f"no period {period} has been run")
        try:
            with store.write(who.name, action, f"period {period}", before=before, after=after):
                done = change(ledger, period)
        except LedgerError as e:
            raise HTTPException(409, e.problems[0].message or str(e)) from None
    return _public(done)


@router.post("/periods/{period}/finalize", response_model=PeriodPublic,
             responses={409: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def finalize(period: str, request: Request, who: Admin) -> PeriodPublic:
    """Lock the period (earlier ones first): what it recorded is never changed; a later run for it is
    refused (409)."""
    return _change(request, who, period, "period.finalize", "open", "final", Ledger.finalize)


@router.post("/periods/{period}/reopen", response_model=PeriodPublic,
             responses={409: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def reopen(period: str, request: Request, who: Admin) -> PeriodPublic:
    """Open a final period again (the last final one only): an audited admin action."""
    return _change(request, who, period, "period.reopen", "final", "open", Ledger.reopen)


@router.post("/adjustments", status_code=201, response_model=AdjustmentPublic,
             responses={409: {"model": ErrorPublic}, 422: {"model": ErrorPublic}})
def adjust(body: AdjustmentCreate, request: Request, who: Admin) -> AdjustmentPublic:
    """A correction about a final period, paid (or recovered) in the open period after the last final one."""
    store = request.app.state.store
    with store.ledger() as ledger:
        record = ledger.period(body.about)
        if record is None or record.status != "final":
            raise HTTPException(409, f"{body.about} is not a final period: correct an open period by running it "
                                     f"again")
        into = open_after(ledger, parse_period(body.about))
        note = f"{body.reason} (by {who.name})"
        entry = Entry(body.payee, body.plan, "adjustment", Decimal(body.amount), body.currency,
                      component=body.component, booked_in=into.label, about=body.about, note=note)
        kept = [e for e in ledger.entries(booked_in=into.label, about=body.about, kinds=("adjustment",))]
        with store.write(who.name, "adjustment.create", f"adjustment {body.payee} {body.about}",
                         detail=note):
            ledger.book(RunRecord(into.label, "restatement", note=note),
                        PeriodRecord(into.label, into.kind, into.start, into.end), body.about, [*kept, entry])
    return AdjustmentPublic(booked_in=into.label, about=body.about, payee=body.payee, plan=body.plan,
                            amount=body.amount, currency=body.currency, note=note)
