"""Issue 13: measures of an expression of deal columns, measures of team and reports over a
person's definitions, and per-deal tiers whose bands read the deal's columns."""

from __future__ import annotations

from decimal import Decimal as D, localcontext

import pytest

import incentives
from dsl import PlanError, Source, ast, parse
from dsl.fmt import format_plan
from dsl.printer import measured_text
from incentives import compile_text
from incentives.engine.evaluate import CONTEXT
from incentives.engine.ir import Stage
from incentives.engine.schedule import person_definitions
from incentives.errors import EvaluationError
from incentives.plantest.example_data import example_sales
from incentives.plantest.runner import run_example
from incentives.sales.population import Population

HEADER = '''plan "Issue 13" {
  currency USD
  period quarter
  effective 2026-01-01 to 2026-12-31
}

input quota: money default 0 USD
input stretch: percent default 100%

deals {
  field term_years: number default 1
}
'''

PEOPLE = '''  period "2026-Q1"
  person "M" { quota = 0 USD }
  person "A" { manager = "M", quota = 100 USD, stretch = 150% }
  person "B" { manager = "M", quota = 200 USD }
  deal "D1" { owner = "A", amount = 3_000 USD, date = 2026-01-10, term_years = 3, product = "A" }
  deal "D2" { owner = "A", amount = 1_000 USD, date = 2026-01-11, product = "B" }
  deal "D3" { owner = "A", amount = 500 USD, date = 2026-01-12, term_years = 0, status = "lost" }
'''


def population(text: str, trace: bool = True):
    plan = compile_text(text, "issue13.plan")
    ex = plan.ir.examples[0]
    results = Population(plan, example_sales(plan, ex.sales), ex.sales.period).run(trace=trace)
    return plan, {r.payee: r for r in results}


def errors_of(text: str) -> list:
    with pytest.raises(PlanError) as info:
        compile_text(text, "issue13.plan")
    return info.value.errors


# ---- 1. measures of an expression ----

def test_the_issue_line_parses_and_the_old_form_still_does():
    plan = parse(Source("x.plan", 'measure arr = sum amount / term_years of deals where status == "won"\n'
                                  "measure rev = sum amount of deals\nmeasure n = count of deals\n"
                                  "let share = 8% of quota\n"))
    arr, rev, n, let = plan.decls
    assert arr.field is None and isinstance(arr.value, ast.Binary) and arr.value.op == "/"
    assert arr.source.text == "deals" and arr.where is not None
    assert rev.field.text == "amount" and rev.value is None
    assert n.field is None and n.value is None
    assert isinstance(let.expr, ast.Binary) and let.expr.op == "of"  # `of` as multiplication is untouched


@pytest.mark.parametrize("written, formatted", [
    ("sum amount / term_years of deals", "sum amount / term_years of deals"),
    ("sum (amount / term_years) of deals", "sum amount / term_years of deals"),
    ("sum (8% of amount) of deals", "sum (8% of amount) of deals"),
    ("max (amount - cost) * 2 of deals", "max (amount - cost) * 2 of deals"),
    ("min -amount of deals", "min -amount of deals"),
    ("sum (if new_customer then amount else 0 USD) of deals", "sum (if new_customer then amount else 0 USD) of deals"),
    ("average max(amount, cost) of deals", "average max(amount, cost) of deals"),
])
def test_fmt_writes_parentheses_only_where_the_measure_needs_them(written, formatted):
    text = HEADER + f"measure m = {written}\ncomponent c {{\n  pay 1% of m\n}}\n"
    out = format_plan(parse(Source("x.plan", text)))
    assert f"measure m = {formatted}\n" in out
    again = parse(Source("x.plan", out))  # and what it writes reads back the same
    assert format_plan(again) == out


def test_measured_text_wraps_a_top_level_of_or_comparison():
    e = parse(Source("x.plan", "let x = 8% of amount / term_years\n")).decls[0].expr
    assert measured_text(e) == "(8% of amount / term_years)"
    e = parse(Source("x.plan", "let x = (8% of amount) + (amount > 1 USD)\n")).decls[0].expr
    assert measured_text(e) == "(8% of amount + (amount > 1 USD))"  # `of` binds tighter than `+`
    e = parse(Source("x.plan", "let x = (amount - cost) * 2 + -term\n")).decls[0].expr
    assert measured_text(e) == "(amount - cost) * 2 + -term"


EXPRESSIONS = HEADER + '''
measure arr = sum amount / term_years of deals where status == "won"
measure avg_arr = average amount / term_years of deals where status == "won"
measure half = max (50% of amount) of deals where status == "won"
measure padded = sum amount / term_years + quota of deals where status == "won"

component c {
  pay 1% of arr
}

example "x" {
''' + PEOPLE + '''  expect "A" arr = 2_000 USD
  expect "A" avg_arr = 1_000 USD
  expect "A" half = 1_500 USD
  expect "A" padded = 2_200 USD
  expect "A" c = 20 USD
}
'''


def test_a_measure_of_an_expression_takes_each_deal_exactly():
    plan, results = population(EXPRESSIONS)
    a = results["A"].values
    # 3,000 / 3 + 1,000 / 1; the lost D3 (term 0) is left out by the condition, never divided
    assert a["arr"] == D("2000") and a["avg_arr"] == D("1000") and a["half"] == D("1500")
    # the expression may read the payee's values: quota 100 added for each of the two deals
    assert a["padded"] == D("2200")
    assert plan.ir.measures[0].field is None and plan.ir.measures[0].value is not None
    assert run_example(plan, plan.ir.examples[0]).passed


def test_an_exact_average_of_an_expression():
    text = EXPRESSIONS.replace('deal "D2" { owner = "A", amount = 1_000 USD, date = 2026-01-11, product = "B" }',
                               'deal "D2" { owner = "A", amount = 1_000 USD, date = 2026-01-11, term_years = 3 }')
    _, results = population(text)
    with localcontext(CONTEXT):
        assert results["A"].values["avg_arr"] == (D(3000) / 3 + D(1000) / 3) / 2


def test_a_division_by_zero_in_a_deal_names_the_payee_and_the_deal():
    text = EXPRESSIONS.replace('measure arr = sum amount / term_years of deals where status == "won"',
                               "measure arr = sum amount / term_years of deals")
    with pytest.raises(EvaluationError) as info:
        population(text)
    err = info.value
    assert err.payee == "A" and "(deal D3)" in err.message and "division by zero" in err.message
    assert (err.span.file, err.span.line) == ("issue13.plan", 14)


def test_the_breakdown_lists_each_deals_measured_value():
    plan, results = population(EXPRESSIONS)
    b = incentives.explain(plan, results["A"])
    arr = next(m for m in b.measures if m.name == "arr")
    assert arr.formula == 'sum amount / term_years of deals where status == "won"'
    assert [(d.id, d.value) for d in arr.deals] == [("D1", "1000"), ("D2", "1000")]
    half = next(m for m in b.measures if m.name == "half")
    assert half.formula.startswith("max (50% of amount) of deals")
    assert [(d.id, d.value, d.shown) for d in half.deals] == [("D1", "1500", "1,500.00"), ("D2", "500", "500.00")]


def test_a_measured_expression_is_checked():
    errs = errors_of(HEADER + "measure m = sum (amount > 1 USD) of deals\ncomponent c {\n  pay 1 USD * m\n}\n")
    assert [(e.code, e.span.line) for e in errs] == [("type", 13)]
    assert "what `sum` takes of each deal must be" in errs[0].message and "true/false" in errs[0].message
    errs = errors_of(HEADER + "measure m = count amount * 2 of deals\ncomponent c {\n  pay 1 USD * m\n}\n")
    assert errs[0].code == "measure" and "`count` counts deals or people" in errs[0].message
    errs = errors_of(HEADER + "measure m = sum amount / termyears of deals\ncomponent c {\n  pay 1% of m\n}\n")
    assert errs[0].code == "name" and "termyears" in errs[0].message and "term_years" in (errs[0].hint or "")


# ---- 2. measures of team and reports over a person's definitions ----

DEFINITIONS = HEADER + '''
measure won = sum amount of deals where status == "won"
let base_quota = quota * stretch
let stretch_quota = base_quota + 0 USD "read by a measure through another definition"
measure reports_quota = sum stretch_quota of reports
measure reports_double = sum stretch_quota * 2 of reports where won > 0 USD
measure team_won_share = sum won / 2 of team
let attainment = if reports_quota > 0 USD then won / reports_quota else 0%

component override {
  pay 10% of reports_quota
}

example "x" {
''' + PEOPLE + '''  expect "M" reports_quota = 350 USD
  expect "M" reports_double = 300 USD
  expect "M" override = 35 USD
  expect "A" reports_quota = 0 USD
}
'''


def test_a_measure_of_reports_sums_a_definition():
    plan, results = population(DEFINITIONS)
    m = results["M"].values
    # A: 100 x 150% = 150; B: 200 x 100% = 200
    assert m["reports_quota"] == D("350")
    assert m["reports_double"] == D("300")  # only A won anything: 2 x 150
    assert results["A"].values["stretch_quota"] == D("150")
    assert results["M"].values["attainment"] == D(0)  # worked out after the measure, from it
    assert run_example(plan, plan.ir.examples[0]).passed


def test_the_definitions_measures_read_have_their_own_stage_before_them():
    plan = compile_text(DEFINITIONS, "issue13.plan")
    assert person_definitions(plan.ir) == ("base_quota", "stretch_quota")  # the plan's order, transitively
    stages = plan.ir.stages
    assert stages.index(Stage.DEAL_MEASURES) < stages.index(Stage.PERSON_DEFINITIONS) \
        < stages.index(Stage.GROUP_MEASURES) < stages.index(Stage.PREPARE)
    plain = compile_text(EXPRESSIONS, "issue13.plan")
    assert Stage.PERSON_DEFINITIONS not in plain.ir.stages and person_definitions(plain.ir) == ()


def test_each_definition_is_worked_out_once_per_person():
    plan = compile_text(DEFINITIONS, "issue13.plan")
    ev = plan.evaluator
    calls: list[str] = []
    ev.lets = [(name, (lambda fn, name: lambda v: calls.append(name) or fn(v))(fn, name)) for name, fn in ev.lets]
    ex = plan.ir.examples[0]
    Population(plan, example_sales(plan, ex.sales), ex.sales.period).run()
    assert sorted(calls) == sorted(["base_quota", "stretch_quota", "attainment"] * 3)


def test_a_payee_alone_works_out_every_definition_as_before():
    plan = compile_text(DEFINITIONS, "issue13.plan")
    given = {"quota": D(100), "stretch": D("1.5"), "reports_quota": D(1000), "won": D(0), "reports_double": D(0),
             "team_won_share": D(0)}
    r = plan.run(given, payee="x", trace=True)
    assert r.values["stretch_quota"] == D(150) and r.total == D("100.00")


def test_a_definition_using_the_measure_that_sums_it_is_a_located_cycle():
    text = HEADER + '''
let quota_p = quota + 10% of reports_quota
measure reports_quota = sum quota_p of reports
component c {
  pay 1% of reports_quota
}
'''
    errs = errors_of(text)
    assert [(e.code, e.span.line, e.span.column) for e in errs] == [("cycle", 14, 30)]
    assert errs[0].message.endswith("reports_quota -> quota_p -> reports_quota")


def test_a_cycle_through_another_definition_names_the_whole_path():
    text = HEADER + '''
let a = quota + b
let b = 1% of total_a
measure total_a = sum a of team
component c {
  pay 1% of total_a
}
'''
    errs = errors_of(text)
    assert [(e.code, e.span.line) for e in errs] == [("cycle", 15)]
    assert "total_a -> a -> b -> total_a" in errs[0].message


def test_a_measured_definition_may_not_use_another_measure_of_people():
    text = HEADER + '''
measure headcount = count of team
let quota_share = quota / headcount
measure team_share = sum quota_share of team
component c {
  pay 1% of team_share
}
'''
    errs = errors_of(text)
    assert [(e.code, e.span.line, e.span.column) for e in errs] == [("measure", 15, 27)]
    assert "measure `team_share` of the team reads it" in errs[0].message and "`headcount`" in errs[0].message


def test_a_definition_no_measure_reads_may_still_use_measures_of_people():
    text = HEADER + '''
measure headcount = count of team
let quota_share = quota / headcount
component c {
  pay 1% of quota_share
}
'''
    assert compile_text(text, "issue13.plan").ir.stages.count(Stage.PERSON_DEFINITIONS) == 0


# ---- 3. per-deal bands that read the deal ----

BANDS = HEADER + '''
component p {
  tiers marginal per deal on amount where status == "won" {
    from 0 USD to 2_000 USD: if product == "A" then 10% else 5%
    from 2_000 USD: if product == "A" then 20% else 5%
  }
}

component bounds {
  tiers step per deal on amount where status == "won" {
    from 0 USD to term_years * 1_000 USD: 1 USD
    from term_years * 1_000 USD: 2 USD
  }
}

example "x" {
''' + PEOPLE + '''  # D1 (A): 10% x 2,000 + 20% x 1,000 = 400; D2 (B): 5% x 1,000 = 50
  expect "A" p = 450 USD
  # D1: 3,000 is in 3 x 1,000 and up: 2; D2: 1,000 is in 1 x 1,000 and up: 2
  expect "A" bounds = 4 USD
}
'''


def test_per_deal_bands_read_the_deals_columns():
    plan, results = population(BANDS)
    a = results["A"]
    assert a.component("p").amount == D("450.00") and a.component("bounds").amount == D("4.00")
    assert run_example(plan, plan.ir.examples[0]).passed
    line = a.component("p").items[0]
    rates = {pay.deal: [h.value for h in pay.bands] for pay in line.deals}
    assert rates == {"D1": [D("0.10"), D("0.20")], "D2": [D("0.05")]}


def test_per_deal_bands_that_go_out_of_order_name_the_deal():
    text = BANDS.replace("from term_years * 1_000 USD: 2 USD", "from term_years * 1_000 USD - 2_500 USD: 2 USD")
    text = text.replace("from 0 USD to term_years * 1_000 USD: 1 USD", "from 0 USD to 500 USD: 1 USD")
    with pytest.raises(EvaluationError) as info:
        population(text)
    err = info.value
    # D1 (term 3): bands 0-500, 500 and up, in order; D2 (term 1): the second band starts at -1,500
    assert "the bands are out of order for deal D2" in err.message and "term_years = 1" in err.message
    assert err.payee == "A" and err.span.line == 24


def test_the_bands_of_running_tiers_may_not_read_a_deal():
    text = HEADER + '''
component r {
  tiers marginal running on amount {
    from 0 USD: if product == "A" then 10% else 5%
  }
}
'''
    errs = errors_of(text)
    assert [(e.code, e.span.line) for e in errs] == [("name", 16)]
    assert "cannot be used in the bands of running tiers" in errs[0].message
    assert "per deal" in errs[0].hint


def test_bands_that_read_no_deal_column_are_worked_out_once_per_payee():
    text = HEADER + '''
component p {
  tiers marginal per deal on amount {
    from 0 USD to quota: 10%
    from quota: 20%
  }
}
'''
    plan = compile_text(text, "issue13.plan")
    calls = []
    compiler = plan.evaluator.compile
    original = compiler.bands
    compiler.bands = lambda bands: calls.append(1) or original(bands)
    deal_compiler = plan.evaluator.deal_compile
    deal_compiler.bands = lambda bands: pytest.fail("no deal column: no per-deal bands")
    item = plan.ir.components[0].items[0]
    plan.evaluator._tiers(item)
    assert calls == [1]
