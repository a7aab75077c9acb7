"""A payee's values for a period: its first and last day, its days, the payee's days on the plan in
it and their ratio (`participation`), and the `prorated` inputs scaled by it.

Every way of running a plan (one payee, a population, a plan example, a period run with
assignments) sets these names through `period_values`, so they mean the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext
from typing import Any

from . import calendar, ir
from .compile import ROUNDING
from .numbers import CONTEXT


def period_values(plan: ir.Plan, values: dict[str, Any], start: dt.date, end: dt.date,
                  days: tuple[int, int] | None = None) -> dict[str, Any]:
    """Set the period's names in `values` (and return it).  days: (days in the period, days the payee
    was on the plan in it); when not given, the payee was on the plan all period.  Days are calendar
    days, or Monday to Friday with `days working` (a period run also takes out holidays)."""
    if days is None:
        n = calendar.count_days(start, end, working=plan.days == "working")
        days = (n, n)
    period_days, active = days
    values["period_start"], values["period_end"] = start, end
    values["period_days"], values["days_active"] = Decimal(period_days), Decimal(active)
    with localcontext(CONTEXT):
        share = Decimal(active) / Decimal(period_days) if period_days else Decimal(0)
        values["participation"] = share
        quantum = Decimal(1).scaleb(-plan.minor_units)
        for name, info in plan.inputs.items():
            value = values.get(name)
            if getattr(info.decl, "prorated", False) and isinstance(value, Decimal) and share != 1:
                # one rounding, then to the minor unit (no days in the period: nothing)
                scaled = value * Decimal(active) / Decimal(period_days) if period_days else Decimal(0)
                values[name] = (scaled.quantize(quantum, rounding=ROUNDING[plan.rounding_mode])
                                if info.type.value == "money" else scaled)
    return values
