"""Explanations: golden breakdowns of plans/account_executive.plan, the JSON schema,
and the Markdown and HTML statements.

Regenerate the golden breakdowns in tests/golden/explain/ after a deliberate change
with `UPDATE_GOLDEN=1 python -m pytest tests/test_explain.py`, and read the diff.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from dsl import Source
from incentives import compile_source, compile_text
from incentives.explain.build import SCHEMA, Breakdown, explain, json_schema
from incentives.explain.render import render_html, render_json, render_markdown, render_text

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "explain"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
AE_PATH = "plans/account_executive.plan"

PAYEES = {
    # name: (payee id, revenue, quota, total)
    "ae_150000": ("AE-150", "150000", "100000", "14600.00"),
    "ae_30000": ("AE-030", "30000", "100000", "600.00"),
}


@pytest.fixture(scope="module")
def ae():
    return compile_source(Source(AE_PATH, (ROOT / AE_PATH).read_text(encoding="utf-8")))


def breakdown(ae, name: str) -> Breakdown:
    payee, revenue, quota, _ = PAYEES[name]
    result = ae.run({"revenue": D(revenue), "quota": D(quota)}, payee, trace=True)
    return explain(ae, result)


def golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no {path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(PAYEES))
def test_golden_text(ae, name):
    golden(GOLDEN / f"{name}.txt", render_text(breakdown(ae, name)))


@pytest.mark.parametrize("name", sorted(PAYEES))
def test_golden_json(ae, name):
    golden(GOLDEN / f"{name}.json", render_json(breakdown(ae, name)))


def test_marginal_formula_shows_the_values(ae):
    b = breakdown(ae, "ae_150000")
    text = render_text(b)
    assert "12% x (150,000.00 - 100,000.00) = 6,000.00" in text
    tiers = b.components[0].items[0]
    assert "band 3: 12% x (150,000.00 - 100,000.00) = 6,000.00" in tiers.details
    assert tiers.formula == "1,000.00 + 4,000.00 + 6,000.00 = 11,000.00"
    assert [x.amount for x in tiers.bands] == ["1000.00", "4000.00", "6000.00"]
    assert [x.portion for x in tiers.bands] == ["50000", "50000", "50000"]
    assert b.definitions[0].formula == "revenue / quota = 150,000.00 / 100,000.00 = 150%"


@pytest.mark.parametrize("name", sorted(PAYEES))
def test_totals_and_lines(ae, name):
    b = breakdown(ae, name)
    assert b.total == PAYEES[name][3]
    assert b.schema_ == SCHEMA
    assert b.plan.file == AE_PATH
    assert D(b.subtotal) == sum(D(c.amount) for c in b.components)
    for c in b.components:
        # every item says where it is, and the running amount is continuous
        assert D(c.items[0].before) == 0
        for prev, item in zip(c.items, c.items[1:]):
            assert item.before == prev.after
        assert c.items[-1].after == c.amount
        assert all(item.where.file == AE_PATH and item.where.line > 0 for item in c.items)
    assert [i.where.line for i in b.components[0].items] == [16, 22, 26]


@pytest.mark.parametrize("name", sorted(PAYEES))
def test_json_validates_against_the_published_schema(ae, name):
    b = breakdown(ae, name)
    doc = render_json(b)
    data = json.loads(doc)
    assert data["schema"] == SCHEMA
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is optional
        jsonschema = None
    if jsonschema is not None:
        schema = json_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(data, schema)
        broken = dict(data, total=12)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)
    again = Breakdown.model_validate_json(doc)
    assert again == b
    assert render_json(again) == doc


def test_json_amounts_are_exact_strings(ae):
    data = json.loads(render_json(breakdown(ae, "ae_150000")))
    assert data["total"] == "14600.00"
    assert data["components"][0]["amount"] == "12100.00"
    mult = data["components"][0]["items"][1]
    assert (mult["kind"], mult["amount"], mult["reached"]) == ("multiplier", "1100.00", 2)
    assert data["inputs"][0] == {
        "name": "revenue", "type": "money", "value": "150000", "shown": "150,000.00",
        "description": "Closed-won revenue in the quarter", "formula": None,
        "where": {"file": AE_PATH, "line": 10, "column": 1}}


@pytest.mark.parametrize("name", sorted(PAYEES))
def test_markdown_and_html_statements(ae, name):
    b = breakdown(ae, name)
    total = "14,600.00" if name == "ae_150000" else "600.00"
    md, html = render_markdown(b), render_html(b)
    for doc in (md, html):
        assert f"Total payout: {total} USD" in doc
        assert b.payee in doc
        for line in (16, 22, 26, 30, 31):
            assert f"plan line {line}" in doc
        assert "Commission on revenue" in doc and "Quota kicker" in doc
    assert md.startswith("# Account Executive FY2026: statement for ")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<table>") == html.count("</table>")


def test_html_escapes_the_payee_and_plan_text():
    plan = compile_text('plan "Q&A <b>plan</b>" { currency USD period month }\n'
                        'input x: money "Sales & <i>returns</i>"\n'
                        'component c "Pay <em>it</em>" { pay 10% of x as "<img src=x onerror=alert(1)>" }\n',
                        "x.plan")
    payee = '<script>alert("pwned")</script>'
    html = render_html(explain(plan, plan.run({"x": D("100")}, payee, trace=True)))
    assert "<script>" not in html and "<img" not in html and "<em>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Q&amp;A &lt;b&gt;plan&lt;/b&gt;" in html
    assert "Total payout: 10.00 USD" in html


def test_renderers_are_deterministic(ae):
    for render in (render_text, render_json, render_markdown, render_html):
        first = render(breakdown(ae, "ae_150000"))
        assert render(breakdown(ae, "ae_150000")) == first


def test_explanation_of_every_line_and_step():
    plan = compile_text('''plan "T" { currency USD period quarter }
input base: money
input attainment: percent
input deals: count
component r { tiers retroactive on base { from 0 USD to 10_000 USD: 5% from 10_000 USD: 7% } cap 500 USD }
component s { tiers step on attainment { from 0% to 90%: 0 USD from 90%: 400 USD } floor 1_000 USD }
component cu { tiers cumulative on deals { from 0 to 5: 0 USD from 5 to 10: 500 USD from 10: 1_000 USD } }
component i {
  tiers interpolated on attainment {
    from 0% to 80%: 0 USD
    from 80% to 100%: 1_000 USD to 2_000 USD
    from 100%: 2_000 USD
  }
  gate attainment >= 95% else 50%
}
component sc { scorecard on 10_000 USD cap 120% { kpi a "A" weight 50% attainment attainment curve linear
                                                  kpi b weight 50% attainment 2 * attainment cap 110% } }
award t "Trip" { kind trip when attainment >= 80% value 1_000 USD }
payout { cap 10_000 USD }
''', "t.plan")
    r = plan.run({"base": D("12000"), "attainment": D("0.9"), "deals": D(12)}, "p", trace=True)
    b = explain(plan, r)
    f = {c.name: [i.formula for i in c.items] for c in b.components}
    assert f["r"] == ["7% x 12,000.00 = 840.00 (band 2, from 10,000.00)",
                      "capped at 500.00: 840.00 - 340.00 removed = 500.00"]
    assert f["s"] == ["band 2, from 90%, pays 400.00",
                      "raised to the floor of 1,000.00: 400.00 + 600.00 added = 1,000.00"]
    assert f["cu"] == ["0.00 + 500.00 + 1,000.00 = 1,500.00"]
    assert f["i"] == [("1,000.00 + (2,000.00 - 1,000.00) x (90% - 80%) / (100% - 80%) = 1,500.00 "
                       "(band 2, from 80% to 100%)"),
                      "failed (attainment >= 95%: 90% >= 95%): 1,500.00 x 50% = 750.00"]
    # A: 90% x 50% = 45%; B: 180% capped at 110% x 50% = 55%; 100% overall
    assert f["sc"] == ["4,500.00 + 5,500.00 = 10,000.00"]
    assert [i.formula for i in b.adjustments] == [
        "capped at 10,000.00: 13,750.00 - 3,750.00 removed = 10,000.00"]
    assert (b.subtotal, b.total) == ("13750.00", "10000.00")
    assert [(a.name, a.granted, a.value) for a in b.awards] == [("t", True, "1000.00")]
    text = render_text(b)
    assert "[x] trip: Trip  value 1,000.00" in text
    assert "b: attainment 180%, capped at 110%; 110% x weight 50% = 55% -> 5,500.00" in text
