"""Rules at the edges of sales data: what pools may read, declared deal columns, per-deal bands."""

from __future__ import annotations

import pytest

from dsl import PlanError
from incentives import DataError, compile_text
from incentives.sales.records import load_sales

HEAD = 'plan "S" { currency USD period quarter }\n'


@pytest.mark.parametrize("body,message", [
    ("contest c { rank by revenue }\ncomponent p { pool prize(c) + 10 USD among all equally }",
     "known once every person is ranked"),
    ("measure paid = sum commission of reports\ncomponent commission { pay 1% of revenue }\n"
     "component p { pool 10% of paid among team equally }", "`paid` cannot be used in a pool .*known only after "
                                                             "the reports are paid"),
    # per deal, bands may read the deal (issue 13); a running total has one set of bands, the payee's
    ("component t { tiers marginal running on amount { from 0 USD to deal_amount: 1% from deal_amount: 2% } }",
     "`deal_amount` cannot be used in the bands of running tiers"),
])
def test_refused_at_check_time(body, message):
    with pytest.raises(PlanError, match=message):
        compile_text(HEAD + "measure revenue = sum amount of deals\n" + body + "\n", "s.plan")


def test_declared_deal_columns_are_checked_against_their_range_and_values(tmp_path):
    plan = compile_text(HEAD + 'deals {\n  field term_months: count range 1 to 60\n'
                        '  field segment: text in {"SMB", "ENT"} default "SMB"\n}\n'
                        'measure arr = sum amount of deals where segment == "ENT" and term_months >= 12\n'
                        'component c { pay 1% of arr }\n', "s.plan")
    (tmp_path / "people.csv").write_text("id\na\n", encoding="utf-8")
    (tmp_path / "deals.csv").write_text("id,owner,amount,date,term_months,segment\n"
                                        "d1,a,100,2026-01-01,99,ENT\nd2,a,100,2026-01-01,12,MID\n"
                                        "d3,a,100,2026-01-01,12,\n", encoding="utf-8")
    p = plan.ir
    with pytest.raises(DataError) as info:
        load_sales(tmp_path / "people.csv", tmp_path / "deals.csv", None, p.inputs, p.deal_fields, p.currency,
                   used=p.deal_columns, declared=p.deal_field_infos)
    problems = [x.split(": ", 1)[1] for x in info.value.problems]
    assert problems == ["row 2, column term_months: expected a value from 1 to 60 (the range declared on plan "
                        "line 3); got 99",
                        'row 3, column segment: expected one of "SMB", "ENT"; got "MID"']


def _run(tmp_path, plan_text, people, deals, splits=None):
    from incentives.sales.population import Population

    plan = compile_text(HEAD + plan_text, "s.plan")
    (tmp_path / "people.csv").write_text(people, encoding="utf-8")
    (tmp_path / "deals.csv").write_text(deals, encoding="utf-8")
    if splits:
        (tmp_path / "splits.csv").write_text(splits, encoding="utf-8")
    p = plan.ir
    sales = load_sales(tmp_path / "people.csv", tmp_path / "deals.csv", tmp_path / "splits.csv" if splits else None,
                       p.inputs, p.deal_fields, p.currency, used=p.deal_columns, declared=p.deal_field_infos)
    return {r.payee: r.total for r in Population(plan, sales).run()}


def test_a_margin_floor_on_the_whole_deal_is_not_defeated_by_a_split(tmp_path):
    from decimal import Decimal as D

    text = ("crediting { splits }\nmeasure rev = sum amount of deals where deal_margin >= 8_000 USD\n"
            "component c { pay 10% of rev }\n")
    totals = _run(tmp_path, text, "id\nA\nB\n", "id,owner,amount,date,margin\nD1,A,100000,2026-01-05,10000\n",
                  "deal,person,share\nD1,A,60%\nD1,B,40%\n")
    assert totals == {"A": D("6000.00"), "B": D("4000.00")}


def test_qualify_guards_the_score_and_negative_contributions_count_as_none(tmp_path):
    from decimal import Decimal as D

    text = ("input quota: money\nmeasure rev = sum amount of deals\n"
            "contest c { rank by rev / quota qualify quota > 0 USD prizes 100 USD }\n"
            "component prize_money { pay prize(c) }\ncomponent p { pool 90 USD among all by rev }\n")
    totals = _run(tmp_path, text, "id,quota\nA,1\nB,0\nC,1\n",
                  "id,owner,amount,date\nD1,A,10,2026-01-05\nD2,B,50,2026-01-05\nD3,C,-20,2026-01-05\n")
    # B does not qualify (quota 0) so its score is never worked out; C's negative revenue counts as none
    assert totals == {"A": D("100.00") + D("15.00"), "B": D("75.00"), "C": D("0.00")}


def test_prizes_below_the_minor_unit_are_refused():
    with pytest.raises(PlanError, match="a prize is a whole number of the currency's minor unit"):
        compile_text(HEAD + "input x: money\ncontest c { rank by x prizes 100.005 USD }\n"
                     "component p { pay prize(c) }\n", "s.plan")


def test_a_contest_result_in_a_measure_says_it_comes_too_late():
    text = '''plan "x" { currency USD period quarter }
measure revenue = sum amount of deals
contest top { rank by revenue prizes 100 USD }
measure firsts = sum amount of deals where rank(top) == 1
component c { pay 10% of revenue }
'''
    with pytest.raises(PlanError) as info:
        compile_text(text)
    assert "`rank(top)` is known once every person is ranked: use it in components, awards, the payout block " \
           "or properties, not in a measure of deals" in info.value.render()
