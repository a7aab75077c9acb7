"""What one plan sees in one period: who it pays and for how many days, the values in force for
them, and the deals as they stood then, in the plan's currency.

- Payees: the people assigned to the plan on some day of the period (everyone, with no
  assignments), with their days in the period and days on the plan (calendar days, or working
  days less holidays with `days working`).  The others stay in the population, so team and
  reports measures still see their deals, but the plan pays them nothing and they take no part
  in its contests and pools.  A payee who moves between plans inside the period is credited, in
  each plan, the deals of the period dated while they were on it.
- Effective-dated values (a quotas table): a `prorated` input (money or a number) is an amount per
  period of the plan's kind; a period gets the value in force, blended by days where it changes
  inside the period, and a longer range (the year to date) adds up its periods.  Any other number
  (an annual target, a rate) is a value in force: blended by days, never added up.  Text, dates
  and true/false take the value in force on the last day.
- Deals: one reversed after the period ended (its `reversal_date`) is seen as won, as it was then;
  one in another currency is converted to the plan's at the rate of its close date (or of the
  period's end, with `fx at period_end`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any, Collection

from dsl.check import InputInfo
from dsl.types import T

from incentives.engine import calendar
from incentives.engine.calendar import Period
from incentives.engine.numbers import CONTEXT
from incentives.errors import DataError, Problem
from incentives.plan import Plan
from incentives.sales.records import Person, Sales
from .data import Assignment, DatedValue, in_force, windows
from .rates import Conversion, Rates

SUMMED = (T.MONEY, T.NUMBER, T.COUNT)
REVERSED = ("refunded", "cancelled", "churned")  # what a won deal may become (with its reversal_date)


@dataclass
class PeriodData:
    """Everything a period run reads besides the plans."""

    sales: Sales  # people (with the people table's inputs), deals as given, splits, activities
    assignments: list[Assignment] | None = None  # None: everyone is on every plan, all the time
    dated: dict[tuple[str, str], list[DatedValue]] = field(default_factory=dict)
    rates: Rates | None = None
    holidays: frozenset[dt.date] = frozenset()
    pay_currency: dict[str, str] = field(default_factory=dict)  # person -> ISO code (people's `currency`)
    data_hash: str = ""
    deals_file: str = ""  # where the deals came from, for messages
    sales_by_plan: dict[str, Sales] = field(default_factory=dict)  # plan hash -> its own reading of the data

    def sales_for(self, plan: Plan) -> Sales:
        """The sales data as this plan reads it (its inputs and deal columns), else the shared reading."""
        return self.sales_by_plan.get(plan.hash, self.sales)


@dataclass
class DatedUse:
    """A value taken from the effective-dated table for a payee: what, how much, from which rows."""

    name: str
    value: Any
    rows: list[str]


@dataclass
class PlanPeriod:
    """One plan's view of one period."""

    plan: Plan
    period: Period
    range: tuple[dt.date, dt.date]  # the dates its measures and definitions see (the year to date for ytd)
    sales: Sales
    payees: frozenset[str]
    windows: dict[str, list[tuple[dt.date, dt.date]]]
    days: dict[str, tuple[int, int]]
    dated: dict[str, list[DatedUse]]
    conversions: dict[str, Conversion]  # deal id -> its conversion to the plan's currency


def prepare(plan: Plan, data: PeriodData, period: Period, start: dt.date | None = None) -> PlanPeriod:
    """The plan's view of the period; start: an earlier first day (the year to date) for ytd components."""
    first = start or period.start
    given = data.sales_for(plan)
    people = given.people
    if data.assignments is None:
        spans = {pid: [(first, period.end)] for pid in people}
    else:
        spans = windows(data.assignments, plan.name, first, period.end)
    working = plan.ir.days == "working"
    days = {pid: calendar.participation(Period(first, period.end, f"{first}..{period.end}", "range"), w, working,
                                        data.holidays) for pid, w in spans.items()}
    dated = _dated_values(plan, data, first, period.end, spans)
    folks = {pid: _with_values(p, dated.get(pid, [])) for pid, p in people.items()}
    conversions: dict[str, Conversion] = {}
    deals = [_as_of(plan, d, period, data.rates, conversions, data.deals_file) for d in given.deals]
    sales = Sales(folks, deals, given.splits, given.splits_file, given.activities)
    return PlanPeriod(plan, period, (first, period.end), sales, frozenset(spans), spans, days, dated, conversions)


def optional_inputs(inputs: dict[str, InputInfo], names: Collection[str]) -> dict[str, InputInfo]:
    """The plan's inputs with those a dated table gives made optional in the people table (an empty or
    missing cell leaves the value to the table; a payee with neither is reported when evaluated)."""
    return {n: dataclasses.replace(i, has_default=True, default=None) if n in names and not i.has_default else i
            for n, i in inputs.items()}


def _with_values(p: Person, uses: list[DatedUse]) -> Person:
    values = {k: v for k, v in p.values.items() if v is not None}
    values.update((u.name, u.value) for u in uses)
    return dataclasses.replace(p, values=values)


def _dated_values(plan: Plan, data: PeriodData, start: dt.date, end: dt.date,
                  spans: dict[str, list]) -> dict[str, list[DatedUse]]:
    out: dict[str, list[DatedUse]] = {}
    for (pid, name), rows in data.dated.items():
        info = plan.ir.inputs.get(name)
        if info is None:
            continue
        used = [r for r in rows if r.start <= end and (r.end is None or r.end >= start)]
        if not used:
            continue
        per_period = getattr(info.decl, "prorated", False)
        value = _value(info.type, used, start, end, plan.ir.period, per_period)
        if value is not None:
            out.setdefault(pid, []).append(DatedUse(name, value, [r.where for r in used]))
    return out


def _value(t: T, rows: list[DatedValue], start: dt.date, end: dt.date, kind: str, per_period: bool) -> Any:
    if t not in SUMMED and t != T.PERCENT:
        last = in_force(rows, end) or rows[-1]
        return last.value
    segments = [(r.start, r.end, r.value) for r in rows]
    with localcontext(CONTEXT):
        if t == T.PERCENT or not per_period:  # a value in force (a rate, an annual target): blended by days
            total, covered = Fraction(0), 0
            for r in rows:
                lo, hi = max(r.start, start), min(r.end or end, end)
                n = (hi - lo).days + 1
                total += Fraction(r.value) * n
                covered += n
            return calendar.to_decimal(total / covered) if covered else None
        value, any_covered = Fraction(0), False
        kind = kind if kind in calendar.KINDS else "month"
        for p in calendar.periods_covering(kind, start, end):
            lo, hi = max(p.start, start), min(p.end, end)
            part, covered = calendar.rate_total(lo, hi, kind, segments)
            if covered:  # the value in force, blended over the days it covers, for the days of the range
                value += part * Fraction((hi - lo).days + 1, covered)
                any_covered = True
        return calendar.to_decimal(value) if any_covered else None


def _as_of(plan: Plan, deal: dict[str, Any], period: Period, rates: Rates | None,
           conversions: dict[str, Conversion], file: str = "") -> dict[str, Any]:
    """The deal as it stood in the period, in the plan's currency."""
    reversed_on = deal.get("reversal_date")
    if isinstance(reversed_on, dt.date) and reversed_on > period.end and deal.get("status") in REVERSED:
        deal = {**deal, "status": "won"}  # reversed later: in this period it was won
    currency = deal.get("currency")
    target = plan.ir.currency
    if currency in (None, "", target):
        return deal
    if rates is None:
        where = ", ".join(x for x in (file, deal.get("__where__", "")) if x) or "a deal"
        raise DataError([Problem(f"{where}, column currency: deal {deal.get('id')} is in {currency} and the plan "
                                 f"pays in {target}: give currency rates (--rates) to convert it", code="data",
                                 file=file or None, field="currency")])
    on = deal["date"] if plan.ir.fx == "close" else period.end
    money = [n for n, t in plan.ir.deal_fields.items() if t == T.MONEY and not n.startswith("deal_")]
    out = dict(deal)
    with localcontext(CONTEXT):
        for name in money:
            value = deal.get(name)
            if isinstance(value, Decimal):
                c = rates.convert(value, currency, target, on)
                out[name] = c.converted
                if name == "amount":
                    conversions[str(deal.get("id"))] = c
    out["currency"] = target
    return out
