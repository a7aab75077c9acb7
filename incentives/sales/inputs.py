"""Payee data from CSV and JSON: one row per payee, an `id` and the plan's inputs.

Every value is parsed by the input's declared type and checked against its
declared range and values.  Problems name the file, the row (as a spreadsheet
numbers it: the header is row 1) or the item, the column and what was
expected; all of them are reported at once, up to a limit.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

from dsl.check import InputInfo
from dsl.types import T

from incentives.engine import numbers
from incentives.errors import DataError, Problem
from .tables import Mapping, read_rows

MAX_PROBLEMS = 50
#: Digits before and after the decimal point a number in the data may have (exact Decimal arithmetic
#: runs with 34 significant digits; these leave room for rates and products).
MAX_WHOLE_DIGITS, MAX_FRACTION_DIGITS = 15, 10
ID_COLUMN = "id"

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


class ValueProblem(ValueError):
    pass


def text_id(raw: Any) -> str:
    """An id as text: a number exported as 1042 or 1042.0 reads as "1042"."""
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        d = Decimal(raw)
        return str(int(d)) if d == d.to_integral_value() else format(d, "f")
    return "" if raw is None else str(raw).strip()


def _decimal(text: str) -> Decimal:
    t = text.strip().replace("_", "")
    if _GROUPED.match(t):
        t = t.replace(",", "")
    if not _DECIMAL.match(t):
        raise ValueProblem("a decimal number such as 1250.50")
    return _sized(Decimal(t))


def _sized(d: Decimal) -> Decimal:
    if not d.is_finite():
        raise ValueProblem("a finite decimal number")
    sign, digits, exp = d.as_tuple()
    whole = len(digits) + exp
    if whole > MAX_WHOLE_DIGITS or -exp > MAX_FRACTION_DIGITS:
        raise ValueProblem(f"a number with at most {MAX_WHOLE_DIGITS} digits before the decimal point and "
                           f"{MAX_FRACTION_DIGITS} after it")
    return d


def parse_value(raw: Any, t: T) -> Any:
    """Turn a cell or JSON value into the plan's value for type t, or raise ValueProblem."""
    if isinstance(raw, bool):
        if t == T.BOOL:
            return raw
        raise ValueProblem(f"{t.value}, not true/false")
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        if t == T.DATE:
            return raw
        raise ValueProblem(f"{t.value}, not a date")
    if isinstance(raw, (int, Decimal)) and t == T.TEXT:
        return text_id(raw)  # an id exported as a number
    if isinstance(raw, (int, Decimal)) and t in (T.MONEY, T.NUMBER, T.COUNT, T.PERCENT):
        value = _sized(Decimal(raw))
    elif isinstance(raw, float):  # from the Python API; JSON is read with parse_float=Decimal
        raise ValueProblem("an exact decimal (Decimal or text), not a binary float")
    elif not isinstance(raw, str):
        raise ValueProblem(f"{t.value}, not {type(raw).__name__}")
    else:
        text = raw.strip()
        if t == T.TEXT:
            return text
        if t == T.BOOL:
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueProblem("true or false")
        if t == T.DATE:
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise ValueProblem("a date written YYYY-MM-DD") from None
        if t == T.PERCENT and text.endswith("%"):
            value = _decimal(text[:-1]).scaleb(-2)
        else:
            try:
                value = _decimal(text)
            except ValueProblem:
                if t == T.PERCENT:
                    raise ValueProblem("a percentage such as 85% or 0.85") from None
                if t == T.COUNT:
                    raise ValueProblem("a whole number such as 12") from None
                raise
    if t == T.COUNT and value != value.to_integral_value():
        raise ValueProblem("a whole number such as 12")
    if t in (T.TEXT, T.DATE):
        raise ValueProblem(f"{t.value}, not a number")
    return value


_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")


def reader(t: T) -> Callable[[Any], Any]:
    """`parse_value` for one column's type, with a fast path for the plain text a CSV cell holds
    (`1250.50`, `2026-01-31`, `North`) and the exact values a Parquet file gives (Decimal, date,
    bool); anything else takes the full path, with its messages."""
    if t == T.TEXT:
        return lambda raw: raw.strip() if raw.__class__ is str else parse_value(raw, t)
    if t == T.BOOL:
        return lambda raw: raw if raw.__class__ is bool else parse_value(raw, t)
    if t == T.DATE:
        def date(raw: Any) -> Any:
            if raw.__class__ is dt.date:
                return raw
            if raw.__class__ is str:
                try:
                    return dt.date.fromisoformat(raw.strip())
                except ValueError:
                    pass
            return parse_value(raw, t)
        return date
    if t in (T.MONEY, T.NUMBER):
        def number(raw: Any) -> Any:
            if raw.__class__ is str and _PLAIN_NUMBER.match(raw):
                return _sized(Decimal(raw))
            if raw.__class__ is Decimal:
                return _sized(raw)
            return parse_value(raw, t)
        return number
    return lambda raw: parse_value(raw, t)


def _show(v) -> str:
    if isinstance(v, Decimal):
        return numbers.number(v)
    return numbers.value(v, T.TEXT) if isinstance(v, str) else str(v)


def check_value(value: Any, info: InputInfo) -> None:
    if info.range is not None:
        lo, hi = info.range
        if not lo <= value <= hi:
            line = info.decl.span.line
            raise ValueProblem(f"a value from {_show(lo)} to {_show(hi)} (the range declared on plan line {line}); "
                               f"got {_show(value)}")
    if info.choices is not None and value not in info.choices:
        raise ValueProblem("one of " + ", ".join(_show(c) for c in info.choices) + f"; got {_show(value)}")


class _Problems:
    """Problems of one file (or, with payee=, of one payee's values given from Python: then no file)."""

    def __init__(self, file: str, payee: str | None = None):
        self.file = file
        self.payee = payee
        self.items: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            problem = Problem.at(self.file, where, message)
            if self.payee is not None:  # the text names the payee; the fields say payee, not file
                problem.file, problem.payee = None, self.payee or None
            self.items.append(problem)
        elif len(self.items) == MAX_PROBLEMS:
            self.items.append(Problem.at(self.file, "", "more problems not shown"))

    def raise_if_any(self) -> None:
        if self.items:
            raise DataError(self.items)


def _at(where: str, field: str, name: str) -> str:
    return f"{where}, {field} {name}" if where else f"{field} {name}"


def _rows(inputs: dict[str, InputInfo], records: Iterable[tuple[str, dict[str, Any]]],
          columns: list[str] | None, problems: _Problems, field: str = "column") -> list[tuple[str, dict[str, Any]]]:
    if columns is not None:
        if ID_COLUMN not in columns:
            problems.add("header", f"there is no `{ID_COLUMN}` column naming each payee")
        for name, info in inputs.items():
            if name not in columns and not info.has_default:
                close = difflib.get_close_matches(name, columns, n=1)
                hint = f" (is `{close[0]}` meant to be `{name}`?)" if close else ""
                problems.add("header", f"missing column `{name}` ({info.type.value}, required by plan line "
                                       f"{info.decl.span.line}){hint}")
        problems.raise_if_any()
    out: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, str] = {}
    for where, record in records:
        payee = text_id(record.get(ID_COLUMN))
        if not payee:
            problems.add(where, f"`{ID_COLUMN}` is empty: every payee needs an id")
            continue
        if payee in seen:
            problems.add(_at(where, field, ID_COLUMN), f"payee id `{payee}` appears twice (first at {seen[payee]})")
            continue
        seen[payee] = where
        values: dict[str, Any] = {}
        for name, info in inputs.items():
            raw = record.get(name)
            if raw is None or (isinstance(raw, str) and raw.strip() == ""):
                if info.has_default:
                    values[name] = info.default
                else:
                    problems.add(_at(where, field, name), f"no value; expected {info.type.value}")
                continue
            try:
                value = parse_value(raw, info.type)
                check_value(value, info)
            except ValueProblem as p:
                problems.add(_at(where, field, name), f"expected {p}")
                continue
            values[name] = value
        out.append((payee, values))
    problems.raise_if_any()
    return out


def check_inputs(values: dict[str, Any], inputs: dict[str, InputInfo], payee: str = "") -> dict[str, Any]:
    """One payee's values, given from Python, parsed and checked like a data row."""
    problems = _Problems(f"payee {payee}" if payee else "inputs", payee=payee)
    unknown = sorted(set(values) - set(inputs))
    for name in unknown:
        problems.add(f"input {name}", "the plan has no such input")
    problems.raise_if_any()
    (_, parsed), = _rows(inputs, [("", {ID_COLUMN: payee or "-", **values})], None, problems, field="input")
    return parsed


def load_payees(path: str | Path, inputs: dict[str, InputInfo],
                mapping: Mapping | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Payee rows from a .csv, .json or .parquet file, parsed and checked against the plan's inputs."""
    columns, rows = read_rows(path, mapping)
    return _rows(inputs, rows, columns, _Problems(str(path)))
