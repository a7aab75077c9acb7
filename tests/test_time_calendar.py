"""incentives.time.calendar: period text forms and sequences, day counts, participation, annual shares and rates."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.engine.calendar import (
    FORMS,
    KINDS,
    MAX_PERIODS,
    Period,
    annual_share,
    count_days,
    parse_period,
    parse_periods,
    participation,
    period_of,
    periods_covering,
    rate_total,
    to_decimal,
)

D = dt.date


# ---------------------------------------------------------------------------------------------------------------
# Parsing


@pytest.mark.parametrize("text, start, end, label, kind", [
    ("2027", D(2027, 1, 1), D(2027, 12, 31), "2027", "year"),
    ("2027-H1", D(2027, 1, 1), D(2027, 6, 30), "2027-H1", "half"),
    ("2027-h2", D(2027, 7, 1), D(2027, 12, 31), "2027-H2", "half"),
    ("2027-Q1", D(2027, 1, 1), D(2027, 3, 31), "2027-Q1", "quarter"),
    ("2027-q3", D(2027, 7, 1), D(2027, 9, 30), "2027-Q3", "quarter"),
    ("2027-Q4", D(2027, 10, 1), D(2027, 12, 31), "2027-Q4", "quarter"),
    ("2027-03", D(2027, 3, 1), D(2027, 3, 31), "2027-03", "month"),
    ("2028-02", D(2028, 2, 1), D(2028, 2, 29), "2028-02", "month"),
    ("2027-W05", D(2027, 2, 1), D(2027, 2, 7), "2027-W05", "week"),
    ("2027-w01", D(2027, 1, 4), D(2027, 1, 10), "2027-W01", "week"),
    ("2026-W53", D(2026, 12, 28), D(2027, 1, 3), "2026-W53", "week"),
    (" 2027-01-15..2027-02-14 ", D(2027, 1, 15), D(2027, 2, 14), "2027-01-15..2027-02-14", "range"),
    ("2027-01-15 .. 2027-01-15", D(2027, 1, 15), D(2027, 1, 15), "2027-01-15..2027-01-15", "range"),
])
def test_parse_period_forms(text, start, end, label, kind):
    p = parse_period(text)
    assert (p.start, p.end, p.label, p.kind) == (start, end, label, kind)
    assert str(p) == label
    assert parse_period(p.label) == p
    assert p.days == (end - start).days + 1


@pytest.mark.parametrize("text", [
    "", "27", "20270", "2027-Q5", "2027-Q0", "2027-H3", "2027-H0", "2027-13", "2027-00", "2027-3", "2027-W00",
    "2027-W5", "2027-W54", "0000", "2027-01-01", "2027-02-30..2027-03-01", "20270101..20270201", "Q1-2027",
    "2027-01..2027-03",
])
def test_parse_period_rejects(text):
    with pytest.raises(ValueError) as e:
        parse_period(text)
    assert f"period `{text}`" in str(e.value)
    assert FORMS in str(e.value)
    assert "2027-W05" in FORMS and "2027-01-01..2027-02-28" in FORMS


def test_iso_week_53():
    assert parse_period("2026-W53").days == 7
    with pytest.raises(ValueError, match=r"period `2027-W53`: ISO year 2027 has weeks 01 to 52; expected 2027,"):
        parse_period("2027-W53")


def test_range_ending_before_start():
    with pytest.raises(ValueError, match="period `2027-02-01..2027-01-31` ends before it starts"):
        parse_period("2027-02-01..2027-01-31")


def test_period_properties():
    q4 = parse_period("2027-Q4")
    assert q4.is_year_end() and not parse_period("2027-Q3").is_year_end()
    assert q4.year_start == D(2027, 1, 1)
    assert parse_period("2026-W53").year_start == D(2027, 1, 1)  # the year of its end
    assert q4.contains(D(2027, 10, 1)) and q4.contains(D(2027, 12, 31)) and not q4.contains(D(2028, 1, 1))
    assert parse_period("2027").days == 365 and parse_period("2028").days == 366
    assert parse_period("2027-Q1") < parse_period("2027-Q2")
    with pytest.raises(ValueError, match="ends before it starts"):
        Period(D(2027, 2, 1), D(2027, 1, 1), "x", "range")
    with pytest.raises(ValueError, match="kind `fortnight`"):
        Period(D(2027, 1, 1), D(2027, 1, 14), "x", "fortnight")


@pytest.mark.parametrize("label, after", [
    ("2027", "2028"), ("2027-H1", "2027-H2"), ("2027-H2", "2028-H1"), ("2027-Q4", "2028-Q1"), ("2027-Q2", "2027-Q3"),
    ("2027-12", "2028-01"), ("2027-01", "2027-02"), ("2027-W52", "2028-W01"), ("2026-W52", "2026-W53"),
    ("2026-W53", "2027-W01"),
])
def test_next_and_previous(label, after):
    p, q = parse_period(label), parse_period(after)
    assert p.next() == q
    assert q.previous() == p
    assert q.start == p.end + dt.timedelta(days=1)


def test_range_has_no_next():
    r = parse_period("2027-01-01..2027-02-28")
    with pytest.raises(ValueError, match="date range: it has no next period"):
        r.next()
    with pytest.raises(ValueError, match="no previous period"):
        r.previous()


def test_next_beyond_year_9999():
    with pytest.raises(ValueError, match="outside the dates"):
        parse_period("9999-12").next()


# ---------------------------------------------------------------------------------------------------------------
# Sequences


@pytest.mark.parametrize("text, labels", [
    ("2027-01..2027-06", ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]),
    ("2027-Q1..2027-q4", ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]),
    ("2026-H2..2027-H1", ["2026-H2", "2027-H1"]),
    ("2026..2028", ["2026", "2027", "2028"]),
    ("2026-W52 .. 2027-W02", ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]),
    ("2027-03..2027-03", ["2027-03"]),
    ("2027-Q2", ["2027-Q2"]),
    ("2027-01-01..2027-02-28", ["2027-01-01..2027-02-28"]),
])
def test_parse_periods(text, labels):
    periods = parse_periods(text)
    assert [p.label for p in periods] == labels
    for a, b in itertools.pairwise(periods):
        assert a.next() == b


def test_parse_periods_weeks():
    weeks = parse_periods("2027-W01..2027-W10")
    assert len(weeks) == 10 and all(w.days == 7 and w.start.weekday() == 0 for w in weeks)


def test_parse_periods_errors():
    with pytest.raises(ValueError, match=r"`2027-01` is a month but `2027-Q4` is a quarter; both ends .* same kind"):
        parse_periods("2027-01..2027-Q4")
    with pytest.raises(ValueError, match=r"the last period `2027-01` is before the first `2027-06`"):
        parse_periods("2027-06..2027-01")
    with pytest.raises(ValueError, match=rf"1001 periods; a sequence holds at most {MAX_PERIODS}"):
        parse_periods("2000-01..2083-05")
    weeks = parse_periods("2000-W01..2019-W09")
    assert len(weeks) == (weeks[-1].start - weeks[0].start).days // 7 + 1
    assert len(parse_periods("2000-01..2083-04")) == MAX_PERIODS
    with pytest.raises(ValueError, match=r"periods `2027-01\.\.2027-02-28`: `2027-02-28` is not a period"):
        parse_periods("2027-01..2027-02-28")
    with pytest.raises(ValueError, match=r"periods `2027-13`: expected a period or a sequence"):
        parse_periods("2027-13")
    with pytest.raises(ValueError, match=r"periods `2027-03-01..2027-02-01` ends before it starts"):
        parse_periods("2027-03-01..2027-02-01")
    with pytest.raises(ValueError) as e:
        parse_periods("2027..")
    assert FORMS in str(e.value)


def test_period_of_and_covering():
    d = D(2027, 8, 16)
    assert [period_of(k, d).label for k in KINDS] == ["2027", "2027-H2", "2027-Q3", "2027-08", "2027-W33"]
    assert period_of("week", D(2027, 1, 1)).label == "2026-W53"
    assert [p.label for p in periods_covering("quarter", D(2027, 3, 31), D(2027, 7, 1))] == \
        ["2027-Q1", "2027-Q2", "2027-Q3"]
    assert periods_covering("month", D(2027, 3, 2), D(2027, 3, 1)) == []
    with pytest.raises(ValueError, match="period kind `range`"):
        period_of("range", d)
    with pytest.raises(ValueError, match="period kind `day`"):
        periods_covering("day", d, d)


# ---------------------------------------------------------------------------------------------------------------
# Days


def test_count_days():
    assert count_days(D(2027, 1, 1), D(2027, 1, 31)) == 31
    assert count_days(D(2027, 1, 1), D(2027, 12, 31)) == 365
    assert count_days(D(2027, 1, 2), D(2027, 1, 1)) == 0
    assert count_days(D(2027, 1, 1), D(2027, 1, 31), working=True) == 21
    holiday_on_friday, holiday_on_saturday = D(2027, 1, 1), D(2027, 1, 2)
    assert count_days(D(2027, 1, 1), D(2027, 1, 31), True, frozenset({holiday_on_friday})) == 20
    assert count_days(D(2027, 1, 1), D(2027, 1, 31), True, frozenset({holiday_on_saturday})) == 21
    assert count_days(D(2027, 1, 1), D(2027, 1, 31), True, frozenset({D(2027, 2, 1)})) == 21  # outside
    assert count_days(D(2027, 1, 2), D(2027, 1, 3), working=True) == 0  # a weekend
    assert count_days(D(2027, 1, 1), D(2027, 1, 1), working=True) == 1
    assert count_days(D(2020, 1, 1), D(2029, 12, 31)) == 3653


def test_participation():
    feb = parse_period("2027-02")
    assert participation(feb, [(D(2027, 2, 15), None)]) == (28, 14)
    assert participation(feb, [(D(2026, 1, 1), None)]) == (28, 28)
    assert participation(feb, [(D(2026, 1, 1), D(2027, 1, 31))]) == (28, 0)
    assert participation(feb, []) == (28, 0)
    overlapping = [(D(2027, 2, 1), D(2027, 2, 10)), (D(2027, 2, 5), D(2027, 2, 14))]
    assert participation(feb, overlapping) == (28, 14)
    touching = [(D(2027, 2, 11), D(2027, 2, 20)), (D(2027, 2, 1), D(2027, 2, 10))]
    assert participation(feb, touching) == (28, 20)
    gap = [(D(2027, 2, 1), D(2027, 2, 10)), (D(2027, 2, 20), None)]
    assert participation(feb, gap) == (28, 19)
    # working days: February 2027 has 20 weekdays; from Monday 15th, 10 of them
    assert participation(feb, [(D(2027, 2, 15), None)], working=True) == (20, 10)
    assert participation(feb, [(D(2027, 2, 15), None)], True, frozenset({D(2027, 2, 15)})) == (19, 9)
    with pytest.raises(ValueError, match="window 2027-02-10..2027-02-01 ends before it starts"):
        participation(feb, [(D(2027, 2, 10), D(2027, 2, 1))])


# ---------------------------------------------------------------------------------------------------------------
# Annual shares and rates

W_Q4 = [Decimal("0.2"), Decimal("0.2"), Decimal("0.2"), Decimal("0.4")]


def test_annual_share_even():
    assert annual_share(D(2027, 1, 1), D(2027, 12, 31)) == 1
    assert annual_share(D(2027, 4, 1), D(2027, 6, 30)) == Fraction(1, 4)
    assert annual_share(D(2027, 2, 1), D(2027, 2, 28)) == Fraction(1, 12)
    assert annual_share(D(2027, 2, 1), D(2027, 2, 14)) == Fraction(1, 24)
    assert annual_share(D(2027, 1, 1), D(2029, 12, 31)) == 3
    assert annual_share(D(2027, 12, 1), D(2028, 1, 31)) == Fraction(1, 6)
    assert annual_share(D(2027, 2, 1), D(2027, 1, 31)) == 0


def test_annual_share_weights():
    assert annual_share(D(2027, 10, 1), D(2027, 12, 31), W_Q4) == Fraction(2, 5)
    assert annual_share(D(2027, 11, 1), D(2027, 11, 30), W_Q4) == Fraction(2, 15)
    assert annual_share(D(2027, 1, 1), D(2027, 3, 31), W_Q4) == Fraction(1, 5)
    assert annual_share(D(2027, 1, 1), D(2027, 12, 31), W_Q4) == 1
    monthly = [Decimal("0.05")] * 10 + [Decimal("0.2"), Decimal("0.3")]
    assert annual_share(D(2027, 12, 1), D(2027, 12, 31), monthly) == Fraction(3, 10)
    assert annual_share(D(2027, 10, 1), D(2027, 12, 31), monthly) == Fraction(55, 100)
    assert annual_share(D(2027, 12, 1), D(2027, 12, 31), [Decimal(0)] * 11 + [Decimal(1)]) == 1


def test_annual_target_amounts():
    target = Decimal(50000000)
    q = to_decimal(annual_share(D(2027, 4, 1), D(2027, 6, 30)) * Fraction(target))
    assert q == Decimal(12500000)
    m = to_decimal(annual_share(D(2027, 5, 1), D(2027, 5, 31)) * Fraction(target))
    assert str(m) == "4166666.666666666666666666666666667"
    monthly = [Decimal("0.06")] * 10 + [Decimal("0.15"), Decimal("0.25")]
    december = to_decimal(annual_share(D(2027, 12, 1), D(2027, 12, 31), monthly) * Fraction(target))
    assert december == Decimal(12500000)
    half_january = to_decimal(annual_share(D(2027, 1, 1), D(2027, 1, 15), monthly) * Fraction(target))
    assert half_january == to_decimal(Fraction(3_000_000 * 15, 31))


@pytest.mark.parametrize("weights, message", [
    ([Decimal("0.25")] * 3, "expected none .* got 3"),
    ([Decimal("0.3")] * 4, "weights sum to 1.2; they must sum to exactly 1"),
    ([Decimal("0.1")] * 12, "weights sum to 1.2;"),
    ([Decimal("0.5"), Decimal("0.5"), Decimal("0.5"), Decimal("-0.5")], "weight `-0.5` is negative"),
    ([Decimal("NaN"), Decimal(1), Decimal(0), Decimal(0)], "weight `NaN` is not a finite number"),
])
def test_annual_share_weight_errors(weights, message):
    with pytest.raises(ValueError, match=message):
        annual_share(D(2027, 1, 1), D(2027, 3, 31), weights)


QUOTA = [(D(2027, 1, 1), D(2027, 6, 30), Decimal(300000)), (D(2027, 7, 1), None, Decimal(360000))]


def test_rate_total():
    assert rate_total(D(2027, 1, 1), D(2027, 3, 31), "quarter", QUOTA) == (300000, 90)
    assert rate_total(D(2027, 1, 1), D(2027, 6, 30), "quarter", QUOTA) == (600000, 181)
    assert rate_total(D(2027, 4, 1), D(2027, 9, 30), "quarter", QUOTA) == (660000, 183)
    assert rate_total(D(2027, 1, 1), D(2027, 12, 31), "quarter", QUOTA) == (1320000, 365)
    assert rate_total(D(2027, 1, 1), D(2027, 1, 31), "quarter", QUOTA) == (Fraction(300000 * 31, 90), 31)
    assert rate_total(D(2027, 2, 1), D(2027, 2, 28), "month", QUOTA) == (300000, 28)
    mid_quarter = [(D(2027, 1, 1), D(2027, 8, 15), Decimal(300000)), (D(2027, 8, 16), None, Decimal(360000))]
    total, covered = rate_total(D(2027, 7, 1), D(2027, 9, 30), "quarter", mid_quarter)
    assert total == Fraction(300000 * 46, 92) + Fraction(360000 * 46, 92) == 330000 and covered == 92
    assert to_decimal(total) == Decimal(330000)
    late = [(D(2027, 2, 15), None, Decimal(100))]
    assert rate_total(D(2027, 2, 1), D(2027, 2, 28), "month", late) == (50, 14)
    assert rate_total(D(2027, 2, 1), D(2027, 1, 1), "month", late) == (0, 0)
    assert rate_total(D(2025, 1, 1), D(2029, 12, 31), "year", QUOTA)[0] == Fraction(300000 * 181, 365) + 360000 * \
        (Fraction(184, 365) + 2)
    with pytest.raises(ValueError, match="period kind `range`"):
        rate_total(D(2027, 1, 1), D(2027, 1, 2), "range", QUOTA)


def test_to_decimal():
    assert str(to_decimal(Fraction(1, 4))) == "0.25"
    assert str(to_decimal(Fraction(7, 8))) == "0.875"
    assert str(to_decimal(Fraction(330000))) == "330000"
    assert str(to_decimal(Fraction(-3, 2))) == "-1.5"
    assert str(to_decimal(Fraction(1, 3))) == "0." + "3" * 34
    assert str(to_decimal(Fraction(2, 3))) == "0." + "6" * 33 + "7"
    assert str(to_decimal(Fraction(0))) == "0"


# ---------------------------------------------------------------------------------------------------------------
# Laws

dates = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))
quarterly = st.lists(st.integers(0, 100), min_size=4, max_size=4).filter(any)
monthly = st.lists(st.integers(0, 100), min_size=12, max_size=12).filter(any)


def _to_weights(raw: list[int]) -> list[Decimal]:
    """Random weights that sum to exactly 1: multiples of 1/1000, the remainder on the last non-zero one."""
    total = sum(raw)
    ws = [Decimal(r * 1000 // total) / 1000 for r in raw]
    last = max(i for i, r in enumerate(raw) if r)
    ws[last] += 1 - sum(ws)
    return ws


@settings(max_examples=200)
@given(st.lists(dates, min_size=3, max_size=3), st.one_of(st.just([]), quarterly, monthly))
def test_annual_share_additive(ds, raw):
    a, m, b = sorted(ds)
    weights = _to_weights(raw) if raw else []
    whole = annual_share(a, b, weights)
    assert annual_share(a, m, weights) + annual_share(m + dt.timedelta(days=1), b, weights) == whole
    assert 0 <= whole <= b.year - a.year + 1


@settings(max_examples=200)
@given(st.integers(2000, 2100), st.one_of(quarterly, monthly))
def test_annual_share_months_sum_to_one(year, raw):
    weights = _to_weights(raw)
    assert sum(weights) == 1 and all(w >= 0 for w in weights)
    months = [annual_share(p.start, p.end, weights) for p in periods_covering("month", D(year, 1, 1), D(year, 12, 31))]
    assert sum(months) == 1


segment_values = st.integers(0, 10**9).map(Decimal)


@st.composite
def segment_lists(draw):
    cuts = sorted(set(draw(st.lists(dates, min_size=1, max_size=5))))
    segments = []
    for i, c in enumerate(cuts):
        end = cuts[i + 1] - dt.timedelta(days=1) if i + 1 < len(cuts) else draw(st.one_of(st.none(), dates))
        if end is None or end >= c:
            segments.append((c, end, draw(segment_values)))
    return segments


@settings(max_examples=200)
@given(st.lists(dates, min_size=3, max_size=3), st.sampled_from(KINDS), segment_lists())
def test_rate_total_additive(ds, kind, segments):
    a, m, b = sorted(ds)
    left = rate_total(a, m, kind, segments)
    right = rate_total(m + dt.timedelta(days=1), b, kind, segments)
    total, covered = rate_total(a, b, kind, segments)
    assert left[0] + right[0] == total and left[1] + right[1] == covered
    assert 0 <= covered <= count_days(a, b)


@settings(max_examples=200)
@given(dates, dates, st.frozensets(dates, max_size=10))
def test_count_days_working_at_most_calendar(a, b, holidays):
    calendar = count_days(a, b)
    working = count_days(a, b, True, holidays)
    assert 0 <= working <= calendar
    assert calendar == max(0, (b - a).days + 1)
    if a <= b and (b - a).days < 60:  # against a day-by-day count
        days = [a + dt.timedelta(days=k) for k in range(calendar)]
        assert working == sum(1 for d in days if d.weekday() < 5 and d not in holidays)


@settings(max_examples=200)
@given(dates, st.sampled_from(KINDS), st.lists(st.tuples(dates, st.one_of(st.none(), dates)), max_size=4),
       st.booleans())
def test_participation_active_at_most_days(d, kind, raw, working):
    period = period_of(kind, d)
    windows = [(s, e if e is None or e >= s else s) for s, e in raw]
    days, active = participation(period, windows, working)
    assert 0 <= active <= days
    if kind in ("month", "week"):  # against a day-by-day count
        each = [period.start + dt.timedelta(days=k) for k in range(period.days)]
        counted = [x for x in each if not working or x.weekday() < 5]
        assert days == len(counted)
        assert active == sum(1 for x in counted if any(s <= x and (e is None or x <= e) for s, e in windows))


@settings(max_examples=200)
@given(dates, st.sampled_from(KINDS))
def test_period_of_round_trips(d, kind):
    p = period_of(kind, d)
    assert p.contains(d) and p.kind == kind
    assert parse_period(p.label) == p
    assert p.next().previous() == p and p.next().start == p.end + dt.timedelta(days=1)
