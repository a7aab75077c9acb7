"""`incentives ledger`: look at and close the periods of a ledger.

  incentives ledger show pay.db [--period 2027-03] [--payee R1] [--format text|csv|json]
  incentives ledger finalize pay.db 2027-01 [2027-02 ...]

A final period is never changed again: running it later re-works it with the data of the day and
books the difference into the open period after the last final one.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from dsl.currencies import currency_digits

from incentives.engine.calendar import parse_periods
from incentives.engine.numbers import money
from incentives.errors import IncentivesError
from incentives.time.ledger import Ledger
from .common import EXIT_USAGE, fail, out, problems, say, shown

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Look at a ledger and finalize its periods.")


def _open(where: str) -> Ledger:
    if "://" not in where and not Path(where).exists():
        fail(f"{where}: no such ledger file")
    try:
        return Ledger(Path(where) if "://" not in where else where)
    except IncentivesError as e:
        problems(e.problems, EXIT_USAGE)


@app.command()
def finalize(ledger: Annotated[str, typer.Argument(help="The ledger: an SQLite file or a postgresql:// URL.")],
             periods: Annotated[list[str], typer.Argument(help="Periods to finalize, in order (2027-01, or "
                                                               "2027-01..2027-03).", metavar="PERIOD...")]) -> None:
    """Finalize periods: what they recorded is never changed again."""
    labels = []
    for text in periods:
        try:
            labels += [p.label for p in parse_periods(text)]
        except ValueError as e:
            fail(str(e))
    store = _open(ledger)
    try:
        _check_finalize(ledger, store, labels)  # all or nothing: a refused period leaves every one as it was
        for label in labels:
            try:
                store.finalize(label)
            except IncentivesError as e:
                problems(e.problems, EXIT_USAGE)
            say(f"{label}: final")
    finally:
        store.close()


def _check_finalize(where: str, store: Ledger, labels: list[str]) -> None:
    records = {p.label: p for p in store.periods()}
    wanted = set(labels)
    for label in labels:
        rec = records.get(label)
        if rec is None:
            fail(f"{where}: {label} has not been run: nothing to finalize (nothing was finalized)")
        if rec.status == "final":
            fail(f"{where}: {label} is final already (nothing was finalized)")
        before = sorted(p.label for p in records.values() if p.status == "open" and p.start < rec.start
                        and p.label not in wanted)
        if before:
            fail(f"{where}: {', '.join(before)} {'is' if len(before) == 1 else 'are'} still open: periods are "
                 f"finalized in order (nothing was finalized)")


@app.command()
def show(ledger: Annotated[str, typer.Argument(help="The ledger: an SQLite file or a postgresql:// URL.")],
         period: Annotated[Optional[str], typer.Option(help="Only entries booked in this period.")] = None,
         payee: Annotated[Optional[str], typer.Option("--payee", "-p", help="Only this payee.")] = None,
         format: Annotated[str, typer.Option("--format", "-f", help="text, csv or json")] = "text") -> None:
    """The periods (open or final) and the entries: earned, per deal, adjustments, clawbacks, draws,
    recoveries, forgiveness, paid and the balance carried."""
    if format not in ("text", "csv", "json"):
        fail(f"unknown format `{format}`: text, csv or json")
    store = _open(ledger)
    try:
        records = store.periods()
        entries = store.entries(booked_in=period, payee=payee)
    finally:
        store.close()
    if period is not None and period not in {p.label for p in records}:
        fail(f"{ledger}: no period {period} is recorded")
    rows = [{"booked_in": e.booked_in, "about": e.about, "payee": e.payee, "plan": e.plan, "component": e.component,
             "deal": e.deal, "kind": e.kind, "amount": format_amount(e.amount), "currency": e.currency, "note": e.note}
            for e in entries]
    if format == "json":
        out(json.dumps({"periods": [{"label": p.label, "kind": p.kind, "start": str(p.start), "end": str(p.end),
                                     "status": p.status} for p in records], "entries": rows}, indent=2) + "\n")
        return
    if format == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, list(rows[0]) if rows else ["booked_in"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        out(buf.getvalue())
        return
    lines = ["Periods"] + [f"  {p.label:<10} {p.start} to {p.end}  {p.status}" for p in records]
    lines.append("Entries")
    for e in entries:
        about = f" (about {e.about})" if e.about != e.booked_in else ""
        what = " ".join(x for x in (e.component and f"component {e.component}", e.deal and f"deal {e.deal}") if x)
        lines.append(f"  {e.booked_in:<10} {e.payee:<12} {e.plan[:24]:<24} {e.kind:<12} {what:<24}"
                     f"{money(e.amount, currency_digits(e.currency)):>14} {e.currency}{about}")
    out(shown("\n".join(lines) + "\n", lines=True))


def format_amount(amount) -> str:
    return format(amount, "f")
