"""`Plan.run_table` in the columnar package: a person-level plan to `run`, a population plan to
`groups`, and the row evaluator's traced results of the payees whose breakdowns are asked for."""

from __future__ import annotations

from typing import Any

import numpy as np

from incentives.engine.compiled import CompiledPlan
from incentives.engine.result import PayeeResult

from .run import (
    Period,
    TableResult,
    _row_results,
    days_active,
    read_columns,
    row_run,
    run_people,
)


def run_table(plan: CompiledPlan, table: Any, deals: Any, splits: Any, period: Period | None,
              engine: str = "columnar", activities: Any = None, params: dict | None = None) -> TableResult:
    """`Plan.run_table`: a person-level plan here; a population plan in `groups`.  params: the plan
    parameters' values for this run (checked by `Plan.check_params`); the others keep their defaults."""
    from .tables import as_arrow
    table = as_arrow(table)
    if plan.ir.needs_population:
        from incentives.errors import DataError, Problem

        from .groups import run_population
        if plan.ir.reads_activities and activities is None:
            raise DataError([Problem("activities: the plan measures activities: give them (activities=)", code="data",
                                     field="activities")])
        if plan.checked.reads_deals and deals is None:
            raise DataError([Problem("deals: the plan reads deals: give them (deals=)", code="data", field="deals")])
        return run_population(plan, table, deals, splits, period, engine, activities, params)
    if deals is not None or splits is not None or activities is not None:
        from incentives.errors import DataError, Problem
        raise DataError([Problem("deals: this plan takes no measures over deals and has no contests or pools: "
                                 "give only the payees' table", code="data", field="deals")])
    if engine == "row":
        ids, _ = read_columns(table, dict(plan.ir.givable), hand_over=np.zeros(table.num_rows, dtype=bool))
        days_active(table, plan.ir, period)
        return row_run(plan, table, ids, period, [(None, "engine=row")], params)
    return run_people(plan, table, period, params)


def traced(plan: CompiledPlan, table: Any, deals: Any, splits: Any, period: Period | None, activities: Any,
           asked: list[str], params: dict | None = None) -> list[tuple[PayeeResult, Any]]:
    """The row evaluator's traced results of the payees asked for (with their people rows, for
    statements), for their breakdowns."""
    from .tables import as_arrow
    table = as_arrow(table)
    if plan.ir.needs_population:
        from .fallback import population_results
        results, sales = population_results(plan, table, deals, splits, period, activities, trace=True,
                                            params=params)
        wanted = set(asked)
        return [(r, sales.people.get(r.payee)) for r in results if r.payee in wanted]
    ids, _ = read_columns(table, dict(plan.ir.givable), hand_over=np.zeros(table.num_rows, dtype=bool))
    where = {pid: i for i, pid in enumerate(ids.to_pylist())}
    rows = np.array([where[pid] for pid in asked if pid in where], dtype=np.int64)
    return [(r, None) for r in _row_results(plan, table, ids, rows, period, trace=True, params=params)]
