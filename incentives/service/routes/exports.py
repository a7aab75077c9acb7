"""`GET /runs/{id}/exports/{preset}`: a succeeded run's payouts as a payroll import file (CSV), one row per
person, plan and period: who, an earning code, the amount paid (exact decimal text at the currency's minor
unit), its currency and the period.  Admin or payroll only, like the payouts.

Presets and their columns, in order:
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
Lines end with CRLF (RFC 4180).  A custom column layout is not offered: the three presets are the layouts."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from incentives.time.ledger import from_minor

from ..auth import Payroll
from ..models import RunPayeeRow
from ..schemas import ErrorPublic

router = APIRouter(tags=["exports"])
PLAN_NAME = "{plan}"  # a preset's default earning code that stands for the plan's name


@dataclass(frozen=True)
class Preset:
    """A payroll layout: (header, field) pairs in column order, and the default earning code."""

    name: str
    columns: tuple[tuple[str, str], ...]
    code: str = "INC"


PRESETS = {p.name: p for p in (
    Preset("generic", (("employee_id", "employee_id"), ("earning_code", "earning_code"), ("amount", "amount"),
                       ("currency", "currency"), ("period_start", "period_start"), ("period_end", "period_end"))),
    Preset("workday", (("Employee_ID", "employee_id"), ("One_Time_Payment_Plan", "earning_code"),
                       ("Amount", "amount"), ("Currency", "currency"), ("Effective_Date", "period_end"),
                       ("Comment", "comment")), code=PLAN_NAME),
    Preset("adp", (("Co Code", "company"), ("Batch ID", "batch"), ("File #", "employee_id"),
                   ("Earnings Code", "earning_code"), ("Earnings Amount", "amount"), ("Currency", "currency"),
                   ("Pay Period End", "period_end"))),
)}


def codes(preset: Preset, plans: list[str], mapping: list[str]) -> dict[str, str]:
    """The earning code of each plan: the preset's default, then `mapping` (`PLAN=CODE` or a bare `CODE`)."""
    out = {plan: plan if preset.code == PLAN_NAME else preset.code for plan in plans}
    for item in mapping:
        plan, sep, code = item.rpartition("=")
        code = code.strip()
        if not code or len(code) > 100 or any(ch in code for ch in "\r\n"):
            raise HTTPException(422, f"mapping {item!r}: give PLAN=CODE or CODE, a code of 1 to 100 characters")
        if not sep:
            out = dict.fromkeys(out, code)
        elif plan.strip() in out:
            out[plan.strip()] = code
        else:
            raise HTTPException(422, f"mapping {item!r}: the run has no plan {plan.strip()!r} "
                                     f"(its plans: {', '.join(sorted(out)) or 'none'})")
    return out


def records(run_id: str, rows: list[RunPayeeRow], code_of: dict[str, str], extra: dict[str, str],
            zero: bool, currency: str | None) -> list[dict[str, Any]]:
    """Every row's fields, in period, person and plan order."""
    out = []
    for r in rows:
        if (not zero and r.paid_minor == 0) or (currency is not None and r.currency != currency):
            continue
        statement = json.loads(r.statement)
        out.append({"employee_id": r.payee, "earning_code": code_of[r.plan], "plan": r.plan,
                    "amount": format(from_minor(r.paid_minor, r.currency), "f"), "currency": r.currency,
                    "period": r.period, "period_start": statement["start"], "period_end": statement["end"],
                    "comment": f"{r.plan} {r.period} (run {run_id})", **extra})
    out.sort(key=lambda x: (x["period_start"], x["period_end"], x["employee_id"], x["plan"]))
    return out


@router.get("/runs/{run_id}/exports/{preset}", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The import file"},
                       404: {"model": ErrorPublic, "description": "An unknown run or preset"},
                       409: {"model": ErrorPublic, "description": "The run has not succeeded"},
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
    run = store.run(run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    layout = PRESETS.get(preset)
    if layout is None:
        raise HTTPException(404, f"no export preset {preset!r}: {', '.join(PRESETS)}")
    if run.status != "succeeded":
        raise HTTPException(409, f"run {run_id} is {run.status}: exports come when it has succeeded")
    extra = {}
    if layout.name == "adp":
        if not (company or "").strip():
            raise HTTPException(422, "the adp export needs ?company= (the ADP Co Code)")
        extra = {"company": company.strip(), "batch": (batch or "").strip() or run_id[:6].upper()}
    rows = store.payees(run_id)
    code_of = codes(layout, sorted({r.plan for r in rows}), mapping or [])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([header for header, _ in layout.columns])
    for rec in records(run_id, rows, code_of, extra, zero, currency):
        writer.writerow([rec[field] for _, field in layout.columns])
    name = re.sub(r"[^A-Za-z0-9_-]", "", run_id)
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="run-{name}-{layout.name}.csv"'})
