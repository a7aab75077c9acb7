"""Hypothesis strategies for a plan's inputs, from their declared types and ranges.

Money is drawn at the currency's minor unit, percentages and numbers with four
decimal places, counts as whole numbers, text from the declared values (or
short strings), dates within the declared range (or the plan's effective
dates).  Where no range is declared a generous default applies; declare ranges
to say what is realistic.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from dsl.check import InputInfo
from dsl.types import T

from . import ir

DEFAULT_RANGES = {
    T.MONEY: (Decimal(0), Decimal(1_000_000)),
    T.PERCENT: (Decimal(0), Decimal(2)),
    T.NUMBER: (Decimal(0), Decimal(1000)),
    T.COUNT: (Decimal(0), Decimal(1000)),
}


def input_strategy(info: InputInfo, plan: ir.Plan) -> st.SearchStrategy:
    t = info.type
    if info.choices is not None:
        return st.sampled_from(info.choices)
    if t == T.BOOL:
        return st.booleans()
    if t == T.TEXT:
        return st.text(alphabet="ABCDEFGHIJ", max_size=4)
    if t == T.DATE:
        if info.range is not None:
            lo, hi = info.range
        elif plan.effective is not None:
            lo, hi = plan.effective
        else:
            lo, hi = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
        return st.dates(lo, hi)
    lo, hi = info.range if info.range is not None else DEFAULT_RANGES[t]
    if t == T.COUNT:
        return st.integers(int(lo), int(hi)).map(Decimal)
    places = plan.minor_units if t == T.MONEY else 4
    return st.decimals(min_value=lo, max_value=hi, places=places, allow_nan=False, allow_infinity=False)


def inputs_strategy(plan: ir.Plan) -> st.SearchStrategy[dict]:
    """All of a payee's inputs at once."""
    return st.fixed_dictionaries({name: input_strategy(info, plan) for name, info in plan.inputs.items()})
