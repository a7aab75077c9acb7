"""Contests and pools: the arithmetic of incentives.ranking (standard competition ranks, prizes by
place, sharing money to the cent), and contests and pools end to end through population runs,
the contest functions rank(c), prize(c) and competitors(c), and the breakdown.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sales_strategies import (
    cents,
    contest_scores,
    prize_lists,
    run_files,
    weights,
    write_csv,
)
from typer.testing import CliRunner

from incentives import EvaluationError, compile_text
from incentives.cli.app import EXIT_EVAL, app
from incentives.explain.build import explain
from incentives.sales.ranking import rank, share_out
from incentives.explain.render import render_text

D = Decimal
CENT = D("0.01")
WIDE = decimal.Context(prec=100)  # the test's own arithmetic never rounds

PEOPLE = ("id", "team", "manager", "tenure")
DEALS = ("id", "owner", "amount", "date")


# ---- share_out: money shared to the minor unit ---------------------------------------------------


def exact_shares(amount: Decimal, ws: dict[str, Decimal]) -> dict[str, Decimal]:
    total = sum(ws.values(), D(0))
    if total == 0:
        return {k: WIDE.divide(amount, len(ws)) for k in ws}
    return {k: WIDE.divide(WIDE.multiply(amount, w), total) for k, w in ws.items()}


@settings(max_examples=200)
@given(weights(), st.sampled_from([D("0.01"), D(1), D("0.001")]), st.integers(-10**9, 10**9))
@example({"a": D(1), "b": D(1), "c": D(1)}, D("0.01"), 100)        # 1.00 in thirds: 0.34, 0.33, 0.33
@example({"a": D(0), "b": D(0)}, D("0.01"), 1)                      # all-zero weights: shared equally
@example({"only": D(7)}, D(1), -12345)                               # one member takes it all
@example({"a": D(0), "b": D(5)}, D("0.01"), 999)                    # a zero contribution gets nothing
def test_share_out_distributes_any_amount_exactly_to_the_minor_unit(ws, quantum, units):
    amount = D(units) * quantum
    shares = share_out(amount, ws, quantum)
    assert set(shares) == set(ws)
    assert sum(shares.values(), D(0)) == amount
    exact = exact_shares(amount, ws)
    for k, share in shares.items():
        assert share % quantum == 0, (k, share)                      # on the grid of minor units
        assert abs(share - exact[k]) < quantum, (k, share, exact[k])  # within one minor unit of exact
        assert (share >= 0) == (amount >= 0) or share == 0           # never the wrong sign
    if len(set(ws.values())) == 1 or sum(ws.values()) == 0:
        # equal contributions: shares differ by at most one minor unit, the larger to the lower ids
        ordered = [shares[k] for k in sorted(ws)]
        assert max(ordered) - min(ordered) <= quantum
        assert [abs(x) for x in ordered] == sorted((abs(x) for x in ordered), reverse=True)


def test_share_out_of_nobody_is_nothing():
    assert share_out(D(100), {}, CENT) == {}


def test_share_out_gives_leftover_units_to_the_largest_remainders_then_the_lower_id():
    # 10.00 by 1:1:1:3 -> 1.666.., 1.666.., 1.666.., 5.00: the two left-over cents go to a and b
    assert share_out(D(10), {"d": D(3), "a": D(1), "c": D(1), "b": D(1)}, CENT) == {
        "a": D("1.67"), "b": D("1.67"), "c": D("1.66"), "d": D("5.00")}
    # 1,000 by 500:500:300: c's remainder (.0092) beats a's and b's (.0054); then a before b
    assert share_out(D(1000), {"a": D(500), "b": D(500), "c": D(300)}, CENT) == {
        "a": D("384.62"), "b": D("384.61"), "c": D("230.77")}


# ---- rank: standard competition ranking and prizes by place ------------------------------------------


@settings(max_examples=200)
@given(contest_scores(), prize_lists(), st.sampled_from(["shared", "split", "broken"]))
@example({"a": (D(5),), "b": (D(5),), "c": (D(2),), "d": (D(1),)}, [D(300), D(200), D(100)], "split")
@example({"a": (D(5),), "b": (D(5),), "c": (D(2),), "d": (D(1),)}, [D(300), D(200), D(100)], "shared")
def test_rank_gives_standard_competition_places_and_prizes_by_place(scores, prizes, ties):
    placings = rank(scores, prizes, ties, CENT)
    assert set(placings) == set(scores)
    for k, p in placings.items():
        better = [q for q in scores if scores[q] > scores[k]]
        equal = [q for q in scores if scores[q] == scores[k]]
        assert p.place == 1 + len(better)                          # 1-based: 1, 1, 3, ...
        assert p.tied == len(equal)
        assert all(placings[q].place == p.place for q in equal)    # tied entrants share a place
        occupied = prizes[p.place - 1: p.place - 1 + p.tied]
        if ties == "split":
            group = [placings[q].prize for q in equal]
            assert sum(group, D(0)) == sum(occupied, D(0))          # the tied places' prizes, shared out
            assert max(group) - min(group) <= CENT
        else:
            assert p.prize == (prizes[p.place - 1] if p.place <= len(prizes) else 0)
    if ties == "split":
        assert sum((p.prize for p in placings.values()), D(0)) == sum(prizes[:len(scores)], D(0))


def test_rank_orders_by_tie_breakers_and_ties_only_when_all_values_are_equal():
    scores = {"a": (D(500), D(1)), "b": (D(500), D(2)), "c": (D(300), D(0)), "d": (D(300), D(0)), "e": (D(0), D(9))}
    placings = rank(scores, [D(300), D(200), D(100)], "broken", CENT)
    assert {k: (p.place, p.tied, p.prize) for k, p in placings.items()} == {
        "b": (1, 1, D(300)), "a": (2, 1, D(200)), "c": (3, 2, D(100)), "d": (3, 2, D(100)), "e": (5, 1, D(0))}


# ---- contests end to end --------------------------------------------------------------------------

CONTESTS = '''plan "Contests" { currency USD period quarter }
input tenure: number default 0
measure won = sum amount of deals
measure deals_won = count of deals
contest split_top "Top seller" { rank by won  qualify deals_won >= 1  ties split  prizes 300 USD, 200 USD, 100 USD }
contest shared_top { rank by won  ties shared  prizes 300 USD, 200 USD, 100 USD }
contest broken_top { rank by won  ties broken by deals_won, tenure  prizes 300 USD, 200 USD  places 4 }
contest team_top { rank by won  among team  prizes 50 USD }
component split_prize { pay prize(split_top) }
component shared_prize { pay prize(shared_top) }
component broken_prize { pay prize(broken_top) }
component ladder { pay rank(broken_top) * 1 USD  pay competitors(split_top) * 1 USD }
award champion { kind title when rank(split_top) == 1 }
award team_winner { kind prize when rank(team_top) == 1 value prize(team_top) }
'''


@pytest.fixture
def contest_run(tmp_path):
    plan = compile_text(CONTESTS, "contests.plan")
    people = write_csv(tmp_path / "people.csv", PEOPLE, [
        ("A", "t1", "", "1"), ("B", "t1", "", "2"), ("C", "t1", "", "3"), ("D", "t2", "", "0"), ("E", "t2", "", "5")])
    # won: A 500 (two deals), B 500, C 300, D 300 (two deals), E nothing
    deals = write_csv(tmp_path / "deals.csv", DEALS, [
        ("d1", "A", "500", "2026-01-05"), ("d2", "A", "0", "2026-01-06"), ("d3", "B", "500", "2026-01-07"),
        ("d4", "C", "300", "2026-01-08"), ("d5", "D", "100", "2026-01-09"), ("d6", "D", "200", "2026-01-10")])
    return plan, run_files(plan, people, deals, trace=True)


def contest(result, name):
    return next(c for c in result.contests if c.name == name)


def test_split_ties_share_the_prizes_of_the_places_they_occupy_and_qualification_counts(contest_run):
    _, results = contest_run
    got = {pid: (int(contest(r, "split_top").rank), contest(r, "split_top").tied,
                 r.component("split_prize").amount) for pid, r in results.items()}
    # A and B tie for 1st: (300 + 200) / 2; C and D tie for 3rd: 100 / 2; E has no deal: not qualified
    assert got == {"A": (1, 2, D("250.00")), "B": (1, 2, D("250.00")), "C": (3, 2, D("50.00")),
                   "D": (3, 2, D("50.00")), "E": (0, 0, D("0.00"))}
    assert not contest(results["E"], "split_top").qualified
    assert all(contest(r, "split_top").competitors == 4 for r in results.values())


def test_shared_ties_each_get_the_places_prize_and_places_default_to_the_prizes(contest_run):
    _, results = contest_run
    got = {pid: (int(contest(r, "shared_top").rank), r.component("shared_prize").amount)
           for pid, r in results.items()}
    # A and B share 1st (300 each), C and D share 3rd (100 each); E is 5th of 3 places: unplaced
    assert got == {"A": (1, D("300.00")), "B": (1, D("300.00")), "C": (3, D("100.00")), "D": (3, D("100.00")),
                   "E": (0, D("0.00"))}


def test_ties_broken_by_a_second_and_third_value(contest_run):
    _, results = contest_run
    got = {pid: (int(contest(r, "broken_top").rank), r.component("broken_prize").amount)
           for pid, r in results.items()}
    # 500: A has 2 deals, B 1; 300: D has 2 deals, C 1; E is 5th of 4 places
    assert got == {"A": (1, D("300.00")), "B": (2, D("200.00")), "D": (3, D("0.00")), "C": (4, D("0.00")),
                   "E": (0, D("0.00"))}
    # rank(c) and competitors(c) in a component: the rank in dollars plus 4 qualified entrants
    assert {pid: r.component("ladder").amount for pid, r in results.items()} == {
        "A": D("5.00"), "B": D("6.00"), "C": D("8.00"), "D": D("7.00"), "E": D("4.00")}


def test_contest_among_team_and_contest_functions_in_awards(contest_run):
    _, results = contest_run
    # t1: A and B share 1st; t2: D alone at the top
    assert {pid: int(contest(r, "team_top").rank) for pid, r in results.items()} == {
        "A": 1, "B": 1, "C": 0, "D": 1, "E": 0}
    assert {pid: int(contest(r, "team_top").competitors) for pid, r in results.items()} == {
        "A": 3, "B": 3, "C": 3, "D": 2, "E": 2}
    awards = {pid: {a.name: (a.granted, a.value) for a in r.awards} for pid, r in results.items()}
    assert {pid: a["champion"][0] for pid, a in awards.items()} == {
        "A": True, "B": True, "C": False, "D": False, "E": False}
    assert {pid: a["team_winner"] for pid, a in awards.items()} == {
        "A": (True, D(50)), "B": (True, D(50)), "C": (False, None), "D": (True, D(50)), "E": (False, None)}
    # awards are never cash
    assert results["A"].total == D("250.00") + D("300.00") + D("300.00") + D("5.00")


def test_breakdown_shows_each_contests_rank_tie_competitors_and_prize(contest_run):
    plan, results = contest_run
    b = explain(plan, results["A"])
    got = {c.name: (c.qualified, c.score, c.rank, c.tied, c.competitors, c.prize) for c in b.contests}
    assert got == {"split_top": (True, "500", 1, 2, 4, "250.00"), "shared_top": (True, "500", 1, 2, 5, "300.00"),
                   "broken_top": (True, "500", 1, 1, 5, "300.00"), "team_top": (True, "500", 1, 2, 3, "50.00")}
    assert next(c for c in b.contests if c.name == "split_top").label == "Top seller"
    e = explain(plan, results["E"])
    assert next(c for c in e.contests if c.name == "split_top").model_dump(include={"qualified", "rank", "prize"}) \
        == {"qualified": False, "rank": 0, "prize": "0.00"}
    text = render_text(b)
    assert "Top seller: rank 1 of 4" in text


def test_a_payee_run_alone_takes_part_in_no_contest_or_pool():
    plan = compile_text('''plan "One" { currency USD period quarter }
input sold: money
contest top { rank by sold prizes 100 USD }
component c { pay prize(top)  pay rank(top) * 1 USD  pool 500 USD among all equally  pay 1 USD }
''', "one.plan")
    with pytest.raises(EvaluationError) as e:
        plan.run({"sold": D(5)}, "A")
    assert (e.value.span.line, e.value.span.column) == (4, 19)  # the first such line: prize(top)
    assert "only in a population run (and 2 more)" in str(e.value)
    assert e.value.problems[0].payee == "A" and e.value.problems[0].line == 4
    assert plan.run({"sold": D(5)}, "A", alone=True).total == D("1.00")


# ---- pools end to end ----------------------------------------------------------------------------

POOLS = '''plan "Pools" { currency USD period quarter }
input pool_size: money default 1_000 USD
measure won = sum amount of deals
component by_contribution { pool pool_size among team by won }
component equal { pool 100 USD among team equally }
component everyone { pool 1_000 USD among all by won }
'''


def pool_files(tmp_path, pool_sizes=None):
    sizes = pool_sizes or {}
    people = write_csv(tmp_path / "people.csv", ("id", "team", "pool_size"), [
        (pid, team, sizes.get(pid, "")) for pid, team in
        [("A", "t1"), ("B", "t1"), ("C", "t1"), ("D", "t2"), ("E", "t2")]])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [
        ("d1", "A", "500", "2026-01-05"), ("d2", "B", "500", "2026-01-06"), ("d3", "C", "300", "2026-01-07"),
        ("d4", "D", "300", "2026-01-08")])
    return people, deals


def test_pools_shared_by_contribution_and_equally_add_up_to_the_pool_exactly(tmp_path):
    plan = compile_text(POOLS, "pools.plan")
    results = run_files(plan, *pool_files(tmp_path), trace=True)
    by = {pid: r.component("by_contribution").amount for pid, r in results.items()}
    # t1 shares 1,000 by 500:500:300; t2's D contributed everything, E nothing
    assert by == {"A": D("384.62"), "B": D("384.61"), "C": D("230.77"), "D": D("1000.00"), "E": D("0.00")}
    assert by["A"] + by["B"] + by["C"] == D(1000)
    equal = {pid: r.component("equal").amount for pid, r in results.items()}
    assert equal == {"A": D("33.34"), "B": D("33.33"), "C": D("33.33"), "D": D("50.00"), "E": D("50.00")}
    everyone = {pid: r.component("everyone").amount for pid, r in results.items()}
    assert sum(everyone.values()) == D(1000)
    assert everyone == {"A": D("312.50"), "B": D("312.50"), "C": D("187.50"), "D": D("187.50"), "E": D("0.00")}


def test_a_pool_that_differs_within_the_team_is_an_evaluation_error(tmp_path):
    plan = compile_text(POOLS, "pools.plan")
    with pytest.raises(EvaluationError) as e:
        run_files(plan, *pool_files(tmp_path, {"B": "1200"}))
    assert "not the same for the whole team" in e.value.message
    assert "1000.00 for A" in e.value.message and "1200.00 for B" in e.value.message
    assert e.value.payee == "B"
    assert e.value.span.line == 4


def test_a_pool_that_differs_within_the_team_exits_4_from_the_cli(tmp_path):
    plan_file = tmp_path / "pools.plan"
    plan_file.write_text(POOLS, encoding="utf-8")
    people, deals = pool_files(tmp_path, {"E": "999"})
    result = CliRunner().invoke(app, ["run", str(plan_file), "--people", str(people), "--deals", str(deals)])
    assert result.exit_code == EXIT_EVAL, result.output
    assert "payee E" in result.stderr and "not the same for the whole team" in result.stderr


def test_breakdown_shows_the_pool_formula(tmp_path):
    plan = compile_text(POOLS, "pools.plan")
    results = run_files(plan, *pool_files(tmp_path), trace=True)
    items = {c.name: c.items[0] for c in explain(plan, results["A"]).components}
    assert items["by_contribution"].kind == "pool"
    assert items["by_contribution"].formula == "1,000.00 x 500 / 1,300 = 384.62"
    assert "shared by won among 3 people" in items["by_contribution"].details[0]
    assert items["equal"].formula == "100.00 / 3 = 33.34"
    assert items["everyone"].formula == "1,000.00 x 500 / 1,600 = 312.50"


@settings(max_examples=50)
@given(st.lists(cents(0, 10**8), min_size=1, max_size=6), cents(0, 10**7), st.booleans())
def test_a_pool_among_all_always_adds_up_to_the_pool(tmp_path_factory, sold, pool, equally):
    folder = tmp_path_factory.mktemp("pool")
    how = "equally" if equally else "by won"
    plan = compile_text(f'''plan "P" {{ currency USD period quarter }}
measure won = sum amount of deals
component portion {{ pool {pool:f} USD among all {how} }}
''', "p.plan")
    ids = [f"P{i}" for i in range(len(sold))]
    people = write_csv(folder / "people.csv", ("id",), [(pid,) for pid in ids])
    deals = write_csv(folder / "deals.csv", DEALS, [(f"d{i}", pid, f"{a:f}", "2026-01-05")
                                                     for i, (pid, a) in enumerate(zip(ids, sold))])
    shares = {pid: r.component("portion").amount for pid, r in run_files(plan, people, deals).items()}
    assert sum(shares.values()) == pool
    total = sum(sold)
    for pid, a in zip(ids, sold):
        exact = pool / len(ids) if equally or total == 0 else WIDE.divide(WIDE.multiply(pool, a), total)
        assert abs(shares[pid] - exact) < CENT


# ---- bugs ---------------------------------------------------------------------------------------


def test_a_pool_among_reports_is_refused():
    # a person is among the reports of every manager above them: which pool would they share in?
    from dsl import PlanError

    with pytest.raises(PlanError, match="a pool is shared among all, team, not `reports`"):
        compile_text('plan "R" { currency USD period quarter }\ncomponent portion { pool 900 USD among reports '
                     'equally }\n', "r.plan")


def test_pool_formula_with_all_zero_contributions_does_not_divide_by_zero(tmp_path):
    plan = compile_text('''plan "Z" { currency USD period quarter }
measure won = sum amount of deals
component portion { pool 1_000 USD among all by won }
''', "z.plan")
    people = write_csv(tmp_path / "people.csv", ("id",), [("A",), ("B",), ("C",)])
    deals = write_csv(tmp_path / "deals.csv", DEALS, [("d1", "A", "0", "2026-01-05")])
    results = run_files(plan, people, deals, trace=True)
    assert results["A"].component("portion").amount == D("333.34")  # shared equally: nobody contributed
    formula = explain(plan, results["A"]).components[0].items[0].formula
    assert "/ 0 " not in formula, formula
