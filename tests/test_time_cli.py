"""`incentives run` over pay periods and `incentives ledger`, as a script sees them: output, exit codes and
what the ledger holds afterwards.

Every test writes its plan and tables under tmp_path and its ledger is an SQLite file there (or a
PostgreSQL schema of its own, dropped at the end), so the tests run in parallel (pytest-xdist).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from incentives.cli.app import EXIT_DATA, app
from incentives.engine.calendar import parse_period

D = Decimal
runner = CliRunner()

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

DRAW = '''plan "Draw Example" { currency USD period month effective 2027-01-01 to 2027-12-31 }
input commission: money "Commission earned in the month"
component earned { pay commission }
draw monthly "Monthly draw" { amount 2_000 USD recoverable recover 100% }
'''

WORKED = {"2027-01": "2750", "2027-02": "3000", "2027-03": "1500", "2027-04": "2375", "2027-05": "3000",
          "2027-06": "2750"}
PAID = ["2750.00", "3000.00", "2000.00", "2000.00", "2875.00", "2750.00"]
CLOSING = ["0", "0", "-500.00", "-125.00", "0", "0"]
RECOVERED = ["0", "0", "0", "-375.00", "-125.00", "0"]  # as the summary shows it: taken from the pay
ADVANCED = ["0", "0", "500.00", "0", "0", "0"]

WORKED_TEXT = """\
2027-01 (2027-01-01 to 2027-01-31)
  payee        plan                               earned   adjusted     clawed  recovered         paid     balance
  R1           Draw Example                     2,750.00       0.00       0.00       0.00     2,750.00        0.00 USD
  paid: 2,750.00 USD
2027-02 (2027-02-01 to 2027-02-28)
  payee        plan                               earned   adjusted     clawed  recovered         paid     balance
  R1           Draw Example                     3,000.00       0.00       0.00       0.00     3,000.00        0.00 USD
  paid: 3,000.00 USD
2027-03 (2027-03-01 to 2027-03-31)
  payee        plan                               earned   adjusted     clawed  recovered         paid     balance
  R1           Draw Example                     1,500.00       0.00       0.00       0.00     2,000.00     -500.00 USD
  paid: 2,000.00 USD
2027-04 (2027-04-01 to 2027-04-30)
  payee        plan                               earned   adjusted     clawed  recovered         paid     balance
  R1           Draw Example                     2,375.00       0.00       0.00    -375.00     2,000.00     -125.00 USD
  paid: 2,000.00 USD
2027-05 (2027-05-01 to 2027-05-31)
  payee        plan                               earned   adjusted     clawed  recovered         paid     balance
  R1           Draw Example                     3,000.00       0.00       0.00    -125.00     2,875.00        0.00 USD
  paid: 2,875.00 USD
2027-06 (2027-06-01 to 2027-06-30)
  payee        plan                               earned   adjusted     clawed  recovered         paid     balance
  R1           Draw Example                     2,750.00       0.00       0.00       0.00     2,750.00        0.00 USD
  paid: 2,750.00 USD
"""

CLAW = '''plan "Claw" { currency USD period month effective 2027-01-01 to 2027-12-31 }
measure bookings = sum amount of deals where status == "won" and date in period
component c { pay 10% of bookings }
clawback churn { when status == "churned" within 90 days }
'''

FX = '''plan "FX" { currency USD period month effective 2027-01-01 to 2027-12-31 fx at WHEN }
measure bookings = sum amount of deals where status == "won" and date in period
component c { pay 10% of bookings }
'''


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def monthly_values(name: str, values: dict[str, str], person: str = "R1") -> str:
    rows = [f"person,start,end,{name}"]
    for label, value in values.items():
        p = parse_period(label)
        rows.append(f"{person},{p.start},{p.end},{value}")
    return "\n".join(rows) + "\n"


class Draw:
    """The worked example's files in a folder: `run(...)` runs the plan with the given options."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.plan = write(folder, "draw.plan", DRAW)
        self.people = write(folder, "people.csv", "id,name\nR1,Rep One\n")
        self.earned = write(folder, "earned.csv", monthly_values("commission", WORKED))
        self.ledger = folder / "pay.db"

    def set_january(self, amount: str) -> None:
        write(self.folder, "earned.csv", monthly_values("commission", {**WORKED, "2027-01": amount}))

    def run(self, *options):
        return invoke("run", self.plan, "--people", self.people, "--quotas", self.earned, *options)

    def show(self, *options) -> dict:
        result = invoke("ledger", "show", self.ledger, "--format", "json", *options)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def draw(tmp_path) -> Draw:
    return Draw(tmp_path)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- 1. the worked example -------------------------------------------------------------------------------------

def test_worked_example_as_text(draw):
    result = draw.run("--periods", "2027-01..2027-06")
    assert result.exit_code == 0, result.output
    assert result.stdout == WORKED_TEXT


def test_worked_example_as_csv(draw):
    result = draw.run("--periods", "2027-01..2027-06", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ("period,payee,plan,currency,earned,adjustments,clawbacks,opening,draw,"
                                             "advanced,guaranteed,recovered,forgiven,paid,closing,position")
    rows = csv_rows(result.stdout)
    # the worked table's balance column: earnings less the draw, after recovering what is owed
    assert [D(r["position"]) for r in rows] == [D(v) for v in ("750", "1000", "-500", "-125", "875", "750")]
    assert [r["period"] for r in rows] == list(WORKED)
    assert {(r["payee"], r["plan"], r["currency"]) for r in rows} == {("R1", "Draw Example", "USD")}
    assert [D(r["earned"]) for r in rows] == [D(v) for v in WORKED.values()]
    assert [D(r["paid"]) for r in rows] == [D(v) for v in PAID]
    assert [D(r["closing"]) for r in rows] == [D(v) for v in CLOSING]
    assert [D(r["recovered"]) for r in rows] == [D(v) for v in RECOVERED]
    assert [D(r["advanced"]) for r in rows] == [D(v) for v in ADVANCED]
    assert [D(r["opening"]) for r in rows] == [D(0)] + [D(v) for v in CLOSING[:-1]]
    assert all(D(r["draw"]) == D("2000.00") for r in rows)
    assert sum(D(r["paid"]) for r in rows) == sum(D(r["earned"]) for r in rows) == D("15375")


def test_worked_example_as_json(draw):
    result = draw.run("--periods", "2027-01..2027-06", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [(p["period"], p["status"], p["booked_into"], p["differences"]) for p in doc] == [
        (label, "paid", None, []) for label in WORKED]
    for month, period, paid, closing in zip(WORKED, doc, PAID, CLOSING):
        (s,) = period["statements"]
        assert (s["payee"], s["name"], s["plan"], s["version"], s["currency"]) == (
            "R1", "Rep One", "Draw Example", str(draw.plan), "USD")
        assert s["earned"] == [{"component": "earned", "amount": f"{WORKED[month]}.00"}]
        assert [v["name"] for v in s["values_in_force"]] == ["commission"]
        assert D(s["values_in_force"][0]["value"]) == D(WORKED[month])
        assert D(s["settlement"]["paid"]) == D(paid)
        assert D(s["settlement"]["closing"]) == D(closing)
        assert D(s["settlement"]["draw"]) == D("2000.00")
    statements = [p["statements"][0]["settlement"] for p in doc]
    assert [D(s["recovered"]) for s in statements] == [D(0), D(0), D(0), D("375.00"), D("125.00"), D(0)]
    assert [s["opening_from"] for s in statements] == [None, "2027-01", "2027-02", "2027-03", "2027-04", "2027-05"]


@pytest.mark.parametrize("format", ["text", "csv", "json"])
def test_worked_example_is_the_same_with_and_without_a_ledger_file(draw, format):
    without = draw.run("--periods", "2027-01..2027-06", "--format", format)
    with_ledger = draw.run("--periods", "2027-01..2027-06", "--format", format, "--ledger", draw.ledger)
    assert without.exit_code == with_ledger.exit_code == 0, with_ledger.output
    assert without.stdout == with_ledger.stdout
    shown = draw.show()
    assert [p["label"] for p in shown["periods"]] == list(WORKED)
    assert {e["booked_in"]: D(e["amount"]) for e in shown["entries"] if e["kind"] == "paid"} == {
        m: D(v) for m, v in zip(WORKED, PAID)}


def test_a_plan_with_a_draw_needs_a_period(draw):
    result = draw.run()
    assert result.exit_code != 0
    assert "give the period to pay: --period (e.g. 2027-01) or --periods (e.g. 2027-01..2027-12)" in result.output


# --- 2. the ledger's life cycle -------------------------------------------------------------------------------

def test_ledger_life_cycle_final_periods_are_restated_into_the_first_open_one(draw):
    assert draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger).exit_code == 0
    result = invoke("ledger", "finalize", draw.ledger, "2027-01..2027-02")
    assert result.exit_code == 0, result.output
    assert "2027-01: final" in result.output and "2027-02: final" in result.output
    first = draw.show()
    assert [(p["label"], p["status"]) for p in first["periods"]] == [
        ("2027-01", "final"), ("2027-02", "final"), ("2027-03", "open")]
    january = [e for e in first["entries"] if e["booked_in"] == "2027-01"]

    # January's commission changes after it was closed
    draw.set_january("2850")

    # January alone is refused: March, already run, must pay the difference; nothing changes
    alone = draw.run("--period", "2027-01", "--ledger", draw.ledger)
    assert alone.exit_code == EXIT_DATA
    assert "run 2027-01..2027-03 so that 2027-03 pays it" in alone.output
    assert draw.show() == first

    # the whole way: the difference is booked into March, January's own entries never change
    again = draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(
        "2027-01: final, not changed; re-run with today's data: 1 difference(s) booked into 2027-03, paid when it "
        "runs\n  R1           Draw Example                 earned                  100.00 USD\n"
        "2027-02: final, not changed; re-run with today's data: no differences\n")
    assert ("  R1           Draw Example                     1,500.00     100.00       0.00       0.00     2,000.00"
            "     -400.00 USD") in again.stdout
    after = draw.show()
    assert [e for e in after["entries"] if e["booked_in"] == "2027-01"] == january
    adjustments = [e for e in after["entries"] if e["kind"] == "adjustment"]
    assert [(e["booked_in"], e["about"], e["component"], D(e["amount"])) for e in adjustments] == [
        ("2027-03", "2027-01", "earned", D("100.00"))]
    march = {e["kind"]: D(e["amount"]) for e in after["entries"] if e["booked_in"] == "2027-03"
             and e["about"] == "2027-03"}
    assert march == {"earned": D("1500.00"), "draw_advance": D("400.00"), "paid": D("2000.00"),
                     "balance": D("-400.00")}

    # March's statement shows the adjustment, about January
    explained = draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger, "--explain")
    assert explained.exit_code == 0, explained.output
    assert ("  adjustment: earned of 2027-01                         100.00 USD  re-run of final period 2027-01"
            in explained.stdout)
    doc = json.loads(draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger, "--format", "json").stdout)
    (statement,) = doc[2]["statements"]
    assert [(a["about"], a["component"], a["amount"]) for a in statement["adjustments"]] == [
        ("2027-01", "earned", "100.00")]
    assert (doc[0]["status"], doc[0]["booked_into"]) == ("restated", "2027-03")

    # the same data again: the same difference, booked once (not twice)
    assert draw.show()["entries"] == after["entries"]

    # the data put back: nothing is booked any more, and March pays as it first did
    draw.set_january("2750")
    back = draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger, "--format", "csv")
    assert back.exit_code == 0, back.output
    (row,) = csv_rows(back.stdout)
    assert (row["period"], D(row["adjustments"]), D(row["paid"]), D(row["closing"])) == (
        "2027-03", D(0), D("2000.00"), D("-500.00"))
    reverted = draw.show()
    assert [e for e in reverted["entries"] if e["kind"] == "adjustment"] == []
    assert [e for e in reverted["entries"] if e["booked_in"] == "2027-01"] == january


def test_ledger_show_text_marks_the_adjustment_as_about_january(draw):
    draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger)
    invoke("ledger", "finalize", draw.ledger, "2027-01", "2027-02")
    draw.set_january("2850")
    assert draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger).exit_code == 0
    result = invoke("ledger", "show", draw.ledger, "--period", "2027-03")
    assert result.exit_code == 0, result.output
    assert ("  2027-03    R1           Draw Example             adjustment   component earned                "
            "100.00 USD (about 2027-01)") in result.stdout.splitlines()


def test_a_difference_found_after_march_is_final_goes_into_april(draw):
    draw.set_january("2850")
    draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger)
    assert invoke("ledger", "finalize", draw.ledger, "2027-01..2027-03").exit_code == 0
    draw.set_january("2750")
    result = draw.run("--periods", "2027-01..2027-04", "--ledger", draw.ledger, "--format", "csv")
    assert result.exit_code == 0, result.output
    (april,) = csv_rows(result.stdout)
    assert (D(april["earned"]), D(april["adjustments"]), D(april["opening"]), D(april["paid"]),
            D(april["closing"])) == (D("2375.00"), D("-100.00"), D("-500.00"), D("2000.00"), D("-225.00"))
    adjustments = [e for e in draw.show()["entries"] if e["kind"] == "adjustment"]
    assert [(e["booked_in"], e["about"], D(e["amount"])) for e in adjustments] == [
        ("2027-04", "2027-01", D("-100.00"))]


def test_finalize_out_of_order_is_refused(draw):
    draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger)
    before = draw.show()
    result = invoke("ledger", "finalize", draw.ledger, "2027-02")
    assert result.exit_code != 0
    assert "2027-01 is still open: periods are finalized in order (nothing was finalized)" in result.output
    assert draw.show() == before
    missing = invoke("ledger", "finalize", draw.ledger, "2027-07")
    assert missing.exit_code != 0 and "2027-07 has not been run: nothing to finalize (nothing was finalized)" in missing.output
    assert draw.show() == before


def test_an_open_period_before_a_later_recorded_one_is_refused_and_nothing_changes(draw):
    draw.run("--periods", "2027-01..2027-03", "--ledger", draw.ledger)
    before = draw.show()
    result = draw.run("--period", "2027-02", "--ledger", draw.ledger)
    assert result.exit_code != 0
    assert "2027-03 was run after 2027-02: run 2027-02..2027-03 so the balances carried forward stay right" \
        in result.output
    assert draw.show() == before
    assert draw.run("--periods", "2027-02..2027-03", "--ledger", draw.ledger).exit_code == 0


def test_the_sequence_suggested_for_a_final_period_is_accepted(draw):
    assert draw.run("--periods", "2027-01..2027-06", "--ledger", draw.ledger).exit_code == 0
    assert invoke("ledger", "finalize", draw.ledger, "2027-01..2027-02").exit_code == 0
    draw.set_january("2850")
    refused = draw.run("--period", "2027-01", "--ledger", draw.ledger)
    assert refused.exit_code == EXIT_DATA
    suggested = re.search(r"run (\S+\.\.\S+) so", refused.output).group(1)
    followed = draw.run("--periods", suggested, "--ledger", draw.ledger)
    assert followed.exit_code == 0, followed.output


# --- 3. assignments, 6. clawbacks and 7. currencies through the command -------------------------------------------

def test_assignments_through_the_command(tmp_path):
    plan = write(tmp_path, "hire.plan", '''plan "Hire" { currency USD period month effective 2027-01-01 to 2027-12-31 }
input quota: money prorated "Monthly quota"
component fixed { pay 1_000 USD * participation }
component q { pay 10% of quota }
''')
    people = write(tmp_path, "people.csv", "id,name,quota\nR1,Rep One,28000\nR2,Rep Two,28000\n")
    assignments = write(tmp_path, "assignments.csv",
                        "person,plan,start,end\nR1,Hire,2027-02-15,\nR2,Hire,2027-01-01,2027-01-31\n")
    result = invoke("run", plan, "--people", people, "--assignments", assignments, "--periods", "2027-01..2027-02",
                    "--format", "csv")
    assert result.exit_code == 0, result.output
    assert [(r["period"], r["payee"], D(r["earned"])) for r in csv_rows(result.stdout)] == [
        ("2027-01", "R2", D("3800.00")), ("2027-02", "R1", D("1900.00"))]
    explained = invoke("run", plan, "--people", people, "--assignments", assignments, "--period", "2027-02",
                       "--explain")
    assert explained.exit_code == 0, explained.output
    assert "Days on the plan: 14 of 28 (50%)" in explained.stdout
    assert "  quota  14,000.00" in explained.stdout


def test_a_clawback_through_the_ledger(tmp_path):
    plan = write(tmp_path, "claw.plan", CLAW)
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    deals = write(tmp_path, "deals.csv", "id,owner,amount,date,status,reversal_date\n"
                                         "D1,R1,10000,2027-01-10,churned,2027-03-05\nD2,R1,5000,2027-01-20,won,\n")
    ledger = tmp_path / "pay.db"
    result = invoke("run", plan, "--people", people, "--deals", deals, "--periods", "2027-01..2027-03",
                    "--ledger", ledger, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.stdout)
    assert [(D(r["earned"]), D(r["clawbacks"]), D(r["paid"]), D(r["closing"])) for r in rows] == [
        (D("1500.00"), D(0), D("1500.00"), D(0)), (D("0.00"), D(0), D("0.00"), D(0)),
        (D("0.00"), D("-1000.00"), D("0.00"), D("-1000.00"))]
    entries = json.loads(invoke("ledger", "show", ledger, "--format", "json").stdout)["entries"]
    assert [(e["booked_in"], e["deal"], e["amount"], e["note"]) for e in entries if e["kind"] == "clawback"] == [
        ("2027-03", "D1", "-1000.00", "churn")]
    assert [(e["booked_in"], e["deal"], e["amount"]) for e in entries if e["kind"] == "deal_earned"] == [
        ("2027-01", "D1", "1000.00"), ("2027-01", "D2", "500.00")]
    explained = invoke("run", plan, "--people", people, "--deals", deals, "--periods", "2027-01..2027-03",
                       "--ledger", ledger, "--explain")
    assert ("  clawback churn: deal D1                            -1,000.00 USD  closed 2027-01-10, churned 2027-03-05 "
            "(54 days); paid on it 1,000.00") in explained.stdout


def test_a_paid_churned_deal_without_a_reversal_date_is_a_data_error(tmp_path):
    plan = write(tmp_path, "claw.plan", CLAW)
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    won = write(tmp_path, "deals.csv", "id,owner,amount,date,status,reversal_date\nD1,R1,10000,2027-01-10,won,\n")
    churned = write(tmp_path, "churned.csv", "id,owner,amount,date,status,reversal_date\n"
                                             "D1,R1,10000,2027-01-10,churned,\n")
    ledger = tmp_path / "pay.db"
    assert invoke("run", plan, "--people", people, "--deals", won, "--period", "2027-01", "--ledger",
                  ledger).exit_code == 0
    result = invoke("run", plan, "--people", people, "--deals", churned, "--period", "2027-02", "--ledger", ledger)
    assert result.exit_code == EXIT_DATA
    assert ("column reversal_date: deal D1 is churned and 1000.00 USD was paid on it: give the date it was reversed, "
            "for clawback `churn`") in result.output


def test_the_statement_shows_each_conversion_with_its_rate_and_date(tmp_path):
    plan = write(tmp_path, "fx.plan", FX.replace("WHEN", "close"))
    people = write(tmp_path, "people.csv", "id,name,currency\nR1,Rep One,\nR2,Rep Two,EUR\n")
    deals = write(tmp_path, "deals.csv", "id,owner,amount,date,status,currency\nD1,R1,10000,2027-01-10,won,EUR\n"
                                         "D2,R2,1234.56,2027-01-20,won,USD\n")
    rates = write(tmp_path, "rates.csv", "from,to,date,rate\nEUR,USD,2027-01-01,1.10\nEUR,USD,2027-01-31,1.08\n"
                                         "USD,EUR,2027-01-31,0.91234567\n")
    result = invoke("run", plan, "--people", people, "--deals", deals, "--rates", rates, "--period", "2027-01",
                    "--explain")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Deal D1: 10,000.00 EUR x 1.10 (EUR to USD on 2027-01-01) = 11,000.00 USD" in lines
    assert ("Paid in EUR: USD amounts x 0.91234567 (USD to EUR on 2027-01-31), rounded to the EUR minor unit"
            in lines)
    assert "  c                                                     112.64 EUR" in lines
    assert "  c                                                   1,100.00 USD" in lines
    end = invoke("run", write(tmp_path, "end.plan", FX.replace("WHEN", "period_end")), "--people", people,
                 "--deals", deals, "--rates", rates, "--period", "2027-01", "--format", "csv")
    assert [(r["payee"], r["currency"], D(r["paid"])) for r in csv_rows(end.stdout)] == [
        ("R1", "USD", D("1080.00")), ("R2", "EUR", D("112.64"))]


def test_a_missing_rate_is_a_data_error_naming_the_currencies_and_date(tmp_path):
    plan = write(tmp_path, "fx.plan", FX.replace("WHEN", "period_end"))
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    deals = write(tmp_path, "deals.csv", "id,owner,amount,date,status,currency\nD1,R1,10000,2027-01-10,won,EUR\n")
    rates = write(tmp_path, "rates.csv", "from,to,date,rate\nEUR,USD,2027-02-01,1.10\n")
    result = invoke("run", plan, "--people", people, "--deals", deals, "--rates", rates, "--period", "2027-01")
    assert result.exit_code == EXIT_DATA
    assert (f"no EUR to USD rate on or before 2027-01-31 in {rates}; the earliest rate between them is dated "
            f"2027-02-01") in result.output
    no_rates = invoke("run", plan, "--people", people, "--deals", deals, "--period", "2027-01")
    assert no_rates.exit_code == EXIT_DATA
    assert "row 2, column currency: the plan pays in USD; this deal is in EUR" in no_rates.output


# --- 8. versions, 9. period checks ------------------------------------------------------------------------------

VERSION = '''plan "Sales" { currency USD period month effective FROM to TO }
input sales: money
component c { pay RATE of sales }
'''


def test_versions_and_period_checks_through_the_command(tmp_path):
    h1 = write(tmp_path, "h1.plan", VERSION.replace("FROM", "2027-01-01").replace("TO", "2027-06-30")
               .replace("RATE", "10%"))
    h2 = write(tmp_path, "h2.plan", VERSION.replace("FROM", "2027-07-01").replace("TO", "2027-12-31")
               .replace("RATE", "12%"))
    overlap = write(tmp_path, "overlap.plan", VERSION.replace("FROM", "2027-06-01").replace("TO", "2027-12-31")
                    .replace("RATE", "12%"))
    people = write(tmp_path, "people.csv", "id,name,sales\nR1,Rep One,10000\n")
    result = invoke("run", h1, h2, "--people", people, "--periods", "2027-05..2027-08", "--format", "json")
    assert result.exit_code == 0, result.output
    got = [(p["period"], s["version"], s["earned"][0]["amount"]) for p in json.loads(result.stdout)
           for s in p["statements"]]
    assert got == [("2027-05", str(h1), "1000.00"), ("2027-06", str(h1), "1000.00"),
                   ("2027-07", str(h2), "1200.00"), ("2027-08", str(h2), "1200.00")]
    refused = invoke("run", h1, overlap, "--people", people, "--periods", "2027-05..2027-08")
    assert refused.exit_code == EXIT_DATA and "versions may not overlap" in refused.output
    outside = invoke("run", h1, h2, "--people", people, "--period", "2028-01", "--ledger", tmp_path / "pay.db")
    assert outside.exit_code == EXIT_DATA
    assert (f'plan "Sales" cannot pay 2028-01: {h1}: it is in force from 2027-01-01 to 2027-06-30, and 2028-01 runs '
            f'from 2028-01-01 to 2028-01-31') in outside.output
    quarter = invoke("run", h1, "--people", people, "--period", "2027-Q1", "--ledger", tmp_path / "pay.db")
    assert quarter.exit_code == EXIT_DATA
    assert ("it pays by month (2027-03), and 2027-Q1 is a quarter; say `partial periods` in the plan's header to "
            "allow other periods") in quarter.output
    shown = json.loads(invoke("ledger", "show", tmp_path / "pay.db", "--format", "json").stdout)
    assert shown == {"periods": [], "entries": []}


# --- 12. PostgreSQL ------------------------------------------------------------------------------------------

@pytest.fixture
def pg_schema():
    """A PostgreSQL schema of its own (dropped at the end); skipped, saying why, if PostgreSQL does not answer."""
    psycopg = pytest.importorskip("psycopg")
    schema = f"time_cli_{uuid.uuid4().hex}"
    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True, connect_timeout=3) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {str(error).strip().splitlines()[0]}")
    try:
        yield schema
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True, connect_timeout=3) as c:
            c.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_worked_example_on_postgresql_gives_the_same_amounts_as_sqlite(draw, pg_schema):
    url = f"{PG}?options=-csearch_path%3D{pg_schema}"
    on_pg = draw.run("--periods", "2027-01..2027-06", "--format", "csv", "--ledger", url)
    on_sqlite = draw.run("--periods", "2027-01..2027-06", "--format", "csv", "--ledger", draw.ledger)
    assert on_pg.exit_code == on_sqlite.exit_code == 0, on_pg.output
    assert on_pg.stdout == on_sqlite.stdout
    assert [D(r["paid"]) for r in csv_rows(on_pg.stdout)] == [D(v) for v in PAID]
    assert [D(r["closing"]) for r in csv_rows(on_pg.stdout)] == [D(v) for v in CLOSING]
    pg_entries = json.loads(invoke("ledger", "show", url, "--format", "json").stdout)
    assert pg_entries == draw.show()
    # the life cycle on PostgreSQL too: finalize, change January, restate into March
    assert invoke("ledger", "finalize", url, "2027-01..2027-02").exit_code == 0
    draw.set_january("2850")
    refused = draw.run("--period", "2027-01", "--ledger", url)
    assert refused.exit_code == EXIT_DATA and "run 2027-01..2027-06 so that 2027-03 pays it" in refused.output
    again = draw.run("--periods", "2027-01..2027-06", "--ledger", url, "--format", "csv")
    assert again.exit_code == 0, again.output
    march = csv_rows(again.stdout)[0]
    assert (march["period"], D(march["adjustments"]), D(march["closing"])) == ("2027-03", D("100.00"), D("-400.00"))
