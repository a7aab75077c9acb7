"""Every bundled plan checks cleanly, is in canonical layout, runs on its data and explains."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl import Source, parse
from dsl.fmt import format_plan
from incentives import load_plan
from incentives.sales.inputs import load_payees
from incentives.explain.build import Breakdown, explain
from incentives.sales.population import Population
from incentives.sales.activities import load_activities
from incentives.sales.records import load_sales
from incentives.explain.render import RENDERERS

ROOT = Path(__file__).resolve().parent.parent
PLANS = sorted((ROOT / "plans").glob("*.plan"))


def test_the_required_example_plans_are_bundled():
    names = {p.stem for p in PLANS}
    assert {"account_executive", "retroactive_tiers", "sdr_meetings", "field_sales_scorecard", "grade_bonus",
            "campaign_stages", "awards_bonus", "chinese_cny"} <= names


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_plan_checks_without_warnings(path):
    plan = load_plan(path)
    assert plan.warnings == []


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_plan_is_in_canonical_layout_and_fmt_is_idempotent(path):
    source = Source.from_path(path)
    once = format_plan(parse(source))
    assert once == source.text
    again = format_plan(parse(Source(str(path), once)))
    assert again == once


PERIOD_FILES = ("assignments", "quotas", "rates", "holidays")


def _period_results(plan, path):
    """A plan paid across periods (a draw, clawbacks, year-to-date components, or period tables beside
    its data: NAME.assignments.csv, NAME.quotas.csv, NAME.rates.csv, NAME.holidays.csv): every payee of
    its first quarter's periods, run through a ledger in memory."""
    from incentives.time.load import load_period_data
    from incentives.engine.calendar import period_of
    from incentives.time.runner import run_periods
    data = ROOT / "plans" / "data"
    files = {kind: data / f"{path.stem}.{kind}.csv" for kind in ("deals", "splits", "activities", *PERIOD_FILES)}
    files = {kind: (f if f.exists() else None) for kind, f in files.items()}
    loaded = load_period_data([plan], data / f"{path.stem}.csv", files["deals"], files["splits"],
                              files["activities"], None, files["assignments"], files["quotas"], files["rates"],
                              files["holidays"])
    first = period_of(plan.ir.period, plan.ir.effective[0])
    periods = [first]
    while len(periods) < {"month": 3}.get(plan.ir.period, 1):
        periods.append(periods[-1].next())
    return [p.result for run in run_periods([plan], loaded, periods) for p in run.payees]


def _by_periods(plan, path) -> bool:
    ir = plan.ir
    return ir.draw is not None or bool(ir.clawbacks) or any(c.ytd for c in ir.components) or any(
        (ROOT / "plans" / "data" / f"{path.stem}.{kind}.csv").exists() for kind in PERIOD_FILES)


def _results(plan, path):
    """Every payee of the plan's data: plans/data/NAME.csv (people), NAME.deals.csv, NAME.splits.csv,
    NAME.activities.csv."""
    if _by_periods(plan, path):
        return _period_results(plan, path)
    data = ROOT / "plans" / "data"
    people = data / f"{path.stem}.csv"
    if not plan.ir.needs_population:
        rows = load_payees(people, plan.ir.inputs)
        return [plan.run(values, payee, trace=True) for payee, values in rows]
    deals, splits = data / f"{path.stem}.deals.csv", data / f"{path.stem}.splits.csv"
    p = plan.ir
    sales = load_sales(people, deals if deals.exists() else None, splits if splits.exists() else None, p.inputs,
                       p.deal_fields, p.currency, used=p.deal_columns)
    sales.activities = _activities(plan, path, sales)
    return Population(plan, sales).run(trace=True)


def _activities(plan, path, sales):
    """The plan's activities, plans/data/NAME.activities.csv, where it has them."""
    file = ROOT / "plans" / "data" / f"{path.stem}.activities.csv"
    p = plan.ir
    return load_activities(file, p.activity_fields, sales.people, None, p.activity_columns,
                           p.activity_field_infos) if file.exists() else []


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_plan_runs_and_explains_every_payee_of_its_data(path):
    plan = load_plan(path)
    results = _results(plan, path)
    assert len(results) >= 6
    for result in results:
        payee = result.payee
        breakdown = explain(plan, result)
        # the breakdown adds up: components to the subtotal, adjustments to the total
        assert sum(c.amount for c in result.components) == result.subtotal
        assert Breakdown.model_validate_json(RENDERERS["json"](breakdown)) == breakdown
        for render in RENDERERS.values():
            assert breakdown.total.split(".")[0].lstrip("-")[:1] in render(breakdown)
        assert payee


PERIODS = [p for p in PLANS if _by_periods(load_plan(p), p)]
ALONE = [p for p in PLANS if not load_plan(p).ir.needs_population and p not in PERIODS]
TOGETHER = [p for p in PLANS if p not in ALONE and p not in PERIODS]


@pytest.mark.parametrize("path", ALONE, ids=lambda p: p.stem)
def test_fast_path_pays_what_the_traced_path_pays(path):
    plan = load_plan(path)
    for payee, values in load_payees(ROOT / "plans" / "data" / f"{path.stem}.csv", plan.ir.inputs):
        assert plan.evaluator.run(values, payee).total == plan.run(values, payee, trace=True).total


@pytest.mark.parametrize("path", TOGETHER, ids=lambda p: p.stem)
def test_population_fast_path_pays_what_the_traced_path_pays(path):
    plan = load_plan(path)
    traced = {r.payee: r.total for r in _results(plan, path)}
    data = ROOT / "plans" / "data"
    deals, splits = data / f"{path.stem}.deals.csv", data / f"{path.stem}.splits.csv"
    p = plan.ir
    sales = load_sales(data / f"{path.stem}.csv", deals if deals.exists() else None,
                       splits if splits.exists() else None, p.inputs, p.deal_fields, p.currency, used=p.deal_columns)
    sales.activities = _activities(plan, path, sales)
    assert {r.payee: r.total for r in Population(plan, sales).run(trace=False)} == traced


def test_a_salesforce_export_through_its_mapping_pays_what_the_native_file_pays():
    from incentives.sales.population import parse_period
    from incentives.sales.tables import load_mapping

    plan = load_plan(ROOT / "plans" / "split_credit.plan")
    data, p = ROOT / "plans" / "data", plan.ir
    period = parse_period("2026-Q1")

    def totals(deals, maps):
        sales = load_sales(data / "split_credit.csv", deals, data / "split_credit.splits.csv", p.inputs,
                           p.deal_fields, p.currency, maps, p.deal_columns)
        return {r.payee: r.total for r in Population(plan, sales, period).run()}

    native = totals(data / "split_credit.deals.csv", {})
    exported = totals(data / "split_credit.salesforce.csv",
                      load_mapping(data / "mappings" / "salesforce_opportunities.toml"))
    assert exported == native and len(native) >= 6
