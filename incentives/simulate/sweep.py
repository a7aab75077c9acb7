"""Sweeps: the cost of a plan over a grid of one or two parameters (or data multipliers).

The plan is compiled once; each point is one columnar run with other parameter values (a
parameter is a value of the run, not a recompilation), or of the payees' table with a column
multiplied (`quota*` in a sweep's axis multiplies the quota column).  A point's cost is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from incentives.errors import DataError, Problem


@dataclass
class Axis:
    name: str  # a parameter, or COLUMN* for a multiplier of a column
    values: list[Decimal]

    @property
    def column(self) -> str | None:
        return self.name[:-1] if self.name.endswith("*") else None


def parse_axis(text: str) -> Axis:
    """`top_rate=15%:25%:1%` (from, to, step, both ends included), `top_rate=15%,18%,22%`, or
    `quota*=0.9:1.2:0.05` (multiply the quota column)."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name or not spec.strip():
        raise DataError([Problem(f"--sweep {text}: expected NAME=FROM:TO:STEP or NAME=V1,V2,... (e.g. "
                                 f"top_rate=15%:25%:1%, quota*=0.9:1.2:0.1)", code="data", field="sweep")])

    def number(s: str) -> Decimal:
        s = s.strip().replace("_", "")
        try:
            return Decimal(s[:-1]) / 100 if s.endswith("%") else Decimal(s)
        except ArithmeticError:  # decimal.InvalidOperation
            raise DataError([Problem(f"--sweep {text}: `{s}` is not a number", code="data", field="sweep")]) from None
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise DataError([Problem(f"--sweep {text}: a range is FROM:TO:STEP", code="data", field="sweep")])
        lo, hi, step = (number(p) for p in parts)
        if step <= 0 or hi < lo:
            raise DataError([Problem(f"--sweep {text}: expected FROM <= TO and a step above 0", code="data",
                                     field="sweep")])
        count = int((hi - lo) / step) + 1
        if count > 10_000:
            raise DataError([Problem(f"--sweep {text}: {count} points; at most 10,000", code="data", field="sweep")])
        values = [lo + step * i for i in range(count)]
    else:
        values = [number(p) for p in spec.split(",")]
    return Axis(name, values)


def sweep(axes: list[Axis], run: Callable[[pa.Table, dict[str, Decimal]], Decimal], people: pa.Table,
          params: dict[str, Decimal], check_params: Callable[[dict], dict], progress=None) -> list[dict[str, Any]]:
    """Every point of the grid: the axes' values and the cost; `run(table, params)` gives the cost."""
    from .scenario import Change, apply_changes
    if not 1 <= len(axes) <= 2:
        raise DataError([Problem("a sweep takes one or two axes", code="data", field="sweep")])
    grid: list[dict[str, Decimal]] = [{}]
    for axis in axes:
        grid = [{**g, axis.name: v} for g in grid for v in axis.values]
    out = []
    for point in grid:
        table = people
        p = dict(params)
        for axis in axes:
            if axis.column:
                table = apply_changes(table, [Change(axis.column, "multiply", point[axis.name], None)])
            else:
                p[axis.name] = point[axis.name]
        checked = check_params(p) if p else {}
        try:
            cost = run(table, checked)
        except DataError as e:
            shown = ", ".join(f"{k}={v}" for k, v in point.items())
            raise DataError([Problem(f"sweep point {shown}: the plan refuses its values:", code="sweep"),
                             *e.problems]) from None
        out.append({**point, "cost": cost})
        if progress is not None:
            progress()
    return out
