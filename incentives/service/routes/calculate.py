"""`POST /calculate`: one payee evaluated at once against a stored plan, with the breakdown."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request

from incentives.explain.build import explain
from incentives.explain.render import RENDERERS
from incentives.errors import DataError, Problem
from incentives.plan import compile_text

from ..auth import Payroll
from ..schemas import CalculateRequest, CalculateResponse, ErrorPublic

router = APIRouter(tags=["calculate"])
_CACHE: dict[str, object] = {}


@router.post("/calculate", response_model=CalculateResponse, responses={404: {"model": ErrorPublic},
                                                                        422: {"model": ErrorPublic}})
def calculate(body: CalculateRequest, request: Request, who: Payroll) -> CalculateResponse:
    row = request.app.state.store.plan_version(body.plan, body.hash)
    if row is None:
        raise HTTPException(404, f"no plan {body.plan!r}")
    plan = _CACHE.get(row.hash)
    if plan is None:
        plan = _CACHE.setdefault(row.hash, compile_text(row.text, f"{row.name} v{row.version}.plan"))
    missing = [m.name for m in plan.ir.measures if m.name not in body.values]
    if missing:  # a measure is worked out over people and deals: one payee alone must be given it
        raise DataError([Problem(f"input {name}: a measure taken over people or deals: give its value (one "
                                 f"payee is evaluated alone here; run a period for the population)",
                                 code="data", field=name, payee=body.payee) for name in missing])
    result = plan.run(body.values, payee=body.payee, period=body.period, trace=True, alone=True)
    breakdown = json.loads(RENDERERS["json"](explain(plan, result)))
    return CalculateResponse(payee=body.payee, plan=row.name, hash=row.hash, total=format(result.total, "f"),
                             breakdown=breakdown)
