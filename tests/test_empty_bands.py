"""A band that is empty for one payee (a quota of 0 collapses the bands onto 0) pays nothing and is
not an error; bands really out of order for a payee are, naming the payee and the values."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from incentives import EvaluationError, compile_text

PLAN = '''plan "Q" { currency USD period quarter }
input revenue: money
input quota: money
input floor_at: money default 0 USD
component c {
  tiers marginal on revenue {
    from 0 USD to 50% of quota: 2%
    from 50% of quota to quota: 8%
    from quota: 12%
  }
}
component s {
  tiers step on revenue {
    from floor_at to quota: 100 USD
    from quota: 500 USD
  }
}
'''


@pytest.mark.parametrize("revenue,commission,step", [
    (D(0), D("0.00"), D("500.00")),
    (D(1000), D("120.00"), D("500.00")),
])
def test_a_quota_of_zero_pays_the_top_band_and_no_error(revenue, commission, step):
    plan = compile_text(PLAN, "q.plan")
    r = plan.run({"revenue": revenue, "quota": D(0)}, payee="OUT")
    assert r.component("c").amount == commission
    assert r.component("s").amount == step


def test_a_normal_quota_is_unchanged():
    plan = compile_text(PLAN, "q.plan")
    r = plan.run({"revenue": D(150_000), "quota": D(100_000)}, payee="IN")
    assert r.component("c").amount == D(1000) + D(4000) + D(6000)


def test_bands_really_out_of_order_name_the_payee_and_the_values():
    plan = compile_text(PLAN, "q.plan")
    with pytest.raises(EvaluationError) as e:
        plan.run({"revenue": D(10), "quota": D(100), "floor_at": D(500)}, payee="REP-7")
    message = str(e.value)
    assert "payee REP-7" in message and "goes down" in message
    assert "floor_at = 500" in message and "quota = 100" in message
    assert e.value.span.line == 14
