"""Properties `over periods`: laws of each payee's year, run period by period through a ledger.

Hypothesis draws a year of the plan's periods (from its effective start; twelve months, four
quarters, two halves or one year) with a few payees: their inputs period by period, their first
and last days on the plan (a late start, a leaving date), and, for a plan that reads deals, deals
across the year of which some are later churned (a `reversal_date` up to 150 days after the
close).  The plan runs every period through an in-memory ledger, and each law must hold for every
payee's totals over the year: earned, adjusted, clawed_back, paid_on_clawed, advanced, guaranteed,
recovered, forgiven, paid, opening and closing (see `dsl.check_tests.PERIOD_LAW_NAMES`).

`always paid == earned + guaranteed + forgiven + adjusted - clawed_back - closing` holds for any
plan (what is paid is what was earned, topped up and written off, less what is still owed), and
`always clawed_back <= paid_on_clawed` says a clawback never takes back more than was paid.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from dsl.check_tests import PERIOD_LAW_NAMES
from dsl.printer import expr_text

from incentives.engine import calendar, ir, numbers
from incentives.engine.compiled import CompiledPlan
from incentives.engine.evaluate import CONTEXT
from incentives.errors import DataError, EvaluationError
from incentives.plan import Plan
from incentives.sales.records import Person, Sales
from incentives.time.data import Assignment, DatedValue
from incentives.time.prepare import PeriodData
from incentives.time.runner import run_periods
from .outcome import DEFAULT_EXAMPLES, Outcome, hypothesis_settings
from .sales_strategies import sales_strategy
from .strategies import input_strategy

MAX_PEOPLE = 2
COUNT = {"month": 12, "quarter": 4, "half": 2, "year": 1}


def year_of(plan: ir.Plan) -> list[calendar.Period]:
    """The periods a property over periods runs: a year of the plan's kind from its effective start."""
    start = plan.effective[0] if plan.effective is not None else dt.date(2026, 1, 1)
    first = calendar.period_of(plan.period, start)
    out = [first]
    while len(out) < COUNT.get(plan.period, 12):
        nxt = out[-1].next()
        if plan.effective is not None and nxt.end > plan.effective[1]:
            break
        out.append(nxt)
    return out


def check_over_periods(compiled: CompiledPlan, prop: ir.Property, seed: int,
                       max_examples: int = DEFAULT_EXAMPLES) -> Outcome:
    plan_ir = compiled.ir
    plan = compiled if isinstance(compiled, Plan) else Plan(compiled.source, compiled.checked, compiled.ir,
                                                            compiled.evaluator)
    fns = compiled.evaluator.compile
    outcome = Outcome(plan_ir.file, "property", prop.label, prop.span.line, True, tried_what="years of periods")
    periods = year_of(plan_ir)
    assumes = [fns(a) for a in prop.assumes]
    laws = [(law, fns(law.expr)) for law in prop.laws if law.expr is not None]
    broken: dict[str, Any] = {}

    @hypothesis_settings(max_examples, seed)
    @given(st.data())
    def test(data) -> None:
        outcome.tried += 1
        period_data = data.draw(_year(plan_ir, periods), label="year")
        try:
            runs = run_periods([plan], period_data, periods)
        except (DataError, EvaluationError):
            assume(False)  # data the plan refuses (a division by a zero quota): not a counterexample
            return
        for pid, totals in _totals(runs).items():
            with localcontext(CONTEXT):
                if not all(a(totals) for a in assumes):
                    continue
                for law, fn in laws:
                    if not fn(totals):
                        broken.update(payee=pid, law=law, totals=totals, runs=runs)
                        raise AssertionError(law.span.line)

    try:
        test()
    except AssertionError:
        outcome.passed = False
        outcome.law_line = broken["law"].span.line
        outcome.counterexample = {k: str(v) for k, v in broken["totals"].items()}
        outcome.message = _report(plan_ir, broken)
    except Unsatisfiable:
        outcome.passed = False
        outcome.message = "no generated year satisfied the assumptions: loosen them"
    return outcome


def _year(plan: ir.Plan, periods: list[calendar.Period]) -> st.SearchStrategy[PeriodData]:
    first, last = periods[0].start, periods[-1].end
    days = (last - first).days

    @st.composite
    def year(draw) -> PeriodData:
        if plan.deal_columns or plan.measures:
            sales = draw(sales_strategy(plan, (first, last), max_people=MAX_PEOPLE, max_deals=12))
            if plan.clawbacks:
                sales.deals = [_maybe_reversed(draw, d) for d in sales.deals]
        else:
            n = draw(st.integers(1, MAX_PEOPLE))
            sales = Sales({f"P{i}": Person(f"P{i}", "", "", {}, "generated") for i in range(1, n + 1)}, [])
        dated: dict[tuple[str, str], list[DatedValue]] = {}
        for pid in sales.people:  # each period's inputs, as a dated table would give them
            for p in periods:
                values = draw(st.fixed_dictionaries({k: input_strategy(i, plan) for k, i in plan.inputs.items()}))
                for name, value in values.items():
                    dated.setdefault((pid, name), []).append(DatedValue(pid, name, value, p.start, p.end, p.label))
        assignments = []
        for pid in sales.people:
            start = first + dt.timedelta(days=draw(st.sampled_from([0, 0, 0, 14, 45])))
            leaves = draw(st.one_of(st.none(), st.integers(30, days)))
            end = None if leaves is None or first + dt.timedelta(days=leaves) < start else \
                first + dt.timedelta(days=leaves)
            assignments.append(Assignment(pid, plan.name, start, end, "generated"))
        return PeriodData(sales, assignments, dated)
    return year()


def _maybe_reversed(draw, deal: dict[str, Any]) -> dict[str, Any]:
    if deal.get("status") != "won" or not draw(st.booleans()):
        return deal
    return {**deal, "status": "churned", "reversal_date": deal["date"] + dt.timedelta(days=draw(st.integers(0, 150)))}


def _totals(runs) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = {}
    for run in runs:
        for p in run.payees:
            s = p.settlement
            t = out.setdefault(p.payee, {name: Decimal(0) for name in PERIOD_LAW_NAMES} | {"opening": s.opening})
            t["earned"] += s.earned
            t["adjusted"] += s.adjustments
            t["clawed_back"] += s.clawbacks
            t["paid_on_clawed"] += sum((c.paid for c in p.clawbacks), Decimal(0))
            for name in ("advanced", "guaranteed", "recovered", "forgiven", "paid"):
                t[name] += getattr(s, name)
            t["closing"] = s.closing
    return out


def _report(plan: ir.Plan, broken: dict[str, Any]) -> str:
    pid, law, totals = broken["payee"], broken["law"], broken["totals"]
    show = lambda d: numbers.money(d, plan.minor_units)  # noqa: E731
    lines = [f"broken for payee {pid}: always {expr_text(law.expr.src) if hasattr(law.expr, 'src') else ''}",
             "  totals over the year: " + ", ".join(f"{k} = {show(v)}" for k, v in totals.items()),
             f"  {'period':<10}{'earned':>14}{'clawed':>12}{'draw':>12}{'recovered':>12}{'paid':>14}{'balance':>14}"]
    for run in broken["runs"]:
        for p in run.payees:
            if p.payee == pid:
                s = p.settlement
                lines.append(f"  {run.period.label:<10}{show(s.earned):>14}{show(s.clawbacks):>12}{show(s.draw):>12}"
                             f"{show(s.recovered):>12}{show(s.paid):>14}{show(s.closing):>14}")
    return "\n".join(lines)
