"""`incentives run --engine auto|row|columnar`: which evaluator pays a single run, with a progress bar.

auto takes the columnar evaluator wherever it applies (a CSV or Parquet file of payees, no column
mapping or activities, and breakdowns only for the payees asked for with
--payee) and the row evaluator elsewhere; columnar says on stderr why when it cannot be used.
Either way the columnar run's own fallbacks (lines it does not do, payees it could not decide
exactly) are said on stderr.  Breakdowns (--explain) always come from the row evaluator, built
for the payees asked for, and are checked against the columnar amounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dsl.types import T
from incentives.columnar.api import run_table
from incentives.columnar.files import read_table, results
from incentives.engine.compiled import CompiledPlan
from incentives.engine.result import PayeeResult
from incentives.errors import DataError
from incentives.sales.population import parse_period
from incentives.sales.records import Person

from .common import err, fail, say


class Engine(str, Enum):
    auto = "auto"
    row = "row"
    columnar = "columnar"


def why_not(compiled: CompiledPlan, data: Path, mapping: Path | None, activities: Path | None, trace: bool,
            payees: list[str] | None) -> str | None:
    """Why a run cannot take the columnar evaluator (None: it can)."""
    if mapping is not None:
        return "a column mapping is given"
    if activities is not None or compiled.ir.reads_activities:
        return "the plan reads activities"
    if trace and not payees:
        return "every payee's breakdown is asked for (--explain without --payee)"
    if data.suffix.lower() not in (".csv", ".parquet"):
        return f"{data.suffix or 'the file'} data (the columnar run reads .csv and .parquet)"
    return None


@contextmanager
def stages(total: int) -> Iterator:
    """A progress bar over a run's stages, on the terminal only; advance() moves it on."""
    if not err.is_terminal:
        yield lambda description: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("reading", total=total)
        yield lambda description: bar.update(task, advance=1, description=description)


def columnar(compiled: CompiledPlan, data: Path, deals: Path | None, splits: Path | None, period: str | None,
             strict: bool) -> list[PayeeResult] | None:
    """The run's results from the columnar evaluator, or None when its files need the data loaders
    (then the row evaluator reads them and names every problem)."""
    p = compiled.ir
    with stages(3) as advance:
        people = read_table(data, {**{k: v.type for k, v in p.givable.items()}})
        deal_table = read_table(deals, dict(p.deal_fields)) if deals is not None else None
        split_table = read_table(splits, {"share": T.PERCENT}) if splits is not None else None
        if people is None or (deals is not None and deal_table is None) or (splits is not None and split_table is None):
            if strict:
                say("the files hold values the columnar reader does not take as they are: the row evaluator "
                    "reads them")
            return None
        advance("evaluating")
        bounds = parse_period(period) if period is not None else p.effective
        try:
            result = run_table(compiled, people, deal_table, split_table, bounds)
        except DataError:  # the data loaders read the files again and name the problem in their words
            return None
        advance("writing")
        for notice in result.notices():
            say(notice)
        return results(p, result.table)



def check_agrees(fast: dict[str, PayeeResult], traced: list[PayeeResult]) -> None:
    """The breakdowns' amounts must be the columnar run's (or it is a bug, said as such)."""
    for r in traced:
        f = fast.get(r.payee)
        if f is None:
            continue
        mine = {c.name: c.amount for c in f.components}
        if r.total != f.total or any(mine.get(c.name) != c.amount for c in r.components):
            fail(f"internal error: payee {r.payee}: the breakdown ({r.total}) and the columnar run ({f.total}) "
                 f"disagree; please report it, with the plan and this payee's row (run with --engine row meanwhile)")


def evaluate_with(row: Callable, engine: Engine, compiled: CompiledPlan, data: Path, deals: Path | None,
                  splits: Path | None, mapping: Path | None, period: str | None, trace: bool,
                  activities: Path | None, payees: list[str] | None) -> tuple[list, dict[str, Person]]:
    """One plan's results by the engine asked for: the columnar amounts, with breakdowns (when asked)
    from the row evaluator for the payees asked for, checked against them.  row: the row evaluator's
    run of the same arguments (`incentives.cli.run._evaluate`)."""
    why = why_not(compiled, data, mapping, activities, trace, payees) if engine != Engine.row else "row"
    if why is not None:
        if engine == Engine.columnar:
            say(f"{compiled.source.name}: the row evaluator pays this run: {why}")
        return row(compiled, data, deals, splits, mapping, period, trace, activities)
    fast = columnar(compiled, data, deals, splits, period, engine == Engine.columnar)
    if fast is None:
        return row(compiled, data, deals, splits, mapping, period, trace, activities)
    if not trace:
        return fast, {}
    traced, people = row(compiled, data, deals, splits, mapping, period, True, activities)
    asked = set(payees or ())
    traced = [r for r in traced if r.payee in asked]
    check_agrees({r.payee: r for r in fast}, traced)
    by_id = {r.payee: r for r in traced}
    return [by_id.get(r.payee, r) for r in fast], people
