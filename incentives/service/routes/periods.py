"""`GET /periods`, `POST /periods/{period}/finalize` (a later run for it is refused), `POST
/periods/{period}/reopen` (an audited admin action), `POST /adjustments` (a correction with its
reason and author, paid in the open period after the last final one, through the ledger)."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, HTTPException, Request

from incentives.engine.calendar import parse_period
from incentives.time.ledger import Entry, PeriodRecord, RunRecord
from incentives.time.runner import open_after

from ..auth import Admin, Payroll
from ..schemas import AdjustmentCreate, AdjustmentPublic, ErrorPublic, PeriodPublic

router = APIRouter(tags=["periods"])


def _public(p) -> PeriodPublic:
    return PeriodPublic(label=p.label, kind=p.kind, start=p.start, end=p.end, status=p.status)


@router.get("/periods", response_model=list[PeriodPublic])
def periods(request: Request, who: Payroll) -> list[PeriodPublic]:
    with request.app.state.store.ledger() as ledger:
        return [_public(p) for p in ledger.periods()]


@router.post("/periods/{period}/finalize", response_model=PeriodPublic,
             responses={409: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def finalize(period: str, request: Request, who: Admin) -> PeriodPublic:
    """Lock the period: what it recorded is never changed; a later run for it is refused (409)."""
    store = request.app.state.store
    with store.ledger() as ledger:
        record = ledger.period(period)
        if record is None:
            raise HTTPException(404, f"no period {period} has been run")
        if record.status == "final":
            raise HTTPException(409, f"{period} is final already")
        earlier = [p.label for p in ledger.periods() if p.status == "open" and p.start < record.start]
        if earlier:
            raise HTTPException(409, f"{', '.join(earlier)} {'is' if len(earlier) == 1 else 'are'} still open: "
                                     f"periods are finalized in order")
        with store.write(who.name, "period.finalize", f"period {period}", before="open", after="final"):
            done = ledger.finalize(period)
    return _public(done)


@router.post("/periods/{period}/reopen", response_model=PeriodPublic,
             responses={409: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def reopen(period: str, request: Request, who: Admin) -> PeriodPublic:
    """Open a final period again (the last final one only): an audited admin action."""
    store = request.app.state.store
    with store.ledger() as ledger:
        record = ledger.period(period)
        if record is None or record.status != "final":
            raise HTTPException(409 if record is not None else 404, f"{period} is not a final period")
        later = [p.label for p in ledger.periods() if p.status == "final" and p.start > record.start]
        if later:
            raise HTTPException(409, f"{', '.join(later)} {'is' if len(later) == 1 else 'are'} final after "
                                     f"{period}: reopen the latest first")
        with store.write(who.name, "period.reopen", f"period {period}", before="final", after="open"):
            done = ledger.reopen(period)
    return _public(done)


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
