"""What `incentives run` writes without --explain: the summary as a table, CSV or JSON, for one
plan or several (a plan column or section each), with cash and the awards' cash equivalent apart."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from incentives.engine import numbers
from incentives.engine.compiled import CompiledPlan
from .common import shown

ZERO = Decimal(0)
Run = tuple[CompiledPlan, list]  # a plan and its payees' results


def amount(d: Decimal, compiled: CompiledPlan) -> str:
    return numbers.exact(d, compiled.ir.minor_units)


def award_cell(a, compiled: CompiledPlan) -> str:
    """An award in the CSV: its cash-equivalent value when granted and it has one, else yes or no."""
    if a.granted and a.value is not None:
        return amount(a.value, compiled)
    return "yes" if a.granted else "no"


def csv_text(runs: list[Run]) -> str:
    """The CSV summary: data, so ids are written as they are (not escaped).  Several plans: a plan
    column first, and the columns of every plan (empty where a plan has no such column)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    many = len(runs) > 1
    comps = list(dict.fromkeys(c.name for compiled, _ in runs for c in compiled.ir.components))
    awards = list(dict.fromkeys(a.name for compiled, _ in runs for a in compiled.ir.awards))
    w.writerow([*(["plan"] if many else []), "payee", *comps, "total", *awards])
    for compiled, results in runs:
        for r in results:
            mine = {c.name: amount(c.amount, compiled) for c in r.components}
            won = {a.name: award_cell(a, compiled) for a in r.awards}
            w.writerow([*([compiled.ir.name] if many else []), r.payee, *(mine.get(c, "") for c in comps),
                        amount(r.total, compiled), *(won.get(a, "") for a in awards)])
    return buf.getvalue()


def _totals(runs: list[Run]) -> dict[str, tuple[Decimal, Decimal, int]]:
    """Per currency: cash, the awards' cash equivalent, and the minor unit."""
    out: dict[str, tuple[Decimal, Decimal, int]] = {}
    for compiled, results in runs:
        cur = compiled.ir.currency
        cash, awards, _ = out.get(cur, (ZERO, ZERO, 0))
        cash += sum((r.total for r in results), ZERO)
        awards += sum((r.award_value for r in results), ZERO)
        out[cur] = (cash, awards, compiled.ir.minor_units)
    return out


def _plan_json(compiled: CompiledPlan, results) -> dict:
    doc = {"plan": compiled.ir.name, "currency": compiled.ir.currency, "payees": [
        {"payee": r.payee, "components": {c.name: amount(c.amount, compiled) for c in r.components},
         "total": amount(r.total, compiled),
         "awards": [{"name": a.name, "kind": a.kind, "value": None if a.value is None else amount(a.value, compiled)}
                    for a in r.awards if a.granted]} for r in results]}
    doc["total"] = amount(sum((r.total for r in results), ZERO), compiled)
    doc["awards_value"] = amount(sum((r.award_value for r in results), ZERO), compiled)
    return doc


def summary_json(runs: list[Run]) -> str:
    """One plan: its document (`total` is cash, `awards_value` the awards' cash equivalent).
    Several: {"plans": [each plan's document], "totals": [per currency]}."""
    if len(runs) == 1:
        doc = _plan_json(*runs[0])
    else:
        doc = {"plans": [_plan_json(c, r) for c, r in runs],
               "totals": [{"currency": cur, "cash": numbers.exact(cash, d), "awards_value": numbers.exact(aw, d)}
                          for cur, (cash, aw, d) in _totals(runs).items()]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str, **style) -> Text:
    """A table cell from user-supplied text: escaped, never read as markup."""
    return Text(shown(text), **style)


def pay_mix(cash: Decimal, awards: Decimal, digits: int, currency: str) -> str:
    """`cash 14,600.00 USD, awards' cash equivalent 1,800.00 USD (pay mix 89% cash, 11% awards)`."""
    text = f"cash {numbers.money(cash, digits)} {shown(currency)}"
    if awards and cash >= 0:
        whole = cash + awards
        share = (cash / whole * 100).quantize(Decimal(1)) if whole else ZERO
        text += (f", awards' cash equivalent {numbers.money(awards, digits)} {shown(currency)} "
                 f"(pay mix {share}% cash, {100 - share}% awards)")
    return text


def _table(compiled: CompiledPlan, results, console: Console) -> None:
    p = compiled.ir
    digits = p.minor_units
    table = Table(title=_cell(f"{p.name} ({p.currency}, per {p.period})"), title_justify="left")
    table.add_column("payee")
    for c in p.components:
        table.add_column(_cell(c.label or c.name), justify="right")
    table.add_column("total", justify="right", style="bold")
    if p.awards:
        table.add_column("awards")
    for r in results:
        cells = [_cell(r.payee), *(Text(numbers.money(c.amount, digits)) for c in r.components),
                 Text(numbers.money(r.total, digits))]
        if p.awards:
            cells.append(_cell(", ".join((a.label or a.name) + ("" if a.value is None else
                                         f" ({numbers.money(a.value, digits)})") for a in r.awards if a.granted)))
        table.add_row(*cells)
    console.print(table)
    total = sum((r.total for r in results), ZERO)
    awards = sum((r.award_value for r in results), ZERO)
    line = f"{len(results)} payees, total {numbers.money(total, digits)} {shown(p.currency)}"
    if awards:
        line = f"{len(results)} payees, total {pay_mix(total, awards, digits, p.currency)}"
    console.print(line, soft_wrap=True)


def summary_text(runs: list[Run]) -> str:
    """A table per plan (titled with the plan's name), then, for several plans, the totals per currency."""
    buf = io.StringIO()
    width = max(24 * (len(c.ir.components) + 2) for c, _ in runs)
    console = Console(file=buf, width=max(100, width), highlight=False, color_system=None, markup=False, emoji=False)
    for i, (compiled, results) in enumerate(runs):
        if i:
            console.print()
        _table(compiled, results, console)
    if len(runs) > 1:
        console.print()
        for cur, (cash, awards, digits) in _totals(runs).items():
            console.print(f"every plan, {shown(cur)}: {pay_mix(cash, awards, digits, cur)}", soft_wrap=True)
    return buf.getvalue()
