"""`incentives check`: parse, check and lint plans; every error with file, line and column."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from dsl import PlanError

from incentives.plan import compile_source
from .common import EXIT_OK, EXIT_PLAN, out, plan_errors, read_plan, say, shown


class CheckFormat(str, Enum):
    text = "text"
    json = "json"


def check(plans: Annotated[list[Path], typer.Argument(help="Plan files to check.")],
          strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
          format: Annotated[CheckFormat, typer.Option("--format", help="text or json")] = CheckFormat.text) -> None:
    """Parse and check plans; report every error with file, line and column."""
    failed = False
    report = []
    for path in plans:
        source = read_plan(path)
        try:
            plan = compile_source(source)
        except PlanError as e:
            failed = True
            report.append({"file": str(path), "ok": False, "diagnostics": [d.to_dict() for d in e.diagnostics]})
            if format == CheckFormat.text:
                plan_errors(e)
            continue
        warnings = plan.warnings
        failed |= strict and bool(warnings)
        report.append({"file": str(path), "ok": not (strict and warnings),
                       "diagnostics": [d.to_dict() for d in warnings]})
        if format == CheckFormat.text:
            for w in warnings:
                say(w.render(source), lines=True)
            p = plan.ir
            params = f"{len(p.params)} params, " if p.params else ""
            out(shown(f"ok  {path}: {p.name!r} ({p.currency}, {p.period}): {len(p.inputs)} inputs, {params}"
                      f"{len(p.components)} components, {len(p.awards)} awards") + "\n")
    if format == CheckFormat.json:
        out(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    raise typer.Exit(EXIT_PLAN if failed else EXIT_OK)
