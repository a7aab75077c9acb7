"""Payroll exports (`GET /runs/{id}/exports/{preset}`, and `POST /runs/{id}/exports` with a TOML mapping)
against the demo run (2027-01..2027-02) on a real server: each preset's header and a row's values, zero
rows, earning-code mappings, the currency filter, a custom mapping's columns, the refusals (roles, unknown
run or preset, a run not succeeded, adp without a company code) and every bad mapping as a 422 naming its
key, never a 500."""

from __future__ import annotations

import csv
import io
import random
import time
from pathlib import Path

import pytest

from incentives.service import export_mapping
from incentives.service.demo import load_demo
from incentives.service.routes import exports

from .server import running as serving

PLAN = "Account Executive FY2027"
ROOT = Path(__file__).resolve().parent.parent.parent


def wait(c, run_id: str) -> dict:
    for _ in range(600):
        state = c.get(f"/runs/{run_id}").json()
        if state["status"] in ("succeeded", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The server, and the demo run of 2027-01..2027-02 (succeeded)."""
    with serving(tmp_path_factory.mktemp("exports") / "service.db") as server:
        store = server.store()
        ids = load_demo(store)
        store.close()
        with server.client() as c:
            body = {"plans": [{"name": PLAN}], "periods": "2027-01..2027-02", "datasets": ids}
            run = c.post("/runs", json=body, headers={"Idempotency-Key": "exports-demo"}).json()
            assert wait(c, run["id"])["status"] == "succeeded"
        yield server, run["id"]


def table(response) -> tuple[list[str], list[dict[str, str]]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.reader(io.StringIO(response.text, newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, r)) for r in rows]


def test_generic(demo):
    server, run_id = demo
    with server.client() as c:
        response = c.get(f"/runs/{run_id}/exports/generic")
    header, rows = table(response)
    assert header == ["employee_id", "earning_code", "amount", "currency", "period_start", "period_end"]
    assert response.text.startswith("employee_id,earning_code,amount,currency,period_start,period_end\r\n")
    assert f'filename="run-{run_id}-generic.csv"' in response.headers["content-disposition"]
    assert rows[0] == {"employee_id": "R-01", "earning_code": "INC", "amount": "2750.00", "currency": "USD",
                       "period_start": "2027-01-01", "period_end": "2027-01-31"}
    february = {r["employee_id"]: r for r in rows if r["period_start"] == "2027-02-01"}
    assert february["R-01"]["amount"] == "3000.00" and february["R-01"]["period_end"] == "2027-02-28"
    assert february["R-03"]["amount"] == "2248.39" and february["R-03"]["currency"] == "EUR"
    assert february["R-04"]["amount"] == "1000.00"  # joined on 15 February: half the draw
    assert len(rows) == 11  # 5 payees in January, 6 in February: one row per person, plan and period


def test_workday(demo):
    server, run_id = demo
    with server.client() as c:
        header, rows = table(c.get(f"/runs/{run_id}/exports/workday"))
    assert header == ["Employee_ID", "One_Time_Payment_Plan", "Amount", "Currency", "Effective_Date", "Comment"]
    assert rows[0] == {"Employee_ID": "R-01", "One_Time_Payment_Plan": PLAN, "Amount": "2750.00",
                       "Currency": "USD", "Effective_Date": "2027-01-31",
                       "Comment": f"{PLAN} 2027-01 (run {run_id})"}


def test_adp(demo):
    server, run_id = demo
    with server.client() as c:
        refused = c.get(f"/runs/{run_id}/exports/adp")
        assert refused.status_code == 422 and "company" in refused.json()["detail"]
        header, rows = table(c.get(f"/runs/{run_id}/exports/adp", params={"company": "K7Q"}))
        _, batched = table(c.get(f"/runs/{run_id}/exports/adp", params={"company": "K7Q", "batch": "FEB27"}))
    assert header == ["Co Code", "Batch ID", "File #", "Earnings Code", "Earnings Amount", "Currency",
                      "Pay Period End"]
    assert rows[-1] == {"Co Code": "K7Q", "Batch ID": run_id[:6].upper(), "File #": "R-06", "Earnings Code": "INC",
                        "Earnings Amount": "2000.00", "Currency": "USD", "Pay Period End": "2027-02-28"}
    assert {r["Batch ID"] for r in batched} == {"FEB27"}


def test_mapping_and_currency(demo):
    server, run_id = demo
    with server.client() as c:
        _, rows = table(c.get(f"/runs/{run_id}/exports/generic", params={"mapping": f"{PLAN}=COMM"}))
        assert {r["earning_code"] for r in rows} == {"COMM"}
        _, rows = table(c.get(f"/runs/{run_id}/exports/workday", params={"mapping": "OTP-INC", "currency": "EUR"}))
        assert {r["One_Time_Payment_Plan"] for r in rows} == {"OTP-INC"}
        assert [(r["Employee_ID"], r["Amount"]) for r in rows] == [("R-03", "2497.50"), ("R-05", "1850.00"),
                                                                   ("R-03", "2248.39"), ("R-05", "1842.00")]
        unknown = c.get(f"/runs/{run_id}/exports/generic", params={"mapping": "Nope=X"})
        assert unknown.status_code == 422 and "Nope" in unknown.json()["detail"]


def test_refusals(demo):
    server, run_id = demo
    store = server.store()
    payroll, rep = store.create_token("payroll", actor="test"), store.create_token("rep", "R-01", actor="test")
    store.close()
    with server.client(payroll) as c:
        assert c.get(f"/runs/{run_id}/exports/generic").status_code == 200
        assert c.get(f"/runs/{run_id}/exports/sage").status_code == 404
        assert c.get("/runs/no-such-run/exports/generic").status_code == 404
    with server.client(rep) as c:
        assert c.get(f"/runs/{run_id}/exports/generic").status_code == 403
    with server.client(token="") as c:
        assert c.get(f"/runs/{run_id}/exports/generic").status_code == 401
    store = server.store()  # a run still queued (never handed to the worker), then failed: 409
    queued, _ = store.create_run("exports-queued", {"plans": []}, "test")
    with server.client() as c:
        assert c.get(f"/runs/{queued.id}/exports/generic").status_code == 409
        store.update_run(queued.id, status="failed")
        refused = c.get(f"/runs/{queued.id}/exports/workday")
        assert refused.status_code == 409 and "failed" in refused.json()["detail"]
    store.close()

def test_zero_rows(tmp_path):
    """AE-01 sold nothing in 2026-Q1 (Account Executive FY2026): left out unless ?zero=true.  A server of its
    own: the demo's ledger has run 2027 already, so an earlier period may not be run there."""
    with serving(tmp_path / "service.db") as server, server.client() as c:
        plan = c.post("/plans", json={"text": (ROOT / "plans" / "account_executive.plan").read_text(),
                                      "file": "account_executive.plan"})
        assert plan.status_code == 201, plan.text
        people = c.post("/datasets/people", content=(ROOT / "plans/data/account_executive.csv").read_bytes())
        body = {"plans": [{"name": "Account Executive FY2026"}], "period": "2026-Q1",
                "datasets": {"people": people.json()["id"]}}
        run = c.post("/runs", json=body, headers={"Idempotency-Key": "exports-zero"}).json()
        state = wait(c, run["id"])
        assert state["status"] == "succeeded", state["problems"]
        _, rows = table(c.get(f"/runs/{run['id']}/exports/generic"))
        _, everyone = table(c.get(f"/runs/{run['id']}/exports/generic", params={"zero": "true"}))
    assert "AE-01" not in {r["employee_id"] for r in rows} and len(rows) == 9
    assert everyone[0] == {"employee_id": "AE-01", "earning_code": "INC", "amount": "0.00", "currency": "USD",
                           "period_start": "2026-01-01", "period_end": "2026-03-31"}
    assert len(everyone) == 10


# ---- custom exports: POST /runs/{id}/exports with a TOML mapping ----

TOML = {"Content-Type": "application/toml"}
CUSTOM = f"""
[export]
date_format = "%m/%d/%Y"
[codes]
"{PLAN}" = "COMM"
"*" = "OTHER"
[[columns]]
header = "Employee ID"
field = "payee"
[[columns]]
header = "Company"
value = "ACME"
[[columns]]
header = "Earning Code"
field = "earning_code"
[[columns]]
header = "Amount"
field = "amount"
[[columns]]
header = "Currency"
field = "currency"
[[columns]]
header = "Pay Date"
field = "period_end"
[[columns]]
header = "Period"
field = "period"
[[columns]]
header = "Plan"
field = "plan"
[[columns]]
header = "Run"
field = "run"
[[columns]]
header = "Department"
value = 4100
"""


def test_custom_mapping(demo):
    server, run_id = demo
    with server.client() as c:
        response = c.post(f"/runs/{run_id}/exports", content=CUSTOM, headers=TOML)
        header, rows = table(response)
        assert f'filename="run-{run_id}-custom.csv"' in response.headers["content-disposition"]
        plain = c.post(f"/runs/{run_id}/exports", content=CUSTOM, headers={"Content-Type": "text/plain"})
        assert plain.status_code == 200 and plain.text == response.text
    assert header == ["Employee ID", "Company", "Earning Code", "Amount", "Currency", "Pay Date", "Period", "Plan",
                      "Run", "Department"]
    assert response.text.startswith(",".join(header) + "\r\n")
    assert rows[0] == {"Employee ID": "R-01", "Company": "ACME", "Earning Code": "COMM", "Amount": "2750.00",
                       "Currency": "USD", "Pay Date": "01/31/2027", "Period": "2027-01", "Plan": PLAN, "Run": run_id,
                       "Department": "4100"}
    assert len(rows) == 11 and {r["Company"] for r in rows} == {"ACME"}


def test_custom_options(demo):
    """The currency filter, a decimal comma, the person's name, rows paying nothing, a "*" code."""
    server, run_id = demo
    mapping = """columns = [{header = "id", field = "payee"}, {header = "name", field = "name"},
    {header = "pay", field = "amount"}, {header = "code", field = "earning_code"}, {header = "from", field = "period_start"}]
[export]\ncurrency = "EUR"\ndecimal_separator = ","\nzero = true\n[codes]\n"*" = "BONUS"\n"""
    with server.client() as c:
        header, rows = table(c.post(f"/runs/{run_id}/exports", content=mapping, headers=TOML))
    assert header == ["id", "name", "pay", "code", "from"]
    assert [(r["id"], r["pay"]) for r in rows] == [("R-03", "2497,50"), ("R-05", "1850,00"), ("R-03", "2248,39"),
                                                   ("R-05", "1842,00")]
    assert {r["code"] for r in rows} == {"BONUS"} and all(r["name"] for r in rows)
    assert rows[0]["from"] == "2027-01-01"


@pytest.mark.parametrize("preset", ["generic", "workday"])
def test_presets_are_mappings(demo, preset):
    """A preset is a mapping of the custom form: posted (generic), it gives the GET's bytes."""
    server, run_id = demo
    assert isinstance(exports.PRESETS[preset], export_mapping.Mapping)
    with server.client() as c:
        got = c.get(f"/runs/{run_id}/exports/{preset}")
        posted = c.post(f"/runs/{run_id}/exports", content=export_mapping.PRESET_TEXT[preset], headers=TOML)
    if preset == "generic":
        assert posted.status_code == 200 and posted.content == got.content
    else:  # the workday Comment is a preset's own field, not one a mapping may name
        assert posted.status_code == 422 and posted.json()["problems"][0]["field"] == "columns[6].field"


COLUMN = '[[columns]]\nheader = "id"\nfield = "payee"\n'
BAD = {  # a bad mapping -> the key the first problem names
    "not TOML": ("[export\nzero = ", None),
    "an unknown field": ('[[columns]]\nheader = "Salary"\nfield = "salary"\n', "columns[1].field"),
    "both field and value": (COLUMN + '[[columns]]\nheader = "x"\nfield = "plan"\nvalue = "A"\n', "columns[2]"),
    "neither field nor value": (COLUMN + '[[columns]]\nheader = "x"\n', "columns[2]"),
    "no columns": ("[export]\nzero = true\n", "columns"),
    "empty columns": ("columns = []\n", "columns"),
    "columns not tables": ("columns = [1, 2]\n", "columns[1]"),
    "a column without header": ('[[columns]]\nfield = "payee"\n', "columns[1].header"),
    "an unknown top-level key": ("[layout]\nx = 1\n" + COLUMN, "layout"),
    "an unknown export key": ("[export]\nrounding = 2\n" + COLUMN, "export.rounding"),
    "an unknown column key": (COLUMN + "width = 10\n", "columns[1].width"),
    "a bad date_format": ('[export]\ndate_format = "%Q/%d"\n' + COLUMN, "export.date_format"),
    "an empty date_format": ('[export]\ndate_format = ""\n' + COLUMN, "export.date_format"),
    "a date_format without a date": ('[export]\ndate_format = "date"\n' + COLUMN, "export.date_format"),
    "a date_format not a string": ("[export]\ndate_format = 5\n" + COLUMN, "export.date_format"),
    "a bad decimal_separator": ('[export]\ndecimal_separator = ";"\n' + COLUMN, "export.decimal_separator"),
    "a bad currency": ('[export]\ncurrency = "usd"\n' + COLUMN, "export.currency"),
    "a zero not a boolean": ('[export]\nzero = "yes"\n' + COLUMN, "export.zero"),
    "a code not a string": (f'[codes]\n"{PLAN}" = 5\n' + COLUMN, f'codes."{PLAN}"'),
    "codes not a table": ("codes = 3\n" + COLUMN, "codes"),
    "a value not a constant": ('[[columns]]\nheader = "x"\nvalue = [1]\n', "columns[1].value"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_mapping(demo, case):
    server, run_id = demo
    text, key = BAD[case]
    with server.client() as c:
        response = c.post(f"/runs/{run_id}/exports", content=text, headers=TOML)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] and body["problems"][0]["code"] == "mapping"
    assert body["problems"][0]["field"] == key, body
    if key is None:
        assert "not TOML" in body["detail"] and body["problems"][0]["line"] == 1
    else:
        assert key in body["detail"]


def test_every_problem_is_named(demo):
    server, run_id = demo
    text = '[export]\nzero = 1\ncurrency = "X"\n[[columns]]\nheader = "a"\nfield = "salary"\n[[columns]]\nheader = "b"\n'
    with server.client() as c:
        body = c.post(f"/runs/{run_id}/exports", content=text, headers=TOML).json()
    assert [p["field"] for p in body["problems"]] == ["export.zero", "export.currency", "columns[1].field",
                                                      "columns[2]"]


def test_custom_refusals(demo):
    server, run_id = demo
    store = server.store()
    payroll, rep = store.create_token("payroll", actor="test"), store.create_token("rep", "R-01", actor="test")
    queued, _ = store.create_run("exports-custom-queued", {"plans": []}, "test")
    store.close()
    with server.client(payroll) as c:
        assert c.post(f"/runs/{run_id}/exports", content=CUSTOM, headers=TOML).status_code == 200
        assert c.post("/runs/no-such-run/exports", content=CUSTOM, headers=TOML).status_code == 404
        refused = c.post(f"/runs/{queued.id}/exports", content=CUSTOM, headers=TOML)
        assert refused.status_code == 409 and "queued" in refused.json()["detail"]
        assert c.post(f"/runs/{run_id}/exports", content=CUSTOM,
                      headers={"Content-Type": "image/png"}).status_code == 415
        big = COLUMN + "#" * (export_mapping.MAX_BYTES + 1)
        assert c.post(f"/runs/{run_id}/exports", content=big, headers=TOML).status_code == 413
    with server.client(rep) as c:
        assert c.post(f"/runs/{run_id}/exports", content=CUSTOM, headers=TOML).status_code == 403
    with server.client(token="") as c:
        assert c.post(f"/runs/{run_id}/exports", content=CUSTOM, headers=TOML).status_code == 401


def test_garbage_is_a_422_not_a_500(demo):
    """Bodies a fuzzer sends: random bytes, invalid UTF-8, NUL, deep nesting, valid TOML of the wrong shape."""
    server, run_id = demo
    rng = random.Random(2027)
    bodies = [rng.randbytes(rng.randint(0, 300)) for _ in range(40)]
    toml_ish = '[]{}="#.,\n\t %abcdefghijklmnopqrstuvwxyz0123456789'
    bodies += ["".join(rng.choices(toml_ish, k=rng.randint(1, 120))).encode() for _ in range(40)]
    bodies += [b"", b"\xff\xfe\x00", b"a = 1\x00", b"x = " + b"[" * 5000, b"x = " + b"{a=" * 2000,
               b"columns = 1", b"columns = [[]]", b"export = 1\ncolumns = [{}]", b'columns = [{header = 1, field = 2}]',
               b'columns = [{header = "a", field = "payee", value = 1}]', b"[[columns]]\n" * 3, b"\xef\xbb\xbf"]
    with server.client() as c:
        for body in bodies:
            response = c.post(f"/runs/{run_id}/exports", content=body, headers=TOML)
            assert response.status_code == 422, (body, response.status_code, response.text)
            assert response.json()["problems"], body
