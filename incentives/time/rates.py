"""Currency rates: the rate table a period run converts amounts with, and each conversion, exactly.

What this module owns:
  - `Rates`: a table of dated rates (`from`, `to`, `date`, `rate`), read from a CSV, JSON or Parquet
    file (`Rates.load`) or given from Python (`Rates.from_rows`), every row checked and located;
    `Rates.rate` finds the rate in force on a day: the latest row of the pair dated on or before it,
    else the latest row of the opposite pair, inverted in the engine's decimal context;
  - `Conversion`: one amount converted, with the rate, the rate's date and row, and whether it was
    inverted, so a statement can show where every converted amount came from.

Amounts are exact `Decimal`; a converted amount is not rounded here (the caller rounds it in the pay
currency).  `incentives.time.data` re-exports both names.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from dsl.currencies import is_currency
from dsl.types import T
from incentives.engine.numbers import CONTEXT
from incentives.errors import DataError, Problem
from incentives.sales.inputs import ValueProblem, _Problems, parse_value, text_id
from incentives.sales.tables import Mapping, read_rows

__all__ = ["RATE_COLUMNS", "RATE_PLACES", "Conversion", "Rates"]

#: The columns of a rate table, all required: a row says 1 `from` = `rate` `to`, from `date` on.
RATE_COLUMNS = ("from", "to", "date", "rate")
#: The most decimal places a rate may have (trailing zeros not counted).
RATE_PLACES = 8
#: The most digits a rate may have before its decimal point.
RATE_WHOLE_DIGITS = 15
#: What `Rates.from_rows` calls its rows' source in problems.
GIVEN = "the rates given"

_ONE = Decimal(1)
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Conversion:
    """One amount converted from `source` to `target` currency, with where its rate came from."""

    amount: Decimal  # in `source` currency
    converted: Decimal  # in `target` currency, not rounded: the caller rounds in the pay currency
    source: str
    target: str
    rate: Decimal  # the source -> target multiplier used (for an inverse, 1/rate in CONTEXT)
    date: dt.date  # the date of the rate row used
    inverse: bool  # True when only target -> source was given and it was inverted
    where: str  # the rate row's location, "rates.csv, row 3" ("" for the same currency)


def _places(d: Decimal) -> int:
    """Decimal places of d, trailing zeros not counted (computed from the digits: never rounded)."""
    _, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exp + zeros)) if any(digits) else 0


def _rate(raw: Any) -> Decimal:
    """A rate cell as an exact Decimal above 0 with at most `RATE_PLACES` places, or ValueProblem."""
    if isinstance(raw, str) and _PLAIN.match(raw.strip()):
        d = Decimal(raw.strip())
    elif isinstance(raw, Decimal) or (isinstance(raw, int) and not isinstance(raw, bool)):
        d = Decimal(raw)
    else:
        d = parse_value(raw, T.NUMBER)  # its message: a decimal number such as 1250.50, not a float, ...
    if not d.is_finite():
        raise ValueProblem("a finite rate")
    if d <= 0:
        raise ValueProblem(f"a rate above 0; got {d}")
    if _places(d) > RATE_PLACES:
        raise ValueProblem(f"a rate with at most {RATE_PLACES} decimal places; got {d}")
    if d.adjusted() >= RATE_WHOLE_DIGITS:
        raise ValueProblem(f"a rate with at most {RATE_WHOLE_DIGITS} digits before the decimal point; got {d}")
    return d


def _currency(raw: Any) -> str:
    """A currency cell: an active ISO 4217 code, or ValueProblem."""
    code = text_id(raw)
    if is_currency(code):
        return code
    hint = f" (codes are written in capitals: {code.upper()})" if is_currency(code.upper()) else ""
    raise ValueProblem(f"an ISO 4217 currency code such as USD or EUR; got \"{code}\"{hint}")


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _date(raw: Any) -> dt.date:
    return parse_value(raw, T.DATE)


_EXPECTED = {"from": "an ISO 4217 currency code such as USD", "to": "an ISO 4217 currency code such as EUR",
             "date": "a date written YYYY-MM-DD", "rate": "a rate above 0 such as 1.0850"}

_Row = tuple[Decimal, dt.date, str]  # rate, date, where


class Rates:
    """Dated currency rates, looked up by pair and day in O(log n)."""

    def __init__(self, table: dict[tuple[str, str], list[_Row]], file: str):
        """`table`: (from, to) -> rows sorted by date; `file` names the source in messages."""
        self.file = file
        self._rows = table
        self._dates = {pair: [d for _, d, _ in rows] for pair, rows in table.items()}

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def __repr__(self) -> str:
        return f"Rates({self.file!r}, {len(self)} rows)"

    @classmethod
    def load(cls, path: str | Path, mapping: Mapping | None = None) -> Rates:
        """The rate table of a .csv, .json or .parquet file: columns `from`, `to`, `date`, `rate`."""
        columns, rows = read_rows(path, mapping)
        problems = _Problems(str(path))
        if columns is not None:
            for name in RATE_COLUMNS:
                if name not in columns:
                    problems.add("header", f"missing column `{name}` (a rate table has the columns "
                                           f"{', '.join(RATE_COLUMNS)}: 1 `from` = `rate` `to`, from `date` on)")
            problems.raise_if_any()
        return cls._build(((where, record) for where, record in rows), problems, str(path))

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, dt.date, Decimal]], file: str = GIVEN) -> Rates:
        """Rates given from Python: (from, to, date, rate) tuples, checked as a file's rows are
        (problems name them `item 1`, `item 2`, ...)."""
        records = ((f"item {i}", dict(zip(RATE_COLUMNS, row))) for i, row in enumerate(rows, start=1))
        return cls._build(records, _Problems(file), file)

    @classmethod
    def _build(cls, records: Iterable[tuple[str, dict[str, Any]]], problems: _Problems, file: str) -> Rates:
        seen: dict[tuple[str, str, dt.date], str] = {}
        table: dict[tuple[str, str], list[_Row]] = {}
        for where, record in records:
            cells: dict[str, Any] = {}
            for name, parse in (("from", _currency), ("to", _currency), ("date", _date), ("rate", _rate)):
                raw = record.get(name)
                if _empty(raw):
                    problems.add(f"{where}, column {name}", f"no value; expected {_EXPECTED[name]}")
                    continue
                try:
                    cells[name] = parse(raw)
                except ValueProblem as p:
                    problems.add(f"{where}, column {name}", f"expected {p}")
            if len(cells) < len(RATE_COLUMNS):
                continue
            source, target, date, rate = (cells[name] for name in RATE_COLUMNS)
            if source == target:
                problems.add(f"{where}, column to", f"the rate converts {source} to {source}; a currency needs no "
                                                    f"rate to itself")
                continue
            key = (source, target, date)
            if key in seen:
                problems.add(f"{where}, column date", f"a second {source} to {target} rate dated {date} (the first "
                                                      f"is at {seen[key]}); which one is meant?")
                continue
            seen[key] = where
            table.setdefault((source, target), []).append((rate, date, f"{file}, {where}"))
        problems.raise_if_any()
        for rows in table.values():
            rows.sort(key=lambda r: r[1])
        return cls(table, file)

    def _latest(self, source: str, target: str, on: dt.date) -> _Row | None:
        dates = self._dates.get((source, target))
        if not dates:
            return None
        i = bisect.bisect_right(dates, on)
        return self._rows[(source, target)][i - 1] if i else None

    def _next(self, source: str, target: str, on: dt.date) -> dt.date | None:
        dates = self._dates.get((source, target)) or []
        i = bisect.bisect_right(dates, on)
        return dates[i] if i < len(dates) else None

    def rate(self, source: str, target: str, on: dt.date) -> tuple[Decimal, dt.date, bool, str]:
        """(rate, the rate row's date, inverted?, the row's location) converting source to target on `on`.

        The latest source -> target row dated on or before `on`; failing that, the latest
        target -> source row on or before `on`, inverted (1/rate in the engine's context); the same
        currency is (1, on, False, "").  No such row: a `DataError` naming the file."""
        if source == target:
            return _ONE, on, False, ""
        direct = self._latest(source, target, on)
        if direct is not None:
            rate, date, where = direct
            return rate, date, False, where
        opposite = self._latest(target, source, on)
        if opposite is not None:
            rate, date, where = opposite
            return CONTEXT.divide(_ONE, rate), date, True, where
        later = [d for d in (self._next(source, target, on), self._next(target, source, on)) if d is not None]
        message = f"no {source} to {target} rate on or before {on} in {self.file}"
        if later:
            message += f"; the earliest rate between them is dated {min(later)}"
        else:
            message += f" (no rate between {source} and {target} is given at all)"
        raise DataError([Problem(message, file=self.file)])

    def convert(self, amount: Decimal, source: str, target: str, on: dt.date) -> Conversion:
        """`amount` in `source` converted to `target` at the rate in force on `on` (not rounded)."""
        rate, date, inverse, where = self.rate(source, target, on)
        converted = amount if source == target else CONTEXT.multiply(amount, rate)
        return Conversion(amount, converted, source, target, rate, date, inverse, where)

