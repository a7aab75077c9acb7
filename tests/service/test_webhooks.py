"""Webhooks end to end: a real server (uvicorn on loopback over a fresh SQLite file) with the webhooks router
and hook, a real receiver (http.server on 127.0.0.1) that records what it gets, and real runs of the demo data.
The app gets the router and the hook here unless `create_app` already mounts them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from incentives.service import webhooks
from incentives.service.app import create_app
from incentives.service.demo import load_demo
from incentives.service.routes import webhooks as webhook_routes
from incentives.service.store import Store, now

from .server import Server, free_port

ATTEMPTS = 4


class Receiver(ThreadingHTTPServer):
    """Records every POST (headers, exact body); answers the statuses of `answers` in turn, then 200."""

    daemon_threads = True

    def __init__(self, answers: list[int] | None = None, always: int | None = None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.answers, self.always = list(answers or []), always
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/incentives?source=test"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # http.server's name for it
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = self.server.always or (self.server.answers.pop(0) if self.server.answers else 200)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def receiving(**kw: Any) -> Iterator[Receiver]:
    receiver = Receiver(**kw)
    thread = threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        receiver.server_close()


@contextmanager
def serving(where: Path) -> Iterator[Server]:
    """`tests/service/server.running`, with the webhooks router and hook mounted when the app lacks them."""
    store = Store(where)
    token = store.create_token("admin", actor="test")
    store.close()
    app = create_app(where)
    if not any(getattr(r, "path", None) == "/webhooks" for r in app.routes):
        app.include_router(webhook_routes.router)
    if webhooks.make_hook not in getattr(app.state, "hooks", []):
        app.state.hooks = [*getattr(app.state, "hooks", []), webhooks.make_hook]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", token, where, {})
    finally:
        server.should_exit = True
        thread.join(30)
        for hook in app.state.worker.hooks:
            if isinstance(hook, webhooks.Dispatcher):
                hook.shutdown()


@pytest.fixture
def hooked(tmp_path, monkeypatch):
    monkeypatch.setattr(webhooks, "ATTEMPTS", ATTEMPTS)
    monkeypatch.setattr(webhooks, "BACKOFF", 0.02)
    monkeypatch.setattr(webhooks, "TIMEOUT", 5.0)
    with serving(tmp_path / "service.db") as s:
        store = s.store()
        s.ids = load_demo(store)  # type: ignore[attr-defined]
        store.close()
        yield s


def run(server: Server, c: httpx.Client) -> str:
    body = {"plans": [{"name": "Account Executive FY2027"}], "period": "2027-01", "datasets": server.ids}
    answer = c.post("/runs", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["id"]
    for _ in range(400):
        state = c.get(f"/runs/{run_id}").json()
        if state["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    assert state["status"] == "succeeded", state
    return run_id


def settled(c: httpx.Client, webhook_id: int, count: int = 1) -> list[dict[str, Any]]:
    """The webhook's deliveries once `count` of them are no longer pending."""
    deadline = time.monotonic() + 10
    while True:
        rows = c.get(f"/webhooks/{webhook_id}/deliveries").json()
        if len(rows) >= count and all(r["status"] != "pending" for r in rows):
            return rows
        assert time.monotonic() < deadline, rows
        time.sleep(0.03)


def add(c: httpx.Client, url: str, **kw: Any) -> dict[str, Any]:
    answer = c.post("/webhooks", json={"url": url, **kw})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_run_delivers_one_signed_event(hooked):
    with receiving() as receiver, hooked.client() as c:
        made = add(c, receiver.url)
        assert len(made["secret"]) >= 43 and made["url"] == receiver.url and made["active"]
        listed = c.get("/webhooks").json()
        assert [w["id"] for w in listed] == [made["id"]] and "secret" not in listed[0]
        assert any(a["action"] == "webhook.create" and a["target"] == f"webhook {made['id']}"
                   for a in c.get("/audit").json())
        run_id = run(hooked, c)
        [delivery] = settled(c, made["id"])
        assert delivery["status"] == "delivered" and delivery["attempts"] == 1 and delivery["delivered_at"]
        assert (delivery["event"], delivery["run_id"]) == ("run.succeeded", run_id)
        [(headers, body)] = receiver.requests
    assert webhooks.verify(made["secret"], body, headers["x-incentives-signature"])
    assert not webhooks.verify(made["secret"] + "x", body, headers["x-incentives-signature"])
    assert not webhooks.verify(made["secret"], body + b" ", headers["x-incentives-signature"])
    assert headers["content-type"] == "application/json"
    assert headers["x-incentives-event"] == "run.succeeded"
    assert headers["x-incentives-delivery"] == str(delivery["id"])
    event = json.loads(body)
    assert event["event"] == "run.succeeded" and event["sent_at"]
    assert event["run"]["id"] == run_id and event["run"]["status"] == "succeeded"
    assert event["run"]["periods"] == ["2027-01"] and event["run"]["finished_at"]
    assert [p["name"] for p in event["run"]["plans"]] == ["Account Executive FY2027"]


def test_a_receiver_that_fails_twice_gets_a_third_attempt(hooked):
    with receiving(answers=[500, 503]) as receiver, hooked.client() as c:
        made = add(c, receiver.url, secret="a-secret-the-receiver-chose")
        assert made["secret"] == "a-secret-the-receiver-chose"
        run(hooked, c)
        [delivery] = settled(c, made["id"])
        assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)
        assert "503" in delivery["last_error"]
        assert len(receiver.requests) == 3
    assert len({body for _, body in receiver.requests}) == 1  # the same bytes, so the same signature, each time
    assert {h["x-incentives-delivery"] for h, _ in receiver.requests} == {str(delivery["id"])}
    assert all(webhooks.verify(made["secret"], body, h["x-incentives-signature"]) for h, body in receiver.requests)


def test_a_receiver_that_always_fails_ends_failed(hooked):
    closed = f"http://127.0.0.1:{free_port()}/nobody-listens"
    with receiving(always=500) as receiver, hooked.client() as c:
        failing, refusing = add(c, receiver.url), add(c, closed)
        run(hooked, c)
        [answered] = settled(c, failing["id"])
        [unanswered] = settled(c, refusing["id"])
        assert len(receiver.requests) == ATTEMPTS
    assert (answered["status"], answered["attempts"], answered["delivered_at"]) == ("failed", ATTEMPTS, None)
    assert "HTTP 500" in answered["last_error"]
    assert (unanswered["status"], unanswered["attempts"]) == ("failed", ATTEMPTS)
    assert unanswered["last_error"]


def test_a_deactivated_webhook_gets_nothing(hooked):
    with receiving() as kept, receiving() as dropped, hooked.client() as c:
        active, inactive = add(c, kept.url), add(c, dropped.url)
        assert c.delete(f"/webhooks/{inactive['id']}").status_code == 204
        assert c.delete("/webhooks/999").status_code == 404
        assert {w["id"]: w["active"] for w in c.get("/webhooks").json()} == {active["id"]: True, inactive["id"]: False}
        assert any(a["action"] == "webhook.deactivate" and a["target"] == f"webhook {inactive['id']}"
                   for a in c.get("/audit").json())
        run(hooked, c)
        settled(c, active["id"])  # the deliveries of one run are recorded together: none is coming for the other
        assert c.get(f"/webhooks/{inactive['id']}/deliveries").json() == []
        assert len(kept.requests) == 1 and dropped.requests == []


def test_only_admins_and_only_http_urls(hooked):
    store = hooked.store()
    payroll = store.create_token("payroll", actor="test")
    store.close()
    with hooked.client(token=payroll) as c:
        assert c.post("/webhooks", json={"url": "http://127.0.0.1:9/x"}).status_code == 403
        assert c.get("/webhooks").status_code == 403
        assert c.delete("/webhooks/1").status_code == 403
        assert c.get("/webhooks/1/deliveries").status_code == 403
    with hooked.client(token="") as c:
        assert c.get("/webhooks").status_code == 401
    with hooked.client() as c:
        for url in ("ftp://example.com/x", "file:///etc/passwd", "not a url", "http://", "javascript:alert(1)",
                    "http://user:pw@example.com/", "http://example.com:99999/", "http://example.com/é"):
            answer = c.post("/webhooks", json={"url": url})
            assert answer.status_code == 422, (url, answer.text)
        assert c.post("/webhooks", json={"url": "https://example.com/x", "secret": "short"}).status_code == 422
        assert c.get("/webhooks").json() == []
        assert c.get("/webhooks/1/deliveries").status_code == 404


def test_a_failed_run_is_told_as_run_failed(tmp_path):
    store = Store(tmp_path / "service.db")
    dispatcher = webhooks.Dispatcher(store, attempts=1, threads=1)
    try:
        with receiving() as receiver:
            hook = webhooks.create_webhook(store, receiver.url, "test")
            run_, _ = store.create_run("k", {"plans": [], "periods": "2027-01..2027-02", "datasets": {}}, "test")
            assert dispatcher.fan_out(run_.id) == []  # still queued: nothing to tell
            store.update_run(run_.id, status="failed", finished_at=now())
            [delivery_id] = dispatcher.fan_out(run_.id)
            dispatcher.shutdown()
            [(headers, body)] = receiver.requests
        assert webhooks.verify(hook.secret, body, headers["x-incentives-signature"])
        event = json.loads(body)
        assert (event["event"], event["run"]["id"]) == ("run.failed", run_.id)
        assert event["run"]["periods"] == ["2027-01", "2027-02"]
        [row] = webhooks.deliveries(store, hook.id)
        assert (row.id, row.status, row.attempts) == (delivery_id, "delivered", 1)
    finally:
        dispatcher.shutdown()
        store.close()


def test_verify_refuses_what_it_did_not_sign():
    body = b'{"event":"run.succeeded"}'
    assert webhooks.verify("s", body, webhooks.sign("s", body))
    for header in (None, "", "sha256=", "sha256=00", webhooks.sign("t", body), "sha256=é", "md5=x"):
        assert not webhooks.verify("s", body, header)
