"""`GET /audit`: every write, newest first (who, when, what, before and after hashes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ..auth import Admin
from ..schemas import AuditPublic

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditPublic])
def audit(request: Request, who: Admin, limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> list[AuditPublic]:
    return [AuditPublic.model_validate(r) for r in request.app.state.store.audit(limit)]
