"""Running a plan as it is and under a scenario, over the same payees, and comparing the two.

A scenario's run is one `Plan.run_table` call: the plan (or the scenario's other plan) with its
parameters, over the payees' table after the scenario's data changes.  With a pilot group the
scenario pays only the pilot: everyone else keeps the baseline's amounts (the whole population is
still run, so teams, contests and pools see everyone).  Amounts stay exact decimals throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ZERO = Decimal(0)


@dataclass
class Outcome:
    """One run: its name, the plan, the parameters it was given, the payees' table it ran on and the
    amounts table (`id`, a column per component, `total`, awards)."""

    name: str
    plan: Any
    params: dict[str, Decimal]
    inputs: pa.Table
    amounts: pa.Table
    notices: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return _sum(self.amounts.column("total"))

    def by_component(self) -> dict[str, Decimal]:
        return {c.name: _sum(self.amounts.column(c.name)) for c in self.plan.ir.components}

    def totals(self) -> list[Decimal]:
        return self.amounts.column("total").to_pylist()


def _sum(col) -> Decimal:
    got = pc.sum(col).as_py()
    return ZERO if got is None else Decimal(got)


def run(name: str, plan, people: pa.Table, params: dict[str, Decimal] | None = None, deals=None, splits=None,
        period=None, activities=None) -> Outcome:
    kwargs: dict[str, Any] = {"deals": deals, "splits": splits, "period": period, "activities": activities}
    if params:
        kwargs["params"] = params
    result = plan.run_table(people, **kwargs)
    return Outcome(name, plan, dict(params or {}), people, result.table, result.notices())


def piloted(scenario: Outcome, baseline: Outcome, pilot: np.ndarray) -> Outcome:
    """The scenario's amounts for the pilot, the baseline's for everyone else (rows in the same order)."""
    mask = pa.array(pilot)
    columns = {}
    for name in scenario.amounts.column_names:
        if name == "id" or name not in baseline.amounts.column_names:
            columns[name] = scenario.amounts.column(name)
            continue
        a, b = scenario.amounts.column(name), baseline.amounts.column(name)
        if a.type != b.type and pa.types.is_decimal(a.type) and pa.types.is_decimal(b.type):
            wide = pa.decimal128(38, max(a.type.scale, b.type.scale))
            a, b = a.cast(wide), b.cast(wide)
        columns[name] = pc.if_else(mask, a, b)
    return Outcome(scenario.name, scenario.plan, scenario.params, scenario.inputs, pa.table(columns),
                   scenario.notices + [f"pilot: {int(pilot.sum())} of {len(pilot)} payees take the scenario"])


@dataclass
class Change:
    payee: str
    before: Decimal
    after: Decimal
    reasons: list[str] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


def changes(baseline: Outcome, scenario: Outcome) -> list[Change]:
    """Every payee whose total changed, biggest gain first and biggest loss last (then by id)."""
    before = dict(zip(baseline.amounts.column("id").to_pylist(), baseline.totals()))
    out = [Change(pid, before[pid], total) for pid, total in zip(scenario.amounts.column("id").to_pylist(),
                                                                 scenario.totals())
           if pid in before and before[pid] != total]
    out.sort(key=lambda c: (-c.difference, c.payee))
    return out
