"""`incentives run`: evaluate one plan or several for every payee in a data file, with the summary
and the statements (one per person, covering every plan given)."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from incentives.engine.calendar import parse_period as parse_one_period
from incentives.engine.calendar import periods_covering
from incentives.engine.compiled import CompiledPlan
from incentives.engine.period import period_values
from incentives.explain.build import explain, statements
from incentives.explain.render import (
    RENDERERS,
    render_html_statements,
    render_json_many,
    render_json_statements,
    render_markdown_statements,
    render_text_statements,
)
from incentives.sales.activities import load_activities
from incentives.sales.inputs import load_payees, text_id
from incentives.sales.population import Population, parse_period
from incentives.sales.records import Person, load_sales
from incentives.sales.tables import load_mapping, read_rows
from incentives.time.versions import fits

from .common import (
    EXIT_DATA,
    EXIT_USAGE,
    check_output,
    compile_plan,
    fail,
    out,
    reported,
    say,
    shown,
    write_output,
)
from .engine import Engine, evaluate_with
from .periods import run_periods_command, wants_periods
from .run_reports import csv_text, summary_json, summary_text


class Format(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


EXTENSIONS = {Format.text: "txt", Format.json: "json", Format.markdown: "md", Format.html: "html"}


def run(plans: Annotated[list[Path], typer.Argument(
            help="The plan file; several plans (an AE plan and a SPIF) give one statement per person covering "
                 "every plan.", metavar="PLAN...")],
        data: Annotated[Path | None, typer.Option("--data", "-d", "--people",
                                                     help="Payees (people): .csv, .json or .parquet, one row "
                                                          "per payee with its id, org columns and inputs.")] = None,
        deals: Annotated[Path | None, typer.Option(help="Deals: .csv, .json or .parquet.")] = None,
        splits: Annotated[Path | None, typer.Option(help="Split and overlay rows: deal, person, share, kind.")] = None,
        activities: Annotated[Path | None, typer.Option(
            help="Activities (meetings, calls, visits): .csv, .json or .parquet with id, owner, date, type and "
                 "the plan's declared activity columns.")] = None,
        mapping: Annotated[Path | None, typer.Option(help="Column mapping (TOML) for CRM exports.")] = None,
        period: Annotated[str | None, typer.Option(help="The period: 2026, 2026-H1, 2026-Q1, 2026-03, "
                                                           "or 2026-01-01..2026-02-28.")] = None,
        payee: Annotated[list[str] | None, typer.Option("--payee", "-p", help="Only this payee id (repeatable).")] = None,
        explain_: Annotated[bool, typer.Option("--explain", "-e", help="Show each payee's full breakdown.")] = False,
        format: Annotated[Format, typer.Option("--format", "-f", help="text, json, csv, markdown or html")] = Format.text,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
        output_dir: Annotated[Path | None, typer.Option(
            "--output-dir", help="Write one statement file per payee into this directory (PAYEE.txt, .md, .html "
                                 "or .json), with --explain or --format markdown or html.")] = None,
        strict: Annotated[bool, typer.Option(help="Treat plan warnings as errors.")] = False,
        periods: Annotated[str | None, typer.Option(
            help="A sequence of periods paid in order through the ledger: 2027-01..2027-06, 2027-Q1..2027-Q4.")] = None,
        ledger: Annotated[str | None, typer.Option(
            help="The ledger: an SQLite file (made if missing) or a postgresql:// URL. Each period's earnings, "
                 "draws, recoveries, clawbacks and balances are recorded there and read by the next period.")] = None,
        assignments: Annotated[Path | None, typer.Option(
            help="Who is on which plan when: person, plan (its name), start, end. Without it, the people table's "
                 "plan, hire_date and leave_date columns, if any, say so.")] = None,
        quotas: Annotated[Path | None, typer.Option(
            help="Effective-dated values of the plans' inputs (quotas, targets): person, start, end and a column per "
                 "input, or person, name, value, start, end.")] = None,
        rates: Annotated[Path | None, typer.Option(
            help="Currency rates: from, to, date, rate (up to 8 decimal places).")] = None,
        holidays: Annotated[Path | None, typer.Option(
            help="Holidays (a date column), left out of working days for plans that say `days working`.")] = None,
        engine: Annotated[Engine, typer.Option(
            help="auto: the columnar evaluator where it applies, else the row evaluator; row: the row evaluator "
                 "(the reference); columnar: the columnar evaluator, saying why where it cannot be used.")] = Engine.auto,
        ) -> None:
    """Evaluate plans for every payee in a data file (and their deals or activities, where a plan reads them)."""
    compiled_all = [compile_plan(plan, strict) for plan in plans]
    if data is None:
        fail("give the payees with --data (or --people)")
    if wants_periods(compiled_all, data, mapping, periods=periods, ledger=ledger, assignments=assignments,
                     quotas=quotas, rates=rates, holidays=holidays):
        if output_dir is not None:
            fail("--output-dir is for single runs; with periods, write the statements with --output")
        if output is not None:
            check_output(output)
        run_periods_command(compiled_all, data, deals, splits, activities, mapping, period, periods, ledger,
                            assignments, quotas, rates, holidays, payee, explain_, format.value, output)
        return
    for plan, compiled in zip(plans, compiled_all):
        if compiled.checked.reads_deals and deals is None:
            fail(f"{plan}: the plan reads deals: give them with --deals")
        if compiled.ir.reads_activities and activities is None:
            fail(f"{plan}: the plan reads activities: give them with --activities")
    for compiled in compiled_all:
        _check_period(compiled, period)
    trace = explain_ or format in (Format.markdown, Format.html)
    if output is not None and output_dir is not None:
        fail("give --output (one file) or --output-dir (a file per payee), not both")
    if output_dir is not None and (not trace or format == Format.csv):
        fail(f"{output_dir}: --output-dir writes a statement per payee: use it with --explain (text or json) "
             f"or --format markdown or html")
    if output is not None:
        check_output(output)  # before the work: a missing directory is reported at once
    if output_dir is not None:
        _check_dir(output_dir)
    runs, breakdowns = [], []
    compiled = compiled_all[0]
    with reported(lambda: compiled):
        for compiled in compiled_all:
            results, people = evaluate_with(_evaluate, engine, compiled, data, deals, splits, mapping, period,
                                            trace, activities, payee)
            if payee:
                unknown = set(payee) - {r.payee for r in results}
                if unknown:
                    fail(f"{data}: no payee with id {', '.join(sorted(unknown))}", EXIT_DATA)
                results = [r for r in results if r.payee in set(payee)]
            runs.append((compiled, results))
            if trace:
                breakdowns += [explain(compiled, r, people.get(r.payee)) for r in results]
    if output_dir is not None:
        _write_statements(output_dir, format, breakdowns, len(runs))
        return
    if trace and format != Format.csv:
        text = _statements(format, breakdowns, len(runs))
    else:
        text = {Format.json: summary_json, Format.csv: csv_text}.get(format, summary_text)(runs)
    if output is not None:
        write_output(output, text)
    else:
        out(text)


def _check_period(compiled: CompiledPlan, period: str | None) -> None:
    """Exit 2 unless the period fits the plan: inside its effective dates, of its kind (unless it allows
    partial periods).  With no --period, a plan whose effective dates are one period of its kind pays
    that period; any other must be told which (nothing defaults to the whole plan year)."""
    ir = compiled.ir
    if period is None:
        if ir.effective is None or not ir.uses_period:
            return
        start, end = ir.effective
        one = periods_covering(ir.period, start, end)
        if len(one) == 1 and (one[0].start, one[0].end) == (start, end):
            return
        fail(f"{compiled.source.name}: give --period: the plan pays by {ir.period} from {start} to {end} "
             f"(e.g. --period {one[0].label}); nothing defaults to the whole plan year")
    try:
        p = parse_one_period(period)
    except ValueError as e:
        fail(str(e), EXIT_DATA)
    why = fits(compiled, p)
    if why is not None:
        fail(f"{compiled.source.name}: cannot pay {p.label}: {why}", EXIT_DATA)


def _statements(format: Format, breakdowns: list, plans: int) -> str:
    """Every payee's statement in one text: one plan keeps its breakdowns as they were (a JSON list of
    breakdowns); several give one statement per person covering every plan."""
    if format == Format.json:
        return render_json_many(breakdowns) if plans == 1 else render_json_statements(statements(breakdowns))
    if format == Format.html:
        return render_html_statements(statements(breakdowns))
    if format == Format.markdown:
        return shown(render_markdown_statements(statements(breakdowns)), lines=True)
    if plans == 1:
        sep = "\n" + ("-" * 78) + "\n\n"
        return shown(sep.join(RENDERERS["text"](b) for b in breakdowns), lines=True)
    return shown(render_text_statements(statements(breakdowns)), lines=True)


def _check_dir(path: Path) -> None:
    """Exit 2 now unless the directory exists or can be made (its parent exists)."""
    if path.exists() and not path.is_dir():
        fail(f"{path}: cannot write the statements: it is not a directory")
    if not path.exists():
        if not path.absolute().parent.is_dir():
            fail(f"{path}: cannot write the statements: the directory {path.absolute().parent} does not exist")
        try:
            path.mkdir()
        except OSError as e:
            fail(f"{path}: cannot write the statements: {e.strerror or e}", EXIT_USAGE)


def file_name(payee: str, taken: set[str]) -> str:
    """A safe file name for a payee id: letters, digits, `.`, `_` and `-` kept, anything else `_`;
    never hidden; made unique (ignoring case) with -2, -3... after the id."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", payee).lstrip(".") or "payee"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name.lower())
    return name


def _write_statements(directory: Path, format: Format, breakdowns: list, plans: int) -> None:
    taken: set[str] = set()
    items = statements(breakdowns)
    for s in items:
        if format == Format.json:
            text = RENDERERS["json"](s.plans[0]) if plans == 1 else s.model_dump_json(by_alias=True, indent=2) + "\n"
        else:
            text = _statements(format, s.plans, plans)
        write_output(directory / f"{file_name(s.payee, taken)}.{EXTENSIONS[format]}", text, "the statement")
    say(f"wrote {len(items)} statement{'s' * (len(items) != 1)} to {directory}")


def _evaluate(compiled: CompiledPlan, data: Path, deals: Path | None, splits: Path | None, mapping: Path | None,
              period: str | None, trace: bool, activities: Path | None = None) -> tuple[list, dict[str, Person]]:
    """One plan's results, and the people table's rows by id (for names on statements, traced runs)."""
    if deals is not None or splits is not None or activities is not None or compiled.ir.needs_population:
        return _population(compiled, data, deals, splits, mapping, period, trace, activities)
    maps = load_mapping(mapping) if mapping else {}
    rows = load_payees(data, compiled.ir.inputs, maps.get("people"))
    bounds = parse_period(period) if period is not None else compiled.ir.effective
    if period is None and bounds is not None and compiled.ir.uses_period:
        say(f"no --period given: period_start and period_end are the plan's effective dates, "
            f"{bounds[0]} to {bounds[1]}")
    if bounds is not None:
        rows = [(pid, period_values(compiled.ir, dict(v), *bounds)) for pid, v in rows]
    return compiled.evaluator.run_many(rows, trace=trace), _names(data, maps) if trace else {}


def _names(data: Path, maps: dict) -> dict[str, Person]:
    """The name and role columns of the payees' table, for statements."""
    _, rows = read_rows(data, maps.get("people"))
    return {text_id(r.get("id")): Person(text_id(r.get("id")), "", "", {}, where, text_id(r.get("name")),
                                         text_id(r.get("role"))) for where, r in rows}


def _population(compiled: CompiledPlan, people: Path, deals: Path | None, splits: Path | None,
                mapping: Path | None, period: str | None, trace: bool,
                activities: Path | None = None) -> tuple[list, dict[str, Person]]:
    p = compiled.ir
    maps = load_mapping(mapping) if mapping else {}
    sales = load_sales(people, deals, splits, p.inputs, p.deal_fields, p.currency, maps, p.deal_columns,
                       p.deal_field_infos)
    if activities is not None:
        sales.activities = load_activities(activities, p.activity_fields, sales.people, maps.get("activities"),
                                           p.activity_columns, p.activity_field_infos)
    if period is None and p.effective is not None:
        start, end = p.effective
        say(f"no --period given: period_start and period_end are the plan's effective dates, {start} to {end}")
    return Population(compiled, sales, parse_period(period) if period else None).run(trace), sales.people
