"""Generated populations (incentives.generate_sales): valid data, runnable by the bundled sales plans,
and printed as plan text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from functools import cache
from pathlib import Path

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from dsl.check_sales import DEAL_STATUSES
from dsl.types import T
from incentives import compile_text, load_plan
from dsl.printer import value_text
from incentives.plantest.sales_strategies import default_period, extra_deal_strategy, sales_strategy, sales_text
from incentives.sales.population import Population
from incentives.sales.records import Person, new_deal, new_sales

PLANS = Path(__file__).resolve().parent.parent / "plans"
SALES_PLANS = ["split_credit", "sdr_ae_pair", "manager_override", "team_pool", "quarterly_champion", "per_deal_tiers"]

COLUMNS_TEXT = '''plan "Columns" { currency USD period month effective 2026-02-01 to 2026-12-31 }
crediting { splits overlays rollup }
input quota: money range 1 USD to 500_000 USD
input region: text in {"North", "South"}
input bonus_rate: percent default 5%
deals {
  field term_months: count range 1 to 60
  field segment: text in {"SMB", "ENT"} default "SMB"
  field discount: percent range 0% to 30%
}
measure big = sum amount of deals where product == "Enterprise" and amount >= 25_000 USD and term_months >= 12
measure margins = sum margin of deals where status == "won" and new_customer
component c { pay 1% of big + 2% of margins }
'''
COLUMNS = compile_text(COLUMNS_TEXT, "columns.plan")


@cache
def plan(name: str):
    return load_plan(PLANS / f"{name}.plan")


def _valid(p, sales, period):
    people = sales.people
    assert list(people) == [f"P{i}" for i in range(1, len(people) + 1)]
    for person in people.values():
        assert person.team in ("T1", "T2")
        seen, at = {person.id}, person.manager
        while at:  # every manager exists, and the chain ends
            assert at in people and at not in seen
            seen.add(at)
            at = people[at].manager
        for name, info in p.inputs.items():
            assert info.has_default or name in person.values
    step = D(1).scaleb(-p.minor_units)
    assert sales.deals == sorted(sales.deals, key=lambda d: (d["date"], d["id"]))
    ids = {d["id"] for d in sales.deals}
    assert len(ids) == len(sales.deals)
    start, end = period
    for d in sales.deals:
        assert d["owner"] in people
        assert d["amount"] >= 0 and d["amount"] == d["amount"].quantize(step)
        assert d["status"] in DEAL_STATUSES and d["currency"] == p.currency
        if "margin" in p.deal_columns:
            assert 0 <= d["margin"] <= d["amount"] and d["cost"] == d["amount"] - d["margin"]
        else:  # a column the plan does not read keeps the loaders' default
            assert d["margin"] is None and d["cost"] is None
        if "product" not in p.deal_columns:
            assert d["product"] == ""
        assert start - dt.timedelta(days=10) <= d["date"] <= end + dt.timedelta(days=10)
        for name, info in p.deal_field_infos.items():
            if info.choices is not None:
                assert d[name] in info.choices
            if info.range is not None:
                assert info.range[0] <= d[name] <= info.range[1]
    for did, rows in sales.splits.items():
        assert did in ids and rows
        assert all(person in people for person, _, _, _ in rows)
        assert all(0 < share <= 1 for _, share, _, _ in rows)
        assert sum((s for _, s, k, _ in rows if k == "split"), D(0)) <= 1
        kinds = {k for _, _, k, _ in rows}
        assert kinds <= {k for k, rule in (("split", "splits"), ("overlay", "overlays")) if rule in p.crediting}


@settings(max_examples=30)
@given(st.data())
def test_generated_data_is_valid(data):
    p = COLUMNS.ir
    period = default_period(p)
    _valid(p, data.draw(sales_strategy(p, period)), period)


@pytest.mark.parametrize("name", SALES_PLANS)
def test_the_bundled_sales_plans_run_over_generated_populations(name):
    compiled = plan(name)
    period = default_period(compiled.ir)

    @settings(max_examples=15)
    @given(sales_strategy(compiled.ir, period))
    def run(sales):
        _valid(compiled.ir, sales, period)
        results = Population(compiled, sales, period).run(trace=True)
        assert [r.payee for r in results] == list(sales.people)

    run()


@settings(max_examples=30)
@given(st.data())
def test_an_extra_deal_is_won_inside_the_period(data):
    p = plan("manager_override").ir
    period = default_period(p)
    d = data.draw(extra_deal_strategy(p, period, ["P1", "P2"], "X1"))
    assert d["id"] == "X1" and d["owner"] in ("P1", "P2") and d["status"] == "won"
    assert period[0] <= d["date"] <= period[1] and d["amount"] > 0
    assert d["amount"] == d["amount"].quantize(D("0.01"))


def test_populations_shrink_to_the_plain_case():
    p = plan("manager_override").ir
    period = default_period(p)
    # someone with a manager owns a deal: two people, one deal, everything else at its simplest
    found = find(sales_strategy(p, period, max_people=4, max_deals=4),
                 lambda s: any(s.people[d["owner"]].manager for d in s.deals),
                 settings=settings(max_examples=200, database=None))
    assert [(q.id, q.team, q.manager) for q in found.people.values()] == [("P1", "T1", ""), ("P2", "T1", "P1")]
    (d,) = found.deals
    assert (d["owner"], d["amount"], d["date"], d["status"]) == ("P2", D(0), period[0], "won")
    assert found.splits == {}


def test_default_period():
    assert default_period(plan("split_credit").ir) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    # the calendar month holding the effective start
    assert default_period(COLUMNS.ir) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))

    def period_of(header: str):
        return default_period(compile_text(f'plan "P" {{ currency USD {header} }}\n'
                                           'input x: money\ncomponent c { pay x }\n', "p.plan").ir)

    # without `effective`: the first period of 2026
    assert period_of("period quarter") == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period_of("period half") == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert period_of("period year") == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    # a plan starting mid-quarter, or ending before the quarter does: cut to the effective dates
    assert period_of("period quarter effective 2026-05-10 to 2026-12-31") == (dt.date(2026, 5, 10),
                                                                               dt.date(2026, 6, 30))
    assert period_of("period quarter effective 2026-10-01 to 2026-11-15") == (dt.date(2026, 10, 1),
                                                                               dt.date(2026, 11, 15))


@pytest.mark.parametrize("value,t,text", [
    (D("1250.50"), T.MONEY, "1_250.50 USD"),
    (D("1250.5"), T.MONEY, "1_250.5 USD"),
    (D("100000.00"), T.MONEY, "100_000 USD"),
    (D("19999.998"), T.MONEY, "19_999.998 USD"),
    (D("-5.25"), T.MONEY, "-5.25 USD"),
    (D("0.00"), T.MONEY, "0 USD"),
    (D("0.4"), T.PERCENT, "40%"),
    (D("0.125"), T.PERCENT, "12.5%"),
    (D("1"), T.PERCENT, "100%"),
    (D("12"), T.COUNT, "12"),
    (D("1.50"), T.NUMBER, "1.5"),
    (D("12000"), T.NUMBER, "12_000"),
    ("North", T.TEXT, '"North"'),
    ('say "hi" \\ bye', T.TEXT, '"say \\"hi\\" \\\\ bye"'),
    (True, T.BOOL, "true"),
    (False, T.BOOL, "false"),
    (dt.date(2026, 1, 15), T.DATE, "2026-01-15"),
])
def test_value_text(value, t, text):
    assert value_text(value, t, "USD") == text


def test_sales_text():
    p = COLUMNS.ir
    people = [Person("P1", "T1", "", {"quota": D("100000.00"), "region": "North", "bonus_rate": D("0.05")}, "p1"),
              Person("P2", "T1", "P1", {"quota": D("80000"), "region": "South", "bonus_rate": D("0.1")}, "p2"),
              Person("P3", "", "", {}, "p3")]
    deals = [new_deal({"id": "D2", "owner": "P2", "amount": D("250.75"), "date": dt.date(2026, 2, 20),
                       "status": "cancelled", "currency": "USD", "margin": D("50.00"), "cost": D("200.75"),
                       "term_months": D(12), "segment": "ENT", "discount": D("0.1")}, "deal D2"),
             new_deal({"id": "D1", "owner": "P1", "amount": D("1000.00"), "date": dt.date(2026, 2, 15),
                       "new_customer": True, "product": "Enterprise"}, "deal D1")]
    splits = {"D1": [("P2", D("0.4"), "split", "s1"), ("P3", D("1"), "overlay", "s2")]}
    assert sales_text(p, new_sales(people, deals, splits), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))) == [
        "period 2026-02-01 to 2026-02-28",
        'person "P1" { team = "T1", quota = 100_000 USD, region = "North", bonus_rate = 5% }',
        'person "P2" { team = "T1", manager = "P1", quota = 80_000 USD, region = "South", bonus_rate = 10% }',
        'person "P3" {}',
        'deal "D1" { owner = "P1", amount = 1_000 USD, date = 2026-02-15, new_customer = true, '
        'product = "Enterprise" }',
        'deal "D2" { owner = "P2", amount = 250.75 USD, date = 2026-02-20, status = "cancelled", margin = 50 USD, '
        'cost = 200.75 USD, term_months = 12, segment = "ENT", discount = 10% }',
        'split "D1" 40% to "P2"',
        'overlay "D1" 100% to "P3"',
    ]


def _without(rows, *keys):
    return [{k: v for k, v in row.items() if k not in keys} for row in rows]


@pytest.mark.parametrize("name", ["columns", "manager_override", "sdr_ae_pair"])
def test_the_printed_population_reads_back_the_same(name):
    """sales_text, pasted into an example, gives the same people, deals and credit rows."""
    from incentives.plantest.example_data import example_sales

    source = COLUMNS_TEXT if name == "columns" else (PLANS / f"{name}.plan").read_text(encoding="utf-8")
    p = compile_text(source, "p.plan").ir
    period = default_period(p)

    @settings(max_examples=10)
    @given(sales_strategy(p, period))
    def read_back(sales):
        lines = "\n".join(f"  {line}" for line in sales_text(p, sales, period))
        compiled = compile_text(f'{source}\nexample "generated" {{\n{lines}\n}}\n', "p.plan")
        data = compiled.ir.examples[-1].sales
        assert data.period == period
        again = example_sales(compiled, data)
        assert {q.id: (q.team, q.manager, q.values) for q in again.people.values()} == {
            q.id: (q.team, q.manager, q.values) for q in sales.people.values()}
        assert _without(again.deals, "__where__", "currency") == _without(sales.deals, "__where__", "currency")
        assert {d: [r[:3] for r in rows] for d, rows in again.splits.items()} == {
            d: [r[:3] for r in rows] for d, rows in sales.splits.items()}

    read_back()
