"""Period statements and summaries: for each payee, plan and period, what they earned, the values in
force, conversions, adjustments from re-run final periods, clawbacks with their deals, the draw,
recoveries, forgiveness, what is paid and the balance carried; as text, Markdown, JSON or CSV."""

from __future__ import annotations

import csv
import html
import io
import json
from decimal import Decimal
from typing import Any

from dsl.currencies import currency_digits

from incentives.engine.numbers import money, percent
from .pay import PayeePeriod
from .runner import PeriodRun

COLUMNS = ("period", "payee", "plan", "currency", "earned", "adjustments", "clawbacks", "opening", "draw",
           "advanced", "guaranteed", "recovered", "forgiven", "paid", "closing", "position")


def statement_data(run: PeriodRun, p: PayeePeriod, name: str = "") -> dict[str, Any]:
    """One payee's statement for one plan and period, as plain data (amounts as exact decimal text)."""
    s = p.settlement
    period = run.period
    out: dict[str, Any] = {
        "period": period.label, "start": str(period.start), "end": str(period.end),
        "payee": p.payee, "name": name, "plan": p.plan, "version": p.version, "plan_hash": p.plan_hash,
        "currency": p.currency,
        "days": {"in_period": p.days[0], "on_plan": p.days[1]},
        "values_in_force": [{"name": d.name, "value": str(d.value), "rows": d.rows} for d in p.dated],
        "earned": [{"component": c or "payout", "amount": _amount(a, p.currency)} for c, a in p.earned.items()],
        "ytd": [{"component": c, "year_to_date": str(y), "earned_before": str(b)} for c, (y, b) in p.ytd.items()],
        "conversion": None if p.conversion is None else {
            "from": p.conversion.source, "to": p.conversion.target, "rate": str(p.conversion.rate),
            "date": str(p.conversion.date), "inverse": p.conversion.inverse},
        "deals": [{"deal": d, "earned": _amount(a, p.currency)} for d, a in p.deals.items()],
        "deal_conversions": [{"deal": d, "amount": str(c.amount), "from": c.source, "to": c.target,
                              "rate": str(c.rate), "date": str(c.date), "converted": str(c.converted)}
                             for d, c in p.converted.items()],
        "adjustments": [{"about": e.about, "component": e.component or "payout",
                         "amount": _amount(e.amount, e.currency), "note": e.note} for e in p.adjustments],
        "clawbacks": [{"deal": c.deal, "clawback": c.clawback, "closed": str(c.closed), "reversed": str(c.reversed_on),
                       "status": c.status, "paid_on_deal": str(c.paid), "taken": str(c.taken)} for c in p.clawbacks],
    }
    if s is not None:
        out["settlement"] = {k: _amount(getattr(s, k), p.currency)
                             for k in ("earned", "adjustments", "clawbacks", "net", "draw", "opening", "advanced",
                                       "guaranteed", "recovered", "forgiven", "paid", "closing", "position")}
        out["settlement"]["opening_from"] = p.opening_period
    return out


def render_statement_text(run: PeriodRun, p: PayeePeriod, name: str = "") -> str:
    d = currency_digits(p.currency)
    s = p.settlement
    cur = p.currency

    def row(label: str, amount: Decimal, note: str = "") -> str:
        return f"  {label:<44}{money(amount, d):>16} {cur}" + (f"  {note}" if note else "")
    who = f"{name} ({p.payee})" if name else p.payee
    lines = [f"Statement for {who}", f"Plan: {p.plan} ({p.version}, sha256 {p.plan_hash[:12]})",
             f"Period: {run.period.label} ({run.period.start} to {run.period.end})"]
    if p.days[0] and p.days[1] != p.days[0]:
        share = Decimal(p.days[1]) / Decimal(p.days[0])
        lines.append(f"Days on the plan: {p.days[1]} of {p.days[0]} ({percent(share)})")
    for u in p.dated:
        lines.append(f"In force: {u.name} = {u.value} (from {'; '.join(u.rows)})")
    if p.conversion is not None:
        c = p.conversion
        lines.append(f"Paid in {cur}: {c.source} amounts x {c.rate} ({c.source} to {cur} on {c.date}"
                     f"{', inverted' if c.inverse else ''}), rounded to the {cur} minor unit")
    for deal, c in p.converted.items():
        lines.append(f"Deal {deal}: {money(c.amount, currency_digits(c.source))} {c.source} x {c.rate} ({c.source} to "
                     f"{c.target} on {c.date}{', inverted' if c.inverse else ''}) = "
                     f"{money(c.converted, currency_digits(c.target))} {c.target}")
    lines.append("Earned")
    for c, amount in p.earned.items():
        note = ""
        if c in p.ytd:
            year, before = p.ytd[c]
            note = f"year to date {money(year, d)} less {money(before, d)} earned before"
        lines.append(row(c or "payout block (cap or floor)", amount, note))
    for e in p.adjustments:
        lines.append(row(f"adjustment: {e.component or 'payout'} of {e.about}", e.amount, e.note))
    for c in p.clawbacks:
        days = (c.reversed_on - c.closed).days
        lines.append(row(f"clawback {c.clawback}: deal {c.deal}", -c.taken,
                         f"closed {c.closed}, {c.status} {c.reversed_on} ({days} days); paid on it {money(c.paid, d)}"))
    if s is not None:
        lines.append("Balance and draw")
        lines.append(row("opening balance", s.opening, f"carried from {p.opening_period}" if p.opening_period else ""))
        if s.draw:
            lines.append(row("draw in force", s.draw))
        advanced = "draw advanced (recoverable)" if s.draw else "negative pay carried forward (owed)"
        for label, amount in ((advanced, s.advanced), ("guarantee top-up", s.guaranteed),
                              ("recovered", -s.recovered), ("forgiven", s.forgiven)):
            if amount:
                lines.append(row(label, amount))
        lines.append(row("paid this period", s.paid))
        lines.append(row("closing balance", s.closing, "owed by the payee" if s.closing < 0 else ""))
        if s.draw:
            lines.append(row("earned less the draw, after recovery", s.position))
    return "\n".join(lines) + "\n"


def render_statement_markdown(run: PeriodRun, p: PayeePeriod, name: str = "") -> str:
    text = render_statement_text(run, p, name)
    head, *rest = text.splitlines()
    return f"## {head}\n\n```\n" + "\n".join(rest) + "\n```\n"


def render_statement_html(run: PeriodRun, p: PayeePeriod, name: str = "") -> str:
    text = render_statement_text(run, p, name)
    head, *rest = text.splitlines()
    return f"<section><h2>{html.escape(head)}</h2><pre>{html.escape(chr(10).join(rest))}</pre></section>\n"


def summary_rows(runs: list[PeriodRun]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        for p in run.payees:
            s = p.settlement
            rows.append({"period": run.period.label, "payee": p.payee, "plan": p.plan, "currency": p.currency,
                         "earned": p.total_earned, "adjustments": s.adjustments, "clawbacks": -s.clawbacks,
                         "opening": s.opening, "draw": s.draw, "advanced": s.advanced, "guaranteed": s.guaranteed,
                         "recovered": -s.recovered, "forgiven": s.forgiven, "paid": s.paid, "closing": s.closing,
                         "position": s.position})
    return rows


def summary_text(runs: list[PeriodRun]) -> str:
    out = []
    for run in runs:
        if run.status == "restated":
            out.append(f"{run.period.label}: final, not changed; re-run with today's data: "
                       + (f"{len(run.differences)} difference(s) booked into {run.booked_into}, paid when it runs"
                          if run.differences else "no differences"))
            for e in run.differences:
                out.append(f"  {e.payee:<12} {e.plan:<28} {e.component or 'payout':<16}"
                           f"{money(e.amount, currency_digits(e.currency)):>14} {e.currency}")
            continue
        out.append(f"{run.period.label} ({run.period.start} to {run.period.end})")
        out.append(f"  {'payee':<12} {'plan':<28} {'earned':>12} {'adjusted':>10} {'clawed':>10} {'recovered':>10} "
                   f"{'paid':>12} {'balance':>11}")
        for r in summary_rows([run]):
            d = currency_digits(r["currency"])
            out.append(f"  {r['payee']:<12} {r['plan'][:28]:<28} {money(r['earned'], d):>12} "
                       f"{money(r['adjustments'], d):>10} {money(r['clawbacks'], d):>10} "
                       f"{money(r['recovered'], d):>10} {money(r['paid'], d):>12} {money(r['closing'], d):>11} "
                       f"{r['currency']}")
        totals: dict[str, Decimal] = {}
        for p in run.payees:
            totals[p.currency] = totals.get(p.currency, Decimal(0)) + p.settlement.paid
        out.append("  paid: " + ", ".join(f"{money(v, currency_digits(k))} {k}" for k, v in sorted(totals.items())))
    return "\n".join(out) + "\n"


def summary_csv(runs: list[PeriodRun]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in summary_rows(runs):
        w.writerow({k: (_amount(v, r["currency"]) if isinstance(v, Decimal) else v) for k, v in r.items()})
    return buf.getvalue()


def _amount(d: Decimal, currency: str) -> str:
    """An amount at its currency's minor unit (0 as 0.00), more digits only where it has them."""
    q = Decimal(1).scaleb(-currency_digits(currency))
    return format(d.quantize(q) if d == d.quantize(q) else d, "f")


def summary_json(runs: list[PeriodRun], names: dict[str, str] | None = None) -> str:
    names = names or {}
    data = [{"period": run.period.label, "status": run.status, "booked_into": run.booked_into,
             "differences": [{"payee": e.payee, "plan": e.plan, "component": e.component or "payout",
                              "amount": _amount(e.amount, e.currency), "currency": e.currency}
                             for e in run.differences],
             "statements": [statement_data(run, p, names.get(p.payee, "")) for p in run.payees]} for run in runs]
    return json.dumps(data, indent=2) + "\n"
