"""Simulation pieces that stand alone: the diff of two breakdowns, `incentives diff`, sweep axes and
Monte Carlo draws (seeded, reproducible, batched the same as one by one)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from incentives import load_plan
from incentives.cli.app import EXIT_DATA, app
from incentives.errors import DataError
from incentives.explain.build import explain
from incentives.explain.render import render_json
from incentives.simulate.diff import diff_breakdowns, diff_runs
from incentives.simulate.montecarlo import fit, monte_carlo
from incentives.simulate.sweep import parse_axis

ROOT = Path(__file__).resolve().parent.parent
AE = load_plan(ROOT / "plans" / "account_executive.plan")
D = Decimal


def breakdown(values: dict, payee: str = "A") -> dict:
    return json.loads(render_json(explain(AE, AE.run(values, payee, trace=True))))


def test_a_diff_names_the_inputs_definitions_and_lines_that_changed():
    a = breakdown({"revenue": "300000", "quota": "250000"})
    b = breakdown({"revenue": "300000", "quota": "275000"})
    reasons = diff_breakdowns(a, b)
    assert reasons[0] == "quota: 250,000.00 -> 275,000.00"
    assert reasons[1].startswith("attainment: 120% -> 109.09")
    lines = [r for r in reasons if r.startswith("commission, line")]
    assert lines and all("->" in r and "(" in r for r in lines)
    # the lines' differences add up to the difference of the totals
    total = sum(D(r.rsplit("(", 1)[1].rstrip(")").replace(",", "").replace("+", "")) for r in lines)
    assert total == D(b["total"]) - D(a["total"])


def test_a_diff_of_a_breakdown_with_itself_is_empty():
    a = breakdown({"revenue": "180000", "quota": "200000"})
    assert diff_breakdowns(a, a) == []
    assert diff_runs([a], [a]) == []


def test_diff_runs_orders_by_the_size_of_the_change_and_lists_payees_in_one_run_only():
    first = [breakdown({"revenue": "100000", "quota": "200000"}, "A"),
             breakdown({"revenue": "300000", "quota": "200000"}, "B"),
             breakdown({"revenue": "50000", "quota": "200000"}, "C")]
    second = [breakdown({"revenue": "110000", "quota": "200000"}, "A"),
              breakdown({"revenue": "400000", "quota": "200000"}, "B"),
              breakdown({"revenue": "50000", "quota": "200000"}, "D")]
    found = diff_runs(first, second)
    assert found[0].payee == "B"
    sizes = [abs(d.difference) for d in found]
    assert sizes == sorted(sizes, reverse=True)
    assert {d.payee for d in found} == {"A", "B", "C", "D"}
    only = {d.payee: d for d in found}
    assert only["C"].after is None and only["D"].before is None


def test_the_diff_command_on_two_saved_runs(tmp_path):
    runner = CliRunner()
    data = ROOT / "plans" / "data" / "account_executive.csv"
    changed = tmp_path / "next.csv"
    rows = data.read_text().splitlines()
    header, first = rows[0], rows[1].split(",")
    cols = header.split(",")
    first[cols.index("revenue")] = str(D(first[cols.index("revenue")]) + 50000)
    changed.write_text("\n".join([header, ",".join(first), *rows[2:]]) + "\n")
    saved = []
    for name, source in (("a.json", data), ("b.json", changed)):
        result = runner.invoke(app, ["run", str(ROOT / "plans" / "account_executive.plan"), "--data", str(source),
                                     "--explain", "--format", "json", "--output", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        saved.append(tmp_path / name)
    result = runner.invoke(app, ["diff", *map(str, saved)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 payees changed")
    assert f"{first[0]}:" in result.stdout and "revenue:" in result.stdout
    as_json = runner.invoke(app, ["diff", *map(str, saved), "--format", "json"])
    assert json.loads(as_json.stdout)[0]["payee"] == first[0]
    bad = tmp_path / "bad.json"
    bad.write_text('{"no": "breakdowns"}')
    result = runner.invoke(app, ["diff", str(saved[0]), str(bad)])
    assert result.exit_code == EXIT_DATA and "not a saved run" in result.output


@pytest.mark.parametrize("text,values", [
    ("top_rate=15%:18%:1%", [D("0.15"), D("0.16"), D("0.17"), D("0.18")]),
    ("top_rate=15%,22%", [D("0.15"), D("0.22")]),
    ("quota*=0.9:1.1:0.1", [D("0.9"), D("1.0"), D("1.1")]),
])
def test_sweep_axes(text, values):
    axis = parse_axis(text)
    assert axis.values == values
    assert axis.column == ("quota" if text.startswith("quota*") else None)


@pytest.mark.parametrize("text", ["top_rate", "top_rate=", "x=1:2", "x=2:1:1", "x=1:2:0", "x=a,b", "x=0:1000000:1"])
def test_bad_sweep_axes_are_data_errors(text):
    with pytest.raises(DataError):
        parse_axis(text)


def _people(n: int) -> pa.Table:
    return pa.table({"id": [f"p{i}" for i in range(n)],
                     "revenue": pa.array([D(100_000 + 1000 * i) for i in range(n)], pa.decimal128(18, 2)),
                     "quota": pa.array([D(200_000)] * n, pa.decimal128(18, 2))})


def _runner(table: pa.Table) -> pa.Table:
    return AE.run_table(table).table


def test_monte_carlo_is_reproducible_and_batching_changes_nothing():
    people = _people(30)
    dist = fit("lognormal", [0.5 + i / 30 for i in range(30)])
    one = monte_carlo(people, "revenue", "quota", dist, 12, 5, _runner, batched=False)
    again = monte_carlo(people, "revenue", "quota", dist, 12, 5, _runner, batched=False)
    batched = monte_carlo(people, "revenue", "quota", dist, 12, 5, _runner, batched=True)
    assert one.costs == again.costs == batched.costs
    other = monte_carlo(people, "revenue", "quota", dist, 12, 6, _runner, batched=True)
    assert other.costs != one.costs
    assert one.percentile(50) <= one.percentile(90)
    assert min(one.costs) <= one.expected <= max(one.costs)


def test_monte_carlo_budget_and_given_distribution():
    people = _people(10)
    dist = fit("lognormal:0,0.2", [])
    mc = monte_carlo(people, "revenue", "quota", dist, 20, 1, _runner, batched=True, budget=D(0))
    assert mc.chance_over_budget == 1.0
    none = monte_carlo(people, "revenue", "quota", dist, 20, 1, _runner, batched=True, budget=D(10) ** 12)
    assert none.chance_over_budget == 0.0
    for kind in ("beta", "bootstrap"):
        assert fit(kind, [0.5, 0.9, 1.2, 1.5]).draw(__import__("numpy").random.default_rng(1), 5).shape == (5,)
    with pytest.raises(DataError):
        fit("lognormal", [1.0])
    with pytest.raises(DataError):
        fit("gamma", [1.0, 2.0])
