"""Overrides on what the reports were paid: managers are worked out after everyone below them."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from dsl import PlanError
from incentives import compile_text
from incentives.sales.population import Population
from incentives.sales.records import load_sales

PLAN = '''plan "Override" { currency USD period quarter }
measure revenue = sum amount of deals where status == "won"
measure below = sum commission of reports "commission of everyone below"
measure below_total = sum total of reports where revenue > 0 USD
component commission { pay 10% of revenue }
component override { pay 5% of below }
'''


def population(tmp_path, plan):
    (tmp_path / "people.csv").write_text("id,team,manager\ndir,,\nm1,A,dir\nr1,A,m1\nr2,A,m1\nm2,B,dir\nr3,B,m2\n",
                                         encoding="utf-8")
    (tmp_path / "deals.csv").write_text("id,owner,amount,date\nd1,r1,1000,2026-01-05\nd2,r2,2000,2026-01-06\n"
                                        "d3,r3,4000,2026-01-07\nd4,m1,500,2026-01-08\n", encoding="utf-8")
    p = plan.ir
    sales = load_sales(tmp_path / "people.csv", tmp_path / "deals.csv", None, p.inputs, p.deal_fields, p.currency,
                       used=p.deal_columns)
    return {r.payee: r for r in Population(plan, sales).run(trace=True)}


def test_override_on_reports_commissions_cascades_up_the_chain(tmp_path):
    r = population(tmp_path, compile_text(PLAN, "o.plan"))
    assert r["r1"].total == D("100.00") and r["r3"].total == D("400.00")
    # m1: own 10% of 500 = 50; override 5% of (100 + 200) = 15
    assert r["m1"].component("override").amount == D("15.00") and r["m1"].total == D("65.00")
    # dir: 5% of the commission of everyone below: 100 + 200 + 400 + 50 = 750 -> 37.50
    assert r["dir"].component("override").amount == D("37.50")
    below = next(m for m in r["dir"].measures if m.name == "below_total")
    # the condition keeps only people with revenue: m2 and dir's own reports without deals drop out
    assert sorted(pid for pid, _ in below.people) == ["m1", "r1", "r2", "r3"]


@pytest.mark.parametrize("text,message", [
    ("measure t = sum commission of team", "can be aggregated over `reports` only"),
    ("let x = below * 2\ncomponent z { pay x }", "`below` cannot be used in definitions: it measures what the "
                                                 "reports were paid, which is known only after the reports are paid"),
])
def test_pay_measures_are_refused_where_pay_is_not_known(text, message):
    with pytest.raises(PlanError, match=message):
        compile_text(PLAN + text + "\n", "o.plan")
