"""Webhooks: who is told when a run ends, and the telling.

What this module owns:
  - the webhooks (`svc_webhooks`): adding one (its secret generated when not given), listing them,
    deactivating one; each write is one transaction with its audit row (`Store.write`);
  - the deliveries (`svc_deliveries`): one row per event and active webhook, `pending`, then
    `delivered`, or `failed` after the last attempt, with the attempts made and the last error;
  - signing (`sign`) and checking (`verify`) the `X-Incentives-Signature` header;
  - `Dispatcher`, the run worker's hook (`make_hook(store)`): when a run ends it records a delivery
    per active webhook and sends each from its own small thread pool (never the event loop's nor the
    run worker's threads), retrying connection errors and non-2xx answers with exponential back-off.

What a receiver gets: `POST <url>` with the JSON body
`{"event": "run.succeeded" | "run.failed", "run": {"id", "status", "periods", "plans", "finished_at"},
"sent_at"}` and the headers `Content-Type: application/json`, `X-Incentives-Event: <event>`,
`X-Incentives-Delivery: <delivery id>` (the same on every attempt: deliveries are at least once, so
a receiver drops ids it has seen) and `X-Incentives-Signature: sha256=<hex HMAC-SHA256 of the exact
body bytes, keyed with the webhook's secret>`.  It checks the signature on the raw bytes, before
parsing them:

    from incentives.service.webhooks import verify
    if not verify(SECRET, raw_body, headers.get("X-Incentives-Signature")):
        return 401

Redirects are not followed (a 3xx is a failed attempt).  Settings (read when a `Dispatcher` is made):
`ATTEMPTS`, `BACKOFF` (seconds before the 2nd attempt, doubled before each next one), `TIMEOUT` (per
attempt), `THREADS`.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from incentives.engine.calendar import parse_periods

from .models import DeliveryRow, RunRow, WebhookRow
from .store import Store, now

ATTEMPTS = 5
BACKOFF = 0.2
TIMEOUT = 10.0
THREADS = 4
MAX_URL = 2000
SIGNATURE, EVENT, DELIVERY = "X-Incentives-Signature", "X-Incentives-Event", "X-Incentives-Delivery"
EVENTS = {"succeeded": "run.succeeded", "failed": "run.failed"}

log = logging.getLogger(__name__)


# ---- signatures ----
def sign(secret: str, body: bytes) -> str:
    """The `X-Incentives-Signature` value for `body`: `sha256=` and the hex HMAC-SHA256 keyed with `secret`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """For receivers: whether `header` (the `X-Incentives-Signature` value received) signs `body` (the
    exact bytes received, before any JSON parsing) with `secret`.  Compared in constant time."""
    if not header:
        return False
    expected = sign(secret, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))


# ---- webhooks and deliveries in the store ----
def url_problem(url: str) -> str | None:
    """Why `url` may not be a webhook's address (None when it may): http or https, a host, no credentials."""
    if len(url) > MAX_URL or not url.isascii() or any(c.isspace() or ord(c) < 32 for c in url):
        return f"a webhook's URL is at most {MAX_URL} ASCII characters (percent-encode the others), without spaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as e:
        return f"not a URL: {e}"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "a webhook's URL is http:// or https:// with a host"
    if parts.username is not None or parts.password is not None:
        return "put no credentials in a webhook's URL: receivers check the signature"
    return None


def create_webhook(store: Store, url: str, actor: str, secret: str | None = None) -> WebhookRow:
    """A new active webhook; its secret is `secrets.token_urlsafe(32)` when not given."""
    secret = secret or secrets.token_urlsafe(32)
    parts = urlsplit(url)
    with store.write(actor, "webhook.create", "webhook", detail=f"{parts.scheme}://{parts.netloc}{parts.path}") as s:
        row = WebhookRow(url=url, secret=secret, created_at=now(), active=True)
        s.add(row)
        s.flush()
        s.info["audit"]["target"] = f"webhook {row.id}"
    return row


def webhook(store: Store, id_: int) -> WebhookRow | None:
    with store.read() as s:
        return s.get(WebhookRow, id_)


def webhooks(store: Store, active: bool | None = None) -> list[WebhookRow]:
    with store.read() as s:
        stmt = select(WebhookRow).order_by(WebhookRow.id)
        if active is not None:
            stmt = stmt.where(WebhookRow.active == active)
        return list(s.scalars(stmt))


def deactivate(store: Store, id_: int, actor: str) -> WebhookRow | None:
    """The webhook, no longer sent anything (None when there is no such webhook)."""
    if webhook(store, id_) is None:
        return None
    with store.write(actor, "webhook.deactivate", f"webhook {id_}") as s:
        row = s.get(WebhookRow, id_)
        row.active = False
    return row


def deliveries(store: Store, webhook_id: int, limit: int = 200) -> list[DeliveryRow]:
    """A webhook's deliveries, newest first."""
    with store.read() as s:
        return list(s.scalars(select(DeliveryRow).where(DeliveryRow.webhook_id == webhook_id)
                              .order_by(DeliveryRow.id.desc()).limit(limit)))


# ---- sending ----
def payload(event: str, run: RunRow) -> bytes:
    """The body sent for `event` about `run`: compact JSON, UTF-8 (signed as these exact bytes)."""
    request = json.loads(run.request)
    try:
        periods = [p.label for p in parse_periods(request["periods"])]
    except ValueError:
        periods = [request["periods"]]
    body = {"event": event,
            "run": {"id": run.id, "status": run.status, "periods": periods, "plans": request["plans"],
                    "finished_at": run.finished_at.isoformat() if run.finished_at else None},
            "sent_at": now().isoformat()}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """One attempt: None when the receiver answered 2xx, else what went wrong."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = http.client.HTTPSConnection if parts.scheme.lower() == "https" else http.client.HTTPConnection
    try:
        connection = kind(parts.hostname, parts.port, timeout=timeout)
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(65536)
            status, reason = response.status, response.reason
        finally:
            connection.close()
    except (OSError, http.client.HTTPException, ValueError) as e:
        return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return None if 200 <= status < 300 else f"HTTP {status} {reason}".strip()


class Dispatcher:
    """The run worker's hook: `dispatcher(run_id)` returns at once; the deliveries happen in its pool."""

    def __init__(self, store: Store, attempts: int | None = None, backoff: float | None = None,
                 timeout: float | None = None, threads: int | None = None):
        self.store = store
        self.attempts = max(1, ATTEMPTS if attempts is None else attempts)
        self.backoff = BACKOFF if backoff is None else backoff
        self.timeout = TIMEOUT if timeout is None else timeout
        self.pool = ThreadPoolExecutor(max_workers=THREADS if threads is None else threads,
                                       thread_name_prefix="incentives-webhook")
        self.stopping = threading.Event()

    def __call__(self, run_id: str) -> None:
        self.pool.submit(self._guarded, self.fan_out, run_id)

    def shutdown(self, wait: bool = True) -> None:
        """No more back-off waits (a delivery still to retry is marked failed); waits for attempts under way."""
        self.stopping.set()
        self.pool.shutdown(wait=wait)

    def fan_out(self, run_id: str) -> list[int]:
        """One pending delivery per active webhook for the run's end, each then sent in the pool; their ids."""
        run = self.store.run(run_id)
        if run is None or run.status not in EVENTS:
            return []
        event = EVENTS[run.status]
        hooks = webhooks(self.store, active=True)
        if not hooks:
            return []
        with Session(self.store.engine.execution_options(ledger_write=True), expire_on_commit=False) as s, s.begin():
            rows = [DeliveryRow(webhook_id=h.id, event=event, run_id=run_id, status="pending", attempts=0,
                                last_error="", created_at=now()) for h in hooks]
            s.add_all(rows)
        for hook, row in zip(hooks, rows):
            try:
                self.pool.submit(self._guarded, self.deliver, row.id, hook.url, hook.secret, event, payload(event, run))
            except RuntimeError:  # the pool was shut down meanwhile: say so rather than stay pending
                self._record(row.id, 0, "the server stopped before sending it", True)
        return [r.id for r in rows]

    def deliver(self, delivery_id: int, url: str, secret: str, event: str, body: bytes) -> None:
        """Send one delivery (the same bytes every attempt) until it is answered 2xx or the attempts run out."""
        headers = {"Content-Type": "application/json", "User-Agent": "incentives-webhooks/1", EVENT: event,
                   DELIVERY: str(delivery_id), SIGNATURE: sign(secret, body)}
        for attempt in range(1, self.attempts + 1):
            error = post(url, body, headers, self.timeout)
            last = error is None or attempt == self.attempts
            self._record(delivery_id, attempt, error, last)
            if last:
                return
            if self.stopping.wait(self.backoff * 2 ** (attempt - 1)):
                self._record(delivery_id, attempt, f"{error} (the server stopped before attempt {attempt + 1})", True)
                return

    def _record(self, delivery_id: int, attempt: int, error: str | None, last: bool) -> None:
        with Session(self.store.engine.execution_options(ledger_write=True)) as s, s.begin():
            row = s.get(DeliveryRow, delivery_id)
            row.attempts = attempt
            if error is None:
                row.status, row.delivered_at = "delivered", now()
            else:
                row.last_error = error[:2000]
                row.status = "failed" if last else "pending"

    @staticmethod
    def _guarded(fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a pool task's error would vanish in its future: log it
            log.exception("webhook task %s failed", getattr(fn, "__name__", fn))


def make_hook(store: Store) -> Dispatcher:
    """For `app.state.hooks`: the app's lifespan calls it with the store; the worker calls the result with a
    run id when the run ends."""
    return Dispatcher(store)
