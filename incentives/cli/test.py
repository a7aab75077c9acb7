"""`incentives test`: run the examples and properties that plans carry."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import EXIT_OK, EXIT_PLAN, EXIT_USAGE, check_plan_file, compile_plan, fail, out, shown


def plan_files(paths: list[Path]) -> list[Path]:
    """The files given, and the *.plan files under the directories given (symbolic links to
    directories are not followed, so a link loop cannot make the search endless)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = []
            for top, dirs, names in os.walk(path):
                found.extend(Path(top) / n for n in names if n.endswith(".plan"))
            files.extend(sorted(found))
        else:
            files.append(path)
    return files


def test_(paths: Annotated[list[Path], typer.Argument(help="Plan files or directories (searched for *.plan).")],
          seed: Annotated[Optional[int], typer.Option(help="Seed for generated inputs (printed on every run).")] = None,
          max_examples: Annotated[int, typer.Option(help="Inputs tried per property.")] = 200,
          strict: Annotated[bool, typer.Option(help="Treat plan warnings as errors.")] = False) -> None:
    """Run the examples and properties that plans carry."""
    from incentives.plantest.runner import DEFAULT_EXAMPLES, new_seed, run_plan_tests  # hypothesis loads only for tests

    seed = new_seed() if seed is None else seed
    for p in paths:
        if not p.is_dir():
            check_plan_file(p)  # missing, a FIFO, a device: exit 2 before anything runs
    files = plan_files(paths)
    if not files:
        fail("no plan files found")
    for p in files:
        check_plan_file(p)
    out(f"seed {seed} (rerun with --seed {seed})\n")
    passed = failed = unchecked = 0
    for path in files:
        try:
            compiled = compile_plan(path, strict)
        except typer.Exit as e:
            if e.exit_code == EXIT_USAGE:  # the file could not be read after all
                raise
            unchecked += 1
            continue
        outcomes = run_plan_tests(compiled, seed, max_examples)
        for o in outcomes:
            if o.passed:
                passed += 1
                tried = f", {o.tried} {o.tried_what}" if o.kind == "property" else ""
                out(shown(f"  ok    {o.title}{tried}") + "\n")
            else:
                failed += 1
                out(shown(f"  FAIL  {o.title}\n{o.message}", lines=True) + "\n")
        if not outcomes:
            out(shown(f"  none  {path}: the plan carries no examples or properties") + "\n")
    plans = f", {unchecked} plan{'s' * (unchecked != 1)} did not check" if unchecked else ""
    out(f"{passed} passed, {failed} failed{plans}\n")
    if failed or unchecked:
        options = (" --strict" if strict else "") + (f" --max-examples {max_examples}"
                                                      if max_examples != DEFAULT_EXAMPLES else "")
        out(shown(f"rerun: incentives test {' '.join(str(p) for p in paths)} --seed {seed}{options}") + "\n")
    raise typer.Exit(EXIT_PLAN if failed or unchecked else EXIT_OK)
