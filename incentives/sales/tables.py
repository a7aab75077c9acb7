"""Reading tabular data: CSV, JSON and Parquet files as rows, each with its location.

Every row comes back as (where, record): where names the row the way a person
finds it (`row 7` of a CSV or Parquet file, counting the header as row 1;
`item 3` of a JSON list).  A column mapping renames an export's columns to
ours and translates values, so a CRM export can be used as it is::

    # mapping.toml
    [deals.columns]
    "Opportunity ID" = "id"
    "Opportunity Owner" = "owner"
    "Amount" = "amount"
    "Close Date" = "date"
    "Stage" = "status"

    [deals.values.status]
    "Closed Won" = "won"
    "Closed Lost" = "cancelled"

    [deals]
    date_format = "%m/%d/%Y"
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from incentives.errors import DataError, Problem

Row = tuple[str, dict[str, Any]]


@dataclass
class Mapping:
    """How one table of an export maps onto ours."""

    columns: dict[str, str] = field(default_factory=dict)  # their column -> ours
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # our column -> their value -> ours
    date_format: str | None = None

    def apply(self, record: dict[str, Any], rename: bool = True) -> dict[str, Any]:
        out = {self.columns.get(k, k): v for k, v in record.items()} if rename else dict(record)
        for column, table in self.values.items():
            v = out.get(column)
            if isinstance(v, str) and v.strip() in table:
                out[column] = table[v.strip()]
        return out

    def rename(self, columns: list[str]) -> list[str]:
        return [self.columns.get(c, c) for c in columns]


def load_mapping(path: str | Path) -> dict[str, Mapping]:
    """A mapping file: one TOML table per data table (deals, people, splits)."""
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise DataError([Problem.at(str(path), "", f"cannot read the mapping: {e}")]) from None
    except tomllib.TOMLDecodeError as e:
        raise DataError([Problem.at(str(path), "", f"not valid TOML: {e}")]) from None
    out = {}
    for table, spec in doc.items():
        if not isinstance(spec, dict):
            raise DataError([Problem.at(str(path), "", f"[{table}] must be a table of settings")])
        unknown = set(spec) - {"columns", "values", "date_format"}
        if unknown:
            raise DataError([Problem.at(str(path), "", f"[{table}]: unknown setting {', '.join(sorted(unknown))}; "
                             f"expected columns, values, date_format")])
        columns, values, date_format = spec.get("columns", {}), spec.get("values", {}), spec.get("date_format")
        if not (isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values())):
            raise DataError([Problem.at(str(path), "", f"[{table}.columns] maps export column names to ours: \"Their name\" = \"ours\"")])
        if not (isinstance(values, dict) and all(isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
                                                 for v in values.values())):
            raise DataError([Problem.at(str(path), "", f"[{table}.values.COLUMN] maps export values to ours: \"Closed Won\" = \"won\"")])
        if date_format is not None and not isinstance(date_format, str):
            raise DataError([Problem.at(str(path), "", f"[{table}] date_format is text such as \"%m/%d/%Y\"")])
        out[table] = Mapping(dict(columns), {k: dict(v) for k, v in values.items()}, date_format)
    return out


def read_rows(path: str | Path, mapping: Mapping | None = None) -> tuple[list[str] | None, Iterator[Row]]:
    """The columns (None for JSON, whose items name their own) and the rows of a data file."""
    path = Path(path)
    suffix = path.suffix.lower()
    mapping = mapping or Mapping()
    if suffix == ".json":
        return None, _json(path, mapping)
    if suffix in (".csv", ".txt"):
        return _csv(path, mapping)
    if suffix in (".parquet", ".pq"):
        return _parquet(path, mapping)
    raise DataError([Problem.at(str(path), "", f"unknown data format `{suffix}`: use .csv, .json or .parquet")])


def _csv(path: Path, mapping: Mapping) -> tuple[list[str], Iterator[Row]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError([Problem.at(str(path), "", f"byte {e.start}: the file is not UTF-8 text; save it as UTF-8 "
                         f"(in Excel: CSV UTF-8)")]) from None
    except OSError as e:
        raise DataError([Problem.at(str(path), "", f"cannot read: {e.strerror}")]) from None
    reader = csv.DictReader(text.splitlines())
    columns = mapping.rename([c.strip() for c in (reader.fieldnames or [])])
    reader.fieldnames = columns

    def rows() -> Iterator[Row]:
        for i, record in enumerate(reader, start=2):
            yield f"row {i}", _dates(mapping.apply(record, rename=False), mapping)  # the header is renamed
    return columns, rows()


def _no_constant(name: str):
    raise ValueError(f"`{name}` is not a number: write an exact decimal")


def _json(path: Path, mapping: Mapping) -> Iterator[Row]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=Decimal, parse_int=Decimal,
                         parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise DataError([Problem.at(str(path), "", f"line {e.lineno}, column {e.colno}: not valid JSON: {e.msg}")]) from None
    except UnicodeDecodeError as e:
        raise DataError([Problem.at(str(path), "", f"byte {e.start}: the file is not UTF-8 text")]) from None
    except OSError as e:
        raise DataError([Problem.at(str(path), "", f"cannot read: {e.strerror}")]) from None
    except ValueError as e:
        raise DataError([Problem.at(str(path), "", f"{e}")]) from None
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        doc = lists[0] if len(lists) == 1 else doc
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise DataError([Problem.at(str(path), "", f"expected a list of objects, or an object holding one such list")])
    return ((f"item {i}", _dates(mapping.apply(r), mapping)) for i, r in enumerate(doc, start=1))


def _parquet(path: Path, mapping: Mapping) -> tuple[list[str], Iterator[Row]]:
    try:
        import pyarrow.parquet as pq
        import pyarrow.types as pa_types
    except ImportError:
        raise DataError([Problem.at(str(path), "", f"reading Parquet needs pyarrow: pip install 'incentives[parquet]'")]) from None
    try:
        table = pq.read_table(path)
    except Exception as e:  # pyarrow raises many kinds; all mean the file is unreadable
        raise DataError([Problem.at(str(path), "", f"not a readable Parquet file: {e}")]) from None
    columns = mapping.rename(table.column_names)
    # only binary-float and timestamp columns need `_exact`; the others arrive as exact values
    inexact = [name for name, typ in zip(table.column_names, table.schema.types)
               if pa_types.is_floating(typ) or pa_types.is_timestamp(typ)]
    plain = not mapping.columns and not mapping.values

    def rows() -> Iterator[Row]:
        for i, record in enumerate(table.to_pylist(), start=2):
            for name in inexact:
                record[name] = _exact(record[name])
            yield f"row {i}", _dates(record if plain else mapping.apply(record), mapping)
    return columns, rows()


def _exact(v: Any) -> Any:
    """Parquet doubles are binary floats: pass them on as text of their shortest repr, never as float."""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.date()
    return v


def _dates(record: dict[str, Any], mapping: Mapping) -> dict[str, Any]:
    if mapping.date_format is None:
        return record
    out = dict(record)
    for k, v in record.items():
        if isinstance(v, str) and k in ("date", "hire_date", "leave_date"):
            try:
                out[k] = dt.datetime.strptime(v.strip(), mapping.date_format).date()
            except ValueError:
                pass  # left as text: the column's parser reports it with its row
    return out
