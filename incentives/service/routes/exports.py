"""Payroll exports: a succeeded run's payouts as a payroll import file (CSV), one row per person, plan and
period: who, an earning code, the amount paid (exact decimal text at the currency's minor unit), its
currency and the period.  Admin or payroll only, like the payouts.

`GET /runs/{id}/exports/{preset}` gives a preset layout; its columns, in order:
  generic   employee_id, earning_code, amount, currency, period_start, period_end
  workday   Employee_ID, One_Time_Payment_Plan, Amount, Currency, Effective_Date, Comment
            (a Workday one-time payment import; Effective_Date is the period's last day, Comment names
            the plan, the period and the run)
  adp       Co Code, Batch ID, File #, Earnings Code, Earnings Amount, Currency, Pay Period End
            (an ADP earnings import; Co Code is `?company=` (required), Batch ID `?batch=` (the first six
            characters of the run id by default), File # the person's id)

The earning code is "INC" for every plan (generic, adp) or the plan's name (workday, its one-time payment
plan), unless `?mapping=` says otherwise: `PLAN=CODE` for one plan (repeat it for several), or a bare
`CODE` for every plan; a mapping naming a plan the run does not have is refused (422).  Rows paying
nothing are left out unless `?zero=true`; `?currency=EUR` keeps one currency's rows (one payroll's).
Lines end with CRLF (RFC 4180).

`POST /runs/{id}/exports` gives a custom layout: the request body is a mapping file (TOML) naming the
columns, their headers and fields or constants, the earning codes, the date format and the decimal
separator; see `incentives.service.export_mapping` for its form.  The presets are mappings of that form
(`export_mapping.PRESETS`), so both go through the same code."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from .. import export_mapping
from ..auth import Payroll
from ..export_mapping import PRESETS, Mapping
from ..models import RunRow
from ..schemas import ErrorPublic

router = APIRouter(tags=["exports"])
MEDIA_TYPES = ("", "application/toml", "application/x-toml", "text/plain", "text/x-toml")
ERRORS = {404: {"model": ErrorPublic, "description": "An unknown run"},
          409: {"model": ErrorPublic, "description": "The run has not succeeded"}}


def with_codes(layout: Mapping, plans: set[str], mapping: list[str]) -> Mapping:
    """The layout with `?mapping=`'s earning codes (`PLAN=CODE` or a bare `CODE`) over its own."""
    codes = dict(layout.codes)
    for item in mapping:
        plan, sep, code = item.rpartition("=")
        code = code.strip()
        if not code or len(code) > 100 or any(ch in code for ch in "\r\n"):
            raise HTTPException(422, f"mapping {item!r}: give PLAN=CODE or CODE, a code of 1 to 100 characters")
        if not sep:
            codes = {"*": code}
        elif plan.strip() in plans:
            codes[plan.strip()] = code
        else:
            raise HTTPException(422, f"mapping {item!r}: the run has no plan {plan.strip()!r} "
                                     f"(its plans: {', '.join(sorted(plans)) or 'none'})")
    return replace(layout, codes=codes)


def succeeded(store, run_id: str, preset: str | None = None) -> RunRow:
    """The run, when it has succeeded: 404 for an unknown run (or preset), 409 for one that has not."""
    run = store.run(run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    if preset is not None and preset not in PRESETS:
        raise HTTPException(404, f"no export preset {preset!r}: {', '.join(PRESETS)}")
    if run.status != "succeeded":
        raise HTTPException(409, f"run {run_id} is {run.status}: exports come when it has succeeded")
    return run


def csv_file(text: str, run_id: str, layout: str) -> Response:
    name = re.sub(r"[^A-Za-z0-9_-]", "", run_id)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="run-{name}-{layout}.csv"'})


@router.get("/runs/{run_id}/exports/{preset}", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The import file"},
                       **ERRORS, 404: {"model": ErrorPublic, "description": "An unknown run or preset"},
                       422: {"model": ErrorPublic, "description": "A bad mapping, or adp without ?company="}})
def export(run_id: str, preset: Annotated[str, Path(description="generic, workday or adp")], request: Request,
           who: Payroll,
           zero: Annotated[bool, Query(description="Include rows paying nothing.")] = False,
           mapping: Annotated[list[str] | None, Query(description="Earning codes: PLAN=CODE (repeat) or CODE.")] = None,
           currency: Annotated[str | None, Query(pattern="^[A-Z]{3}$", description="Only this currency.")] = None,
           company: Annotated[str | None, Query(max_length=20, description="ADP: the Co Code.")] = None,
           batch: Annotated[str | None, Query(max_length=20, description="ADP: the Batch ID.")] = None) -> Response:
    """A payroll import file (CSV) of the run's payouts in a preset's layout: generic, workday or adp."""
    store = request.app.state.store
    succeeded(store, run_id, preset)
    extra = {}
    if preset == "adp":
        if not (company or "").strip():
            raise HTTPException(422, "the adp export needs ?company= (the ADP Co Code)")
        extra = {"company": company.strip(), "batch": (batch or "").strip() or run_id[:6].upper()}
    rows = store.payees(run_id)
    layout = replace(with_codes(PRESETS[preset], {r.plan for r in rows}, mapping or []), zero=zero, currency=currency)
    return csv_file(export_mapping.render(layout, run_id, rows, extra), run_id, preset)


@router.post("/runs/{run_id}/exports", response_class=Response, summary="A payroll export in a custom layout",
             description=export_mapping.__doc__,
             responses={200: {"content": {"text/csv": {}}, "description": "The import file"}, **ERRORS,
                        413: {"model": ErrorPublic, "description": "A mapping larger than 64 KiB"},
                        415: {"model": ErrorPublic, "description": "A body that is not TOML or plain text"},
                        422: {"model": ErrorPublic, "description": "A bad mapping: each problem names its key"}},
             openapi_extra={"requestBody": {"required": True, "content": {  # text/plain too: what the route
                 "application/toml": {"schema": {"type": "string"}},    # takes, and what a fuzzer can send
                 "text/plain": {"schema": {"type": "string"}}}}})
async def custom_export(run_id: str, request: Request, who: Payroll) -> Response:
    store = request.app.state.store
    await run_in_threadpool(succeeded, store, run_id)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise HTTPException(415, f"send the mapping as application/toml or text/plain, not {media[:100]}")
    content = await request.body()
    if len(content) > export_mapping.MAX_BYTES:
        raise HTTPException(413, f"a mapping is at most {export_mapping.MAX_BYTES:,} bytes")
    layout = export_mapping.load(content)
    rows = await run_in_threadpool(store.payees, run_id)
    return csv_file(export_mapping.render(layout, run_id, rows), run_id, "custom")
