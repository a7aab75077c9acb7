"""Pay periods and days: what a period is, which days it holds and how an amount spreads over them.

What this module owns:
  - `Period` and its text forms (`2027`, `2027-H1`, `2027-Q2`, `2027-03`, `2027-W05`, `2027-01-15..2027-02-14`):
    `parse_period`, `parse_periods` (sequences such as `2027-01..2027-06`), `period_of`, `periods_covering`;
  - counting days: `count_days` (calendar or working days), `participation` (days active in a period);
  - spreading values over days, exactly (`fractions.Fraction`): `annual_share` (the part of an annual amount
    that falls in a date range, year -> quarters -> months -> days) and `rate_total` (effective-dated values
    given per period, blended by days); `to_decimal` brings a result back into the engine's decimal context.

Nothing here loops over every day of a range: days are counted by arithmetic and ranges are split into
whole periods and (at most two) partial ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from incentives.engine.numbers import CONTEXT

#: The kinds of calendar period, longest first; a `Period` may also be of kind "range" (explicit dates).
KINDS = ("year", "half", "quarter", "month", "week")
RANGE = "range"

#: The accepted text forms, named in every parse error (as `dsl.periods.FORMS` does).
FORMS = "2027, 2027-H1, 2027-Q3, 2027-03, 2027-W05 (ISO week) or 2027-01-01..2027-02-28"
SEQUENCES = "a period or a sequence first..last of one kind, such as 2027-01..2027-06, 2027-Q1..2027-Q4 or 2026..2028"

#: The most periods a sequence (`parse_periods`) may hold.
MAX_PERIODS = 1000

_DAY = dt.timedelta(days=1)
_DATE = r"\d{4}-\d{2}-\d{2}"
_RANGE_RE = re.compile(rf"({_DATE})\s*\.\.\s*({_DATE})")
_YEAR_RE = re.compile(r"\d{4}")
_PART_RE = re.compile(r"(\d{4})-([QH])(\d)", re.IGNORECASE)
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_WEEK_RE = re.compile(r"(\d{4})-W(\d{2})", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Period:
    """A pay period: `start` to `end` inclusive, its canonical `label` and its `kind` (one of KINDS or "range")."""

    start: dt.date
    end: dt.date
    label: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS and self.kind != RANGE:
            raise ValueError(f"period `{self.label}`: kind `{self.kind}` is not one of {', '.join(KINDS)} or range")
        if self.end < self.start:
            raise ValueError(f"period `{self.label}` ends before it starts")

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> int:
        """Calendar days in the period, both ends included."""
        return (self.end - self.start).days + 1

    @property
    def year_start(self) -> dt.date:
        """1 January of the year the period ends in."""
        return dt.date(self.end.year, 1, 1)

    def is_year_end(self) -> bool:
        """Whether the period ends on 31 December."""
        return (self.end.month, self.end.day) == (12, 31)

    def contains(self, d: dt.date) -> bool:
        """Whether `d` is one of the period's days."""
        return self.start <= d <= self.end

    def next(self) -> Period:
        """The period of the same kind right after this one; ValueError for a date range."""
        return _from_index(self._kind_for("next"), _index(self.kind, self.start) + 1)

    def previous(self) -> Period:
        """The period of the same kind right before this one; ValueError for a date range."""
        return _from_index(self._kind_for("previous"), _index(self.kind, self.start) - 1)

    def _kind_for(self, what: str) -> str:
        if self.kind == RANGE:
            raise ValueError(f"period `{self.label}` is a date range: it has no {what} period")
        return self.kind


# ---------------------------------------------------------------------------------------------------------------
# Period arithmetic: every calendar period has an integer index; consecutive periods have consecutive indexes.


def _index(kind: str, d: dt.date) -> int:
    """The index of the period of `kind` holding `d`."""
    if kind == "year":
        return d.year
    if kind == "half":
        return d.year * 2 + (d.month - 1) // 6
    if kind == "quarter":
        return d.year * 4 + (d.month - 1) // 3
    if kind == "month":
        return d.year * 12 + d.month - 1
    if kind == "week":
        return (d.toordinal() - 1) // 7  # 0001-01-01 (ordinal 1) is a Monday
    raise ValueError(f"period kind `{kind}`: expected one of {', '.join(KINDS)}")


def _from_index(kind: str, i: int) -> Period:
    """The period of `kind` with index `i` (ValueError outside the dates Python can hold)."""
    try:
        if kind == "week":
            monday = dt.date.fromordinal(i * 7 + 1)
            iso = monday.isocalendar()
            return Period(monday, dt.date.fromordinal(i * 7 + 7), f"{iso.year:04d}-W{iso.week:02d}", kind)
        if kind == "year":
            return Period(dt.date(i, 1, 1), dt.date(i, 12, 31), f"{i:04d}", kind)
        months, tag = {"half": (6, "H"), "quarter": (3, "Q"), "month": (1, "")}[kind]
        year, n = divmod(i, 12 // months)
        first = n * months + 1
        label = f"{year:04d}-{tag}{n + 1}" if tag else f"{year:04d}-{first:02d}"
        return Period(dt.date(year, first, 1), _month_end(year, first + months - 1), label, kind)
    except (ValueError, OverflowError):
        raise ValueError(f"the {kind} with index {i} is outside the dates 0001-01-01..9999-12-31") from None


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - _DAY


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"period kind `{kind}`: expected one of {', '.join(KINDS)}")


def period_of(kind: str, d: dt.date) -> Period:
    """The period of `kind` (one of KINDS) that holds the day `d`."""
    _check_kind(kind)
    return _from_index(kind, _index(kind, d))


def periods_covering(kind: str, start: dt.date, end: dt.date) -> list[Period]:
    """Every period of `kind` that has at least one day in `start`..`end` (inclusive), in order."""
    _check_kind(kind)
    if end < start:
        return []
    return [_from_index(kind, i) for i in range(_index(kind, start), _index(kind, end) + 1)]


# ---------------------------------------------------------------------------------------------------------------
# Text forms


def parse_period(text: str) -> Period:
    """One period written as text (see FORMS); ValueError naming the text and the accepted forms."""
    t = text.strip()
    try:
        if m := _RANGE_RE.fullmatch(t):
            start, end = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
            if end < start:
                raise ValueError(f"period `{text}` ends before it starts")
            return Period(start, end, f"{start.isoformat()}..{end.isoformat()}", RANGE)
        if _YEAR_RE.fullmatch(t):
            return period_of("year", dt.date(int(t), 1, 1))
        if m := _PART_RE.fullmatch(t):
            year, tag, n = int(m.group(1)), m.group(2).upper(), int(m.group(3))
            if not 1 <= n <= (4 if tag == "Q" else 2):
                raise _form_error(text)
            kind, months = ("quarter", 3) if tag == "Q" else ("half", 6)
            return period_of(kind, dt.date(year, (n - 1) * months + 1, 1))
        if m := _MONTH_RE.fullmatch(t):
            return period_of("month", dt.date(int(m.group(1)), int(m.group(2)), 1))
        if m := _WEEK_RE.fullmatch(t):
            year, week = int(m.group(1)), int(m.group(2))
            weeks = iso_weeks(year)
            if not 1 <= week <= weeks:
                raise ValueError(f"period `{text}`: ISO year {year} has weeks 01 to {weeks}; expected {FORMS}")
            return period_of("week", dt.date.fromisocalendar(year, week, 1))
    except ValueError as e:
        if str(e).startswith(f"period `{text}`"):
            raise
        raise _form_error(text) from None
    raise _form_error(text)


def _form_error(text: str) -> ValueError:
    return ValueError(f"period `{text}`: expected {FORMS}")


def iso_weeks(year: int) -> int:
    """The number of ISO weeks (52 or 53) in ISO year `year`."""
    return dt.date(year, 12, 28).isocalendar().week


def parse_periods(text: str) -> list[Period]:
    """A sequence of periods `first..last` of one kind (e.g. `2027-01..2027-06`), or a single period.

    Two full dates (`2027-01-01..2027-02-28`) are one period of kind "range".  ValueError when an end is not a
    period, the ends are of different kinds, the last is before the first, or there are more than MAX_PERIODS.
    """
    t = text.strip()
    if _RANGE_RE.fullmatch(t) or ".." not in t:
        try:
            return [parse_period(t)]
        except ValueError as e:
            if ".." in t:
                raise ValueError(str(e).replace(f"period `{t}`", f"periods `{text}`", 1)) from None
            raise ValueError(f"periods `{text}`: expected {SEQUENCES}; a period is {FORMS}") from None
    a_text, b_text = (s.strip() for s in t.split("..", 1))
    ends = []
    for end_text in (a_text, b_text):
        try:
            ends.append(parse_period(end_text))
        except ValueError:
            raise ValueError(f"periods `{text}`: `{end_text}` is not a period; expected {SEQUENCES}; "
                             f"a period is {FORMS}") from None
    first, last = ends
    if first.kind != last.kind or first.kind == RANGE:
        raise ValueError(f"periods `{text}`: `{first.label}` is a {first.kind} but `{last.label}` is a {last.kind}; "
                         f"both ends of a sequence must be periods of the same kind")
    i, j = _index(first.kind, first.start), _index(last.kind, last.start)
    if j < i:
        raise ValueError(f"periods `{text}`: the last period `{last.label}` is before the first `{first.label}`")
    if j - i + 1 > MAX_PERIODS:
        raise ValueError(f"periods `{text}`: {j - i + 1} periods; a sequence holds at most {MAX_PERIODS}")
    return [_from_index(first.kind, k) for k in range(i, j + 1)]


# ---------------------------------------------------------------------------------------------------------------
# Days


def count_days(start: dt.date, end: dt.date, working: bool = False,
               holidays: Collection[dt.date] = frozenset()) -> int:
    """Days from `start` to `end` inclusive (0 when `end` < `start`).

    working=True counts Monday to Friday only, less the `holidays` that fall on those days in the range.
    """
    if end < start:
        return 0
    n = (end - start).days + 1
    if not working:
        return n
    weeks, rest = divmod(n, 7)
    first = start.weekday()
    count = weeks * 5 + sum(1 for k in range(rest) if (first + k) % 7 < 5)
    return count - sum(1 for h in set(holidays) if start <= h <= end and h.weekday() < 5)


def participation(period: Period, windows: Iterable[tuple[dt.date, dt.date | None]], working: bool = False,
                  holidays: Collection[dt.date] = frozenset()) -> tuple[int, int]:
    """(days in the period, days active in it): the union of `windows` clipped to the period.

    A window is (start, end inclusive), end None meaning open-ended; overlapping or touching windows count each
    day once.  With working=True both numbers count working days (see `count_days`).  ValueError for a window
    that ends before it starts.
    """
    clipped = []
    for w_start, w_end in windows:
        if w_end is not None and w_end < w_start:
            raise ValueError(f"window {w_start.isoformat()}..{w_end.isoformat()} ends before it starts")
        s, e = max(w_start, period.start), min(period.end if w_end is None else w_end, period.end)
        if s <= e:
            clipped.append((s, e))
    active = 0
    merged: list[list[dt.date]] = []
    for s, e in sorted(clipped):
        if merged and s <= merged[-1][1] + _DAY:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    for s, e in merged:
        active += count_days(s, e, working, holidays)
    return count_days(period.start, period.end, working, holidays), active


# ---------------------------------------------------------------------------------------------------------------
# Spreading amounts over days, exactly


def _fraction(v: object, what: str) -> Fraction:
    try:
        return Fraction(v)  # type: ignore[arg-type]
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"{what} `{v}` is not a finite number") from None


def _text(f: Fraction) -> str:
    """A fraction written exactly: a decimal when it terminates, else `n/d`."""
    d, twos, fives = f.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    if d != 1:
        return f"{f.numerator}/{f.denominator}"
    places = max(twos, fives)
    return format(Decimal(f.numerator * 10 ** places // f.denominator).scaleb(-places), "f")


def _month_weights(weights: Sequence[Decimal]) -> list[Fraction]:
    """The share of a year that each month carries (12 values summing to 1); ValueError for bad weights."""
    if len(weights) not in (0, 4, 12):
        raise ValueError(f"weights: expected none (even quarters), 4 (quarterly) or 12 (monthly), got {len(weights)}")
    if not weights:
        return [Fraction(1, 12)] * 12
    exact = [_fraction(w, "weight") for w in weights]
    for w, f in zip(weights, exact):
        if f < 0:
            raise ValueError(f"weight `{w}` is negative; weights must be 0 or more")
    total = sum(exact, Fraction(0))
    if total != 1:
        raise ValueError(f"weights sum to {_text(total)}; they must sum to exactly 1")
    if len(exact) == 12:
        return exact
    return [exact[m // 3] / 3 for m in range(12)]


def annual_share(start: dt.date, end: dt.date, weights: Sequence[Decimal] = ()) -> Fraction:
    """The share of an annual amount that falls in `start`..`end` (inclusive), exactly.

    A year splits into quarters (evenly, or by 4 quarterly weights), a quarter into thirds (or the year into
    months by 12 monthly weights), a month evenly over its calendar days.  A range over several years adds each
    year's part (the amount is per year).  Weights are each >= 0 and sum to exactly 1.
    """
    months = _month_weights(weights)
    if end < start:
        return Fraction(0)
    share = Fraction(0)
    for year in range(start.year, end.year + 1):
        s, e = max(start, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
        if (s.month, s.day, e.month, e.day) == (1, 1, 12, 31):
            share += 1
            continue
        for month in range(s.month, e.month + 1):
            first, last = dt.date(year, month, 1), _month_end(year, month)
            piece = (min(e, last) - max(s, first)).days + 1
            share += months[month - 1] * piece / last.day
    return share


def rate_total(start: dt.date, end: dt.date, kind: str,
               segments: Sequence[tuple[dt.date, dt.date | None, Decimal]]) -> tuple[Fraction, int]:
    """Effective-dated values given per period of `kind`, totalled over `start`..`end` (inclusive).

    Each day d adds value_in_force(d) / days(period_of(kind, d)), so a whole period with one value gives that
    value and a change inside a period blends by days.  Segments are (start, end inclusive or None for
    open-ended, value) and do not overlap (the caller checks).  Returns (the total, the number of days in
    `start`..`end` that some segment covers).
    """
    _check_kind(kind)
    total, covered = Fraction(0), 0
    for s_start, s_end, value in segments:
        if s_end is not None and s_end < s_start:
            raise ValueError(f"segment {s_start.isoformat()}..{s_end.isoformat()} ends before it starts")
        s, e = max(s_start, start), min(end if s_end is None else s_end, end)
        if e < s:
            continue
        v = _fraction(value, "value")
        covered += (e - s).days + 1
        first, last = period_of(kind, s), period_of(kind, e)
        if first == last:
            total += v * ((e - s).days + 1) / first.days
            continue
        whole = _index(kind, last.start) - _index(kind, first.start) - 1
        total += v * ((first.end - s).days + 1) / first.days + v * ((e - last.start).days + 1) / last.days
        total += v * whole
    return total, covered


def to_decimal(f: Fraction) -> Decimal:
    """`f` as a Decimal in the engine's context (34 significant digits): exact when its decimal expansion
    terminates within that precision (1/4 -> 0.25), else rounded half-even to 34 digits."""
    with localcontext(CONTEXT) as ctx:
        return ctx.divide(Decimal(f.numerator), Decimal(f.denominator))
