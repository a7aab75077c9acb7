"""`POST /webhooks`, `GET /webhooks`, `DELETE /webhooks/{id}` (deactivates), `GET /webhooks/{id}/deliveries`;
admin only.  The request and response models of webhooks live here; the store's side, the signing and the
sending are `incentives.service.webhooks`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path as FPath
from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import webhooks as hooks
from ..auth import Admin
from ..schemas import MAX_ID, ErrorPublic

router = APIRouter(tags=["webhooks"])


class WebhookCreate(BaseModel):
    url: str = Field(description="Where events are POSTed: http:// or https://.", max_length=hooks.MAX_URL)
    secret: str | None = Field(None, min_length=16, max_length=128,
                               description="The HMAC key of `X-Incentives-Signature`; generated when not given.")


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    url: str
    active: bool
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="Shown only now: keep it to check the signatures.")


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    webhook_id: int
    event: str
    run_id: str
    status: str = Field(description="pending, delivered, or failed (after the last attempt).")
    attempts: int
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


@router.post("/webhooks", status_code=201, response_model=WebhookCreated,
             responses={422: {"model": ErrorPublic, "description": "Not an http(s) URL"}})
def create_webhook(body: WebhookCreate, request: Request, who: Admin) -> WebhookCreated:
    """Tell `url` when a run ends (`run.succeeded`, `run.failed`), signed with the secret, which only this
    answer shows."""
    problem = hooks.url_problem(body.url)
    if problem:
        raise HTTPException(422, problem)
    row = hooks.create_webhook(request.app.state.store, body.url, who.name, body.secret)
    return WebhookCreated(id=row.id, url=row.url, active=row.active, created_at=row.created_at, secret=row.secret)


@router.get("/webhooks", response_model=list[WebhookPublic])
def list_webhooks(request: Request, who: Admin) -> list[WebhookPublic]:
    """Every webhook, active or not (never their secrets)."""
    return [WebhookPublic.model_validate(r) for r in hooks.webhooks(request.app.state.store)]


@router.delete("/webhooks/{webhook_id}", status_code=204, responses={404: {"model": ErrorPublic}})
def deactivate_webhook(webhook_id: Annotated[int, FPath(ge=1, le=MAX_ID)], request: Request, who: Admin) -> Response:
    """Send the webhook nothing more (its deliveries are kept)."""
    if hooks.deactivate(request.app.state.store, webhook_id, who.name) is None:
        raise HTTPException(404, f"no webhook {webhook_id}")
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryPublic],
            responses={404: {"model": ErrorPublic}})
def list_deliveries(webhook_id: Annotated[int, FPath(ge=1, le=MAX_ID)], request: Request, who: Admin,
                    limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> list[DeliveryPublic]:
    """The webhook's deliveries, newest first, with their attempts and last error."""
    store = request.app.state.store
    if hooks.webhook(store, webhook_id) is None:
        raise HTTPException(404, f"no webhook {webhook_id}")
    return [DeliveryPublic.model_validate(r) for r in hooks.deliveries(store, webhook_id, limit)]
