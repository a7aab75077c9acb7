"""The public Python API: what `incentives` exports, pinned; its docstring example runs; plans run
for one payee and for a population from paths or loaded tables; one error family that pickles."""

from __future__ import annotations

import doctest
import json
import os
import pickle
from decimal import Decimal
from pathlib import Path

import pytest

import incentives
from dsl.errors import IncentivesError, Problem
from incentives.engine.schedule import Stage, stages

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "plans"
DATA = PLANS / "data"

API = ["Breakdown", "DataError", "EvaluationError", "IncentivesError", "PayeeResult", "Plan", "PlanError",
       "PopulationResult", "Problem", "compile_source", "compile_text", "explain", "load_activities", "load_deals",
       "load_people", "load_plan", "load_splits", "render"]


def test_the_public_api_is_pinned():
    assert sorted(incentives.__all__) == API
    for name in API:
        assert getattr(incentives, name).__doc__, f"{name} has no docstring"


def test_the_module_docstring_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    failed, attempted = doctest.testmod(incentives, optionflags=doctest.ELLIPSIS)
    assert attempted >= 6 and failed == 0


def test_help_shows_the_api():
    import pydoc

    text = pydoc.render_doc(incentives, renderer=pydoc.plaintext)
    for name in ("load_plan", "run_population", "explain", "render", "IncentivesError"):
        assert name in text


def test_one_payee_run_explain_and_render_every_format():
    plan = incentives.load_plan(PLANS / "account_executive.plan")
    result = plan.run({"revenue": "250000", "quota": Decimal(250_000)}, payee="AE-05", period="2026-Q1",
                      trace=True)
    assert result.total == Decimal("15000.00")
    b = incentives.explain(plan, result)
    assert json.loads(incentives.render(b, "json"))["total"] == "15000.00"
    assert "15,000.00" in incentives.render(b, "text") and "<html" in incentives.render(b, "html").lower()
    assert "15,000.00" in incentives.render(b, "markdown")
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        incentives.render(b, "pdf")


def test_bad_inputs_are_data_errors_naming_the_input():
    plan = incentives.load_plan(PLANS / "account_executive.plan")
    with pytest.raises(incentives.DataError) as e:
        plan.run({"revenue": 1.5, "quota": Decimal(1)}, payee="AE-9")
    [problem] = e.value.problems
    assert (problem.field, problem.payee, problem.file) == ("revenue", "AE-9", None)
    assert "payee AE-9" in problem
    with pytest.raises(incentives.DataError, match="the plan has no such input"):
        plan.run({"revenu": Decimal(1), "quota": Decimal(1)})


def test_a_measure_left_out_of_a_one_payee_run_is_named():
    plan = incentives.load_plan(PLANS / "split_credit.plan")
    names = [m.name for m in plan.ir.measures]
    with pytest.raises(incentives.DataError) as e:
        plan.run({}, payee="A")
    assert sorted(p.field for p in e.value.problems) == sorted(names)


SALES_PATHS = dict(people=DATA / "split_credit.csv", deals=DATA / "split_credit.deals.csv",
                   splits=DATA / "split_credit.splits.csv")


def test_population_from_paths_equals_population_from_loaded_tables():
    plan = incentives.load_plan(PLANS / "split_credit.plan")
    from_paths = plan.run_population(**SALES_PATHS, period="2026-Q1")
    people = incentives.load_people(SALES_PATHS["people"], plan)
    deals = incentives.load_deals(SALES_PATHS["deals"], plan, people)
    splits = incentives.load_splits(SALES_PATHS["splits"], plan, deals, people)
    from_tables = plan.run_population(people=people, deals=deals, splits=splits, period="2026-Q1")
    assert from_paths.to_rows() == from_tables.to_rows()
    assert len(from_paths) == len(people) and [r.payee for r in from_paths] == list(people)
    first = next(iter(people))
    assert from_paths[first].payee == first
    rows = from_paths.to_rows()
    assert all(isinstance(v, Decimal) for row in rows for k, v in row.items() if k != "payee")
    assert from_paths.total == sum(row["total"] for row in rows) > 0
    with pytest.raises(KeyError):
        from_paths["nobody"]
    assert from_paths[0] is from_paths.results[0] and from_paths[-1].payee == list(people)[-1]


def test_rows_have_one_type_per_column_and_award_values():
    plan = incentives.load_plan(PLANS / "awards_bonus.plan")
    run = plan.run_population(people=DATA / "awards_bonus.csv", period="2026-Q1")
    rows = run.to_rows()
    valued = [a.name for a in plan.ir.awards if a.value is not None]
    assert valued, "the plan has an award with a value"
    for name in [a.name for a in plan.ir.awards]:
        assert {type(row[name]) for row in rows} == {bool}
    for name in valued:
        assert {type(row[name + ".value"]) for row in rows} == {Decimal}
        assert any(row[name] for row in rows) and all(row[name + ".value"] > 0 for row in rows if row[name])


def test_payee_is_a_reserved_name():
    with pytest.raises(incentives.PlanError, match="payee"):
        incentives.compile_text('plan "P" { currency USD period quarter }\ncomponent payee { pay 1 USD }\n', "p.plan")


def test_tables_built_in_python_are_checked_like_files():
    plan = incentives.load_plan(PLANS / "split_credit.plan")
    people = incentives.load_people(SALES_PATHS["people"], plan)
    with pytest.raises(incentives.DataError, match="expected a Person"):
        plan.run_population(people={"A": {"team": "East"}}, deals=[], period="2026-Q1")
    deal = {"id": "D1", "owner": "NOBODY", "amount": "100", "date": "2026-01-05"}
    with pytest.raises(incentives.DataError) as e:
        plan.run_population(people=people, deals=[deal], period="2026-Q1")
    assert {p.field for p in e.value.problems} == {"amount", "date", "owner"}
    from incentives.sales.records import Sales
    with pytest.raises(incentives.DataError, match="already holds the deals"):
        plan.run_population(people=Sales(people, [], {}), deals=SALES_PATHS["deals"], period="2026-Q1")


def test_explaining_an_untraced_result_says_so():
    plan = incentives.load_plan(PLANS / "account_executive.plan")
    result = plan.run({"revenue": "1", "quota": "1"}, period="2026-Q1")
    with pytest.raises(ValueError, match="trace=True"):
        incentives.explain(plan, result)


def test_no_period_on_a_plan_that_reads_the_period_warns():
    plan = incentives.load_plan(PLANS / "split_credit.plan")
    with pytest.warns(UserWarning, match="no period given"):
        plan.run_population(**SALES_PATHS)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan.run_population(**SALES_PATHS, period="2026-Q1")


def test_plans_compare_and_hash_by_name_and_text():
    one = incentives.load_plan(PLANS / "account_executive.plan")
    two = incentives.load_plan(PLANS / "account_executive.plan")
    assert one == two and hash(one) == hash(two) and len({one, two, pickle.loads(pickle.dumps(one))}) == 1
    assert one != incentives.load_plan(PLANS / "split_credit.plan")


def test_population_matches_the_cli(tmp_path):
    from typer.testing import CliRunner

    from incentives.cli.app import app

    plan = incentives.load_plan(PLANS / "split_credit.plan")
    api = {row["payee"]: str(row["total"]) for row in plan.run_population(**SALES_PATHS, period="2026-Q1").to_rows()}
    out = CliRunner().invoke(app, ["run", str(PLANS / "split_credit.plan"), "--people", str(SALES_PATHS["people"]),
                                   "--deals", str(SALES_PATHS["deals"]), "--splits", str(SALES_PATHS["splits"]),
                                   "--period", "2026-Q1", "--format", "json"])
    assert out.exit_code == 0, out.output
    cli = {p["payee"]: p["total"] for p in json.loads(out.stdout)["payees"]}
    assert api == cli


def test_a_plan_reading_deals_asks_for_them():
    plan = incentives.load_plan(PLANS / "split_credit.plan")
    with pytest.raises(incentives.DataError, match="reads deals"):
        plan.run_population(people=SALES_PATHS["people"], period="2026-Q1")


def test_a_bad_period_is_a_data_error():
    plan = incentives.load_plan(PLANS / "split_credit.plan")
    with pytest.raises(incentives.DataError):
        plan.run_population(**SALES_PATHS, period="2026-Q5")
    import datetime as dt
    with pytest.raises(incentives.DataError, match="first <= last"):
        plan.run_population(**SALES_PATHS, period=(dt.date(2026, 3, 1), dt.date(2026, 1, 1)))


# ---- the stage schedule and typed data between payees ----


def test_the_ir_names_the_stages_a_population_run_follows():
    plain = incentives.load_plan(PLANS / "account_executive.plan")
    assert stages(plain.ir) == (Stage.PREPARE, Stage.FINISH)
    champion = incentives.load_plan(PLANS / "quarterly_champion.plan")
    assert stages(champion.ir)[:2] == (Stage.CREDIT, Stage.DEAL_MEASURES)
    assert Stage.CONTESTS in stages(champion.ir) and stages(champion.ir)[-1] == Stage.FINISH
    pool = incentives.load_plan(PLANS / "team_pool.plan")
    assert Stage.POOLS in stages(pool.ir)


def test_inputs_may_have_the_names_that_used_to_be_magic_keys(tmp_path):
    """Deals, contests and pools reach a payee in a typed context: an input called `__deals__` (or
    `__contests__`, `__pools__`) is only an input."""
    text = '''plan "Magic" { currency USD period quarter effective 2026-01-01 to 2026-03-31 }
input __deals__: money default 0 USD
input __pools__: money default 0 USD
measure won = sum amount of deals where status == "won"
component c { pay 10% of won + __deals__ + __pools__ }
component p { pool 1_000 USD among all equally }
'''
    plan = incentives.compile_text(text, "magic.plan")
    people = tmp_path / "people.csv"
    people.write_text("id,team,manager,__deals__,__pools__\nA,East,,5,1\nB,East,,0,0\n")
    deals = tmp_path / "deals.csv"
    deals.write_text("id,owner,amount,date\nD1,A,1000,2026-02-01\nD2,B,300,2026-02-02\n")
    run = plan.run_population(people=people, deals=deals, period="2026-Q1")
    assert run["A"].total == Decimal("106.00") + Decimal("500.00")
    assert run["B"].total == Decimal("30.00") + Decimal("500.00")


# ---- one error family ----


def _errors() -> list[IncentivesError]:
    out: list[IncentivesError] = []
    with pytest.raises(incentives.PlanError) as e:
        incentives.compile_text('plan "X" { currency USD period quarter }\ncomponent c { pay nope }\n', "x.plan")
    out.append(e.value)
    with pytest.raises(incentives.DataError) as e:
        incentives.load_plan(PLANS / "account_executive.plan").run({"revenue": "abc", "quota": "1"}, payee="P")
    out.append(e.value)
    plan = incentives.compile_text('plan "Y" { currency USD period quarter }\ninput a: number\n'
                                   'component c { pay 1 USD / a }\n', "y.plan")
    with pytest.raises(incentives.EvaluationError) as e:
        plan.run({"a": 0}, payee="Z")
    out.append(e.value)
    return out


def test_every_error_is_an_incentives_error_with_located_problems():
    plan_error, data_error, eval_error = _errors()
    for err in (plan_error, data_error, eval_error):
        assert isinstance(err, IncentivesError) and err.problems
        assert all(isinstance(p, Problem) for p in err.problems)
        json.dumps(err.to_dict())  # JSON-ready as it is
    p = plan_error.problems[0]
    assert (p.file, p.line, p.code) == ("x.plan", 2, plan_error.diagnostics[0].code) and p.column
    d = data_error.problems[0]
    assert d.field == "revenue" and d.code == "data"
    e = eval_error.problems[0]
    assert (e.file, e.line, e.payee, e.code) == ("y.plan", 3, "Z", "evaluation")
    assert eval_error.to_dict()["problems"][0]["payee"] == "Z"


@pytest.mark.parametrize("index", [0, 1, 2], ids=["plan", "data", "evaluation"])
def test_every_error_pickles_and_unpickles(index):
    err = _errors()[index]
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err)
    assert str(again) == str(err)
    assert again.to_dict() == err.to_dict()
    assert [p.to_dict() for p in again.problems] == [p.to_dict() for p in err.problems]
    if isinstance(err, incentives.EvaluationError):
        assert (again.span, again.payee, again.message) == (err.span, err.payee, err.message)
    if isinstance(err, incentives.PlanError):
        assert again.diagnostics == err.diagnostics and again.render() == err.render()


def test_a_data_file_problem_has_row_and_column(tmp_path):
    plan = incentives.load_plan(PLANS / "account_executive.plan")
    people = tmp_path / "people.csv"
    people.write_text("id,revenue,quota\nA,1,1\nB,x,1\n")
    with pytest.raises(incentives.DataError) as e:
        plan.run_population(people=people)
    [p] = e.value.problems
    assert (p.file, p.row, p.field) == (str(people), 3, "revenue")
    assert p.to_dict()["row"] == 3
    assert os.fspath(people) in str(e.value)


def test_an_error_in_a_measure_condition_names_the_payee(tmp_path):
    text = '''plan "M" { currency USD period quarter effective 2026-01-01 to 2026-03-31 }
input quota: money
measure big = count of deals where amount / quota > 2
component c { pay big * 1 USD }
'''
    plan = incentives.compile_text(text, "m.plan")
    people = tmp_path / "people.csv"
    people.write_text("id,team,manager,quota\nA,,,100\nB,,,0\n")
    deals = tmp_path / "deals.csv"
    deals.write_text("id,owner,amount,date\nD1,A,1000,2026-02-01\nD2,B,300,2026-02-02\n")
    with pytest.raises(incentives.EvaluationError) as e:
        plan.run_population(people=people, deals=deals, period="2026-Q1")
    assert e.value.payee == "B" and e.value.problems[0].payee == "B" and e.value.span.line == 3


def test_invalid_json_has_its_line_and_column_as_fields(tmp_path):
    plan = incentives.load_plan(PLANS / "account_executive.plan")
    people = tmp_path / "people.json"
    people.write_text('[{"id": "A", "revenue": 1, "quota": 1},\n {"id": "B" "revenue": 2}]\n')
    with pytest.raises(incentives.DataError) as e:
        plan.run_population(people=people, period="2026-Q1")
    [p] = e.value.problems
    assert (p.file, p.line, p.column) == (str(people), 2, 13)
