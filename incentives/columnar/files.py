"""Data files into typed Arrow tables for a columnar run, and its amounts back into results.

CSV is read as text and each of the plan's columns is cast by its type (numbers to decimal at the
column's own number of decimals, dates, true/false); Parquet is read as it is.  A file the casts
cannot read exactly (grouped thousands, `85%`, a stray word) gives None: the caller then reads it
with the data loaders, which name the row and column of every problem.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dsl.types import T
from incentives.engine import ir
from incentives.engine.result import AwardResult, ComponentResult, PayeeResult
from incentives.sales import tables

NUMERIC = (T.MONEY, T.NUMBER, T.PERCENT, T.COUNT)
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def read_table(path: Path, types: dict[str, T]) -> pa.Table | None:
    """The file as a typed table, or None where the data loaders should read it (and name what is
    wrong).  The file is read by the loaders' own reader first: the same size limit, and the same
    refusal of pipes, devices and directories."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        return None
    data = pa.py_buffer(tables.read_data(path))
    if suffix == ".parquet":
        import pyarrow.parquet as pq
        try:
            return pq.read_table(pa.BufferReader(data))
        except (pa.ArrowInvalid, OSError):
            return None
    try:
        names = pacsv.open_csv(pa.BufferReader(data)).schema.names
        if len(set(names)) != len(names) or not names:
            return None
        table = pacsv.read_csv(pa.BufferReader(data), convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=True))
    except (pa.ArrowInvalid, OSError):
        return None
    limit = csv.field_size_limit()
    for col in table.columns:  # a cell the csv module would refuse: the loaders say where
        if len(col) and (pc.max(pc.utf8_length(col)).as_py() or 0) > limit:
            return None
    columns = []
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        t = types.get(name)
        try:
            col = _cast(col, t) if t is not None else col
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
            return None
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def _cast(col: pa.Array, t: T) -> pa.Array:
    col = pc.utf8_trim_whitespace(col)
    col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
    if t in NUMERIC:
        dot = pc.find_substring(col, ".")
        length = pc.utf8_length(col)
        places = pc.max(pc.if_else(pc.greater_equal(dot, 0), pc.subtract(pc.subtract(length, dot), 1), 0)).as_py()
        scale = int(places or 0)
        if scale > 10:
            raise ValueError("more decimals than a data file may give")
        return pc.cast(col, pa.decimal128(38, scale))
    if t == T.DATE:
        return pc.cast(col, pa.date32())
    if t == T.BOOL:
        low = pc.utf8_lower(col)
        if not pc.all(pc.or_(pc.is_in(low, pa.array(sorted(_TRUE | _FALSE))), pc.is_null(low))).as_py():
            raise ValueError("not true or false")
        return pc.is_in(low, pa.array(sorted(_TRUE)))
    return col


def results(plan: ir.Plan, table: pa.Table) -> list[PayeeResult]:
    """The rows of a columnar run's table as payee results (amounts only: no trace)."""
    ids = table.column("id").to_pylist()
    comps = [(c, table.column(c.name).to_pylist()) for c in plan.components]
    totals = table.column("total").to_pylist()
    awards = [(a, table.column(f"award_{a.name}").to_pylist(),
               table.column(f"award_{a.name}_value").to_pylist() if a.value is not None else None)
              for a in plan.awards]
    out = []
    zero = Decimal(0)
    for i, pid in enumerate(ids):
        components = [ComponentResult(c.name, c.label, c.span, amounts[i], []) for c, amounts in comps]
        subtotal = sum((c.amount for c in components), zero)
        granted = [AwardResult(a.name, a.label, a.kind, a.span, bool(g[i]), v[i] if v is not None else None)
                   for a, g, v in awards]
        out.append(PayeeResult(pid, totals[i], components, granted, subtotal))
    return out


