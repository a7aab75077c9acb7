"""`POST /plans` (checked on upload, stored as an immutable version), `GET /plans`, `GET /plans/{name}/versions`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from incentives.plan import compile_text

from ..auth import Admin, AnyActor
from ..schemas import ErrorPublic, PlanCreate, PlanPublic

router = APIRouter(tags=["plans"])


@router.post("/plans", status_code=201, response_model=PlanPublic,
             responses={200: {"model": PlanPublic, "description": "The same text: the version it already is"},
                        422: {"model": ErrorPublic, "description": "The plan has errors (located diagnostics)"}})
def upload_plan(body: PlanCreate, request: Request, response: Response, who: Admin) -> PlanPublic:
    """Check the plan and store it as a new version (the same text again is the version it is)."""
    plan = compile_text(body.text, body.file)  # PlanError: 422 with every located diagnostic
    start, end = plan.ir.effective or (None, None)
    row, created = request.app.state.store.add_plan(
        {"name": plan.name, "hash": plan.hash, "text": body.text, "currency": plan.ir.currency,
         "period": plan.ir.period, "effective_start": start, "effective_end": end}, who.name)
    if not created:
        response.status_code = 200
    return PlanPublic.model_validate(row)


@router.get("/plans", response_model=list[PlanPublic])
def list_plans(request: Request, who: AnyActor) -> list[PlanPublic]:
    """The latest version of every plan."""
    latest: dict[str, PlanPublic] = {}
    for row in request.app.state.store.plan_versions():
        latest[row.name] = PlanPublic.model_validate(row)
    return list(latest.values())


@router.get("/plans/{name}/versions", response_model=list[PlanPublic], responses={404: {"model": ErrorPublic}})
def plan_versions(name: str, request: Request, who: AnyActor) -> list[PlanPublic]:
    rows = request.app.state.store.plan_versions(name)
    if not rows:
        raise HTTPException(404, f"no plan named {name!r}")
    return [PlanPublic.model_validate(r) for r in rows]
