"""A columnar run of a plan over a table of payees, with the row evaluator behind it.

The order of work is the row evaluator's (`incentives.engine.evaluate`), over whole columns: the
period's names, the definitions in order, each component's lines, the payout's caps and floors,
the awards.  The population stages (measures of team and reports, contests, pools) are in
`incentives.columnar.groups`.

Two ways back to the row evaluator, both visible in the result:

* a plan line the columnar evaluator does not do (`Unsupported`): the whole run is the row
  evaluator's, and `row_lines` names the line and why;
* rows whose amounts could not be decided exactly (a rounding or comparison too close to call
  on a value from a division, an overflow, an error such as a division by zero): those payees
  alone are worked out again by the row evaluator (`row_payees`), and their amounts replace the
  columnar ones.  Errors are then the row evaluator's own located errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dsl.types import T
from incentives.engine import calendar, ir
from incentives.engine.compiled import CompiledPlan
from incentives.engine.result import PayeeResult

from . import values as V
from .expr import Frame, Unsupported, constant
from .lines import Lines
from .rounding import round_to
from .tables import decimal_array, read_columns, unscaled
from .values import Approx, Flag, Num, Value

Period = tuple[dt.date, dt.date]


@dataclass
class TableResult:
    """A run's amounts as a table (`table`), and how they were worked out.

    engine: "columnar" or "row" (the whole run by the row evaluator); row_lines: the lines that
    sent the run to the row evaluator, as (span, why); row_payees: payees whose amounts the row
    evaluator gave because the columnar ones could not be decided exactly."""

    table: pa.Table
    engine: str
    row_lines: list[tuple[Any, str]] = field(default_factory=list)
    row_payees: list[str] = field(default_factory=list)
    breakdowns: dict[str, Any] = field(default_factory=dict)  # payee id -> Breakdown, for the payees asked

    def notices(self) -> list[str]:
        out = [f"{span.file}:{span.line}:{span.column}: {why}: this run uses the row evaluator" if span is not None
               else f"{why}: this run uses the row evaluator" for span, why in self.row_lines]
        if self.row_payees:
            out.append(f"{len(self.row_payees)} payee(s) worked out by the row evaluator, where the columnar "
                       f"amounts could not be decided exactly: {', '.join(self.row_payees[:5])}"
                       + (" ..." if len(self.row_payees) > 5 else ""))
        return out


def set_period(plan: ir.Plan, env: dict[str, Value], n: int, period: Period | None) -> None:
    """The period's names, as `incentives.engine.period.period_values` sets them for each payee."""
    if period is None:
        return
    start, end = period
    days = calendar.count_days(start, end, working=plan.days == "working")
    env["period_start"], env["period_end"] = constant(start), constant(end)
    env["period_days"] = constant(Decimal(days))
    active = env.get("days_active")
    if active is None:
        env["days_active"] = constant(Decimal(days))
        env["participation"] = constant(Decimal(1) if days else Decimal(0))
        return
    whole = constant(Decimal(days))
    env["participation"] = V.div(active, whole) if days else V.zeros(n)
    all_days = np.broadcast_to(np.asarray(V.compare(active, whole, "==").b), (n,))
    for name, info in plan.inputs.items():
        if getattr(info.decl, "prorated", False) and isinstance(env.get(name), (Num, Approx)):
            scaled = V.div(V.mul(env[name], active), whole) if days else V.zeros(n)
            if info.type == T.MONEY:
                scaled = round_to(scaled, plan.minor_units, plan.rounding_mode)
            env[name] = V.where(all_days, env[name], scaled)  # on the plan all period: as given


def set_params(plan: ir.Plan, env: dict[str, Value], params: dict | None) -> None:
    """Every plan parameter, one value for all rows: the run's value if it gives one, else the default."""
    for name, p in plan.params.items():
        env[name] = constant((params or {}).get(name, p.default))


def days_active(table: pa.Table, plan: ir.Plan, period: Period | None) -> Num | None:
    """The `days_active` column, if the table has one: whole days from 0 to the period's days."""
    if "days_active" not in table.column_names:
        return None
    from incentives.errors import DataError, Problem

    from .tables import _array, numeric_column
    if period is None:
        raise DataError([Problem("table: column days_active: the run has no period (give period=, or "
                                 "effective dates in the plan)", code="data", field="days_active")])
    col, odd = numeric_column(_array(table.column("days_active")).fill_null(-1), "days_active")
    whole = calendar.count_days(*period, working=plan.days == "working")
    v, unit = np.asarray(col.v), V.TEN[col.scale]
    wrong = odd | (v % unit != 0) | (v < 0) | (v > whole * unit)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise DataError([Problem(f"table: row {i + 1}, column days_active: expected a whole number of days from 0 to "
                                 f"{whole} (the days of the period), got {table.column('days_active')[i].as_py()}",
                                 code="data", field="days_active")])
    return Num(v // unit, 0)


def evaluate(plan: ir.Plan, frame: Frame, pools: dict | None = None,
             lets: Callable[[Frame], None] | None = None) -> tuple[dict[str, Num], Num, dict[str, Flag], np.ndarray]:
    """Definitions (unless `lets` works them out), components, total and awards over a frame; and
    the rows that must go to the row evaluator."""
    n, env = frame.n, frame.env
    bad = np.zeros(n, dtype=bool)

    def note(value: Value) -> None:
        nonlocal bad
        if value.bad is not None:
            bad |= np.broadcast_to(value.bad, (n,))
    if lets is None:
        for let in plan.lets:
            env[let.name] = frame(let.expr)
            note(env[let.name])
    else:
        lets(frame)
    lines = Lines(plan)
    amounts: dict[str, Num] = {}
    subtotal: V.Number = V.zeros(n)
    for comp in plan.components:
        amount = lines.component(frame, comp, pools or {})
        env[comp.name] = amount
        note(amount)
        if isinstance(amount, Approx):  # not rounded (rounding at total): no exact amount to give
            bad |= True
            amount = Num(np.zeros(n, dtype=np.int64), 0)
        amounts[comp.name] = V.full(n, amount) if np.ndim(amount.v) == 0 else amount
        subtotal = V.add(subtotal, amount)
    total = lines.payout(frame, subtotal)
    note(total)
    total = V.full(n, total) if np.ndim(total.v) == 0 else total
    awards: dict[str, tuple[Flag, Num | None]] = {}
    for award in plan.awards:
        if award.when is None:
            granted = Flag(np.ones(n, dtype=bool))
        else:
            granted = frame(award.when)
            note(granted)
            granted = Flag(np.broadcast_to(np.asarray(granted.b), (n,)))
        value = None
        if award.value is not None:  # worked out only for those granted, as the row evaluator does
            value = frame(award.value)
            if not isinstance(value, (Num, Approx)):
                raise Unsupported(award.span, "an award whose value is not a number")
            if value.bad is not None:
                bad |= np.broadcast_to(value.bad, (n,)) & granted.b
            if isinstance(value, Approx):  # an unrounded value with no exact form: the row evaluator's
                bad |= granted.b
                value = V.zeros(n)
            value = V.full(n, value) if np.ndim(value.v) == 0 else value
        awards[award.name] = (granted, value)
    return amounts, total, awards, bad


def build_table(plan: ir.Plan, ids: pa.Array, amounts: dict[str, Num], total: Num, awards: dict[str, Flag],
                fixes: dict[int, PayeeResult]) -> pa.Table:
    """The output table; rows in `fixes` take the row evaluator's amounts."""
    columns: dict[str, pa.Array] = {"id": ids}
    rows = np.fromiter(fixes.keys(), dtype=np.int64, count=len(fixes))

    def column(num: Num, pick: Callable[[PayeeResult], Decimal]) -> pa.Array:
        v = np.asarray(num.v, dtype=np.int64)
        if not len(rows):
            return decimal_array(v, num.scale)
        given = [pick(fixes[int(i)]) for i in rows]
        scale = max([num.scale] + [max(0, -d.as_tuple().exponent) for d in given])
        up = num.at(scale) if scale <= V.MAX_SCALE else None
        fixed = [unscaled(d, scale) for d in given]
        if up is not None and all(abs(x) < V.SAFE for x in fixed):
            v = np.array(up.v, dtype=np.int64)
            v[rows] = fixed
            return decimal_array(v, scale)
        ints = [int(x) * 10 ** (scale - num.scale) for x in v.tolist()]
        for i, x in zip(rows.tolist(), fixed):
            ints[i] = x
        return decimal_array(ints, scale)
    for comp in plan.components:
        columns[comp.name] = column(amounts[comp.name], lambda r, name=comp.name: r.component(name).amount)
    columns["total"] = column(total, lambda r: r.total)
    for name, (flag, value) in awards.items():
        b = np.array(flag.b, dtype=bool)
        for i in rows.tolist():
            b[i] = next(a.granted for a in fixes[i].awards if a.name == name)
        columns[f"award_{name}"] = pa.array(b)
        if value is not None:
            got = column(value, lambda r, name=name: next(a.value for a in r.awards if a.name == name) or Decimal(0))
            columns[f"award_{name}_value"] = pc.if_else(pa.array(b), got, pa.scalar(None, got.type))
    return pa.table(columns)


def run_people(plan: CompiledPlan, table: pa.Table, period: Period | None, params: dict | None = None) -> TableResult:
    """A plan whose payees do not depend on each other, over a table of payees (with the values of the
    plan parameters `params` gives, the defaults for the others)."""
    ir_plan = plan.ir
    hand_over = np.zeros(table.num_rows, dtype=bool)
    ids, env = read_columns(table, dict(ir_plan.givable), hand_over=hand_over)
    set_params(ir_plan, env, params)
    active = days_active(table, ir_plan, period)
    if active is not None:
        env["days_active"] = active
    n = len(ids)
    set_period(ir_plan, env, n, period)
    try:
        frame = Frame(ir_plan, n, env)
        amounts, total, awards, bad = evaluate(ir_plan, frame)
    except Unsupported as u:
        return row_run(plan, table, ids, period, [(u.span, u.what)], params)
    bad |= hand_over
    rows = np.flatnonzero(bad)
    fixes = {int(i): r for i, r in zip(rows, _row_results(plan, table, ids, rows, period, params=params))}
    return TableResult(build_table(ir_plan, ids, amounts, total, awards, fixes), "columnar",
                       row_payees=[ids[int(i)].as_py() for i in rows])


def _row_results(plan: CompiledPlan, table: pa.Table, ids: pa.Array, rows: np.ndarray,
                 period: Period | None, trace: bool = False, params: dict | None = None) -> list[PayeeResult]:
    """The row evaluator's results for some rows of the table, read from the table afresh by the data
    loader's parser (exactly the values a data file with these rows would give)."""
    from incentives.engine.period import period_values
    from incentives.sales.inputs import _Problems, _rows
    if not len(rows):
        return []
    names = table.column_names
    records = table.take(pa.array(rows, pa.int64())).to_pylist()
    parsed = _rows(plan.ir.givable, [(f"row {int(i) + 1}", r) for i, r in zip(rows, records)],
                   [c for c in names if c != "days_active"], _Problems("table"))
    whole = calendar.count_days(*period, working=plan.ir.days == "working") if period is not None else None
    out = []
    for i, record, (_, values) in zip(rows, records, parsed):
        if period is not None:
            active = record.get("days_active")
            period_values(plan.ir, values, *period, (whole, int(active)) if active is not None else None)
        values.update(params or {})  # the params not given keep their defaults (`Evaluator.prepare`)
        out.append(plan.evaluator.run(values, ids[int(i)].as_py(), trace))
    return out


def row_run(plan: CompiledPlan, table: pa.Table, ids: pa.Array, period: Period | None,
            why: list[tuple[Any, str]], params: dict | None = None) -> TableResult:
    """The whole run by the row evaluator (a line the columnar evaluator does not do)."""
    rows = np.arange(len(ids))
    results = _row_results(plan, table, ids, rows, period, params=params)
    n = len(ids)
    amounts = {c.name: V.zeros(n) for c in plan.ir.components}
    awards = {a.name: (Flag(np.zeros(n, dtype=bool)), V.zeros(n) if a.value is not None else None)
              for a in plan.ir.awards}
    fixes = dict(enumerate(results))
    return TableResult(build_table(plan.ir, ids, amounts, V.zeros(n), awards, fixes), "row", why)
