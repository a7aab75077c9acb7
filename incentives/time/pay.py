"""One plan's pay for one period, payee by payee: earnings in the pay currency, their deals, the
clawbacks of reversed deals, the draw, and the settlement against the ledger's balance.

Amounts here are in each payee's pay currency (the people table's `currency` column; the plan's
currency when not given), converted from the plan's currency at the rate of the period's last
day and rounded to the pay currency's minor unit, component by component.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from dsl.currencies import currency_digits

from incentives.engine import calendar, ir
from incentives.engine.compile import ROUNDING
from incentives.engine.numbers import CONTEXT
from incentives.engine.result import PayeeResult
from incentives.engine.schedule import DealScope
from incentives.errors import DataError, Problem
from incentives.sales.ranking import share_out
from .data import terminated
from .ledger import Entry
from .prepare import DatedUse, PeriodData, PlanPeriod
from .rates import Conversion
from .settle import ClawbackTerms, DrawTerms, Settlement, clawback_amount, settle

REVERSED = ("refunded", "cancelled", "churned")


@dataclass
class ClawbackLine:
    """A deal reversed in the period and what was taken back of what it had paid."""

    deal: str
    clawback: str  # the plan's clawback block
    closed: dt.date
    reversed_on: dt.date
    status: str
    paid: Decimal  # paid on the deal before (the ledger's record)
    taken: Decimal  # taken back now (> 0)


@dataclass
class PayeePeriod:
    """One payee's pay under one plan for one period."""

    payee: str
    plan: str
    version: str  # the plan file in force
    plan_hash: str
    currency: str  # the pay currency
    result: PayeeResult  # in the plan's currency, traced
    earned: dict[str, Decimal]  # per component ("" for the payout block's change), pay currency
    conversion: Conversion | None  # plan currency to pay currency, at the period's end
    ytd: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # component -> (year to date, before)
    deals: dict[str, Decimal] = field(default_factory=dict)  # earnings by deal (pay currency)
    clawbacks: list[ClawbackLine] = field(default_factory=list)
    adjustments: list[Entry] = field(default_factory=list)  # booked into this period by re-runs of final ones
    settlement: Settlement | None = None
    days: tuple[int, int] = (0, 0)
    dated: list[DatedUse] = field(default_factory=list)
    opening_period: str | None = None  # the period the opening balance was carried from
    converted: dict[str, Conversion] = field(default_factory=dict)  # the payee's deals converted to the plan's currency

    @property
    def total_earned(self) -> Decimal:
        return sum(self.earned.values(), Decimal(0))

    def entries(self) -> list[Entry]:
        """What the ledger records of this payee's period (adjustments booked into it are there already)."""
        s, cur, who = self.settlement, self.currency, (self.payee, self.plan)
        out = [Entry(*who, "earned", amount, cur, component=c) for c, amount in self.earned.items()]
        out += [Entry(*who, "deal_earned", amount, cur, deal=d) for d, amount in self.deals.items()]
        out += [Entry(*who, "clawback", -c.taken, cur, deal=c.deal, note=c.clawback) for c in self.clawbacks]
        if s is not None:
            for kind, amount in (("draw_advance", s.advanced), ("guarantee", s.guaranteed),
                                 ("recovery", -s.recovered), ("forgiven", s.forgiven)):
                if amount:
                    out.append(Entry(*who, kind, amount, cur))
            out += [Entry(*who, "paid", s.paid, cur), Entry(*who, "balance", s.closing, cur)]
        return out


def earnings(pp: PlanPeriod, data: PeriodData, result: PayeeResult, ytd: dict[str, tuple[Decimal, Decimal]],
             ) -> tuple[dict[str, Decimal], Conversion | None, str]:
    """The payee's earnings per component in their pay currency (ytd components: the year to date less
    what was earned before), the conversion used, and the pay currency."""
    plan = pp.plan
    pay = data.pay_currency.get(result.payee) or plan.ir.currency
    conversion = None
    if pay != plan.ir.currency:
        if data.rates is None:
            raise DataError([Problem(f"payee {result.payee} is paid in {pay} and plan \"{plan.name}\" pays in "
                                     f"{plan.ir.currency}: give currency rates (--rates)", code="data",
                                     payee=result.payee)])
        conversion = data.rates.convert(Decimal(1), plan.ir.currency, pay, pp.period.end)
    rate = conversion.rate if conversion else Decimal(1)
    quantum, mode = Decimal(1).scaleb(-currency_digits(pay)), ROUNDING[plan.ir.rounding_mode]
    with localcontext(CONTEXT):
        def in_pay(x: Decimal) -> Decimal:
            return (x * rate).quantize(quantum, rounding=mode)
        earned: dict[str, Decimal] = {}
        for c in result.components:
            if c.name in ytd:  # the year to date less what was earned before (already in the pay currency)
                year, before = ytd[c.name]
                earned[c.name] = in_pay(year) - before
            else:
                earned[c.name] = in_pay(c.amount)
        # what the payout block's cap or floor changed (worked out on the period's own amounts)
        rest = in_pay(result.total) - sum((in_pay(c.amount) for c in result.components), Decimal(0))
        if rest:
            earned[""] = rest
    return earned, conversion, pay


def attribute(result: PayeeResult, earned: dict[str, Decimal], currency: str, digits: int | None = None,
              lets: dict[str, ir.Expr] | None = None) -> dict[str, Decimal]:
    """Each positive component's earnings shared over the deals behind it: by their pay on a per-deal or
    running tiers line, else by their credited amount in the payee's measures of deals."""
    quantum = Decimal(1).scaleb(-(digits if digits is not None else currency_digits(currency)))
    deal_measures = {m.name: m for m in result.measures if getattr(m, "source", "") == "deals"}
    out: dict[str, Decimal] = {}
    with localcontext(CONTEXT):
        for c in result.components:
            amount = earned.get(c.name, Decimal(0))
            if amount <= 0:
                continue
            weights: dict[str, Decimal] = {}
            for item in c.items:
                for d in item.deals:
                    if d.amount > 0:
                        weights[d.deal] = weights.get(d.deal, Decimal(0)) + d.amount
            if not weights and deal_measures:  # by the credited amounts of the deals behind what its lines pay on
                read = _measures_paid_on(c.items, deal_measures, lets or {})
                for name in read:  # a component that pays on no deals (a fixed bonus) is on no deal
                    for d in deal_measures[name].deals if name in deal_measures else ():
                        value = d.get("amount")
                        if isinstance(value, Decimal) and value > 0:
                            weights[str(d.get("id"))] = value
            for deal, share in share_out(amount, weights, quantum).items():
                out[deal] = out.get(deal, Decimal(0)) + share
    return {d: a for d, a in sorted(out.items()) if a}


def _measures_paid_on(items: list, deal_measures: dict, lets: dict[str, ir.Expr]) -> list[str]:
    """The measures of deals a component's lines pay on (a pay line's amount, the base of tiers, a
    scorecard's target), through the definitions they read; not those of its gates, caps or multipliers,
    which decide whether or how much, not on what."""
    lines = [i.node for i in items if isinstance(i.node, (ir.Pay, ir.Tiers, ir.Scorecard))]
    roots = [n.expr if isinstance(n, ir.Pay) else n.base if isinstance(n, ir.Tiers) else n.target for n in lines]
    found: list[str] = []
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        for v in ir.walk(node):
            if isinstance(v, ir.Var) and v.name not in seen:
                seen.add(v.name)
                if v.name in deal_measures:
                    found.append(v.name)
                elif v.kind == "let" and v.name in lets:
                    stack.append(lets[v.name])
    return found


def clawbacks(pp: PlanPeriod, pid: str, values: dict[str, Any], credited: list[dict[str, Any]],
              paid: dict[str, Decimal], currency: str, file: str = "") -> list[ClawbackLine]:
    """The payee's deals reversed in the period under one of the plan's clawbacks, and what each takes."""
    plan, period = pp.plan, pp.period
    if not plan.ir.clawbacks:
        return []
    quantum = Decimal(1).scaleb(-currency_digits(currency))
    scope = DealScope(values)
    conditions = [(k, plan.evaluator.deal_compile.opt(k.when)) for k in plan.ir.clawbacks]
    out, seen = [], set()
    for deal in credited:
        did = str(deal.get("id"))
        if did in seen or paid.get(did, Decimal(0)) <= 0:
            continue
        scope.deal = deal
        for k, when in conditions:
            if not (when(scope) if when is not None else deal.get("status") in REVERSED):
                continue
            reversed_on = deal.get("reversal_date")
            if not isinstance(reversed_on, dt.date):
                where = ", ".join(x for x in (file, deal.get("__where__", "")) if x) or f"deal {did}"
                raise DataError([Problem(f"{where}, column reversal_date: deal {did} is {deal.get('status')} and "
                                         f"{paid[did]} {currency} was paid on it: give the date it was reversed, for "
                                         f"clawback `{k.name}`", code="data", file=file or None,
                                         field="reversal_date", payee=pid)])
            if period.start <= reversed_on <= period.end:
                terms = ClawbackTerms(k.within, k.take, k.straight)
                taken = clawback_amount(paid[did], deal["date"], reversed_on, terms, quantum)
                if taken > 0:
                    out.append(ClawbackLine(did, k.name, deal["date"], reversed_on, str(deal.get("status")),
                                            paid[did], taken))
                    seen.add(did)
            break
    return out


def draw_terms(pp: PlanPeriod, values: dict[str, Any], conversion: Conversion | None,
               currency: str) -> DrawTerms | None:
    """The plan's draw for this payee and period, in the pay currency (prorated where it says)."""
    d = pp.plan.ir.draw
    if d is None:
        return None
    fns = pp.plan.evaluator.compile
    quantum = Decimal(1).scaleb(-currency_digits(currency))
    rate = conversion.rate if conversion else Decimal(1)
    mode = ROUNDING[pp.plan.ir.rounding_mode]
    with localcontext(CONTEXT):
        amount = fns(d.amount)(values)
        if d.prorated:
            amount *= values.get("participation", Decimal(1))
        amount = (amount * rate).quantize(quantum, rounding=mode)
        cap = (fns(d.cap)(values) * rate).quantize(quantum, rounding=mode) if d.cap is not None else None
        share = fns(d.recover)(values) if d.recover is not None else Decimal(1)
    return DrawTerms(max(amount, Decimal(0)), d.recoverable, share, d.delay, cap, d.periods)


def period_index(pp: PlanPeriod, data: PeriodData, pid: str, first_paid: dt.date | None = None) -> int:
    """Periods of the plan's kind from the payee's first day on the plan to this one: by their assignments,
    else the plan's effective start, else the first period the ledger paid them under the plan."""
    firsts = [a.start for a in data.assignments or () if a.person == pid and a.plan == pp.plan.name and a.start]
    first = min(firsts) if firsts else (pp.plan.ir.effective[0] if pp.plan.ir.effective
                                        else first_paid or pp.period.start)
    kind = pp.plan.ir.period
    if first >= pp.period.start:
        return 0
    return len(calendar.periods_covering(kind, first, pp.period.start - dt.timedelta(days=1)))


def settle_payee(pp: PlanPeriod, data: PeriodData, p: PayeePeriod, opening: Decimal,
                 adjustments: Decimal, draw: bool = True, first_paid: dt.date | None = None) -> Settlement:
    """draw=False: someone off the plan this period (a leaver's clawback): no draw is paid."""
    values = p.result.values
    terms = draw_terms(pp, values, p.conversion, p.currency) if draw else None
    plan = pp.plan.ir
    forgive = set(plan.draw.forgive) if plan.draw is not None else set()
    for k in plan.clawbacks:
        forgive |= k.forgive
    return settle(p.total_earned, terms, opening, adjustments=adjustments,
                  clawbacks=sum((c.taken for c in p.clawbacks), Decimal(0)),
                  period_index=period_index(pp, data, p.payee, first_paid),
                  forgive=forgive, year_end=pp.period.is_year_end(),
                  terminated=data.assignments is not None and terminated(data.assignments, p.payee, pp.period.start,
                                                                          pp.period.end),
                  quantum=Decimal(1).scaleb(-currency_digits(p.currency)), rounding=ROUNDING[plan.rounding_mode])
