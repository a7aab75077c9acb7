"""Date functions (`year`, `quarter`, `month`, `day`, `days_between`), `date in period`, and the
deal statuses `open` and `lost` (with the bundled CRM mappings that give them).

Every expected value is worked out by hand in a comment beside it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sales_strategies import amounts, deal, load, person, run_files, sales, write_csv

from dsl import PlanError
from dsl.check_expr import BUILTINS
from dsl.check_sales import DEAL_STATUSES
from incentives import DataError, compile_text
from incentives.explain.build import explain
from incentives.sales.population import Population, parse_period
from incentives.sales.tables import load_mapping

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
MAPPINGS = ROOT / "plans" / "data" / "mappings"
Q1 = parse_period("2026-Q1")


def date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ---- the functions' values ---------------------------------------------------------------------------

PARTS = compile_text('''plan "Parts" { currency USD period quarter }
input d: date
let y = year(d)
let q = quarter(d)
let m = month(d)
let dd = day(d)
let to_new_year = days_between(d, 2027-01-01)
component c { pay 1 USD * (y + q + m + dd) }
''', "parts.plan")


@pytest.mark.parametrize("d, y, q, m, dd, to_new_year", [
    ("2024-02-29", 2024, 1, 2, 29, 1037),   # leap day: 307 days to 2025-01-01, then 365 + 365
    ("2025-12-31", 2025, 4, 12, 31, 366),   # the last day of a year: 1 day to 2026-01-01, then 365
    ("2026-01-01", 2026, 1, 1, 1, 365),     # the first day of a year
    ("2026-03-31", 2026, 1, 3, 31, 276),    # the last day of Q1
    ("2026-04-01", 2026, 2, 4, 1, 275),     # the first day of Q2
    ("2026-06-30", 2026, 2, 6, 30, 185),
    ("2026-07-01", 2026, 3, 7, 1, 184),
    ("2026-09-30", 2026, 3, 9, 30, 93),
    ("2026-10-01", 2026, 4, 10, 1, 92),     # the first day of Q4
    ("2026-12-31", 2026, 4, 12, 31, 1),
    ("2027-01-01", 2027, 1, 1, 1, 0),
    ("2027-01-02", 2027, 1, 1, 2, -1),      # after the second date: negative
])
def test_the_parts_of_a_date(d, y, q, m, dd, to_new_year):
    r = PARTS.run({"d": date(d)}, trace=True)
    got = {name: r.values[name] for name in ("y", "q", "m", "dd", "to_new_year")}
    assert got == {"y": D(y), "q": D(q), "m": D(m), "dd": D(dd), "to_new_year": D(to_new_year)}
    assert all(isinstance(v, Decimal) for v in got.values())
    assert r.total == D(y + q + m + dd)


@pytest.mark.parametrize("a, b, days", [
    ("2024-02-28", "2024-03-01", 2),   # across a leap day
    ("2025-02-28", "2025-03-01", 1),
    ("2025-12-31", "2026-01-01", 1),   # across a year end
    ("2026-01-01", "2025-12-31", -1),
    ("2026-03-15", "2026-03-15", 0),
    ("2024-01-01", "2025-01-01", 366),
])
def test_days_between_counts_from_the_first_date_to_the_second(a, b, days):
    plan = compile_text('plan "D" { currency USD period month }\ninput a: date\ninput b: date\n'
                        'let n = days_between(a, b)\ncomponent c { pay 1 USD * n }', "d.plan")
    assert plan.run({"a": date(a), "b": date(b)}, trace=True).values["n"] == D(days)


def test_the_date_functions_are_counts_and_work_in_arithmetic_and_comparisons():
    plan = compile_text('''plan "Ramp" { currency USD period year }
input hired: date
input revenue: money
let hired_this_year = year(hired) == 2026
let months_left = 12 - month(hired) + 1
let late_in_month = day(hired) > 15
component ramp {
  pay if hired_this_year then months_left * 100 USD else 1_200 USD
  pay if late_in_month and quarter(hired) == 4 then 50 USD else 0 USD
}
''', "ramp.plan")
    # hired 2026-10-20: 12 - 10 + 1 = 3 months x 100 = 300, and late in a Q4 month: 50
    assert plan.run({"hired": date("2026-10-20"), "revenue": D(0)}).total == D("350.00")
    # hired 2025-11-02: not this year, 1,200; the 2nd is early in the month
    assert plan.run({"hired": date("2025-11-02"), "revenue": D(0)}).total == D("1200.00")


def test_the_date_functions_are_reserved_names():
    assert {"year", "quarter", "month", "day", "days_between"} <= set(BUILTINS)
    with pytest.raises(PlanError) as e:
        compile_text('plan "R" { currency USD period month }\ninput month: count\ncomponent c { pay 1 USD }', "r.plan")
    assert [d.code for d in e.value.errors] == ["reserved"]


def test_an_explanation_fills_in_the_date_functions():
    plan = compile_text('''plan "Explained" { currency USD period quarter }
input hired: date
let hired_month = month(hired)
let tenure = days_between(hired, period_end)
let hired_in = hired in period
component c { pay 1 USD * hired_month }
''', "explained.plan")
    values = {"hired": date("2024-02-29"), "period_start": Q1[0], "period_end": Q1[1]}
    formulas = {d.name: d.formula for d in explain(plan, plan.evaluator.run(values, "x", trace=True)).definitions}
    assert formulas["hired_month"] == "month(hired) = month(hired) [2] = 2"
    # 2024-02-29 to 2026-03-31: 307 days to 2025-01-01, 365 to 2026-01-01, 89 to 2026-03-31 = 761
    assert formulas["tenure"] == "days_between(hired, period_end) = days_between(hired, period_end) [761] = 761"
    assert formulas["hired_in"] == "hired in period = 2024-02-29 >= 2026-01-01 and 2024-02-29 <= 2026-03-31 = false"


# ---- in deal conditions: monthly contests in a quarterly plan -------------------------------------------

MONTHLY = compile_text('''plan "Monthly stars" { currency USD period quarter }

measure revenue = sum amount of deals where status == "won" and date in period
measure m1_revenue = sum amount of deals
  where status == "won" and date in period and month(date) == month(period_start)
measure m2_revenue = sum amount of deals
  where status == "won" and date in period and month(date) == month(period_start) + 1
measure m3_revenue = sum amount of deals
  where status == "won" and date in period and month(date) == month(period_end)
measure january_revenue = sum amount of deals where status == "won" and month(date) == 1
measure last_days = count of deals where status == "won" and day(date) >= 28 and year(date) == 2026
measure q1_deals = count of deals where quarter(date) == 1 and year(date) == 2026
measure lost = count of deals where status == "lost"
measure still_open = sum amount of deals where status == "open"

contest star_m1 "Sales star of the first month" { rank by m1_revenue qualify m1_revenue > 0 USD places 1 }
contest star_m3 "Sales star of the third month" { rank by m3_revenue qualify m3_revenue > 0 USD prizes 500 USD }

component commission { pay 10% of revenue }
component star_prize { pay prize(star_m3) }
award star_one "Star of the first month" { kind title when rank(star_m1) == 1 }
''', "monthly.plan")

MONTHLY_DEALS = [
    deal("A-0", "A", "900", "2025-12-31"),                      # the day before Q1: in no measure of the quarter
    deal("A-1", "A", "1000", "2026-01-01"),                     # the first day of Q1
    deal("A-2", "A", "300", "2026-01-31"),
    deal("A-3", "A", "200", "2026-02-28"),
    deal("A-4", "A", "50", "2026-03-31"),                       # the last day of Q1
    deal("A-5", "A", "7000", "2026-04-01"),                     # the day after Q1
    deal("B-1", "B", "800", "2026-01-15"),
    deal("B-2", "B", "5000", "2026-01-20", status="lost"),      # lost and open: never in `status == "won"`
    deal("B-3", "B", "6000", "2026-02-10", status="open"),
    deal("B-4", "B", "2500", "2026-03-01"),
    deal("B-5", "B", "400", "2026-03-29", status="cancelled"),
]


def test_date_functions_pick_deals_by_month_within_the_quarter():
    population = Population(MONTHLY, sales([person("A"), person("B")], MONTHLY_DEALS), Q1)
    results = {r.payee: r for r in population.run(trace=True)}
    a, b = results["A"].values, results["B"].values
    # A: won in Q1 1,000 + 300 (January), 200 (February), 50 (March); are outside
    assert (a["revenue"], a["m1_revenue"], a["m2_revenue"], a["m3_revenue"]) == (D(1550), D(1300), D(200), D(50))
    # B: won in Q1 800 (January) and 2,500 (March); B-2 lost, B-3 open, B-5 cancelled
    assert (b["revenue"], b["m1_revenue"], b["m2_revenue"], b["m3_revenue"]) == (D(3300), D(800), D(0), D(2500))
    # `month(date) == 1` alone takes every January, whatever the period, B-1
    assert (a["january_revenue"], b["january_revenue"]) == (D(1300), D(800))
    # won on the 28th or later in 2026: A-2 (31st), A-3 (28th), A-4 (31st); none of B's won deals
    assert (a["last_days"], b["last_days"]) == (D(3), D(0))
    # any status, in Q1 2026: A-1..A-4; B-1..B-5
    assert (a["q1_deals"], b["q1_deals"]) == (D(4), D(5))
    assert (a["lost"], b["lost"], a["still_open"], b["still_open"]) == (D(0), D(1), D(0), D(6000))
    # the first month's star is A (1,300 against 800); the third month's is B (2,500 against 50)
    assert [x.name for x in results["A"].awards if x.granted] == ["star_one"]
    assert [x.name for x in results["B"].awards if x.granted] == []
    assert amounts(results, "star_prize") == {"A": D("0.00"), "B": D("500.00")}
    assert amounts(results, "commission") == {"A": D("155.00"), "B": D("330.00")}


def test_the_same_measures_in_another_quarter_take_its_months():
    q2 = parse_period("2026-Q2")
    deals = [deal("A-1", "A", "100", "2026-04-01"), deal("A-2", "A", "20", "2026-05-31"),
             deal("A-3", "A", "3", "2026-06-30"), deal("A-4", "A", "9000", "2026-03-31")]
    [r] = Population(MONTHLY, sales([person("A")], deals), q2).run(trace=True)
    assert (r.values["m1_revenue"], r.values["m2_revenue"], r.values["m3_revenue"]) == (D(100), D(20), D(3))
    assert r.values["january_revenue"] == D(0)


# ---- `date in period`: both ends included ---------------------------------------------------------------

IN_PERIOD = compile_text('''plan "In period" { currency USD period month }
input hired: date
measure closed = count of deals where date in period
let hired_in = hired in period
component c { pay 1 USD * closed }
''', "in_period.plan")


@pytest.mark.parametrize("period, inside, outside", [
    ("2026-02", ["2026-02-01", "2026-02-28"], ["2026-01-31", "2026-03-01"]),
    ("2028-02", ["2028-02-01", "2028-02-29"], ["2028-01-31", "2028-03-01"]),   # a leap February
    ("2026-Q4", ["2026-10-01", "2026-12-31"], ["2026-09-30", "2027-01-01"]),   # across the year end
    ("2026-01-15..2026-01-15", ["2026-01-15"], ["2026-01-14", "2026-01-16"]),  # a one-day period
])
def test_in_period_includes_the_first_and_last_day_only(period, inside, outside):
    start, end = parse_period(period)
    deals = [deal(f"D{i}", "A", "1", d) for i, d in enumerate(inside + outside)]
    [r] = Population(IN_PERIOD, sales([person("A", hired=start)], deals), (start, end)).run(trace=True)
    assert r.values["closed"] == D(len(inside))
    for d, expected in [*((d, True) for d in inside), *((d, False) for d in outside)]:
        values = {"hired": date(d), "period_start": start, "period_end": end}
        assert IN_PERIOD.evaluator.run(values, "x", trace=True).values["hired_in"] is expected, d


def test_in_period_is_the_two_comparisons():
    plan = compile_text('''plan "Both" { currency USD period quarter }
input d: date
let a = d in period
let b = d >= period_start and d <= period_end
component c { pay 1 USD }
''', "both.plan")
    day = Q1[0] - dt.timedelta(days=3)
    while day <= Q1[1] + dt.timedelta(days=3):
        r = plan.evaluator.run({"d": day, "period_start": Q1[0], "period_end": Q1[1]}, "x", trace=True)
        assert r.values["a"] == r.values["b"], day
        day += dt.timedelta(days=1)


# ---- deal statuses -----------------------------------------------------------------------------------------


def test_open_and_lost_are_deal_statuses():
    assert DEAL_STATUSES == ("won", "cancelled", "refunded", "churned", "open", "lost")


@pytest.mark.parametrize("status", DEAL_STATUSES)
def test_a_condition_may_name_any_status(status):
    compile_text(f'plan "S" {{ currency USD period quarter }}\n'
                 f'measure n = count of deals where status == "{status}"\ncomponent c {{ pay 1 USD * n }}', "s.plan")


STATUS_PLAN = compile_text('''plan "Statuses" { currency USD period quarter }
measure won = sum amount of deals where status == "won" and date in period
measure lost = count of deals where status == "lost"
measure pipeline = sum amount of deals where status == "open"
measure closed = count of deals where status in {"won", "lost"}
component commission { pay 10% of won }
''', "statuses.plan")


def test_the_loader_accepts_open_and_lost_and_won_leaves_them_out(tmp_path):
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    deals = write_csv(tmp_path / "deals.csv", ("id", "owner", "amount", "date", "status"), [
        ("D1", "A", "1000", "2026-01-10", "won"),
        ("D2", "A", "2000", "2026-01-11", "lost"),
        ("D3", "A", "4000", "2026-01-12", "open"),
        ("D4", "A", "8000", "2026-01-13", "cancelled"),
        ("D5", "A", "16000", "2026-01-14", "refunded"),
        ("D6", "A", "32000", "2026-01-15", ""),            # no status: won
    ])
    assert [d["status"] for d in load(STATUS_PLAN, people, deals).deals] == [
        "won", "lost", "open", "cancelled", "refunded", "won"]
    r = run_files(STATUS_PLAN, people, deals, period=Q1, trace=True)["A"]
    # won: D1 and D6, 33,000; lost: D2; open: D3, 4,000; won or lost: D1, D2, D6
    assert (r.values["won"], r.values["lost"], r.values["pipeline"], r.values["closed"]) == (
        D(33000), D(1), D(4000), D(3))
    assert r.component("commission").amount == D("3300.00")


def test_an_unknown_status_lists_every_status(tmp_path):
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    deals = write_csv(tmp_path / "deals.csv", ("id", "owner", "amount", "date", "status"),
                      [("D1", "A", "1000", "2026-01-10", "pending")])
    with pytest.raises(DataError) as e:
        load(STATUS_PLAN, people, deals)
    [problem] = e.value.problems
    assert problem.startswith(f"{deals}: row 2, column status: expected one of won, cancelled, refunded, churned, open, lost;")
    assert '"pending"' in problem


# ---- the bundled CRM mappings ----------------------------------------------------------------------------


@pytest.mark.parametrize("file, stage, status", [
    ("salesforce_opportunities.toml", "Closed Won", "won"),
    ("salesforce_opportunities.toml", "Closed Lost", "lost"),
    ("salesforce_opportunities.toml", " Closed Lost ", "lost"),
    ("salesforce_opportunities.toml", "Prospecting", "open"),
    ("salesforce_opportunities.toml", "Qualification", "open"),
    ("salesforce_opportunities.toml", "Proposal/Price Quote", "open"),
    ("salesforce_opportunities.toml", "Negotiation/Review", "open"),
    ("hubspot_deals.toml", "closedwon", "won"),
    ("hubspot_deals.toml", "closedlost", "lost"),
    ("hubspot_deals.toml", "Closed lost", "lost"),
    ("hubspot_deals.toml", "Closed Lost", "lost"),
    ("hubspot_deals.toml", "appointmentscheduled", "open"),
    ("hubspot_deals.toml", "contractsent", "open"),
    ("hubspot_deals.toml", "Decision maker bought-in", "open"),
])
def test_the_bundled_mappings_translate_stages(file, stage, status):
    mapping = load_mapping(MAPPINGS / file)["deals"]
    assert mapping.apply({"status": stage}, rename=False)["status"] == status


@pytest.mark.parametrize("file", ["salesforce_opportunities.toml", "hubspot_deals.toml"])
def test_every_stage_a_bundled_mapping_gives_is_a_status(file):
    stages = load_mapping(MAPPINGS / file)["deals"].values["status"]
    assert set(stages.values()) == {"won", "lost", "open"}
    assert "cancelled" not in stages.values()


def test_a_salesforce_export_with_open_and_lost_opportunities_loads(tmp_path):
    mapping = load_mapping(MAPPINGS / "salesforce_opportunities.toml")
    people = write_csv(tmp_path / "people.csv", ("id",), [("AE-01",)])
    deals = write_csv(tmp_path / "opportunities.csv",
                      ("Opportunity ID", "Opportunity Owner", "Amount", "Close Date", "Stage"), [
                          ("OPP-1", "Dana Whitfield", "1,000.00", "01/15/2026", "Closed Won"),
                          ("OPP-2", "Dana Whitfield", "2,000.00", "02/15/2026", "Closed Lost"),
                          ("OPP-3", "Dana Whitfield", "4,000.00", "03/15/2026", "Negotiation/Review"),
                      ])
    assert [d["status"] for d in load(STATUS_PLAN, people, deals, mappings=mapping).deals] == ["won", "lost", "open"]
    [r] = Population(STATUS_PLAN, load(STATUS_PLAN, people, deals, mappings=mapping), Q1).run(trace=True)
    assert (r.values["won"], r.values["lost"], r.values["pipeline"]) == (D(1000), D(1), D(4000))


# ---- checker errors -----------------------------------------------------------------------------------------


def errors_of(text: str) -> list[tuple[str, int, int, str]]:
    with pytest.raises(PlanError) as e:
        compile_text(text, "bad.plan")
    return [(d.code, d.span.line, d.span.column, d.message) for d in e.value.errors]


HEAD = 'plan "Bad" { currency USD period quarter }\n'


@pytest.mark.parametrize("expr, code, column, message", [
    ("month(revenue)", "type", 15, "`month` takes a date, but this is money"),
    ("year(3)", "type", 14, "`year` takes a date, but this is a number"),
    ('quarter("2026-01-31")', "type", 17, "`quarter` takes a date, but this is text"),
    ("day(hired > hired)", "type", 13, "`day` takes a date, but this is true/false"),
    ("day()", "arity", 9, "`day` takes one date"),
    ("month(hired, hired)", "arity", 9, "`month` takes one date"),
    ("days_between(hired, 5)", "type", 29, "each argument of `days_between` must be a date, but this is a number"),
    ("revenue in period", "type", 9, "`in period` tests a date, but this is money"),
    ("month(hired) in period", "type", 9, "`in period` tests a date, but this is a count"),
])
def test_wrong_arguments_are_type_errors_at_the_argument(expr, code, column, message):
    text = HEAD + f"input revenue: money\ninput hired: date\nlet x = {expr}\ncomponent c {{ pay revenue }}\n"
    assert errors_of(text) == [(code, 4, column, message)]


def test_a_text_date_gets_a_hint_to_drop_the_quotes():
    with pytest.raises(PlanError) as e:
        compile_text(HEAD + 'let y = year("2026-01-31")\ncomponent c { pay 1 USD }', "bad.plan")
    [d] = e.value.errors
    assert d.hint == "a date is written without quotes: `2026-01-31`"


def test_a_wrong_argument_in_a_deal_condition_names_the_deal_column():
    text = HEAD + 'measure jan = sum amount of deals where status == "won" and month(amount) == 1\n' \
                  'component c { pay jan }\n'
    assert errors_of(text) == [("type", 2, 67, "`month` takes a date, but this is money")]


def test_in_period_where_there_is_no_period_is_an_error():
    text = HEAD + ('input revenue: money\ninput new_hire: bool default 2026-01-05 in period\n'
                   'component c { pay revenue }\n'
                   'example "e" {\n  given revenue = 1 USD, new_hire = 2026-02-01 in period\n  expect c = 1 USD\n}\n')
    assert errors_of(text) == [
        ("name", 3, 30, "there is no period in an input declaration"),
        ("name", 6, 37, "there is no period in an example: give constant values"),
    ]


def test_a_comparison_with_a_date_function_has_units():
    # a count compares with a number; not with a date or money
    text = HEAD + 'input hired: date\nlet a = month(hired) == 2026-01-01\nlet b = day(hired) > 5 USD\n' \
                  'component c { pay 1 USD }\n'
    assert [(code, line) for code, line, _, _ in errors_of(text)] == [("units", 3), ("units", 4)]
