"""`incentives run` over pay periods: with a ledger, assignments, dated values, rates or holidays, a
sequence of periods, or a plan with a draw, clawbacks or year-to-date components.  Each period is
paid through the ledger (`incentives.time.runner`); the output is a summary per period, or with
--explain a statement per payee, plan and period."""

from __future__ import annotations

from pathlib import Path

import typer

from dsl.source import InputFileError

from incentives.engine.calendar import parse_periods
from incentives.errors import DataError, EvaluationError, IncentivesError
from incentives.explain.build import explain
from incentives.explain.render import RENDERERS
from incentives.plan import Plan
from incentives.sales.tables import load_mapping, read_rows
from incentives.time.ledger import Ledger
from incentives.time.load import load_period_data
from incentives.time.runner import run_periods
from incentives.time.statement import (render_statement_html, render_statement_markdown, render_statement_text,
                                       summary_csv, summary_json, summary_text)
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .common import EXIT_DATA, EXIT_EVAL, EXIT_USAGE, err, fail, file_problems, out, problems, say, shown, write_output

PERIOD_OPTIONS = ("ledger", "periods", "assignments", "quotas", "rates", "holidays")


#: people-table columns that only a period run honours: who is on which plan when, and the pay currency
PEOPLE_PERIOD_COLUMNS = ("plan", "hire_date", "start_date", "leave_date", "end_date", "currency")


def wants_periods(plans: list[Plan], people: Path | None = None, mapping: Path | None = None, **given) -> bool:
    """Whether `run` goes through pay periods: an option of theirs, a plan that needs them, or a people
    table that says who is on which plan when, or who is paid in which currency."""
    if any(given.get(k) is not None for k in PERIOD_OPTIONS):
        return True
    if people is not None and _people_columns(people, mapping) & set(PEOPLE_PERIOD_COLUMNS):
        return True
    names = [p.name for p in plans]
    return len(set(names)) < len(names) or any(
        p.ir.draw is not None or p.ir.clawbacks or any(c.ytd for c in p.ir.components) for p in plans)


def run_periods_command(plans: list[Plan], people: Path, deals: Path | None, splits: Path | None,
                        activities: Path | None, mapping: Path | None, period: str | None, periods: str | None,
                        ledger: str | None, assignments: Path | None, quotas: Path | None, rates: Path | None,
                        holidays: Path | None, payee: list[str] | None, explain_: bool, format: str,
                        output: Path | None) -> None:
    if period is not None and periods is not None:
        fail("give --period (one period) or --periods (a sequence such as 2027-01..2027-06), not both")
    if period is None and periods is None:
        kinds = sorted({p.ir.period for p in plans})
        fail(f"give the period to pay: --period (e.g. {_example(kinds[0])}) or --periods (e.g. "
             f"{_example(kinds[0])}..{_example(kinds[0], last=True)}); nothing defaults to the whole plan year")
    try:
        sequence = parse_periods(periods if periods is not None else period)
    except ValueError as e:
        fail(str(e))
    store = None
    try:
        data = load_period_data(plans, people, deals, splits, activities, mapping, assignments, quotas, rates,
                                holidays)
        if ledger is not None:
            store = Ledger(Path(ledger) if "://" not in ledger else ledger)
        runs = _with_progress(plans, data, sequence, store)
    except InputFileError as e:
        file_problems(e)
    except EvaluationError as e:
        plan = next((p for p in plans if e.span is not None and e.span.file == p.source.name), plans[0])
        say(e.diagnostic().render(plan.source), lines=True)
        raise typer.Exit(EXIT_EVAL)
    except DataError as e:
        problems(e.problems, EXIT_DATA)
    except IncentivesError as e:  # the ledger: cannot be opened, or refuses a write
        problems(e.problems, EXIT_USAGE)
    finally:
        if store is not None:
            store.close()
    if payee:
        known = {p.payee for r in runs for p in r.payees}
        unknown = sorted(set(payee) - known)
        if unknown and all(r.status == "paid" for r in runs):
            fail(f"{people}: no payee with id {', '.join(unknown)} is paid in these periods", EXIT_DATA)
        for r in runs:
            r.payees = [p for p in r.payees if p.payee in set(payee)]
    names = {pid: p.name for pid, p in data.sales.people.items()}
    text = _render(runs, plans, names, explain_, format)
    if output is not None:
        write_output(output, text)
    else:
        out(text)


def _with_progress(plans: list[Plan], data, sequence: list, store):
    """The periods run, with a progress bar on the terminal when there are several of them."""
    if len(sequence) < 2 or not err.is_terminal:
        return run_periods(plans, data, sequence, store)
    with Progress(TextColumn("paying"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(sequence[0].label, total=len(sequence))
        return run_periods(plans, data, sequence, store,
                           progress=lambda p: bar.update(task, advance=1, description=p.label))


def _render(runs, plans: list[Plan], names: dict[str, str], explain_: bool, format: str) -> str:
    if format == "csv":
        return summary_csv(runs)
    if format == "json":
        return summary_json(runs, names)
    if not explain_ and format == "text":
        return shown(summary_text(runs), lines=True)
    render = {"markdown": render_statement_markdown, "html": render_statement_html}.get(format,
                                                                                         render_statement_text)
    by_hash = {p.hash: p for p in plans}
    parts = []
    for run in runs:
        if run.status == "restated":
            parts.append(summary_text([run]))
            continue
        for p in run.payees:
            part = render(run, p, names.get(p.payee, ""))
            if explain_ and format == "text":
                plan = by_hash.get(p.plan_hash)
                if plan is not None:
                    part += "\n" + RENDERERS["text"](explain(plan, p.result, None))
            parts.append(part)
    body = ("\n" + "-" * 78 + "\n\n").join(parts)
    if format == "html":
        return f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Statements</title></head><body>\n{body}" \
               f"</body></html>\n"
    return shown(body, lines=True)


def _people_columns(people: Path, mapping: Path | None) -> set[str]:
    try:
        maps = load_mapping(mapping) if mapping else {}
        columns, rows = read_rows(people, maps.get("people"))
        if columns is None:
            first = next(iter(rows), None)
            columns = list(first[1]) if first else []
    except (DataError, InputFileError):
        return set()  # reported when the table is read for the run
    return set(columns)


def _example(kind: str, last: bool = False) -> str:
    return {"month": "2027-12" if last else "2027-01", "quarter": "2027-Q4" if last else "2027-Q1",
            "half": "2027-H2" if last else "2027-H1", "year": "2028" if last else "2027"}.get(kind, "2027-01")
