"""`incentives run`: evaluate a plan for every payee in a data file, with its summary and reports."""

from __future__ import annotations

import csv
import io
import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dsl.source import InputFileError

from incentives.engine import numbers
from incentives.engine.compiled import CompiledPlan
from incentives.errors import DataError, EvaluationError
from incentives.explain.build import explain
from incentives.explain.render import RENDERERS, render_json_many
from incentives.sales.inputs import load_payees
from incentives.sales.population import Population, parse_period
from incentives.sales.records import load_sales
from incentives.sales.tables import load_mapping
from .common import (EXIT_DATA, EXIT_EVAL, check_output, compile_plan, fail, file_problems, out,
                     problems, say, shown, write_output)


class Format(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


def run(plan: Annotated[Path, typer.Argument(help="The plan file.")],
        data: Annotated[Optional[Path], typer.Option("--data", "-d", "--people",
                                                     help="Payees (people): .csv, .json or .parquet, one row "
                                                          "per payee with its id, org columns and inputs.")] = None,
        deals: Annotated[Optional[Path], typer.Option(help="Deals: .csv, .json or .parquet.")] = None,
        splits: Annotated[Optional[Path], typer.Option(help="Split and overlay rows: deal, person, share, kind.")] = None,
        mapping: Annotated[Optional[Path], typer.Option(help="Column mapping (TOML) for CRM exports.")] = None,
        period: Annotated[Optional[str], typer.Option(help="The period: 2026, 2026-H1, 2026-Q1, 2026-03, "
                                                           "or 2026-01-01..2026-02-28.")] = None,
        payee: Annotated[Optional[list[str]], typer.Option("--payee", "-p", help="Only this payee id (repeatable).")] = None,
        explain_: Annotated[bool, typer.Option("--explain", "-e", help="Show each payee's full breakdown.")] = False,
        format: Annotated[Format, typer.Option("--format", "-f", help="text, json, csv, markdown or html")] = Format.text,
        output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
        strict: Annotated[bool, typer.Option(help="Treat plan warnings as errors.")] = False) -> None:
    """Evaluate a plan for every payee in a data file (and their deals, where the plan reads deals)."""
    compiled = compile_plan(plan, strict)
    if data is None:
        fail("give the payees with --data (or --people)")
    if compiled.checked.reads_deals and deals is None:
        fail(f"{plan}: the plan reads deals: give them with --deals")
    if output is not None:
        check_output(output)  # before the work: a missing directory is reported at once
    trace = explain_ or format in (Format.markdown, Format.html)
    try:
        if deals is not None or splits is not None or compiled.ir.needs_population:
            results = _population(compiled, data, deals, splits, mapping, period, trace)
        else:
            maps = load_mapping(mapping) if mapping else {}
            rows = load_payees(data, compiled.ir.inputs, maps.get("people"))
            bounds = parse_period(period) if period is not None else compiled.ir.effective
            if period is None and bounds is not None and compiled.ir.uses_period:
                say(f"no --period given: period_start and period_end are the plan's effective dates, "
                    f"{bounds[0]} to {bounds[1]}")
            if bounds is not None:
                rows = [(pid, {**v, "period_start": bounds[0], "period_end": bounds[1]}) for pid, v in rows]
            results = compiled.evaluator.run_many(rows, trace=trace)
        if payee:
            unknown = set(payee) - {r.payee for r in results}
            if unknown:
                fail(f"{data}: no payee with id {', '.join(sorted(unknown))}", EXIT_DATA)
            results = [r for r in results if r.payee in set(payee)]
        breakdowns = [explain(compiled, r) for r in results] if trace else []
    except InputFileError as e:  # missing, a directory, a FIFO, a device, too large (before DataError: it is one)
        file_problems(e)
    except DataError as e:
        problems(e.problems, EXIT_DATA)
    except EvaluationError as e:
        say(e.diagnostic().render(compiled.source), lines=True)
        raise typer.Exit(EXIT_EVAL)
    if trace:
        if format == Format.json:
            text = render_json_many(breakdowns)
        elif format == Format.csv:
            text = _csv(compiled, results)
        else:
            sep = "\n" + ("-" * 78) + "\n\n" if format == Format.text else "\n"
            text = shown(sep.join(RENDERERS[format.value](b) for b in breakdowns), lines=True)
    else:
        text = {Format.json: _summary_json, Format.csv: _csv}.get(format, _summary_text)(compiled, results)
    if output is not None:
        write_output(output, text)
    else:
        out(text)


def _population(compiled: CompiledPlan, people: Path, deals: Path | None, splits: Path | None,
                mapping: Path | None, period: str | None, trace: bool):
    p = compiled.ir
    maps = load_mapping(mapping) if mapping else {}
    sales = load_sales(people, deals, splits, p.inputs, p.deal_fields, p.currency, maps, p.deal_columns,
                       p.deal_field_infos)
    if period is None and p.effective is not None:
        start, end = p.effective
        say(f"no --period given: period_start and period_end are the plan's effective dates, {start} to {end}")
    return Population(compiled, sales, parse_period(period) if period else None).run(trace)


def _amount(d, compiled: CompiledPlan) -> str:
    return numbers.exact(d, compiled.ir.minor_units)


def _csv(compiled: CompiledPlan, results) -> str:
    """The CSV summary: data, so ids are written as they are (not escaped)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    comps = [c.name for c in compiled.ir.components]
    awards = [a.name for a in compiled.ir.awards]
    w.writerow(["payee", *comps, "total", *awards])
    for r in results:
        w.writerow([r.payee, *(_amount(c.amount, compiled) for c in r.components), _amount(r.total, compiled),
                    *("yes" if a.granted else "no" for a in r.awards)])
    return buf.getvalue()


def _summary_json(compiled: CompiledPlan, results) -> str:
    doc = {"plan": compiled.ir.name, "currency": compiled.ir.currency, "payees": [
        {"payee": r.payee, "components": {c.name: _amount(c.amount, compiled) for c in r.components},
         "total": _amount(r.total, compiled),
         "awards": [{"name": a.name, "kind": a.kind, "value": None if a.value is None else _amount(a.value, compiled)}
                    for a in r.awards if a.granted]} for r in results]}
    doc["total"] = _amount(sum((r.total for r in results), numbers.Decimal(0)), compiled)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str, **style) -> Text:
    """A table cell from user-supplied text: escaped, never read as markup."""
    return Text(shown(text), **style)


def _summary_text(compiled: CompiledPlan, results) -> str:
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
            cells.append(_cell(", ".join(a.label or a.name for a in r.awards if a.granted)))
        table.add_row(*cells)
    total = sum((r.total for r in results), numbers.Decimal(0))
    buf = io.StringIO()
    console = Console(file=buf, width=max(100, 24 * (len(p.components) + 2)), highlight=False, color_system=None,
                      markup=False, emoji=False)
    console.print(table)
    console.print(f"{len(results)} payees, total {numbers.money(total, digits)} {shown(p.currency)}")
    return buf.getvalue()
