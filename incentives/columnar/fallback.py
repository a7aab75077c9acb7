"""The whole population run by the row evaluator, from the same tables (`Plan.run_population`).

The tables are written to CSV files in a temporary folder and read back by the data loaders
(`load_sales`), so a run the columnar evaluator hands back is checked and evaluated exactly as a
run from files (`incentives run --people ... --deals ...`)."""

from __future__ import annotations

import tempfile
from decimal import localcontext
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from incentives.engine.compiled import CompiledPlan
from incentives.engine.numbers import CONTEXT
from incentives.engine.result import PayeeResult
from incentives.sales.activities import load_activities
from incentives.sales.population import Population
from incentives.sales.records import Sales, load_sales

from . import values as V
from .run import Period, TableResult, build_table
from .tables import as_arrow
from .values import Flag


def row_population(plan: CompiledPlan, people: pa.Table, deals: Any, splits: Any, period: Period | None,
                   why: list[tuple[Any, str]], activities: Any = None, params: dict | None = None) -> TableResult:
    results, _ = population_results(plan, people, deals, splits, period, activities, params=params)
    ids = pa.array([r.payee for r in results], type=pa.string())
    n = len(ids)
    amounts = {c.name: V.zeros(n) for c in plan.ir.components}
    awards = {a.name: (Flag(np.zeros(n, dtype=bool)), V.zeros(n) if a.value is not None else None)
              for a in plan.ir.awards}
    return TableResult(build_table(plan.ir, ids, amounts, V.zeros(n), awards, dict(enumerate(results))), "row", why)


def population_results(plan: CompiledPlan, people: pa.Table, deals: Any, splits: Any, period: Period | None,
                       activities: Any = None, trace: bool = False,
                       params: dict | None = None) -> tuple[list[PayeeResult], Sales]:
    """The row population run's results over the tables (traced, if asked), and its sales data; the
    values of plan parameters in `params` go into every person's values (the rest keep their defaults)."""
    p = plan.ir
    with tempfile.TemporaryDirectory(prefix="incentives-") as tmp:
        paths = {}
        for name, table in (("people", people), ("deals", deals), ("splits", splits), ("activities", activities)):
            if table is not None:
                paths[name] = Path(tmp) / f"{name}.csv"
                pacsv.write_csv(_plain(as_arrow(table)), paths[name])
        sales = load_sales(paths["people"], paths.get("deals"), paths.get("splits"), p.inputs, p.deal_fields,
                           p.currency, None, p.deal_columns, p.deal_field_infos)
        if "activities" in paths:
            sales.activities = load_activities(paths["activities"], p.activity_fields, sales.people, None,
                                               p.activity_columns, p.activity_field_infos)
        for person in sales.people.values():
            person.values.update(params or {})
        with localcontext(CONTEXT):
            results = Population(plan, sales, period).run(trace)
    return results, sales


def _plain(table: pa.Table) -> pa.Table:
    """Booleans as true/false text (the CSV writer's own spelling is the same, but be explicit)."""
    cols = []
    for col in table.columns:
        if pa.types.is_boolean(col.type):
            col = pa.chunked_array([pa.array(["true" if x else "false" if x is not None else None
                                              for x in col.to_pylist()], pa.string())])
        cols.append(col)
    return pa.table(cols, names=table.column_names)
