"""Simulations end to end: figures worked out by hand on a small population, the laws a comparison
must keep (a scenario that changes nothing changes nothing; a higher rate in a monotone plan makes
nobody lose), and `incentives simulate` writing its report and tables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from incentives import compile_text, load_plan
from incentives.cli.app import EXIT_DATA, app
from incentives.simulate.api import simulate
from incentives.simulate.scenario import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
D = Decimal
SMALL = compile_text('''plan "Small" {
  currency USD
  period quarter
  effective 2026-01-01 to 2026-03-31
  rounding half_up at line
}
param rate = 10% range 0% to 50% "Commission rate"
input revenue: money range 0 USD to 1_000_000 USD
input quota: money range 1 USD to 1_000_000 USD
component commission { pay rate * revenue }
component bonus { pay 100 USD  gate revenue >= quota else 0% }
''', "small.plan")


def small_people() -> pa.Table:
    return pa.table({"id": ["A", "B", "C"],
                     "revenue": pa.array([D("1000.00"), D("2000.00"), D("0.00")], pa.decimal128(18, 2)),
                     "quota": pa.array([D("1500.00"), D("1500.00"), D("1500.00")], pa.decimal128(18, 2))})


def test_figures_worked_out_by_hand():
    scenario = parse_scenario('name = "rate 15%"\n[params]\nrate = "15%"\n')
    sim = simulate(SMALL, small_people(), [scenario])
    base, new = sim.figures, sim.scenarios[0].figures
    # baseline: 10% of 1,000 + 10% of 2,000 + 0, and one bonus of 100 (B reaches quota)
    assert base["total"] == D("400.00") and base["by_component"] == {"commission": D("300.00"), "bonus": D("100.00")}
    assert base["revenue"] == D("3000.00") and base["cost_of_sales"] == D("400.00") / D("3000.00")
    assert new["total"] == D("550.00")
    changed = sim.scenarios[0].changed
    assert [(c.payee, c.before, c.after) for c in changed] == [("B", D("300.00"), D("400.00")),
                                                               ("A", D("100.00"), D("150.00"))]
    assert changed[0].reasons == ["param rate: 10% -> 15%",
                                  'commission, line 10 (pay "rate * revenue"): 200.00 -> 300.00 (+100.00)']
    assert base["percentiles"]["p50"] == D("100.00") and base["percentiles"]["p90"] == D("300.00")
    frame = sim.payees()
    assert frame.columns == ["payee", "baseline", "rate 15%", "rate 15% change"]


def test_a_pilot_takes_the_scenario_alone():
    table = small_people().append_column("team", pa.array(["x", "y", "x"]))
    scenario = parse_scenario('name = "pilot"\n[params]\nrate = "20%"\n[pilot]\nteam = "x"\n')
    sim = simulate(SMALL, table, [scenario])
    assert [(c.payee, c.after) for c in sim.scenarios[0].changed] == [("A", D("200.00"))]


def test_a_scenario_that_changes_nothing_changes_nothing():
    scenario = parse_scenario('name = "same"\n[params]\nrate = "10%"\n[[change]]\ncolumn = "quota"\nmultiply = "1"\n')
    sim = simulate(SMALL, small_people(), [scenario])
    assert sim.scenarios[0].changed == []
    assert sim.scenarios[0].figures["total"] == sim.figures["total"]


AE = load_plan(ROOT / "plans" / "account_executive.plan")
money = st.decimals(min_value=0, max_value=900_000, places=2)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(money, st.decimals(min_value=1, max_value=900_000, places=2)), min_size=1, max_size=25),
       st.decimals(min_value=D("0.15"), max_value=D("0.30"), places=3))
def test_a_higher_top_rate_makes_nobody_lose(rows, rate):
    table = pa.table({"id": [f"p{i}" for i in range(len(rows))],
                      "revenue": pa.array([r for r, _ in rows], pa.decimal128(18, 2)),
                      "quota": pa.array([q for _, q in rows], pa.decimal128(18, 2))})
    same = parse_scenario('name = "same"\n[params]\ntop_rate = "15%"\n')
    higher = parse_scenario(f'name = "higher"\n[params]\ntop_rate = "{rate}"\n')
    sim = simulate(AE, table, [same, higher], explain_top=3)
    assert sim.scenarios[0].changed == []
    assert all(c.difference > 0 for c in sim.scenarios[1].changed)


def test_the_simulate_command_writes_its_report_and_tables(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", str(ROOT / "plans" / "account_executive.plan"),
                                 "--data", str(ROOT / "plans" / "data" / "account_executive.team.csv"),
                                 "--scenario", str(ROOT / "plans" / "scenarios" / "quota_up_10.toml"),
                                 "--set", "top_rate=20%", "--sweep", "top_rate=15%:25%:5%", "--draws", "50",
                                 "--budget", "4000000", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Quotas up 10%" in result.stdout and "top_rate=20%" in result.stdout
    assert "Monte Carlo: 50 draws" in result.stdout and "sweep: top_rate" in result.stdout
    for name in ("report.html", "summary.csv", "summary.parquet", "payees.csv", "winners_losers.csv", "sweep.csv",
                 "monte_carlo.csv"):
        assert (tmp_path / "out" / name).is_file(), name
    assert "Cost by scenario" in (tmp_path / "out" / "report.html").read_text()


@pytest.mark.parametrize("args,message", [
    (["--set", "top_rat=20%"], "top_rat"),
    (["--set", "top_rate=80%"], "top_rate"),
    (["--sweep", "top_rate"], "--sweep top_rate"),
])
def test_the_simulate_command_names_what_is_wrong(args, message):
    result = CliRunner().invoke(app, ["simulate", str(ROOT / "plans" / "account_executive.plan"), "--data",
                                      str(ROOT / "plans" / "data" / "account_executive.team.csv"), *args])
    assert result.exit_code == EXIT_DATA, result.output
    assert message in result.output


def test_a_located_scenario_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[change]]\ncolumn = "qouta"\nmultiply = "1.1"\n')
    result = CliRunner().invoke(app, ["simulate", str(ROOT / "plans" / "account_executive.plan"), "--data",
                                      str(ROOT / "plans" / "data" / "account_executive.team.csv"),
                                      "--scenario", str(bad)])
    assert result.exit_code == EXIT_DATA
    assert f"{bad}:3:1" in result.output and "qouta" in result.output
