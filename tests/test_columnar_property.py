"""Hypothesis: the columnar evaluator equals the row evaluator on generated payees, for inline plans
covering the language's arithmetic.

Each example draws a plan variant (rounding mode, rounding point, currency: 0, 2 or 3 minor digits)
and a table of payees from the inputs' declared ranges, boundaries included (range ends, zero, the
plan's constants and one minor unit either side, one money input an exact fraction of another), runs
`plan.run_table` over the table and checks every payee's components, total and awards against
`plan.run` (Decimal ==).  The plans cover marginal, retroactive, step, cumulative and interpolated
tiers (upper-inclusive too), multipliers (interpolating), caps, floors, gates, scorecards with
curves and caps, curves in expressions, lookups with and without defaults, rule tables, `round`
with every mode, if/then/else, min, max, abs, divisions that do not terminate, dates and their
parts, `per_period`, `in period`, awards on component amounts, and payout caps and floors.

At the `payout` rounding point components are not rounded, and the row evaluator's amounts have up
to 34 significant digits; the output table keeps only 28 of them today (a bug, pinned down in
tests/test_columnar_edges.py::test_unrounded_amounts_keep_all_34_digits), so at that point the
components are checked where the row evaluator's amount has at most 28 digits, and the total (always
rounded) and the awards everywhere; and payees whose unrounded amounts have more than 39 decimals
(3.3E-9, say) are left out of the table, as they crash it today (another bug, pinned down in
tests/test_columnar_edges.py::test_small_unrounded_amounts_do_not_crash).
"""

from __future__ import annotations

import datetime as dt
import warnings
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dsl.types import T
from incentives.engine import ir
from incentives.plan import compile_text

pytestmark = [pytest.mark.filterwarnings("ignore:no period given"),
              pytest.mark.filterwarnings("ignore:Generating overly large repr")]

MODES = ["half_up", "half_even", "half_down", "up", "down", "ceiling", "floor"]
POINTS = ["line", "component", "payout"]
CURRENCIES = ["USD", "JPY", "KWD"]  # 2, 0 and 3 minor digits
NUMERIC = (T.MONEY, T.PERCENT, T.NUMBER, T.COUNT)
PLACES = {T.MONEY: 2, T.PERCENT: 4, T.NUMBER: 2, T.COUNT: 0}

HEADER = 'plan "{name}" {{ currency {currency} period quarter effective 2026-01-01 to 2026-12-31 rounding {mode} at {point} }}\n'

TIERS = """
input revenue: money range 0 USD to 2_000_000 USD
input quota: money range 1 USD to 1_000_000 USD
input meetings: count range 0 to 60
let attainment = revenue / quota
component marginal {
  tiers marginal on revenue {
    from 0 USD to 50% of quota: 2.5%
    from 50% of quota to quota: 7.75%
    from quota to 150% of quota: 12.125%
    from 150% of quota: 15%
  }
  multiplier on attainment { from 0% to 100%: 1  from 100% to 150%: 1 to 1.333  from 150%: 1.333 }
  cap 60_000 USD
}
component retro {
  tiers retroactive on revenue upper_inclusive {
    from 0 USD to 60% of quota: 3%
    from 60% of quota to quota: 5.5%
    from quota: 7.3%
  }
  gate attainment >= 40% else 33.3%
  floor 10.005 USD
}
component steps {
  tiers step on attainment { from 80% to 100%: 1_000 USD  from 100% to 120%: 2_500.50 USD  from 120%: 4_000 USD }
  tiers cumulative on meetings upper_inclusive { from 10 to 20: 200.25 USD  from 20 to 30: 300 USD  from 30: 333.33 USD }
  tiers interpolated on attainment {
    from 80% to 100%: 0 USD to 5_000 USD
    from 100% to 130%: 5_000 USD to 8_333.33 USD
    from 130%: 8_333.33 USD
  }
  multiplier on meetings upper_inclusive { from 0 to 10: 0.9  from 10: 1.05 }
}
payout { cap 150_000 USD  floor 0 USD }
"""

SCORECARD = """
input target: money range 0 USD to 50_000 USD
input sales: percent range 0% to 300%
input nps: number range -100 to 100
input csat: percent range 0% to 100%
curve accel { from 0% to 50%: 0%  from 50% to 100%: 50% to 100%  from 100% to 150%: 100% to 200%  from 150%: 200% }
curve soft { from 0% to 90%: 0%  from 90% to 110%: 60% to 130%  from 110%: 130% }
component bonus {
  scorecard on target cap 150% {
    kpi sales weight 50% attainment sales curve accel cap 200%
    kpi nps weight 30% attainment nps / 70 curve soft
    kpi csat weight 20% attainment csat
  }
}
component extra {
  pay accel(sales) of 1_000 USD
  scorecard on target {
    kpi a weight 25% attainment csat / 3 curve linear
    kpi b weight 75% attainment soft(sales) cap 120%
  }
}
"""

LOOKUPS = """
input grade: count range 1 to 5
input region: text in {"East", "West", "North"}
input product: text
input category: text in {"Software", "Hardware", "Services"}
input new_customer: bool default false
input revenue: money range 0 USD to 1_000_000 USD
input months: count range 0 to 12 default 12
table target(grade: count, region: text): money {
  1, "East": 2_000 USD
  1, "West": 1_800 USD
  2, "East": 2_600 USD
  2, "West": 2_200.50 USD
  3, "North": 3_333.33 USD
  default: 1_000 USD
}
table level_rate(grade: count): percent { 1: 5%  2: 7%  3: 10%  4: 12.5%  5: 15% }
table senior(new: bool): number { true: 1.5  false: 1 }
rules rate: percent {
  when product == "Widget": 12%
  when category == "Software": 10%
  when category == "Software" and new_customer: 15%
  when category in {"Hardware", "Services"} and product != "": 6.5%
  default: 8%
}
component c {
  pay target(grade, region) * months / 12
  pay rate of revenue
  pay level_rate(grade) of revenue / 7 * senior(new_customer)
  pay if region in {"East", "North"} and not new_customer then 250 USD else 100 USD
}
award big { kind prize when c >= 50_000 USD value 1_000 USD }
"""

ARITH = """
input a: money range -500_000 USD to 500_000 USD
input b: money range 0 USD to 100_000 USD
input r: percent range 0% to 50%
input k: number range -10 to 10
let ratio = if b > 0 USD then a / b else 0%
let safe = if k != 0 then a / k else a
component c {
  pay round(a / 3, 2, half_up) + round(b / 7, 1, half_even)
  pay max(min(a, b), -1_000 USD) * 1.5
  pay abs(a - b) * r
  pay round(safe, 0, down) * 1%
  pay if ratio >= 100% then 1_000 USD else round(ratio of 1_000 USD, 3, half_down)
}
component d {
  pay round(a * r / 3, 4, ceiling)
  pay round(b / 3 * 3, 2, floor) + round(-b / 3, 2, up)
  pay a / 3 * 3 * 1.5%
  cap max(b, 10 USD)
  floor -b
}
payout { floor min(a, 0 USD) }
"""

DATES = """
input hired: date range 2020-01-01 to 2026-12-31
input revenue: money range 0 USD to 1_000_000 USD
input quota: money range 1 USD to 500_000 USD
let tenure = days_between(hired, period_end)
let ramp = if tenure < 90 then 50% else 100%
component c {
  pay ramp of 5% of revenue
  pay if month(hired) == month(period_start) then 100 USD else 0 USD
  pay if year(hired) < 2026 then 0 USD else 10.5 USD * quarter(hired) + 1 USD * day(hired)
  pay per_period(12_000 USD, 10%, 20%, 30%, 40%)
  pay per_period(1_000.01 USD)
  gate hired <= period_end else 0%
}
award club { kind trip when c >= 10_000 USD and revenue >= quota value 5_000 USD }
award starter { kind training when hired in period }
award thanks { kind recognition }
payout { cap 2 * quota  floor 0 USD }
"""

PLANS = {"tiers": TIERS, "scorecard": SCORECARD, "lookups": LOOKUPS, "arith": ARITH, "dates": DATES}


#: For each plan, pairs (x, y): x is sometimes drawn as an exact fraction of y (revenue at 50%, 100%,
#: 150% of quota), where the bands change.
RATIOS = {"tiers": [("revenue", "quota")], "scorecard": [], "lookups": [], "arith": [("a", "b")],
          "dates": [("revenue", "quota")]}
FRACTIONS = [Decimal(x) for x in ("0", "0.4", "0.5", "0.6", "0.8", "1", "1.2", "1.3", "1.5", "2", "3")]
_COMPILED: dict[tuple, Any] = {}


def plan_for(name: str, mode: str, point: str, currency: str):
    key = (name, mode, point, currency)
    if key not in _COMPILED:
        text = HEADER.format(name=name, currency=currency, mode=mode, point=point) + PLANS[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _COMPILED[key] = compile_text(text.replace(" USD", f" {currency}"), f"{name}.plan")
    return _COMPILED[key]


def constants(plan) -> set[Decimal]:
    p = plan.ir
    roots = [p.lets, p.components, p.awards, p.payout, list(p.curves.values()), list(p.rules.values()),
             [t.rows for t in p.tables.values()]]
    return {n.value for n in ir.walk(roots) if isinstance(n, ir.Const) and type(n.value) is Decimal}


def value_strategy(info, consts: set[Decimal]) -> st.SearchStrategy:
    t = info.type
    if t in NUMERIC:
        lo, hi = info.range
        places = PLACES[t]
        step = Decimal(1).scaleb(-places)
        edges = {lo, hi, lo + step, hi - step, Decimal(0)}
        for c in consts:
            edges |= {c, c - step, c + step, c * 100}
        edges = sorted(e for e in edges if lo <= e <= hi and (t != T.COUNT or e == e.to_integral_value())
                       and e.as_tuple().exponent >= -10)  # a data file gives at most 10 decimals
        if t == T.COUNT:
            main = st.integers(int(lo), int(hi)).map(Decimal)
        else:
            main = st.decimals(min_value=lo, max_value=hi, places=places, allow_nan=False, allow_infinity=False)
        return st.one_of(st.sampled_from(edges), main, main)
    if t == T.TEXT:
        if info.choices is not None:
            return st.sampled_from(list(info.choices))
        return st.sampled_from(["Widget", "Gadget", " Widget ", "widget", "Widget\u00a0"])
    if t == T.BOOL:
        return st.booleans()
    if t == T.DATE:
        lo, hi = info.range
        return st.one_of(st.sampled_from([lo, hi, dt.date(2026, 1, 1), dt.date(2026, 3, 31), dt.date(2026, 4, 1),
                                          dt.date(2025, 12, 31), dt.date(2026, 10, 3)]),
                         st.dates(min_value=lo, max_value=hi))
    raise TypeError(t)  # pragma: no cover


_STRATEGIES: dict[int, dict[str, st.SearchStrategy]] = {}


def strategies_for(plan) -> dict[str, st.SearchStrategy]:
    key = id(plan)
    if key not in _STRATEGIES:
        consts = constants(plan)
        _STRATEGIES[key] = {n: value_strategy(info, consts) for n, info in plan.ir.givable.items()}
    return _STRATEGIES[key]


@st.composite
def payee(draw, name: str, plan) -> dict[str, Any]:
    values = {n: draw(s) for n, s in strategies_for(plan).items()}
    for x, y in RATIOS[name]:
        if draw(st.integers(0, 2)) == 0:
            value = draw(st.sampled_from(FRACTIONS)) * values[y] + draw(st.sampled_from(
                [Decimal(0), Decimal(0), Decimal("0.01"), Decimal("-0.01")]))
            lo, hi = plan.ir.givable[x].range
            if lo <= value <= hi and value.as_tuple().exponent >= -10:
                values[x] = value
    for n, info in plan.ir.givable.items():
        if info.has_default and draw(st.integers(0, 9)) == 0:
            values[n] = None  # left empty: the default
    return values


def table_of(plan, rows: list[dict[str, Any]]) -> pa.Table:
    arrays = {"id": pa.array([f"P{i}" for i in range(len(rows))], pa.string())}
    for n, info in plan.ir.givable.items():
        col = [r[n] for r in rows]
        if info.type == T.COUNT:
            arrays[n] = pa.array([None if v is None else int(v) for v in col], pa.int64())
        elif info.type in NUMERIC:
            scale = max([PLACES[info.type]] + [max(0, -v.as_tuple().exponent) for v in col if v is not None])
            arrays[n] = pa.array(col, pa.decimal128(18, scale))
        else:
            arrays[n] = pa.array(col, {T.TEXT: pa.string(), T.BOOL: pa.bool_(), T.DATE: pa.date32()}[info.type])
    return pa.table(arrays)


def significant(d: Decimal) -> int:
    return len(d.as_tuple().digits)


def places(d: Decimal) -> int:
    return max(0, -d.as_tuple().exponent)


def check(plan, rows: list[dict[str, Any]], period=None) -> None:
    unrounded = plan.ir.rounding_point == "payout"
    refs = []
    for i, values in enumerate(rows):
        given = {k: v for k, v in values.items() if v is not None}
        refs.append((given, plan.run(given, f"P{i}", period=period)))
    if unrounded:  # leave out payees hitting the known IndexError (more than 39 decimals: see the docstring)
        keep = [k for k, (_, ref) in enumerate(refs) if all(places(c.amount) <= 39 for c in ref.components)]
        rows, refs = [rows[k] for k in keep], [refs[k] for k in keep]
    table = table_of(plan, rows)
    result = plan.run_table(table, period=period)
    assert result.engine == "columnar", result.row_lines
    out = result.table
    for name in [c.name for c in plan.ir.components] + ["total"]:
        assert pa.types.is_decimal(out.schema.field(name).type)
    got = out.to_pylist()
    assert [r["id"] for r in got] == [f"P{i}" for i in range(len(rows))]
    for row, (given, ref) in zip(got, refs):
        for comp in ref.components:
            if unrounded and significant(comp.amount) > 28:
                continue  # the known 28-digit bug (see the module's docstring)
            assert row[comp.name] == comp.amount, (comp.name, given, row[comp.name], comp.amount)
        assert row["total"] == ref.total, ("total", given, row["total"], ref.total)
        for award in ref.awards:
            assert row[f"award_{award.name}"] is award.granted, (award.name, given)


def variants(name: str):
    return st.tuples(st.sampled_from(MODES), st.sampled_from(POINTS), st.sampled_from(CURRENCIES)).map(
        lambda v: plan_for(name, *v))


def tables(name: str, size: int = 40):
    return variants(name).flatmap(lambda plan: st.tuples(
        st.just(plan), st.lists(payee(name, plan), min_size=size - 10, max_size=size)))


#: No shrinking: an example is a table of many payees, each run twice; the assertion names the payee's
#: inputs and both amounts, which is what a failure needs.
SETTINGS = settings(max_examples=25, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


@SETTINGS
@given(tables("tiers"))
def test_tiers_multipliers_caps_floors_gates(case):
    plan, rows = case
    check(plan, rows)


@SETTINGS
@given(tables("scorecard"))
def test_scorecards_and_curves(case):
    plan, rows = case
    check(plan, rows)


@SETTINGS
@given(tables("lookups"))
def test_lookups_rules_and_text(case):
    plan, rows = case
    check(plan, rows)


@SETTINGS
@given(tables("arith"))
def test_round_min_max_abs_divisions_and_branches(case):
    plan, rows = case
    check(plan, rows)


@SETTINGS
@given(tables("dates"), st.sampled_from([None, "2026-Q1", "2026-Q2", "2026-Q4"]))
def test_dates_periods_and_awards(case, period):
    plan, rows = case
    check(plan, rows, period)
