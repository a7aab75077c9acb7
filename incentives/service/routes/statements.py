"""`GET /runs/{id}/statements/{person}`: a payee's statement of a run (each plan and period), as JSON
or as an HTML page a rep opens in a browser.  A rep sees their own, a manager the people below them
in the org chart, admin and payroll everyone; anyone else's answers 404, never data."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from dsl.currencies import currency_digits

from incentives.engine.numbers import money
from incentives.explain.model import Breakdown
from incentives.explain.render import render_html

from ..auth import Actor, AnyActor
from ..models import RunPayeeRow
from ..schemas import ErrorPublic, StatementsPublic

router = APIRouter(tags=["statements"])


def visible(who: Actor, person: str, rows: list[RunPayeeRow], managers: dict[str, str]) -> bool:
    if who.role in ("admin", "payroll"):
        return True
    if who.person == person:
        return True
    if who.role == "manager":
        seen, at = set(), managers.get(person, "")
        while at and at not in seen:
            if at == who.person:
                return True
            seen.add(at)
            at = managers.get(at, "")
    return False


def statement_rows(request: Request, run_id: str, person: str, who: Actor) -> list[RunPayeeRow]:
    store = request.app.state.store
    run = store.run(run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    everyone = store.payees(run_id)
    managers = {r.payee: r.manager for r in everyone}
    rows = [r for r in everyone if r.payee == person]
    if not rows or not visible(who, person, rows, managers):
        raise HTTPException(404, f"no statement for {person!r} in run {run_id}")
    return rows


@router.get("/runs/{run_id}/statements/{person}", response_model=StatementsPublic,
            responses={404: {"model": ErrorPublic}, 200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
def statement(run_id: str, person: str, request: Request, who: AnyActor,
              format: Annotated[str, Query(pattern="^(json|html)$")] = "json") -> Any:
    """The statements (one per plan and period) with their breakdowns."""
    rows = statement_rows(request, run_id, person, who)
    if format == "html" or (format == "json" and "text/html" in request.headers.get("accept", "")
                            and "application/json" not in request.headers.get("accept", "")):
        return HTMLResponse(page(rows))
    return {"run": run_id, "person": person,
            "statements": [{"statement": json.loads(r.statement), "breakdown": json.loads(r.breakdown)}
                           for r in rows]}


def _amount(text: str, currency: str) -> str:
    """`2,750.00`: grouped at the currency's minor unit, as the breakdown shows amounts."""
    try:
        return money(Decimal(text), currency_digits(currency))
    except (InvalidOperation, ValueError):
        return text


def _inner(document: str) -> tuple[str, str]:
    """A rendered breakdown page's style and body, to sit inside the statement page (not a page in a page)."""
    style = "".join(re.findall(r"<style[^>]*>(.*?)</style>", document, re.S))
    body = re.search(r"<body[^>]*>(.*)</body>", document, re.S)
    return style, body.group(1) if body else document


def page(rows: list[RunPayeeRow]) -> str:
    """An HTML page: each statement's figures, then its line-by-line breakdown."""
    parts, styles = [], []
    for r in rows:
        s = json.loads(r.statement)
        e = html.escape
        head = f"{e(s.get('name') or s['payee'])} ({e(s['payee'])})"
        cur = s["currency"]
        lines = [f"<tr><td>{e(x['component'])}</td><td class=amount>{e(_amount(x['amount'], cur))} {e(cur)}</td></tr>"
                 for x in s["earned"]]
        lines += [f"<tr><td>adjustment about {e(a['about'])}: {e(a['note'])}</td>"
                  f"<td class=amount>{e(_amount(a['amount'], cur))} {e(cur)}</td></tr>" for a in s["adjustments"]]
        lines += [f"<tr><td>clawback of deal {e(c['deal'])} ({e(c['status'])} {e(c['reversed'])})</td>"
                  f"<td class=amount>-{e(_amount(c['taken'], cur))} {e(cur)}</td></tr>" for c in s["clawbacks"]]
        settle = s.get("settlement") or {}
        for key, label in (("opening", "opening balance"), ("draw", "draw"), ("advanced", "advanced"),
                           ("recovered", "recovered"), ("forgiven", "forgiven"), ("paid", "paid this period"),
                           ("closing", "closing balance")):
            if key in settle:
                lines.append(f"<tr class={key}><td>{label}</td>"
                             f"<td class=amount>{e(_amount(settle[key], cur))} {e(cur)}</td></tr>")
        breakdown = json.loads(r.breakdown)
        style, detail = _inner(render_html(Breakdown.model_validate(breakdown))) if breakdown else ("", "")
        styles.append(style)
        parts.append(f"<section class=statement><h2>{head}</h2><p>{e(s['plan'])}, {e(s['period'])} "
                     f"({e(s['start'])} to {e(s['end'])})</p><table>{''.join(lines)}</table>"
                     f"<details><summary>Line by line</summary>{detail}</details></section>")
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Statement</title>"
            "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}td{padding:.2rem 1rem}"
            ".amount{text-align:right;font-variant-numeric:tabular-nums}" + (styles[0] if styles else "")
            + "</style></head><body>"
            + "".join(parts) + "</body></html>")
