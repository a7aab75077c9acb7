"""Examples that give sales data: people, deals, split rows, a period and data files.

They run the plan over the example's people as a population, so crediting,
roll-ups, per-deal tiers, contests and pools are tested inside the plan.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from dsl import PlanError, Source, parse
from dsl.fmt import format_plan
from incentives import compile_text
from incentives.plantest.runner import run_example

HEADER = '''plan "Sales examples" {
  currency USD
  period quarter
  effective 2026-01-01 to 2026-12-31
}

crediting { splits rollup }

input quota: money default 0 USD

measure revenue = sum amount of deals where status == "won" and date in period
measure own = sum amount of deals where status == "won" and credit != "rollup" and date in period
measure deals_won = count of deals where status == "won" and credit != "rollup" and date in period

component commission {
  pay 10% of own
}

component override {
  pay 1% of (revenue - own)
}

component per_deal {
  tiers marginal per deal on amount where status == "won" and credit != "rollup" {
    from 0 USD to 1_000 USD: 1%
    from 1_000 USD to 3_000 USD: 2%
    from 3_000 USD to 8_000 USD: 3%
    from 8_000 USD to 20_000 USD: 5%
  }
}

component running {
  tiers marginal running on amount where status == "won" and credit != "rollup" {
    from 0 USD to 1_000 USD: 1%
    from 1_000 USD to 3_000 USD: 2%
    from 3_000 USD to 8_000 USD: 3%
    from 8_000 USD to 20_000 USD: 5%
  }
}

award quota_club {
  kind recognition
  when quota > 0 USD and own >= quota
}
'''

SPLIT = '''
example "A 100,000 deal split 60/40 at 10%" {
  period "2026-Q1"
  person "AE-1" { team = "East", manager = "MGR", quota = 50_000 USD }
  person "AE-2" { team = "East", manager = "MGR", quota = 50_000 USD }
  person "MGR" { team = "East" }
  deal "D-1" { owner = "AE-1", amount = 100_000 USD, date = 2026-02-10 }
  # outside the quarter, and cancelled: neither counts
  deal "D-2" { owner = "AE-1", amount = 5_000 USD, date = 2026-04-01 }
  deal "D-3" { owner = "AE-2", amount = 7_000 USD, date = 2026-03-31, status = "cancelled" }
  split "D-1" 40% to "AE-2"
  expect "AE-1" commission = 6_000 USD
  expect "AE-2" commission = 4_000 USD
  expect "AE-1" own = 60_000 USD
  expect "AE-2" deals_won = 1
  # the manager: 1% of the 100,000 rolled up from both
  expect "MGR" override = 1_000 USD
  expect "MGR" commission = 0 USD
  expect "AE-1" award quota_club
  expect "AE-2" no award quota_club
}
'''

WORKED = '''
example "Issue 3's worked example" {
  person "AE" {}
  deal "1" { owner = "AE", amount = 200 USD, date = 2026-01-05 }
  deal "2" { owner = "AE", amount = 300 USD, date = 2026-01-06 }
  deal "3" { owner = "AE", amount = 1_500 USD, date = 2026-01-07 }
  deal "4" { owner = "AE", amount = 1_200 USD, date = 2026-01-08 }
  deal "5" { owner = "AE", amount = 2_000 USD, date = 2026-01-09 }
  deal "6" { owner = "AE", amount = 4_500 USD, date = 2026-01-10 }
  # each deal alone: 2 + 3 + 20 + 14 + 30 + 95
  expect "AE" per_deal = 164 USD
  # the running total 9,700 through the bands: 10 + 40 + 150 + 85
  expect "AE" running = 285 USD
}
'''


def plan(*examples: str, name: str = "<plan>"):
    return compile_text(HEADER + "".join(examples), name)


def outcome(text: str, name: str = "<plan>"):
    compiled = plan(text, name=name)
    (ex,) = compiled.ir.examples
    return run_example(compiled, ex)


def test_a_split_deal_pays_each_person_their_share():
    o = outcome(SPLIT)
    assert o.passed, o.message


def test_issue_3_worked_example_per_deal_and_running():
    o = outcome(WORKED)
    assert o.passed, o.message


def test_a_wrong_expectation_names_the_person_the_line_and_the_difference():
    o = outcome(SPLIT.replace('expect "AE-2" commission = 4_000 USD', 'expect "AE-2" commission = 4_000.01 USD'))
    assert not o.passed
    line = HEADER.count("\n") + SPLIT.count("\n", 0, SPLIT.index('expect "AE-2" commission')) + 1
    assert f"<plan>:{line}: AE-2: expected commission = 4,000.01, got 4,000.00 (-0.01)" in o.message
    assert "breakdown of AE-2:" in o.message
    assert "D-1  2026-02-10  100,000.00 x 40% (split) = 40,000.00" in o.message  # the deal behind the amount


def test_a_wrong_measure_and_award_expectation():
    o = outcome(SPLIT.replace('expect "AE-2" deals_won = 1', 'expect "AE-2" deals_won = 2')
                .replace('expect "AE-2" no award', 'expect "AE-2" award'))
    assert not o.passed
    assert "AE-2: expected deals_won = 2, got 1 (-1)" in o.message
    assert "AE-2: expected award `quota_club` granted, but it was not granted" in o.message


def test_examples_read_data_files_next_to_the_plan(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "people.csv").write_text("id,team,manager,quota\nAE-1,East,,50000\nAE-2,East,,0\n")
    (tmp_path / "data" / "deals.csv").write_text("id,owner,amount,date,status\nD-1,AE-1,100000,2026-02-10,won\n")
    (tmp_path / "data" / "splits.csv").write_text("deal,person,share,kind\nD-1,AE-2,25%,split\n")
    text = '''
example "From files, with one more deal written inline" {
  period 2026-01-01 to 2026-03-31
  people from "data/people.csv"
  deals from "data/deals.csv"
  splits from "data/splits.csv"
  deal "D-9" { owner = "AE-2", amount = 1_000 USD, date = 2026-03-01 }
  expect "AE-1" commission = 7_500 USD
  expect "AE-2" commission = 2_600 USD
}
'''
    path = tmp_path / "files.plan"
    path.write_text(HEADER + text)
    o = outcome(text, name=str(path))
    assert o.passed, o.message


def test_a_file_problem_fails_the_example_naming_the_file_and_row(tmp_path: Path):
    (tmp_path / "people.csv").write_text("id,team,manager,quota\nAE-1,East,,50000\n")
    text = '''
example "An owner nobody knows" {
  people from "people.csv"
  deal "D-1" { owner = "AE-7", amount = 1_000 USD, date = 2026-02-01 }
  expect "AE-1" commission = 0 USD
}
'''
    path = tmp_path / "bad.plan"
    o = outcome(text, name=str(path))
    assert not o.passed
    line = HEADER.count("\n") + 4
    assert f"{path}:{line}: owner `AE-7` is not one of the example's people" in o.message

    missing = outcome(text.replace("people.csv", "nobody.csv"), name=str(path))
    assert not missing.passed and "nobody.csv" in missing.message


def test_the_period_decides_which_deals_count():
    text = SPLIT.replace('period "2026-Q1"', 'period "2026-Q2"')
    o = outcome(text)
    assert not o.passed
    assert "AE-1: expected commission = 6,000.00, got 500.00" in o.message  # only D-2, on 1 April


def test_without_a_period_the_plans_effective_dates_apply():
    o = outcome(SPLIT.replace('  period "2026-Q1"\n', ""))
    assert not o.passed  # D-2 (1 April) now counts: 60,000 + 5,000
    assert "AE-1: expected commission = 6,000.00, got 6,500.00 (+500.00)" in o.message


def test_fmt_keeps_every_line_of_an_example_in_order_with_its_comments():
    source = Source("<plan>", HEADER + SPLIT + WORKED)
    once = format_plan(parse(source))
    assert format_plan(parse(Source("<plan>", once))) == once
    assert once.index("# outside the quarter") < once.index('deal "D-2"') < once.index('split "D-1" 40% to "AE-2"')
    assert '  person "MGR" { team = "East" }\n' in once
    assert '  person "AE" {}\n' in once
    squeezed = HEADER + 'example "x" { period 2026-01-01 to 2026-03-31 person "A" {quota=1 USD} ' \
                        'deal "D" {owner="A",amount=5 USD,date=2026-01-02} split "D" 50% to "A" ' \
                        'deals from "d.csv" expect "A" no award quota_club }'
    out = format_plan(parse(Source("<plan>", squeezed)))
    assert out.endswith('''example "x" {
  period 2026-01-01 to 2026-03-31
  person "A" { quota = 1 USD }
  deal "D" { owner = "A", amount = 5 USD, date = 2026-01-02 }
  split "D" 50% to "A"
  deals from "d.csv"
  expect "A" no award quota_club
}
''')


def test_in_period_is_explained_as_two_comparisons():
    from incentives.explain.build import explain
    from incentives.sales.population import Population
    from incentives.plantest.example_data import example_sales
    from incentives.explain.render import render_text

    compiled = plan(SPLIT)
    (ex,) = compiled.ir.examples
    results = Population(compiled, example_sales(compiled, ex.sales), ex.sales.period).run(trace=True)
    text = render_text(explain(compiled, next(r for r in results if r.payee == "AE-1")))
    assert 'status == "won" and date in period' in text
    measures = text.split("Measures")[1].split("commission")[0]
    assert text.count("D-1  2026-02-10") >= 1
    # D-2 closed after the period: listed as left out, with the reason, never as counted
    d2 = [line for line in measures.splitlines() if "D-2" in line]
    assert d2 and all("outside the period" in line and " x " not in line for line in d2)


@pytest.mark.parametrize("snippet, message", [
    ('example "x" { person "A" {} expect "A" total = 0 USD given quota = 1 USD }',
     "this example gives people: give each person's inputs in their `person` line"),
    ('example "x" { given quota = 1 USD expect "A" total = 0 USD }',
     "this example gives no people: expect amounts without a person's id"),
    # (a period line alone sets a one-payee example's period: see tests/test_constructs_13.py)
    ('example "x" { deals from "d.csv" }', "gives sales data but no people"),
    ('example "x" { person "A" {} person "A" {} }', "person `A` is given twice in this example"),
    ('example "x" { person "A" { hire_date = "soon" } }', "`hire_date` is a date, but this is text"),
    ('example "x" { person "A" {} split "D" 0% to "A" deal "D" { owner = "A", amount = 1 USD, '
     'date = 2026-01-01 } }', "a share is above 0% and at most 100%"),
    ('example "x" { person "A" {} deal "D" { owner = "A", amount = 1 USD, date = 2026-01-01, credit = "split" } }',
     "`credit` is not a deal column"),
    ('example "x" { period 2026-03-01 to 2026-01-01 person "A" {} }', "the period ends before it starts"),
    ('example "x" { people from "a.csv" people from "b.csv" }', "`people from` is given twice"),
    ('example "y" { person "A" {} expect "A" own = if 2026-01-01 in period then 1 USD else 2 USD }',
     "there is no period in an example: give constant values"),
    ('let early = quota in period', "`in period` tests a date, but this is money"),
])
def test_mistakes_in_sales_examples_are_check_errors(snippet, message):
    with pytest.raises(PlanError) as info:
        compile_text(HEADER + snippet)
    assert message in info.value.render()


def test_measures_may_still_be_given_in_an_example_without_people():
    o = outcome('example "alone" { given quota = 10 USD, own = 20 USD, revenue = 50 USD\n'
                '  expect commission = 2 USD  expect override = 0.30 USD  expect own = 20 USD }')
    assert o.passed, o.message


def test_definitions_see_the_period():
    compiled = compile_text(HEADER + "let early = 2026-01-01 in period\n")
    import datetime as dt

    values = {"quota": D(0), "period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 3, 31)}
    assert compiled.evaluator.run(values, "A", trace=True).values["early"] is True
    values["period_start"] = dt.date(2026, 1, 2)
    assert compiled.evaluator.run(values, "A", trace=True).values["early"] is False


def test_a_circle_of_managers_is_a_check_error_inline_and_a_data_error_from_a_file(tmp_path: Path):
    with pytest.raises(PlanError) as info:
        compile_text(HEADER + 'example "loop" { person "A" { manager = "B" } person "B" { manager = "A" } }')
    assert "the managers of `A` go round in a circle" in info.value.render()
    (tmp_path / "people.csv").write_text("id,team,manager\nA,,\n")
    text = ('example "loop" { people from "people.csv" person "B" { manager = "C" } person "C" { manager = "B" } '
            'expect "A" total = 0 USD }')  # with a people file, ids are checked when it is read
    o = outcome(text, name=str(tmp_path / "loop.plan"))  # would never end if the circle were not found
    assert not o.passed and "go round in a circle" in o.message


def test_a_second_period_line_is_refused_and_kept_by_fmt():
    text = HEADER + 'example "x" {\n  period "2026-Q1"\n  person "A" {}\n  period "2026-Q2"\n}\n'
    with pytest.raises(PlanError) as info:
        compile_text(text)
    assert "an example has one `period` line" in info.value.render()
    assert 'period "2026-Q2"' in format_plan(parse(Source("<plan>", text)))


def test_a_deal_in_another_currency_is_a_check_error():
    with pytest.raises(PlanError) as info:
        compile_text(HEADER + 'example "x" { person "A" {} deal "D" { owner = "A", amount = 1 USD, '
                              'date = 2026-01-02, currency = "EUR" } }')
    assert "the plan pays in USD; a deal in EUR is refused when the data is read" in info.value.render()


def test_a_deal_line_without_a_column_the_plan_reads_names_the_column_to_write():
    text = HEADER.replace('measure own = sum amount of deals where status == "won"',
                          'measure own = sum amount of deals where deal_margin > 0 USD and status == "won"')
    compiled = compile_text(text + 'example "x" { person "A" {} deal "D" { owner = "A", amount = 1 USD, '
                                   'date = 2026-01-02 } expect "A" total = 0 USD }')
    o = run_example(compiled, compiled.ir.examples[0])
    assert not o.passed and "deal `D` has no `margin` (the plan uses it)" in o.message


def test_a_record_written_over_several_lines_keeps_a_field_a_line_and_its_comments():
    text = HEADER + '''example "x" {
  person "A" {  # who
    quota = 1 USD,  # the quota
    team = "East"
  }
  expect "A" total = 0 USD
}
'''
    once = format_plan(parse(Source("<plan>", text)))
    assert '  person "A" {  # who\n    quota = 1 USD,  # the quota\n    team = "East"\n  }\n' in once
    assert format_plan(parse(Source("<plan>", once))) == once


def test_one_payee_tests_see_the_plans_effective_dates_as_the_period():
    text = '''plan "x" { currency USD period quarter effective 2026-01-01 to 2026-12-31 }
input start: date
let new_hire = start in period
component welcome { pay 500 USD gate new_hire }
example "hired in the year" { given start = 2026-12-31 expect welcome = 500 USD }
example "hired before" { given start = 2025-12-31 expect welcome = 0 USD }
'''
    compiled = compile_text(text)
    for ex in compiled.ir.examples:
        o = run_example(compiled, ex)
        assert o.passed, o.message
    without = compile_text(text.replace(" effective 2026-01-01 to 2026-12-31", ""))
    o = run_example(without, without.ir.examples[0])
    assert not o.passed
    assert "<plan>:3:16: payee hired in the year: `period_start` has no value" in o.message  # the `in period`


def test_a_credit_row_without_its_share_says_so():
    text = HEADER + 'example "x" {\n  person "A" {}\n  split "D1" to "A"\n}\n'
    with pytest.raises(PlanError) as info:
        compile_text(text)
    assert 'is the share missing? A credit row reads `split "D-1" 40% to "A-2"`' in info.value.render()
