"""The issue's acceptance scenario on the bundled FY2027 plan set: assignments, a mid-year quota
change, a mid-quarter hire, a leaver, a monthly draw, 90-day churn clawbacks and EUR-paid reps, run
month by month through a ledger with no workarounds; the worked draw table comes out exactly, and
re-running a finalized month after a data correction changes nothing in it."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest
from typer.testing import CliRunner

from incentives.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "plans" / "data"
FILES = ("csv", "deals.csv", "assignments.csv", "quotas.csv", "rates.csv")


@pytest.fixture
def fy(tmp_path):
    for suffix in FILES:
        shutil.copy(DATA / f"fy2027_ae.{suffix}", tmp_path / f"fy.{suffix}")
    return tmp_path


def run(d: Path, *args: str):
    result = CliRunner().invoke(app, ["run", str(ROOT / "plans" / "fy2027_ae.plan"), "--people", str(d / "fy.csv"),
                                      "--deals", str(d / "fy.deals.csv"), "--assignments",
                                      str(d / "fy.assignments.csv"), "--quotas", str(d / "fy.quotas.csv"),
                                      "--rates", str(d / "fy.rates.csv"), *args])
    return result


def rows(text: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["period"], r["payee"]): r for r in csv.DictReader(io.StringIO(text))}


def ledger_json(path: Path) -> dict:
    result = CliRunner().invoke(app, ["ledger", "show", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_first_half_year(fy):
    result = run(fy, "--periods", "2027-01..2027-06", "--format", "csv", "--ledger", str(fy / "pay.db"))
    assert result.exit_code == 0, result.output
    got = rows(result.stdout)
    months = [f"2027-{m:02d}" for m in range(1, 7)]
    # R-01 is the worked table: earned, paid and balance (earned less the draw after recovery)
    assert [D(got[(m, "R-01")]["earned"]) for m in months] == [D(x) for x in (2750, 3000, 1500, 2375, 3000, 2750)]
    assert [D(got[(m, "R-01")]["paid"]) for m in months] == [D(x) for x in (2750, 3000, 2000, 2000, 2875, 2750)]
    assert [D(got[(m, "R-01")]["position"]) for m in months] == [D(x) for x in (750, 1000, -500, -125, 875, 750)]
    assert sum(D(got[(m, "R-01")]["paid"]) for m in months) == D(15375)
    # the manager is in the people table but on no plan: no rows at all
    assert not any(p == "M-01" for _, p in got)
    # hired 2027-02-15: not paid in January; February is 14 of 28 days: the draw and quota are halved
    assert ("2027-01", "R-04") not in got
    assert D(got[("2027-02", "R-04")]["draw"]) == D(1000)
    assert D(got[("2027-02", "R-04")]["earned"]) == D(900)  # 5% of 18,000 (under the prorated quota of 25,000)
    # left 2027-05-20: paid through May, the balance owed forgiven when leaving, no June row
    assert D(got[("2027-05", "R-05")]["forgiven"]) > 0 and D(got[("2027-05", "R-05")]["closing"]) == 0
    assert ("2027-06", "R-05") not in got
    # R-03 is paid in EUR on EUR deals: 50,000 EUR x 1.08 = 54,000 USD; 5% = 2,700 USD; x 0.925 = 2,497.50 EUR
    assert got[("2027-01", "R-03")]["currency"] == "EUR"
    assert D(got[("2027-01", "R-03")]["earned"]) == D("2497.50")
    # B-201 (20,000 of R-02's 40,000 in January, 2,000 earned) churned on 2027-03-05: half comes back in March
    assert D(got[("2027-03", "R-02")]["clawbacks"]) == D("-1000.00")
    # D-401 churned 130 days after its close: outside the 90-day window, nothing comes back
    assert D(got[("2027-06", "R-04")]["clawbacks"]) == 0


def test_the_quota_changes_in_july(fy):
    result = run(fy, "--periods", "2027-06..2027-07", "--format", "json")
    assert result.exit_code == 0, result.output
    statements = {(s["period"], s["payee"]): s for run_ in json.loads(result.stdout) for s in run_["statements"]}
    assert statements[("2027-06", "R-01")]["values_in_force"][0]["value"] == "60000"
    assert statements[("2027-07", "R-01")]["values_in_force"][0]["value"] == "75000"


def test_a_finalized_month_never_changes(fy):
    ledger = fy / "pay.db"
    assert run(fy, "--periods", "2027-01..2027-04", "--ledger", str(ledger)).exit_code == 0
    finalize = CliRunner().invoke(app, ["ledger", "finalize", str(ledger), "2027-01..2027-03"])
    assert finalize.exit_code == 0, finalize.output
    before = ledger_json(ledger)
    closed = [e for e in before["entries"] if e["booked_in"] in ("2027-01", "2027-02", "2027-03")]
    # a CRM correction: R-01's February deal was 50,000, not 60,000
    deals = (fy / "fy.deals.csv").read_text().replace("A-103,R-01,60000.00", "A-103,R-01,50000.00")
    (fy / "fy.deals.csv").write_text(deals)
    # February alone is refused (April, already run, must pay the difference) and nothing changes
    alone = run(fy, "--period", "2027-02", "--ledger", str(ledger))
    assert alone.exit_code == 3 and "run 2027-02..2027-04" in alone.output
    assert ledger_json(ledger) == before
    again = run(fy, "--periods", "2027-02..2027-04", "--ledger", str(ledger), "--format", "csv")
    assert again.exit_code == 0, again.output
    after = ledger_json(ledger)
    assert [e for e in after["entries"] if e["booked_in"] in ("2027-01", "2027-02", "2027-03")] == closed
    adjustments = [e for e in after["entries"] if e["kind"] == "adjustment"]
    assert adjustments == [{**adjustments[0], "booked_in": "2027-04", "about": "2027-02", "payee": "R-01",
                            "amount": "-500.00"}]  # 5% of 10,000 less
    april = rows(again.stdout)[("2027-04", "R-01")]
    assert D(april["adjustments"]) == D("-500.00")
    # a second re-run with the same data books the difference once, not twice
    assert run(fy, "--periods", "2027-02..2027-04", "--ledger", str(ledger)).exit_code == 0
    assert [e for e in ledger_json(ledger)["entries"] if e["kind"] == "adjustment"] == adjustments
