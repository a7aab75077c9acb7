"""Tests of incentives.time.settle: the worked draw example exactly, guarantees, caps, delays, ramps,
forgiveness, carried clawbacks and clawback amounts, then the laws a comp admin relies on (pay is never
negative, every period balances, a year's pay is its earnings plus what was guaranteed and forgiven).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.time.settle import (
    FORGIVE_EVENTS,
    ClawbackTerms,
    DrawTerms,
    Settlement,
    clawback_amount,
    settle,
    settle_sequence,
)

FAST = settings(max_examples=200, deadline=None)
D = Decimal
FIELDS = tuple(Settlement.__dataclass_fields__)


def amounts(values: list[str | int]) -> list[Decimal]:
    """Decimals from literals."""
    return [D(str(v)) for v in values]


def no_negative_zero(s: Settlement) -> None:
    """No field of `s` is a signed zero."""
    for name in FIELDS:
        value = getattr(s, name)
        assert not (value.is_zero() and value.is_signed()), (name, value)


# -- the worked example -------------------------------------------------------------------------------------


def test_worked_example_recoverable_draw() -> None:
    """Draw 2,000 a month, 100% of the excess recovers: the worked example, column by column."""
    earnings = amounts([2750, 3000, 1500, 2375, 3000, 2750])
    out = settle_sequence(earnings, DrawTerms(amount=D(2000)))
    assert [s.paid for s in out] == amounts([2750, 3000, 2000, 2000, 2875, 2750])
    assert [s.position for s in out] == amounts([750, 1000, -500, -125, 875, 750])
    assert [s.advanced for s in out] == amounts([0, 0, 500, 0, 0, 0])
    assert [s.recovered for s in out] == amounts([0, 0, 0, 375, 125, 0])
    assert [s.closing for s in out] == amounts([0, 0, -500, -125, 0, 0])
    assert [s.opening for s in out] == amounts([0, 0, 0, -500, -125, 0])
    assert [s.draw for s in out] == amounts([2000] * 6)
    assert sum(s.earned for s in out) == sum(s.paid for s in out) == D(15375)
    for s in out:
        no_negative_zero(s)


# -- guarantees, caps, delays, shares, ramps ---------------------------------------------------------------


def test_guarantee_tops_up_and_is_never_owed() -> None:
    """A non-recoverable draw tops up the shortfall and nothing is owed afterwards."""
    g = DrawTerms(amount=D("2000.00"), recoverable=False)
    short = settle(D("1500.00"), g)
    assert (short.guaranteed, short.advanced, short.paid, short.closing) == (D(500), D(0), D(2000), D(0))
    above = settle(D("2500.00"), g)
    assert (above.guaranteed, above.paid, above.closing) == (D(0), D(2500), D(0))
    nothing = settle(D("0.00"), g)
    assert (nothing.guaranteed, nothing.paid) == (D(2000), D(2000))


def test_guarantee_carries_a_negative_net_and_recovers_it_above_the_draw() -> None:
    """Under a guarantee a clawback that makes the net negative is still owed, recovered above the draw."""
    g = DrawTerms(amount=D("2000.00"), recoverable=False)
    first = settle(D("0.00"), g, clawbacks=D("300.00"))
    assert (first.net, first.guaranteed, first.advanced, first.paid, first.closing) == (
        D(-300), D(2000), D(300), D(2000), D(-300))
    second = settle(D("2800.00"), g, first.closing, period_index=1)
    assert (second.recovered, second.paid, second.closing) == (D(300), D(2500), D(0))
    within = settle(D("1800.00"), g, first.closing, period_index=1)  # below the draw: nothing recovered
    assert (within.guaranteed, within.recovered, within.paid, within.closing) == (D(200), D(0), D(2000), D(-300))


def test_cap_limits_each_recovery() -> None:
    """At most `cap` is recovered in one period."""
    out = settle_sequence(amounts([1000, 3000, 3000]), DrawTerms(amount=D(2000), cap=D(100)))
    assert [s.advanced for s in out] == amounts([1000, 0, 0])
    assert [s.recovered for s in out] == amounts([0, 100, 100])
    assert [s.paid for s in out] == amounts([2000, 2900, 2900])
    assert [s.closing for s in out] == amounts([-1000, -900, -800])


def test_delay_postpones_recovery() -> None:
    """Nothing is recovered before period `delay`."""
    out = settle_sequence(amounts([1000, 3000, 3000]), DrawTerms(amount=D(2000), delay=2))
    assert [s.recovered for s in out] == amounts([0, 0, 1000])
    assert [s.paid for s in out] == amounts([2000, 3000, 2000])
    assert [s.closing for s in out] == amounts([-1000, -1000, 0])


def test_share_of_excess_is_rounded_to_the_quantum() -> None:
    """`share * excess` is the only new digits; it is rounded with the given mode."""
    half = settle_sequence(amounts([1000, 3000]), DrawTerms(amount=D(2000), share=D("0.5")))
    assert (half[1].recovered, half[1].paid, half[1].closing) == (D(500), D(2500), D(-500))
    third = DrawTerms(amount=D("0.00"), share=D(1) / D(3))
    assert settle(D("100.00"), third, D("-500.00")).recovered == D("33.33")
    assert settle(D("100.00"), third, D("-500.00"), rounding=ROUND_UP).recovered == D("33.34")
    assert settle(D("100"), third, D("-500"), quantum=D(1)).recovered == D(33)


def test_ramp_draw_only_in_its_periods() -> None:
    """A ramp draw (periods=3) is paid in periods 0-2 only; what it advanced is recovered afterwards."""
    ramp = DrawTerms(amount=D(1000), periods=3)
    out = settle_sequence(amounts([0, 0, 0, 0, 5000]), ramp)
    assert [s.draw for s in out] == amounts([1000, 1000, 1000, 0, 0])
    assert [s.paid for s in out] == amounts([1000, 1000, 1000, 0, 2000])
    assert [s.recovered for s in out] == amounts([0, 0, 0, 0, 3000])
    assert [s.closing for s in out] == amounts([-1000, -2000, -3000, -3000, 0])


def test_forgiveness_at_year_end() -> None:
    """The owed balance is written off at a year end only when the plan forgives at year end."""
    terms = DrawTerms(amount=D(2000))
    out = settle_sequence(amounts([1000, 500]), terms, forgive={"year_end"}, year_end_at={1})
    assert [s.forgiven for s in out] == amounts([0, 2500])
    assert [s.closing for s in out] == amounts([-1000, 0])
    kept = settle_sequence(amounts([1000, 500]), terms, year_end_at={1})
    assert [s.forgiven for s in kept] == amounts([0, 0]) and kept[-1].closing == D(-2500)
    other = settle(D(500), terms, D(-1000), forgive={"termination"}, year_end=True)
    assert (other.forgiven, other.closing) == (D(0), D(-2500))


def test_forgiveness_at_termination() -> None:
    """On termination (when forgiven) everything owed, including this period's advance, is written off."""
    s = settle(D(0), DrawTerms(amount=D(2000)), D(-3000), forgive=FORGIVE_EVENTS, terminated=True)
    assert (s.advanced, s.paid, s.forgiven, s.closing) == (D(2000), D(2000), D(5000), D(0))
    seq = settle_sequence(amounts([0, 0, 0]), DrawTerms(amount=D(100)), forgive={"termination"},
                          terminated_at=1)
    assert [s.forgiven for s in seq] == amounts([0, 200, 0])
    assert [s.closing for s in seq] == amounts([-100, 0, -100])


def test_clawback_without_draw_is_carried_and_recovered() -> None:
    """A clawback making the net negative with no draw is owed, and taken from the next period's pay."""
    first = settle(D("0.00"), None, clawbacks=D("800.00"))
    assert (first.net, first.advanced, first.paid, first.closing) == (D(-800), D(800), D(0), D(-800))
    second = settle(D("1000.00"), None, first.closing, period_index=1)
    assert (second.recovered, second.paid, second.closing) == (D(800), D(200), D(0))
    seq = settle_sequence(amounts([0, 1000]), None, clawbacks=amounts([800, 0]))
    assert [s.paid for s in seq] == amounts([0, 200])


def test_adjustments_enter_the_net() -> None:
    """Adjustments booked into a period add to (or take from) its net."""
    s = settle(D("1000.00"), None, adjustments=D("-250.00"), clawbacks=D("100.00"))
    assert (s.net, s.paid) == (D("650.00"), D("650.00"))


def test_no_negative_zero() -> None:
    """Zero amounts never carry a sign."""
    for s in (settle(D("-0.00"), None, D("-0.00")), settle(D(0), DrawTerms(D(0), recoverable=False)),
              settle(D("100.00"), None, D("-100.00")), settle(D(0), None, D(-5), forgive={"year_end"}, year_end=True)):
        no_negative_zero(s)
    assert not clawback_amount(D(0), dt.date(2027, 1, 1), dt.date(2027, 1, 2), ClawbackTerms(5)).is_signed()


@pytest.mark.parametrize("call", [
    lambda: settle(D(1), None, D(1)),
    lambda: settle(D(1), None, clawbacks=D(-1)),
    lambda: settle(D(1), None, period_index=-1),
    lambda: settle(D(1), None, forgive={"quarter_end"}),
    lambda: DrawTerms(amount=D(-1)),
    lambda: DrawTerms(amount=D(1), share=D("1.01")),
    lambda: DrawTerms(amount=D(1), share=D("-0.01")),
    lambda: DrawTerms(amount=D(1), delay=-1),
    lambda: DrawTerms(amount=D(1), cap=D(-1)),
    lambda: ClawbackTerms(window_days=-1),
    lambda: ClawbackTerms(window_days=1, share=D(2)),
    lambda: ClawbackTerms(window_days=1, straight_line_days=0),
    lambda: settle_sequence(amounts([1, 2]), None, clawbacks=amounts([1])),
])
def test_invalid_inputs_are_refused(call) -> None:
    """Invalid balances, clawbacks, terms and events raise ValueError."""
    with pytest.raises(ValueError):
        call()


def test_floats_are_not_money() -> None:
    """A float amount is a TypeError, never silently converted."""
    with pytest.raises(TypeError):
        settle(1.5, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DrawTerms(amount=2000.0)  # type: ignore[arg-type]


# -- clawback amounts ---------------------------------------------------------------------------------------

CLOSED = dt.date(2027, 3, 1)


def test_clawback_amount_examples() -> None:
    """A share of what was paid, inside the (inclusive) window only, optionally straight-line."""
    paid = D("10000.00")
    half = ClawbackTerms(window_days=90, share=D("0.5"))
    assert clawback_amount(paid, CLOSED, CLOSED + dt.timedelta(days=30), half) == D("5000.00")
    assert clawback_amount(paid, CLOSED, CLOSED + dt.timedelta(days=90), half) == D("5000.00")
    assert clawback_amount(paid, CLOSED, CLOSED + dt.timedelta(days=91), half) == D(0)
    assert clawback_amount(paid, CLOSED, CLOSED - dt.timedelta(days=1), half) == D(0)
    assert clawback_amount(D("-5.00"), CLOSED, CLOSED, half) == D(0)
    line = ClawbackTerms(window_days=120, straight_line_days=90)
    assert clawback_amount(paid, CLOSED, CLOSED, line) == paid
    assert clawback_amount(paid, CLOSED, CLOSED + dt.timedelta(days=30), line) == D("6666.67")
    assert clawback_amount(paid, CLOSED, CLOSED + dt.timedelta(days=30), line, rounding=ROUND_DOWN) == D("6666.66")
    assert clawback_amount(paid, CLOSED, CLOSED + dt.timedelta(days=100), line) == D(0)


# -- laws -----------------------------------------------------------------------------------------------------

ROUNDINGS = st.sampled_from([ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN, ROUND_UP])


def cents(lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    """Money at the cent, lo..hi cents."""
    return st.integers(lo, hi).map(lambda c: D(c).scaleb(-2))


draw_terms = st.builds(
    DrawTerms,
    amount=cents(0, 500_000),
    recoverable=st.booleans(),
    share=st.integers(0, 10_000).map(lambda k: D(k).scaleb(-4)),
    delay=st.integers(0, 4),
    cap=st.none() | cents(0, 200_000),
    periods=st.none() | st.integers(0, 6),
)
periods = st.lists(st.tuples(cents(-100_000, 1_000_000), cents(-50_000, 50_000), st.none() | cents(0, 600_000)),
                   min_size=1, max_size=14)


def run(terms: DrawTerms | None, rows: list, rounding: str, **kw) -> list[Settlement]:
    """settle_sequence over (earned, adjustment, clawback) rows."""
    return settle_sequence([r[0] for r in rows], terms, adjustments=[r[1] for r in rows],
                           clawbacks=[r[2] or D(0) for r in rows], rounding=rounding, **kw)


@FAST
@given(terms=st.none() | draw_terms, rows=periods, opening=cents(-300_000, 0), rounding=ROUNDINGS,
       forgive=st.frozensets(st.sampled_from(FORGIVE_EVENTS)), year_ends=st.frozensets(st.integers(0, 13)))
def test_every_period_balances(terms, rows, opening, rounding, forgive, year_ends) -> None:
    """Pay is never negative; each period's pay and balance are accounted for exactly; recoveries respect
    the cap; balances are never positive; nothing is a signed zero."""
    out = run(terms, rows, rounding, opening=opening, forgive=forgive, year_end_at=year_ends)
    previous = opening
    for i, s in enumerate(out):
        assert s.opening == previous
        assert s.paid >= 0 and s.opening <= 0 and s.closing <= 0
        assert min(s.advanced, s.guaranteed, s.recovered, s.forgiven, s.clawbacks) >= 0
        assert s.net == s.earned + s.adjustments - s.clawbacks
        assert s.paid == s.net + s.advanced + s.guaranteed - s.recovered
        assert s.closing == s.opening - s.advanced + s.recovered + s.forgiven
        assert s.position == s.net - s.draw + s.opening
        if terms is not None and terms.cap is not None:
            assert s.recovered <= terms.cap
        if terms is not None and i < terms.delay:
            assert s.recovered == 0
        if s.forgiven:
            assert i in year_ends and "year_end" in forgive and s.closing == 0
        no_negative_zero(s)
        previous = s.closing


@FAST
@given(terms=st.none() | draw_terms, rows=periods, rounding=ROUNDINGS)
def test_a_year_pays_earnings_plus_guarantees_plus_forgiven(terms, rows, rounding) -> None:
    """Starting from nothing owed and forgiving at year end: total paid == total net earned + guaranteed
    + forgiven draws."""
    out = run(terms, rows, rounding, forgive={"year_end"}, year_end_at={len(rows) - 1})
    assert out[-1].closing == 0
    assert sum(s.paid for s in out) == (sum(s.net for s in out) + sum(s.guaranteed for s in out)
                                        + sum(s.forgiven for s in out))


@FAST
@given(terms=draw_terms.filter(lambda t: t.recoverable), data=st.data(), rounding=ROUNDINGS)
def test_no_advance_when_earnings_cover_the_draw(terms, data, rounding) -> None:
    """With a recoverable draw and earnings always at least the draw, nothing is advanced or owed and the
    payee is paid exactly what was earned."""
    earnings = data.draw(st.lists(cents(int(terms.amount * 100), 2_000_000), min_size=1, max_size=14))
    out = settle_sequence(earnings, terms, rounding=rounding)
    assert all(s.advanced == 0 and s.recovered == 0 and s.closing == 0 for s in out)
    assert [s.paid for s in out] == earnings


@FAST
@given(paid=cents(-10_000, 10_000_000), window=st.integers(0, 400), days=st.integers(-30, 500),
       share=st.integers(0, 1000).map(lambda k: D(k).scaleb(-3)), line=st.none() | st.integers(1, 400),
       rounding=ROUNDINGS)
def test_clawback_amount_laws(paid, window, days, share, line, rounding) -> None:
    """Between 0 and what was paid; 0 outside the window; non-increasing in days kept under straight line."""
    terms = ClawbackTerms(window_days=window, share=share, straight_line_days=line)
    taken = clawback_amount(paid, CLOSED, CLOSED + dt.timedelta(days=days), terms, rounding=rounding)
    assert D(0) <= taken <= max(paid, D(0))
    assert not taken.is_signed()
    if days < 0 or days > window or paid <= 0:
        assert taken == 0
    if line is not None:
        later = clawback_amount(paid, CLOSED, CLOSED + dt.timedelta(days=days + 1), terms, rounding=rounding)
        assert later <= taken or days < 0  # before the close nothing is taken, at the close the most
