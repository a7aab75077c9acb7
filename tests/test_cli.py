"""The `incentives` command as a script sees it: output and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from incentives.cli.app import EXIT_DATA, EXIT_EVAL, EXIT_PLAN, EXIT_USAGE, app

ROOT = Path(__file__).resolve().parent.parent
AE = str(ROOT / "plans" / "account_executive.plan")
AE_DATA = str(ROOT / "plans" / "data" / "account_executive.csv")
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_check_all_bundled_plans_succeeds():
    plans = sorted(str(p) for p in (ROOT / "plans").glob("*.plan"))
    result = invoke("check", *plans)
    assert result.exit_code == 0, result.output
    assert result.output.count("ok  ") == len(plans)


def test_check_reports_located_errors_and_exits_1(tmp_path):
    bad = tmp_path / "bad.plan"
    bad.write_text('plan "x" { currency USD period month }\ninput revenue: money\n'
                   'component c { pay revenue + 5% }\n', encoding="utf-8")
    result = invoke("check", bad)
    assert result.exit_code == EXIT_PLAN
    assert f"{bad}:3:19: error[units]: cannot add money and a percentage" in result.output
    assert "^^^^^^^^^^^^" in result.output
    assert "Traceback" not in result.output


def test_check_json_lists_diagnostics(tmp_path):
    bad = tmp_path / "bad.plan"
    bad.write_text('plan "x" { currency USD period month }\ncomponent c { pay 5 EUR }\n', encoding="utf-8")
    result = invoke("check", "--format", "json", bad)
    assert result.exit_code == EXIT_PLAN
    report = json.loads(result.stdout)
    assert report[0]["diagnostics"][0]["code"] == "currency"
    assert report[0]["diagnostics"][0]["line"] == 2


def test_strict_turns_warnings_into_errors(tmp_path):
    plan = tmp_path / "w.plan"
    plan.write_text('plan "x" { currency USD period month }\ninput a: percent\n'
                    'component c { pay 5 USD gate a >= 80 else 0% }\n', encoding="utf-8")
    assert invoke("check", plan).exit_code == 0
    result = invoke("check", "--strict", plan)
    assert result.exit_code == EXIT_PLAN
    assert "did you mean `80%`?" in result.output


def test_missing_plan_file_is_a_usage_error(tmp_path):
    assert invoke("check", tmp_path / "nope.plan").exit_code == EXIT_USAGE


def test_run_summary_and_csv():
    result = invoke("run", AE, "--data", AE_DATA, "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "payee,commission,kicker,total"
    assert len(lines) > 5
    text = invoke("run", AE, "--data", AE_DATA)
    assert text.exit_code == 0 and "payees, total" in text.stdout


def test_run_explain_one_payee_in_every_format(tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("id,revenue,quota\nrep-1,150000.00,100000.00\n", encoding="utf-8")
    text = invoke("run", AE, "--data", data, "--payee", "rep-1", "--explain")
    assert text.exit_code == 0, text.output
    assert "12% x (150,000.00 - 100,000.00) = 6,000.00" in text.stdout
    assert "Total (USD)" in text.stdout and "14,600.00" in text.stdout
    doc = json.loads(invoke("run", AE, "--data", data, "--explain", "--format", "json").stdout)
    assert doc[0]["schema"] == "incentives.breakdown/1" and doc[0]["total"] == "14600.00"
    md = invoke("run", AE, "--data", data, "--format", "markdown").stdout
    assert "**Total payout: 14,600.00 USD**" in md
    html = invoke("run", AE, "--data", data, "--format", "html", "--output", tmp_path / "s.html")
    assert html.exit_code == 0 and "14,600.00" in (tmp_path / "s.html").read_text(encoding="utf-8")


def test_same_inputs_give_the_same_bytes():
    a = invoke("run", AE, "--data", AE_DATA, "--explain", "--format", "json").stdout
    b = invoke("run", AE, "--data", AE_DATA, "--explain", "--format", "json").stdout
    assert a == b and len(a) > 1000


def test_bad_data_names_row_and_column_and_exits_3(tmp_path):
    data = tmp_path / "bad.csv"
    data.write_text("id,revenue,quota\nr1,12x,100\nr2,100,0.5\n", encoding="utf-8")
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == EXIT_DATA
    assert f"{data}: row 2, column revenue: expected a decimal number" in result.output
    assert f"{data}: row 3, column quota: expected a value from 1 to 2,000,000" in result.output


def test_unknown_payee_is_a_data_error():
    assert invoke("run", AE, "--data", AE_DATA, "--payee", "nobody").exit_code == EXIT_DATA


def test_evaluation_error_exits_4(tmp_path):
    plan = tmp_path / "div.plan"
    plan.write_text('plan "x" { currency USD period month }\ninput r: money\ninput q: money\n'
                    'let att = r / q\ncomponent c { pay 10% of r gate att >= 50% }\n', encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("id,r,q\nrep-7,100,0\n", encoding="utf-8")
    result = invoke("run", plan, "--data", data)
    assert result.exit_code == EXIT_EVAL
    assert "payee rep-7: division by zero: `q` is 0" in result.output
    assert f"{plan}:4:15" in result.output


def test_fmt_check_and_write(tmp_path):
    messy = tmp_path / "m.plan"
    messy.write_text('# header comment\nplan "x" {currency USD   period month}\n'
                     'component c {pay 5 USD # five\n cap 3 USD}\n', encoding="utf-8")
    assert invoke("fmt", "--check", messy).exit_code == EXIT_PLAN
    printed = invoke("fmt", messy).stdout
    assert printed == ('# header comment\nplan "x" {\n  currency USD\n  period month\n}\n\n'
                       'component c {\n  pay 5 USD  # five\n  cap 3 USD\n}\n')
    assert invoke("fmt", "--write", messy).exit_code == 0
    assert invoke("fmt", "--check", messy).exit_code == 0


def test_schema_command_matches_the_published_schema():
    published = json.loads((ROOT / "docs" / "breakdown.schema.json").read_text(encoding="utf-8"))
    assert json.loads(invoke("schema").stdout) == published


@pytest.mark.skipif(shutil.which("incentives") is None, reason="console script not installed")
def test_console_script_is_installed():
    import subprocess

    out = subprocess.run(["incentives", "check", AE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_a_run_without_period_is_refused_unless_the_plan_is_one_period(tmp_path):
    """No silent whole-year default: a quarterly plan in force all year must be told which quarter;
    a plan whose effective dates are exactly one period of its kind pays that period."""
    plan = tmp_path / "welcome.plan"
    plan.write_text('plan "w" { currency USD period quarter effective 2026-01-01 to 2026-12-31 }\n'
                    'input hired: date\ncomponent welcome { pay if hired in period then 100 USD else 0 USD }\n')
    data = tmp_path / "people.csv"
    data.write_text("id,hired\nA,2026-03-01\nB,2025-03-01\n")
    result = invoke("run", plan, "--data", data, "--format", "csv")
    assert result.exit_code == 2, result.output
    assert "give --period: the plan pays by quarter from 2026-01-01 to 2026-12-31 (e.g. --period 2026-Q1)" \
        in result.stderr
    wrong = invoke("run", plan, "--data", data, "--period", "2026-03")
    assert wrong.exit_code == 3 and "pays by quarter" in wrong.stderr and "partial periods" in wrong.stderr
    outside = invoke("run", plan, "--data", data, "--period", "2027-Q1")
    assert outside.exit_code == 3 and "in force from 2026-01-01 to 2026-12-31" in outside.stderr
    one = tmp_path / "q1.plan"
    one.write_text(plan.read_text().replace("2026-12-31", "2026-03-31"))
    only = invoke("run", one, "--data", data, "--format", "csv")
    assert only.exit_code == 0, only.output
    assert any(r.startswith("A,") and "100.00" in r for r in only.stdout.splitlines())
    q2 = invoke("run", plan, "--data", data, "--format", "csv", "--period", "2026-Q2")
    assert q2.exit_code == 0 and "no --period given" not in q2.stderr
    assert any(r.startswith("A,") and ",0.00" in r for r in q2.stdout.splitlines())
