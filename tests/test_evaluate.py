"""Worked examples of evaluation, each with figures computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from dsl import PlanError
from dsl.source import MAX_PLAN_BYTES
from incentives import DataError, EvaluationError, compile_text, load_plan
from incentives.explain.build import explain
from incentives.explain.render import render_json

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
HEAD = 'plan "Test" { currency USD period quarter }\n'


def plan_of(body: str, header: str = HEAD, name: str = "test.plan"):
    return compile_text(header + body, name)


def total(body: str, header: str = HEAD, **values) -> Decimal:
    return plan_of(body, header).run(values).total


def codes(err: PlanError) -> list[str]:
    return [d.code for d in err.diagnostics]


# ---- tiers ------------------------------------------------------------------------------

MARGINAL = """
input base: money
component c {
  tiers marginal on base {
    from 0 USD to 10_000 USD: 5%
    from 10_000 USD to 25_000 USD: 7%
    from 25_000 USD: 10%
  }
}
"""


@pytest.mark.parametrize("base, expected", [
    ("30000", "2050.00"),  # 5% x 10,000 + 7% x 15,000 + 10% x 5,000 = 500 + 1,050 + 500
    ("25000", "1550.00"),  # 500 + 1,050
    ("10000", "500.00"),
    ("10000.01", "500.00"),  # 500 + 7% x 0.01 = 500.0007 -> parts rounded at the line: 500.00 + 0.00
    ("4321.99", "216.10"),  # 5% x 4,321.99 = 216.0995
    ("0", "0.00"),
    ("1000000", "99050.00"),  # 500 + 1,050 + 10% x 975,000
])
def test_marginal_tiers(base, expected):
    r = plan_of(MARGINAL).run({"base": D(base)}, trace=True)
    assert r.total == D(expected)
    assert str(r.total) == expected  # at the currency's minor unit


def test_marginal_trace_has_one_part_per_band_reached():
    r = plan_of(MARGINAL).run({"base": D("30000")}, trace=True)
    item = r.components[0].items[0]
    assert [(h.index, h.portion, h.amount) for h in item.bands] == [
        (0, D(10000), D("500.00")), (1, D(15000), D("1050.00")), (2, D(5000), D("500.00"))]
    assert item.reached == 2


RETRO = """
input base: money
component c {
  tiers retroactive on base {
    from 0 USD to 10_000 USD: 5%
    from 10_000 USD to 25_000 USD: 7%
    from 25_000 USD: 10%
  }
}
"""


@pytest.mark.parametrize("base, expected", [
    ("30000", "3000.00"),  # 10% of all 30,000
    ("25000", "2500.00"),  # a band starts at its lower bound: 10%
    ("24999.99", "1750.00"),  # 7% x 24,999.99 = 1,749.9993
    ("10000", "700.00"),
    ("9999.99", "500.00"),  # 5% x 9,999.99 = 499.9995 -> 500.00
    ("0", "0.00"),
])
def test_retroactive_tiers(base, expected):
    assert total(RETRO, base=D(base)) == D(expected)


def test_upper_inclusive_moves_a_bound_into_the_band_below():
    inclusive = RETRO.replace("on base {", "on base upper_inclusive {")
    assert total(inclusive, base=D("10000")) == D("500.00")  # 5%: 10,000 is in the first band
    assert total(inclusive, base=D("10000.01")) == D("700.00")  # 7% x 10,000.01 = 700.0007
    assert total(inclusive, base=D("25000")) == D("1750.00")  # 7% x 25,000
    assert total(inclusive, base=D("0")) == D("0.00")
    assert total(RETRO, base=D("25000")) == D("2500.00")  # without it: 10%


STEP = """
input revenue: money
input target: money
let attainment = revenue / target
component c {
  tiers step on attainment {
    from 0% to 90%: 0 USD
    from 90% to 100%: 400 USD
    from 100% to 120%: 1_000 USD
    from 120%: 1_600 USD
  }
}
"""


@pytest.mark.parametrize("revenue, expected", [
    ("105000", "1000.00"), ("90000", "400.00"), ("89999.99", "0.00"), ("120000", "1600.00"), ("0", "0.00"),
])
def test_step_tiers(revenue, expected):
    assert total(STEP, revenue=D(revenue), target=D("100000")) == D(expected)


CUMULATIVE = """
input deals: count
component c {
  tiers cumulative on deals {
    from 0 to 5: 0 USD
    from 5 to 10: 500 USD
    from 10 to 20: 1_000 USD
    from 20: 2_500 USD
  }
}
"""


@pytest.mark.parametrize("deals, expected", [
    (0, "0.00"), (4, "0.00"), (5, "500.00"), (9, "500.00"), (10, "1500.00"), (12, "1500.00"), (25, "4000.00"),
])
def test_cumulative_tiers(deals, expected):
    # each threshold reached adds its amount: 12 deals = 0 + 500 + 1,000
    assert total(CUMULATIVE, deals=D(deals)) == D(expected)


INTERPOLATED = """
input attainment: percent
component c {
  tiers interpolated on attainment {
    from 0% to 80%: 0 USD
    from 80% to 100%: 1_000 USD to 2_000 USD
    from 100% to 150%: 2_000 USD to 4_000 USD
    from 150%: 4_000 USD
  }
}
"""


@pytest.mark.parametrize("attainment, expected", [
    ("0.5", "0.00"),
    ("0.8", "1000.00"),
    ("0.85", "1250.00"),  # 1,000 + 1,000 x 5/20
    ("0.9", "1500.00"),
    ("0.8333", "1166.50"),  # 1,000 + 1,000 x 0.0333 / 0.2
    ("1", "2000.00"),
    ("1.25", "3000.00"),  # 2,000 + 2,000 x 25/50
    ("2", "4000.00"),
])
def test_interpolated_tiers(attainment, expected):
    assert total(INTERPOLATED, attainment=D(attainment)) == D(expected)


# ---- bands as a share of quota: the account executive plan ---------------------------------


@pytest.fixture(scope="module")
def ae():
    return load_plan(ROOT / "plans" / "account_executive.plan")


@pytest.mark.parametrize("revenue, quota, commission, kicker", [
    # 2% x 50,000 + 8% x 50,000 + 12% x 50,000 = 11,000; attainment 150% -> x 1.1 = 12,100
    ("150000", "100000", "12100.00", "2500.00"),
    ("30000", "100000", "600.00", "0.00"),  # 2% x 30,000; below quota: no kicker
    ("100000", "100000", "5000.00", "2500.00"),  # 1,000 + 4,000; attainment exactly 100%
    ("119999", "100000", "7399.88", "2500.00"),  # 1,000 + 4,000 + 12% x 19,999 = 7,399.88; x 1
    ("120000", "100000", "8140.00", "2500.00"),  # (5,000 + 2,400) x 1.1: the accelerator starts at 120%
    ("200000", "100000", "20350.00", "2500.00"),  # (1,000 + 4,000 + 6,000 + 15% x 50,000) x 1.1
    ("1000000", "100000", "60000.00", "2500.00"),  # capped at 60,000
])
def test_account_executive_plan(ae, revenue, quota, commission, kicker):
    r = ae.run({"revenue": D(revenue), "quota": D(quota)}, "rep")
    assert r.component("commission").amount == D(commission)
    assert r.component("kicker").amount == D(kicker)
    assert r.total == D(commission) + D(kicker)


def test_payout_cap_applies_to_the_whole_plan():
    body = """
input base: money
component a { pay base }
component b { pay 50% of base }
payout { cap 1_000 USD floor 100 USD }
"""
    assert total(body, base=D("600")) == D("900.00")
    assert total(body, base=D("700")) == D("1000.00")  # 1,050 capped
    assert total(body, base=D("10")) == D("100.00")  # 15 raised to the floor


# ---- multipliers and gates -------------------------------------------------------------------

MULTIPLIER = """
input attainment: percent
component c {
  pay 1_000 USD
  multiplier on attainment {
    from 10% to 50%: 0.5
    from 50% to 100%: 1
    from 100% to 150%: 125%
    from 150%: 1.5
  }
}
"""


@pytest.mark.parametrize("attainment, expected", [
    ("0.4", "500.00"),  # decelerator
    ("0.5", "1000.00"),
    ("1.2", "1250.00"),  # accelerator written as a percentage
    ("1.5", "1500.00"),
    ("0.05", "1000.00"),  # below every band: unchanged
])
def test_multiplier(attainment, expected):
    assert total(MULTIPLIER, attainment=D(attainment)) == D(expected)


def test_multiplier_label_says_accelerator_or_decelerator():
    plan = plan_of(MULTIPLIER)
    labels = {}
    for a in ("0.4", "1.2", "0.7"):
        b = explain(plan, plan.run({"attainment": D(a)}, trace=True))
        labels[a] = b.components[0].items[1].label
    assert labels == {"0.4": "decelerator on attainment", "1.2": "accelerator on attainment",
                      "0.7": "multiplier on attainment"}


GATE = """
input margin: percent
input attainment: percent
component halved { pay 1_000 USD  gate margin >= 20% else 50% }
component all_or_nothing { pay 300 USD  gate attainment >= 80% }
"""


@pytest.mark.parametrize("margin, attainment, halved, all_or_nothing", [
    ("0.2", "0.8", "1000.00", "300.00"),  # both pass (the bound is included)
    ("0.1999", "0.8", "500.00", "300.00"),  # gate fails: x 50%
    ("0.25", "0.7999", "1000.00", "0.00"),  # no `else`: nothing
])
def test_gates(margin, attainment, halved, all_or_nothing):
    r = plan_of(GATE).run({"margin": D(margin), "attainment": D(attainment)}, trace=True)
    assert r.component("halved").amount == D(halved)
    assert r.component("all_or_nothing").amount == D(all_or_nothing)
    gate = r.component("halved").items[-1]
    assert gate.kind == "gate" and gate.passed is (D(margin) >= D("0.2"))


# ---- scorecard -------------------------------------------------------------------------------

SCORECARD = """
input target: money
input a1: percent
input a2: percent
input a3: percent
curve steep {
  from 0% to 80%: 0%
  from 80% to 100%: 50% to 100%
  from 100% to 200%: 100% to 200%
  from 200%: 200%
}
component bonus {
  scorecard on target cap 130% {
    kpi rev "Revenue" weight 50% attainment a1 curve steep cap 150%
    kpi nps "NPS" weight 30% attainment a2 cap 120%
    kpi mix "Mix" weight 20% attainment a3 curve linear
  }
}
"""


@pytest.mark.parametrize("a1, a2, a3, expected, kpi_amounts", [
    # rev: 90% -> 75% on the curve x 50% = 37.5%; nps 110% x 30% = 33%; mix 100% x 20% = 20%
    ("0.9", "1.1", "1", "9050.00", ["3750.00", "3300.00", "2000.00"]),
    # rev: 190% -> 190% capped at 150% x 50% = 75%; nps 150% capped at 120% x 30% = 36%; mix 30%:
    # 141% overall, capped at 130%
    ("1.9", "1.5", "1.5", "13000.00", ["7500.00", "3600.00", "3000.00"]),
    # rev below the curve's paying bands: 0; nps 30%; mix 50% x 20% = 10%
    ("0.7", "1", "0.5", "4000.00", ["0.00", "3000.00", "1000.00"]),
])
def test_scorecard(a1, a2, a3, expected, kpi_amounts):
    r = plan_of(SCORECARD).run({"target": D("10000"), "a1": D(a1), "a2": D(a2), "a3": D(a3)}, trace=True)
    assert r.total == D(expected)
    item = r.components[0].items[0]
    assert [str(k.amount) for k in item.kpis] == kpi_amounts
    assert item.limit == D("1.3")


def test_scorecard_kpi_parts_add_up_at_line_rounding():
    # 1,234.57 x 33% x 3 weights of a third: each KPI amount rounds on its own, and the line is their sum
    body = """
input target: money
input a: percent
component c {
  scorecard on target {
    kpi k1 weight 33% attainment a
    kpi k2 weight 33% attainment a
    kpi k3 weight 34% attainment a
  }
}
"""
    r = plan_of(body).run({"target": D("1234.57"), "a": D("1")}, trace=True)
    item = r.components[0].items[0]
    assert [k.amount for k in item.kpis] == [D("407.41"), D("407.41"), D("419.75")]
    assert item.amount == D("1234.57") == sum(k.amount for k in item.kpis)


# ---- lookup tables -----------------------------------------------------------------------------

TABLE = """
input grade: count range 1 to 2
input region: text
table bonus_target(grade: count, region: text): money {
  1, "East": 1_000 USD
  1, "West": 900 USD
  2, "East": 2_000 USD
  2, "West": 1_800 USD
}
component c { pay bonus_target(grade, region) }
"""


def test_lookup_table_hit():
    assert total(TABLE, grade=D(2), region="West") == D("1800.00")
    assert total(TABLE, grade=D(1), region="East") == D("1000.00")


def test_lookup_table_missing_key_at_run_time_names_the_table():
    plan = plan_of(TABLE)
    with pytest.raises(EvaluationError) as info:
        plan.run({"grade": D(2), "region": "North"}, "rep-7")
    err = info.value
    assert "bonus_target" in err.message
    assert 'bonus_target(2, "North")' in err.message
    assert err.payee == "rep-7"
    assert err.span.line == 11 and err.span.file == "test.plan"  # the `pay` line that looks it up
    assert "payee rep-7" in str(err) and "test.plan:11:" in str(err)
    assert err.diagnostic().code == "evaluation"


def test_lookup_table_default_row():
    body = TABLE.replace("2, \"West\": 1_800 USD", "2, \"West\": 1_800 USD\n  default: 500 USD")
    assert total(body, grade=D(2), region="North") == D("500.00")


def test_division_by_zero_at_run_time():
    body = """
input revenue: money
input quota: money
let attainment = revenue / quota
component c { pay 1_000 USD  gate attainment >= 100% }
"""
    plan = plan_of(body)
    with pytest.raises(EvaluationError) as info:
        plan.run({"revenue": D("5"), "quota": D("0")}, "rep-0")
    assert "division by zero" in info.value.message
    assert "`quota` is 0" in info.value.message
    assert info.value.span.line == 5  # the `let` that divides


# ---- awards ---------------------------------------------------------------------------------------

AWARDS = """
input attainment: percent
input rank: count
component bonus { pay 1_000 USD }
award star "Sales star" { kind title  when rank == 1 and attainment >= 100% }
award trip "Trip for two" { kind trip  when attainment >= 150%  value 1_800 USD }
award seat "Conference seat" { kind training  when bonus >= 1_000 USD  value 10% of bonus }
award always "Thanks" { kind recognition }
"""


def test_awards_granted_or_not_with_values_not_paid_as_cash():
    r = plan_of(AWARDS).run({"attainment": D("1.2"), "rank": D(1)})
    got = {a.name: (a.granted, a.value, a.kind) for a in r.awards}
    assert got == {"star": (True, None, "title"), "trip": (False, None, "trip"),
                   "seat": (True, D("100.0"), "training"), "always": (True, None, "recognition")}
    assert r.total == D("1000.00")  # awards are never added to the cash total
    assert r.award_value == D("100.0")  # only granted awards count


def test_awards_all_granted_still_not_in_total():
    r = plan_of(AWARDS).run({"attainment": D("1.5"), "rank": D(1)})
    assert all(a.granted for a in r.awards)
    assert r.award_value == D("1900.0")
    assert r.total == D("1000.00")


# ---- a Chinese plan in CNY -------------------------------------------------------------------------

CHINESE = """plan "华东区销售提成方案" {
  currency CNY
  period month
  rounding half_up at line
}
input 销售额: money "本月回款销售额"
input 月度目标: money
input 毛利率: percent
input 新客户数: count
let 达成率 = 销售额 / 月度目标
component 销售提成 "销售提成" {
  tiers marginal on 销售额 {
    from 0 CNY to 60% of 月度目标: 1%
    from 60% of 月度目标 to 100% of 月度目标: 3%
    from 100% of 月度目标 to 150% of 月度目标: 5%
    from 150% of 月度目标: 6%
  } as "分段累进提成"
  gate 毛利率 >= 20% else 50%
}
component 新客户奖 { pay 新客户数 * 500 CNY  gate 达成率 >= 80% else 0% }
award 销售之星 "月度销售之星" { kind title  when 达成率 >= 100% }
"""


@pytest.mark.parametrize("sales, margin, commission, new_client", [
    # 60,000 x 1% + 40,000 x 3% + 20,000 x 5% = 600 + 1,200 + 1,000
    ("120000", "0.25", "2800.00", "1500.00"),
    ("120000", "0.15", "1400.00", "1500.00"),  # margin below 20%: half
    ("70000", "0.3", "900.00", "0.00"),  # 600 + 300; 70% < 80%: no new-client bonus
])
def test_chinese_plan_in_cny(sales, margin, commission, new_client):
    plan = compile_text(CHINESE, "华东.plan")
    r = plan.run({"销售额": D(sales), "月度目标": D("100000"), "毛利率": D(margin), "新客户数": D(3)},
                 "张伟", trace=True)
    assert r.component("销售提成").amount == D(commission)
    assert r.component("新客户奖").amount == D(new_client)
    assert r.total == D(commission) + D(new_client)
    assert r.awards[0].name == "销售之星" and r.awards[0].granted is (D(sales) >= D("100000"))
    b = explain(plan, r)
    assert b.currency == "CNY" and b.payee == "张伟"
    assert b.components[0].items[0].label == "分段累进提成"


def test_the_chinese_sample_plan_matches_its_own_worked_example():
    plan = load_plan(ROOT / "plans" / "chinese_cny.plan")
    r = plan.run({"销售额": D("120000"), "月度目标": D("100000"), "毛利率": D("0.3"), "新客户数": D(0),
                  "区域排名": D(1)})
    assert r.component("销售提成").amount == D("2800.00")


# ---- rounding points -----------------------------------------------------------------------------

ROUNDING = """
input x: money
component c1 { pay 10% of x  pay 10% of x }
component c2 { pay 10% of x  pay 10% of x }
"""


@pytest.mark.parametrize("point, c1, expected", [
    ("line", "0.00", "0.00"),  # each line 0.003 -> 0.00
    ("component", "0.01", "0.02"),  # each component 0.006 -> 0.01
    ("payout", "0.006", "0.01"),  # components kept exact, the total 0.012 -> 0.01
])
def test_rounding_points_differ(point, c1, expected):
    header = f'plan "R" {{ currency USD period month rounding half_up at {point} }}\n'
    r = plan_of(ROUNDING, header).run({"x": D("0.03")})
    assert r.component("c1").amount == D(c1)
    assert str(r.component("c1").amount) == c1
    assert r.total == D(expected)


def test_rounding_point_for_a_payout_cap():
    body = "input x: money\ncomponent c { pay 10% of x }\npayout { cap 10% of x }\n"
    for point in ("line", "component", "payout"):
        header = f'plan "R" {{ currency USD period month rounding half_even at {point} }}\n'
        assert total(body, header, x=D("0.25")) == D("0.02")  # 0.025 -> half even 0.02


def test_jpy_has_no_minor_unit():
    header = 'plan "JP" { currency JPY period month }\n'
    r = plan_of("input sales: money\ncomponent c { pay 3.5% of sales }", header).run({"sales": D("12345")})
    assert r.total == D("432")  # 432.075 -> 432
    assert str(r.total) == "432"


# ---- inputs of every type ----------------------------------------------------------------------------


def test_text_bool_date_and_default_inputs():
    body = """
input region: text in {"East", "West"} default "East"
input vip: bool default false
input start: date
input end: date
component c {
  pay if region == "West" then 100 USD else 50 USD
  pay if vip then 10 USD else 0 USD
  pay days_between(start, end) * 1 USD
}
"""
    plan = plan_of(body)
    assert plan.run({"start": dt.date(2026, 1, 1), "end": dt.date(2026, 1, 31)}).total == D("80.00")
    assert plan.run({"region": "West", "vip": True, "start": dt.date(2026, 3, 1),
                     "end": dt.date(2026, 3, 1)}).total == D("110.00")


def test_missing_input_is_a_located_error():
    plan = plan_of("input revenue: money\ncomponent c { pay 10% of revenue }")
    with pytest.raises(DataError) as info:
        plan.run({}, "rep-1")
    assert str(info.value) == "payee rep-1: input revenue: no value; expected money"


def test_the_python_api_refuses_floats_and_out_of_range_values():
    plan = plan_of("input revenue: money range 0 USD to 100 USD\ncomponent c { pay 10% of revenue }")
    with pytest.raises(DataError, match="input revenue: expected an exact decimal"):
        plan.run({"revenue": 10.5})
    with pytest.raises(DataError, match="input revenue: expected a value from 0 to 100"):
        plan.run({"revenue": D("100.01")})
    with pytest.raises(DataError, match="input revnue: the plan has no such input"):
        plan.run({"revnue": D(1), "revenue": D(1)})


# ---- determinism, limits -----------------------------------------------------------------------------


def test_same_plan_and_inputs_give_identical_json_bytes():
    text = (ROOT / "plans" / "account_executive.plan").read_text(encoding="utf-8")
    outputs = set()
    for _ in range(2):
        plan = compile_text(text, "plans/account_executive.plan")
        for _ in range(2):
            r = plan.run({"revenue": D("150000"), "quota": D("100000")}, "AE-1", trace=True)
            outputs.add(render_json(explain(plan, r)).encode("utf-8"))
    assert len(outputs) == 1


def test_deep_nesting_is_a_plan_error_not_a_crash():
    with pytest.raises(PlanError) as info:
        plan_of("let x = " + "-" * 150 + "1\ncomponent c { pay 1 USD }")
    assert codes(info.value) == ["too-deep"]
    assert info.value.diagnostics[0].span.line == 2
    assert "nested too deeply" in info.value.render()


@pytest.mark.parametrize("expr", [
    "not " * 150 + "true",
    " + ".join(["1"] * 2000),
    "(" * 150 + "1" + ")" * 150 + " + " + " * ".join(["2"] * 150),
    "min(" * 120 + "1" + ", 2)" * 120,
])
def test_other_deep_expressions_are_refused_cleanly(expr):
    with pytest.raises(PlanError) as info:
        plan_of(f"let x = {expr}\ncomponent c {{ pay 1 USD }}")
    assert codes(info.value) == ["too-deep"]


def test_deep_parentheses_alone_are_fine():
    assert total("component c { pay " + "(" * 300 + "7 USD" + ")" * 300 + " }") == D("7.00")


def test_nesting_just_under_the_limit_evaluates():
    assert total("component c { pay " + "-" * 98 + "5 USD }") == D("5.00")


def test_long_chain_of_definitions_is_not_a_crash():
    n = 1500  # about 30 KB of plan text, far under the size limit
    lets = "".join(f"let a{i} = a{i - 1} + 1\n" for i in range(n - 1, 0, -1))
    plan = plan_of(f"input x: number\n{lets}let a0 = x\ncomponent c {{ pay a{n - 1} * 1 USD }}")
    assert plan.run({"x": D(1)}).total == D("1500.00")


def test_too_large_plan_is_a_plan_error():
    text = HEAD + "# " + "x" * (2 * 1024 * 1024) + "\ncomponent c { pay 1 USD }\n"
    assert len(text.encode()) > MAX_PLAN_BYTES
    with pytest.raises(PlanError) as info:
        compile_text(text, "big.plan")
    assert codes(info.value) == ["too-large"]
    assert "larger than" in info.value.render()
