"""The payroll service's routes over HTTP, against a real server (SQLite and PostgreSQL through
`backend_server`): plans, datasets, runs and their payouts, statements and who may read them,
calculate, periods (finalize, adjustments, reopen), the audit log and the OpenAPI contract.

Known bugs are tests marked `xfail(strict=True, reason="BUG: ...")`: they pass (and so fail the
suite) once the service is fixed, and the mark is then removed."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from incentives.service.demo import load_demo

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "plans" / "data"
PLAN_TEXT = (ROOT / "plans" / "fy2027_ae.plan").read_text(encoding="utf-8")
PLAN = "Account Executive FY2027"
FILES = {"people": "fy2027_ae.csv", "deals": "fy2027_ae.deals.csv", "assignments": "fy2027_ae.assignments.csv",
         "quotas": "fy2027_ae.quotas.csv", "rates": "fy2027_ae.rates.csv"}
HOLIDAYS = b"date,name\n2027-01-01,New Year's Day\n2027-05-31,Memorial Day\n2027-07-05,Independence Day (observed)\n"
CALC_PLAN = 'plan "Calc" { currency USD period month }\ninput sales: money\ncomponent c { pay 10% of sales }\n'
PERSON_NAMES = {"R-01": "Ada Lovelace", "R-02": "Alan Turing", "R-03": "Marie Curie", "R-04": "Katherine Johnson",
                "R-05": "Edsger Dijkstra", "R-06": "Barbara Liskov"}


# ---- helpers (also used by test_reliability.py) ----

def upload_demo(c: httpx.Client) -> dict[str, int]:
    """The demo plan and its five datasets uploaded through the API; the datasets' ids by kind."""
    r = c.post("/plans", json={"text": PLAN_TEXT, "file": "fy2027_ae.plan"})
    assert r.status_code in (200, 201), r.text
    ids = {}
    for kind, name in FILES.items():
        r = c.post(f"/datasets/{kind}", params={"format": "csv", "name": name}, content=(DATA / name).read_bytes())
        assert r.status_code == 201, r.text
        ids[kind] = r.json()["id"]
    return ids


def demo(server) -> dict[str, int]:
    store = server.store()
    try:
        return load_demo(store)
    finally:
        store.close()


def token(server, role: str, person: str = "") -> str:
    store = server.store()
    try:
        return store.create_token(role, person, actor="test")
    finally:
        store.close()


def run_body(ids: dict[str, int], period: str | None = None, periods: str | None = None, **kw: Any) -> dict:
    body: dict[str, Any] = {"plans": [{"name": PLAN}], "datasets": dict(ids), **kw}
    if period is not None:
        body["period"] = period
    if periods is not None:
        body["periods"] = periods
    return body


def wait_run(c: httpx.Client, run_id: str, timeout: float = 60) -> dict:
    """Poll a run until it has succeeded or failed."""
    deadline = time.monotonic() + timeout
    while True:
        r = c.get(f"/runs/{run_id}")
        assert r.status_code == 200, r.text
        state = r.json()
        if state["status"] in ("succeeded", "failed"):
            return state
        assert time.monotonic() < deadline, f"run {run_id} did not end in {timeout} s: {state}"
        time.sleep(0.02)


def start_run(c: httpx.Client, body: dict, key: str, expect: str = "succeeded") -> dict:
    r = c.post("/runs", json=body, headers={"Idempotency-Key": key})
    assert r.status_code == 202, r.text
    state = wait_run(c, r.json()["id"])
    assert state["status"] == expect, state
    return state


def paid(c: httpx.Client, run_id: str) -> dict[tuple[str, str], dict]:
    r = c.get(f"/runs/{run_id}/payouts")
    assert r.status_code == 200, r.text
    return {(p["period"], p["payee"]): p for p in r.json()}


def audit_rows(server) -> list[dict]:
    with server.client() as c:
        r = c.get("/audit", params={"limit": 10_000})
        assert r.status_code == 200, r.text
        return r.json()


def is_error(body: Any) -> bool:
    """The documented error shape, ErrorPublic: `detail` text and a list of `problems`."""
    return (isinstance(body, dict) and isinstance(body.get("detail"), str)
            and isinstance(body.get("problems", []), list))


# ---- plans ----

def test_plan_upload_versions_and_listing(backend_server):
    with backend_server.client() as c:
        first = c.post("/plans", json={"text": PLAN_TEXT, "file": "fy2027_ae.plan"})
        assert first.status_code == 201, first.text
        v1 = first.json()
        assert (v1["name"], v1["version"]) == (PLAN, 1)
        assert len(v1["hash"]) == 64 and int(v1["hash"], 16) >= 0
        assert (v1["currency"], v1["period"]) == ("USD", "month")
        assert (v1["effective_start"], v1["effective_end"]) == ("2027-01-01", "2027-12-31")

        again = c.post("/plans", json={"text": PLAN_TEXT})
        assert again.status_code == 200, again.text
        assert (again.json()["version"], again.json()["hash"]) == (1, v1["hash"])

        changed = c.post("/plans", json={"text": PLAN_TEXT.replace("recover 100%", "recover 50%")})
        assert changed.status_code == 201, changed.text
        v2 = changed.json()
        assert (v2["name"], v2["version"]) == (PLAN, 2) and v2["hash"] != v1["hash"]

        calc = c.post("/plans", json={"text": CALC_PLAN})
        assert calc.status_code == 201 and calc.json()["version"] == 1

        listed = c.get("/plans")
        assert listed.status_code == 200
        latest = {p["name"]: p for p in listed.json()}
        assert set(latest) == {PLAN, "Calc"} and len(listed.json()) == 2
        assert (latest[PLAN]["version"], latest[PLAN]["hash"]) == (2, v2["hash"])

        versions = c.get(f"/plans/{PLAN}/versions")
        assert versions.status_code == 200
        assert [(v["version"], v["hash"]) for v in versions.json()] == [(1, v1["hash"]), (2, v2["hash"])]

        missing = c.get("/plans/No Such Plan/versions")
        assert missing.status_code == 404 and is_error(missing.json()) and "No Such Plan" in missing.json()["detail"]

    uploads = [a for a in audit_rows(backend_server) if a["action"] == "plan.upload"]
    assert len(uploads) == 3  # the same text again wrote nothing


def test_a_plan_with_errors_is_refused_with_located_problems(backend_server):
    text = 'plan "Broken" {\n  currency USD\n  period month\n}\ninput sales: money\ncomponent c { pay 10% of salez }\n'
    with backend_server.client() as c:
        r = c.post("/plans", json={"text": text, "file": "broken.plan"})
        assert r.status_code == 422, r.text
        body = r.json()
        assert is_error(body) and body["problems"]
        problem = body["problems"][0]
        assert problem["code"] == "name"
        assert (problem["line"], problem["column"]) == (6, 26)
        assert "salez" in problem["message"] and problem["file"] == "broken.plan"
        assert "broken.plan:6:26" in body["detail"]

        syntax = c.post("/plans", json={"text": "plan {"}).json()
        assert all({"code", "line", "column", "message"} <= set(p) for p in syntax["problems"])
        assert all(p["code"] and p["line"] and p["column"] and p["message"] for p in syntax["problems"])

        assert c.get("/plans").json() == []
        assert c.get("/plans/Broken/versions").status_code == 404
    assert not [a for a in audit_rows(backend_server) if a["action"] == "plan.upload"]


# ---- datasets ----

def test_dataset_uploads_of_every_kind(backend_server):
    with backend_server.client() as c:
        made = {}
        for kind, name in FILES.items():
            content = (DATA / name).read_bytes()
            r = c.post(f"/datasets/{kind}", params={"format": "csv", "name": name}, content=content)
            assert r.status_code == 201, (kind, r.text)
            row = r.json()
            assert (row["kind"], row["name"], row["format"]) == (kind, name, "csv")
            assert row["hash"] == hashlib.sha256(content).hexdigest()
            made[kind] = row
        assert {k: v["rows"] for k, v in made.items()} == {"people": 7, "deals": 37, "assignments": 6,
                                                            "quotas": 9, "rates": 12}

        holidays = c.post("/datasets/holidays", params={"format": "csv", "name": "us-2027"}, content=HOLIDAYS)
        assert holidays.status_code == 201 and holidays.json()["rows"] == 3

        people = list(csv.DictReader(io.StringIO((DATA / FILES["people"]).read_text(encoding="utf-8"))))
        as_json = json.dumps(people).encode()
        r = c.post("/datasets/people", params={"format": "json", "name": "people.json"}, content=as_json)
        assert r.status_code == 201, r.text
        assert (r.json()["format"], r.json()["rows"]) == ("json", 7)

        listed = c.get("/datasets").json()
        assert [d["kind"] for d in listed] == ["people", "deals", "assignments", "quotas", "rates", "holidays",
                                               "people"]
        one = c.get(f"/datasets/{made['deals']['id']}")
        assert one.status_code == 200 and one.json() == made["deals"]
        assert c.get("/datasets/987654").status_code == 404
        assert c.post("/datasets/payslips", content=b"id\n").status_code == 422  # not a kind
        assert c.post("/datasets/people", params={"format": "xlsx"}, content=b"id\n").status_code == 422

    imports = [a for a in audit_rows(backend_server) if a["action"] == "dataset.import"]
    assert len(imports) == 7 and {a["after_hash"] for a in imports} >= {d["hash"] for d in made.values()}


def _bad_files() -> list[tuple[str, bytes, int, str | None]]:
    """(kind, content, the row named, the column named) of files the service must refuse."""
    deals = (DATA / FILES["deals"]).read_text(encoding="utf-8").replace("25000.00", "lots", 1)
    people = (DATA / FILES["people"]).read_text(encoding="utf-8")
    duplicate = people + people.splitlines()[2] + "\n"
    rates = (DATA / FILES["rates"]).read_text(encoding="utf-8").replace("1.0850", "1.085000001", 1)
    return [("deals", deals.encode(), 3, "amount"), ("people", duplicate.encode(), 9, None),
            ("rates", rates.encode(), 3, "rate")]


def test_a_bad_dataset_is_refused_naming_row_and_column_and_stores_nothing(backend_server):
    with backend_server.client() as c:
        ids = upload_demo(c)
        before, audit_before = c.get("/datasets").json(), audit_rows(backend_server)
        for kind, content, row, field in _bad_files():
            r = c.post(f"/datasets/{kind}", params={"format": "csv", "name": "bad"}, content=content)
            assert r.status_code == 422, (kind, r.text)
            body = r.json()
            assert is_error(body), body
            assert [p["row"] for p in body["problems"]] == [row], body
            if field is not None:
                assert body["problems"][0]["field"] == field, body
            assert f"row {row}" in body["detail"]
            if kind == "people":  # the duplicate's message names the id and where it first was
                assert "R-01" in body["problems"][0]["message"] and "row 3" in body["problems"][0]["message"]
        assert c.get("/datasets").json() == before
        assert audit_rows(backend_server) == audit_before
        assert len(before) == len(ids)


def test_a_duplicate_person_names_its_column(server):
    people = (DATA / FILES["people"]).read_text(encoding="utf-8")
    with server.client() as c:
        r = c.post("/datasets/people", content=(people + people.splitlines()[2] + "\n").encode())
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "id", r.json()


def test_a_refused_upload_names_no_server_path(server):
    deals = (DATA / FILES["deals"]).read_text(encoding="utf-8").replace("25000.00", "lots", 1)
    with server.client() as c:
        r = c.post("/datasets/deals", params={"name": "q1-deals"}, content=deals.encode())
    assert r.status_code == 422
    tmp = tempfile.gettempdir()
    assert tmp not in r.text, r.json()


def test_a_dataset_name_is_not_a_path(server, tmp_path):
    probe = f"incentives-probe-{tmp_path.name}"
    escaped = Path(tempfile.gettempdir()) / f"{probe}.csv"
    escaped.unlink(missing_ok=True)
    try:
        with server.client() as c:
            traversal = c.post("/datasets/holidays", params={"name": f"../{probe}"}, content=HOLIDAYS)
            slash = c.post("/datasets/holidays", params={"name": "2027/us"}, content=HOLIDAYS)
        written_outside = escaped.exists()
    finally:
        escaped.unlink(missing_ok=True)
    assert not written_outside, "the upload was written outside its temporary folder"
    assert traversal.status_code in (201, 422)
    assert slash.status_code in (201, 422), slash.text


# ---- runs ----

def test_run_requests_are_checked(backend_server):
    ids = demo(backend_server)
    with backend_server.client() as c:
        body = run_body(ids, period="2027-01")
        no_key = c.post("/runs", json=body)
        assert no_key.status_code == 422 and "idempotency-key" in no_key.text.lower()

        def refused(b: dict, key: str = "k") -> dict:
            r = c.post("/runs", json=b, headers={"Idempotency-Key": key})
            assert r.status_code == 422, r.text
            return r.json()

        assert "Nope" in refused({**body, "plans": [{"name": "Nope"}]})["detail"]
        assert "hash" in refused({**body, "plans": [{"name": PLAN, "hash": "0" * 64}]})["detail"]
        assert "999999" in refused({**body, "datasets": {**ids, "deals": 999999}})["detail"]
        assert "people" in refused({**body, "datasets": {**ids, "people": ids["deals"]}})["detail"]
        assert "people" in refused({**body, "datasets": {k: v for k, v in ids.items() if k != "people"}})["detail"]
        assert "period" in refused(run_body(ids, period="2027-01", periods="2027-01..2027-02"))["detail"]
        assert "period" in refused(run_body(ids))["detail"]
        refused(run_body(ids, period="2027-13"))
        refused(run_body(ids, periods="2027-03..2027-01"))
        refused({**body, "plans": []})
        refused({**body, "datasets": {**ids, "payslips": 1}})
        assert c.get("/runs").json() == []
    assert not [a for a in audit_rows(backend_server) if a["action"].startswith("run.")]


def test_runs_are_idempotent_and_pay_the_demo_data(backend_server):
    ids = demo(backend_server)
    with backend_server.client() as c:
        body = run_body(ids, periods="2027-01..2027-03")
        first = c.post("/runs", json=body, headers={"Idempotency-Key": "q1-2027"})
        assert first.status_code == 202, first.text
        run = first.json()
        assert run["status"] in ("queued", "running", "succeeded")
        assert run["request"]["periods"] == "2027-01..2027-03"
        assert run["request"]["plans"][0]["name"] == PLAN and run["request"]["plans"][0]["version"] == 1
        assert {k: v["id"] for k, v in run["request"]["datasets"].items()} == ids

        same = c.post("/runs", json=body, headers={"Idempotency-Key": "q1-2027"})
        assert same.status_code == 202 and same.json()["id"] == run["id"]
        other = c.post("/runs", json={**body, "periods": "2027-01..2027-02"}, headers={"Idempotency-Key": "q1-2027"})
        assert other.status_code == 409 and is_error(other.json()) and "q1-2027" in other.json()["detail"]

        state = wait_run(c, run["id"])
        assert state["status"] == "succeeded" and state["progress"] == 100 and state["problems"] == []
        assert state["started_at"] and state["finished_at"]
        got = c.get(f"/runs/{run['id']}")
        assert got.status_code == 200 and got.json() == state
        assert [r["id"] for r in c.get("/runs").json()] == [run["id"]]
        # after it has run, the same key still answers with it
        assert c.post("/runs", json=body, headers={"Idempotency-Key": "q1-2027"}).json()["id"] == run["id"]

        payouts = paid(c, run["id"])
        assert [payouts[(m, "R-01")]["paid"] for m in ("2027-01", "2027-02", "2027-03")] == \
            ["2750.00", "3000.00", "2000.00"]
        assert [payouts[(m, "R-01")]["earned"] for m in ("2027-01", "2027-02", "2027-03")] == \
            ["2750.00", "3000.00", "1500.00"]
        r01 = payouts[("2027-01", "R-01")]
        assert (r01["name"], r01["plan"], r01["currency"]) == ("Ada Lovelace", PLAN, "USD")
        assert ("2027-01", "M-01") not in payouts  # not on the plan
        assert {p for _, p in payouts} == {"R-01", "R-02", "R-03", "R-04", "R-05", "R-06"}

        exported = c.get(f"/runs/{run['id']}/payouts", params={"format": "csv"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert list(rows[0]) == ["period", "payee", "name", "plan", "currency", "earned", "paid"]
        assert {(r["period"], r["payee"]): r for r in rows} == payouts

        assert c.get("/runs/no-such-run").status_code == 404
        assert c.get("/runs/no-such-run/payouts").status_code == 404
        assert c.get("/runs/no-such-run/statements/R-01").status_code == 404

    creates = [a for a in audit_rows(backend_server) if a["action"] == "run.create"]
    assert [a["target"] for a in creates] == [f"run {run['id']}"]


def test_payouts_of_an_unfinished_run_are_refused(backend_server):
    ids = demo(backend_server)
    store = backend_server.store()
    try:  # a run the worker was never given: it stays queued
        queued, created = store.create_run("never-run", {"plans": [], "periods": "2027-01", "datasets": ids}, "test")
    finally:
        store.close()
    assert created
    with backend_server.client() as c:
        assert c.get(f"/runs/{queued.id}").json()["status"] == "queued"
        for fmt in ("json", "csv"):
            r = c.get(f"/runs/{queued.id}/payouts", params={"format": fmt})
            assert r.status_code == 409 and is_error(r.json()) and "queued" in r.json()["detail"]
        assert c.get(f"/runs/{queued.id}/statements/R-01").status_code == 404


def test_a_run_on_data_wrong_for_the_plan_fails_with_located_problems(backend_server):
    ids = demo(backend_server)
    with backend_server.client() as c:
        # people carry no quota column and there is no quotas dataset: the plan's `quota` input has no source
        body = run_body({k: v for k, v in ids.items() if k != "quotas"}, period="2027-01")
        state = start_run(c, body, "no-quotas", expect="failed")
        assert state["problems"], state
        problem = state["problems"][0]
        assert problem["code"] == "data"
        assert "quota" in problem["message"] and "line 38" in problem["message"]  # the plan's line
        assert problem["file"] == "fy2027_ae.csv"  # the dataset's name, not a server path
        assert state["finished_at"]
        for fmt in ("json", "csv"):
            r = c.get(f"/runs/{state['id']}/payouts", params={"format": fmt})
            assert r.status_code == 409 and "failed" in r.json()["detail"]
        assert c.get(f"/runs/{state['id']}/statements/R-01").status_code == 404
        assert c.get("/periods").json() == []  # a run that fails on its data books nothing
    store = backend_server.store()
    try:
        assert store.payees(state["id"]) == []
    finally:
        store.close()


def test_the_same_run_twice_gives_the_same_statements(server):
    ids = demo(server)
    with server.client() as c:
        body = run_body(ids, period="2027-01")
        one = start_run(c, body, "jan-a")["id"]
        two = start_run(c, body, "jan-b")["id"]
        first = c.get(f"/runs/{one}/statements/R-01").json()["statements"]
        second = c.get(f"/runs/{two}/statements/R-01").json()["statements"]
    assert first == second


# ---- statements and who may read what ----

def test_statements_and_roles(backend_server):
    ids = demo(backend_server)
    tokens = {"rep": token(backend_server, "rep", "R-01"), "manager": token(backend_server, "manager", "M-01"),
              "payroll": token(backend_server, "payroll"), "lead": token(backend_server, "manager", "R-02")}
    with backend_server.client() as c:
        body = run_body(ids, periods="2027-01..2027-02")
        run_id = start_run(c, body, "roles")["id"]
        payouts = paid(c, run_id)

        own = c.get(f"/runs/{run_id}/statements/R-01")
        assert own.status_code == 200 and own.headers["content-type"].startswith("application/json")
        doc = own.json()
        assert (doc["run"], doc["person"]) == (run_id, "R-01")
        assert [s["statement"]["period"] for s in doc["statements"]] == ["2027-01", "2027-02"]
        jan = doc["statements"][0]
        assert jan["statement"]["settlement"]["paid"] == "2750.00"
        assert jan["statement"]["earned"] == [{"component": "commission", "amount": "2750.00"}]
        assert jan["breakdown"]["payee"] == "R-01" and jan["breakdown"]["total"] == "2750.00"
        assert jan["breakdown"]["components"][0]["name"] == "commission"

        page = c.get(f"/runs/{run_id}/statements/R-01", params={"format": "html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.text.startswith("<!doctype html>")
        assert "Ada Lovelace (R-01)" in page.text and "2,750.00 USD" in page.text and "3,000.00 USD" in page.text
        assert page.text.count("<html") == 1 and page.text.count("<body") == 1  # one page, not a page in a page
        browser = c.get(f"/runs/{run_id}/statements/R-01",
                        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert browser.status_code == 200 and browser.headers["content-type"].startswith("text/html")
        assert browser.text == page.text
        both = c.get(f"/runs/{run_id}/statements/R-01", headers={"Accept": "text/html, application/json"})
        assert both.headers["content-type"].startswith("application/json")
        assert c.get(f"/runs/{run_id}/statements/R-01", params={"format": "pdf"}).status_code == 422
        assert c.get(f"/runs/{run_id}/statements/M-01").status_code == 404  # not on the plan: no statement

    reps = sorted(PERSON_NAMES)
    with backend_server.client(token=tokens["rep"]) as rep:
        assert rep.get(f"/runs/{run_id}/statements/R-01").json() == doc
        assert rep.get(f"/runs/{run_id}/statements/R-01", params={"format": "html"}).text == page.text
        for other in [p for p in reps if p != "R-01"]:
            for fmt in ("json", "html"):
                r = rep.get(f"/runs/{run_id}/statements/{other}", params={"format": fmt})
                assert r.status_code == 404, (other, fmt, r.text)
                assert is_error(r.json())
                assert PERSON_NAMES[other] not in r.text
                figures = {p["paid"] for (_, who), p in payouts.items() if who == other} | \
                          {p["earned"] for (_, who), p in payouts.items() if who == other}
                assert not [f for f in figures if f in r.text], r.text
        assert rep.post("/plans", json={"text": CALC_PLAN}).status_code == 403
        assert rep.post("/runs", json=body, headers={"Idempotency-Key": "rep"}).status_code == 403
        assert rep.post("/datasets/holidays", content=HOLIDAYS).status_code == 403
        assert rep.get(f"/runs/{run_id}/payouts").status_code == 403
        assert rep.get(f"/runs/{run_id}").status_code == 403
        assert rep.get("/runs").status_code == 403
        assert rep.get("/audit").status_code == 403
        assert rep.post("/periods/2027-01/finalize").status_code == 403
        assert rep.post("/calculate", json={"plan": PLAN}).status_code == 403
        forbidden = rep.post("/plans", json={"text": CALC_PLAN}).json()
        assert is_error(forbidden) and "rep" in forbidden["detail"]

    with backend_server.client(token=tokens["manager"]) as manager:  # M-01 manages every rep
        for person in reps:
            r = manager.get(f"/runs/{run_id}/statements/{person}")
            assert r.status_code == 200 and r.json()["person"] == person
        assert manager.get(f"/runs/{run_id}/payouts").status_code == 403
        assert manager.post("/plans", json={"text": CALC_PLAN}).status_code == 403

    with backend_server.client(token=tokens["lead"]) as lead:  # R-02 manages nobody: only their own
        assert lead.get(f"/runs/{run_id}/statements/R-02").status_code == 200
        assert lead.get(f"/runs/{run_id}/statements/R-01").status_code == 404

    with backend_server.client(token=tokens["payroll"]) as payroll:
        for person in reps:
            assert payroll.get(f"/runs/{run_id}/statements/{person}").status_code == 200
        assert payroll.get(f"/runs/{run_id}/payouts").json() == list(payouts.values())
        assert payroll.get(f"/runs/{run_id}/payouts", params={"format": "csv"}).status_code == 200
        assert payroll.get(f"/runs/{run_id}").status_code == 200
        assert payroll.get("/periods").status_code == 200
        assert payroll.post("/datasets/holidays", content=HOLIDAYS).status_code == 403
        assert payroll.post("/plans", json={"text": CALC_PLAN}).status_code == 403
        assert payroll.post("/periods/2027-01/finalize").status_code == 403
        assert payroll.get("/audit").status_code == 403

    with backend_server.client(token="") as anonymous:
        for path in ("/plans", f"/runs/{run_id}", f"/runs/{run_id}/statements/R-01", "/audit"):
            r = anonymous.get(path)
            assert r.status_code == 401 and r.headers.get("www-authenticate") == "Bearer", path
    with backend_server.client(token="inc_not-a-token") as stranger:
        assert stranger.get(f"/runs/{run_id}/statements/R-01").status_code == 401
    with backend_server.client() as c:  # nothing above wrote anything
        assert len(c.get("/datasets").json()) == 5 and [p["name"] for p in c.get("/plans").json()] == [PLAN]


def test_an_html_statement_escapes_what_it_shows(server):
    text = ('plan "Esc <b>" { currency USD period month }\ninput sales: money "Sales <img src=x>"\n'
            'component c "Label <script>alert(3)</script>" { pay 10% of sales }\n')
    with server.client() as c:
        assert c.post("/plans", json={"text": text}).status_code == 201
        people = c.post("/datasets/people", content=b'id,name,sales\nP1,"Eve <script>alert(4)</script>",1000\n')
        run_id = start_run(c, {"plans": [{"name": "Esc <b>"}], "period": "2027-01",
                               "datasets": {"people": people.json()["id"]}}, "esc")["id"]
        page = c.get(f"/runs/{run_id}/statements/P1", params={"format": "html"})
    assert page.status_code == 200
    assert "<script>" not in page.text and "<img" not in page.text and "<b>" not in page.text
    assert "Eve &lt;script&gt;" in page.text


# ---- calculate ----

def test_calculate(backend_server):
    demo(backend_server)
    with backend_server.client() as c:
        assert c.post("/plans", json={"text": CALC_PLAN}).status_code == 201
        r = c.post("/calculate", json={"plan": "Calc", "values": {"sales": "10000"}, "period": "2027-01"})
        assert r.status_code == 200, r.text
        calc = r.json()
        assert (calc["plan"], calc["total"], calc["payee"]) == ("Calc", "1000.00", "payee")
        assert calc["hash"] == c.get("/plans/Calc/versions").json()[0]["hash"]
        breakdown = calc["breakdown"]
        assert breakdown["total"] == "1000.00" and breakdown["currency"] == "USD"
        assert [(x["name"], x["amount"]) for x in breakdown["components"]] == [("c", "1000.00")]
        assert breakdown["components"][0]["items"][0]["formula"] == "10% x 10,000.00 = 1,000.00"
        assert breakdown["inputs"][0]["name"] == "sales" and breakdown["inputs"][0]["value"] == "10000"
        assert c.post("/calculate", json={"plan": "Calc", "values": {"sales": 2500}, "payee": "R-09"}).json()[
            "total"] == "250.00"

        missing = c.post("/calculate", json={"plan": "Calc", "values": {}})
        assert missing.status_code == 422 and missing.json()["problems"][0]["field"] == "sales"
        bad = c.post("/calculate", json={"plan": "Calc", "values": {"sales": "lots"}})
        assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "sales"
        extra = c.post("/calculate", json={"plan": "Calc", "values": {"sales": "1", "bonus": "2"}})
        assert extra.status_code == 422 and extra.json()["problems"][0]["field"] == "bonus"
        unknown = c.post("/calculate", json={"plan": "Nope"})
        assert unknown.status_code == 404 and is_error(unknown.json())

        # the demo plan's measure `bookings` (a sum over deals) is given as an input, like its quota
        given = c.post("/calculate", json={"plan": PLAN, "values": {"quota": "60000", "bookings": "55000"},
                                           "period": "2027-01"})
        assert given.status_code == 200, given.text
        assert given.json()["total"] == "2750.00"
        over = c.post("/calculate", json={"plan": PLAN, "values": {"quota": "60000", "bookings": "70000"},
                                          "period": "2027-07"})
        assert over.json()["total"] == "4400.00"  # 5% x 60,000 + 14% x 10,000 (July's accelerator)
        assert c.post("/calculate", json={"plan": PLAN, "values": {"bookings": "1"}}).status_code == 422


def test_calculate_asks_for_a_missing_measure(server):
    demo(server)
    with server.client() as c:
        r = c.post("/calculate", json={"plan": PLAN, "values": {"quota": "60000"}, "period": "2027-01"})
    assert r.status_code == 422, r.json()["total"]
    assert [p["field"] for p in r.json()["problems"]] == ["bookings"]


# ---- periods, adjustments, audit ----

def test_a_retry_answers_with_its_run_after_finalize(server):
    ids = demo(server)
    with server.client() as c:
        body = run_body(ids, period="2027-01")
        jan = start_run(c, body, "jan")
        assert c.post("/periods/2027-01/finalize").status_code == 200
        retry = c.post("/runs", json=body, headers={"Idempotency-Key": "jan"})
    assert retry.status_code == 202, retry.text
    assert retry.json()["id"] == jan["id"]


def test_finalize_adjust_reopen_and_the_audit_log(backend_server):
    with backend_server.client() as c:
        ids = upload_demo(c)
        assert c.get("/periods").json() == []
        assert c.post("/periods/2027-01/finalize").status_code == 404  # not run yet
        jan = start_run(c, run_body(ids, period="2027-01"), "jan")
        assert c.get("/periods").json() == [{"label": "2027-01", "kind": "month", "start": "2027-01-01",
                                             "end": "2027-01-31", "status": "open"}]
        adjustment = {"payee": "R-01", "plan": PLAN, "amount": "-100.00", "currency": "USD", "about": "2027-01",
                      "reason": "deal A-102 was booked twice"}
        early = c.post("/adjustments", json=adjustment)
        assert early.status_code == 409 and is_error(early.json())  # January is still open

        final = c.post("/periods/2027-01/finalize")
        assert final.status_code == 200, final.text
        assert final.json() == {"label": "2027-01", "kind": "month", "start": "2027-01-01", "end": "2027-01-31",
                                "status": "final"}
        again = c.post("/periods/2027-01/finalize")
        assert again.status_code == 409 and "final" in again.json()["detail"]
        for body in (run_body(ids, period="2027-01"), run_body(ids, periods="2027-01..2027-02")):
            r = c.post("/runs", json=body, headers={"Idempotency-Key": f"late-{body.get('period', 'q')}"})
            assert r.status_code == 409 and "2027-01" in r.json()["detail"], r.text

        booked = c.post("/adjustments", json=adjustment)
        assert booked.status_code == 201, booked.text
        b = booked.json()
        assert (b["booked_in"], b["about"], b["payee"], b["amount"], b["currency"]) == \
            ("2027-02", "2027-01", "R-01", "-100.00", "USD")
        assert "deal A-102 was booked twice" in b["note"] and "admin" in b["note"]
        assert c.post("/adjustments", json={**adjustment, "about": "2027-03"}).status_code == 409
        assert c.post("/adjustments", json={**adjustment, "amount": "ten"}).status_code == 422
        assert c.post("/adjustments", json={**adjustment, "reason": ""}).status_code == 422
        labels = {p["label"]: p["status"] for p in c.get("/periods").json()}
        assert labels["2027-01"] == "final"

        feb = start_run(c, run_body(ids, period="2027-02"), "feb")
        r01 = paid(c, feb["id"])[("2027-02", "R-01")]
        assert (r01["earned"], r01["paid"]) == ("3000.00", "2900.00")
        statement = c.get(f"/runs/{feb['id']}/statements/R-01").json()["statements"][0]["statement"]
        assert [(a["about"], a["amount"]) for a in statement["adjustments"]] == [("2027-01", "-100.00")]
        assert "deal A-102 was booked twice" in statement["adjustments"][0]["note"]
        page = c.get(f"/runs/{feb['id']}/statements/R-01", params={"format": "html"}).text
        assert "adjustment about 2027-01: deal A-102 was booked twice" in page

        assert c.post("/periods/2027-02/reopen").status_code == 409  # open: nothing to reopen
        assert c.post("/periods/2099-01/reopen").status_code == 404
        reopened = c.post("/periods/2027-01/reopen")
        assert reopened.status_code == 200 and reopened.json()["status"] == "open"
        assert c.post("/periods/2027-01/reopen").status_code == 409
        assert {p["label"]: p["status"] for p in c.get("/periods").json()} == {"2027-01": "open", "2027-02": "open"}

    with backend_server.client(token=token(backend_server, "rep", "R-01")) as rep:
        assert rep.get("/audit").status_code == 403
        assert rep.post("/adjustments", json=adjustment).status_code == 403
        assert rep.post("/periods/2027-01/reopen").status_code == 403

    rows = audit_rows(backend_server)
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)  # newest first
    by = {}
    for r in rows:
        by.setdefault(r["action"], []).append(r)
    admin = next(r["actor"] for r in rows if r["action"] == "plan.upload")
    assert admin.startswith("token ") and "(admin)" in admin
    assert [r["target"] for r in by["plan.upload"]] == [f"plan {PLAN}"]
    assert len(by["dataset.import"]) == 5 and {r["actor"] for r in by["dataset.import"]} == {admin}
    assert {r["target"] for r in by["run.create"]} == {f"run {jan['id']}", f"run {feb['id']}"}
    assert {r["actor"] for r in by["run.create"]} == {admin}
    assert [(r["target"], r["before_hash"], r["after_hash"], r["actor"]) for r in by["period.finalize"]] == \
        [("period 2027-01", "open", "final", admin)]
    assert [(r["target"], r["actor"]) for r in by["adjustment.create"]] == [("adjustment R-01 2027-01", admin)]
    assert "deal A-102 was booked twice" in by["adjustment.create"][0]["detail"]
    assert [(r["target"], r["before_hash"], r["after_hash"], r["actor"]) for r in by["period.reopen"]] == \
        [("period 2027-01", "final", "open", admin)]
    with backend_server.client() as c:
        assert len(c.get("/audit", params={"limit": 2}).json()) == 2
        assert c.get("/audit", params={"limit": 0}).status_code == 422


# ---- the OpenAPI contract ----

ROUTES = {  # (method, path): (success status, its schema, documented errors)
    ("post", "/plans"): ("201", "PlanPublic", {"422"}),
    ("get", "/plans"): ("200", "[PlanPublic]", set()),
    ("get", "/plans/{name}/versions"): ("200", "[PlanPublic]", {"404"}),
    ("post", "/datasets/{kind}"): ("201", "DatasetPublic", {"422", "413"}),
    ("get", "/datasets"): ("200", "[DatasetPublic]", set()),
    ("get", "/datasets/{dataset_id}"): ("200", "DatasetPublic", {"404"}),
    ("post", "/runs"): ("202", "RunPublic", {"409", "422"}),
    ("get", "/runs"): ("200", "[RunPublic]", set()),
    ("get", "/runs/{run_id}"): ("200", "RunPublic", {"404"}),
    ("get", "/runs/{run_id}/payouts"): ("200", "[PayoutPublic]", {"404", "409"}),
    ("get", "/runs/{run_id}/statements/{person}"): ("200", None, {"404"}),
    ("post", "/calculate"): ("200", "CalculateResponse", {"404", "422"}),
    ("get", "/periods"): ("200", "[PeriodPublic]", set()),
    ("post", "/periods/{period}/finalize"): ("200", "PeriodPublic", {"404", "409"}),
    ("post", "/periods/{period}/reopen"): ("200", "PeriodPublic", {"404", "409"}),
    ("post", "/adjustments"): ("201", "AdjustmentPublic", {"409", "422"}),
    ("get", "/audit"): ("200", "[AuditPublic]", set()),
}


def _schema_name(schema: dict) -> str | None:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        return "[" + schema["items"]["$ref"].rsplit("/", 1)[-1] + "]"
    return None


@pytest.fixture
def openapi(server) -> dict:
    with server.client(token="") as c:  # the contract needs no token
        r = c.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_openapi_lists_every_route_with_its_models_and_errors(openapi):
    paths = openapi["paths"]
    listed = {(m, p) for p, ops in paths.items() for m in ops}
    assert set(ROUTES) <= listed, set(ROUTES) - listed
    schemas = openapi["components"]["schemas"]
    assert {"ErrorPublic", "ProblemPublic"} <= set(schemas)
    assert set(schemas["ProblemPublic"]["properties"]) >= {"code", "message", "file", "line", "column", "row", "field"}
    for (method, path), (status, model, errors) in ROUTES.items():
        responses = paths[path][method]["responses"]
        assert status in responses, (method, path, list(responses))
        if model is not None:
            assert _schema_name(responses[status]["content"]["application/json"]["schema"]) == model, (method, path)
            assert model.strip("[]") in schemas
        for code in errors:
            assert _schema_name(responses[code]["content"]["application/json"]["schema"]) == "ErrorPublic", \
                (method, path, code)
    assert "text/csv" in paths["/runs/{run_id}/payouts"]["get"]["responses"]["200"]["content"]
    assert "text/html" in paths["/runs/{run_id}/statements/{person}"]["get"]["responses"]["200"]["content"]
    assert "200" in paths["/plans"]["post"]["responses"]  # the same text again
    runs = paths["/runs"]["post"]
    key = [p for p in runs["parameters"] if p["name"].lower() == "idempotency-key"]
    assert key and key[0]["in"] == "header" and key[0]["required"] is True
    for model in ("PlanCreate", "RunCreate", "CalculateRequest", "AdjustmentCreate"):
        assert model in schemas
    assert paths["/runs"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("RunCreate")


def test_openapi_documents_the_dataset_upload_body(openapi):
    assert "requestBody" in openapi["paths"]["/datasets/{kind}"]["post"]


def test_openapi_documents_authentication_errors(openapi):
    assert openapi.get("components", {}).get("securitySchemes"), "no security scheme"
    for (method, path) in ROUTES:
        responses = openapi["paths"][path][method]["responses"]
        assert "401" in responses, (method, path)
    for (method, path) in [("post", "/plans"), ("post", "/runs"), ("get", "/audit"), ("post", "/datasets/{kind}")]:
        assert "403" in openapi["paths"][path][method]["responses"], (method, path)


def test_openapi_documents_the_statement_model(openapi):
    schema = openapi["paths"]["/runs/{run_id}/statements/{person}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    assert _schema_name(schema) is not None, schema


def test_validation_errors_have_the_documented_shape(server):
    with server.client() as c:
        r = c.post("/runs", json={"plans": [{"name": PLAN}], "period": "2027-01", "datasets": {"people": 1}})
    assert r.status_code == 422
    assert is_error(r.json()), r.json()
