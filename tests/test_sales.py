"""Sales data: deals from CSV, JSON and Parquet (with column mappings), measures of deals, team and
reports, per-deal and running tiers, the period, and `incentives run` over people, deals and splits.

Every expected amount is worked out by hand in a comment beside it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sales_strategies import (
    amounts,
    deal,
    load,
    marginal_plan,
    person,
    run_files,
    sales,
    write_csv,
)
from strategies import money, rate_tables
from typer.testing import CliRunner

from incentives import DataError, compile_text
from incentives.cli.app import EXIT_DATA, EXIT_EVAL, EXIT_USAGE, app
from incentives.explain.build import explain
from incentives.sales.population import Population, parse_period
from incentives.sales.tables import load_mapping
from incentives.engine.tiers import Band

D = Decimal
runner = CliRunner()

DEALS = ("id", "owner", "amount", "date")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


# ---- worked examples: tiers deal by deal ----------------------------------------------------------

BANDS = ("from 0 USD to 1_000 USD: 1%  from 1_000 USD to 3_000 USD: 2%  "
         "from 3_000 USD to 8_000 USD: 3%  from 8_000 USD to 20_000 USD: 5%")
TIERED = compile_text(f'''plan "Deal tiers" {{ currency USD period quarter }}
measure sold = sum amount of deals
component per_deal {{ tiers marginal per deal on amount {{ {BANDS} }} }}
component running {{ tiers marginal running on amount {{ {BANDS} }} }}
component period_total {{ tiers marginal on sold {{ {BANDS} }} }}
''', "tiered.plan")
# in date order; d3 and d4 share a date and go by id
TIERED_DEALS = [("d1", "A", "200", "2026-01-05"), ("d2", "A", "300", "2026-01-09"), ("d4", "A", "1200", "2026-02-01"),
                ("d3", "A", "1500", "2026-02-01"), ("d5", "A", "2000", "2026-02-20"), ("d6", "A", "4500", "2026-03-30")]


@pytest.fixture
def tiered(tmp_path):
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    deals = write_csv(tmp_path / "deals.csv", DEALS, TIERED_DEALS)
    return run_files(TIERED, people, deals, trace=True)["A"]


def deal_pays(result, component: str) -> list[tuple[str, Decimal]]:
    [item] = result.component(component).items
    return [(p.deal, p.amount) for p in item.deals]


def test_per_deal_tiers_pay_each_deal_alone(tiered):
    # 200: 1% x 200 = 2; 300: 3; 1,500: 10 + 2% x 500 = 20; 1,200: 10 + 4 = 14; 2,000: 10 + 20 = 30;
    # 4,500: 10 + 40 + 3% x 1,500 = 95
    assert deal_pays(tiered, "per_deal") == [("d1", D(2)), ("d2", D(3)), ("d3", D(20)), ("d4", D(14)),
                                             ("d5", D(30)), ("d6", D(95))]
    assert tiered.component("per_deal").amount == D("164.00")


def test_running_tiers_pay_what_each_deal_adds_to_the_marginal_payout_of_the_running_total(tiered):
    # running totals 200, 500, 2,000, 3,200, 5,200, 9,700; the marginal payout of each:
    # 2, 5, 10 + 20 = 30, 10 + 40 + 6 = 56, 10 + 40 + 66 = 116, 10 + 40 + 150 + 5% x 1,700 = 285;
    # each deal is paid the difference: 2, 3, 25, 26, 60, 169
    assert deal_pays(tiered, "running") == [("d1", D(2)), ("d2", D(3)), ("d3", D(25)), ("d4", D(26)),
                                            ("d5", D(60)), ("d6", D(169))]
    assert tiered.component("running").amount == D("285.00")
    # the running total pays what the period's total pays through the same bands
    assert tiered.component("period_total").amount == D("285.00")
    assert tiered.total == D("734.00")


def test_running_tiers_breakdown_shows_the_running_total_before_each_deal(tiered):
    b = explain(TIERED, tiered)
    running = next(c for c in b.components if c.name == "running").items[0]
    assert running.tier_kind == "marginal"
    assert [(d.id, d.running_before, d.base, d.paid) for d in running.deals] == [
        ("d1", "0.00", "200.00", "2.00"), ("d2", "200.00", "300.00", "3.00"), ("d3", "500.00", "1500.00", "25.00"),
        ("d4", "2000.00", "1200.00", "26.00"), ("d5", "3200.00", "2000.00", "60.00"),
        ("d6", "5200.00", "4500.00", "169.00")]
    assert running.formula == "2.00 + 3.00 + 25.00 + 26.00 + 60.00 + 169.00 = 285.00"
    per_deal = next(c for c in b.components if c.name == "per_deal").items[0]
    assert "d6 (2026-03-30): 4,500.00: 1% x 1,000.00 + 2% x 2,000.00 + 3% x 1,500.00 = 95.00" in per_deal.details


def test_per_deal_tiers_pick_deals_with_where_and_read_the_payees_inputs(tmp_path):
    plan = compile_text('''plan "Where" { currency USD period quarter }
input floor_amount: money default 0 USD
component big_hardware {
  tiers retroactive per deal on amount where product_line == "hardware" and amount >= floor_amount {
    from 0 USD to 1_000 USD: 5%  from 1_000 USD: 10%
  }
}
''', "where.plan")
    people = write_csv(tmp_path / "people.csv", ("id", "floor_amount"), [("A", "500"), ("B", "")])
    deals = write_csv(tmp_path / "deals.csv", (*DEALS, "product_line"), [
        ("d1", "A", "400", "2026-01-05", "hardware"), ("d2", "A", "800", "2026-01-06", "hardware"),
        ("d3", "A", "1000", "2026-01-07", "hardware"), ("d4", "A", "5000", "2026-01-08", "software"),
        ("d5", "B", "400", "2026-01-05", "hardware")])
    results = run_files(plan, people, deals)
    # A: d1 is under A's floor, d4 is software; 5% x 800 + 10% x 1,000 = 140; B: 5% x 400 = 20
    assert amounts(results, "big_hardware") == {"A": D("140.00"), "B": D("20.00")}


# ---- adding a deal never lowers a marginal-tier payout ---------------------------------------------------


@st.composite
def deal_books(draw, amount=None, days: int = 90):
    """Deals of one payee (amount, day of the quarter) and one more deal to add."""
    amount = amount if amount is not None else money(0, 20_000)
    rows = draw(st.lists(st.tuples(amount, st.integers(0, days - 1)), max_size=6))
    extra = draw(st.tuples(amount, st.integers(0, days - 1)))
    return rows, extra


def pay_with(plan, rows) -> dict[str, Decimal]:
    start = dt.date(2026, 1, 1)
    book = [deal(f"d{i:02d}", "A", a, start + dt.timedelta(days=day)) for i, (a, day) in enumerate(rows)]
    [result] = Population(plan, sales([person("A")], book)).run()
    return {c.name: c.amount for c in result.components}


@settings(max_examples=100)
@given(rate_tables(), deal_books())
def test_adding_a_deal_never_lowers_per_deal_or_period_total_marginal_pay(bands, book):
    rows, extra = book
    plan = marginal_plan(bands)
    before, after = pay_with(plan, rows), pay_with(plan, [*rows, extra])
    assert after["per_deal"] >= before["per_deal"]
    assert after["period_total"] >= before["period_total"]


def rising(bands: list[Band]) -> list[Band]:
    rates = sorted(b.value for b in bands)
    return [Band(b.lower, b.upper, r) for b, r in zip(bands, rates)]


@settings(max_examples=100)
@given(rate_tables().map(rising), deal_books())
def test_adding_a_deal_never_lowers_running_marginal_pay_when_rates_rise(bands, book):
    rows, extra = book
    plan = marginal_plan(bands)
    assert pay_with(plan, [*rows, extra])["running"] >= pay_with(plan, rows)["running"]


@st.composite
def whole_rate_tables(draw):
    """Bands on whole currency units with whole-percent rates, in any order: marginal pay is whole cents."""
    n = draw(st.integers(1, 5))
    widths = draw(st.lists(st.integers(1, 5_000), min_size=n - 1, max_size=n - 1))
    lows = [0]
    for w in widths:
        lows.append(lows[-1] + w)
    uppers = [*lows[1:], None]
    return [Band(D(lo), None if hi is None else D(hi), D(draw(st.integers(0, 100))) / 100)
            for lo, hi in zip(lows, uppers)]


@settings(max_examples=100)
@given(whole_rate_tables(), deal_books(amount=st.integers(0, 20_000).map(D)))
def test_adding_a_deal_never_lowers_running_marginal_pay_and_running_equals_the_period_total(bands, book):
    rows, extra = book
    plan = marginal_plan(bands)
    before, after = pay_with(plan, rows), pay_with(plan, [*rows, extra])
    assert after["running"] >= before["running"]
    assert after["per_deal"] >= before["per_deal"]
    # with no rounding in play, the running increments add up to the period total's marginal pay
    assert before["running"] == before["period_total"]
    assert after["running"] == after["period_total"]


def test_adding_an_earlier_deal_never_lowers_running_pay_with_falling_rates():
    bands = [Band(D(0), D(1), D("0.005")), Band(D(1), None, D(0))]
    plan = marginal_plan(bands)
    # alone, the 1.00 deal adds 0.005 -> 0.01; after a 0.50 deal dated before it, each adds 0.0025 -> 0.00
    alone = pay_with(plan, [(D("1.00"), 10)])
    both = pay_with(plan, [(D("1.00"), 10), (D("0.50"), 0)])
    assert alone["running"] == D("0.01") and both["period_total"] == D("0.01")
    assert both["running"] >= alone["running"]


# ---- measures of deals ---------------------------------------------------------------------------

PERIOD_COND = "status == \"won\" and date >= period_start and date <= period_end"
MEASURES = compile_text(f'''plan "Measures" {{ currency USD period quarter }}
input floor_amount: money default 0 USD
measure won = sum amount of deals where {PERIOD_COND}
measure won_count = count of deals where {PERIOD_COND}
measure average_won = average amount of deals where {PERIOD_COND}
measure smallest = min amount of deals where {PERIOD_COND}
measure largest = max amount of deals where {PERIOD_COND}
measure hardware = sum amount of deals where product_line == "hardware" and status == "won"
measure new_logos = count of deals where new_customer and status == "won"
measure rich = sum amount of deals where margin >= 40% of amount
measure refunds = sum amount of deals where status == "refunded"
measure big = count of deals where amount >= floor_amount
measure all_deals = count of deals
component commission {{ pay 10% of won  pay 1% of average_won }}
''', "measures.plan")
MEASURE_DEALS = [
    # id, owner, amount, date, status, product_line, new_customer, margin
    ("d1", "A", "1000", "2026-01-10", "won", "hardware", "yes", "400"),
    ("d2", "A", "500", "2026-02-15", "won", "software", "no", "100"),
    ("d3", "A", "2000", "2026-03-31", "won", "hardware", "", "500"),          # the last day of Q1
    ("d4", "A", "700", "2026-04-01", "won", "hardware", "true", "300"),       # Q2
    ("d5", "A", "300", "2026-02-01", "cancelled", "hardware", "y", "150"),
    ("d6", "A", "250", "2026-01-01", "refunded", "software", "0", "50"),      # the first day of Q1
    ("d7", "A", "900", "2025-12-31", "won", "software", "1", "450"),          # the day before Q1
    ("d8", "B", "100", "2026-01-20", "", "software", "false", "10"),          # status defaults to won
]
MEASURE_COLUMNS = (*DEALS, "status", "product_line", "new_customer", "margin")


@pytest.fixture
def measure_files(tmp_path):
    people = write_csv(tmp_path / "people.csv", ("id", "floor_amount"), [("A", "1000"), ("B", ""), ("C", "")])
    deals = write_csv(tmp_path / "deals.csv", MEASURE_COLUMNS, MEASURE_DEALS)
    return people, deals


def measures(result) -> dict[str, Decimal]:
    return {name: result.values[name] for name in (m.name for m in MEASURES.ir.measures)}


def test_measures_of_deals_in_the_period(measure_files):
    results = run_files(MEASURES, *measure_files, period=parse_period("2026-Q1"), trace=True)
    a = measures(results["A"])
    with decimal.localcontext(decimal.Context(prec=34)):
        third = D(3500) / 3
    # won in Q1: d1, d2, d3 (d4 is in Q2, d7 in Q4 2025, d5 cancelled, d6 refunded)
    assert a == {"won": D(3500), "won_count": D(3), "average_won": third, "smallest": D(500), "largest": D(2000),
                 "hardware": D(3700),          # won hardware whatever the date: d1, d3, d4
                 "new_logos": D(3),            # won and new: d1, d4, d7
                 "rich": D(2900),              # margin at least 40%: d1, d4, d5, d7
                 "refunds": D(250), "big": D(2), "all_deals": D(7)}
    # 10% x 3,500 + 1% x 1,166.67 = 350.00 + 11.67
    assert results["A"].total == D("361.67")
    assert measures(results["B"])["won"] == D(100)
    # nobody's deals: every aggregate of nothing is 0
    assert set(measures(results["C"]).values()) == {D(0)}
    assert results["C"].total == D("0.00")


def test_measures_follow_the_period_given(measure_files):
    q2 = run_files(MEASURES, *measure_files, period=parse_period("2026-Q2"), trace=True)["A"]
    assert (q2.values["won"], q2.values["won_count"], q2.values["smallest"], q2.values["largest"]) == \
        (D(700), D(1), D(700), D(700))
    year = run_files(MEASURES, *measure_files, period=parse_period("2026"), trace=True)["A"]
    assert year.values["won"] == D(4200)
    days = run_files(MEASURES, *measure_files, period=parse_period("2025-12-31..2026-01-10"), trace=True)["A"]
    assert days.values["won"] == D(1900)  # d7 and d1


def test_without_a_period_the_plans_effective_dates_are_the_period(measure_files):
    plan = compile_text(f'''plan "Effective" {{ currency USD period quarter effective 2026-04-01 to 2026-06-30 }}
measure won = sum amount of deals where {PERIOD_COND}
component commission {{ pay 10% of won }}
''', "effective.plan")
    results = run_files(plan, *measure_files)
    assert amounts(results, "commission")["A"] == D("70.00")
    # an explicit period wins over the effective dates
    assert amounts(run_files(plan, *measure_files, period=parse_period("2026-Q1")), "commission")["A"] == \
        D("350.00")


def test_breakdown_lists_the_deals_behind_each_measure(measure_files):
    results = run_files(MEASURES, *measure_files, period=parse_period("2026-Q1"), trace=True)
    b = explain(MEASURES, results["A"])
    won = next(m for m in b.measures if m.name == "won")
    assert won.formula == f"sum amount of deals where {PERIOD_COND}"
    assert [(d.id, d.date, d.amount, d.credit, d.share) for d in won.deals] == [
        ("d1", "2026-01-10", "1000.00", "owner", "1"), ("d2", "2026-02-15", "500.00", "owner", "1"),
        ("d3", "2026-03-31", "2000.00", "owner", "1")]
    assert won.shown == "3,500.00"


@pytest.mark.parametrize("period, problem", [("2026-Q5", "expected 2026, 2026-H1"), ("2026-H3", "expected"),
                                             ("2026-02-30..2026-03-01", "expected"),
                                             ("2026-03-01..2026-02-01", "ends before it starts")])
def test_a_bad_period_is_a_data_error(period, problem):
    with pytest.raises(DataError, match=problem):
        parse_period(period)


@pytest.mark.parametrize("text, first, last", [
    ("2026", "2026-01-01", "2026-12-31"), ("2026-H2", "2026-07-01", "2026-12-31"),
    ("2026-q1", "2026-01-01", "2026-03-31"), ("2024-02", "2024-02-01", "2024-02-29"),
    ("2026-12", "2026-12-01", "2026-12-31"), (" 2026-01-05..2026-01-05 ", "2026-01-05", "2026-01-05")])
def test_periods_are_first_and_last_days(text, first, last):
    assert parse_period(text) == (dt.date.fromisoformat(first), dt.date.fromisoformat(last))


def test_team_and_reports_measures(tmp_path):
    plan = compile_text('''plan "Org" { currency USD period quarter }
measure won = sum amount of deals
measure team_won = sum won of team
measure team_best = max won of team
measure team_average = average won of team
measure team_size = count of team
measure org_won = sum won of reports
measure heads = count of reports
measure big_reports = count of reports where won >= 1_000 USD
measure weakest_report = min won of reports
component override { pay 2% of org_won }
component team_bonus { pay 1% of team_won }
''', "org.plan")
    people = write_csv(tmp_path / "people.csv", ("id", "team", "manager"), [
        ("M", "", ""), ("A", "east", "M"), ("B", "east", "M"), ("C", "west", "A"), ("Z", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [
        ("d1", "A", "1000", "2026-01-05"), ("d2", "B", "300", "2026-01-06"), ("d3", "C", "2000", "2026-01-07"),
        ("d4", "M", "50", "2026-01-08")])
    results = run_files(plan, people, deals, trace=True)
    got = {pid: {k: r.values[k] for k in ("won", "team_won", "team_best", "team_average", "team_size", "org_won",
                                          "heads", "big_reports", "weakest_report")} for pid, r in results.items()}
    # the team is everyone with the same team (the payee too; no team: the payee alone);
    # reports are everyone below the payee, at any depth
    assert got["M"] == {"won": D(50), "team_won": D(50), "team_best": D(50), "team_average": D(50),
                        "team_size": D(1), "org_won": D(3300), "heads": D(3), "big_reports": D(2),
                        "weakest_report": D(300)}
    assert got["A"] == {"won": D(1000), "team_won": D(1300), "team_best": D(1000), "team_average": D(650),
                        "team_size": D(2), "org_won": D(2000), "heads": D(1), "big_reports": D(1),
                        "weakest_report": D(2000)}
    assert got["B"]["team_won"] == D(1300) and got["B"]["org_won"] == 0 and got["B"]["heads"] == 0
    assert got["Z"]["team_size"] == D(1) and got["Z"]["org_won"] == 0
    # 2% x 3,300 + 1% x 50
    assert results["M"].total == D("66.50")
    people_of = {m.name: m.people for m in explain(plan, results["M"]).measures}
    assert sorted(p["id"] for p in people_of["org_won"]) == ["A", "B", "C"]
    assert sorted(p["id"] for p in people_of["big_reports"]) == ["A", "C"]


@pytest.mark.parametrize("plan_text, column", [
    ('measure m = sum margin of deals\ncomponent c { pay 10% of m }', "margin"),
    ('measure m = sum amount of deals where margin > 0 USD\ncomponent c { pay 10% of m }', "margin"),
    ('measure m = sum amount of deals where cost < amount\ncomponent c { pay 10% of m }', "cost"),
    ('deals { field region: text }\nmeasure m = sum amount of deals where region == "East"\n'
     + 'component c { pay 10% of m }', "region"),
    ('deals { field region: text }\ncomponent c { tiers step per deal on amount where region == "East" '
     + '{ from 0 USD: 5 USD } }', "region"),
], ids=["sum-margin", "where-margin", "cost", "declared-field", "per-deal-where"])
def test_a_deal_column_the_plan_reads_must_be_given_on_every_deal(tmp_path, plan_text, column):
    plan = compile_text(f'plan "Empty" {{ currency USD period quarter }}\n{plan_text}\n', "empty.plan")
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    deals = write_csv(tmp_path / "deals.csv", (*DEALS, column), [("d1", "A", "100", "2026-01-05", "10"),
                                                                  ("d2", "A", "200", "2026-01-06", "")])
    with pytest.raises(DataError) as e:
        load(plan, people, deals)
    [problem] = e.value.problems
    assert problem.startswith(f"{deals}: row 3, column {column}: no value")
    # a deal column the plan does not read may be left empty
    unread = compile_text('plan "U" { currency USD period quarter }\nmeasure m = sum amount of deals\n'
                          'component c { pay m }\n', "u.plan")
    assert amounts(run_files(unread, people, deals), "c") == {"A": D("300.00")}


# ---- deals from CSV, JSON and Parquet -------------------------------------------------------------------

FORMATS = compile_text('''plan "Formats" { currency USD period quarter }
crediting { splits }
deals { field region: text }
measure won = sum amount of deals where status == "won" and new_customer
measure gross = sum margin of deals where region == "East"
component commission { pay 10% of won  pay 5% of gross }
''', "formats.plan")
FORMAT_DEALS = [
    {"id": "d1", "owner": "A", "amount": "1000.50", "date": "2026-01-05", "status": "won", "new_customer": True,
     "margin": "300.25", "region": "East"},
    {"id": "d2", "owner": "A", "amount": "0.10", "date": "2026-01-06", "status": "won", "new_customer": True,
     "margin": "0.20", "region": "West"},
    {"id": "d3", "owner": "B", "amount": "0.20", "date": "2026-01-07", "status": "won", "new_customer": True,
     "margin": "0.10", "region": "East"},
    {"id": "d4", "owner": "B", "amount": "5000", "date": "2026-01-08", "status": "cancelled", "new_customer": False,
     "margin": "1000", "region": "East"},
]


def format_files(tmp_path, kind: str):
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",), ("B",)])
    splits = write_csv(tmp_path / "splits.csv", ("deal", "person", "share"), [("d1", "B", "40%")])
    if kind == "csv":
        deals = write_csv(tmp_path / "deals.csv", list(FORMAT_DEALS[0]),
                          [["yes" if v is True else "no" if v is False else v for v in d.values()]
                           for d in FORMAT_DEALS])
    elif kind == "json":
        deals = tmp_path / "deals.json"
        # JSON numbers (read back as exact decimals, never binary floats)
        doc = {"deals": [{**d, "amount": float(d["amount"]), "margin": float(d["margin"])} for d in FORMAT_DEALS]}
        deals.write_text(json.dumps(doc), encoding="utf-8")
    else:
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        deals = tmp_path / "deals.parquet"
        pq.write_table(pa.table({
            "id": [d["id"] for d in FORMAT_DEALS], "owner": [d["owner"] for d in FORMAT_DEALS],
            "amount": [float(d["amount"]) for d in FORMAT_DEALS],                     # binary doubles
            "date": [dt.date.fromisoformat(d["date"]) for d in FORMAT_DEALS],
            "status": [d["status"] for d in FORMAT_DEALS], "new_customer": [d["new_customer"] for d in FORMAT_DEALS],
            "margin": [float(d["margin"]) for d in FORMAT_DEALS], "region": [d["region"] for d in FORMAT_DEALS]}),
            deals)
    return people, deals, splits


@pytest.mark.parametrize("kind", ["csv", "json", "parquet"])
def test_deals_from_csv_json_and_parquet_give_the_same_results(tmp_path, kind):
    results = run_files(FORMATS, *format_files(tmp_path, kind), trace=True)
    # A: 60% of 1,000.50 + 0.10 = 600.40 won; margin East 60% of 300.25 = 180.15
    # B: 40% of 1,000.50 + 0.20 = 400.40 won; margin East 40% of 300.25 + 0.10 + 1,000 = 1,120.20
    assert {pid: (r.values["won"], r.values["gross"]) for pid, r in results.items()} == {
        "A": (D("600.40"), D("180.15")), "B": (D("400.40"), D("1120.20"))}
    # 10% x 600.40 + 5% x 180.15 = 60.04 + 9.01 (9.0075); 40.04 + 56.01
    assert {pid: r.total for pid, r in results.items()} == {"A": D("69.05"), "B": D("96.05")}


def test_parquet_doubles_arrive_as_the_exact_decimals_they_print_as(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    plan = compile_text('plan "F" { currency USD period quarter rounding half_up at payout }\n'
                        'measure sold = sum amount of deals\ncomponent c { pay sold }\n', "f.plan")
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    deals = tmp_path / "deals.parquet"
    pq.write_table(pa.table({"id": ["d1", "d2"], "owner": ["A", "A"], "amount": [0.1, 0.2],
                             "date": [dt.datetime(2026, 1, 5, 17, 30), dt.datetime(2026, 1, 6)]}), deals)
    assert 0.1 + 0.2 != 0.3
    result = run_files(plan, people, deals, trace=True)["A"]
    assert result.values["sold"] == D("0.3")
    assert [d["date"] for d in load(plan, people, deals).deals] == [dt.date(2026, 1, 5), dt.date(2026, 1, 6)]


MAPPING = '''
[people.columns]
"Rep" = "id"

[deals.columns]
"Opportunity ID" = "id"
"Opportunity Owner" = "owner"
"Amount" = "amount"
"Close Date" = "date"
"Stage" = "status"
"New Logo" = "new_customer"

[deals.values.status]
"Closed Won" = "won"
"Closed Lost" = "cancelled"
"Clawback" = "refunded"

[deals]
date_format = "%m/%d/%Y"

[splits.columns]
"Opportunity" = "deal"
"Teammate" = "person"
"Percent" = "share"
'''
MAPPED = compile_text('''plan "Mapped" { currency USD period quarter }
crediting { splits }
measure won = sum amount of deals where status == "won" and date >= period_start and date <= period_end
measure lost = count of deals where status == "cancelled"
measure new_logos = count of deals where new_customer
component commission { pay 10% of won }
''', "mapped.plan")


def mapped_files(tmp_path, deal_rows=None):
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")
    people = write_csv(tmp_path / "people.csv", ("Rep",), [("A",), ("B",)])
    deals = write_csv(tmp_path / "deals.csv", ("Opportunity ID", "Opportunity Owner", "Amount", "Close Date", "Stage",
                                               "New Logo"), deal_rows or [
        ("006-1", "A", "1,000.00", "01/15/2026", "Closed Won", "Yes"),
        ("006-2", "A", "400", "03/31/2026", " Closed Won ", "No"),
        ("006-3", "B", "9000", "02/01/2026", "Closed Lost", "No"),
        ("006-4", "B", "700", "04/01/2026", "Closed Won", "No")])
    splits = write_csv(tmp_path / "splits.csv", ("Opportunity", "Teammate", "Percent"), [("006-1", "B", "25%")])
    return people, deals, splits, load_mapping(tmp_path / "map.toml")


def test_a_column_mapping_renames_columns_translates_stages_and_parses_dates(tmp_path):
    people, deals, splits, mapping = mapped_files(tmp_path)
    results = run_files(MAPPED, people, deals, splits, period=parse_period("2026-Q1"), trace=True, mappings=mapping)
    # A: 75% of 1,000 + 400 = 1,150 won in Q1; B: 25% of 1,000 (006-4 closes in Q2)
    assert {pid: r.values["won"] for pid, r in results.items()} == {"A": D(1150), "B": D(250)}
    assert results["B"].values["lost"] == D(1)
    assert results["A"].values["new_logos"] == D(1) and results["B"].values["new_logos"] == D(1)  # 006-1, split
    assert amounts(results, "commission") == {"A": D("115.00"), "B": D("25.00")}
    dates = {d["id"]: d["date"] for d in load(MAPPED, people, deals, splits, mapping).deals}
    assert dates == {"006-1": dt.date(2026, 1, 15), "006-2": dt.date(2026, 3, 31), "006-3": dt.date(2026, 2, 1),
                     "006-4": dt.date(2026, 4, 1)}


def test_a_mapped_date_that_does_not_parse_names_the_row_and_column(tmp_path):
    people, deals, splits, mapping = mapped_files(tmp_path, [("006-1", "A", "100", "15/01/2026", "Closed Won", "No")])
    with pytest.raises(DataError) as e:
        load(MAPPED, people, deals, splits, mapping)
    assert e.value.problems == [f"{deals}: row 2, column date: expected a date written YYYY-MM-DD"]


def test_an_untranslated_stage_suggests_a_mapping(tmp_path):
    people, deals, splits, mapping = mapped_files(tmp_path, [("006-1", "A", "100", "01/15/2026", "Negotiation", "No")])
    with pytest.raises(DataError) as e:
        load(MAPPED, people, deals, splits, mapping)
    [problem] = e.value.problems
    assert problem.startswith(f"{deals}: row 2, column status: expected one of won, cancelled, refunded")
    assert '"Negotiation"' in problem and "mapping" in problem


@pytest.mark.parametrize("text, problem", [
    ("[deals]\ncolumn = 1\n", "unknown setting column"),
    ("[deals\n", "not valid TOML"),
    ("deals = 3\n", "must be a table"),
])
def test_a_bad_mapping_file_is_a_data_error(tmp_path, text, problem):
    (tmp_path / "map.toml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=problem):
        load_mapping(tmp_path / "map.toml")


@pytest.mark.parametrize("row, where, message", [
    (("d1", "A", "12abc", "2026-01-05", "won", "no", "1"), "row 2, column amount", "a decimal number"),
    (("d1", "A", "100", "31/01/2026", "won", "no", "1"), "row 2, column date", "YYYY-MM-DD"),
    (("d1", "A", "100", "2026-01-05", "won", "maybe", "1"), "row 2, column new_customer", "true or false"),
    (("d1", "A", "100", "2026-01-05", "won", "no", "lots"), "row 2, column margin", "a decimal number"),
    (("d1", "A", "NaN", "2026-01-05", "won", "no", "1"), "row 2, column amount", "a decimal number"),
    (("d1", "A", "1234567890123456", "2026-01-05", "won", "no", "1"), "row 2, column amount", "15 digits"),
    (("d1", "", "100", "2026-01-05", "won", "no", "1"), "row 2, column owner", "no value"),
    (("d1", "Q", "100", "2026-01-05", "won", "no", "1"), "row 2, column owner",
     "no person with id `Q` in the people table"),
    (("d1", "A", "100", "2026-01-05", "Won", "no", "1"), "row 2, column status", "a mapping file can translate"),
], ids=["amount", "date", "bool", "margin", "nan", "too-long", "no-owner", "unknown-owner", "status"])
def test_bad_deal_values_name_file_row_and_column(tmp_path, row, where, message):
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    deals = write_csv(tmp_path / "deals.csv", (*DEALS, "status", "new_customer", "margin"),
                      [row, ("d0", "A", "1", "2026-01-01", "won", "no", "1")])
    with pytest.raises(DataError) as e:
        load(MEASURES, people, deals)
    assert any(p.startswith(f"{deals}: {where}: ") and message in p for p in e.value.problems), e.value.problems
    assert not any("row 3" in p for p in e.value.problems)  # the good row is not blamed


def test_json_deal_problems_name_the_item(tmp_path):
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    deals = tmp_path / "deals.json"
    deals.write_text('[{"id": "d1", "owner": "A", "amount": 1, "date": "2026-01-01"},'
                     ' {"id": "d2", "owner": "A", "amount": "x", "date": "2026-01-01"}]', encoding="utf-8")
    with pytest.raises(DataError) as e:
        load(TIERED, people, deals)
    assert e.value.problems == [f"{deals}: item 2, column amount: expected a decimal number such as 1250.50"]


def test_a_deal_in_another_currency_is_refused(tmp_path):
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    deals = write_csv(tmp_path / "deals.csv", (*DEALS, "currency"), [("d1", "A", "100", "2026-01-05", "USD"),
                                                                     ("d2", "A", "100", "2026-01-05", "EUR"),
                                                                     ("d3", "A", "100", "2026-01-05", "")])
    with pytest.raises(DataError) as e:
        load(TIERED, people, deals)
    assert e.value.problems == [f"{deals}: row 3, column currency: the plan pays in USD; this deal is in EUR"]


def test_missing_deal_columns_and_repeated_ids_are_data_errors(tmp_path):
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    deals = write_csv(tmp_path / "deals.csv", ("id", "owner", "value", "date"), [("d1", "A", "1", "2026-01-01")])
    with pytest.raises(DataError) as e:
        load(TIERED, people, deals)
    assert e.value.problems == [f"{deals}: header: missing column `amount`"]
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("d1", "A", "1", "2026-01-01"), ("d1", "A", "2", "2026-01-02")])
    with pytest.raises(DataError) as e:
        load(TIERED, people, deals)
    assert e.value.problems == [f"{deals}: row 3: deal id `d1` appears twice (first at row 2)"]


# ---- the command line --------------------------------------------------------------------------

CLI_PLAN = '''plan "Quarterly commission" { currency USD period quarter }
crediting { splits overlays }
measure won = sum amount of deals where status == "won" and date >= period_start and date <= period_end
component commission "Commission" { pay 10% of won }
award closer { kind title when won >= 50_000 USD }
'''


def cli_files(tmp_path, deal_rows=None):
    plan = tmp_path / "q.plan"
    plan.write_text(CLI_PLAN, encoding="utf-8")
    people = write_csv(tmp_path / "people.csv", ("id", "team"), [("A", "east"), ("B", "east"), ("S", "")])
    deals = write_csv(tmp_path / "deals.csv", (*DEALS, "status"), deal_rows or [
        ("D1", "A", "100000", "2026-02-01", "won"), ("D2", "B", "5000", "2026-03-31", "won"),
        ("D3", "B", "7000", "2026-04-01", "won"), ("D4", "A", "3000", "2026-01-02", "refunded")])
    splits = write_csv(tmp_path / "splits.csv", ("deal", "person", "share", "kind"), [
        ("D1", "B", "40%", "split"), ("D2", "S", "10%", "overlay")])
    return plan, people, deals, splits


def test_cli_runs_people_deals_and_splits_for_a_period_as_csv(tmp_path):
    plan, people, deals, splits = cli_files(tmp_path)
    result = invoke("run", plan, "--people", people, "--deals", deals, "--splits", splits, "--period", "2026-Q1",
                    "--format", "csv")
    assert result.exit_code == 0, result.output
    # A: 60% of 100,000; B: 40% of 100,000 + 5,000 (D3 is in Q2); S: the 10% overlay on D2
    assert result.stdout == ("payee,commission,total,closer\n"
                             "A,6000.00,6000.00,yes\n"
                             "B,4500.00,4500.00,no\n"
                             "S,50.00,50.00,no\n")


def test_cli_period_changes_which_deals_count(tmp_path):
    plan, people, deals, splits = cli_files(tmp_path)
    result = invoke("run", plan, "--people", people, "--deals", deals, "--splits", splits, "--period", "2026-Q2",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {p["payee"]: p["total"] for p in doc["payees"]} == {"A": "0.00", "B": "700.00", "S": "0.00"}
    assert doc["total"] == "700.00"


def test_cli_with_a_mapping(tmp_path):
    plan = tmp_path / "m.plan"
    plan.write_text(MAPPED.source.text, encoding="utf-8")
    people, deals, splits, _ = mapped_files(tmp_path)
    result = invoke("run", plan, "--people", people, "--deals", deals, "--splits", splits,
                    "--mapping", tmp_path / "map.toml", "--period", "2026-Q1", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == "payee,commission,total\nA,115.00,115.00\nB,25.00,25.00\n"


def test_cli_explain_shows_the_credited_deals(tmp_path):
    plan, people, deals, splits = cli_files(tmp_path)
    result = invoke("run", plan, "--people", people, "--deals", deals, "--splits", splits, "--period", "2026-Q1",
                    "--payee", "B", "--explain")
    assert result.exit_code == 0, result.output
    assert "won = 45,000.00" in result.stdout
    assert "D2  2026-03-31  5,000.00 (owner) = 5,000.00" in result.stdout
    assert "D1  2026-02-01  100,000.00 x 40% (split) = 40,000.00" in result.stdout


def test_cli_plan_reading_deals_without_deals_exits_2(tmp_path):
    plan, people, _, _ = cli_files(tmp_path)
    result = invoke("run", plan, "--people", people, "--period", "2026-Q1")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr == f"{plan}: the plan reads deals: give them with --deals\n"
    assert result.stdout == ""


@pytest.mark.parametrize("rows, period, problem", [
    ([("D1", "A", "lots", "2026-02-01", "won")], "2026-Q1", "row 2, column amount: expected a decimal number"),
    ([("D1", "Q", "1", "2026-02-01", "won")], "2026-Q1", "row 2, column owner: no person with id `Q`"),
    ([("D1", "A", "1", "2026-02-01", "Closed Won")], "2026-Q1", "row 2, column status: expected one of won"),
    ([("D9", "A", "1", "2026-02-01", "won")], "2026-Q1", "row 2, column deal: no deal with id `D1`"),
    (None, "2026-Q9", "period `2026-Q9`: expected"),
], ids=["amount", "owner", "status", "split-deal", "period"])
def test_cli_bad_sales_data_exits_3_naming_the_problem(tmp_path, rows, period, problem):
    plan, people, deals, splits = cli_files(tmp_path, rows)
    result = invoke("run", plan, "--people", people, "--deals", deals, "--splits", splits, "--period", period)
    assert result.exit_code == EXIT_DATA, result.output
    assert problem in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


# ---- bugs ---------------------------------------------------------------------------------------


def test_cli_measure_reading_the_period_without_one_asks_for_a_period(tmp_path):
    plan, people, deals, splits = cli_files(tmp_path)
    result = invoke("run", plan, "--people", people, "--deals", deals, "--splits", splits)
    assert result.exit_code in (EXIT_USAGE, EXIT_EVAL), result.exception
    assert "period" in result.stderr


def test_a_mapping_renames_csv_columns_once(tmp_path):
    (tmp_path / "map.toml").write_text('[deals.columns]\n"Deal Number" = "id"\n"id" = "crm_id"\n', encoding="utf-8")
    mapping = load_mapping(tmp_path / "map.toml")
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",)])
    record = {"id": "0061x", "Deal Number": "D-1", "owner": "A", "amount": "100", "date": "2026-01-05"}
    as_json = tmp_path / "deals.json"
    as_json.write_text(json.dumps([record]), encoding="utf-8")
    assert [d["id"] for d in load(TIERED, people, as_json, mappings=mapping).deals] == ["D-1"]
    as_csv = write_csv(tmp_path / "deals.csv", list(record), [list(record.values())])
    assert [d["id"] for d in load(TIERED, people, as_csv, mappings=mapping).deals] == ["D-1"]


def test_integer_ids_in_a_parquet_export(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    people = tmp_path / "people.parquet"
    pq.write_table(pa.table({"id": [7, 8]}), people)
    deals = tmp_path / "deals.parquet"
    pq.write_table(pa.table({"id": [101, 102], "owner": [7, 8], "amount": [100, 250],
                             "date": [dt.date(2026, 1, 5), dt.date(2026, 1, 6)]}), deals)
    results = run_files(TIERED, people, deals)
    assert amounts(results, "per_deal") == {"7": D("1.00"), "8": D("2.50")}
