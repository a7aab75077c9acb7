"""The `incentives` command: check, run, fmt and schema.

Exit codes scripts can rely on:
  0 success; 1 a plan has errors (or `fmt --check` would change a file);
  2 bad usage or a file that cannot be read; 3 bad input data;
  4 a payee could not be evaluated (division by zero, a missing table row).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from dsl import PlanError
from dsl.fmt import format_plan
from dsl.parse import parse
from dsl.source import Source

from incentives.engine import numbers
from incentives.sales.inputs import load_payees
from incentives.errors import DataError, EvaluationError
from incentives.explain.build import explain, json_schema
from incentives.engine.compiled import CompiledPlan
from incentives.plan import compile_source
from incentives.sales.population import Population, parse_period
from incentives.sales.records import load_sales
from incentives.sales.tables import load_mapping
from incentives.explain.render import RENDERERS, render_json_many

EXIT_OK, EXIT_PLAN, EXIT_USAGE, EXIT_DATA, EXIT_EVAL = 0, 1, 2, 3, 4

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Incentive plans as checked text: exact, explainable payouts.")
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CheckFormat(str, Enum):
    text = "text"
    json = "json"


class Format(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


def _read(path: Path) -> Source:
    try:
        return Source.from_path(path)
    except (OSError, UnicodeDecodeError) as e:
        err.print(f"{path}: cannot read the plan: {e}")
        raise typer.Exit(EXIT_USAGE)


def _out(text: str) -> None:
    sys.stdout.write(text)


def _compile(path: Path, strict: bool = False) -> CompiledPlan:
    source = _read(path)
    try:
        plan = compile_source(source)
    except PlanError as e:
        err.print(e.render(), markup=False)
        n = len(e.errors)
        err.print(f"{path}: {n} error{'s' if n != 1 else ''}", markup=False)
        raise typer.Exit(EXIT_PLAN)
    for w in plan.warnings:
        err.print(w.render(source), markup=False)
    if strict and plan.warnings:
        err.print(f"{path}: warnings are errors (--strict)", markup=False)
        raise typer.Exit(EXIT_PLAN)
    return plan


@app.command()
def check(plans: Annotated[list[Path], typer.Argument(help="Plan files to check.")],
          strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
          format: Annotated[CheckFormat, typer.Option("--format", help="text or json")] = CheckFormat.text) -> None:
    """Parse and check plans; report every error with file, line and column."""
    failed = False
    report = []
    for path in plans:
        source = _read(path)
        try:
            plan = compile_source(source)
        except PlanError as e:
            failed = True
            report.append({"file": str(path), "ok": False, "diagnostics": [d.to_dict() for d in e.diagnostics]})
            if format == CheckFormat.text:
                err.print(e.render(), markup=False)
            continue
        warnings = plan.warnings
        failed |= strict and bool(warnings)
        report.append({"file": str(path), "ok": not (strict and warnings),
                       "diagnostics": [d.to_dict() for d in warnings]})
        if format == CheckFormat.text:
            for w in warnings:
                err.print(w.render(source), markup=False)
            p = plan.ir
            _out(f"ok  {path}: {p.name!r} ({p.currency}, {p.period}): {len(p.inputs)} inputs, "
                 f"{len(p.components)} components, {len(p.awards)} awards\n")
    if format == CheckFormat.json:
        _out(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    raise typer.Exit(EXIT_PLAN if failed else EXIT_OK)


@app.command()
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
    compiled = _compile(plan, strict)
    if data is None:
        err.print("give the payees with --data (or --people)", markup=False)
        raise typer.Exit(EXIT_USAGE)
    if compiled.checked.reads_deals and deals is None:
        err.print(f"{plan}: the plan reads deals: give them with --deals", markup=False)
        raise typer.Exit(EXIT_USAGE)
    trace = explain_ or format in (Format.markdown, Format.html)
    try:
        if deals is not None or splits is not None or compiled.ir.needs_population:
            results = _population(compiled, data, deals, splits, mapping, period, trace)
        else:
            maps = load_mapping(mapping) if mapping else {}
            rows = load_payees(data, compiled.ir.inputs, maps.get("people"))
            bounds = parse_period(period) if period is not None else compiled.ir.effective
            if period is None and bounds is not None and compiled.ir.uses_period:
                err.print(f"no --period given: period_start and period_end are the plan's effective dates, "
                          f"{bounds[0]} to {bounds[1]}", markup=False)
            if bounds is not None:
                rows = [(pid, {**v, "period_start": bounds[0], "period_end": bounds[1]}) for pid, v in rows]
            results = compiled.evaluator.run_many(rows, trace=trace)
        if payee:
            unknown = set(payee) - {r.payee for r in results}
            if unknown:
                err.print(f"{data}: no payee with id {', '.join(sorted(unknown))}", markup=False)
                raise typer.Exit(EXIT_DATA)
            results = [r for r in results if r.payee in set(payee)]
        breakdowns = [explain(compiled, r) for r in results] if trace else []
    except DataError as e:
        for problem in e.problems:
            err.print(problem, markup=False)
        raise typer.Exit(EXIT_DATA)
    except EvaluationError as e:
        err.print(e.diagnostic().render(compiled.source), markup=False)
        raise typer.Exit(EXIT_EVAL)
    if trace:
        if format == Format.json:
            text = render_json_many(breakdowns)
        elif format == Format.csv:
            text = _csv(compiled, results)
        else:
            sep = "\n" + ("-" * 78) + "\n\n" if format == Format.text else "\n"
            text = sep.join(RENDERERS[format.value](b) for b in breakdowns)
    else:
        text = {Format.json: _summary_json, Format.csv: _csv}.get(format, _summary_text)(compiled, results)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        _out(text)


def _population(compiled: CompiledPlan, people: Path, deals: Path | None, splits: Path | None,
                mapping: Path | None, period: str | None, trace: bool):
    p = compiled.ir
    maps = load_mapping(mapping) if mapping else {}
    sales = load_sales(people, deals, splits, p.inputs, p.deal_fields, p.currency, maps, p.deal_columns,
                       p.deal_field_infos)
    if period is None and p.effective is not None:
        start, end = p.effective
        err.print(f"no --period given: period_start and period_end are the plan's effective dates, "
                  f"{start} to {end}", markup=False)
    return Population(compiled, sales, parse_period(period) if period else None).run(trace)


def _amount(d, compiled: CompiledPlan) -> str:
    return numbers.exact(d, compiled.ir.minor_units)


def _csv(compiled: CompiledPlan, results) -> str:
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


def _summary_text(compiled: CompiledPlan, results) -> str:
    p = compiled.ir
    digits = p.minor_units
    table = Table(title=f"{p.name} ({p.currency}, per {p.period})", title_justify="left")
    table.add_column("payee")
    for c in p.components:
        table.add_column(c.label or c.name, justify="right")
    table.add_column("total", justify="right", style="bold")
    if p.awards:
        table.add_column("awards")
    for r in results:
        cells = [r.payee, *(numbers.money(c.amount, digits) for c in r.components), numbers.money(r.total, digits)]
        if p.awards:
            cells.append(", ".join(a.label or a.name for a in r.awards if a.granted))
        table.add_row(*cells)
    total = sum((r.total for r in results), numbers.Decimal(0))
    buf = io.StringIO()
    console = Console(file=buf, width=max(100, 24 * (len(p.components) + 2)), highlight=False, color_system=None)
    console.print(table)
    console.print(f"{len(results)} payees, total {numbers.money(total, digits)} {p.currency}")
    return buf.getvalue()


@app.command()
def fmt(plans: Annotated[list[Path], typer.Argument(help="Plan files to format.")],
        check_: Annotated[bool, typer.Option("--check", help="Only report files that would change (exit 1).")] = False,
        write: Annotated[bool, typer.Option("--write", "-w", help="Rewrite the files in place.")] = False) -> None:
    """Print plans in the canonical layout (comments kept; formatting twice changes nothing)."""
    changed = False
    for path in plans:
        source = _read(path)
        try:
            text = format_plan(parse(source))
        except PlanError as e:
            err.print(e.render(), markup=False)
            raise typer.Exit(EXIT_PLAN)
        if text != source.text:
            changed = True
            if check_:
                err.print(f"{path}: would be reformatted", markup=False)
        if write and text != source.text:
            path.write_text(text, encoding="utf-8")
        elif not check_ and not write:
            _out(text)
    raise typer.Exit(EXIT_PLAN if check_ and changed else EXIT_OK)


def _plan_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.plan")))
        else:
            files.append(path)
    return files


@app.command("test")
def test_(paths: Annotated[list[Path], typer.Argument(help="Plan files or directories (searched for *.plan).")],
          seed: Annotated[Optional[int], typer.Option(help="Seed for generated inputs (printed on every run).")] = None,
          max_examples: Annotated[int, typer.Option(help="Inputs tried per property.")] = 200,
          strict: Annotated[bool, typer.Option(help="Treat plan warnings as errors.")] = False) -> None:
    """Run the examples and properties that plans carry."""
    from incentives.plantest.runner import DEFAULT_EXAMPLES, new_seed, run_plan_tests  # hypothesis loads only for tests

    seed = new_seed() if seed is None else seed
    missing = [p for p in paths if not p.exists()]
    if missing:
        err.print(f"{missing[0]}: no such file or directory", markup=False)
        raise typer.Exit(EXIT_USAGE)
    files = _plan_files(paths)
    if not files:
        err.print("no plan files found", markup=False)
        raise typer.Exit(EXIT_USAGE)
    _out(f"seed {seed} (rerun with --seed {seed})\n")
    passed = failed = unchecked = 0
    for path in files:
        try:
            compiled = _compile(path, strict)
        except typer.Exit:
            unchecked += 1
            continue
        outcomes = run_plan_tests(compiled, seed, max_examples)
        for o in outcomes:
            if o.passed:
                passed += 1
                tried = f", {o.tried} {o.tried_what}" if o.kind == "property" else ""
                _out(f"  ok    {o.title}{tried}\n")
            else:
                failed += 1
                _out(f"  FAIL  {o.title}\n{o.message}\n")
        if not outcomes:
            _out(f"  none  {path}: the plan carries no examples or properties\n")
    plans = f", {unchecked} plan{'s' * (unchecked != 1)} did not check" if unchecked else ""
    _out(f"{passed} passed, {failed} failed{plans}\n")
    if failed or unchecked:
        options = (" --strict" if strict else "") + (f" --max-examples {max_examples}"
                                                      if max_examples != DEFAULT_EXAMPLES else "")
        _out(f"rerun: incentives test {' '.join(str(p) for p in paths)} --seed {seed}{options}\n")
    raise typer.Exit(EXIT_PLAN if failed or unchecked else EXIT_OK)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the breakdown (`run --explain --format json`)."""
    _out(json.dumps(json_schema(), indent=2) + "\n")


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
