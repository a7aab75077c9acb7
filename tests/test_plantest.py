"""The plan-test runner: examples, properties, shrunk counterexamples, the CLI and the pytest plugin.

The plans in tests/failing_plans/ break a law on purpose.
"""

from __future__ import annotations

import re
import shutil
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dsl import Source, parse
from incentives import compile_text, load_plan
from incentives.cli.app import EXIT_PLAN, app
from incentives.plantest.runner import check_property, run_example, run_plan_tests

HERE = Path(__file__).resolve().parent
FAILING = HERE / "failing_plans"
SEEDS = [1, 2, 3]


def only_outcome(name: str, seed: int):
    (outcome,) = run_plan_tests(load_plan(FAILING / f"{name}.plan"), seed)
    return outcome


@pytest.mark.parametrize("seed", SEEDS)
def test_cap_violation_shrinks_to_the_first_revenue_that_breaks_it(seed):
    # 10% of 100,000.04 is 10,000.004 -> 10,000.00; of 100,000.05 it is 10,000.005 -> 10,000.01 (half up)
    o = only_outcome("over_cap", seed)
    assert not o.passed
    assert o.counterexample == {"revenue": D("100000.05")}
    assert o.law_line == 14
    assert "here it reads 10,000.01 <= 10,000.00, which is false" in o.message
    assert "given revenue = 100_000.05 USD" in o.message


@pytest.mark.parametrize("seed", SEEDS)
def test_monotone_violation_is_shrunk_to_the_threshold(seed):
    o = only_outcome("decelerator", seed)
    assert not o.passed
    assert o.counterexample == {"revenue": D("50000")}  # the decelerator's threshold
    m = re.search(r"revenue rose from ([\d_.]+) USD to 50_000 USD, but total fell from ([\d,.]+) to 2,500.00", o.message)
    assert m, o.message
    low, paid = D(m.group(1).replace("_", "")), D(m.group(2).replace(",", ""))
    assert low < 50_000 and paid == (low / 10).quantize(D("0.01"), rounding=ROUND_HALF_UP) and paid > D("2500.00")
    assert "decelerator on revenue" in o.message  # the breakdown shows the line that broke the law


@pytest.mark.parametrize("seed", SEEDS)
def test_an_evaluation_error_is_a_failure_with_its_inputs(seed):
    o = only_outcome("zero_quota", seed)
    assert not o.passed
    assert o.counterexample["quota"] == 0
    assert "could not be evaluated: division by zero: `quota` is 0" in o.message


def test_assumptions_that_never_hold_are_reported():
    o = only_outcome("impossible", 1)
    assert not o.passed and o.counterexample is None
    assert "no inputs satisfying the assumptions were found" in o.message


def test_same_seed_same_report():
    plan = load_plan(FAILING / "decelerator.plan")
    a = check_property(plan, plan.ir.properties[0], seed=42)
    b = check_property(plan, plan.ir.properties[0], seed=42)
    assert a.message == b.message and a.tried == b.tried


def test_the_counterexample_pastes_back_into_the_plan_as_a_failing_example(tmp_path):
    source = (FAILING / "over_cap.plan").read_text(encoding="utf-8")
    o = only_outcome("over_cap", 1)
    block = o.message.split("keep it as an example):\n", 1)[1].split("\n  breakdown:", 1)[0]
    pasted = "\n".join(line[4:] for line in block.splitlines())
    plan = compile_text(source + "\n" + pasted.replace("\n}", "\n  expect total = 10_000 USD\n}"), "pasted.plan")
    (example,) = plan.ir.examples
    result = run_example(plan, example)
    assert not result.passed
    assert "expected total = 10,000.00, got 10,000.01 (+0.01)" in result.message


PASSING = '''plan "P" { currency USD period month }
input revenue: money range 0 USD to 200_000 USD
input quota: money range 1 USD to 100_000 USD
let attainment = revenue / quota
component commission {
  tiers marginal on revenue { from 0 USD to 100% of quota: 5% from 100% of quota: 8% }
  cap 12_000 USD
}
award star { kind title when attainment >= 150% }
example "at quota" {
  given revenue = 80_000 USD, quota = 80_000 USD
  expect commission = 4_000 USD
  expect total = 4_000 USD
  expect no award star
}
example "star" {
  given revenue = 150_000 USD, quota = 100_000 USD
  expect commission = 9_000 USD
  expect award star
}
property "capped, never negative, monotone" {
  always total <= 12_000 USD and total >= 0 USD
  monotone total in revenue
}
property "stars earn" {
  assume star
  always commission > 0 USD
}
'''


def test_a_plan_whose_tests_all_pass():
    outcomes = run_plan_tests(compile_text(PASSING, "p.plan"), seed=5)
    assert [(o.kind, o.label, o.passed) for o in outcomes] == [
        ("example", "at quota", True), ("example", "star", True),
        ("property", "capped, never negative, monotone", True), ("property", "stars earn", True)]
    assert all(o.tried >= 100 for o in outcomes if o.kind == "property")


def test_a_wrong_expectation_names_its_line_and_the_difference():
    plan = compile_text(PASSING.replace("expect commission = 9_000 USD", "expect commission = 9_500 USD"), "p.plan")
    o = run_example(plan, plan.ir.examples[1])
    assert not o.passed
    assert o.message.startswith("p.plan:18: expected commission = 9,500.00, got 9,000.00 (-500.00)")
    assert "band 2: 8% x (150,000.00 - 100,000.00) = 4,000.00" in o.message


def test_a_wrong_award_expectation():
    plan = compile_text(PASSING.replace("expect no award star", "expect award star"), "p.plan")
    o = run_example(plan, plan.ir.examples[0])
    assert "expected award `star` granted, but it was not granted" in o.message


def test_examples_and_properties_survive_fmt():
    source = Source("p.plan", PASSING)
    from dsl.fmt import format_plan

    once = format_plan(parse(source))
    assert parse(Source("p.plan", once)).decls == parse(source).decls
    assert format_plan(parse(Source("p.plan", once))) == once


def test_cli_test_command_reports_and_exits(tmp_path):
    runner = CliRunner()
    good = tmp_path / "good.plan"
    good.write_text(PASSING, encoding="utf-8")
    ok = runner.invoke(app, ["test", str(good), "--seed", "3"])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("seed 3 (rerun with --seed 3)\n")
    assert "4 passed, 0 failed" in ok.stdout
    bad = runner.invoke(app, ["test", str(FAILING), "--seed", "3", "--max-examples", "300"])
    assert bad.exit_code == EXIT_PLAN
    assert "0 passed, 6 failed" in bad.stdout
    assert f"rerun: incentives test {FAILING} --seed 3" in bad.stdout


@pytest.mark.skipif(shutil.which("incentives") is None,
                    reason="the pytest plugin is registered by installing the package (pip install -e .)")
def test_pytest_plugin_collects_plans_and_reports_in_plan_terms(pytester):
    pytester.makeini("[pytest]\nincentives_plans = plans\n")
    plans = pytester.mkdir("plans")
    (plans / "good.plan").write_text(PASSING, encoding="utf-8")
    shutil.copy(FAILING / "over_cap.plan", plans / "over_cap.plan")
    result = pytester.runpytest("--incentives-seed", "9", "-rf")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines([
        "*incentives: plan properties use seed 9*",
        '*property "never above 10,000"*failed*',
        "*law broken: always total <= 10_000 USD*",
        "*given revenue = 100_000.05 USD*",
        "*repeat with: pytest --incentives-seed 9*",
    ])


def test_an_example_value_outside_the_declared_range_is_a_check_error():
    from dsl import PlanError

    with pytest.raises(PlanError) as info:
        compile_text(PASSING.replace("given revenue = 80_000 USD", "given revenue = 300_000 USD"), "p.plan")
    assert "`revenue` is declared from 0 USD to 200_000 USD; an example cannot give it 300_000 USD" in str(info.value)


def test_an_assumption_can_rule_out_inputs_the_plan_cannot_evaluate():
    source = (FAILING / "zero_quota.plan").read_text(encoding="utf-8")
    plan = compile_text(source.replace("  always total >= 0 USD", "  assume quota > 0 USD\n  always total >= 0 USD"),
                        "zero_quota.plan")
    (outcome,) = run_plan_tests(plan, seed=1)
    assert outcome.passed, outcome.message


def test_repeated_input_options_are_refused():
    from dsl import PlanError

    with pytest.raises(PlanError, match="`default` is given twice for `x`"):
        compile_text('plan "p" { currency USD period month }\ninput x: money default 1 USD default 2 USD\n'
                     'component c { pay x }\n', "p.plan")


def test_an_assumption_that_cannot_be_worked_out_for_a_monotone_pair_rules_it_out():
    compiled = compile_text('plan "m" { currency USD period month }\ninput x: count range 0 to 3\n'
                            'component d { pay x * 1 USD }\n'
                            'property "m" {\n  assume 1 / x > 0\n  monotone d in x\n}\n')
    o = check_property(compiled, compiled.ir.properties[0], seed=3, max_examples=100)
    assert o.passed, o.message


def test_two_monotone_laws_on_one_line_are_counted_apart():
    compiled = compile_text('plan "m" { currency USD period month }\n'
                            'input x: count range 0 to 3\ninput y: count range 0 to 3\n'
                            'component d { pay x * 1 USD }\ncomponent c { pay y * 1 USD }\n'
                            'property "m" { assume y == 0 monotone d in x monotone c in y }\n')
    o = check_property(compiled, compiled.ir.properties[0], seed=3, max_examples=100)
    assert not o.passed  # y is always 0 under the assumption: `monotone c in y` is never compared
    assert o.message.count("this `monotone` law was never compared") == 1
    assert "relax the `assume` lines" in o.message
