"""Statements reps can read: period, person, measures with the deals behind them (and those left
out, with the reason), one well-formed HTML document for many people or a file each, several plans
in one statement, and awards' cash equivalent in the summaries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from incentives import load_plan
from incentives.cli.app import EXIT_USAGE, app
from incentives.cli.run import file_name
from incentives.explain.build import explain, period_info, statements
from incentives.explain.render import render_markdown_statements, render_text
from incentives.sales.records import load_people

ROOT = Path(__file__).resolve().parent.parent
AE = ROOT / "plans" / "split_credit.plan"
SPIF = ROOT / "plans" / "spif_q1.plan"
DATA = ROOT / "plans" / "data"
SALES = ["--people", DATA / "split_credit.csv", "--deals", DATA / "split_credit.deals.csv",
         "--splits", DATA / "split_credit.splits.csv", "--period", "2026-Q1"]
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def xhtml(text: str) -> ET.Element:
    """The document parsed as XML: every element closed and nested, one root."""
    return ET.fromstring(text)


def test_one_html_document_for_every_payee_with_contents_period_names_and_deals(tmp_path):
    out = tmp_path / "all.html"
    result = invoke("run", AE, *SALES, "--format", "html", "--output", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.count("<html") == 1 and text.count("</html>") == 1
    root = xhtml(text)
    sections = [s for s in root.iter("section") if s.get("class") == "person"]
    links = [a.get("href") for a in root.iter("a")]
    assert len(sections) == 9 and links == [f"#{s.get('id')}" for s in sections]
    assert "AE-06 (Grace Liu, Account Executive)" in text and "Tomás Ortega" in text
    assert "period 2026-Q1 (2026-01-01 to 2026-03-31)" in text
    # the deals behind the measure, formatted, and the deals left out with the reason
    assert "<td>OPP-1004</td><td>2026-01-20</td><td class=\"amount\">64,000.00</td><td>split 50%</td>" in text
    assert "OPP-1013 (2026-02-18, 31,000.00): status cancelled is not counted" in text
    assert "OPP-1029 (2026-04-01, 41,000.00): date 2026-04-01 is outside the period (date in period)" in text


def test_output_dir_writes_a_well_formed_statement_per_payee(tmp_path):
    out = tmp_path / "statements"
    result = invoke("run", AE, SPIF, *SALES, "--format", "html", "--output-dir", out)
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"{pid}.html" for pid in ("TL-E", "AE-01", "AE-02", "AE-03", "TL-W", "AE-04", "AE-05",
                                                      "AE-06", "AE-07"))
    text = (out / "AE-04.html").read_text(encoding="utf-8")
    root = xhtml(text)
    assert [h.text for h in root.iter("h2")] == ["AE Split Credit Q1 2026", "New-logo SPIF Q1 2026"]
    assert "Statement for AE-04 (Lukas Brandt, Account Executive)" in text
    assert "26,790.00 USD" in text and "2,000.00 USD" in text  # 24,540.00 + 2,250.00 cash; the trip
    assert "OPP-1001 (2026-01-08, 100,000.00): the condition share &gt;= 50% is false" in text
    md = invoke("run", AE, *SALES, "--format", "markdown", "--output-dir", tmp_path / "md", "--payee", "AE-02")
    assert md.exit_code == 0 and [p.name for p in (tmp_path / "md").iterdir()] == ["AE-02.md"]


def test_output_dir_is_for_statements_and_not_with_output(tmp_path):
    csv_dir = invoke("run", AE, *SALES, "--format", "csv", "--output-dir", tmp_path / "d")
    assert csv_dir.exit_code == EXIT_USAGE and "--output-dir writes a statement per payee" in csv_dir.output
    both = invoke("run", AE, *SALES, "--explain", "--output", tmp_path / "x", "--output-dir", tmp_path / "d")
    assert both.exit_code == EXIT_USAGE and "not both" in both.output
    assert not (tmp_path / "d").exists()


def test_file_names_are_safe_and_unique():
    taken: set[str] = set()
    assert [file_name(p, taken) for p in ("AE-1", "ae-1", "../x", "a/b c", "")] == [
        "AE-1", "ae-1-2", "_x", "a_b_c", "payee"]


def test_one_statement_per_person_across_plans_in_text_and_json():
    text = invoke("run", AE, SPIF, *SALES, "--explain", "--payee", "AE-04")
    assert text.exit_code == 0, text.output
    out = text.stdout
    assert out.startswith("Statement for AE-04 (Lukas Brandt, Account Executive), period 2026-Q1")
    assert "AE Split Credit Q1 2026 - payee AE-04" in out and "New-logo SPIF Q1 2026 - payee AE-04" in out
    assert out.rstrip().endswith("Awards' cash equivalent (USD)                                         2,000.00")
    assert "Total cash, every plan (USD)                                         26,790.00" in out
    doc = json.loads(invoke("run", AE, SPIF, *SALES, "--explain", "--format", "json").stdout)
    ae04 = next(s for s in doc if s["payee"] == "AE-04")
    assert [b["plan"]["name"] for b in ae04["plans"]] == ["AE Split Credit Q1 2026", "New-logo SPIF Q1 2026"]
    assert ae04["totals"] == [{"currency": "USD", "cash": "26790.00", "awards_value": "2000.00"}]
    assert ae04["name"] == "Lukas Brandt" and ae04["period"]["label"] == "2026-Q1"


def test_summaries_of_several_plans_name_the_plan():
    rows = list(csv.reader(io.StringIO(invoke("run", AE, SPIF, *SALES, "--format", "csv").stdout)))
    assert rows[0] == ["plan", "payee", "commission", "spif", "total", "hunter_trip"]
    assert ["AE Split Credit Q1 2026", "AE-04", "24540.00", "", "24540.00", ""] in rows
    assert ["New-logo SPIF Q1 2026", "AE-04", "", "2250.00", "2250.00", "2000.00"] in rows
    assert ["New-logo SPIF Q1 2026", "AE-06", "", "750.00", "750.00", "no"] in rows
    doc = json.loads(invoke("run", AE, SPIF, *SALES, "--format", "json").stdout)
    assert [p["plan"] for p in doc["plans"]] == ["AE Split Credit Q1 2026", "New-logo SPIF Q1 2026"]
    assert doc["totals"] == [{"currency": "USD", "cash": "142478.33", "awards_value": "2000.00"}]
    text = invoke("run", AE, SPIF, *SALES).stdout
    assert "AE Split Credit Q1 2026 (USD, per quarter)" in text and "New-logo SPIF Q1 2026 (USD" in text
    assert ("every plan, USD: cash 142,478.33 USD, awards' cash equivalent 2,000.00 USD "
            "(pay mix 99% cash, 1% awards)") in text


def test_awards_cash_equivalent_in_csv_and_totals():
    rows = invoke("run", SPIF, *SALES, "--format", "csv").stdout.splitlines()
    assert rows[0] == "payee,spif,total,hunter_trip"
    assert "AE-04,2250.00,2250.00,2000.00" in rows and "AE-06,750.00,750.00,no" in rows
    doc = json.loads(invoke("run", SPIF, *SALES, "--format", "json").stdout)
    assert doc["total"] == "12000.00" and doc["awards_value"] == "2000.00"
    text = invoke("run", SPIF, *SALES).stdout
    assert ("9 payees, total cash 12,000.00 USD, awards' cash equivalent 2,000.00 USD "
            "(pay mix 86% cash, 14% awards)") in text


def test_exclusions_only_in_traced_runs_with_their_reason():
    plan = load_plan(SPIF)
    files = dict(people=DATA / "split_credit.csv", deals=DATA / "split_credit.deals.csv",
                 splits=DATA / "split_credit.splits.csv", period="2026-Q1")
    traced = plan.run_population(**files, trace=True)
    b = explain(plan, traced["AE-06"], load_people(DATA / "split_credit.csv", plan.ir.inputs)["AE-06"])
    (m,) = b.measures
    assert [(e.id, e.reason) for e in m.excluded] == [
        ("OPP-1005", "condition"), ("OPP-1013", "status"), ("OPP-1020", "condition"), ("OPP-1027", "condition"),
        ("OPP-1029", "period")]
    assert m.excluded[0].why == "the condition new_customer is false"
    assert [d.id for d in m.deals] == ["OPP-1004"] and b.name == "Grace Liu"
    untraced = plan.run_population(**files)
    assert untraced["AE-06"].measures == [] and untraced["AE-06"].total == traced["AE-06"].total


def test_markdown_and_text_show_the_same_facts():
    plan = load_plan(AE)
    r = plan.run_population(people=DATA / "split_credit.csv", deals=DATA / "split_credit.deals.csv",
                            splits=DATA / "split_credit.splits.csv", period="2026-Q1", trace=True)
    b = explain(plan, r["AE-02"], load_people(DATA / "split_credit.csv", plan.ir.inputs)["AE-02"])
    md, text = render_markdown_statements(statements([b])), render_text(b)
    for doc in (md, text):
        assert "AE-02 (Kenji Watanabe, Account Executive)" in doc
        assert "2026-Q1 (2026-01-01 to 2026-03-31)" in doc
        assert "date 2025-12-29 is outside the period (date in period)" in doc
        assert "OPP-1021" in doc and "19,999.998" in doc
    assert "| OPP-1008 | 2026-02-03 | 120,000.00 | split 40% | 48,000.00 |" in md


def test_a_measured_column_is_formatted_by_its_type(tmp_path):
    plan = tmp_path / "m.plan"
    plan.write_text('plan "m" { currency USD period quarter }\n'
                    'measure margin_won = sum margin of deals where status == "won"\n'
                    'component c { pay 10% of margin_won }\n', encoding="utf-8")
    people = tmp_path / "p.csv"
    people.write_text("id,name\nA,Ann Lee\n", encoding="utf-8")
    deals = tmp_path / "d.csv"
    deals.write_text("id,owner,amount,date,margin,status\nD1,A,100000,2026-01-05,61249,won\n"
                     "D2,A,5000,2026-01-06,100,lost\n", encoding="utf-8")
    result = invoke("run", plan, "--people", people, "--deals", deals, "--period", "2026-Q1", "--explain")
    assert result.exit_code == 0, result.output
    assert "D1  2026-01-05  100,000.00 (owner) = 100,000.00; margin 61,249.00" in result.stdout
    assert "D2  2026-01-06  5,000.00: status lost is not counted (status == \"won\")" in result.stdout
    assert "payee A (Ann Lee)" in result.stdout


def test_period_names():
    d = dt.date
    assert period_info(d(2026, 1, 1), d(2026, 3, 31)).label == "2026-Q1"
    assert period_info(d(2026, 7, 1), d(2026, 12, 31)).label == "2026-H2"
    assert period_info(d(2026, 1, 1), d(2026, 12, 31)).label == "2026"
    assert period_info(d(2026, 2, 1), d(2026, 2, 28)).label == "2026-02"
    assert period_info(d(2026, 2, 1), d(2026, 4, 30)).label == "2026-02-01 to 2026-04-30"
    assert period_info(None, None) is None
