"""What a rep sees in a real browser: headless Debian chromium opens a statement page served by the real
server, with the rep's token, over the Chrome DevTools Protocol (`--remote-debugging-port` and a small
websocket client; no browser automation framework, no downloaded browser).

Skipped, with the reason, only when chromium cannot be found or started (Debian: `apt-get install chromium`;
`.ci/run` installs it).  The websocket client is `websocket-client` (the `test` extra)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from incentives.service.demo import load_demo

STARTUP_SECONDS = 20  # for chromium to open its DevTools port
STEP_SECONDS = 15  # for one command or page load
FLAGS = ("--headless=new", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-proxy-server", "--mute-audio",
         "--hide-scrollbars", "--window-size=1280,900", "--remote-debugging-port=0")


class Tab:
    """One browser tab driven over the DevTools Protocol: commands and their answers, and the events that
    arrive in between (kept in `events` until the next navigation)."""

    def __init__(self, ws_url: str):
        import websocket  # websocket-client

        self._closed = websocket.WebSocketConnectionClosedException
        self._timeout = websocket.WebSocketTimeoutException
        # No Origin header: chromium refuses DevTools connections from origins it was not told to allow.
        self.ws = websocket.create_connection(ws_url, timeout=STEP_SECONDS, suppress_origin=True)
        self.last_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        self.ws.close()

    def _receive(self, deadline: float) -> dict[str, Any]:
        self.ws.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            return json.loads(self.ws.recv())
        except self._timeout:
            raise TimeoutError("chromium did not answer in time") from None
        except self._closed:
            raise RuntimeError("chromium closed the DevTools connection") from None

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its answer (events that come first are kept)."""
        self.last_id += 1
        self.ws.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        deadline = time.monotonic() + STEP_SECONDS
        while True:
            message = self._receive(deadline)
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        deadline = time.monotonic() + STEP_SECONDS
        while not any(e["method"] == event for e in self.events):
            message = self._receive(deadline)
            if "method" in message:
                self.events.append(message)
        return next(e for e in self.events if e["method"] == event)

    def open(self, url: str) -> tuple[int, str]:
        """Navigate and wait for the load event: the document's HTTP status and the page's visible text
        (`document.body.innerText`: what is rendered, not what is hidden in the markup)."""
        self.events.clear()
        answer = self.send("Page.navigate", url=url)
        if answer.get("errorText"):
            raise AssertionError(f"chromium could not open {url}: {answer['errorText']}")
        self.wait_for("Page.loadEventFired")
        documents = [e["params"]["response"] for e in self.events
                     if e["method"] == "Network.responseReceived" and e["params"].get("type") == "Document"]
        assert documents, f"no document response seen for {url}"
        return documents[-1]["status"], self.evaluate("document.body.innerText")

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise AssertionError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def screenshot(self) -> bytes:
        return base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])


def devtools_port(profile: Path, process: subprocess.Popen, deadline: float) -> int | None:
    """The port chromium chose (it writes it to DevToolsActivePort in its profile), or None if it exited
    or took too long."""
    marker = profile / "DevToolsActivePort"
    while time.monotonic() < deadline and process.poll() is None:
        try:
            first = marker.read_text().splitlines()[0]
        except (OSError, IndexError):
            first = ""
        if first.isdigit():
            return int(first)
        time.sleep(0.05)
    return None


def stop(process: subprocess.Popen) -> None:
    """End the chromium we started and its helpers (its own process group)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def tab(tmp_path: Path) -> Iterator[Tab]:
    """A tab of a fresh headless chromium (its own throwaway profile), closed after the test."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium not found on PATH (Debian: apt-get install chromium)")
    try:
        import websocket  # noqa: F401
    except ImportError:
        pytest.fail("websocket-client is not installed: pip install -e '.[test]'")
    profile, log = tmp_path / "chromium-profile", tmp_path / "chromium.log"
    with log.open("wb") as out:
        process = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    try:
        port = devtools_port(profile, process, time.monotonic() + STARTUP_SECONDS)
        if port is None:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            pytest.skip(f"chromium ({executable}) did not start (exit {process.poll()}): " + " | ".join(tail))
        with httpx.Client(trust_env=False, timeout=STEP_SECONDS) as http:
            targets = http.get(f"http://127.0.0.1:{port}/json/list").json()
        page = Tab(next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"))
        try:
            yield page
        finally:
            page.close()
    finally:
        stop(process)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_distinct_bytes(data: bytes) -> int:
    """How many different byte values the decompressed image data holds: 2 or 3 for a blank page (one
    colour and the row filters), many more once text is drawn (anti-aliased edges)."""
    at, idat = 8, b""
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    return len(set(zlib.decompress(idat)))


def finished_run(client: httpx.Client, body: dict[str, Any], key: str) -> str:
    created = client.post("/runs", json=body, headers={"Idempotency-Key": key})
    assert created.status_code == 202, created.text
    run_id = created.json()["id"]
    deadline = time.monotonic() + 20
    while (state := client.get(f"/runs/{run_id}").json())["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"run {run_id} still {state['status']} after 20 s"
        time.sleep(0.05)
    assert state["status"] == "succeeded", state
    return run_id


def test_a_rep_sees_their_statement_in_a_browser_and_only_theirs(server, tab):
    store = server.store()
    try:
        ids = load_demo(store)
        rep_token = store.create_token("rep", "R-01")
    finally:
        store.close()
    body = {"plans": [{"name": "Account Executive FY2027"}], "period": "2027-01", "datasets": ids}
    with server.client() as admin:
        run_id = finished_run(admin, body, "browser-2027-01")
        payouts = {p["payee"]: p for p in admin.get(f"/runs/{run_id}/payouts").json()}
    theirs = payouts["R-02"]
    assert theirs["name"] == "Alan Turing"

    tab.send("Network.enable")
    tab.send("Page.enable")
    tab.send("Network.setExtraHTTPHeaders", headers={"Authorization": f"Bearer {rep_token}"})

    status, text = tab.open(f"{server.url}/runs/{run_id}/statements/R-01?format=html")
    assert status == 200, text
    assert "Ada Lovelace (R-01)" in text
    assert "Account Executive FY2027, 2027-01" in text
    # The summary table shows amounts as the breakdown does ("2,750.00 USD"); the line-by-line breakdown
    # is inside a closed <details>, so its lines are not visible until the rep opens it.
    assert re.search(r"commission\s+2,750\.00 USD", text), text
    assert re.search(r"paid this period\s+2,750\.00 USD", text), text
    assert "Total payout" not in text
    tab.evaluate("document.querySelector('details').open = true")
    assert "Total payout: 2,750.00 USD" in tab.evaluate("document.body.innerText")

    shot = tab.screenshot()
    width, height = png_size(shot)
    assert width > 0 and height > 0
    assert png_distinct_bytes(shot) > 8, "the screenshot looks blank"

    status, text = tab.open(f"{server.url}/runs/{run_id}/statements/R-02?format=html")
    assert status == 404, text
    assert "no statement for 'R-02'" in text
    for secret in (theirs["name"], "Alan", "Turing", theirs["earned"], theirs["paid"], "2,000.00", "USD"):
        assert secret not in text, f"a rep's 404 page shows {secret!r}: {text}"
