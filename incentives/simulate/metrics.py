"""Figures of one run for plan design: cost, cost of sales, the payout and attainment distributions,
pay mix, and the pay curve (the payout of a typical payee from 0% to 200% of quota).

Amounts are exact decimals; percentiles are payees' own amounts (nearest rank), never interpolated
floats.  Floats appear only as chart coordinates.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dsl.types import T

from .outcome import Outcome

ZERO = Decimal(0)
PERCENTILES = (10, 25, 50, 75, 90)


def percentiles(values: list[Decimal]) -> dict[str, Decimal]:
    """Nearest-rank percentiles: each is one payee's own amount."""
    ordered = sorted(values)
    if not ordered:
        return {f"p{p}": ZERO for p in PERCENTILES}
    return {f"p{p}": ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] for p in PERCENTILES}


def column(table: pa.Table, name: str | None) -> pa.ChunkedArray | None:
    return table.column(name) if name and name in table.column_names else None


def revenue_sum(outcome: Outcome, revenue: str | None) -> Decimal | None:
    col = column(outcome.inputs, revenue)
    if col is None or not pa.types.is_decimal(col.type) and not pa.types.is_integer(col.type):
        return None
    got = pc.sum(col).as_py()
    return Decimal(got or 0)


def attainments(outcome: Outcome, revenue: str | None, quota: str | None) -> list[float]:
    """revenue / quota per payee (a chart's coordinates), where both columns are given."""
    r, q = column(outcome.inputs, revenue), column(outcome.inputs, quota)
    if r is None or q is None:
        return []
    rv = np.asarray(r.cast(pa.float64()).to_numpy(zero_copy_only=False))
    qv = np.asarray(q.cast(pa.float64()).to_numpy(zero_copy_only=False))
    ok = qv > 0
    return (rv[ok] / qv[ok]).tolist()


def award_cash(outcome: Outcome) -> Decimal:
    total = ZERO
    for name in outcome.amounts.column_names:
        if name.startswith("award_") and name.endswith("_value"):
            got = pc.sum(outcome.amounts.column(name)).as_py()
            total += Decimal(got or 0)
    return total


def figures(outcome: Outcome, revenue: str | None, quota: str | None) -> dict[str, Any]:
    totals = outcome.totals()
    cost = outcome.total
    sales = revenue_sum(outcome, revenue)
    return {
        "name": outcome.name, "payees": len(totals), "total": cost, "by_component": outcome.by_component(),
        "revenue": sales, "cost_of_sales": (cost / sales) if sales else None,
        "percentiles": percentiles(totals), "awards_cash": award_cash(outcome),
        "payouts": [float(t) for t in totals], "attainments": attainments(outcome, revenue, quota),
        "notices": outcome.notices,
    }


def pay_curve(plan, people: pa.Table, revenue: str | None, quota: str | None, params: dict | None,
              steps: int = 41, top: float = 2.0) -> tuple[list[float], list[Decimal]] | None:
    """The total of a typical payee (every other input at its median or first value) with revenue
    from 0% to `top` of quota, for a person-level plan with revenue and quota inputs."""
    if plan.ir.needs_population or not revenue or not quota or revenue not in plan.ir.inputs \
            or quota not in plan.ir.inputs or quota not in people.column_names:
        return None
    q = people.column(quota)
    median = sorted(Decimal(x) for x in q.to_pylist() if x is not None)
    if not median:
        return None
    quota_value = median[len(median) // 2]
    points = [Decimal(i) * Decimal(str(top)) / (steps - 1) for i in range(steps)]
    cols: dict[str, Any] = {"id": [f"curve-{i}" for i in range(steps)]}
    for name, info in plan.ir.inputs.items():
        if name == revenue:
            cols[name] = pa.array([(quota_value * p).quantize(Decimal("0.01")) for p in points], pa.decimal128(38, 2))
        elif name == quota:
            cols[name] = pa.array([quota_value] * steps, pa.decimal128(38, max(0, -quota_value.as_tuple().exponent)))
        elif name in people.column_names:
            values = [x for x in people.column(name).to_pylist() if x is not None]
            if not values:
                continue
            pick = sorted(values)[len(values) // 2] if info.type in (T.MONEY, T.NUMBER, T.PERCENT, T.COUNT) else values[0]
            cols[name] = pa.array([pick] * steps, people.schema.field(name).type)
    kwargs = {"params": params} if params else {}
    result = plan.run_table(pa.table(cols), **kwargs)
    return [float(p) for p in points], result.table.column("total").to_pylist()
