"""Crediting: who is credited with which share of each deal (incentives.crediting), from the data
files through to the measures and breakdowns a payee sees.

The rules: the owner is credited with the whole deal by default; `splits` rows share a deal and
the owner keeps what they leave; `overlays` credit a specialist without reducing anyone; `rollup`
credits every manager up the chain, naming whose credit it carries (`via`).
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sales_strategies import (
    cents,
    deal,
    load,
    org_charts,
    person,
    run_files,
    sales,
    share_cell,
    split_shares,
    write_csv,
)

from incentives import DataError, compile_text
from incentives.sales.crediting import credit
from incentives.explain.build import explain
from incentives.sales.population import Population
from incentives.explain.render import render_text

D = Decimal

PEOPLE = ("id", "team", "manager")
DEALS = ("id", "owner", "amount", "date")
SPLITS = ("deal", "person", "share", "kind")


def credit_plan(rules: str = "splits overlays rollup"):
    crediting = f"crediting {{ {rules} }}\n" if rules else ""
    return compile_text(f'''plan "Credit" {{ currency USD period quarter }}
{crediting}measure credited = sum amount of deals
measure direct = sum amount of deals where credit in {{"owner", "split"}}
component commission {{ pay 10% of credited }}
''', "credit.plan")


def credited_rows(results, pid: str, measure: str = "credited") -> list[dict]:
    trace = next(m for m in results[pid].measures if m.name == measure)
    return trace.deals


def summary(rows: list[dict]) -> list[tuple]:
    """(deal, credit kind, share, credited amount, via) per credited row, sorted."""
    return sorted((r["id"], r["credit"], r["share"], r["amount"], r.get("via")) for r in rows)


# ---- the worked example ------------------------------------------------------------------------


@pytest.mark.parametrize("split_rows", [
    [("D1", "B", "40%", "split")],                                  # the owner keeps the rest
    [("D1", "A", "60%", "split"), ("D1", "B", "40%", "split")],     # both shares given
    [("D1", "A", "0.6", ""), ("D1", "B", "0.40", "")],              # fractions; kind defaults to split
], ids=["remainder", "both-rows", "fractions"])
def test_a_100000_deal_split_60_40_at_10_percent_pays_6000_and_4000(tmp_path, split_rows):
    plan = credit_plan("splits")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "100000", "2026-02-01")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, split_rows)
    results = run_files(plan, people, deals, splits)
    assert results["A"].component("commission").amount == D("6000.00")
    assert results["B"].component("commission").amount == D("4000.00")
    assert results["A"].total + results["B"].total == D("10000.00")


# ---- the rules one by one ---------------------------------------------------------------------


def test_the_owner_is_credited_with_the_whole_deal_by_default(tmp_path):
    plan = credit_plan("")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "1234.56", "2026-01-05"),
                                                       ("D2", "B", "10", "2026-01-06")])
    results = run_files(plan, people, deals, trace=True)
    assert summary(credited_rows(results, "A")) == [("D1", "owner", D(1), D("1234.56"), None)]
    assert summary(credited_rows(results, "B")) == [("D2", "owner", D(1), D(10), None)]
    assert results["A"].component("commission").amount == D("123.46")  # 123.456 rounded half up


def test_splits_leave_the_remainder_to_the_owner(tmp_path):
    plan = credit_plan("splits")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", ""), ("C", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "2000", "2026-01-05"),
                                                       ("D2", "A", "500", "2026-01-06")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [("D1", "B", "25%", "split"), ("D1", "C", "15%", "split"),
                                                          ("D2", "B", "100%", "split")])
    results = run_files(plan, people, deals, splits, trace=True)
    # D1: B 25% and C 15%, the owner A the remaining 60%; D2 is B's alone, A keeps nothing of it
    assert summary(credited_rows(results, "A")) == [("D1", "owner", D("0.60"), D("1200.0000"), None)]
    assert summary(credited_rows(results, "B")) == [("D1", "split", D("0.25"), D("500.0000"), None),
                                                    ("D2", "split", D(1), D("500"), None)]
    assert summary(credited_rows(results, "C")) == [("D1", "split", D("0.15"), D("300.0000"), None)]
    assert {pid: r.component("commission").amount for pid, r in results.items()} == {
        "A": D("120.00"), "B": D("100.00"), "C": D("30.00")}
    # every credited row keeps the whole deal's amount beside the payee's share of it
    assert {r["deal_amount"] for r in credited_rows(results, "B")} == {D(2000), D(500)}


def test_splits_above_100_percent_are_refused_naming_the_file_rows_and_deal(tmp_path):
    plan = credit_plan("splits")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", ""), ("C", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "100", "2026-01-05"),
                                                       ("D2", "A", "100", "2026-01-05")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [
        ("D2", "B", "50%", "split"),     # row 2: D2 is fine
        ("D1", "B", "70%", "split"),     # row 3
        ("D1", "C", "40%", "split"),     # row 4: D1 adds up to 110%
        ("D1", "C", "90%", "overlay"),   # row 5: overlays do not count towards 100%
    ])
    with pytest.raises(DataError) as e:
        load(plan, people, deals, splits)
    [problem] = e.value.problems
    assert problem.startswith(f"{splits}: row 3, row 4: ")
    assert "`D1`" in problem and "110" in problem and "more than 100%" in problem
    assert "D2" not in problem and "row 5" not in problem


def test_splits_of_exactly_100_percent_are_accepted(tmp_path):
    plan = credit_plan("splits")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", ""), ("C", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "90", "2026-01-05")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [("D1", "B", "33.3333%", ""), ("D1", "C", "66.6667%", "")])
    results = run_files(plan, people, deals, splits, trace=True)
    assert credited_rows(results, "A") == []
    assert results["B"].values["credited"] + results["C"].values["credited"] == D(90)


def test_overlays_credit_a_specialist_without_reducing_anyone(tmp_path):
    plan = credit_plan("splits overlays")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", ""), ("S", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "1000", "2026-01-05"),
                                                       ("D2", "A", "300", "2026-01-06")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [("D1", "B", "40%", "split"), ("D1", "S", "50%", "overlay"),
                                                          ("D2", "S", "100%", "overlay")])
    results = run_files(plan, people, deals, splits, trace=True)
    assert summary(credited_rows(results, "A")) == [("D1", "owner", D("0.60"), D("600.0000"), None),
                                                    ("D2", "owner", D(1), D(300), None)]
    assert summary(credited_rows(results, "B")) == [("D1", "split", D("0.40"), D("400.0000"), None)]
    assert summary(credited_rows(results, "S")) == [("D1", "overlay", D("0.50"), D("500.0000"), None),
                                                    ("D2", "overlay", D(1), D(300), None)]
    # owners and splits still add up to each deal; the overlay comes on top
    assert results["A"].values["direct"] + results["B"].values["direct"] == D(1300)
    assert results["S"].values["direct"] == 0


def test_rollup_credits_every_manager_up_the_chain_naming_whose_credit_it_is(tmp_path):
    plan = credit_plan("splits rollup")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [
        ("VP", "", ""), ("M", "", "VP"), ("A", "east", "M"), ("B", "east", "M"), ("X", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "1000", "2026-01-05"),
                                                       ("D2", "M", "200", "2026-01-06"),
                                                       ("D3", "X", "50", "2026-01-07")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [("D1", "B", "40%", "split")])
    results = run_files(plan, people, deals, splits, trace=True)
    assert summary(credited_rows(results, "M")) == [
        ("D1", "rollup", D("0.40"), D("400.0000"), "B"),
        ("D1", "rollup", D("0.60"), D("600.0000"), "A"),
        ("D2", "owner", D(1), D(200), None)]
    assert summary(credited_rows(results, "VP")) == [
        ("D1", "rollup", D("0.40"), D("400.0000"), "B"),
        ("D1", "rollup", D("0.60"), D("600.0000"), "A"),
        ("D2", "rollup", D(1), D(200), "M")]
    assert summary(credited_rows(results, "X")) == [("D3", "owner", D(1), D(50), None)]
    # a roll-up does not reduce the people below; nobody outside the chain gets D1
    assert results["A"].values["credited"] == D(600)
    assert results["B"].values["credited"] == D(400)
    assert results["M"].values["credited"] == D(1200)
    assert results["VP"].values["credited"] == D(1200)
    assert results["X"].values["credited"] == D(50)
    # roll-ups are not direct credit
    assert results["VP"].values["direct"] == 0
    assert results["M"].values["direct"] == D(200)


def test_without_rollup_managers_get_nothing_of_their_reports_deals(tmp_path):
    plan = credit_plan("splits")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("M", "", ""), ("A", "", "M")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "1000", "2026-01-05")])
    results = run_files(plan, people, deals, trace=True)
    assert results["M"].values["credited"] == 0
    assert results["A"].values["credited"] == D(1000)


@pytest.mark.parametrize("rules, kind", [("", "split"), ("overlays", "split"), ("", "overlay"),
                                         ("splits", "overlay")])
def test_split_rows_the_plan_does_not_credit_are_a_data_error(tmp_path, rules, kind):
    plan = credit_plan(rules)
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "100", "2026-01-05")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [("D1", "B", "40%", kind)])
    with pytest.raises(DataError) as e:
        Population(plan, load(plan, people, deals, splits))
    [problem] = e.value.problems
    assert "row 2" in problem and "crediting" in problem


def test_split_rows_the_plan_does_not_credit_name_the_splits_file(tmp_path):
    plan = credit_plan("")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "100", "2026-01-05")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [("D1", "B", "40%", "split")])
    with pytest.raises(DataError) as e:
        Population(plan, load(plan, people, deals, splits))
    assert str(splits) in e.value.problems[0]


@pytest.mark.parametrize("rows, problems", [
    ([("A", "", "B"), ("B", "", "A"), ("C", "", "")],
     ["row 2, column manager: the managers of `A` go round in a circle",
      "row 3, column manager: the managers of `B` go round in a circle"]),
    ([("A", "", "A")], ["row 2, column manager: the managers of `A` go round in a circle"]),
    ([("A", "", "B"), ("B", "", "C"), ("C", "", "A"), ("D", "", "A")],
     ["row 2, column manager: the managers of `A` go round in a circle",
      "row 3, column manager: the managers of `B` go round in a circle",
      "row 4, column manager: the managers of `C` go round in a circle",
      "row 5, column manager: the managers of `D` go round in a circle"]),
    ([("A", "", ""), ("B", "", "Z")], ["row 3, column manager: no person with id `Z`"]),
], ids=["two", "self", "three-and-a-tail", "unknown"])
def test_manager_cycles_and_unknown_managers_are_data_errors_naming_row_and_column(tmp_path, rows, problems):
    plan = credit_plan("rollup")
    people = write_csv(tmp_path / "people.csv", PEOPLE, rows)
    with pytest.raises(DataError) as e:
        load(plan, people)
    assert e.value.problems == [f"{people}: {p}" for p in problems]


@pytest.mark.parametrize("row, where, message", [
    (("D9", "B", "40%", "split"), "row 2, column deal", "no deal with id `D9`"),
    (("D1", "Q", "40%", "split"), "row 2, column person", "no person with id `Q`"),
    (("D1", "B", "40%", "referral"), "row 2, column kind", "expected split or overlay"),
    (("D1", "B", "0%", "split"), "row 2, column share", "above 0% and at most 100%"),
    (("D1", "B", "150%", "overlay"), "row 2, column share", "above 0% and at most 100%"),
    (("D1", "B", "forty", "split"), "row 2, column share", "a percentage such as 85% or 0.85"),
])
def test_bad_split_rows_name_file_row_and_column(tmp_path, row, where, message):
    plan = credit_plan()
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "100", "2026-01-05")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [row])
    with pytest.raises(DataError) as e:
        load(plan, people, deals, splits)
    assert any(p.startswith(f"{splits}: {where}: ") and message in p for p in e.value.problems), e.value.problems


# ---- the breakdown shows how each deal was credited ------------------------------------------------


def test_breakdown_lists_each_measures_deals_with_share_credit_kind_and_rollup_origin(tmp_path):
    plan = credit_plan()
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("M", "", ""), ("A", "", "M"), ("B", "", "M")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "100000", "2026-01-05")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [("D1", "B", "40%", "split")])
    results = run_files(plan, people, deals, splits, trace=True)
    a = explain(plan, results["A"])
    [credited] = [m for m in a.measures if m.name == "credited"]
    assert credited.formula == "sum amount of deals"
    assert credited.value == "60000"
    [line] = credited.deals
    assert (line.id, line.credit, D(line.share), line.deal_amount, line.amount, line.via) == \
        ("D1", "owner", D("0.6"), "100000.00", "60000.00", None)
    m = explain(plan, results["M"])
    [credited] = [x for x in m.measures if x.name == "credited"]
    assert sorted((x.via, x.credit, D(x.share), x.amount) for x in credited.deals) == [
        ("A", "rollup", D("0.6"), "60000.00"), ("B", "rollup", D("0.4"), "40000.00")]
    text = render_text(m)
    assert "credited = 100,000.00" in text
    assert "rollup" in text and "60%" in text and "40%" in text


# ---- conservation -------------------------------------------------------------------------------

CONSERVE = credit_plan()


@st.composite
def credited_books(draw):
    """An org chart, deals, and split and overlay rows (split shares at most 100% per deal)."""
    org = draw(org_charts(min_people=2))
    ids = [pid for pid, _, _ in org]
    deals, splits = [], []
    for i in range(draw(st.integers(1, 6))):
        did = f"D{i}"
        deals.append((did, draw(st.sampled_from(ids)), draw(cents(0, 10**12)),
                      f"2026-0{draw(st.integers(1, 3))}-1{draw(st.integers(0, 9))}"))
        for share in draw(split_shares()):
            splits.append((did, draw(st.sampled_from(ids)), share_cell(share, draw(st.booleans())), "split"))
        for _ in range(draw(st.integers(0, 2))):
            share = D(draw(st.integers(1, 10**6))).scaleb(-6)
            splits.append((did, draw(st.sampled_from(ids)), share_cell(share, draw(st.booleans())), "overlay"))
    return org, deals, splits


@settings(max_examples=100)
@given(credited_books())
def test_owner_and_split_credit_adds_up_to_each_deal_exactly(tmp_path_factory, book):
    org, deal_rows, split_rows = book
    folder = tmp_path_factory.mktemp("conserve")
    people = write_csv(folder / "people.csv", PEOPLE, org)
    deals = write_csv(folder / "deals.csv", DEALS, deal_rows)
    splits = write_csv(folder / "splits.csv", SPLITS, split_rows)
    data = load(CONSERVE, people, deals, splits)
    credits = credit(data, CONSERVE.ir.crediting, CONSERVE.ir.deal_fields)
    wide = decimal.Context(prec=100)  # the test's own sums must not round
    by_deal: dict[str, list[dict]] = {}
    for rows in credits.values():
        for r in rows:
            by_deal.setdefault(r["id"], []).append(r)
    for did, owner, amount, _ in deal_rows:
        rows = by_deal[did]
        direct = [r for r in rows if r["credit"] in ("owner", "split")]
        assert wide.create_decimal(sum((r["amount"] for r in direct), D(0))) == D(amount)
        assert sum((r["share"] for r in direct), D(0)) == 1
        assert all(r["deal_amount"] == D(amount) for r in rows)
        owner_rows = [r for r in rows if r["credit"] == "owner"]
        assert len(owner_rows) <= 1 and all(r in credits[owner] for r in owner_rows)
        for r in rows:
            assert r["amount"] == r["deal_amount"] * r["share"]
    # through the population run: the direct credit of every payee adds up to all deals
    results = Population(CONSERVE, data).run(trace=True)
    with decimal.localcontext(wide):
        assert sum(r.values["direct"] for r in results) == sum(D(a) for _, _, a, _ in deal_rows)


@settings(max_examples=100)
@given(org_charts(min_people=1), cents(0, 10**9), split_shares())
def test_rollup_gives_each_manager_up_the_chain_the_same_credit_as_the_person_below(org, amount, shares):
    people = [person(pid, team, manager) for pid, team, manager in org]
    owner = org[-1][0]
    managers = {pid: manager for pid, _, manager in org}
    chain, at = [], managers[owner]
    while at:
        chain.append(at)
        at = managers[at]
    split_rows = [(owner, s, "split", "row") for s in shares]
    data = sales(people, [deal("D1", owner, amount)], {"D1": split_rows})
    credits = credit(data, frozenset({"splits", "rollup"}), CONSERVE.ir.deal_fields)
    own = [r for r in credits[owner] if r["credit"] != "rollup"]
    for manager in chain:
        ups = [r for r in credits[manager] if r.get("via") == owner]
        assert sorted(r["amount"] for r in ups) == sorted(r["amount"] for r in own)
        assert all(r["credit"] == "rollup" for r in ups)
    outside = set(credits) - set(chain) - {owner}
    for pid in outside:
        assert not [r for r in credits[pid] if r.get("via") == owner]


# ---- bugs ---------------------------------------------------------------------------------------


def test_credited_amounts_do_not_depend_on_the_callers_decimal_context(tmp_path):
    plan = credit_plan("splits")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [("A", "", ""), ("B", "", "")])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("D1", "A", "1234567.89", "2026-01-05")])
    splits = write_csv(tmp_path / "splits.csv", SPLITS, [("D1", "B", "50%", "split")])
    data = load(plan, people, deals, splits)
    with decimal.localcontext() as ctx:
        ctx.prec = 6
        results = {r.payee: r for r in Population(plan, data).run()}
    # 10% of 617,283.945 = 61,728.3945 -> 61,728.39 for each
    assert results["A"].total == D("61728.39")
    assert results["B"].total == D("61728.39")
