"""`incentives run --engine auto|row|columnar`: the same output from every engine, and the row
evaluator's breakdowns for the payees asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from incentives.cli.app import EXIT_DATA, app

ROOT = Path(__file__).resolve().parent.parent
PLANS, DATA = ROOT / "plans", ROOT / "plans" / "data"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _args(name: str) -> list:
    args = [PLANS / f"{name}.plan", "--data", DATA / f"{name}.csv"]
    for kind in ("deals", "splits", "activities"):
        if (DATA / f"{name}.{kind}.csv").exists():
            args += [f"--{kind}", DATA / f"{name}.{kind}.csv"]
    return args


CASES = [("account_executive", None), ("field_sales_scorecard", None), ("awards_bonus", None),
         ("split_credit", "2026-Q1"), ("manager_override", "2026-Q1"), ("per_deal_tiers", "2026-Q1"),
         ("team_pool", "2026-Q1"), ("quarterly_champion", "2026-Q1"), ("sdr_activities", "2026-03")]


@pytest.mark.parametrize("name,period", CASES)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_every_engine_prints_the_same(name, period, fmt):
    args = _args(name) + (["--period", period] if period else []) + ["--format", fmt]
    outputs = {}
    for engine in ("row", "columnar", "auto"):
        result = invoke("run", *args, "--engine", engine)
        assert result.exit_code == 0, (engine, result.output)
        outputs[engine] = result.stdout
    assert outputs["columnar"] == outputs["row"]
    assert outputs["auto"] == outputs["row"]


def test_explain_for_asked_payees_comes_from_the_row_evaluator_and_agrees():
    args = _args("account_executive")
    fast = invoke("run", *args, "--explain", "--payee", "AE-02", "--format", "json")
    row = invoke("run", *args, "--explain", "--payee", "AE-02", "--format", "json", "--engine", "row")
    assert fast.exit_code == 0 and row.exit_code == 0, fast.output + row.output
    assert json.loads(fast.stdout) == json.loads(row.stdout)


def test_columnar_says_why_it_cannot_be_used():
    mapping = DATA / "mappings"
    toml = next(mapping.glob("*.toml"), None)
    if toml is None:
        pytest.skip("no bundled mapping")
    args = _args("account_executive") + ["--mapping", toml, "--engine", "columnar"]
    result = invoke("run", *args)
    assert "the row evaluator pays this run: a column mapping is given" in result.output


def test_a_line_sent_to_the_row_evaluator_is_named(tmp_path):
    plan = tmp_path / "p.plan"
    # contest scores from a division that does not come out even: ties cannot be told in floats
    plan.write_text('plan "P" {\n  currency USD\n  period quarter\n  effective 2026-01-01 to 2026-03-31\n}\n'
                    "input q: money range 0 USD to 1_000 USD\n"
                    "contest top {\n  rank by q / 7\n  among all\n  ties shared\n  prizes 100 USD\n}\n"
                    "component c { pay prize(top) }\n")
    data = tmp_path / "d.csv"
    data.write_text("id,q\nA,100\nB,200\n")
    result = invoke("run", plan, "--data", data, "--format", "csv")
    row = invoke("run", plan, "--data", data, "--format", "csv", "--engine", "row")
    assert result.exit_code == 0, result.output
    assert "p.plan:7:" in result.stderr and "row evaluator" in result.stderr
    assert result.stdout == row.stdout


def test_parquet_data_takes_the_columnar_path(tmp_path):
    table = pacsv.read_csv(DATA / "account_executive.csv", convert_options=pacsv.ConvertOptions(
        column_types={"revenue": pa.decimal128(18, 2), "quota": pa.decimal128(18, 2), "id": pa.string()}))
    pq.write_table(table, tmp_path / "ae.parquet")
    fast = invoke("run", PLANS / "account_executive.plan", "--data", tmp_path / "ae.parquet", "--format", "csv",
                  "--engine", "columnar")
    row = invoke("run", PLANS / "account_executive.plan", "--data", DATA / "account_executive.csv", "--format",
                 "csv", "--engine", "row")
    assert fast.exit_code == 0, fast.output
    assert fast.stdout == row.stdout
    assert "row evaluator" not in fast.stderr


def test_bad_data_is_named_as_the_row_engine_names_it(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("id,revenue,quota,region\nAE-1,12x,100,West\n")
    fast = invoke("run", PLANS / "account_executive.plan", "--data", data)
    row = invoke("run", PLANS / "account_executive.plan", "--data", data, "--engine", "row")
    assert fast.exit_code == row.exit_code == EXIT_DATA
    assert fast.output == row.output
    assert "row 2" in fast.output and "revenue" in fast.output
