"""Tables in and out: a pyarrow table (or a polars frame) of payees to columns, results to a table.

In: one row per payee, an `id` column and the plan's inputs by name.  Numbers come as decimal128
(or decimal256) or integer columns and are read as exact int64 fixed point straight from the
Arrow buffers; text as strings, dates as date32, true/false as booleans.  A float column is
refused, as floats are in the Python API: a binary float is not an exact amount.  Every value is
checked as a data file's are (declared ranges and values, digits, missing values); rows that fail
the quick checks are read again by the data loader's own checks, so the messages are the same
(the row, the column, what was expected).

Out: a pyarrow table with `id`, one decimal column per component and `total` (decimal128 at the
amounts' scale: exact, never float), and one boolean column per award (`award_<name>`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dsl.types import T
from incentives.errors import DataError, Problem
from incentives.sales.inputs import (
    MAX_FRACTION_DIGITS,
    MAX_WHOLE_DIGITS,
    _Problems,
    _rows,
)

from . import values as V
from .expr import constant
from .values import Day, Flag, Num, Text, Value

NUMERIC = (T.MONEY, T.PERCENT, T.NUMBER, T.COUNT)
LIMIT = 10 ** MAX_WHOLE_DIGITS


def as_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if hasattr(table, "to_arrow"):  # polars
        return table.to_arrow()
    if isinstance(table, pa.RecordBatch):
        return pa.Table.from_batches([table])
    raise DataError([Problem("table: expected a pyarrow Table or a polars DataFrame, got "
                             f"{type(table).__name__}", code="data")])


def _array(col: pa.ChunkedArray) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def decimal_ints(arr: pa.Array) -> tuple[np.ndarray, int, np.ndarray]:
    """The unscaled int64 values of a decimal column, its scale, and the rows that do not fit int64."""
    t = arr.type
    width = 2 if pa.types.is_decimal128(t) else 4
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset * width:(arr.offset + len(arr)) * width]
    words = words.reshape(-1, width)
    lo = words[:, 0].copy()
    sign = lo >> 63
    too_big = np.zeros(len(arr), dtype=bool)
    for k in range(1, width):
        too_big |= words[:, k] != sign
    return lo, t.scale, too_big


def numeric_column(arr: pa.Array, name: str) -> tuple[Num, np.ndarray]:
    """(column, rows needing the slow checks).  Nulls are left to the caller."""
    t = arr.type
    if pa.types.is_decimal(t):
        v, scale, odd = decimal_ints(arr)
        if scale < 0:
            odd = odd | (np.abs(v) >= V.SAFE // 10 ** (-scale))
            v, scale = np.where(odd, 0, v) * 10 ** (-scale), 0
        if scale > MAX_FRACTION_DIGITS:  # more digits than a data file may give: refused by the checks
            return Num(np.zeros(len(arr), dtype=np.int64), 0), np.ones(len(arr), dtype=bool)
        return Num(np.where(odd, 0, v), scale), odd | (np.abs(v) >= LIMIT * V.TEN[scale])
    if pa.types.is_integer(t):
        raw = arr.fill_null(0).to_numpy(zero_copy_only=False)
        if raw.dtype == np.uint64:
            odd = raw >= np.uint64(V.SAFE)
            v = np.where(odd, np.uint64(0), raw).astype(np.int64)
        else:
            v = raw.astype(np.int64)
            odd = np.zeros(len(v), dtype=bool)
        return Num(v, 0), odd | (np.abs(v) >= LIMIT)
    if pa.types.is_floating(t):
        raise DataError([Problem(f"table: column {name}: {t} is a binary float, not an exact amount; give "
                                 f"decimal128 or integer minor units (pyarrow: pa.decimal128(18, 2); "
                                 f"polars: pl.Decimal(18, 2))", code="data", field=name)])
    if pa.types.is_string(t) or pa.types.is_large_string(t):  # text: read by the loader's parser
        raw = arr.to_pylist()
        from incentives.sales.inputs import ValueProblem, parse_value
        out, odd = np.zeros(len(raw), dtype=np.int64), np.zeros(len(raw), dtype=bool)
        parsed: list[Decimal | None] = []
        for i, x in enumerate(raw):
            try:
                parsed.append(parse_value(x, T.NUMBER) if x is not None else None)
            except ValueProblem:
                parsed.append(None)
                odd[i] = True
        scale = max((max(0, -d.as_tuple().exponent) for d in parsed if d is not None), default=0)
        for i, d in enumerate(parsed):
            if d is not None:
                x = unscaled(d, scale)
                if abs(x) < V.SAFE:
                    out[i] = x
                else:
                    odd[i] = True
        return Num(out, scale), odd
    raise DataError([Problem(f"table: column {name}: expected numbers, got {t}", code="data", field=name)])


def read_columns(table: pa.Table, inputs: dict, id_column: str = "id",
                 hand_over: np.ndarray | None = None) -> tuple[pa.Array, dict[str, Value]]:
    """Payee ids (an Arrow string array) and input columns, checked; a DataError names every problem
    found.  Rows whose values are right but do not fit the columns' int64 (25 digits, say) are set
    in `hand_over` (a bool array the caller gives): the row evaluator reads them from the table."""
    names = table.column_names
    n = table.num_rows
    suspect = np.zeros(n, dtype=bool)
    problems = _Problems("table")
    if id_column not in names:
        problems.add("header", f"there is no `{id_column}` column naming each payee")
    for name, info in inputs.items():
        if name not in names and not info.has_default:
            problems.add("header", f"missing column `{name}` ({info.type.value}, required by plan line "
                                   f"{info.decl.span.line})")
    problems.raise_if_any()
    ids = pc.utf8_trim_whitespace(pc.cast(_array(table.column(id_column)), pa.string()))
    empty = pc.fill_null(pc.equal(ids, ""), True)
    if pc.any(empty).as_py():
        suspect |= empty.to_numpy(zero_copy_only=False)
    if n > 1:  # duplicates: neighbours in id order (a sort is faster here than hashing strings)
        order = pc.sort_indices(ids)
        ordered = ids.take(order)
        same = pc.equal(ordered.slice(1), ordered.slice(0, n - 1))
        if pc.any(same).as_py():
            o = order.to_numpy()
            for k in np.flatnonzero(np.asarray(same.fill_null(False).to_numpy(zero_copy_only=False)))[:50]:
                first, again = sorted((int(o[k]), int(o[k + 1])))
                problems.add(f"row {again + 1}, column {id_column}",
                             f"payee id `{ids[again].as_py()}` appears twice (first at row {first + 1})")
            problems.raise_if_any()
    env: dict[str, Value] = {}
    for name, info in inputs.items():
        if name not in names:
            env[name] = constant(info.default)
            continue
        arr = _array(table.column(name))
        if info.type == T.TEXT:  # blank text is an empty cell, as in a data file
            arr = pc.utf8_trim_whitespace(pc.cast(arr, pa.string()))
            arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        nulls = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else None
        if info.type in NUMERIC:
            col, odd = numeric_column(arr, name)
            if nulls is not None:
                odd = odd & ~nulls
                if info.has_default:  # the default, before the checks (a data file's empty cell is the same)
                            col = V.where(nulls, constant(info.default), Num(np.where(nulls, 0, col.v), col.scale))
            suspect |= odd
            if info.type == T.COUNT and col.scale:
                suspect |= np.asarray(col.v % V.TEN[col.scale] != 0)
            if info.range is not None:
                lo, hi = (V.const_num(Decimal(x)) for x in info.range)
                suspect |= np.asarray(V.compare(col, lo, "<").b) | np.asarray(V.compare(col, hi, ">").b)
            if info.choices is not None:
                ok = np.zeros(n, dtype=bool)
                for c in info.choices:
                    ok |= np.asarray(V.compare(col, V.const_num(Decimal(c)), "==").b)
                suspect |= ~ok
            value: Value = col
        elif info.type == T.TEXT:
            if nulls is not None and info.has_default:
                arr = arr.fill_null(info.default)
            a = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
            if info.choices is not None:
                ok = np.isin(a, list(info.choices))
                suspect |= ~(ok | nulls) if nulls is not None else ~ok
            value = Text(a)
        elif info.type == T.BOOL:
            if not pa.types.is_boolean(arr.type):
                raise DataError([Problem(f"table: column {name}: expected booleans, got {arr.type}", code="data",
                                         field=name)])
            value = Flag(arr.fill_null(False).to_numpy(zero_copy_only=False).astype(bool))
        elif info.type == T.DATE:
            if not pa.types.is_date(arr.type):
                raise DataError([Problem(f"table: column {name}: expected dates (date32), got {arr.type}",
                                         code="data", field=name)])
            days = pc.cast(arr, pa.date32()).cast(pa.int32()).fill_null(0)
            value = Day(days.to_numpy(zero_copy_only=False).astype(np.int64))
        else:  # pragma: no cover
            raise TypeError(info.type)
        if nulls is not None:
            if not info.has_default:
                suspect |= nulls
            elif info.type not in NUMERIC and info.type != T.TEXT:
                    value = V.where(nulls, constant(info.default), value)
        env[name] = value
    if suspect.any():
        rows = np.flatnonzero(suspect)
        records = [(f"row {i + 1}", {k: _plain(table.column(k)[int(i)].as_py()) for k in names}) for i in rows]
        _rows(inputs, records, list(names), problems)  # raises with the loader's messages
        # right, but too big or too precise for int64: the row evaluator takes them
        if hand_over is None:
            raise DataError([Problem(f"table: row {int(rows[0]) + 1}: a value too large for this run", code="data")])
        hand_over |= suspect
    return ids, env


def unscaled(d: Decimal, scale: int) -> int:
    """d * 10**scale as an int, exactly (no decimal context: any number of digits)."""
    sign, digits, exp = d.as_tuple()
    x = int("".join(map(str, digits)) or "0")
    shift = exp + scale
    x = x * 10 ** shift if shift >= 0 else x // 10 ** (-shift)
    return -x if sign else x


def dec(x: int, scale: int) -> Decimal:
    """x / 10**scale as a Decimal, exactly."""
    return Decimal((1 if x < 0 else 0, tuple(int(c) for c in str(abs(x))), -scale))


def _plain(x: Any) -> Any:
    return x if not isinstance(x, float) else Decimal(repr(x))


def decimal_array(unscaled: list[int] | np.ndarray, scale: int) -> pa.Array:
    """Exact decimal values from unscaled integers (decimal128 when they fit 38 digits)."""
    if isinstance(unscaled, np.ndarray) and scale <= 18:  # int64: at most 19 digits
        t = pa.decimal128(38, scale)
        unscaled = np.ascontiguousarray(unscaled, dtype=np.int64)
        words = np.empty((len(unscaled), 2), dtype=np.int64)
        words[:, 0] = unscaled
        words[:, 1] = unscaled >> 63
        return pa.Array.from_buffers(t, len(unscaled), [None, pa.py_buffer(words)])
    ints = [int(x) for x in unscaled]
    digits = max((len(str(abs(x))) for x in ints), default=1)
    t = pa.decimal128(38, scale) if max(digits, scale + 1) <= 38 else pa.decimal256(76, scale)
    return pa.array([dec(x, scale) for x in ints], type=t)


def date_of(days: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(days))
