"""Hypothesis strategies for a plan's inputs, from their declared types and ranges.

Money is drawn at the currency's minor unit, percentages and numbers with four
decimal places, counts as whole numbers, text from the declared values (or
short strings), dates within the declared range (or the plan's effective
dates).  Where no range is declared a generous default applies; declare ranges
to say what is realistic.

Numbers are drawn three ways at once: hypothesis's own (which favours small
and simple values and shrinks well), uniformly over the whole range, and from
the plan's own constants of the same kind (tier bounds, thresholds, caps) and
one minor unit either side of them, where plans change behaviour.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from hypothesis import strategies as st

from dsl.check import InputInfo
from dsl.types import T

from incentives.engine import ir

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
        return st.text(alphabet="ABCDEFGHIJ", min_size=1, max_size=4)  # an empty cell is a missing value
    if t == T.DATE:
        if info.range is not None:
            lo, hi = info.range
        elif plan.effective is not None:
            lo, hi = plan.effective
        else:
            lo, hi = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
        return st.dates(lo, hi)
    lo, hi = info.range if info.range is not None else DEFAULT_RANGES[t]
    places = 0 if t == T.COUNT else plan.minor_units if t == T.MONEY else 4
    step = Decimal(1).scaleb(-places)
    if lo.quantize(step, rounding=ROUND_CEILING) > hi:  # no value on the grid inside the range: its ends
        return st.sampled_from(sorted({lo, hi}))
    simple = (st.integers(int(lo), int(hi)).map(Decimal) if t == T.COUNT else
              st.decimals(min_value=lo, max_value=hi, places=places, allow_nan=False, allow_infinity=False))
    scale = 10 ** places
    low, high = int((lo * scale).to_integral_value(ROUND_CEILING)), int((hi * scale).to_integral_value(ROUND_FLOOR))
    uniform = st.integers(low, max(low, high)).map(lambda i: Decimal(i).scaleb(-places))
    near = sorted({(c + d).quantize(step) for c in plan_constants(plan, t) for d in (-step, Decimal(0), step)
                   if lo <= c + d <= hi and (c + d) == (c + d).quantize(step)})
    branches = [simple, uniform] + ([st.sampled_from(near)] if near else [])
    return st.one_of(*branches)


def plan_constants(plan: ir.Plan, t: T) -> set[Decimal]:
    """The plan's constants that can stand for a value of type t (money for money, ...)."""
    wanted = {T.MONEY} if t == T.MONEY else {T.PERCENT, T.NUMBER, T.COUNT}
    parts = [plan.lets, plan.components, plan.awards, plan.payout, plan.curves, plan.tables]
    params = {p.default for p in plan.params.values() if p.type in wanted and isinstance(p.default, Decimal)}
    return params | {n.value for n in ir.walk(parts)
                     if isinstance(n, ir.Const) and n.type in wanted and isinstance(n.value, Decimal)}


def inputs_strategy(plan: ir.Plan) -> st.SearchStrategy[dict]:
    """All of a payee's inputs at once, and its measures (drawn like inputs without a range)."""
    return st.fixed_dictionaries({name: input_strategy(info, plan) for name, info in plan.givable.items()})
