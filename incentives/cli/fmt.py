"""`incentives fmt`: plans in the canonical layout (comments kept)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsl import PlanError
from dsl.fmt import format_plan
from dsl.parse import parse

from .common import EXIT_OK, EXIT_PLAN, out, plan_errors, read_plan, say, write_output


def fmt(plans: Annotated[list[Path], typer.Argument(help="Plan files to format.")],
        check_: Annotated[bool, typer.Option("--check", help="Only report files that would change (exit 1).")] = False,
        write: Annotated[bool, typer.Option("--write", "-w", help="Rewrite the files in place.")] = False) -> None:
    """Print plans in the canonical layout (comments kept; formatting twice changes nothing)."""
    changed = False
    for path in plans:
        source = read_plan(path)
        try:
            text = format_plan(parse(source))
        except PlanError as e:
            plan_errors(e)
            raise typer.Exit(EXIT_PLAN)
        if text != source.text:
            changed = True
            if check_:
                say(f"{path}: would be reformatted")
        if write and text != source.text:
            write_output(path, text, "the plan")  # whole or not at all
        elif not check_ and not write:
            out(text)  # the plan itself, as data: printed as it is
    raise typer.Exit(EXIT_PLAN if check_ and changed else EXIT_OK)
