"""Properties `over deals`: laws checked for everyone in generated people, deals and split rows.

The plans in tests/failing_plans/ break a law on purpose; the shrunk
counterexample is a pasteable example block.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from incentives import compile_text, load_plan
from incentives.plantest.runner import check_property, run_example, run_plan_tests

FAILING = Path(__file__).resolve().parent / "failing_plans"
SEEDS = [1, 2, 3]


def only_outcome(name: str, seed: int, max_examples: int = 300):
    (outcome,) = run_plan_tests(load_plan(FAILING / f"{name}.plan"), seed, max_examples)
    return outcome


def pasted_example(message: str) -> str:
    """The counterexample block of a failure report, unindented."""
    block = re.search(r"\n(    example .*?\n    \})", message, re.S).group(1)
    return "\n".join(line[4:] for line in block.splitlines())


@pytest.mark.parametrize("seed", SEEDS)
def test_a_fourth_deal_that_ends_a_bonus_is_found_and_shrunk(seed):
    o = only_outcome("deal_cliff", seed)
    assert not o.passed
    sales = o.counterexample["sales"]
    assert o.counterexample["payee"] == "P1" and list(sales.people) == ["P1"]
    # the smallest case: three won deals in the quarter, and the added one
    assert len(sales.deals) == 4 and {d["status"] for d in sales.deals} == {"won"}
    assert "deal D-new" in o.message and "was added for P1, but P1's total fell from 300.00 to" in o.message
    assert "and before the change of P1:" in o.message
    assert "failed (won <= 3: 4 <= 3)" in o.message  # the breakdown shows the line that broke the law


@pytest.mark.parametrize("seed", SEEDS)
def test_a_cap_broken_by_credited_revenue_shrinks_to_the_first_cent_over(seed):
    o = only_outcome("team_cap", seed)
    assert not o.passed
    assert o.law_line == 20
    assert "for P1 it reads 5,000.01 <= 5,000.00, which is false" in o.message


def test_the_counterexample_pastes_back_into_the_plan_as_an_example():
    o = only_outcome("team_cap", 1)
    text = (FAILING / "team_cap.plan").read_text(encoding="utf-8")
    block = pasted_example(o.message).replace("\n}", '\n  expect "P1" commission = 5_000.01 USD\n}')
    compiled = compile_text(text + "\n" + block, "team_cap.plan")
    (example,) = compiled.ir.examples
    outcome = run_example(compiled, example)
    assert outcome.passed, outcome.message


def test_same_seed_same_report():
    assert only_outcome("deal_cliff", 7).message == only_outcome("deal_cliff", 7).message


RAISE = '''plan "Quota cliff" {
  currency USD
  period quarter
  effective 2026-01-01 to 2026-12-31
}

input quota: money range 0 USD to 100_000 USD

measure revenue = sum amount of deals where status == "won" and date in period

component commission {
  pay 10% of revenue
  gate revenue >= quota else 50%
}

component kicker {
  pay 1_000 USD
  gate quota <= 20_000 USD
}
'''


def test_laws_that_hold_pass():
    compiled = compile_text(RAISE + 'property "more quota never pays less" over deals {\n'
                                    '  assume quota > 0 USD\n  always total >= 0 USD\n}\n'
                                    'property "no cliff" over deals {\n  monotone commission in deals\n'
                                    '  always kicker == 0 USD or quota <= 20_000 USD\n}\n')
    for prop in compiled.ir.properties:
        o = check_property(compiled, prop, seed=3, max_examples=100)
        assert o.passed, o.message


def test_a_law_broken_when_an_input_rises_names_the_person_and_both_values():
    compiled = compile_text(RAISE + 'property "kicker" over deals {\n  monotone kicker in quota\n}\n')
    (prop,) = compiled.ir.properties
    o = check_property(compiled, prop, seed=5, max_examples=200)
    assert not o.passed
    assert re.search(r"P\d+'s quota rose from [\d_.]+ USD to [\d_.]+ USD, but P\d+'s kicker fell from "
                     r"1,000.00 to 0.00", o.message), o.message


def test_assumptions_that_hold_for_nobody_are_reported():
    compiled = compile_text(RAISE + 'property "nobody" over deals {\n  assume quota > 100_000 USD\n'
                                    '  always total >= 0 USD\n}\n')
    (prop,) = compiled.ir.properties
    o = check_property(compiled, prop, seed=1, max_examples=50)
    assert not o.passed
    assert "no generated sales data satisfied the assumptions for anyone" in o.message


def test_a_monotone_law_never_compared_fails_instead_of_passing_untested():
    text = '''plan "x" { currency USD period quarter effective 2026-01-01 to 2026-12-31 }
measure revenue = sum amount of deals where status == "won" and date in period
measure deals_won = count of deals where status == "won" and date in period
component commission { pay 5_000 USD - 10% of revenue }
property "p" over deals {
  assume deals_won < 1
  monotone commission in deals
}
'''
    compiled = compile_text(text)
    o = check_property(compiled, compiled.ir.properties[0], seed=1, max_examples=60)
    assert not o.passed
    assert "<plan>:7: this `monotone` law was never compared" in o.message


def test_two_monotone_laws_in_one_property_do_not_see_each_others_changes():
    compiled = compile_text(RAISE.replace("  gate revenue >= quota else 50%\n", "")
                            + 'property "both" over deals {\n  monotone commission in quota\n'
                              '  monotone commission in deals\n  always commission >= 0 USD\n}\n')
    o = check_property(compiled, compiled.ir.properties[0], seed=2, max_examples=150)
    assert o.passed, o.message


def test_over_deals_is_allowed_in_a_plan_with_a_contest_and_no_measures():
    text = '''plan "x" { currency USD period quarter effective 2026-01-01 to 2026-12-31 }
input sold: money range 0 USD to 100_000 USD
contest champ { rank by sold prizes 1_000 USD }
component prize_pay { pay prize(champ) }
property "one prize at most" over deals {
  always prize_pay <= 1_000 USD
}
'''
    compiled = compile_text(text)
    o = check_property(compiled, compiled.ir.properties[0], seed=1, max_examples=50)
    assert o.passed, o.message
