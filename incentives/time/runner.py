"""Running a plan set for a period, or a sequence of periods, through the ledger.

For each period, in order:
- an open period (or one never run) is paid: each plan in force pays its assigned payees; the
  earnings, deals, clawbacks, draw, recovery and balance go to the ledger, replacing an earlier
  run of the same period (restatement differences booked into it stay);
- a final period is never changed: it is worked out again with today's data, and the difference
  from what it recorded, component by component, is booked as an adjustment into the open period
  after the last final one, which pays it (or recovers it) when it runs, and shows it as such.

Before anything is written, the sequence is checked so that no recorded open period is left stale:
a run may not skip over a later recorded open period, nor book into one it does not run again.
A run with no ledger file works in an in-memory one, so balances still carry through a sequence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from incentives.engine.calendar import Period, period_of
from incentives.engine.result import PayeeResult
from incentives.errors import DataError, Problem
from incentives.plan import Plan
from incentives.sales.population import Population
from .ledger import Entry, Ledger, PeriodRecord, RunRecord
from .pay import PayeePeriod, attribute, clawbacks, earnings, settle_payee
from .prepare import PeriodData, PlanPeriod, prepare
from .versions import PlanSet

DAY = dt.timedelta(days=1)
RESTATED = "re-run of final period"  # the note of a restatement's adjustments


@dataclass
class PeriodRun:
    """What running one period did."""

    period: Period
    status: str  # "paid" (an open period), or "restated" (a final one: differences booked elsewhere)
    payees: list[PayeePeriod] = field(default_factory=list)
    booked_into: str | None = None  # restated: the open period the differences are paid in
    differences: list[Entry] = field(default_factory=list)  # restated: what was booked

    @property
    def paid(self) -> Decimal:
        return sum((p.settlement.paid for p in self.payees if p.settlement is not None), Decimal(0))


def memory_ledger() -> Ledger:
    """A ledger in memory for one command: its tables made from the model (the migrations are for files
    and databases that last)."""
    from sqlalchemy.pool import StaticPool
    from .ledger_model import Base
    ledger = Ledger("sqlite://", engine_options={"poolclass": StaticPool,
                                                  "connect_args": {"check_same_thread": False}}, migrate=False)
    Base.metadata.create_all(ledger.engine)
    return ledger


def run_periods(plans: list[Plan], data: PeriodData, periods: list[Period], ledger: Ledger | None = None,
                progress: Callable[[Period], None] | None = None) -> list[PeriodRun]:
    """Run the plans for each period in order (see the module's docstring); `progress` is told of each
    period as it is done (a progress bar)."""
    plan_set = PlanSet.of(plans)
    own = ledger is None
    ledger = memory_ledger() if ledger is None else ledger
    try:
        check_sequence(ledger, periods)
        out = []
        for p in periods:
            out.append(_run_one(plan_set, data, p, ledger))
            if progress is not None:
                progress(p)
        return out
    finally:
        if own:
            ledger.close()


def check_sequence(ledger: Ledger, periods: list[Period]) -> None:
    """Refuse, before anything is written, a sequence that would leave a recorded open period stale."""
    ran = {r.period for r in ledger.runs() if r.kind == "run"}
    # a period only booked into by a restatement has not been run: nothing of it can be stale
    recorded = {p.label: p for p in ledger.periods() if p.label in ran or p.status == "final"}
    finals = [p for p in recorded.values() if p.status == "final"]
    last_final = max((p.end for p in finals), default=None)
    labels = {p.label for p in periods}
    problems = []
    for p in periods:
        rec = recorded.get(p.label)
        if rec is not None and (rec.start, rec.end) != (p.start, p.end):
            problems.append(f"{p.label}: the ledger has it from {rec.start} to {rec.end}")
        if rec is not None and rec.status == "final":
            into = open_after(ledger, p)
            later = recorded.get(into.label)
            if later is not None and into.label not in labels:
                last = max((q for q in recorded.values() if q.status == "open"), key=lambda q: q.start).label
                problems.append(f"{p.label} is final: a difference is paid in {into.label}, which has been run: run "
                                f"{p.label}..{last} so that {into.label} pays it and the balances after it follow")
            continue
        if last_final is not None and p.start <= last_final:
            problems.append(f"{p.label} comes before a final period (the last ends {last_final}): periods are "
                            f"closed in order")
        stale = sorted(q.label for q in recorded.values()
                       if q.status == "open" and q.start > p.end and q.label not in labels)
        if stale:
            problems.append(f"{', '.join(stale)} {'was' if len(stale) == 1 else 'were'} run after {p.label}: run "
                            f"{p.label}..{stale[-1]} so the balances carried forward stay right")
    if problems:
        raise DataError([Problem(f"{ledger.where}: {text}", code="ledger", file=str(ledger.where))
                         for text in dict.fromkeys(problems)])


def open_after(ledger: Ledger, period: Period) -> Period:
    """The open period a final period's differences are booked into: the first after the last final one."""
    finals = [p for p in ledger.periods() if p.status == "final"]
    last = max((p.end for p in finals), default=period.end)
    kind = period.kind if period.kind != "range" else "month"
    return period_of(kind, max(last, period.end) + DAY)


def _run_one(plan_set: PlanSet, data: PeriodData, period: Period, ledger: Ledger) -> PeriodRun:
    rec = ledger.period(period.label)
    if rec is not None and rec.status == "final":
        return _restate(plan_set, data, period, ledger)
    payees: list[PayeePeriod] = []
    plans = []
    for name in plan_set.names:
        plan = plan_set.in_force(name, period)
        plans.append(plan)
        payees += pay_plan(plan, data, period, ledger)
    entries = [e for p in payees for e in p.entries()]
    ledger.record(_run_record(period, "run", plans, data), _record(period), entries)
    return PeriodRun(period, "paid", payees)


def pay_plan(plan: Plan, data: PeriodData, period: Period, ledger: Ledger, settle: bool = True) -> list[PayeePeriod]:
    """One plan's payees for the period, settled against the ledger's balances (settle=False: earnings only)."""
    pp = prepare(plan, data, period)
    results, credits = _population(pp)
    ytd = _ytd(plan, data, period, ledger, results) if any(c.ytd for c in plan.ir.components) else {}
    before = _paid_on_deals(ledger, plan.name, period) if settle and plan.ir.clawbacks else {}
    balances = ledger.closing_balances(plan.name, period.start) if settle else {}
    first_paid = _first_paid(ledger, plan, period) if settle and plan.ir.draw is not None else {}
    adjustments: dict[str, list[Entry]] = {}
    for e in ledger.entries(booked_in=period.label, plan=plan.name, kinds=("adjustment",)) if settle else ():
        adjustments.setdefault(e.payee, []).append(e)
    out = []
    for result in results:
        pid = result.payee
        earned, conversion, currency = earnings(pp, data, result, ytd.get(pid, {}))
        p = PayeePeriod(pid, plan.name, plan.source.name, plan.hash, currency, result, earned, conversion,
                        ytd.get(pid, {}), days=pp.days.get(pid, (0, 0)), dated=pp.dated.get(pid, []))
        p.deals = attribute(result, earned, currency, lets={let.name: let.expr for let in plan.ir.lets})
        p.converted = {str(d.get("id")): pp.conversions[str(d.get("id"))] for d in credits.get(pid, [])
                       if str(d.get("id")) in pp.conversions}
        if settle:
            p.clawbacks = clawbacks(pp, pid, result.values, credits.get(pid, []), before.get(pid, {}), currency,
                                    data.deals_file)
            opening, p.opening_period = balances.get((pid, currency), (Decimal(0), None))
            p.adjustments = adjustments.get(pid, [])
            adjusted = sum((e.amount for e in p.adjustments if e.currency == currency), Decimal(0))
            p.settlement = settle_payee(pp, data, p, opening, adjusted, first_paid=first_paid.get(pid))
        out.append(p)
    if settle:  # people off the plan now (they left, or moved) with a deal reversed or a difference to pay
        out += _off_plan(pp, data, ledger, credits, before, adjustments, balances, {p.payee for p in out})
    return out


def _off_plan(pp: PlanPeriod, data: PeriodData, ledger: Ledger, credits: dict, before: dict,
              adjustments: dict[str, list[Entry]], balances: dict, paid: set[str]) -> list[PayeePeriod]:
    """Someone the plan does not pay this period still has a clawback of a deal it paid them on, or a
    restatement difference booked to them: they are settled (no draw), and what they owe is carried."""
    out = []
    plan = pp.plan
    for pid in sorted((set(before) | set(adjustments)) - paid):
        person = pp.sales.people.get(pid)
        if person is None:
            continue
        result = PayeeResult(pid, Decimal(0), [], [])
        earned, conversion, currency = earnings(pp, data, result, {})
        p = PayeePeriod(pid, plan.name, plan.source.name, plan.hash, currency, result, earned, conversion)
        p.clawbacks = clawbacks(pp, pid, dict(person.values), credits.get(pid, []), before.get(pid, {}), currency,
                                data.deals_file)
        p.adjustments = adjustments.get(pid, [])
        if not p.clawbacks and not p.adjustments:
            continue
        opening, p.opening_period = balances.get((pid, currency), (Decimal(0), None))
        adjusted = sum((e.amount for e in p.adjustments if e.currency == currency), Decimal(0))
        p.settlement = settle_payee(pp, data, p, opening, adjusted, draw=False)
        out.append(p)
    return out


def _population(pp: PlanPeriod) -> tuple[list, dict[str, list]]:
    """The plan's results for its payees, traced, and each payee's credited deals."""
    pop = Population(pp.plan, pp.sales, pp.range, pp.days, pp.payees)
    start, end = pp.range
    for pid, spans in pp.windows.items():  # moved between plans inside the period: only their days here
        if pid in pop.credits and spans != [(start, end)]:
            pop.credits[pid] = [d for d in pop.credits[pid] if not (start <= d["date"] <= end)
                                or any(lo <= d["date"] <= hi for lo, hi in spans)]
    return pop.run(trace=True), pop.credits


def _ytd(plan: Plan, data: PeriodData, period: Period, ledger: Ledger,
         results: list) -> dict[str, dict[str, tuple[Decimal, Decimal]]]:
    """For ytd components: each payee's year-to-date amount (plan currency) and what they earned on the
    component before this period in the year (pay currency, from the ledger)."""
    first = dt.date(period.end.year, 1, 1)
    if plan.ir.effective is not None:
        first = max(first, plan.ir.effective[0])
    names = [c.name for c in plan.ir.components if c.ytd]
    if first >= period.start:  # the first period of the year: the year to date is the period
        return {r.payee: {n: (r.component(n).amount, Decimal(0)) for n in names} for r in results}
    year, _ = _population(prepare(plan, data, period, start=first))
    by_payee = {r.payee: r for r in year}
    before: dict[tuple[str, str], Decimal] = {}  # (payee, component) -> earned before, in the pay currency
    for (payee, component, _), amount in ledger.sums(kinds=("earned", "adjustment"), plan=plan.name,
                                                     about_between=(first, period.start - DAY)).items():
        before[(payee, component)] = before.get((payee, component), Decimal(0)) + amount
    out = {}
    for r in results:
        y = by_payee.get(r.payee)
        out[r.payee] = {n: (y.component(n).amount if y else Decimal(0), before.get((r.payee, n), Decimal(0)))
                        for n in names}
    return out


def _first_paid(ledger: Ledger, plan: Plan, period: Period) -> dict[str, dt.date]:
    """For a plan with no effective dates: the first day of the first period the ledger paid each payee in
    (a draw's `delay` and `for N periods` count from there when there are no assignments)."""
    if plan.ir.effective is not None:
        return {}
    starts = {p.label: p.start for p in ledger.periods()}
    out: dict[str, dt.date] = {}
    for e in ledger.entries(plan=plan.name, kinds=("paid",)):
        start = starts.get(e.about)
        if start is not None and start < period.start and (e.payee not in out or start < out[e.payee]):
            out[e.payee] = start
    return out


def _paid_on_deals(ledger: Ledger, plan: str, period: Period) -> dict[str, dict[str, Decimal]]:
    """What each payee was paid on each deal in periods before this one (earnings less clawbacks)."""
    ends = {p.label: p.end for p in ledger.periods()}
    out: dict[str, dict[str, Decimal]] = {}
    for e in ledger.entries(plan=plan, kinds=("deal_earned", "clawback")):
        if ends.get(e.about, period.end) < period.start:
            mine = out.setdefault(e.payee, {})
            mine[e.deal] = mine.get(e.deal, Decimal(0)) + e.amount
    return out


def _restate(plan_set: PlanSet, data: PeriodData, period: Period, ledger: Ledger) -> PeriodRun:
    """A final period worked out again: the differences from its record, booked into the open period."""
    into = open_after(ledger, period)
    plans, differences = [], []
    # corrections recorded by hand (the service's POST /adjustments) about this period stay as they are
    kept = [e for e in ledger.entries(booked_in=into.label, about=period.label, kinds=("adjustment",))
            if not e.note.startswith(RESTATED)]
    for name in plan_set.names:
        plan = plan_set.in_force(name, period)
        plans.append(plan)
        now = {(p.payee, p.currency, c): a for p in pay_plan(plan, data, period, ledger, settle=False)
               for c, a in p.earned.items()}
        was: dict[tuple[str, str, str], Decimal] = {}
        for e in ledger.entries(about=period.label, plan=name, kinds=("earned", "adjustment")):
            if e.kind == "adjustment" and (e.booked_in == into.label or not e.note.startswith(RESTATED)):
                continue  # an earlier restatement's difference not paid yet (replaced now), or a correction by hand
            key = (e.payee, e.currency, e.component)
            was[key] = was.get(key, Decimal(0)) + e.amount
        for key in sorted(set(now) | set(was)):
            diff = now.get(key, Decimal(0)) - was.get(key, Decimal(0))
            if diff:
                payee, currency, component = key
                differences.append(Entry(payee, name, "adjustment", diff, currency, component=component,
                                         booked_in=into.label, about=period.label,
                                         note=f"{RESTATED} {period.label}"))
    ledger.book(_run_record(into, "restatement", plans, data, f"{RESTATED} {period.label}"),
                _record(into), period.label, [*kept, *differences])
    return PeriodRun(period, "restated", booked_into=into.label, differences=differences)


def _record(period: Period) -> PeriodRecord:
    return PeriodRecord(period.label, period.kind, period.start, period.end)


def _run_record(period: Period, kind: str, plans: list[Plan], data: PeriodData, note: str = "") -> RunRecord:
    return RunRecord(period.label, kind, [{"name": p.name, "file": p.source.name, "hash": p.hash,
                                           "effective": [str(d) for d in p.ir.effective] if p.ir.effective else None}
                                          for p in plans], data.data_hash, note)
