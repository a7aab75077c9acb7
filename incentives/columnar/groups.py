"""A population plan over tables, columnar: crediting, measures, contests and pools.

The stages are the row population run's (`incentives.sales.population`), in the order the plan's
IR names them (`ir.Plan.stages`):

* CREDIT: deals to people in columns (`credit`): owner, splits, overlays, roll-ups.
* DEAL_MEASURES: each measure's condition and value over all credited rows at once, summed (or
  counted, averaged, ...) per person by sorting on the person (`aggregate`).
* PERSON_DEFINITIONS, GROUP_MEASURES: team measures by team code; reports measures by walking the
  org chart a level at a time, deepest first.
* CONTESTS: one lexicographic sort per contest (group, score, tie-breakers, id): O(n log n).
* POOLS: exact shares in integer minor units, largest remainders first, ties to the lower id.

Lines the columnar run does not do here (listed by `unsupported`) send the whole run to the row
population run, and the result names them; so does any payee whose amounts could not be decided
exactly (a population's payees depend on each other).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from incentives.engine import ir
from incentives.engine.compiled import CompiledPlan
from incentives.engine.schedule import person_definitions

from . import values as V
from .aggregate import _any_by, aggregate
from .contests import contest, id_rank, pool
from .credit import DealFrame, credit, owned, read_activities, read_deals
from .deal_tiers import deal_tiers
from .expr import Frame, Unsupported
from .fallback import row_population
from .lines import Lines
from .run import Period, TableResult, build_table, evaluate, set_params, set_period
from .tables import _array, as_arrow, read_columns
from .values import Approx, Num, Number


def unsupported(plan: ir.Plan) -> list[tuple[Any, str]]:
    """The lines the columnar population run does not do (yet), with why."""
    out = []
    return out


def run_population(plan: CompiledPlan, people: pa.Table, deals: Any, splits: Any, period: Period | None,
                   engine: str, activities: Any = None, params: dict | None = None) -> TableResult:
    why = unsupported(plan.ir) if engine != "row" else [(None, "engine=row")]
    if why:
        return row_population(plan, people, deals, splits, period, why, activities, params)
    try:
        return _columnar(plan, people, deals, splits, period, activities, params)
    except Unsupported as u:
        return row_population(plan, people, deals, splits, period, [(u.span, u.what)], activities, params)
    except _Undecided as u:
        return row_population(plan, people, deals, splits, period,
                              [(None, (f"{u.count} payee(s) whose amounts could not be decided exactly (in a "
                                      f"population, payees depend on each other)"))], activities, params)


class _Undecided(Exception):
    def __init__(self, count: int):
        self.count = count


def _columnar(plan: CompiledPlan, people: pa.Table, deals: Any, splits: Any, period: Period | None,
              activities: Any = None, params: dict | None = None) -> TableResult:
    p = plan.ir
    hand_over = np.zeros(people.num_rows, dtype=bool)
    ids, env = read_columns(people, dict(p.inputs), hand_over=hand_over)
    set_params(p, env, params)
    if hand_over.any():
        raise Unsupported(None, "values too large for int64 columns")
    n = len(ids)
    org = Org(ids, people)
    set_period(p, env, n, period)
    frame = Frame(p, n, env)
    bad = np.zeros(n, dtype=bool)

    def note(value) -> None:
        nonlocal bad
        if value.bad is not None:
            bad |= np.broadcast_to(value.bad, (n,))
    per_deal = [i for c in p.components for i in c.items if isinstance(i, ir.Tiers) and i.per]
    deal_frame = None
    if any(m.source == "deals" for m in p.measures) or per_deal:
        if deals is None:
            raise Unsupported(None, "a plan with measures over deals, run with no deals table")
        rows = credit(p, read_deals(p, as_arrow(deals), ids), None if splits is None else as_arrow(splits), ids, org)
        deal_frame = DealFrame(p, rows, frame)
        for m in (m for m in p.measures if m.source == "deals"):
            env[m.name] = _measure(m, deal_frame, rows, n)
            note(env[m.name])
    if p.reads_activities:
        if activities is None:
            raise Unsupported(None, "a plan with measures over activities, run with no activities table")
        own = owned(read_activities(p, as_arrow(activities), ids))
        activity_frame = DealFrame(p, own, frame)
        for m in (m for m in p.measures if m.source == "activities"):
            env[m.name] = _measure(m, activity_frame, own, n)
            note(env[m.name])
    early = person_definitions(p)
    lets = {let.name: let for let in p.lets}
    for name in early:
        env[name] = frame(lets[name].expr)
        note(env[name])
    for m in (m for m in p.measures if m.source in ("team", "reports") and not m.of_pay):
        keep, cond_bad = frame.condition(m.where)
        if cond_bad is not None:
            bad |= np.broadcast_to(cond_bad, (n,))
        value = frame(m.value) if m.value is not None else env[m.field] if m.field else None
        env[m.name] = (org.team_measure(m.agg, value, keep) if m.source == "team"
                       else org.reports_measure(m.agg, value, keep))
        note(env[m.name])
    for let in p.lets:
        if let.name not in early:
            env[let.name] = frame(let.expr)
            note(env[let.name])
    for c in p.contests:
        frame.contests[c.name] = contest(frame, c, org)
        for col in frame.contests[c.name].values():
            note(col)
    pools: dict = {}
    if per_deal:
        lines = Lines(p)
        for item in per_deal:
            pools[("tiers", id(item))] = deal_tiers(lines, deal_frame, rows, item, n)
            note(pools[("tiers", id(item))])
    for comp in p.components:
        for item in comp.items:
            if isinstance(item, ir.Pool):
                pools[item.key] = pool(frame, item, org, plan)
                note(pools[item.key])
    amounts, total, awards, finish_bad = finish(p, frame, pools, org)
    bad |= finish_bad
    if bad.any():
        raise _Undecided(int(bad.sum()))
    return TableResult(build_table(p, ids, amounts, total, awards, {}), "columnar")


def _measure(m: ir.Measure, frame: DealFrame, rows, n: int) -> Number:
    """A measure over credited deals or owned activities: its condition and value over every row at
    once, aggregated per payee.  A row whose condition could not be decided, or whose value the row
    evaluator could not read (an empty optional column), makes its payee bad."""
    keep, cond_bad = frame.condition(m.where)
    bad = None if cond_bad is None else _any_by(rows.payee, np.broadcast_to(cond_bad, (rows.n,)), n)
    value = frame(m.value) if m.value is not None else frame.column(m.field) if m.field else None
    return V.with_bad(aggregate(m.agg, value, rows.payee, keep, n), bad)


def finish(p: ir.Plan, frame: Frame, pools: dict, org: Org):
    """Pay everyone.  Measures of what the reports were paid are worked out from the reports' pay:
    the whole population is paid once per level of the org chart, deepest first in effect (after
    round k, everyone with at most k levels below them has their reports' final pay)."""
    of_pay = [m for m in p.measures if m.of_pay]
    rounds = int(org.depth.max(initial=0)) + 1 if of_pay else 1
    for m in of_pay:
        frame.env[m.name] = V.zeros(frame.n)
    for _ in range(rounds):
        amounts, total, awards, bad = evaluate(p, frame, pools, lets=lambda f: None)
        paid = {**amounts, "total": total}
        for m in of_pay:
            keep, cond_bad = frame.condition(m.where)
            if cond_bad is not None:
                bad = bad | np.broadcast_to(cond_bad, (frame.n,))
            frame.env[m.name] = org.reports_measure(m.agg, paid[m.field], keep)
    return amounts, total, awards, bad


class Org:
    """Teams and the org chart of a people table, as row indexes."""

    def __init__(self, ids: pa.Array, people: pa.Table):
        n = len(ids)
        self.n = n
        self.ids = ids
        names = people.column_names
        if "team" in names:
            team = pc.utf8_trim_whitespace(_array(people.column("team")).cast(pa.string())).fill_null("")
            codes = team.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64)
            alone = pc.equal(team, "").to_numpy(zero_copy_only=False)
        else:
            codes, alone = np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
        # a person without a team is a team of one: codes after the teams', then numbered 0.. in order
        codes = np.where(alone, codes.max(initial=0) + 1 + np.arange(n), codes)
        self.team = np.unique(codes, return_inverse=True)[1].astype(np.int64)
        self.teams = int(self.team.max(initial=-1)) + 1
        self.manager = np.full(n, -1, dtype=np.int64)
        if "manager" in names:
            manager = pc.utf8_trim_whitespace(_array(people.column("manager")).cast(pa.string()))
            if pc.any(pc.not_equal(manager, "")).as_py():
                found = pc.index_in(manager, value_set=ids)
                self.manager = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        depth = np.zeros(n, dtype=np.int64)
        up = self.manager.copy()
        for _ in range(n + 1):
            live = up >= 0
            if not live.any():
                break
            depth[live] += 1
            up = np.where(live, self.manager[np.maximum(up, 0)], -1)
        self.depth = depth

    def team_measure(self, agg: str, value: Number | None, keep: np.ndarray | None) -> Number:
        per_team = aggregate(agg, value, self.team, keep, self.teams)
        return _gather(per_team, self.team)

    def reports_measure(self, agg: str, value: Number | None, keep: np.ndarray | None) -> Number:
        """Over everyone below each person in the org chart (not the person)."""
        n = self.n
        kept = np.ones(n, dtype=bool) if keep is None else keep
        count = np.zeros(n, dtype=np.int64)
        if agg == "count" or agg == "average":
            own = kept.astype(np.int64)
            for d in range(int(self.depth.max(initial=0)), 0, -1):
                at = np.flatnonzero(self.depth == d)
                np.add.at(count, self.manager[at], own[at] + count[at])
            if agg == "count":
                return Num(count, 0)
        if not isinstance(value, Num):
            raise Unsupported(None, "a measure of reports over values that are not exact")
        v = np.broadcast_to(np.asarray(value.v), (n,))
        if agg in ("sum", "average"):
            if value.maxabs() * max(n, 1) >= V.SAFE:
                raise Unsupported(None, "a measure of reports too large for int64")
            own = np.where(kept, v, 0)
            acc = np.zeros(n, dtype=np.int64)
            for d in range(int(self.depth.max(initial=0)), 0, -1):
                at = np.flatnonzero(self.depth == d)
                np.add.at(acc, self.manager[at], own[at] + acc[at])
            total = Num(acc, value.scale, value.bad)
            if agg == "sum":
                return total
            has = count > 0
            return V.where(has, V.div(total, Num(np.where(has, count, 1), 0)), V.zeros(n))
        f = np.minimum if agg == "min" else np.maximum
        fill = np.iinfo(np.int64).max if agg == "min" else np.iinfo(np.int64).min
        own = np.where(kept, v, fill)
        acc = np.full(n, fill, dtype=np.int64)
        for d in range(int(self.depth.max(initial=0)), 0, -1):
            at = np.flatnonzero(self.depth == d)
            f.at(acc, self.manager[at], f(own[at], acc[at]))
        return Num(np.where(acc == fill, 0, acc), value.scale, value.bad)

    @cached_property
    def rank_of_id(self) -> np.ndarray:
        """Each person's place in id order (ties in contests and pools go to the lower id)."""
        return id_rank(self.ids)

    def groups(self, among: str) -> np.ndarray:
        return self.team if among == "team" else np.zeros(self.n, dtype=np.int64)


def _gather(col: Number, index: np.ndarray) -> Number:
    bad = None if col.bad is None else np.asarray(col.bad)[index]
    if isinstance(col, Num):
        return Num(np.asarray(col.v)[index], col.scale, bad)
    return Approx(col.x[index], col.e[index], bad)


