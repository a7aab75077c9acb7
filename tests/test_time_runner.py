"""Pay across periods through `incentives.time.runner.run_periods`: draws, the ledger, assignments, dated
values, clawbacks, currencies, plan versions, period checks and year-to-date true-ups.

Every test writes its plans and tables under tmp_path and reads them as `incentives run` does
(`incentives.time.load.load_period_data`), then runs a sequence of periods in an in-memory ledger or an SQLite
file of its own, so the tests run in parallel (pytest-xdist).  Amounts are checked as exact Decimals.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal, localcontext
from pathlib import Path

import pytest

from incentives.engine.numbers import CONTEXT
from hypothesis import given, settings
from hypothesis import strategies as st

from incentives import DataError, compile_text
from incentives.time.load import load_period_data
from incentives.engine.calendar import parse_period, parse_periods
from incentives.time.ledger import Ledger
from incentives.time.prepare import prepare
from incentives.time.runner import PeriodRun, check_sequence, memory_ledger, run_periods
from incentives.time.settle import ClawbackTerms, clawback_amount

D = Decimal

# --- plans ----------------------------------------------------------------------------------------------------

DRAW = '''plan "Draw Example" { currency USD period month effective 2027-01-01 to 2027-12-31 }
input commission: money "Commission earned in the month"
component earned { pay commission }
draw monthly "Monthly draw" { amount 2_000 USD recoverable recover 100% }
'''

WORKED = {"2027-01": "2750", "2027-02": "3000", "2027-03": "1500", "2027-04": "2375", "2027-05": "3000",
          "2027-06": "2750"}
WORKED_PAID = ["2750.00", "3000.00", "2000.00", "2000.00", "2875.00", "2750.00"]
WORKED_CLOSING = ["0", "0", "-500.00", "-125.00", "0", "0"]

HIRE = '''plan "Hire" { currency USD period month effective 2027-01-01 to 2027-12-31 }
input quota: money prorated "Monthly quota"
component fixed { pay 1_000 USD * participation }
component q { pay 10% of quota }
'''

BOOKINGS = '''plan "NAME" { currency USD period month effective 2027-01-01 to 2027-12-31 }
measure bookings = sum amount of deals where status == "won" and date in period
component c { pay 10% of bookings }
'''

QUARTERLY = '''plan "Quarterly" { currency USD period quarter effective 2027-01-01 to 2027-12-31 }
input quota: money "Quarterly quota"
component c { pay 10% of quota }
'''

RATE = '''plan "Rate" { currency USD period month effective 2027-01-01 to 2027-12-31 }
input sales: money
let rate = 10% from 2027-07-01: 12%
component c { pay rate of sales }
'''

CLAW = BOOKINGS.replace("NAME", "Claw") + 'clawback churn { when status == "churned" within 90 days TERMS }\n'

FX = BOOKINGS.replace("NAME", "FX").replace("2027-12-31 }", "2027-12-31 fx at WHEN }")

YTD = '''plan "YTD" { currency USD period quarter effective 2027-01-01 to 2027-12-31 }
measure bookings = sum amount of deals where status == "won" and date in period
component annual ytd {
  tiers marginal on bookings {
    from 0 USD to 100_000 USD: 5%
    from 100_000 USD to 250_000 USD: 10%
    from 250_000 USD: 15%
  }
}
'''

VERSION = '''plan "Sales" { currency USD period month effective FROM to TO }
input sales: money
component c { pay RATE of sales }
'''


# --- helpers ----------------------------------------------------------------------------------------------------

def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def plan_file(folder: Path, name: str, text: str):
    """The plan compiled under its bare file name (as statements and messages name it), also written out."""
    write(folder, name, text)
    return compile_text(text, name)


def data(plans, people: Path, deals: Path | None = None, assignments: Path | None = None,
         quotas: Path | None = None, rates: Path | None = None, holidays: Path | None = None):
    """The period data as `incentives run` reads it."""
    return load_period_data(plans, people, deals, None, None, None, assignments, quotas, rates, holidays)


def monthly_values(name: str, values: dict[str, str], person: str = "R1") -> str:
    """A dated-values table with one row per month."""
    rows = [f"person,start,end,{name}"]
    for label, value in values.items():
        p = parse_period(label)
        rows.append(f"{person},{p.start},{p.end},{value}")
    return "\n".join(rows) + "\n"


def one(run: PeriodRun, payee: str = "R1", plan: str | None = None):
    found = [p for p in run.payees if p.payee == payee and (plan is None or p.plan == plan)]
    assert len(found) == 1, [(p.payee, p.plan) for p in run.payees]
    return found[0]


def snapshot(ledger: Ledger):
    return ledger.periods(), ledger.entries(), ledger.runs()


@pytest.fixture
def worked(tmp_path):
    """The issue's worked example: (plans, data)."""
    plan = plan_file(tmp_path, "draw.plan", DRAW)
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    earned = write(tmp_path, "earned.csv", monthly_values("commission", WORKED))
    return [plan], data([plan], people, quotas=earned)


# --- 1. the worked example -------------------------------------------------------------------------------------

def test_worked_example_pays_the_draw_and_recovers_it(worked):
    plans, d = worked
    runs = run_periods(plans, d, parse_periods("2027-01..2027-06"))
    assert [r.period.label for r in runs] == list(WORKED)
    assert [r.status for r in runs] == ["paid"] * 6
    settlements = [one(r).settlement for r in runs]
    assert [s.earned for s in settlements] == [D(v) for v in WORKED.values()]
    assert [s.paid for s in settlements] == [D(v) for v in WORKED_PAID]
    assert [s.closing for s in settlements] == [D(v) for v in WORKED_CLOSING]
    assert [s.advanced for s in settlements] == [D(0), D(0), D("500.00"), D(0), D(0), D(0)]
    assert [s.recovered for s in settlements] == [D(0), D(0), D(0), D("375.00"), D("125.00"), D(0)]
    assert all(s.draw == D("2000.00") for s in settlements)
    # each opening is the previous closing, carried through the (in-memory) ledger
    assert [s.opening for s in settlements[1:]] == [s.closing for s in settlements[:-1]]
    assert [one(r).opening_period for r in runs] == [None, "2027-01", "2027-02", "2027-03", "2027-04", "2027-05"]
    assert sum(s.earned for s in settlements) == sum(s.paid for s in settlements) == D("15375")
    assert sum(r.paid for r in runs) == D("15375.00")


def test_worked_example_same_with_a_ledger_file_and_records_every_month(worked, tmp_path):
    plans, d = worked
    without = run_periods(plans, d, parse_periods("2027-01..2027-06"))
    with Ledger(tmp_path / "pay.db") as ledger:
        with_file = run_periods(plans, d, parse_periods("2027-01..2027-06"), ledger)
        assert [p.label for p in ledger.periods()] == list(WORKED)
        assert all(p.status == "open" for p in ledger.periods())
        paid = {e.booked_in: e.amount for e in ledger.entries(kinds="paid")}
        balance = {e.booked_in: e.amount for e in ledger.entries(kinds="balance")}
        assert paid == {label: D(v) for label, v in zip(WORKED, WORKED_PAID)}
        assert balance == {label: D(v) for label, v in zip(WORKED, WORKED_CLOSING)}
        assert ledger.total(kinds="paid", payee="R1") == D("15375.00")
        assert ledger.total(kinds="earned", payee="R1") == D("15375.00")
        assert [(e.booked_in, e.amount) for e in ledger.entries(kinds=("draw_advance", "recovery"))] == [
            ("2027-03", D("500.00")), ("2027-04", D("-375.00")), ("2027-05", D("-125.00"))]
    assert [one(r).settlement for r in without] == [one(r).settlement for r in with_file]


def test_one_period_at_a_time_carries_the_balance_through_the_ledger_file(worked, tmp_path):
    plans, d = worked
    with Ledger(tmp_path / "pay.db") as ledger:
        paid = [one(run_periods(plans, d, [p], ledger)[0]).settlement.paid for p in parse_periods("2027-01..2027-06")]
    assert paid == [D(v) for v in WORKED_PAID]


def test_each_command_without_a_ledger_starts_from_a_zero_balance(worked):
    plans, d = worked
    (april,) = run_periods(plans, d, parse_periods("2027-04"))
    s = one(april).settlement
    assert (s.opening, s.paid, s.closing) == (D(0), D("2375.00"), D(0))


# --- 2. the sequence check ------------------------------------------------------------------------------------

def test_an_open_period_before_a_later_recorded_one_is_refused_and_nothing_changes(worked, tmp_path):
    plans, d = worked
    with Ledger(tmp_path / "pay.db") as ledger:
        run_periods(plans, d, parse_periods("2027-01..2027-03"), ledger)
        before = snapshot(ledger)
        with pytest.raises(DataError) as e:
            run_periods(plans, d, parse_periods("2027-02"), ledger)
        assert snapshot(ledger) == before
    (problem,) = e.value.problems
    assert "2027-03 was run after 2027-02: run 2027-02..2027-03" in problem.message
    assert problem.code == "ledger"


def test_a_final_period_alone_is_refused_when_its_open_period_has_been_run(worked, tmp_path):
    plans, d = worked
    with Ledger(tmp_path / "pay.db") as ledger:
        run_periods(plans, d, parse_periods("2027-01..2027-03"), ledger)
        ledger.finalize("2027-01")
        ledger.finalize("2027-02")
        before = snapshot(ledger)
        with pytest.raises(DataError) as e:
            check_sequence(ledger, parse_periods("2027-01"))
        assert ("2027-01 is final: a difference is paid in 2027-03, which has been run: run 2027-01..2027-03"
                in e.value.problems[0].message)
        with pytest.raises(DataError):
            run_periods(plans, d, parse_periods("2027-01..2027-02"), ledger)
        assert snapshot(ledger) == before
        check_sequence(ledger, parse_periods("2027-01..2027-03"))  # the whole way is fine


def test_a_restatement_with_no_open_period_recorded_books_into_the_next_one(worked, tmp_path):
    plans, d = worked
    changed = data(plans, tmp_path / "people.csv",
                   quotas=write(tmp_path, "earned2.csv", monthly_values("commission", {**WORKED, "2027-01": "2850"})))
    with Ledger(tmp_path / "pay.db") as ledger:
        run_periods(plans, d, parse_periods("2027-01..2027-02"), ledger)
        ledger.finalize("2027-01")
        ledger.finalize("2027-02")
        (jan,) = run_periods(plans, changed, parse_periods("2027-01"), ledger)
        assert (jan.status, jan.booked_into) == ("restated", "2027-03")
        assert [(e.component, e.amount, e.about) for e in jan.differences] == [("earned", D("100.00"), "2027-01")]
        assert ledger.period("2027-03").status == "open"
        (march,) = run_periods(plans, changed, parse_periods("2027-03"), ledger)
        s = one(march).settlement
        assert (s.earned, s.adjustments, s.paid, s.closing) == (D("1500.00"), D("100.00"), D("2000.00"),
                                                                D("-400.00"))


# --- 3. assignments -------------------------------------------------------------------------------------------

def test_a_person_hired_mid_month_gets_their_share(tmp_path):
    plan = plan_file(tmp_path, "hire.plan", HIRE)
    people = write(tmp_path, "people.csv", "id,name,quota\nR1,Rep One,28000\nR2,Rep Two,28000\n")
    assignments = write(tmp_path, "assignments.csv",
                        "person,plan,start,end\nR1,Hire,2027-02-15,\nR2,Hire,2027-01-01,2027-01-31\n")
    runs = run_periods([plan], data([plan], people, assignments=assignments), parse_periods("2027-01..2027-03"))
    jan, feb, mar = runs
    # not assigned: not in the plan's results at all (no zero rows)
    assert [p.payee for p in jan.payees] == ["R2"]
    assert [p.payee for p in feb.payees] == ["R1"]
    assert [p.payee for p in mar.payees] == ["R1"]
    r1 = one(feb)
    assert r1.days == (28, 14)
    assert r1.result.values["participation"] == D("0.5")
    assert r1.result.values["days_active"] == D(14) and r1.result.values["period_days"] == D(28)
    assert r1.result.values["quota"] == D("14000.00")
    assert r1.earned == {"fixed": D("500.00"), "q": D("1400.00")}
    assert one(mar).days == (31, 31)
    assert one(mar).earned == {"fixed": D("1000.00"), "q": D("2800.00")}
    assert one(jan, "R2").earned == {"fixed": D("1000.00"), "q": D("2800.00")}


def test_hire_and_leave_dates_in_the_people_table_are_assignments(tmp_path):
    plan = plan_file(tmp_path, "hire.plan", HIRE)
    people = write(tmp_path, "people.csv", "id,name,quota,hire_date,leave_date\nR1,Rep One,28000,2027-02-15,\n"
                                           "R2,Rep Two,28000,,2027-01-31\nR3,Rep Three,31000,,\n")
    jan, feb = run_periods([plan], data([plan], people), parse_periods("2027-01..2027-02"))
    assert [p.payee for p in jan.payees] == ["R2", "R3"]
    assert [p.payee for p in feb.payees] == ["R1", "R3"]
    assert one(feb, "R1").days == (28, 14)
    assert one(feb, "R1").earned == {"fixed": D("500.00"), "q": D("1400.00")}
    assert one(feb, "R3").earned == {"fixed": D("1000.00"), "q": D("3100.00")}


def test_days_working_leave_out_weekends_and_holidays(tmp_path):
    plan = plan_file(tmp_path, "work.plan", HIRE.replace("period month", "period month days working"))
    people = write(tmp_path, "people.csv", "id,name,quota\nR1,Rep One,28000\n")
    assignments = write(tmp_path, "assignments.csv", "person,plan,start,end\nR1,Hire,2027-02-15,\n")
    holidays = write(tmp_path, "holidays.csv", "date,name\n2027-02-15,Presidents Day\n")
    (feb,) = run_periods([plan], data([plan], people, assignments=assignments, holidays=holidays),
                         parse_periods("2027-02"))
    p = one(feb)
    assert p.days == (19, 9)  # 20 weekdays in February 2027 less the holiday; 10 from the 15th less it
    assert p.result.values["quota"] == D("13263.16")  # 28,000 x 9/19
    assert p.earned == {"fixed": D("473.68"), "q": D("1326.32")}


def test_a_move_between_plans_pays_each_plan_its_days_and_its_deals(tmp_path):
    a = plan_file(tmp_path, "a.plan", BOOKINGS.replace("NAME", "Plan A"))
    b = plan_file(tmp_path, "b.plan", BOOKINGS.replace("NAME", "Plan B"))
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    deals = write(tmp_path, "deals.csv", "id,owner,amount,date,status\nD1,R1,1000,2027-03-10,won\n"
                                         "D2,R1,2000,2027-03-20,won\nD3,R1,4000,2027-02-10,won\n"
                                         "D4,R1,8000,2027-04-05,won\nD5,R1,16000,2027-03-16,won\n")
    assignments = write(tmp_path, "assignments.csv",
                        "person,plan,start,end\nR1,Plan A,2027-01-01,2027-03-15\nR1,Plan B,2027-03-16,\n")
    feb, mar, apr = run_periods([a, b], data([a, b], people, deals, assignments), parse_periods("2027-02..2027-04"))
    assert [p.plan for p in feb.payees] == ["Plan A"]
    assert [p.plan for p in apr.payees] == ["Plan B"]
    in_a, in_b = one(mar, plan="Plan A"), one(mar, plan="Plan B")
    assert (in_a.days, in_b.days) == ((31, 15), (31, 16))
    assert in_a.earned == {"c": D("100.00")} and in_a.deals == {"D1": D("100.00")}
    assert in_b.earned == {"c": D("1800.00")} and in_b.deals == {"D2": D("200.00"), "D5": D("1600.00")}
    assert one(feb).earned == {"c": D("400.00")}
    assert one(apr).earned == {"c": D("800.00")}


# --- 4. dated values ------------------------------------------------------------------------------------------

@pytest.fixture
def quarterly(tmp_path):
    plan = plan_file(tmp_path, "q.plan", QUARTERLY)
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\nR2,Rep Two\n")
    quotas = write(tmp_path, "quotas.csv", "person,start,end,quota\nR1,2027-01-01,2027-06-30,30000\n"
                                           "R1,2027-07-01,,36000\nR2,2027-01-01,2027-02-14,30000\n"
                                           "R2,2027-02-15,,36000\n")
    return plan, data([plan], people, quotas=quotas), quotas


def test_a_quarterly_quota_changing_at_a_quarter_and_inside_one(quarterly):
    plan, d, quotas = quarterly
    runs = run_periods([plan], d, parse_periods("2027-Q1..2027-Q4"))
    quota = {(r.period.label, p.payee): p.result.values["quota"] for r in runs for p in r.payees}
    assert quota == {
        ("2027-Q1", "R1"): D(30000), ("2027-Q2", "R1"): D(30000), ("2027-Q3", "R1"): D(36000),
        ("2027-Q4", "R1"): D(36000),
        # 45 days of Q1 at 30,000 and 45 at 36,000 (Q1 2027 has 90 days)
        ("2027-Q1", "R2"): D(33000), ("2027-Q2", "R2"): D(36000), ("2027-Q3", "R2"): D(36000),
        ("2027-Q4", "R2"): D(36000)}
    assert one(runs[0], "R2").earned == {"c": D("3300.00")}
    assert [u.rows for u in one(runs[0], "R2").dated] == [[f"{quotas}, row 4", f"{quotas}, row 5"]]
    assert [u.rows for u in one(runs[2], "R1").dated] == [[f"{quotas}, row 3"]]


def test_a_year_to_date_range_adds_up_the_periods_of_a_prorated_amount(tmp_path, quarterly):
    """A `prorated` input is an amount per period: a longer range adds its periods up."""
    _, d, quotas = quarterly
    plan = plan_file(tmp_path, "qp.plan", QUARTERLY.replace('money "Quarterly quota"',
                                                            'money prorated "Quarterly quota"'))
    d = data([plan], tmp_path / "people.csv", quotas=quotas)
    pp = prepare(plan, d, parse_period("2027-Q3"), start=dt.date(2027, 1, 1))
    values = {pid: [(u.name, u.value) for u in uses] for pid, uses in pp.dated.items()}
    assert values == {"R1": [("quota", D(96000))], "R2": [("quota", D(105000))]}
    half = prepare(plan, d, parse_period("2027-Q2"), start=dt.date(2027, 1, 1))
    assert [u.value for u in half.dated["R2"]] == [D(69000)]


def test_any_other_dated_number_is_a_value_in_force_never_added_up(quarterly):
    """Not prorated (an annual target, say): over the year to date it is blended by days, not summed."""
    plan, d, _ = quarterly
    pp = prepare(plan, d, parse_period("2027-Q3"), start=dt.date(2027, 1, 1))
    r1 = [u.value for u in pp.dated["R1"]][0]
    assert D(30000) < r1 < D(36000)  # 181 days at 30,000 and 92 at 36,000, averaged by days
    with localcontext(CONTEXT):
        assert r1 == (D(30000) * 181 + D(36000) * 92) / 273


def test_a_dated_definition_takes_its_new_value_from_july(tmp_path):
    plan = plan_file(tmp_path, "rate.plan", RATE)
    people = write(tmp_path, "people.csv", "id,name,sales\nR1,Rep One,10000\n")
    runs = run_periods([plan], data([plan], people), parse_periods("2027-05..2027-08"))
    assert [one(r).result.values["rate"] for r in runs] == [D("0.10"), D("0.10"), D("0.12"), D("0.12")]
    assert [one(r).earned["c"] for r in runs] == [D("1000.00"), D("1000.00"), D("1200.00"), D("1200.00")]


def test_per_period_splits_an_annual_amount_by_month(tmp_path):
    text = ('plan "Target" { currency USD period month effective 2027-01-01 to 2027-12-31 }\n'
            "let target = per_period(120_000 USD)\ncomponent c { pay 10% of target }\n")
    plan = plan_file(tmp_path, "t.plan", text)
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    runs = run_periods([plan], data([plan], people), parse_periods("2027-01..2027-03"))
    assert [one(r).earned["c"] for r in runs] == [D("1000.00")] * 3


# --- 6. clawbacks ---------------------------------------------------------------------------------------------

CLAW_DEALS = ("id,owner,amount,date,status,reversal_date\n"
              "D1,R1,10000,2027-01-10,churned,REVERSED\n"
              "D2,R1,5000,2027-01-20,won,\n"
              "D3,R1,3000,2027-02-05,won,\n")


def claw_setup(tmp_path: Path, terms: str = "", reversed_on: str = "2027-03-05", status: str = "churned"):
    plan = plan_file(tmp_path, "claw.plan", CLAW.replace("TERMS", terms))
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    deals = write(tmp_path, "deals.csv", CLAW_DEALS.replace("REVERSED", reversed_on).replace("churned", status))
    return plan, people, deals


@pytest.mark.parametrize("terms, taken", [
    ("", "1000.00"),
    ("take 50%", "500.00"),
    ("straight line over 365 days", "852.05"),  # 1,000 x (365 - 54) / 365
    ("take 50% straight line over 365 days", "426.03"),
])
def test_a_churned_deal_takes_back_what_the_ledger_paid_on_it(tmp_path, terms, taken):
    plan, people, deals = claw_setup(tmp_path, terms)
    with Ledger(tmp_path / "pay.db") as ledger:
        jan, feb, mar = run_periods([plan], data([plan], people, deals), parse_periods("2027-01..2027-03"), ledger)
        # January: D1 is seen as won (its reversal is after January) and paid
        assert one(jan).deals == {"D1": D("1000.00"), "D2": D("500.00")}
        assert one(jan).settlement.paid == D("1500.00")
        assert one(feb).settlement.paid == D("300.00")
        paid_on_d1 = ledger.total(kinds=("deal_earned", "clawback"), deal="D1", about="2027-01")
        assert paid_on_d1 == D("1000.00")
        (line,) = one(mar).clawbacks
        assert (line.deal, line.clawback, line.closed, line.reversed_on, line.status, line.paid, line.taken) == (
            "D1", "churn", dt.date(2027, 1, 10), dt.date(2027, 3, 5), "churned", D("1000.00"), D(taken))
        claws = ledger.entries(kinds="clawback")
        assert [(e.booked_in, e.deal, e.amount, e.note) for e in claws] == [("2027-03", "D1", -D(taken), "churn")]
        s = one(mar).settlement
        assert (s.earned, s.clawbacks, s.net, s.paid, s.closing) == (D("0.00"), D(taken), -D(taken), D(0),
                                                                      -D(taken))
        # re-running the whole way takes it back once, not twice
        run_periods([plan], data([plan], people, deals), parse_periods("2027-01..2027-03"), ledger)
        assert ledger.total(kinds="clawback", deal="D1") == -D(taken)
        assert ledger.total(kinds="balance", booked_in="2027-03") == -D(taken)


def test_january_alone_sees_the_deal_won_before_its_reversal(tmp_path):
    plan, people, deals = claw_setup(tmp_path)
    (jan,) = run_periods([plan], data([plan], people, deals), parse_periods("2027-01"))
    assert one(jan).deals == {"D1": D("1000.00"), "D2": D("500.00")}
    assert one(jan).clawbacks == []
    # in March itself the deal is churned: not counted, and nothing is clawed back without a ledger record
    (mar,) = run_periods([plan], data([plan], people, deals), parse_periods("2027-03"))
    assert one(mar).earned == {"c": D("0.00")} and one(mar).clawbacks == []


def test_a_final_january_is_not_restated_when_its_deal_churns_later(tmp_path):
    plan, people, won = claw_setup(tmp_path, reversed_on="", status="won")
    churned = write(tmp_path, "churned.csv", CLAW_DEALS.replace("REVERSED", "2027-03-05"))
    with Ledger(tmp_path / "pay.db") as ledger:
        run_periods([plan], data([plan], people, won), parse_periods("2027-01..2027-02"), ledger)
        ledger.finalize("2027-01")
        ledger.finalize("2027-02")
        jan, feb, mar = run_periods([plan], data([plan], people, churned), parse_periods("2027-01..2027-03"), ledger)
        assert (jan.status, jan.differences, feb.status, feb.differences) == ("restated", [], "restated", [])
        assert [(c.deal, c.paid, c.taken) for c in one(mar).clawbacks] == [("D1", D("1000.00"), D("1000.00"))]
        assert [(e.booked_in, e.deal, e.amount) for e in ledger.entries(kinds="clawback")] == [
            ("2027-03", "D1", D("-1000.00"))]
        assert ledger.entries(kinds="adjustment") == []


def test_a_deal_reversed_after_the_window_is_not_clawed_back(tmp_path):
    plan, people, deals = claw_setup(tmp_path, reversed_on="2027-05-10")  # 120 days after it closed
    with Ledger(tmp_path / "pay.db") as ledger:
        runs = run_periods([plan], data([plan], people, deals), parse_periods("2027-01..2027-05"), ledger)
        assert ledger.entries(kinds="clawback") == []
        assert ledger.total(kinds="paid", payee="R1") == D("1800.00")
    assert [one(r).settlement.closing for r in runs] == [D(0)] * 5
    assert all(one(r).clawbacks == [] for r in runs)


def test_a_paid_churned_deal_without_a_reversal_date_is_a_data_error(tmp_path):
    plan, people, deals = claw_setup(tmp_path, reversed_on="", status="won")
    churned = write(tmp_path, "churned.csv", CLAW_DEALS.replace("REVERSED", ""))
    with Ledger(tmp_path / "pay.db") as ledger:
        run_periods([plan], data([plan], people, deals), parse_periods("2027-01"), ledger)
        before = snapshot(ledger)
        with pytest.raises(DataError) as e:
            run_periods([plan], data([plan], people, churned), parse_periods("2027-02"), ledger)
        assert snapshot(ledger) == before
    (problem,) = e.value.problems
    assert "column reversal_date: deal D1 is churned and 1000.00 USD was paid on it" in problem.message
    assert "clawback `churn`" in problem.message
    assert problem.field == "reversal_date"


def test_the_missing_reversal_date_error_names_the_deals_file(tmp_path):
    plan, people, deals = claw_setup(tmp_path, reversed_on="", status="won")
    churned = write(tmp_path, "churned.csv", CLAW_DEALS.replace("REVERSED", ""))
    ledger = memory_ledger()
    try:
        run_periods([plan], data([plan], people, deals), parse_periods("2027-01"), ledger)
        with pytest.raises(DataError) as e:
            run_periods([plan], data([plan], people, churned), parse_periods("2027-02"), ledger)
    finally:
        ledger.close()
    assert str(churned) in e.value.problems[0].message


GATED = '''plan "Gate" { currency USD period month effective 2027-01-01 to 2027-12-31 }
measure bookings = sum amount of deals where status == "won" and date in period
measure pipeline = sum amount of deals where status == "open"
component c { pay 10% of bookings gate pipeline >= 10_000 USD }
clawback churn { when status == "churned" within 90 days }
'''


def test_commission_on_bookings_is_attributed_to_the_won_deal_and_clawed_back_whole(tmp_path):
    plan = plan_file(tmp_path, "gate.plan", GATED)
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    deals = write(tmp_path, "deals.csv", "id,owner,amount,date,status,reversal_date\n"
                                         "D1,R1,10000,2027-01-10,churned,2027-03-05\n"
                                         "D2,R1,40000,2027-01-15,open,\n")
    ledger = memory_ledger()
    try:
        jan, _, mar = run_periods([plan], data([plan], people, deals), parse_periods("2027-01..2027-03"), ledger)
        assert one(jan).earned == {"c": D("1000.00")}  # 10% of D1, the one won deal
        assert one(jan).deals == {"D1": D("1000.00")}  # today: {"D1": 200.00, "D2": 800.00}
        assert [c.taken for c in one(mar).clawbacks] == [D("1000.00")]  # today: 200.00
    finally:
        ledger.close()


_CLAW_PLANS: dict[str, object] = {}


def _claw_plan(terms: str):
    if terms not in _CLAW_PLANS:
        _CLAW_PLANS[terms] = compile_text(CLAW.replace("TERMS", terms), f"claw-{len(_CLAW_PLANS)}.plan")
    return _CLAW_PLANS[terms]


@settings(max_examples=8, deadline=None)
@given(amounts=st.lists(st.integers(1, 5_000_000), min_size=1, max_size=3),
       closed_days=st.lists(st.integers(0, 30), min_size=3, max_size=3),
       kept=st.lists(st.integers(0, 130), min_size=3, max_size=3),
       terms=st.sampled_from(["", "take 50%", "take 33%", "straight line over 100 days",
                              "take 75% straight line over 365 days"]))
def test_a_clawback_never_takes_more_than_was_paid_on_the_deal(amounts, closed_days, kept, terms):
    plan = _claw_plan(terms)
    rows = ["id,owner,amount,date,status,reversal_date"]
    reversals = {}
    for i, cents in enumerate(amounts):
        closed = dt.date(2027, 1, 1) + dt.timedelta(days=closed_days[i])
        reversed_on = closed + dt.timedelta(days=kept[i])
        reversals[f"D{i}"] = (closed, reversed_on)
        rows.append(f"D{i},R1,{D(cents).scaleb(-2)},{closed},churned,{reversed_on}")
    last = max(r for _, r in reversals.values())
    with tempfile.TemporaryDirectory() as folder:
        people = write(Path(folder), "people.csv", "id,name\nR1,Rep One\n")
        deals = write(Path(folder), "deals.csv", "\n".join(rows) + "\n")
        d = data([plan], people, deals)
        ledger = memory_ledger()
        try:
            run_periods([plan], d, parse_periods(f"2027-01..{last:%Y-%m}"), ledger)
            k = plan.ir.clawbacks[0]
            for deal, (closed, reversed_on) in reversals.items():
                paid = ledger.total(kinds="deal_earned", deal=deal)
                taken = -ledger.total(kinds="clawback", deal=deal)
                assert D(0) <= taken <= paid
                expected = clawback_amount(paid, closed, reversed_on, ClawbackTerms(k.within, k.take, k.straight))
                assert taken == expected
                if kept[int(deal[1:])] > 90:
                    assert taken == 0
        finally:
            ledger.close()


# --- 7. currencies ---------------------------------------------------------------------------------------------

FX_DEALS = ("id,owner,amount,date,status,currency\nD1,R1,10000,2027-01-10,won,EUR\n"
            "D3,R1,5000,2027-01-20,won,EUR\nD2,R2,1234.56,2027-01-20,won,USD\n")
FX_RATES = ("from,to,date,rate\nEUR,USD,2027-01-01,1.10\nEUR,USD,2027-01-15,1.12\nEUR,USD,2027-01-31,1.08\n"
            "USD,EUR,2027-01-01,0.90\nUSD,EUR,2027-01-31,0.91234567\n")


def fx_setup(tmp_path: Path, when: str, rates: str = FX_RATES, people: str = "id,name,currency\nR1,Rep One,\n"
             "R2,Rep Two,EUR\n"):
    plan = plan_file(tmp_path, f"{when}.plan", FX.replace("WHEN", when))
    return [plan], data([plan], write(tmp_path, "people.csv", people), write(tmp_path, "deals.csv", FX_DEALS),
                        rates=write(tmp_path, "rates.csv", rates))


@pytest.mark.parametrize("when, d1, d3, earned", [
    ("close", ("1.10", "2027-01-01", "11000.00"), ("1.12", "2027-01-15", "5600.00"), "1660.00"),
    ("period_end", ("1.08", "2027-01-31", "10800.00"), ("1.08", "2027-01-31", "5400.00"), "1620.00"),
])
def test_deals_in_another_currency_are_converted_at_the_close_or_period_end(tmp_path, when, d1, d3, earned):
    plans, d = fx_setup(tmp_path, when)
    (jan,) = run_periods(plans, d, parse_periods("2027-01"))
    r1 = one(jan, "R1")
    assert r1.currency == "USD" and r1.conversion is None
    assert r1.earned == {"c": D(earned)}
    got = {deal: (str(c.rate), str(c.date), c.converted, c.source, c.target, c.amount)
           for deal, c in r1.converted.items()}
    assert got == {"D1": (d1[0], d1[1], D(d1[2]), "EUR", "USD", D(10000)),
                   "D3": (d3[0], d3[1], D(d3[2]), "EUR", "USD", D(5000))}


def test_a_payee_paid_in_euros_gets_the_period_end_rate_rounded_to_cents(tmp_path):
    plans, d = fx_setup(tmp_path, "close")
    (jan,) = run_periods(plans, d, parse_periods("2027-01"))
    r2 = one(jan, "R2")
    assert r2.currency == "EUR"
    assert r2.result.total == D("123.46")  # 10% of 1,234.56 USD, rounded in the plan's currency
    c = r2.conversion
    assert (c.source, c.target, c.rate, c.date, c.inverse) == ("USD", "EUR", D("0.91234567"), dt.date(2027, 1, 31),
                                                             False)
    assert r2.earned == {"c": D("112.64")}  # 123.46 x 0.91234567 = 112.638...
    assert r2.settlement.paid == D("112.64")
    with_ledger = memory_ledger()
    try:
        run_periods(plans, d, parse_periods("2027-01"), with_ledger)
        assert [(e.kind, e.amount, e.currency) for e in with_ledger.entries(payee="R2", kinds=("earned", "paid"))] \
            == [("earned", D("112.64"), "EUR"), ("paid", D("112.64"), "EUR")]
    finally:
        with_ledger.close()


def test_a_pay_currency_rate_given_only_the_other_way_is_inverted(tmp_path):
    rates = "from,to,date,rate\nEUR,USD,2027-01-01,1.08\n"
    plans, d = fx_setup(tmp_path, "close", rates)
    (jan,) = run_periods(plans, d, parse_periods("2027-01"))
    r2 = one(jan, "R2")
    assert r2.conversion.inverse is True and r2.conversion.date == dt.date(2027, 1, 1)
    assert r2.earned == {"c": D("114.31")}  # 123.46 / 1.08 = 114.3148...


def test_a_missing_deal_rate_is_a_data_error_naming_the_currencies_and_date(tmp_path):
    plans, d = fx_setup(tmp_path, "period_end", "from,to,date,rate\nEUR,USD,2027-02-01,1.10\n",
                        people="id,name\nR1,Rep One\nR2,Rep Two\n")
    with pytest.raises(DataError) as e:
        run_periods(plans, d, parse_periods("2027-01"))
    message = e.value.problems[0].message
    assert "no EUR to USD rate on or before 2027-01-31" in message
    assert "the earliest rate between them is dated 2027-02-01" in message


def test_a_missing_pay_currency_rate_is_a_data_error(tmp_path):
    plans, d = fx_setup(tmp_path, "close", people="id,name,currency\nR1,Rep One,\nR2,Rep Two,GBP\n")
    with pytest.raises(DataError) as e:
        run_periods(plans, d, parse_periods("2027-01"))
    assert "no USD to GBP rate on or before 2027-01-31" in e.value.problems[0].message
    assert "no rate between USD and GBP is given at all" in e.value.problems[0].message


# --- 8. plan versions and 9. period checks ---------------------------------------------------------------------

def version(folder: Path, name: str, start: str, end: str, rate: str, extra: str = ""):
    text = VERSION.replace("FROM", start).replace("TO", end).replace("RATE", rate)
    return plan_file(folder, name, text.replace("period month", "period month" + extra))


def test_plan_versions_are_picked_by_their_effective_dates(tmp_path):
    h1 = version(tmp_path, "h1.plan", "2027-01-01", "2027-06-30", "10%")
    h2 = version(tmp_path, "h2.plan", "2027-07-01", "2027-12-31", "12%")
    people = write(tmp_path, "people.csv", "id,name,sales\nR1,Rep One,10000\n")
    runs = run_periods([h2, h1], data([h1, h2], people), parse_periods("2027-05..2027-08"))
    assert [(one(r).version, one(r).earned["c"]) for r in runs] == [
        ("h1.plan", D("1000.00")), ("h1.plan", D("1000.00")), ("h2.plan", D("1200.00")), ("h2.plan", D("1200.00"))]
    assert len({one(r).plan for r in runs}) == 1


def test_overlapping_versions_are_refused(tmp_path):
    h1 = version(tmp_path, "h1.plan", "2027-01-01", "2027-06-30", "10%")
    overlap = version(tmp_path, "overlap.plan", "2027-06-01", "2027-12-31", "12%")
    people = write(tmp_path, "people.csv", "id,name,sales\nR1,Rep One,10000\n")
    with pytest.raises(DataError) as e:
        run_periods([h1, overlap], data([h1, overlap], people), parse_periods("2027-01"))
    assert ('overlap.plan: plan "Sales" is in force from 2027-06-01, but the version in h1.plan runs to '
            '2027-06-30: versions may not overlap') in e.value.problems[0].message


def test_a_period_outside_every_version_is_refused_saying_why(tmp_path):
    h1 = version(tmp_path, "h1.plan", "2027-01-01", "2027-06-30", "10%")
    h2 = version(tmp_path, "h2.plan", "2027-07-01", "2027-12-31", "12%")
    people = write(tmp_path, "people.csv", "id,name,sales\nR1,Rep One,10000\n")
    with Ledger(tmp_path / "pay.db") as ledger:
        with pytest.raises(DataError) as e:
            run_periods([h1, h2], data([h1, h2], people), parse_periods("2028-01"), ledger)
        assert ledger.periods() == []
    assert e.value.problems[0].message == (
        'plan "Sales" cannot pay 2028-01: h1.plan: it is in force from 2027-01-01 to 2027-06-30, and 2028-01 runs '
        'from 2028-01-01 to 2028-01-31; h2.plan: it is in force from 2027-07-01 to 2027-12-31, and 2028-01 runs '
        'from 2028-01-01 to 2028-01-31')


def test_a_monthly_plan_pays_a_quarter_only_with_partial_periods(tmp_path):
    monthly = version(tmp_path, "m.plan", "2027-01-01", "2027-12-31", "10%")
    people = write(tmp_path, "people.csv", "id,name,sales\nR1,Rep One,10000\n")
    with pytest.raises(DataError) as e:
        run_periods([monthly], data([monthly], people), parse_periods("2027-Q1"))
    assert ("it pays by month (2027-03), and 2027-Q1 is a quarter; say `partial periods` in the plan's header"
            in e.value.problems[0].message)
    partial = version(tmp_path, "p.plan", "2027-01-01", "2027-12-31", "10%", " partial periods")
    (q1,) = run_periods([partial], data([partial], people), parse_periods("2027-Q1"))
    assert one(q1).earned == {"c": D("1000.00")}
    assert one(q1).days == (90, 90)


# --- 10. year-to-date true-up ----------------------------------------------------------------------------------

def test_a_ytd_component_pays_the_year_to_date_less_what_it_paid_before(tmp_path):
    plan = plan_file(tmp_path, "ytd.plan", YTD)
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    deals = write(tmp_path, "deals.csv", "id,owner,amount,date,status\nD1,R1,60000,2027-02-10,won\n"
                                         "D2,R1,80000,2027-05-10,won\nD3,R1,150000,2027-08-10,won\n")
    with Ledger(tmp_path / "pay.db") as ledger:
        q1, q2, q3 = run_periods([plan], data([plan], people, deals), parse_periods("2027-Q1..2027-Q3"), ledger)
        # Q1: 5% of 60,000
        assert one(q1).earned == {"annual": D("3000.00")}
        # Q2: the year to date is 140,000: 5% of 100,000 + 10% of 40,000 = 9,000, less the 3,000 paid in Q1
        assert one(q2).ytd == {"annual": (D("9000.00"), D("3000.00"))}
        assert one(q2).earned == {"annual": D("6000.00")}
        # Q3: 290,000: 5,000 + 10% of 150,000 + 15% of 40,000 = 26,000, less 9,000 paid in Q1 and Q2
        assert one(q3).ytd == {"annual": (D("26000.00"), D("9000.00"))}
        assert one(q3).earned == {"annual": D("17000.00")}
        assert [one(r).settlement.paid for r in (q1, q2, q3)] == [D("3000.00"), D("6000.00"), D("17000.00")]
        assert ledger.total(kinds="paid", payee="R1") == D("26000.00")
        assert [(e.booked_in, e.deal, e.amount) for e in ledger.entries(kinds="deal_earned")] == [
            ("2027-Q1", "D1", D("3000.00")), ("2027-Q2", "D2", D("6000.00")), ("2027-Q3", "D3", D("17000.00"))]


def test_a_ytd_restatement_of_final_quarters_pays_the_year_to_date_exactly_once(tmp_path):
    plan = plan_file(tmp_path, "ytd.plan", YTD)
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    rows = "id,owner,amount,date,status\nD1,R1,AMOUNT,2027-02-10,won\nD2,R1,80000,2027-05-10,won\n" \
           "D3,R1,150000,2027-08-10,won\n"
    before = write(tmp_path, "deals.csv", rows.replace("AMOUNT", "60000"))
    after = write(tmp_path, "deals2.csv", rows.replace("AMOUNT", "70000"))
    with Ledger(tmp_path / "pay.db") as ledger:
        run_periods([plan], data([plan], people, before), parse_periods("2027-Q1..2027-Q2"), ledger)
        ledger.finalize("2027-Q1")
        ledger.finalize("2027-Q2")
        for _ in range(2):  # the second run books the same differences, not twice
            q1, q2, q3 = run_periods([plan], data([plan], people, after), parse_periods("2027-Q1..2027-Q3"), ledger)
            assert [(e.about, e.amount) for e in q1.differences + q2.differences] == [
                ("2027-Q1", D("500.00")), ("2027-Q2", D("500.00"))]
            # Q3: year to date 300,000 -> 27,500, less 3,000 + 500 + 6,000 + 500 earned before
            assert one(q3).earned == {"annual": D("17500.00")}
            assert one(q3).settlement.paid == D("18500.00")
        assert ledger.total(kinds="paid", payee="R1") == D("27500.00")


# --- 11. guaranteed draws and forgiveness ----------------------------------------------------------------------

LATE = {"2027-10": "1500", "2027-11": "2300", "2027-12": "1000"}


def draw_plan(tmp_path: Path, draw: str):
    text = DRAW.replace("draw monthly \"Monthly draw\" { amount 2_000 USD recoverable recover 100% }", draw)
    plan = plan_file(tmp_path, "plan.plan", text)
    people = write(tmp_path, "people.csv", "id,name\nR1,Rep One\n")
    return plan, data([plan], people, quotas=write(tmp_path, "earned.csv", monthly_values("commission", LATE)))


def test_a_guaranteed_draw_tops_up_and_is_never_owed(tmp_path):
    plan, d = draw_plan(tmp_path, 'draw floor "Guarantee" { amount 2_000 USD guaranteed }')
    with Ledger(tmp_path / "pay.db") as ledger:
        runs = run_periods([plan], d, parse_periods("2027-10..2027-12"), ledger)
        assert [(e.booked_in, e.amount) for e in ledger.entries(kinds="guarantee")] == [
            ("2027-10", D("500.00")), ("2027-12", D("1000.00"))]
        assert ledger.entries(kinds=("draw_advance", "recovery", "forgiven")) == []
    s = [one(r).settlement for r in runs]
    assert [x.guaranteed for x in s] == [D("500.00"), D(0), D("1000.00")]
    assert [x.paid for x in s] == [D("2000.00"), D("2300.00"), D("2000.00")]
    assert [x.closing for x in s] == [D(0)] * 3
    assert [x.recovered for x in s] == [D(0)] * 3


def test_forgive_at_year_end_writes_off_the_december_balance(tmp_path):
    plan, d = draw_plan(tmp_path, "draw monthly { amount 2_000 USD recoverable recover 100% forgive at year end }")
    with Ledger(tmp_path / "pay.db") as ledger:
        oct_, nov, dec = run_periods([plan], d, parse_periods("2027-10..2027-12"), ledger)
        assert [(e.booked_in, e.kind, e.amount) for e in ledger.entries(kinds="forgiven")] == [
            ("2027-12", "forgiven", D("1200.00"))]
        assert [e.amount for e in ledger.entries(kinds="balance")] == [D("-500.00"), D("-200.00"), D("0")]
    assert [one(r).settlement.closing for r in (oct_, nov)] == [D("-500.00"), D("-200.00")]
    s = one(dec).settlement
    assert (s.opening, s.advanced, s.forgiven, s.paid, s.closing) == (D("-200.00"), D("1000.00"), D("1200.00"),
                                                                       D("2000.00"), D(0))


def test_without_forgiveness_the_december_balance_is_carried(tmp_path):
    plan, d = draw_plan(tmp_path, "draw monthly { amount 2_000 USD recoverable recover 100% }")
    runs = run_periods([plan], d, parse_periods("2027-10..2027-12"))
    assert one(runs[-1]).settlement.closing == D("-1200.00")
    assert one(runs[-1]).settlement.forgiven == D(0)
