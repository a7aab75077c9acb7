"""Evaluate a plan over a population: people, their credited deals, teams and reports.

The order of work: credit the deals; take each person's measures of deals;
then the measures of team and reports (which aggregate those); then evaluate
every person's plan with the measures as values and the credited deals at
hand for per-deal tiers.  Traced runs keep, for each measure, the deals or
people behind it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from dsl.periods import period_bounds

from incentives.engine import ir
from .crediting import credit
from .exclusions import Excluder
from incentives.errors import DataError, EvaluationError
from incentives.engine.evaluate import CONTEXT
from incentives.engine.compiled import CompiledPlan
from incentives.engine.compile import read_column
from incentives.engine.period import period_values
from .ranking import rank, share_out
from incentives.engine.result import ContestResult, PayeeResult, PoolShare
from incentives.engine.schedule import DealScope, PayeeContext, Values, person_definitions, stages
from .activities import by_owner
from .records import Sales

ZERO = Decimal(0)
ONE = Decimal(1)  # what `count` adds up per deal or person


@dataclass
class _Work:
    """One run's working data, stage by stage: values, then prepared values, contests, pools, results."""

    values: dict[str, dict[str, Any]]
    trace: bool
    traces: dict[str, list["MeasureTrace"]] = field(default_factory=dict)
    prepared: dict[str, Values] = field(default_factory=dict)
    contests: dict[str, list[ContestResult]] = field(default_factory=dict)
    pools: dict[str, dict[str, PoolShare]] = field(default_factory=dict)
    paid: dict[str, PayeeResult] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.traces = {pid: [] for pid in self.values}


@dataclass
class MeasureTrace:
    """What a measure was taken over: credited deals (deal rows), the payee's activities (activity
    rows, in `deals`, with source "activities") or people (id, value)."""

    name: str
    value: Decimal
    deals: list[dict[str, Any]] = field(default_factory=list)
    people: list[tuple[str, Decimal]] = field(default_factory=list)
    # a measure of deals: the payee's credited deals its condition left out, with (kind, reason):
    # kind status, period or condition (see `exclusions`); kept only in traced runs
    excluded: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)
    source: str = "deals"  # deals, activities, team or reports


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """`2026`, `2026-H1`, `2026-Q3`, `2026-03` or `2026-01-01..2026-02-28`: first and last day."""
    try:
        return period_bounds(text)
    except ValueError as e:
        raise DataError([str(e)]) from None


class Population:
    """One plan over one population and period.  Holds only this run's data: the compiled plan it
    is given is read, never changed, so one plan may run many populations at once."""

    def __init__(self, plan: CompiledPlan, sales: Sales, period: tuple[dt.date, dt.date] | None = None,
                 days: dict[str, tuple[int, int]] | None = None, payees: frozenset[str] | None = None):
        """days: each payee's (days in the period, days on the plan in it), from their assignments;
        payees: who this plan pays (its contests and pools are among them); everyone when None."""
        self.plan = plan
        self.sales = sales
        self.period = period if period is not None else plan.ir.effective
        self.days = days or {}
        self.payees = payees
        self.deal_fns = plan.evaluator.deal_compile
        with localcontext(CONTEXT):
            self.credits = credit(sales, plan.ir.crediting, plan.ir.deal_fields)
        self.own_activities = by_owner(sales.activities, sales.people)  # credited to their owner only

    def _base(self, pid: str) -> dict[str, Any]:
        # the params' defaults where the person's values do not give them: measures may read params
        values = {**self.plan.evaluator.params, **self.sales.people[pid].values}
        if self.period is not None:
            period_values(self.plan.ir, values, *self.period, self.days.get(pid))
        return values

    def run(self, trace: bool = False) -> list[PayeeResult]:
        """Every payee's result, in the order of the people table, working through the plan's stages."""
        work = _Work({pid: self._base(pid) for pid in self.sales.people}, trace)
        for stage in stages(self.plan.ir):
            getattr(self, "_" + stage.name.lower())(work)
        return [work.paid[pid] for pid in self.sales.people if self.payees is None or pid in self.payees]

    # ---- the stages, in the order `stages` gives them ----
    def _credit(self, work: "_Work") -> None:
        pass  # done when the population is made: crediting depends on the data alone, not the stage order

    def _deal_measures(self, work: "_Work") -> None:
        with localcontext(CONTEXT):
            for m in (m for m in self.plan.ir.measures if m.source in ("deals", "activities")):
                records = self.credits if m.source == "deals" else self.own_activities
                where, value = self.deal_fns.opt(m.where), self.deal_fns.opt(m.value)
                # only a traced run says why a deal was left out: the untraced loop stays as it was
                excluder = (Excluder(m.where, self.deal_fns) if work.trace and where is not None and m.source == "deals"
                            else None)
                for pid, v in work.values.items():
                    scope = DealScope(v)
                    rows, picked, left_out = [], [], []
                    with self._guard(pid):  # an error in the condition or value names the payee
                        for deal in records[pid]:
                            scope.deal = deal
                            if where is None or where(scope):
                                rows.append(deal)
                                picked.append(_measured(value, scope, pid, deal, m.source) if value is not None else
                                              read_column(deal, m.field, m.span) if m.field else ONE)
                            elif excluder is not None:
                                left_out.append((deal, *excluder.reason(scope)))
                        v[m.name] = _aggregate(m, picked)
                    if work.trace:
                        work.traces[pid].append(MeasureTrace(m.name, v[m.name], deals=rows, excluded=left_out,
                                                             source=m.source))

    def _group_measures(self, work: "_Work") -> None:
        values = work.values
        groups = {"team": self._teams(), "reports": self._reports()}
        fns = self.plan.evaluator.compile
        with localcontext(CONTEXT):
            for m in (m for m in self.plan.ir.measures if m.source in ("team", "reports") and not m.of_pay):
                where, value = fns.opt(m.where), fns.opt(m.value)
                taken: dict[str, Decimal] = {}  # each person's value, worked out once, when first needed

                def take(q: str) -> Decimal:
                    if value is None:
                        return values[q][m.field] if m.field else ONE
                    if q not in taken:
                        with self._guard(q):
                            taken[q] = value(values[q])
                    return taken[q]
                kept: dict[str, bool] = {}  # each person's condition, worked out once, naming them on error

                def keeps(q: str) -> bool:
                    if q not in kept:
                        with self._guard(q):
                            kept[q] = bool(where(values[q]))
                    return kept[q]
                computed = {}
                for pid in values:
                    members = [q for q in groups[m.source][pid] if where is None or keeps(q)]
                    picked = [(q, take(q)) for q in members]
                    computed[pid] = _aggregate(m, [x for _, x in picked])
                    if work.trace:
                        work.traces[pid].append(MeasureTrace(m.name, computed[pid], people=picked))
                for pid, x in computed.items():
                    values[pid][m.name] = x

    def _person_definitions(self, work: "_Work") -> None:
        """The definitions the measures of team and reports read, for every person (in the plan's
        order of definitions), into the person's values: the rest come in `_prepare`."""
        evaluator, names = self.plan.evaluator, person_definitions(self.plan.ir)
        for pid, v in work.values.items():
            if not self._pays(pid):
                try:  # someone this plan does not pay, there for their deals: their definitions if they have them
                    defined = evaluator.prepare(v, lets=names)
                except EvaluationError:
                    continue
            else:
                with evaluator.guard(pid):
                    defined = evaluator.prepare(v, lets=names)
            v.update((name, defined[name]) for name in names)

    def _prepare(self, work: "_Work") -> None:
        evaluator = self.plan.evaluator
        early = person_definitions(self.plan.ir)  # worked out already, before the measures of people
        rest = [let.name for let in self.plan.ir.lets if let.name not in early] if early else None
        for pid, v in work.values.items():
            if not self._pays(pid):
                continue  # in the population for their deals (team and reports measures), not paid here
            with evaluator.guard(pid):
                work.prepared[pid] = evaluator.prepare(v, PayeeContext(deals=self.credits.get(pid, ())), rest)

    def _contests(self, work: "_Work") -> None:
        with localcontext(CONTEXT):
            work.contests = self._decide_contests(work.prepared)

    def _pools(self, work: "_Work") -> None:
        with localcontext(CONTEXT):
            work.pools = self._share_pools(work.prepared)

    def _finish(self, work: "_Work") -> None:
        evaluator = self.plan.evaluator
        reports = self._reports()
        pay_measures = [m for m in self.plan.ir.measures if m.of_pay]
        prepared, paid = work.prepared, work.paid
        for pid in self._reports_first():
            if not self._pays(pid):
                continue  # in the population (their deals roll up), not paid by this plan
            v = prepared[pid]
            mine = work.contests.get(pid, [])
            v.context = PayeeContext(v.context.deals, {c.name: c for c in mine}, work.pools.get(pid, {}))
            for m in pay_measures:  # what the reports were paid: they are finished already
                where = evaluator.compile.opt(m.where)
                picked = [(q, _paid(paid[q], m.field)) for q in reports[pid]
                          if q in paid and (where is None or where(prepared[q]))]
                with localcontext(CONTEXT):
                    v[m.name] = _aggregate(m, [x for _, x in picked])
                if work.trace:
                    work.traces[pid].append(MeasureTrace(m.name, v[m.name], people=picked))
            result = evaluator.run_prepared(v, pid, work.trace)
            if work.trace:
                result.measures = work.traces[pid]
                result.contests = mine
            paid[pid] = result

    def _reports_first(self) -> list[str]:
        """Everyone, each person after all of their reports (deepest in the org chart first)."""
        def depth(pid: str) -> int:
            n, manager = 0, self.sales.people[pid].manager
            while manager:
                n, manager = n + 1, self.sales.people[manager].manager
            return n
        return sorted(self.sales.people, key=lambda pid: (-depth(pid), pid))

    def _pays(self, pid: str) -> bool:
        return self.payees is None or pid in self.payees

    def _guard(self, pid: str):
        return self.plan.evaluator.guard(pid)

    def _partition(self, among: str) -> list[list[str]]:
        """The groups a contest or pool is decided within, each once: everyone, or each team (a person
        without a team alone).  Deciding group by group, not person by person, keeps a contest or pool
        among n people at O(n log n) (it was O(n^2): each person's group was rebuilt and hashed)."""
        people = [p for p in self.sales.people.values() if self.payees is None or p.id in self.payees]
        if among != "team":
            return [sorted(p.id for p in people)]
        by_team: dict[str, list[str]] = {}
        alone: list[list[str]] = []
        for p in people:
            if p.team:
                by_team.setdefault(p.team, []).append(p.id)
            else:
                alone.append([p.id])
        return [*by_team.values(), *alone]

    def _decide_contests(self, values: dict[str, dict]) -> dict[str, list[ContestResult]]:
        fns = self.plan.evaluator.compile
        quantum = self.plan.evaluator.quantum
        out: dict[str, list[ContestResult]] = {pid: [] for pid in values}
        for c in self.plan.ir.contests:
            score, qualify = fns(c.rank_by), fns.opt(c.qualify)
            breakers = [fns(b) for b in c.tie_breakers]
            # prizes are constants or params, which are the same for everyone: anyone's values give them
            anyone = next(iter(values.values()), {})
            prizes = [fns(p)(anyone) for p in c.prizes] if values else []
            for members in self._partition(c.among):
                entrants = {}
                for q in members:  # only qualified entrants are scored: `qualify` may guard the score
                    with self._guard(q):
                        if qualify is None or qualify(values[q]):
                            entrants[q] = (score(values[q]), *(b(values[q]) for b in breakers))
                placings = rank(entrants, prizes, c.ties, quantum)
                competitors = Decimal(len(placings))
                for pid in members:
                    mine = placings.get(pid)
                    placed = mine is not None and (c.places is None or mine.place <= c.places)
                    out[pid].append(ContestResult(
                        c.name, mine is not None, entrants[pid][0] if pid in entrants else None,
                        Decimal(mine.place if placed else 0), mine.tied if mine else 0, competitors,
                        mine.prize if placed else ZERO))
        return out

    def _share_pools(self, values: dict[str, dict]) -> dict[str, dict[str, PoolShare]]:
        ev = self.plan.evaluator
        out: dict[str, dict[str, PoolShare]] = {pid: {} for pid in values}
        pools = [i for comp in self.plan.ir.components for i in comp.items if isinstance(i, ir.Pool)]
        for pool in pools:
            amount_fn, by_fn = ev.compile(pool.amount), ev.compile.opt(pool.by)
            for members in self._partition(pool.among):
                amounts = {}
                for q in members:
                    with self._guard(q):
                        amounts[q] = ev.round(amount_fn(values[q]))
                first = members[0]
                for q in members:
                    if amounts[q] != amounts[first]:
                        raise EvaluationError(pool.span, f"the pool is not the same for the whole {pool.among}: "
                                                         f"{amounts[first]} for {first}, {amounts[q]} for {q}", q)
                weights = {}
                for q in members:  # a negative contribution (refunds above sales) counts as none
                    with self._guard(q):
                        weights[q] = max(by_fn(values[q]), ZERO) if by_fn else Decimal(1)
                shares = share_out(amounts[first], weights, ev.quantum)
                total = sum(weights.values(), ZERO)
                for q in members:
                    out[q][pool.key] = PoolShare(amounts[first], len(members), weights[q], total, shares[q])
        return out

    def _teams(self) -> dict[str, list[str]]:
        by_team: dict[str, list[str]] = {}
        for p in self.sales.people.values():
            if p.team:
                by_team.setdefault(p.team, []).append(p.id)
        return {p.id: by_team[p.team] if p.team else [p.id] for p in self.sales.people.values()}

    def _reports(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {pid: [] for pid in self.sales.people}
        for p in self.sales.people.values():
            manager = p.manager
            while manager:
                out[manager].append(p.id)
                manager = self.sales.people[manager].manager
        return out



def _measured(fn, scope: DealScope, pid: str, deal: dict[str, Any], source: str = "deals") -> Decimal:
    """What a measure takes of one credited deal (or activity); an error names the payee and the record."""
    try:
        return fn(scope)
    except EvaluationError as err:
        what = "deal" if source == "deals" else "activity"
        raise EvaluationError(err.span, f"{err.message} ({what} {deal.get('id')})", err.payee or pid) from None


def _paid(result: PayeeResult, what: str) -> Decimal:
    if what == "total":
        return result.total
    return result.component(what).amount


def _aggregate(m: ir.Measure, xs: list[Decimal]) -> Decimal:
    """sum, count, average, min, max of the values; an empty set gives 0."""
    if m.agg == "count":
        return Decimal(len(xs))
    xs = [x for x in xs if x is not None]
    if not xs:
        return ZERO
    if m.agg == "sum":
        return sum(xs, ZERO)
    if m.agg == "average":
        return sum(xs, ZERO) / len(xs)
    return min(xs) if m.agg == "min" else max(xs)
