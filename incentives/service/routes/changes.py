"""`GET /runs/{id}/statements/{person}/changes`: "why did my pay change".  For each plan, the person's
statement for the run's last period of that plan, line by line against

  - `?against=previous-period`: their statement for the period before, from this run when it has it,
    else from the latest succeeded run made before this one that has it;
  - `?against=previous-run`: the same period in the latest succeeded run made before this one that has it.

Lines: each earned component, adjustments, clawbacks, the balance and draw (opening, draw, advanced,
guaranteed, recovered, forgiven), paid, the closing balance, and the values in force (quota); each with
before, after, the difference (exact decimal text) and a sentence ("commission: 2,750.00 -> 3,000.00
(+250.00)"); the deals' earnings likewise.  Who may see it: as for the statement itself (a run compared
with is checked too); 404, never data, otherwise, and 404 saying why when there is nothing to compare.
`?format=html` gives a small page."""

from __future__ import annotations

import html
import json
from decimal import Decimal, InvalidOperation, localcontext
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from dsl.currencies import currency_digits
from incentives.engine.calendar import parse_period

from ..auth import Actor, AnyActor
from ..models import RunPayeeRow, RunRow
from ..schemas import ErrorPublic
from .statements import statement_rows, visible

router = APIRouter(tags=["statements"])
Against = Literal["previous-period", "previous-run"]
SETTLEMENT = (("adjustments", "adjustments"), ("clawbacks", "clawbacks"), ("opening", "opening balance"),
              ("draw", "draw"), ("advanced", "advanced"), ("guaranteed", "guaranteed"),
              ("recovered", "recovered"), ("forgiven", "forgiven"), ("paid", "paid"),
              ("closing", "closing balance"))


def earlier(request: Request, run: RunRow, person: str, plan: str, period: str, who: Actor) -> RunPayeeRow | None:
    """The person's statement for the plan and period in the latest succeeded run made before `run`, if
    the actor may see it there (a manager: the person was below them in that run's org chart too)."""
    store = request.app.state.store
    with store.read() as s:
        row = s.scalars(select(RunPayeeRow).join(RunRow, RunRow.id == RunPayeeRow.run_id)
                        .where(RunRow.status == "succeeded", RunRow.id != run.id, RunRow.created_at < run.created_at,
                               RunPayeeRow.payee == person, RunPayeeRow.plan == plan, RunPayeeRow.period == period)
                        .order_by(RunRow.created_at.desc(), RunPayeeRow.id.desc()).limit(1)).first()
        if row is None:
            return None
        managers = {} if who.role != "manager" else dict(s.execute(
            select(RunPayeeRow.payee, RunPayeeRow.manager).where(RunPayeeRow.run_id == row.run_id)).all())
    return row if visible(who, person, [row], managers) else None


def _decimal(text: Any) -> Decimal | None:
    try:
        d = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def line(kind: str, name: str, label: str, before: str | None, after: str | None, digits: int | None,
         currencies: tuple[str, str] = ("", "")) -> dict[str, Any]:
    """One line: before, after, the exact difference and a sentence.  `digits`: the currency's minor unit
    (a missing amount is zero), or None for a value in force (shown as it is; a missing one is none)."""
    if digits is not None:
        zero = format(Decimal(0).scaleb(-digits), "f")
        before, after = before if before is not None else zero, after if after is not None else zero
    b, a = _decimal(before), _decimal(after)

    def shown(text: str | None, d: Decimal | None) -> str:  # grouped, every digit kept: nothing hidden
        return format(d.copy_abs() if d.is_zero() else d, ",f") if d is not None else (text or "(none)")
    difference, note = None, ""
    if currencies[0] != currencies[1]:
        note = f"in {currencies[0]} before, {currencies[1]} now"
    elif b is not None and a is not None:
        with localcontext() as exact:  # a difference of any two amounts, never rounded
            span = max(a.adjusted(), b.adjusted()) - min(int(a.as_tuple().exponent), int(b.as_tuple().exponent))
            exact.prec = min(max(28, span + 2), 10_000)
            diff = a - b
        difference = format(diff, "f")
        note = "no change" if diff == 0 else ("+" if diff > 0 else "") + shown(difference, diff)
    else:
        note = "no change" if before == after else "changed"
    changed = currencies[0] != currencies[1] or (before != after if difference is None else Decimal(difference) != 0)
    return {"kind": kind, "name": name, "before": before, "after": after, "difference": difference,
            "changed": changed, "sentence": f"{label}: {shown(before, b)} -> {shown(after, a)} ({note})"}


def compare(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lines and the deals of two statements (statement_data's JSON), the later one `after`."""
    currencies = (before["currency"], after["currency"])
    digits = currency_digits(after["currency"])

    def money_lines(kind: str, b: dict[str, str], a: dict[str, str], labels: dict[str, str]) -> list[dict[str, Any]]:
        names = list(a) + [k for k in b if k not in a]
        return [line(kind, k, labels.get(k, k), b.get(k), a.get(k), digits, currencies) for k in names]

    lines = money_lines("earned", {e["component"]: e["amount"] for e in before["earned"]},
                        {e["component"]: e["amount"] for e in after["earned"]}, {})
    b_settle, a_settle = before.get("settlement") or {}, after.get("settlement") or {}
    if not (b_settle or a_settle):  # no settlement: the statement's own lists
        b_settle, a_settle = ({"adjustments": str(sum((Decimal(x["amount"]) for x in s["adjustments"]), Decimal(0))),
                               "clawbacks": str(sum((Decimal(x["taken"]) for x in s["clawbacks"]), Decimal(0)))}
                              for s in (before, after))
    keys = [k for k, _ in SETTLEMENT if k in b_settle or k in a_settle]
    lines += money_lines("settlement", {k: b_settle[k] for k in keys if k in b_settle},
                         {k: a_settle[k] for k in keys if k in a_settle}, dict(SETTLEMENT))
    b_values = {v["name"]: v["value"] for v in before.get("values_in_force", [])}
    a_values = {v["name"]: v["value"] for v in after.get("values_in_force", [])}
    lines += [line("value", k, k, b_values.get(k), a_values.get(k), None)
              for k in list(a_values) + [k for k in b_values if k not in a_values]]
    deals = money_lines("deal", {d["deal"]: d["earned"] for d in before.get("deals", [])},
                        {d["deal"]: d["earned"] for d in after.get("deals", [])}, {})
    for d in deals:
        d["sentence"] = "deal " + d["sentence"]
    return lines, deals


def changes_of(request: Request, run_id: str, person: str, against: str, who: Actor) -> dict[str, Any]:
    rows = statement_rows(request, run_id, person, who)
    run = request.app.state.store.run(run_id)
    last: dict[str, tuple[RunPayeeRow, dict[str, Any]]] = {}
    mine: dict[tuple[str, str], RunPayeeRow] = {}
    for r in rows:
        s = json.loads(r.statement)
        mine[(r.plan, r.period)] = r
        if r.plan not in last or (s["end"], s["start"]) > (last[r.plan][1]["end"], last[r.plan][1]["start"]):
            last[r.plan] = (r, s)
    plans, missing = [], []
    for plan, (row, after) in sorted(last.items()):
        period = row.period
        if against == "previous-period":
            try:
                period = parse_period(row.period).previous().label
            except ValueError:
                missing.append({"plan": plan, "period": row.period,
                                "reason": f"{row.period} is a date range: it has no period before it"})
                continue
        other = mine.get((plan, period)) if against == "previous-period" else None
        other = other or earlier(request, run, person, plan, period, who)
        if other is None:
            where = "this run or " if against == "previous-period" else ""
            missing.append({"plan": plan, "period": row.period,
                            "reason": f"no statement of {person} for {plan}, {period} in {where}an earlier "
                                      f"succeeded run"})
            continue
        lines, deals = compare(json.loads(other.statement), after)
        plans.append({"plan": plan, "currency": row.currency, "period": row.period, "start": after["start"],
                      "end": after["end"], "against": {"run": other.run_id, "period": other.period,
                                                       "currency": other.currency},
                      "changes": [x["sentence"] for x in lines if x["changed"]], "lines": lines, "deals": deals})
    if not plans:
        raise HTTPException(404, f"nothing to compare {person}'s statement in run {run_id} against ({against}): "
                                 + "; ".join(m["reason"] for m in missing))
    return {"run": run_id, "person": person, "name": rows[0].name, "against": against, "plans": plans,
            "not_compared": missing}


@router.get("/runs/{run_id}/statements/{person}/changes",
            responses={404: {"model": ErrorPublic, "description": "No such statement you may see, or nothing to "
                                                                  "compare it against"},
                       200: {"content": {"text/html": {}}}})
def changes(run_id: str, person: str, request: Request, who: AnyActor, against: Against = "previous-period",
            format: Annotated[str, Query(pattern="^(json|html)$")] = "json") -> Any:
    """Why the pay changed: each plan's last statement of the run, line by line, against the period
    before (`previous-period`) or the same period in the previous run (`previous-run`)."""
    data = changes_of(request, run_id, person, against, who)
    return HTMLResponse(page(data)) if format == "html" else data


def page(data: dict[str, Any]) -> str:
    """A small HTML page: per plan, what changed in sentences, then the table of every line."""
    e = html.escape
    who = f"{e(data['name'])} ({e(data['person'])})" if data["name"] else e(data["person"])
    what = "the period before" if data["against"] == "previous-period" else "the previous run"
    parts = [f"<h1>Why did the pay change? {who}</h1>"]
    for p in data["plans"]:
        said = "".join(f"<li>{e(s)}</li>" for s in p["changes"]) or "<li>Nothing changed.</li>"
        rows = "".join(f"<tr{' class=changed' if x['changed'] else ''}><td>{e(x['name'])}</td>"
                       f"<td class=amount>{e(x['before'] or '')}</td><td class=amount>{e(x['after'] or '')}</td>"
                       f"<td class=amount>{e(x['difference'] or '')}</td></tr>" for x in p["lines"] + p["deals"])
        parts.append(f"<section><h2>{e(p['plan'])}, {e(p['period'])} ({e(p['currency'])})</h2>"
                     f"<p>Against {what}: {e(p['against']['period'])} in run {e(p['against']['run'])}.</p>"
                     f"<ul>{said}</ul><table><tr><th>line</th><th>before</th><th>after</th><th>difference</th></tr>"
                     f"{rows}</table></section>")
    for m in data["not_compared"]:
        parts.append(f"<p>{e(m['plan'])}, {e(m['period'])}: not compared ({e(m['reason'])}).</p>")
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Pay changes</title>"
            "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}td,th{padding:.2rem 1rem}"
            ".amount{text-align:right;font-variant-numeric:tabular-nums}.changed{font-weight:bold}</style>"
            "</head><body>" + "".join(parts) + "</body></html>")
