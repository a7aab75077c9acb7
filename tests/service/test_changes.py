""""Why did my pay change" (`GET /runs/{id}/statements/{person}/changes`) on a real server with the demo
data: R-01's February against January (in the same run and from an earlier run), February against the
previous run after a deal changed, the HTML page, nothing to compare (404), and who may see it."""

from __future__ import annotations

import csv
import io
import time

import pytest

from incentives.service.demo import DATA, ROOT, load_demo

from .server import running as serving

PLAN = "Account Executive FY2027"


def start(c, datasets: dict[str, int], key: str, periods: str = "2027-01..2027-02") -> str:
    """Run the demo plan; the run's id once it has succeeded."""
    body = {"plans": [{"name": PLAN}], "datasets": datasets,
            **({"periods": periods} if ".." in periods else {"period": periods})}
    response = c.post("/runs", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    for _ in range(600):
        state = c.get(f"/runs/{run_id}").json()
        if state["status"] in ("succeeded", "failed"):
            assert state["status"] == "succeeded", state["problems"]
            return run_id
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


@pytest.fixture
def demo(tmp_path):
    """The server, the demo datasets' ids, and the demo run of 2027-01..2027-02."""
    with serving(tmp_path / "service.db") as server:
        store = server.store()
        ids = load_demo(store)
        store.close()
        with server.client() as c:
            yield server, ids, start(c, ids, "changes-demo")


def lines(plan: dict) -> dict[str, dict]:
    return {x["name"]: x for x in plan["lines"]}


def test_february_against_january(demo):
    server, _, run_id = demo
    with server.client() as c:
        response = c.get(f"/runs/{run_id}/statements/R-01/changes", params={"against": "previous-period"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["person"], data["name"], data["against"], data["not_compared"]) == (
        "R-01", "Ada Lovelace", "previous-period", [])
    [plan] = data["plans"]
    assert (plan["plan"], plan["period"], plan["against"]) == (PLAN, "2027-02", {"run": run_id, "period": "2027-01",
                                                                                  "currency": "USD"})
    by = lines(plan)
    assert by["commission"] == {"kind": "earned", "name": "commission", "before": "2750.00", "after": "3000.00",
                                "difference": "250.00", "changed": True,
                                "sentence": "commission: 2,750.00 -> 3,000.00 (+250.00)"}
    assert by["paid"]["sentence"] == "paid: 2,750.00 -> 3,000.00 (+250.00)"
    assert by["paid"]["difference"] == "250.00" and by["paid"]["kind"] == "settlement"
    assert by["quota"] == {"kind": "value", "name": "quota", "before": "60000", "after": "60000", "difference": "0",
                           "changed": False, "sentence": "quota: 60,000 -> 60,000 (no change)"}
    assert by["closing"]["sentence"] == "closing balance: 0.00 -> 0.00 (no change)"
    assert {"adjustments", "clawbacks", "draw", "advanced", "recovered"} <= set(by)
    assert plan["changes"] == ["commission: 2,750.00 -> 3,000.00 (+250.00)", "paid: 2,750.00 -> 3,000.00 (+250.00)"]
    deals = {d["name"]: d["sentence"] for d in plan["deals"]}
    assert deals["A-103"] == "deal A-103: 0.00 -> 3,000.00 (+3,000.00)"
    assert deals["A-101"] == "deal A-101: 1,500.00 -> 0.00 (-1,500.00)"


def test_html_page(demo):
    server, _, run_id = demo
    with server.client() as c:
        response = c.get(f"/runs/{run_id}/statements/R-01/changes", params={"format": "html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "commission: 2,750.00 -&gt; 3,000.00 (+250.00)" in response.text
    assert "Ada Lovelace (R-01)" in response.text and "<table>" in response.text


def test_previous_period_from_an_earlier_run_and_nothing_to_compare(demo):
    server, ids, run_id = demo
    with server.client() as c:
        february = start(c, ids, "changes-february", "2027-02")  # January is only in the first run
        data = c.get(f"/runs/{february}/statements/R-01/changes").json()
        assert data["plans"][0]["against"] == {"run": run_id, "period": "2027-01", "currency": "USD"}
        assert lines(data["plans"][0])["commission"]["difference"] == "250.00"
        same = c.get(f"/runs/{february}/statements/R-01/changes", params={"against": "previous-run"}).json()
        assert same["plans"][0]["against"]["run"] == run_id and same["plans"][0]["changes"] == []
        # the first run has no run before it; R-04 joined on 15 February: no January anywhere
        first = c.get(f"/runs/{run_id}/statements/R-01/changes", params={"against": "previous-run"})
        assert first.status_code == 404
        assert "nothing to compare" in first.json()["detail"] and "2027-02" in first.json()["detail"]
        joiner = c.get(f"/runs/{february}/statements/R-04/changes", params={"against": "previous-period"})
        assert joiner.status_code == 404, joiner.text
        assert joiner.json()["detail"] == (f"nothing to compare R-04's statement in run {february} against "
                                           f"(previous-period): no statement of R-04 for {PLAN}, 2027-01 in this "
                                           f"run or an earlier succeeded run")
        assert c.get(f"/runs/{run_id}/statements/R-01/changes", params={"against": "yesterday"}).status_code == 422


def test_previous_run_after_a_deal_changed(demo):
    """A-103 (February, R-01) grows from 60,000 to 70,000: 10,000 above the 60,000 quota at 12%."""
    server, ids, run_id = demo
    text = (ROOT / "plans" / "data" / DATA["deals"]).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    rows = [{**r, "amount": "70000.00"} if r["id"] == "A-103" else r for r in reader]
    out = io.StringIO()
    writer = csv.DictWriter(out, reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with server.client() as c:
        deals = c.post("/datasets/deals", params={"name": "deals-a103"}, content=out.getvalue().encode())
        assert deals.status_code == 201, deals.text
        second = start(c, {**ids, "deals": deals.json()["id"]}, "changes-second")
        data = c.get(f"/runs/{second}/statements/R-01/changes", params={"against": "previous-run"}).json()
    [plan] = data["plans"]
    assert plan["period"] == "2027-02" and plan["against"] == {"run": run_id, "period": "2027-02", "currency": "USD"}
    assert plan["changes"] == ["commission: 3,000.00 -> 4,200.00 (+1,200.00)",
                               "paid: 3,000.00 -> 4,200.00 (+1,200.00)"]
    assert lines(plan)["paid"]["difference"] == "1200.00"
    assert [d["sentence"] for d in plan["deals"]] == ["deal A-103: 3,000.00 -> 4,200.00 (+1,200.00)"]


def test_who_may_see_it(demo):
    server, _, run_id = demo
    store = server.store()
    r01, r02 = store.create_token("rep", "R-01", actor="test"), store.create_token("rep", "R-02", actor="test")
    manager, payroll = store.create_token("manager", "M-01", actor="test"), store.create_token("payroll", actor="test")
    store.close()
    url = f"/runs/{run_id}/statements/R-01/changes"
    with server.client(r02) as c:
        refused = c.get(url)
        assert refused.status_code == 404 and refused.json()["detail"] == f"no statement for 'R-01' in run {run_id}"
        assert c.get(url, params={"format": "html"}).status_code == 404
        assert c.get(f"/runs/{run_id}/statements/R-02/changes").status_code == 200
    for token in (r01, manager, payroll):
        with server.client(token) as c:
            assert c.get(url).status_code == 200
    with server.client(token="") as c:
        assert c.get(url).status_code == 401
    with server.client() as c:
        assert c.get("/runs/no-such-run/statements/R-01/changes").status_code == 404
        assert c.get(f"/runs/{run_id}/statements/R-99/changes").status_code == 404
