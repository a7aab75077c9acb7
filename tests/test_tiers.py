"""Properties of tier arithmetic (incentives.tiers) and of caps, floors and rounding
through compiled plans.  Each property states a law a comp admin relies on; each
could fail if the arithmetic were wrong.
"""

from __future__ import annotations

import decimal
from decimal import Decimal, localcontext
from functools import cache, lru_cache

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from strategies import (
    ROUNDING_MODES,
    amount_tables,
    bases,
    money,
    rate_tables,
    signed_money,
    sub_cent_rates,
    table_and_base,
)

from dsl.printer import decimal_text
from incentives import compile_text
from incentives.engine import tiers
from incentives.engine.tiers import Band

FAST = settings(max_examples=200, deadline=None)
MEDIUM = settings(max_examples=100, deadline=None)

DECIMAL_MODES = {
    "half_up": decimal.ROUND_HALF_UP, "half_even": decimal.ROUND_HALF_EVEN, "half_down": decimal.ROUND_HALF_DOWN,
    "up": decimal.ROUND_UP, "down": decimal.ROUND_DOWN, "ceiling": decimal.ROUND_CEILING,
    "floor": decimal.ROUND_FLOOR,
}


def marginal_total(base: Decimal, bands: list[Band]) -> Decimal:
    return sum((p.amount for p in tiers.marginal(base, bands)), Decimal(0))


def retroactive(base: Decimal, bands: list[Band], upper_inclusive: bool = False) -> Decimal:
    index = tiers.reached(base, bands, upper_inclusive)
    return Decimal(0) if index is None else base * bands[index].value


def reference_marginal(base: Decimal, bands: list[Band]) -> Decimal:
    """Marginal tiers written the obvious way, as an independent oracle."""
    total = Decimal(0)
    for b in bands:
        top = base if b.upper is None else min(base, b.upper)
        if top > b.lower:
            total += b.value * (top - b.lower)
    return total


# ---- marginal tiers ------------------------------------------------------------------


@FAST
@given(table_and_base(), st.integers(1, 10**6).map(lambda n: Decimal(n).scaleb(-6)))
def test_marginal_non_decreasing_and_continuous(tb, eps):
    bands, base = tb
    max_rate = max(b.value for b in bands)
    low, high = marginal_total(base, bands), marginal_total(base + eps, bands)
    assert high >= low
    assert high - low <= max_rate * eps


@FAST
@given(rate_tables(), bases(), bases())
def test_marginal_is_lipschitz_between_any_two_bases(bands, a, b):
    a, b = min(a, b), max(a, b)
    max_rate = max(x.value for x in bands)
    diff = marginal_total(b, bands) - marginal_total(a, bands)
    assert 0 <= diff <= max_rate * (b - a)


@FAST
@given(table_and_base())
def test_marginal_parts_add_up_and_stay_in_their_band(tb):
    bands, base = tb
    parts = tiers.marginal(base, bands)
    assert marginal_total(base, bands) == reference_marginal(base, bands)
    assert sum((p.portion for p in parts), Decimal(0)) == max(base, Decimal(0))
    assert [p.index for p in parts] == list(range(len(parts)))
    for p in parts:
        band = bands[p.index]
        assert (p.lower, p.upper, p.rate) == (band.lower, band.upper, band.value)
        assert p.portion > 0
        assert p.lower + p.portion <= base
        if band.upper is not None:
            assert p.lower + p.portion <= band.upper
        assert p.amount == p.rate * p.portion
    # every band below the base is used in full, and the last part ends at the base
    for p in parts[:-1]:
        assert p.lower + p.portion == p.upper
    if parts:
        assert parts[-1].lower + parts[-1].portion == base


# ---- retroactive, step, cumulative -------------------------------------------------------


@FAST
@given(table_and_base())
def test_reached_band_contains_the_base(tb):
    bands, base = tb
    i = tiers.reached(base, bands)
    assert i is not None  # bases are >= 0 and the first band starts at 0
    assert bands[i].lower <= base
    assert bands[i].upper is None or base < bands[i].upper


@FAST
@given(table_and_base())
def test_reached_upper_inclusive_puts_bounds_in_the_band_below(tb):
    bands, base = tb
    i = tiers.reached(base, bands, upper_inclusive=True)
    assert i is not None
    b = bands[i]
    assert b.lower < base or (i == 0 and base == b.lower)
    assert b.upper is None or base <= b.upper
    plain = tiers.reached(base, bands)
    if any(x.upper == base for x in bands):  # on an inner bound: one band lower
        assert i == plain - 1
    else:
        assert i == plain


@FAST
@given(rate_tables(min_bands=1), st.data())
def test_retroactive_is_linear_inside_a_band(bands, data):
    """base x rate of the band reached: between two bases with no bound between them the
    payout is a straight line through the origin, so jumps happen only at bounds."""
    index = data.draw(st.integers(0, len(bands) - 1))
    band = bands[index]
    hi = band.upper - Decimal("0.01") if band.upper is not None else band.lower + Decimal(100000)
    assume(hi >= band.lower)
    x = sorted(data.draw(st.lists(money(band.lower, hi), min_size=3, max_size=3)))
    pay = [retroactive(b, bands) for b in x]
    assert {tiers.reached(b, bands) for b in x} == {index}
    assert pay[1] - pay[0] == band.value * (x[1] - x[0])
    # collinear: slope between points 0-1 and 1-2 is the same
    assert (pay[1] - pay[0]) * (x[2] - x[1]) == (pay[2] - pay[1]) * (x[1] - x[0])


@FAST
@given(rate_tables(min_bands=2), bases(), bases())
def test_retroactive_band_changes_only_across_a_bound(bands, a, b):
    a, b = min(a, b), max(a, b)
    crossed = any(a < x.lower <= b for x in bands)
    if not crossed:
        assert tiers.reached(a, bands) == tiers.reached(b, bands)
    else:
        assert tiers.reached(a, bands) < tiers.reached(b, bands)


@FAST
@given(amount_tables(), bases(1_000_000))
def test_step_and_cumulative(bands, base):
    i = tiers.reached(base, bands)
    assert tiers.band_value(base, bands, i) == bands[i].value
    assert tiers.cumulative(bands, i) == sum((b.value for b in bands[: i + 1]), Decimal(0))
    assert tiers.cumulative(bands, None) == 0 and tiers.band_value(base, bands, None) == 0


@FAST
@given(money(0, 10_000), money(1, 10_000), money(0, 5_000), money(0, 5_000), st.data())
def test_interpolated_band_is_linear_between_its_values(lower, width, v0, v1, data):
    upper = lower + width
    bands = ([Band(Decimal(0), lower, Decimal(0))] if lower > 0 else []) + [Band(lower, upper, v0, v1),
                                                                            Band(upper, None, v1)]
    base = data.draw(money(lower, upper))
    got = tiers.band_value(base, bands, tiers.reached(base, bands))
    if base == upper:
        assert got == v1
    else:
        assert got == v0 + (v1 - v0) * (base - lower) / width
    assert min(v0, v1) <= got <= max(v0, v1)


def test_order_problem_reports_gap_overlap_and_decreasing_not_empty():
    d = Decimal
    assert tiers.order_problem([Band(d(0), d(10), d(1)), Band(d(10), None, d(2))]) is None
    assert "gap" in tiers.order_problem([Band(d(0), d(10), d(1)), Band(d(12), None, d(2))])[1]
    assert "overlap" in tiers.order_problem([Band(d(0), d(10), d(1)), Band(d(8), None, d(2))])[1]
    assert tiers.order_problem([Band(d(5), d(1), d(1))])[:2] == (0, "decreasing")
    # an empty band (a quota of 0 collapses bands onto 0) is in order and never reached
    collapsed = [Band(d(0), d(0), d(1)), Band(d(0), d(0), d(2)), Band(d(0), None, d(3))]
    assert tiers.order_problem(collapsed) is None
    assert tiers.reached(d(0), collapsed) == 2 and tiers.reached(d(5), collapsed) == 2
    assert [p.index for p in tiers.marginal(d(5), collapsed)] == [2]


# ---- caps and floors through a compiled plan -------------------------------------------------


@cache
def limits_plan(mode: str):
    return compile_text(f'''
plan "Limits" {{ currency USD period month rounding {mode} at line }}
input base: money
input rate: percent
input cap_amount: money
input floor_amount: money
input plan_cap: money
component capped {{
  tiers marginal on base {{ from 0 USD to 10_000 USD: rate  from 10_000 USD: 2 * rate }}
  multiplier on rate {{ from 0%: 1.5 }}
  cap cap_amount
}}
component floored {{
  pay rate * base
  floor floor_amount
}}
payout {{ cap plan_cap }}
''', "limits.plan")


@FAST
@given(st.sampled_from(ROUNDING_MODES), bases(1_000_000), sub_cent_rates(), money(0, 100_000), money(0, 100_000),
       money(0, 200_000))
def test_caps_and_floors_hold_with_amounts_in_cents(mode, base, rate, cap, floor, plan_cap):
    plan = limits_plan(mode)
    r = plan.run({"base": base, "rate": rate, "cap_amount": cap, "floor_amount": floor, "plan_cap": plan_cap})
    capped, floored = r.component("capped").amount, r.component("floored").amount
    assert capped <= cap
    assert floored >= floor
    assert r.total <= plan_cap
    assert r.total == min(capped + floored, plan_cap)
    # a limit that does not bind leaves the amount alone
    uncapped = limits_plan(mode).run({"base": base, "rate": rate, "cap_amount": Decimal(10**9),
                                      "floor_amount": Decimal(0), "plan_cap": Decimal(10**9)})
    assert capped == min(uncapped.component("capped").amount, cap)
    assert floored == max(uncapped.component("floored").amount, floor)


@cache
def share_limits_plan(mode: str, point: str):
    return compile_text(f'''
plan "Share limits" {{ currency USD period month rounding {mode} at {point} }}
input base: money
input cap_share: percent
input floor_share: percent
component capped {{ pay base  cap cap_share of base }}
component floored {{ pay 0 USD  floor floor_share of base }}
payout {{ cap cap_share of base }}
''', "share_limits.plan")


@settings(max_examples=100, deadline=None)
@example(mode="half_up", point="line", base=Decimal("12.35"), cap_share=Decimal("0.1"), floor_share=Decimal("0.1"))
@given(st.sampled_from(ROUNDING_MODES), st.sampled_from(["line", "component", "payout"]), bases(100_000),
       sub_cent_rates(), sub_cent_rates())
def test_caps_and_floors_hold_when_the_limit_has_fractions_of_a_cent(mode, point, base, cap_share, floor_share):
    r = share_limits_plan(mode, point).run({"base": base, "cap_share": cap_share, "floor_share": floor_share})
    cap, floor = cap_share * base, floor_share * base
    assert r.component("capped").amount <= cap
    assert r.component("floored").amount >= floor
    assert r.total <= cap


# ---- rounding -------------------------------------------------------------------------------


@cache
def rounding_plan(mode: str, currency: str):
    return compile_text(f'''
plan "Rounding" {{ currency {currency} period month rounding {mode} at line }}
input amount: money
input rate: percent
component c {{ pay amount * rate }}
''', "rounding.plan")


QUANTUM = {"USD": Decimal("0.01"), "JPY": Decimal(1), "BHD": Decimal("0.001")}


@FAST
@given(st.sampled_from(ROUNDING_MODES), st.sampled_from(sorted(QUANTUM)), signed_money(1_000_000),
       sub_cent_rates())
@example("half_even", "USD", Decimal("10.50"), Decimal("0.05"))  # 0.525 -> 0.52
@example("half_up", "USD", Decimal("10.50"), Decimal("0.05"))  # 0.525 -> 0.53
@example("half_down", "JPY", Decimal(-25), Decimal("0.1"))  # -2.5 -> -2
@example("ceiling", "JPY", Decimal(-25), Decimal("0.1"))  # -2.5 -> -2
@example("floor", "JPY", Decimal(25), Decimal("0.1"))  # 2.5 -> 2
def test_rounding_mode_at_line(mode, currency, amount, rate):
    result = rounding_plan(mode, currency).run({"amount": amount, "rate": rate})
    with localcontext() as ctx:
        ctx.prec = 34
        expected = (amount * rate).quantize(QUANTUM[currency], rounding=DECIMAL_MODES[mode])
    assert result.components[0].amount == expected
    assert result.total == expected
    assert result.total.as_tuple().exponent == QUANTUM[currency].as_tuple().exponent


def _band_text(bands: list[Band]) -> str:
    rows = []
    for b in bands:
        upper = f" to {decimal_text(b.upper)} USD" if b.upper is not None else ""
        rows.append(f"from {decimal_text(b.lower)} USD{upper}: {decimal_text(b.value * 100)}%")
    return "\n    ".join(rows)


@MEDIUM
@given(st.data(), st.sampled_from(ROUNDING_MODES))
def test_marginal_parts_add_up_to_the_line_amount(data, mode):
    bands = data.draw(band_tables_with_sub_cent_rates())
    base = data.draw(money(0, max(b.lower for b in bands) + 50_000))
    plan = compile_text(f'''
plan "Marginal" {{ currency USD period month rounding {mode} at line }}
input base: money
component c {{
  tiers marginal on base {{
    {_band_text(bands)}
  }}
}}
''')
    r = plan.run({"base": base}, trace=True)
    item = r.components[0].items[0]
    assert sum((h.amount for h in item.bands), Decimal(0)) == item.amount == r.total
    parts = tiers.marginal(base, bands)
    assert [h.portion for h in item.bands] == [p.portion for p in parts]
    for hit, part in zip(item.bands, parts):
        assert hit.amount == part.amount.quantize(Decimal("0.01"), rounding=DECIMAL_MODES[mode])
    # rounding each part moves the line by at most one cent per band from the exact amount
    assert abs(item.amount - reference_marginal(base, bands)) <= Decimal("0.01") * len(parts)


def band_tables_with_sub_cent_rates():
    from strategies import band_tables

    return band_tables(sub_cent_rates(), max_bands=5)


# ---- a whole plan ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def account_executive():
    from pathlib import Path

    from incentives import load_plan

    return load_plan(Path(__file__).resolve().parent.parent / "plans" / "account_executive.plan")


@FAST
@given(money(0, 5_000_000), money(0, 5_000_000), money(1, 2_000_000))
def test_account_executive_pays_more_for_more_revenue_and_stays_within_its_caps(r1, r2, quota):
    """Marginal tiers, an accelerator, a cap, a gated kicker and a plan cap: more revenue never pays less."""
    low, high = sorted((r1, r2))
    plan = account_executive()
    a = plan.run({"revenue": low, "quota": quota})
    b = plan.run({"revenue": high, "quota": quota})
    assert Decimal(0) <= a.total <= b.total <= Decimal("62500.00")
    assert b.component("commission").amount <= Decimal(60000)
    assert b.total == b.component("commission").amount + b.component("kicker").amount
    assert b.component("kicker").amount == (Decimal("2500.00") if high >= quota else Decimal(0))
