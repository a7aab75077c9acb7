"""The tables a period run reads beside people and deals, each row checked and located.

What this module owns:
  - plan assignments: who is on which plan from when to when (`load_assignments` for an assignments
    table, `assignments_from_people` for the people table's own `plan`/`hire_date`/`leave_date`
    columns), and the questions a period asks of them (`windows`, `terminated`);
  - effective-dated values, such as a quota that changes mid-year (`load_dated_values`, in a long or a
    wide layout), and the questions asked of them (`in_force`, `segments`);
  - holidays (`load_holidays`); currency rates are `incentives.time.rates` (`Rates`, `Conversion`), re-exported.

Every loader reads CSV, JSON or Parquet through `incentives.sales.tables.read_rows`; every problem
names the file, the row (or JSON item) and the column and says what was expected, and all the
problems of a file are reported at once in one `DataError`.  Dates are ISO `YYYY-MM-DD` (or a
mapping's `date_format`); every date range is inclusive, and an end of None means open-ended.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsl.check import InputInfo
from dsl.types import T
from incentives.sales.inputs import (
    ID_COLUMN,
    ValueProblem,
    _Problems,
    check_value,
    parse_value,
    text_id,
)
from incentives.sales.tables import Mapping, read_rows

from .rates import Conversion, Rates

__all__ = [
    "ASSIGNMENT_COLUMNS", "Assignment", "Conversion", "DatedValue", "Rates", "assignments_from_people",
    "in_force", "load_assignments", "load_dated_values", "load_holidays", "segments", "terminated", "windows",
]

#: The columns of an assignments table (`end` may be left out: every assignment is then open-ended).
ASSIGNMENT_COLUMNS = ("person", "plan", "start", "end")
#: The people table's columns that say who is on which plan when; each date has two accepted names.
PEOPLE_PLAN, PEOPLE_START, PEOPLE_END = "plan", ("hire_date", "start_date"), ("leave_date", "end_date")
#: The separator of several plans in one cell of the people table's `plan` column.
PLAN_SEPARATOR = ";"
#: The columns of a dated-values table: the long layout (one value a row) and the wide one's own.
LONG_COLUMNS, WIDE_COLUMNS = ("person", "name", "value", "start", "end"), ("person", "start", "end")

_DATE = "a date written YYYY-MM-DD"


@dataclass(frozen=True)
class Assignment:
    """A person on a plan from `start` to `end`, both inclusive (None: open at that side)."""

    person: str
    plan: str  # the plan's name as written in its header
    start: dt.date | None
    end: dt.date | None
    where: str  # "assignments.csv, row 4"


@dataclass(frozen=True)
class DatedValue:
    """A plan input's value for a person from `start` to `end` (inclusive; None: open-ended)."""

    person: str
    name: str
    value: Any
    start: dt.date
    end: dt.date | None
    where: str  # "quotas.csv, row 4"


# --- reading cells -----------------------------------------------------------------------------------------------

def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _date(raw: Any, mapping: Mapping | None) -> dt.date:
    """A date cell: ISO `YYYY-MM-DD`, or the mapping's `date_format`; ValueProblem otherwise."""
    fmt = mapping.date_format if mapping is not None else None
    if fmt and isinstance(raw, str):
        try:
            return dt.datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            pass
    try:
        return parse_value(raw, T.DATE)
    except ValueProblem:
        if fmt:
            raise ValueProblem(f"a date written {fmt} (the mapping's date_format) or YYYY-MM-DD") from None
        raise


def _read_date(record: dict[str, Any], column: str, where: str, mapping: Mapping | None, problems: _Problems,
               required: bool) -> tuple[bool, dt.date | None]:
    """(read?, the date) of one cell; a problem added where it is not a date (or is empty and required)."""
    raw = record.get(column)
    if _empty(raw):
        if required:
            problems.add(f"{where}, column {column}", f"no value; expected {_DATE}")
        return not required, None
    try:
        return True, _date(raw, mapping)
    except ValueProblem as p:
        problems.add(f"{where}, column {column}", f"expected {p}")
        return False, None


def _dates(record: dict[str, Any], where: str, mapping: Mapping | None,
            problems: _Problems) -> tuple[bool, dt.date | None, dt.date | None]:
    """(read?, start, end) of a row's required `start` and optional `end`; an end before the start is a problem."""
    got_start, start = _read_date(record, "start", where, mapping, problems, required=True)
    got_end, end = _read_date(record, "end", where, mapping, problems, required=False)
    if start and end and end < start:
        problems.add(f"{where}, column end", f"the end {end} is before the start {start}")
        return False, start, end
    return got_start and got_end, start, end


def _person(record: dict[str, Any], where: str, people: Collection[str], problems: _Problems) -> str | None:
    """A row's `person`: an id in the people table, or None (and a problem)."""
    person = text_id(record.get("person"))
    if not person:
        problems.add(f"{where}, column person", "no value; expected a person's id")
    elif person not in people:
        problems.add(f"{where}, column person", f"no person with id `{person}` in the people table")
    return person if person and person in people else None


def _rows(path: str | Path, mapping: Mapping | None) -> tuple[set[str], bool, list[tuple[str, dict[str, Any]]]]:
    """(the columns, whether they come from a header, the rows): a JSON file's columns are its items' keys."""
    columns, rows = read_rows(path, mapping)
    listed = list(rows)
    if columns is not None:
        return {c for c in columns if c}, True, listed
    return {k for _, record in listed for k in record}, False, listed


def _missing(names: Iterable[str], columns: set[str], header: bool, problems: _Problems, what: str) -> None:
    """A header problem for each required column not there (a JSON item's missing key is an empty cell)."""
    if header:
        for name in names:
            if name not in columns:
                problems.add("header", f"missing column `{name}` ({what})")
        problems.raise_if_any()


def _unknown(kind: str, name: str, known: Collection[str], q: str = '"') -> str:
    """'no plan named "X"; did you mean "Y"?' (difflib, case ignored), else the names there are."""
    names = sorted(set(known))
    lower: dict[str, str] = {}
    for n in names:
        lower.setdefault(n.lower(), n)
    close = [lower[c] for c in difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)]
    head = f"no {kind} named {q}{name}{q}"
    if close:
        return head + "; did you mean " + " or ".join(f"{q}{c}{q}" for c in close) + "?"
    if not names:
        return head + f" (there is no {kind} at all)"
    shown = ", ".join(f"{q}{n}{q}" for n in names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return head + f"; expected one of {shown}"


def _span(start: dt.date | None, end: dt.date | None) -> str:
    return f"{start or 'the beginning'} to {end or 'open-ended'}"


def _overlaps(spans: list[tuple[dt.date | None, dt.date | None, int, str]]) -> list[tuple[tuple, tuple, str]]:
    """Pairs of spans (start, end, order, where) of one key that share a day: (earlier row, later row, the
    days shared).  Sorted by start, each span is checked against the one reaching furthest before it."""
    out = []
    reach = None
    for span in sorted(spans, key=lambda s: (s[0] or dt.date.min, s[2])):
        start, end = span[0] or dt.date.min, span[1]
        if reach is not None and (reach[1] is None or start <= reach[1]):
            first, second = sorted((reach, span), key=lambda s: s[2])
            ends = [e for e in (reach[1], end) if e is not None]
            out.append((first, second, _span(span[0], min(ends) if ends else None)))  # span starts last
        if reach is None or (reach[1] is not None and (end is None or end > reach[1])):
            reach = span
    return out


# --- assignments -------------------------------------------------------------------------------------------------

def load_assignments(path: str | Path, people: Collection[str], plans: Collection[str],
                     mapping: Mapping | None = None) -> list[Assignment]:
    """An assignments table: `person`, `plan` (its name as written in the plan header), `start` and, optionally,
    `end` (empty: open-ended), in the file's order.  Unknown people and plans, an end before its start and two
    overlapping assignments of one person to one plan are problems."""
    columns, header, rows = _rows(path, mapping)
    problems = _Problems(str(path))
    _missing(ASSIGNMENT_COLUMNS[:3], columns, header, problems, "an assignments table has the columns "
             "person, plan, start and, optionally, end")
    spans: list[tuple[Assignment, str]] = []
    for where, record in rows:
        person, plan = _person(record, where, people, problems), text_id(record.get("plan"))
        if not plan:
            problems.add(f"{where}, column plan", "no value; expected a plan's name")
        elif plan not in plans:
            problems.add(f"{where}, column plan", _unknown("plan", plan, plans))
        ok, start, end = _dates(record, where, mapping, problems)
        if ok and person and plan in plans:
            spans.append((Assignment(person, plan, start, end, f"{path}, {where}"), where))
    _check_assignments(spans, problems, "start")
    problems.raise_if_any()
    return [a for a, _ in spans]


def _check_assignments(spans: list[tuple[Assignment, str]], problems: _Problems, start: str) -> None:
    """A problem for each two assignments of one person to one plan that share a day, naming both rows."""
    by_key: dict[tuple[str, str], list[tuple[dt.date | None, dt.date | None, int, str]]] = {}
    for i, (a, where) in enumerate(spans):
        by_key.setdefault((a.person, a.plan), []).append((a.start, a.end, i, where))
    for (person, plan), items in by_key.items():
        for first, second, shared in _overlaps(items):
            problems.add(f"{second[3]}, column {start}",
                         f"`{person}` is on plan \"{plan}\" from {_span(second[0], second[1])} here and from "
                         f"{_span(first[0], first[1])} at {first[3]}; the two overlap from {shared}")


def assignments_from_people(path: str | Path, plans: Collection[str],
                            mapping: Mapping | None = None) -> list[Assignment] | None:
    """Assignments from the people table's own columns: `plan` (plan names, several separated by ";"; empty: on
    no plan), `hire_date` (or `start_date`) and `leave_date` (or `end_date`), empty dates being open.  Without a
    `plan` column each person is on every plan from hire to leave.  None when the table has none of these
    columns: then everyone is on every plan.  Checked as `load_assignments` checks its rows."""
    columns, header, rows = _rows(path, mapping)
    named = {PEOPLE_PLAN, *PEOPLE_START, *PEOPLE_END} & columns
    if not named:
        return None
    problems = _Problems(str(path))
    start_col, end_col = (_pick(names, columns, header, problems) for names in (PEOPLE_START, PEOPLE_END))
    problems.raise_if_any()
    every = sorted(set(plans))
    spans: list[tuple[Assignment, str]] = []
    for where, record in rows:
        person = text_id(record.get(ID_COLUMN))
        if not person:
            continue  # the people loader says so
        (got_start, start, scol), (got_end, end, ecol) = (
            _person_date(record, where, names, col, header, mapping, problems)
            for names, col in ((PEOPLE_START, start_col), (PEOPLE_END, end_col)))
        if got_start and got_end and start and end and end < start:
            problems.add(f"{where}, column {ecol}", f"the {ecol.replace('_', ' ')} {end} is before the "
                                                    f"{scol.replace('_', ' ')} {start}")
            continue
        on = every if PEOPLE_PLAN not in columns else _plans(record.get(PEOPLE_PLAN), where, plans, problems)
        if on is None or not (got_start and got_end):
            continue
        spans.extend((Assignment(person, plan, start, end, f"{path}, {where}"), where) for plan in on)
    _check_assignments(spans, problems, start_col or PEOPLE_PLAN)
    problems.raise_if_any()
    return [a for a, _ in spans]


def _pick(names: tuple[str, str], columns: set[str], header: bool, problems: _Problems) -> str | None:
    """Which of a date's two accepted column names the table uses (None: neither)."""
    there = [n for n in names if n in columns]
    if len(there) == 2 and header:
        problems.add("header", f"both `{names[0]}` and `{names[1]}` columns are given; keep one")
    return there[0] if there else None


def _person_date(record: dict[str, Any], where: str, names: tuple[str, str], column: str | None, header: bool,
                 mapping: Mapping | None, problems: _Problems) -> tuple[bool, dt.date | None, str]:
    """(read?, the date, its column) of a person's hire or leave date: a CSV header fixes the column; a JSON
    item may use either name, not both."""
    if not header:
        given = [n for n in names if not _empty(record.get(n))]
        if len(given) == 2:
            problems.add(f"{where}, column {names[1]}", f"both `{names[0]}` and `{names[1]}` are given; keep one")
        column = given[0] if given else None
    if column is None:
        return True, None, names[0]
    return (*_read_date(record, column, where, mapping, problems, required=False), column)


def _plans(raw: Any, where: str, plans: Collection[str], problems: _Problems) -> list[str] | None:
    """The plans one cell names (empty: none); None when one of them is not a plan."""
    names = [n.strip() for n in text_id(raw).split(PLAN_SEPARATOR)]
    out: list[str] = []
    ok = True
    for name in filter(None, names):
        if name not in plans:
            problems.add(f"{where}, column {PEOPLE_PLAN}", _unknown("plan", name, plans))
            ok = False
        elif name in out:
            problems.add(f"{where}, column {PEOPLE_PLAN}", f"plan \"{name}\" is named twice")
            ok = False
        else:
            out.append(name)
    return out if ok else None


def windows(assignments: Iterable[Assignment], plan: str, start: dt.date,
            end: dt.date) -> dict[str, list[tuple[dt.date, dt.date]]]:
    """Each person on `plan` on some day of [start, end]: their assignment windows clipped to [start, end],
    sorted (people in id order)."""
    out: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for a in (a for a in assignments if a.plan == plan):
        lo = start if a.start is None else max(a.start, start)
        hi = end if a.end is None else min(a.end, end)
        if lo <= hi:
            out.setdefault(a.person, []).append((lo, hi))
    return {person: sorted(out[person]) for person in sorted(out)}


def terminated(assignments: Iterable[Assignment], person: str, start: dt.date, end: dt.date) -> bool:
    """Whether the person's last day on any plan (the latest end of their assignments; an open one: never)
    falls in [start, end]."""
    ends = [a.end for a in assignments if a.person == person]
    return bool(ends) and None not in ends and start <= max(e for e in ends if e is not None) <= end


# --- effective-dated values ----------------------------------------------------------------------------------------

def load_dated_values(path: str | Path, people: Collection[str], inputs: dict[str, InputInfo],
                      mapping: Mapping | None = None) -> dict[tuple[str, str], list[DatedValue]]:
    """Effective-dated values of the plan's inputs per (person, input), each list sorted by start.

    Long layout (a `name` and a `value` column): person, name, value, start, end (optional).  Wide layout
    (any other header): person, start, end (optional) and one column per input, an empty cell giving no
    value.  Values are parsed with the input's type and checked against its range and listed values."""
    columns, header, rows = _rows(path, mapping)
    problems = _Problems(str(path))
    long = "name" in columns and "value" in columns
    if long:
        _missing(LONG_COLUMNS[:4], columns, header, problems,
                 "the long layout has the columns person, name, value, start and, optionally, end")
    else:
        _missing(("person", "start"), columns, header, problems, "the columns are person, start, end (optional) "
                 "and one per plan input; or person, name, value, start, end")
        if not columns & set(inputs):
            where = "header" if header else ""
            problems.add(where, "no column names a plan input; expected a column for each dated input ("
                                + ", ".join(f"`{n}`" for n in sorted(inputs)) + "), or the long layout: person, "
                                "name, value, start, end")
        if header:
            for c in sorted(columns - set(WIDE_COLUMNS) - set(inputs)):
                problems.add(f"header, column {c}", _unknown("plan input", c, inputs, "`"))
        problems.raise_if_any()
    spans: list[tuple[DatedValue, str]] = []
    reported: set[str] = set()
    for where, record in rows:
        person = _person(record, where, people, problems)
        ok, start, end = _dates(record, where, mapping, problems)
        if long:
            values = _long_value(record, where, inputs, problems)
        else:
            values = _wide_values(record, where, inputs, problems, header, reported)
        if ok and person and start is not None:
            spans.extend((DatedValue(person, name, value, start, end, f"{path}, {where}"), where)
                         for name, value in values)
    out: dict[tuple[str, str], list[tuple[DatedValue, str]]] = {}
    for value, where in spans:
        out.setdefault((value.person, value.name), []).append((value, where))
    for (person, name), values in out.items():
        items = [(v.start, v.end, i, w) for i, (v, w) in enumerate(values)]
        for first, second, shared in _overlaps(items):
            column = "start" if long else name
            problems.add(f"{second[3]}, column {column}",
                         f"`{name}` of `{person}` is given from {_span(second[0], second[1])} here and from "
                         f"{_span(first[0], first[1])} at {first[3]}; the two overlap from {shared}")
    problems.raise_if_any()
    return {key: sorted((v for v, _ in values), key=lambda v: v.start) for key, values in out.items()}


def _parsed(raw: Any, info: InputInfo) -> Any:
    check_value(value := parse_value(raw, info.type), info)
    return value


def _long_value(record: dict[str, Any], where: str, inputs: dict[str, InputInfo],
                problems: _Problems) -> list[tuple[str, Any]]:
    """The one (input, value) of a long-layout row ([] where it has a problem)."""
    name, raw = text_id(record.get("name")), record.get("value")
    if not name:
        problems.add(f"{where}, column name", "no value; expected a plan input's name")
        return []
    info = inputs.get(name)
    if info is None:
        problems.add(f"{where}, column name", _unknown("plan input", name, inputs, "`"))
        return []
    if _empty(raw):
        problems.add(f"{where}, column value", f"no value; expected {info.type.value} for `{name}`")
        return []
    try:
        return [(name, _parsed(raw, info))]
    except ValueProblem as p:
        problems.add(f"{where}, column value", f"expected {p}")
        return []


def _wide_values(record: dict[str, Any], where: str, inputs: dict[str, InputInfo], problems: _Problems,
                 header: bool, reported: set[str]) -> list[tuple[str, Any]]:
    """The (input, value) pairs of a wide-layout row: one per non-empty input column."""
    out = []
    if not header:  # a JSON item names its own keys: an unknown one is reported where first seen
        for key in record:
            if key not in inputs and key not in WIDE_COLUMNS and key not in reported:
                reported.add(key)
                problems.add(f"{where}, column {key}", _unknown("plan input", key, inputs, "`"))
    for name, info in inputs.items():
        raw = record.get(name)
        if _empty(raw):
            continue
        try:
            out.append((name, _parsed(raw, info)))
        except ValueProblem as p:
            problems.add(f"{where}, column {name}", f"expected {p}")
    return out


def in_force(values: list[DatedValue], on: dt.date) -> DatedValue | None:
    """The value whose range holds `on` (`values` sorted by start, as `load_dated_values` gives them), or None."""
    i = bisect.bisect_right(values, on, key=lambda v: v.start)
    v = values[i - 1] if i else None
    return v if v is not None and (v.end is None or on <= v.end) else None


def segments(values: list[DatedValue]) -> list[tuple[dt.date, dt.date | None, Any]]:
    """(start, end, value) of each value, in order of start."""
    return [(v.start, v.end, v.value) for v in sorted(values, key=lambda v: v.start)]


# --- holidays ----------------------------------------------------------------------------------------------------

def load_holidays(path: str | Path, mapping: Mapping | None = None) -> frozenset[dt.date]:
    """The days of a holidays table: column `date` (any other column, such as `name`, is ignored)."""
    columns, header, rows = _rows(path, mapping)
    problems = _Problems(str(path))
    _missing(("date",), columns, header, problems, "a holidays table has one date a row, YYYY-MM-DD")
    days = set()
    for where, record in rows:
        ok, day = _read_date(record, "date", where, mapping, problems, required=True)
        if ok and day is not None:
            days.add(day)
    problems.raise_if_any()
    return frozenset(days)
