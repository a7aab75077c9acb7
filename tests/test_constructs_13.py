"""Constructs plan authors were missing (issue 13): optional deal columns and `is missing`, labels
and `upper_inclusive` on steps, a period line in a one-payee example, rule tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import incentives
from dsl import PlanError, parse
from dsl.fmt import format_plan
from incentives.engine.ir import MISSING
from incentives.errors import EvaluationError
from incentives.plantest.runner import run_plan_tests
from incentives.sales.records import Person, new_deal, new_sales

HEAD = 'plan "T" { currency USD period quarter }\n'

CHURN = HEAD + '''
deals {
  field churn_date: date optional "when the customer left"
  field refund: money optional
}
measure kept = sum amount of deals where churn_date is missing
measure churned = count of deals where churn_date is not missing and churn_date <= period_end
measure refunds = sum refund of deals where refund is not missing
component c {
  pay 10% of kept
  pay 1 USD * churned as "per churned deal"
}
'''


def _sales(*deals):
    people = [Person("A", "", "", {}, "person A")]
    return new_sales(people, [new_deal(d, f"deal {d['id']}") for d in deals])


def test_optional_column_is_missing_when_empty(tmp_path):
    plan = incentives.compile_text(CHURN, "churn.plan")
    people = tmp_path / "people.csv"
    people.write_text("id\nA\n")
    deals = tmp_path / "deals.csv"
    deals.write_text("id,owner,amount,date,churn_date,refund\n"
                     "D1,A,1000,2026-01-10,,\n"
                     "D2,A,500,2026-01-11,2026-02-01,20\n"
                     "D3,A,300,2026-01-12,2026-05-01,\n")
    result = plan.run_population(people=people, deals=deals, period="2026-Q1")["A"]
    amounts = {c.name: c.amount for c in result.components}
    assert amounts["c"] == Decimal("101.00")  # 10% of 1000 kept, 1 churned inside the period
    loaded = incentives.load_deals(deals, plan, incentives.load_people(people, plan))
    assert loaded[0]["churn_date"] is MISSING and loaded[1]["churn_date"] == dt.date(2026, 2, 1)


def test_using_a_missing_value_is_a_located_error_naming_deal_and_column():
    text = CHURN.replace("measure refunds = sum refund of deals where refund is not missing",
                         "measure refunds = sum refund of deals")
    plan = incentives.compile_text(text, "churn.plan")
    sales = _sales({"id": "D9", "owner": "A", "amount": Decimal(5), "date": dt.date(2026, 1, 2),
                    "churn_date": MISSING, "refund": MISSING})
    with pytest.raises(EvaluationError) as info:
        plan.run_population(sales, period="2026-Q1")
    message = str(info.value)
    assert "deal `D9` has no `refund`" in message and "churn.plan:" in message
    assert info.value.span.line == text.splitlines().index("measure refunds = sum refund of deals") + 1


def test_comparing_a_missing_value_is_an_error():
    text = CHURN.replace("churn_date is not missing and churn_date <= period_end", "churn_date <= period_end")
    plan = incentives.compile_text(text, "churn.plan")
    sales = _sales({"id": "D4", "owner": "A", "amount": Decimal(5), "date": dt.date(2026, 1, 2),
                    "churn_date": MISSING, "refund": MISSING})
    with pytest.raises(EvaluationError, match="deal `D4` has no `churn_date`"):
        plan.run_population(sales, period="2026-Q1")


def test_is_missing_needs_an_optional_column():
    with pytest.raises(PlanError, match="`is missing` tests an optional column"):
        incentives.compile_text(CHURN.replace("churn_date: date optional", "churn_date: date"), "x.plan")
    with pytest.raises(PlanError, match="takes no default"):
        incentives.compile_text(CHURN.replace("date optional", "date optional default 2026-01-01"), "x.plan")


def test_optional_columns_in_examples_and_over_deals():
    text = CHURN + '''
example "churn" {
  period "2026-Q1"
  person "A" {}
  deal "D1" { owner = "A", amount = 1000 USD, date = 2026-01-10 }
  deal "D2" { owner = "A", amount = 100 USD, date = 2026-01-11, churn_date = 2026-02-01, refund = 5 USD }
  expect "A" kept = 1000 USD
  expect "A" churned = 1
  expect "A" refunds = 5 USD
}
property "never negative" over deals {
  always c >= 0 USD
}
'''
    plan = incentives.compile_text(text, "churn.plan")
    outcomes = run_plan_tests(plan, seed=7, max_examples=30)
    assert [o.passed for o in outcomes] == [True, True], [o.message for o in outcomes]


def test_format_keeps_the_new_constructs():
    text = HEAD + '''deals { field churn_date: date optional }
rules rate: percent "by product" { when product == "X": 12% default: 8% }
curve k "a curve" { from 0%: 0% }
input m: count
measure n = count of deals where churn_date is not missing
component c {
  tiers step per deal on rate of amount { from 0 USD: 0 USD }
  multiplier on m upper_inclusive { from 0 to 10: 1 from 10: 2 } "acc"
  gate m >= 8 "met" cap 5 USD "capped" floor 1 USD as "floored"
}
'''
    once = format_plan(parse(text))
    assert "field churn_date: date optional" in once and 'gate m >= 8 else 0% as "met"' in once
    assert 'cap 5 USD as "capped"' in once and 'curve k "a curve" {' in once
    assert "churn_date is not missing" in once and 'rules rate: percent "by product" {' in once
    assert format_plan(parse(once)) == once


STEPS = HEAD + '''input revenue: money
input meetings: count
component commission {
  pay 10% of revenue
  multiplier on meetings upper_inclusive { from 0 to 10: 1  from 10: 2 } as "meetings accelerator"
  gate meetings >= 8 "met the meeting target"
  cap 1_500 USD as "quarterly cap"
  floor 10 USD "at least"
}
'''


def test_step_labels_are_shown_and_upper_inclusive_multiplier():
    plan = incentives.compile_text(STEPS, "steps.plan")
    at_ten = plan.run({"revenue": "1000", "meetings": 10}, trace=True)
    assert at_ten.total == Decimal("100.00")  # exactly 10 is in the lower band with upper_inclusive
    assert plan.run({"revenue": "1000", "meetings": 11}).total == Decimal("200.00")
    text = incentives.render(incentives.explain(plan, at_ten), "text")
    for label in ("meetings accelerator", "met the meeting target", "quarterly cap", "at least"):
        assert label in text


def test_a_period_line_sets_a_one_payee_examples_period():
    text = HEAD + '''input revenue: money
component c { pay if period_end == 2026-03-31 then 10% of revenue else 0 USD }
example "q1" {
  period "2026-Q1"
  given revenue = 1000 USD
  expect c = 100 USD
}
example "q2" {
  period 2026-04-01 to 2026-06-30
  given revenue = 1000 USD
  expect c = 0 USD
}
'''
    plan = incentives.compile_text(text, "p.plan")
    assert [o.passed for o in run_plan_tests(plan, seed=1)] == [True, True]
    with pytest.raises(PlanError, match="is not a period"):
        incentives.compile_text(text.replace('"2026-Q1"', '"2026-Q5"'), "p.plan")


RULES = HEAD + '''input revenue: money
input product: text
input category: text
input new_customer: bool default false
rules rate: percent {
  when product == "Widget": 12%
  when category == "Software": 10%
  when category == "Software" and new_customer: 15%
  default: 8%
}
component c { pay rate of revenue }
'''


@pytest.mark.parametrize("product, category, new, paid", [
    ("Widget", "Software", True, "150.00"),  # two conditions beat one
    ("Widget", "Software", False, "120.00"),  # equally specific: the first written
    ("Other", "Software", False, "100.00"),
    ("Other", "Hardware", True, "80.00"),  # the default
])
def test_the_most_specific_rule_wins(product, category, new, paid):
    plan = incentives.compile_text(RULES, "r.plan")
    result = plan.run({"revenue": "1000", "product": product, "category": category, "new_customer": new})
    assert result.total == Decimal(paid)


def test_the_breakdown_says_which_rule_matched():
    plan = incentives.compile_text(RULES, "r.plan")
    result = plan.run({"revenue": "1000", "product": "x", "category": "Software", "new_customer": True}, trace=True)
    text = incentives.render(incentives.explain(plan, result), "text")
    assert "rate [15% by the rule on line 9, when category == \"Software\" and new_customer]" in text
    result = plan.run({"revenue": "1000", "product": "x", "category": "y"}, trace=True)
    assert "rate [8% by default]" in incentives.render(incentives.explain(plan, result), "text")


def test_a_rule_table_over_deal_columns_per_deal():
    text = HEAD + '''deals { field category: text default "" }
rules rate: percent {
  when product == "Widget": 12%
  when category == "Software": 10%
  default: 8%
}
measure widget_pay = sum amount of deals where rate > 11%
component c {
  tiers step per deal on rate of amount { from 0 USD: 0 USD }
  pay 1% of widget_pay
}
'''
    plan = incentives.compile_text(text, "d.plan")
    sales = _sales({"id": "D1", "owner": "A", "amount": Decimal(1000), "date": dt.date(2026, 1, 2),
                    "product": "Widget", "category": "Software"},
                   {"id": "D2", "owner": "A", "amount": Decimal(1000), "date": dt.date(2026, 1, 3),
                    "category": "Software"},
                   {"id": "D3", "owner": "A", "amount": Decimal(1000), "date": dt.date(2026, 1, 4),
                    "category": ""})
    result = plan.run_population(sales, period="2026-Q1")["A"]
    assert "category" in plan.ir.deal_columns and "product" in plan.ir.deal_columns
    assert result.total == Decimal("10.00")  # 1% of the Widget deal's 1000


def test_rule_table_type_errors():
    bad = RULES.replace('when product == "Widget": 12%', 'when product: 12 USD')
    with pytest.raises(PlanError) as info:
        incentives.compile_text(bad, "r.plan")
    messages = [d.message for d in info.value.errors]
    assert any("a rule's condition must be" in m for m in messages)
    assert any("rule table `rate` gives a percentage" in m or "rule table `rate` gives" in m for m in messages)


# ---- found in review ----

RULES_DOC = '''plan "R" { currency USD period quarter }
input revenue: money
input product: text
input category: text
input new_customer: bool default false
rules rate: percent "commission rate by product, then category" {
  when product == "Widget": 12%
  when category == "Software": 10%
  when category == "Software" and new_customer: 15%
  default: 8%
}
component commission { pay rate of revenue }
'''


def test_inputs_read_only_by_a_rule_table_are_not_unused():
    import incentives

    plan = incentives.compile_text(RULES_DOC, "r.plan")
    assert [w for w in plan.warnings if w.code == "unused"] == []
    r = plan.run({"revenue": "1000", "product": "Widget", "category": "Software", "new_customer": "true"},
                 period="2026-Q1")
    assert str(r.total) == "150.00"


def test_a_left_out_deal_with_an_empty_optional_column_is_shown_as_missing(tmp_path):
    import incentives

    plan = incentives.compile_text('''plan "Opt" { currency USD period quarter }
deals { field bonus: money optional }
measure bonus_sum = sum bonus of deals where bonus is not missing
component c { pay 10% of bonus_sum }
''', "opt.plan")
    people = tmp_path / "p.csv"
    people.write_text("id,team,manager\nAE1,,\n")
    deals = tmp_path / "d.csv"
    deals.write_text("id,owner,amount,date,bonus\nD1,AE1,100,2026-01-05,3000\nD2,AE1,100,2026-01-06,\n")
    run = plan.run_population(people=people, deals=deals, period="2026-Q1", trace=True)
    assert run["AE1"].total == 300
    for fmt in ("text", "json", "markdown", "html"):
        out = incentives.render(incentives.explain(plan, run["AE1"]), fmt)
        assert "D2" in out and "missing" in out
