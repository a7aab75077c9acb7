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

Files are read through `dsl.source.read_file`: anything but a regular file (a directory, a FIFO,
a device, a socket), a missing file and a file over its size limit (`MAX_DATA_BYTES`, 2 GiB, for
data; `MAX_MAPPING_BYTES` for mappings) raise `DataFileError`, which is a `DataError` and an
`InputFileError` (exit code 2 on the command line).  A CSV row with more cells than the header, a
quote that is never closed, a cell over the csv module's size limit, a column named twice, a JSON
object with a key twice, JSON or TOML nested too deeply and text that is not Unicode (a lone
surrogate from JSON's "\\ud800") are data errors naming the file and the row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from dsl.source import InputFileError, check_file, read_file
from incentives.errors import DataError, Problem

Row = tuple[str, dict[str, Any]]

#: The largest data file (CSV, JSON, Parquet) read, in bytes; a larger one is refused unread.
MAX_DATA_BYTES = 2 * 1024 ** 3
#: The largest mapping file read, in bytes.
MAX_MAPPING_BYTES = 10 * 1024 ** 2


class DataFileError(InputFileError, DataError):
    """A data or mapping file that cannot be read at all: missing, not a regular file, too large.

    A `DataError` (so code catching data problems catches it) and an `InputFileError` (so the
    command line exits with 2, as for any file it cannot read)."""

    kind = "file"


def _read(path: str | Path, limit: int, what: str) -> bytes:
    return read_file(path, limit, what, DataFileError)


def read_data(path: str | Path) -> bytes:
    """A data file's bytes, within the size limit (`MAX_DATA_BYTES`), refusing what is not a file."""
    return _read(path, MAX_DATA_BYTES, "the data file")


def _fail(path: str | Path, where: str, message: str) -> DataError:
    return DataError([Problem.at(str(path), where, message)])


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
    data = _read(path, MAX_MAPPING_BYTES, "the mapping")
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise _fail(path, "", f"byte {e.start}: the mapping is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise DataError([Problem.at(str(path), "", f"not valid TOML: {e}")]) from None
    except RecursionError:
        raise _fail(path, "", "not a mapping: arrays or tables are nested too deeply") from None
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
        onto: dict[str, str] = {}
        for theirs, ours in columns.items():
            if ours in onto:
                raise _fail(path, "", f"[{table}.columns]: \"{onto[ours]}\" and \"{theirs}\" both map onto "
                                      f"column `{ours}`; map one export column onto each of ours")
            onto[ours] = theirs
        out[table] = Mapping(dict(columns), {k: dict(v) for k, v in values.items()}, date_format)
    return out


def read_rows(path: str | Path, mapping: Mapping | None = None) -> tuple[list[str] | None, Iterator[Row]]:
    """The columns (None for JSON, whose items name their own) and the rows of a data file."""
    path = Path(path)
    check_file(path, "the data file", DataFileError)  # missing, a directory, a FIFO: said before the format
    suffix = path.suffix.lower()
    mapping = mapping or Mapping()
    if suffix == ".json":
        return None, _json(path, mapping)
    if suffix in (".csv", ".txt"):
        return _csv(path, mapping)
    if suffix in (".parquet", ".pq"):
        return _parquet(path, mapping)
    raise DataError([Problem.at(str(path), "", f"unknown data format `{suffix}`: use .csv, .json or .parquet")])


def _columns(path: Path, names: list[str], mapping: Mapping, where: str = "header") -> list[str]:
    """The columns, renamed by the mapping: a name given twice (before or after renaming) is an error."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name and name in seen:
            raise _fail(path, where, f"column `{name}` appears twice (columns {seen[name]} and {i}); "
                                     f"which one holds the values?")
        seen.setdefault(name, i)
    columns = mapping.rename(names)
    renamed: dict[str, str] = {}
    for name, ours in zip(names, columns):
        if ours and ours in renamed:
            raise _fail(path, where, f"columns `{renamed[ours]}` and `{name}` both become `{ours}` through the "
                                     f"mapping; which one holds the values?")
        renamed.setdefault(ours, name)
    return columns


def _text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _fail(path, "", f"byte {e.start}: the file is not UTF-8 text; save it as UTF-8 "
                              f"(in Excel: CSV UTF-8)") from None


def _csv(path: Path, mapping: Mapping) -> tuple[list[str], Iterator[Row]]:
    """Rows numbered as a spreadsheet numbers them: the header is row 1 and every record counts,
    blank ones included (a cell holding a line break stays in its row)."""
    text = _text(path, _read(path, MAX_DATA_BYTES, "the data file"))
    eof = [False]

    def lines() -> Iterator[str]:
        yield from io.StringIO(text, newline="")
        eof[0] = True  # the reader asked for a line past the end

    reader = csv.reader(lines())
    row = 0  # the row of the last record read
    line = 0  # the file's line the last record ended on

    def problem(at: int, message: str) -> DataError:
        return _fail(path, f"row {at}", message)

    def record() -> list[str] | None:
        nonlocal row, line
        try:
            cells = next(reader)
        except StopIteration:
            return None
        except csv.Error as e:
            raise problem(row + 1, _csv_error(e, line + 1)) from None
        row += 1
        if eof[0]:  # the record ran into the end of the file: a quote was never closed
            raise problem(row, _unclosed(line + 1))
        line = reader.line_num
        return cells

    header = record()
    while header == []:  # blank lines above the header
        header = record()
    names = [c.strip() for c in header or []]
    columns = _columns(path, names, mapping, "header" if row <= 1 else f"header (row {row})")
    width = len(columns)

    def rows() -> Iterator[Row]:
        nonlocal row, line
        at = row
        try:
            for cells in reader:
                row = at = row + 1
                if eof[0]:
                    raise problem(at, _unclosed(line + 1))
                line = reader.line_num
                if not cells:
                    continue  # a blank line: counted, not read
                if len(cells) > width:
                    raise problem(at, f"{len(cells)} cells, but the header names {width} columns; a cell "
                                      f"holding a comma must be in quotes, such as \"1,250.00\"")
                values: dict[str, Any] = dict(zip(columns, cells))
                if len(cells) < width:
                    values.update((c, None) for c in columns[len(cells):])
                yield f"row {at}", _dates(mapping.apply(values, rename=False), mapping)  # the header is renamed
        except csv.Error as e:
            raise problem(at + 1, _csv_error(e, line + 1)) from None
    return columns, rows()


def _unclosed(line: int) -> str:
    return (f"a quote opens in this row (line {line} of the file) and is never closed, so every line "
            f"after it would be read as one cell; close the quote or remove it")


def _csv_error(e: csv.Error, line: int) -> str:
    if "field larger than field limit" in str(e):
        return (f"a cell is larger than the limit of {csv.field_size_limit():,} characters "
                f"(the row starts on line {line} of the file); is a quote left open?")
    return f"not valid CSV (the row starts on line {line} of the file): {e}"


def _no_constant(name: str):
    raise ValueError(f"`{name}` is not a number: write an exact decimal")


class _Repeated(dict):
    """A JSON object that named a key more than once (`repeated` lists them)."""

    repeated: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) == len(pairs):
        return d
    out = _Repeated(d)
    seen: set[str] = set()
    out.repeated = [k for k, _ in pairs if k in seen or seen.add(k)]
    return out


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _unicode(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _bad_value(value: Any, surrogates: bool) -> str | None:
    """What is wrong inside a JSON value (a repeated key, text that is not Unicode), or None."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if isinstance(v, _Repeated):
                return f"key `{_shown(v.repeated[0])}` appears twice in one object; which value is meant?"
            if surrogates:
                for k in v:
                    if not _unicode(k):
                        return f"the key `{_shown(k)}` is not Unicode text (it holds a lone surrogate)"
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif surrogates and isinstance(v, str) and not _unicode(v):
            return f"the text `{_shown(v)}` is not Unicode text (it holds a lone surrogate)"
    return None


def _shown(s: str) -> str:
    return s.encode("unicode_escape").decode("ascii") if not s.isprintable() else s


def _json(path: Path, mapping: Mapping) -> Iterator[Row]:
    text = _text(path, _read(path, MAX_DATA_BYTES, "the data file"))
    repeated = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        d = _object(pairs)
        if d.__class__ is _Repeated:
            repeated.append(d)
        return d
    try:
        doc = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant,
                         object_pairs_hook=hook)
    except json.JSONDecodeError as e:
        problem = Problem.at(str(path), "", f"line {e.lineno}, column {e.colno}: not valid JSON: {e.msg}")
        problem.line, problem.column = e.lineno, e.colno  # the place in the text, as fields too
        raise DataError([problem]) from None
    except RecursionError:
        raise _fail(path, "", "not a table: lists or objects are nested too deeply") from None
    except ValueError as e:
        raise DataError([Problem.at(str(path), "", f"{e}")]) from None
    surrogates = bool(_SURROGATE_ESCAPE.search(text))
    check = bool(repeated) or surrogates
    wrapper = None
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        wrapper, doc = (doc, lists[0]) if len(lists) == 1 else (None, doc)
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise DataError([Problem.at(str(path), "", f"expected a list of objects, or an object holding one such list")])
    if check:
        for i, r in enumerate(doc, start=1):
            if r.__class__ is _Repeated:
                raise _fail(path, f"item {i}", f"key `{_shown(r.repeated[0])}` appears twice; which value is meant?")
            for k, v in r.items():
                if surrogates and not _unicode(k):
                    raise _fail(path, f"item {i}", f"the key `{_shown(k)}` is not Unicode text (it holds a lone "
                                                   f"surrogate)")
                bad = _bad_value(v, surrogates)
                if bad is not None:
                    raise _fail(path, f"item {i}, column {_shown(k)}", bad)
        if wrapper is not None:
            bad = _bad_value({k: v for k, v in wrapper.items() if v is not doc}, surrogates)
            if bad is not None or isinstance(wrapper, _Repeated):
                raise _fail(path, "", bad or f"key `{_shown(wrapper.repeated[0])}` appears twice in one object")
    if mapping.columns:
        for i, r in enumerate(doc, start=1):
            _columns(path, list(r), mapping, f"item {i}")
    return ((f"item {i}", _dates(mapping.apply(r), mapping)) for i, r in enumerate(doc, start=1))


def _parquet(path: Path, mapping: Mapping) -> tuple[list[str], Iterator[Row]]:
    try:
        import pyarrow.parquet as pq
        import pyarrow.types as pa_types
    except ImportError:
        raise DataError([Problem.at(str(path), "", f"reading Parquet needs pyarrow: pip install 'incentives[parquet]'")]) from None
    data = _read(path, MAX_DATA_BYTES, "the data file")
    try:
        import pyarrow as pa
        table = pq.read_table(pa.BufferReader(data))
    except Exception as e:  # pyarrow raises many kinds; all mean the file is unreadable
        raise DataError([Problem.at(str(path), "", f"not a readable Parquet file: {e}")]) from None
    columns = _columns(path, list(table.column_names), mapping)
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
