"""Activities: performance records beside deals (meetings, calls, visits) - the `activities` block,
measures `of activities`, loading with located errors, the CLI, the API, examples and statements."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import incentives
from dsl import PlanError, Source, parse
from dsl.fmt import format_plan
from incentives import DataError, compile_text, load_plan
from incentives.cli.app import EXIT_DATA, EXIT_USAGE, app
from incentives.plantest.runner import run_example, run_plan_tests

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "plans" / "sdr_activities.plan"
PEOPLE = ROOT / "plans" / "data" / "sdr_activities.csv"
ACTIVITIES = ROOT / "plans" / "data" / "sdr_activities.activities.csv"

TEXT = '''plan "Calls" {
  currency USD
  period month
  effective 2026-01-01 to 2026-12-31
}

input rate: money default 10 USD

activities {
  field minutes: number range 0 to 600
  field channel: text in {"phone", "video"} default "phone"
}

measure calls = count of activities where type == "call" and date in period
measure video_minutes = sum minutes of activities where channel == "video" and date in period
measure long_calls = count of activities where minutes * 2 >= 60

component call_pay {
  pay calls * rate + video_minutes * 1 USD
}
'''


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    people = write(tmp_path / "people.csv", "id,rate\nA,10\nB,20\n")
    acts = write(tmp_path / "acts.csv", "id,owner,date,type,minutes,channel\n"
                                        "X1,A,2026-01-02,call,30,video\n"
                                        "X2,A,2026-01-03,call,5,\n"
                                        "X3,A,2026-02-01,call,40,video\n"
                                        "X4,B,2026-01-09,visit,90,video\n"
                                        "X5,B,2026-01-10,call,29,phone\n")
    return people, acts


def test_measures_count_and_sum_the_owners_activities_with_conditions_and_period(files):
    people, acts = files
    plan = compile_text(TEXT, "calls.plan")
    run = plan.run_population(people=people, activities=acts, period="2026-01", trace=True)
    a, b = run["A"], run["B"]
    assert a.values["calls"] == 2  # X3 is in February
    assert a.values["video_minutes"] == 30
    assert a.values["long_calls"] == 2  # no period in this one: X1 (60) and X3 (80)
    assert a.total == Decimal("50.00")  # 2 x 10 + 30 x 1
    assert b.values["calls"] == 1 and b.values["video_minutes"] == 90 and b.values["long_calls"] == 1
    assert b.total == Decimal("110.00")  # 1 x 20 + 90 x 1
    # the trace lists the activities behind each measure
    traced = {m.name: [x["id"] for x in m.deals] for m in a.measures}
    assert traced == {"calls": ["X1", "X2"], "video_minutes": ["X1"], "long_calls": ["X1", "X3"]}


def test_activities_given_as_a_list_default_their_declared_columns(files):
    people, _ = files
    plan = compile_text(TEXT, "calls.plan")
    rows = [{"id": "L1", "owner": "A", "date": dt.date(2026, 1, 5), "type": "call", "minutes": Decimal(40)},
            {"id": "L2", "owner": "B", "date": dt.date(2026, 1, 6), "type": "call", "minutes": Decimal(3),
             "channel": "video"}]
    run = plan.run_population(people=people, activities=rows, period="2026-01")
    assert run["A"].total == Decimal("10.00") and run["B"].total == Decimal("23.00")
    with pytest.raises(DataError) as info:
        plan.run_population(people=people, activities=[{"id": "L3", "owner": "Z", "date": dt.date(2026, 1, 5),
                                                        "type": "call", "minutes": Decimal(1)}])
    assert "activities: item 1, column owner: `Z` is not in the people table" in str(info.value)


def test_loading_errors_name_file_row_and_column(tmp_path, files):
    people, _ = files
    plan = compile_text(TEXT, "calls.plan")
    folks = incentives.load_people(people, plan)
    bad = write(tmp_path / "bad.csv", "id,owner,date,type,minutes,channel\n"
                                      "X1,A,2026-13-01,call,30,video\n"
                                      "X1,Q,2026-01-02,call,700,fax\n"
                                      "X2,A,2026-01-02,,,\n")
    with pytest.raises(DataError) as info:
        incentives.load_activities(bad, plan, folks)
    text = str(info.value)
    assert f"{bad}: row 2, column date: expected a date" in text
    assert f"{bad}: row 3: activity id `X1` appears twice (first at row 2)" in text
    assert f"{bad}: row 3, column owner: no person with id `Q` in the people table" in text
    assert f"{bad}: row 3, column minutes: expected a value from 0 to 600" in text
    assert f"{bad}: row 3, column channel: expected one of" in text
    assert f"{bad}: row 4, column type: no value; expected text" in text
    assert f"{bad}: row 4, column minutes: no value; expected number (the plan uses it)" in text
    headerless = write(tmp_path / "short.csv", "id,owner,date\nX1,A,2026-01-01\n")
    with pytest.raises(DataError) as info:
        incentives.load_activities(headerless, plan, folks)
    assert f"{headerless}: header: missing column `type`" in str(info.value)


def test_activities_read_from_json(tmp_path, files):
    people, _ = files
    plan = compile_text(TEXT, "calls.plan")
    acts = write(tmp_path / "acts.json", json.dumps([
        {"id": "J1", "owner": "A", "date": "2026-01-02", "type": "call", "minutes": 12, "channel": "video"}]))
    run = plan.run_population(people=people, activities=acts, period="2026-01")
    assert run["A"].total == Decimal("22.00") and run["B"].total == Decimal("0.00")


def test_a_plan_that_reads_activities_without_them_says_how_to_give_them(files):
    people, _ = files
    plan = compile_text(TEXT, "calls.plan")
    with pytest.raises(DataError) as info:
        plan.run_population(people=people)
    assert "the plan reads activities: give them with activities=" in str(info.value)
    result = CliRunner().invoke(app, ["run", str(PLAN), "--people", str(PEOPLE)])
    assert result.exit_code == EXIT_USAGE
    assert "the plan reads activities: give them with --activities" in result.output


def test_cli_runs_a_plan_over_its_activities_and_explains_them():
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(PLAN), "--people", str(PEOPLE), "--activities", str(ACTIVITIES),
                                 "--period", "2026-01", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "SDR-04,280.00,100.00,380.00" in result.output.splitlines()
    assert "SDR-03,150.00,100.00,250.00" in result.output.splitlines()
    explained = runner.invoke(app, ["run", str(PLAN), "--people", str(PEOPLE), "--activities", str(ACTIVITIES),
                                    "--period", "2026-01", "--explain", "--payee", "SDR-04"])
    assert explained.exit_code == 0, explained.output
    assert "qualified_meetings = 5" in explained.output and "5 activities" in explained.output
    assert "ACT-023  2026-01-02  meeting" in explained.output
    assert "Total (USD)" in explained.output and "380.00" in explained.output


def test_cli_reports_a_bad_activities_file_with_its_row(tmp_path):
    bad = write(tmp_path / "bad.csv", "id,owner,date,type\nA1,NOBODY,2026-01-02,meeting\n")
    result = CliRunner().invoke(app, ["run", str(PLAN), "--people", str(PEOPLE), "--activities", str(bad), "--period", "2026-01"])
    assert result.exit_code == EXIT_DATA
    assert "row 2, column owner: no person with id `NOBODY`" in result.output


def test_the_markdown_statement_lists_the_activities(files):
    people, acts = files
    plan = compile_text(TEXT, "calls.plan")
    run = plan.run_population(people=people, activities=acts, period="2026-01", trace=True)
    breakdown = incentives.explain(plan, run["A"])
    calls = next(m for m in breakdown.measures if m.name == "calls")
    assert [(x.id, x.date, x.type) for x in calls.activities] == [("X1", "2026-01-02", "call"),
                                                                  ("X2", "2026-01-03", "call")]
    minutes = next(m for m in breakdown.measures if m.name == "video_minutes")
    assert [(x.id, x.value) for x in minutes.activities] == [("X1", "30")]
    md = incentives.render(breakdown, "markdown")
    assert "Activities behind calls: 2" in md and "| X2 | 2026-01-03 | call |" in md
    assert "Activities behind" in incentives.render(breakdown, "html")


def test_the_bundled_plan_pays_its_data_as_worked_out_by_hand():
    plan = load_plan(PLAN)
    run = plan.run_population(people=PEOPLE, activities=ACTIVITIES, period="2026-01")
    assert {r.payee: r.total for r in run} == {
        "SDR-01": Decimal("360.00"), "SDR-02": Decimal("150.00"), "SDR-03": Decimal("250.00"),
        "SDR-04": Decimal("380.00"), "SDR-05": Decimal("0.00"), "SDR-06": Decimal("200.00")}


def test_the_bundled_plans_examples_and_properties_pass():
    outcomes = run_plan_tests(load_plan(PLAN), seed=3, max_examples=30)
    assert len(outcomes) == 4 and all(o.passed for o in outcomes), [o.message for o in outcomes]


def test_an_example_with_activity_lines_that_expects_wrongly_fails(tmp_path):
    text = TEXT + '''
example "calls" {
  period "2026-01"
  person "A" {}
  activity "C-1" { owner = "A", date = 2026-01-02, type = "call", minutes = 20 }
  activity "C-2" { owner = "A", date = 2026-01-03, type = "call", minutes = 25, channel = "video" }
  expect "A" calls = 2
  expect "A" total = 46 USD
}
'''
    plan = compile_text(text, str(tmp_path / "calls.plan"))
    outcome = run_example(plan, plan.ir.examples[0])
    assert not outcome.passed and "45.00" in outcome.message  # 2 x 10 + 25 x 1
    fixed = compile_text(text.replace("total = 46 USD", "total = 45 USD"), str(tmp_path / "calls.plan"))
    assert run_example(fixed, fixed.ir.examples[0]).passed


def test_an_example_reads_activities_only_inside_the_plans_folder(tmp_path):
    text = TEXT + '''
example "outside" {
  period "2026-01"
  person "A" {}
  activities from "../elsewhere.csv"
  expect "A" total = 0 USD
}
'''
    with pytest.raises(PlanError) as info:
        compile_text(text, str(tmp_path / "calls.plan"))
    assert "goes up out of it" in str(info.value)


def test_checker_refuses_deal_columns_names_and_activity_lines_without_a_measure():
    assert "`amount` is not an activity column" in str(
        pytest.raises(PlanError, compile_text, TEXT.replace("sum minutes of activities", "sum amount of activities"),
                      "x.plan").value)
    clash = TEXT.replace("input rate: money default 10 USD", "input rate: money default 10 USD\ninput channel: text "
                                                              "default \"x\"")
    assert "`channel` is an activity column in this plan" in str(pytest.raises(PlanError, compile_text, clash,
                                                                               "x.plan").value)
    two = TEXT + "\nactivities {\n  field more: number\n}\n"
    assert "a plan has one `activities` block" in str(pytest.raises(PlanError, compile_text, two, "x.plan").value)
    unused = TEXT.replace("measure calls = count of activities", "measure calls = count of deals") \
        .replace("measure video_minutes = sum minutes of activities where channel == \"video\" and date in period",
                 "measure video_minutes = sum amount of deals") \
        .replace("measure long_calls = count of activities where minutes * 2 >= 60",
                 "measure long_calls = count of deals") \
        + 'example "e" {\n  period "2026-01"\n  person "A" {}\n  activity "C" { owner = "A", date = 2026-01-02, ' \
          'type = "call", minutes = 1 }\n  expect "A" total = 0 USD\n}\n'
    assert "this plan measures no activities" in str(pytest.raises(PlanError, compile_text, unused, "x.plan").value)


def test_fmt_prints_the_activities_block_and_activity_lines():
    text = TEXT + 'example "e" { period "2026-01" person "A" {} activity "C" { owner = "A", date = 2026-01-02, ' \
                  'type = "call", minutes = 1 } activities from "data/x.csv" expect "A" total = 10 USD }\n'
    once = format_plan(parse(Source("x.plan", text)))
    assert 'activities {\n  field minutes: number range 0 to 600\n' in once
    assert '  activity "C" { owner = "A", date = 2026-01-02, type = "call", minutes = 1 }\n' in once
    assert '  activities from "data/x.csv"\n' in once
    assert format_plan(parse(Source("x.plan", once))) == once


MEETINGS = '''plan "Meetings" {
  currency USD
  period month
  effective 2026-01-01 to 2026-12-31
}

activities {
  field minutes: number optional range 0 to 480
  field channel: text in {"phone", "video"} default "phone"
}

measure meetings = count of activities where type == "meeting"

component meeting_pay {
  pay meetings * 10 USD
}
'''


def test_over_deals_draws_activities_and_a_broken_law_prints_them_as_pasteable_lines(tmp_path):
    import re

    from incentives.plantest.runner import check_property

    text = MEETINGS + 'property "few meetings" over deals {\n  always meetings <= 3\n}\n'
    compiled = compile_text(text, str(tmp_path / "meetings.plan"))
    (prop,) = compiled.ir.properties
    o = check_property(compiled, prop, seed=1, max_examples=200)
    assert not o.passed
    payee, sales = o.counterexample["payee"], o.counterexample["sales"]
    mine = [a for a in sales.activities if a["owner"] == payee and a["type"] == "meeting"]
    assert len(mine) == 4 and f"for {payee} it reads 4 <= 3, which is false" in o.message
    assert f'activity "{mine[0]["id"]}" {{ owner = "{payee}", date = ' in o.message
    # the counterexample pastes back into the plan as an example that gives the same count
    block = re.search(r"\n(    example .*?\n    \})", o.message, re.DOTALL).group(1)
    block = "\n".join(line[4:] for line in block.splitlines())
    block = block.replace("\n}", f'\n  expect "{payee}" meetings = 4\n  expect "{payee}" meeting_pay = 40 USD\n}}')
    pasted = compile_text(text + "\n" + block, str(tmp_path / "meetings.plan"))
    (example,) = pasted.ir.examples
    outcome = run_example(pasted, example)
    assert outcome.passed, outcome.message


def test_generated_activities_are_valid_and_only_drawn_for_plans_that_measure_them():
    from hypothesis import given, settings

    from incentives.engine.ir import MISSING
    from incentives.plantest import sales_strategies as ss

    p = compile_text(MEETINGS, "meetings.plan").ir
    assert ss.activity_types(p) == ["meeting", "other"]
    assert ss.activity_types(compile_text(TEXT, "calls.plan").ir) == ["call", "other"]
    period = ss.default_period(p)

    @settings(max_examples=50, database=None)
    @given(ss.sales_strategy(p, period))
    def valid(sales):
        ids = [a["id"] for a in sales.activities]
        assert len(ids) == len(set(ids)) and len(ids) <= 10
        for a in sales.activities:
            assert a["owner"] in sales.people and a["type"] in ("meeting", "other")
            assert period[0] - dt.timedelta(days=10) <= a["date"] <= period[1] + dt.timedelta(days=10)
            assert a["channel"] in ("phone", "video")
            assert a["minutes"] is MISSING or 0 <= a["minutes"] <= 480

    valid()
    deals_only = compile_text(MEETINGS.replace("count of activities where type", "count of deals where status")
                              .replace('"meeting"', '"won"'), "deals.plan").ir
    assert not deals_only.reads_activities

    @settings(max_examples=20, database=None)
    @given(ss.sales_strategy(deals_only, ss.default_period(deals_only)))
    def none(sales):
        assert sales.activities == []

    none()


def test_the_bundled_plans_properties_pass_over_generated_activities():
    outcomes = run_plan_tests(load_plan(PLAN), seed=3, max_examples=30)
    assert all(o.passed for o in outcomes), [o.message for o in outcomes]
    text = PLAN.read_text(encoding="utf-8") + '''
property "The call bonus is 0 or 100 USD, over activities" over deals {
  always call_bonus == 0 USD or call_bonus == 100 USD
}

property "The gate holds back meeting pay, over activities" over deals {
  always meeting_pay == 0 USD or qualified_meetings >= 3 or in_ramp
}
'''
    from incentives.plantest.runner import check_property

    compiled = compile_text(text, str(PLAN))
    for prop in compiled.ir.properties[-2:]:
        o = check_property(compiled, prop, seed=3, max_examples=100)
        assert o.passed and o.tried, o.message
