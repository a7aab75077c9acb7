"""Rules at the edges of sales data: what pools may read, declared deal columns, per-deal bands."""

from __future__ import annotations

import pytest

from dsl import PlanError
from incentives import DataError, compile_text
from incentives.sales import load_sales

HEAD = 'plan "S" { currency USD period quarter }\n'


@pytest.mark.parametrize("body,message", [
    ("contest c { rank by revenue }\ncomponent p { pool prize(c) + 10 USD among all equally }",
     "known once every person is ranked"),
    ("measure paid = sum commission of reports\ncomponent commission { pay 1% of revenue }\n"
     "component p { pool 10% of paid among team equally }", "unknown name `paid`"),
    ("component t { tiers marginal per deal on amount { from 0 USD to deal_amount: 1% from deal_amount: 2% } }",
     "unknown name `deal_amount`"),
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
