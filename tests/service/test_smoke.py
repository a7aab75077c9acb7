"""The server starts, answers, refuses a request without a token, and runs the demo data end to end."""

from __future__ import annotations

import time

from incentives.service.demo import load_demo


def test_a_period_run_end_to_end(backend_server):
    store = backend_server.store()
    ids = load_demo(store)
    store.close()
    with backend_server.client(token="") as anonymous:
        assert anonymous.get("/plans").status_code == 401
    with backend_server.client() as c:
        body = {"plans": [{"name": "Account Executive FY2027"}], "periods": "2027-01..2027-02", "datasets": ids}
        first = c.post("/runs", json=body, headers={"Idempotency-Key": "smoke-1"})
        assert first.status_code == 202, first.text
        run_id = first.json()["id"]
        for _ in range(300):
            state = c.get(f"/runs/{run_id}").json()
            if state["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.05)
        assert state["status"] == "succeeded", state
        payouts = {(p["period"], p["payee"]): p for p in c.get(f"/runs/{run_id}/payouts").json()}
        assert payouts[("2027-01", "R-01")]["paid"] == "2750.00"
        assert payouts[("2027-02", "R-01")]["paid"] == "3000.00"
        assert c.post("/runs", json=body, headers={"Idempotency-Key": "smoke-1"}).json()["id"] == run_id
