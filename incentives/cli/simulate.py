"""`incentives simulate`: a plan against scenarios on the real data (cost, distributions, winners and
losers with their reasons), sweeps and Monte Carlo, with an HTML report and CSV/Parquet tables;
`incentives diff`: what changed for each payee between two saved runs (breakdowns as JSON)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from dsl.types import T
from incentives.errors import IncentivesError

from .common import (
    EXIT_DATA,
    compile_plan,
    err,
    fail,
    out,
    reported,
    say,
    write_output,
)


def _progress(total: int, what: str):
    if not err.is_terminal or total < 2:
        return None, None
    bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                   transient=True)
    return bar, bar.add_task(what, total=total)


def simulate(plan: Annotated[Path, typer.Argument(help="The plan file (the baseline).")],
             data: Annotated[Path, typer.Option("--data", "-d", "--people", help="Payees: .csv or .parquet.")],
             scenario: Annotated[list[Path] | None, typer.Option(
                 help="A scenario file (TOML: params, data changes, another plan, a pilot group); repeatable.")] = None,
             set_: Annotated[list[str] | None, typer.Option(
                 "--set", help="A quick scenario: NAME=VALUE for a plan parameter (repeatable).")] = None,
             deals: Annotated[Path | None, typer.Option(help="Deals: .csv or .parquet.")] = None,
             splits: Annotated[Path | None, typer.Option(help="Split and overlay rows.")] = None,
             period: Annotated[str | None, typer.Option(help="The period: 2026-Q1, 2026-03, ...")] = None,
             sweep: Annotated[list[str] | None, typer.Option(
                 help="A sweep axis: top_rate=15%:25%:1% or quota*=0.9:1.2:0.1 (one or two).")] = None,
             draws: Annotated[int, typer.Option(help="Monte Carlo draws (0: none).")] = 0,
             seed: Annotated[int, typer.Option(help="Monte Carlo seed.")] = 7,
             distribution: Annotated[str, typer.Option(
                 help="Attainment for Monte Carlo: lognormal, beta or bootstrap (fitted to the data), or "
                      "lognormal:MU,SIGMA.")] = "lognormal",
             budget: Annotated[str | None, typer.Option(help="A budget: the chance of going over it.")] = None,
             revenue: Annotated[str | None, typer.Option(help="The revenue column (cost of sales).")] = None,
             quota: Annotated[str | None, typer.Option(help="The quota column (attainment).")] = None,
             out_dir: Annotated[Path | None, typer.Option(
                 "--out", help="Write report.html and every table (CSV and Parquet) here.")] = None,
             top: Annotated[int, typer.Option(help="Winners and losers explained line by line.")] = 20,
             ) -> None:
    """What if: the plan as it is against each scenario, on the same payees."""
    from incentives.columnar.files import read_table
    from incentives.simulate.api import simulate as run_simulation
    from incentives.simulate.scenario import load_scenario, quick_scenario
    from incentives.simulate.sweep import parse_axis
    compiled = compile_plan(plan, False)
    types = {k: v.type for k, v in compiled.ir.givable.items()}
    with reported(lambda: compiled):
        people = read_table(data, types)
        if people is None:
            fail(f"{data}: the simulation reads .csv and .parquet payees whose values the columnar reader takes "
                 f"(check them with `incentives run`)", EXIT_DATA)
        extra = {"deals": read_table(deals, dict(compiled.ir.deal_fields)) if deals else None,
                 "splits": read_table(splits, {"share": types.get("share") or T.PERCENT}) if splits else None}
        scenarios = [load_scenario(p) for p in scenario or []]
        if set_:
            scenarios.append(quick_scenario(set_))
        bud = _decimal(budget, "--budget") if budget is not None else None
        sim = run_simulation(compiled, people, scenarios, deals=extra["deals"], splits=extra["splits"],
                             period=period, revenue=revenue, quota=quota, explain_top=top)
        if sweep:
            axes = [parse_axis(a) for a in sweep]
            count = 1
            for a in axes:
                count *= len(a.values)
            bar, task = _progress(count, "sweep")
            if bar:
                with bar:
                    sim.sweep(axes, progress=lambda: bar.update(task, advance=1))
            else:
                sim.sweep(axes)
        if draws:
            bar, task = _progress(draws, "Monte Carlo")
            if bar:
                with bar:
                    sim.monte_carlo(draws, seed, distribution, bud, progress=lambda k: bar.update(task, advance=k))
            else:
                sim.monte_carlo(draws, seed, distribution, bud)
    out(_text(sim))
    if out_dir is not None:
        _write(sim, out_dir)



def _decimal(text: str, what: str) -> Decimal:
    try:
        return Decimal(text.replace("_", "").replace(",", ""))
    except InvalidOperation:
        fail(f"{what} {text}: expected a number such as 1500000", EXIT_DATA)


def _text(sim) -> str:
    from incentives.engine import numbers
    d = sim.plan.ir.minor_units
    cur = sim.plan.ir.currency
    lines = [f"{sim.plan.source.name}: {sim.figures['payees']} payees"]
    base = sim.figures["total"]
    for f in [sim.figures] + [c.figures for c in sim.scenarios]:
        change = f["total"] - base
        cos = f" | cost of sales {numbers.percent(f['cost_of_sales'])}" if f["cost_of_sales"] is not None else ""
        pct = f" ({numbers.percent(change / base)})" if base and f is not sim.figures else ""
        lines.append(f"  {f['name']:<28} {numbers.money(f['total'], d):>18} {cur}"
                     + (f"  change {'+' if change > 0 else ''}{numbers.money(change, d)}{pct}" if f is not sim.figures
                        else "") + cos)
        comps = ", ".join(f"{k} {numbers.money(v, d)}" for k, v in f["by_component"].items())
        if f["awards_cash"]:
            comps += f"; awards (cash equivalent) {numbers.money(f['awards_cash'], d)}"
        lines.append(f"      {comps}; P50 {numbers.money(f['percentiles']['p50'], d)}, "
                     f"P90 {numbers.money(f['percentiles']['p90'], d)}")
        for notice in f["notices"]:
            lines.append(f"      note: {notice}")
    for c in sim.scenarios:
        gains = [x for x in c.changed if x.difference > 0]
        losses = [x for x in c.changed if x.difference < 0]
        lines.append(f"\n{c.outcome.name}: {len(gains)} payees gain, {len(losses)} lose, "
                     f"{c.figures['payees'] - len(c.changed)} unchanged")
        for x in (gains[:5] + losses[-5:][::-1]):
            lines.append(f"  {x.payee}: {numbers.money(x.before, d)} -> {numbers.money(x.after, d)} "
                         f"({'+' if x.difference > 0 else ''}{numbers.money(x.difference, d)})")
            lines.extend(f"      {r}" for r in x.reasons)
    if sim.sweeps:
        lines.append("\nsweep: " + " x ".join(a.name for a in sim.sweep_axes))
        for s in sim.sweeps:
            point = ", ".join(f"{a.name}={numbers.number(s[a.name])}" for a in sim.sweep_axes)
            lines.append(f"  {point}: {numbers.money(s['cost'], d)}")
    if sim.mc is not None:
        m = sim.mc
        lines.append(f"\nMonte Carlo: {m.draws} draws, seed {m.seed}, attainment {m.distribution}")
        lines.append(f"  expected {numbers.money(m.expected, d)}, P50 {numbers.money(m.percentile(50), d)}, "
                     f"P90 {numbers.money(m.percentile(90), d)}"
                     + (f", over budget {numbers.money(m.budget, d)} in {m.chance_over_budget:.1%} of draws"
                        if m.budget is not None else ""))
    return "\n".join(lines) + "\n"


def _write(sim, folder: Path) -> None:
    """report.html, and each table as CSV and Parquet."""
    import polars as pl
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"summary": sim.summary(), "payees": sim.payees()}
    if sim.scenarios:
        tables["winners_losers"] = sim.winners_losers()
    if sim.sweeps:
        tables["sweep"] = pl.DataFrame([{k: str(v) for k, v in s.items()} for s in sim.sweeps])
    if sim.mc is not None:
        tables["monte_carlo"] = pl.DataFrame({"draw": list(range(1, sim.mc.draws + 1)),
                                             "cost": [str(c) for c in sim.mc.costs]})
    for name, frame in tables.items():
        frame = frame.with_columns([pl.col(c).cast(pl.String) for c, t in frame.schema.items()
                                    if t == pl.Object])
        frame.write_csv(folder / f"{name}.csv")
        frame.write_parquet(folder / f"{name}.parquet")
    sim.report(folder / "report.html")
    say(f"wrote {folder / 'report.html'} and {', '.join(f'{n}.csv' for n in tables)} (and .parquet)")


def diff(first: Annotated[Path, typer.Argument(help="A saved run: `incentives run --explain --format json`.")],
         second: Annotated[Path, typer.Argument(help="Another saved run of the same payees.")],
         payee: Annotated[list[str] | None, typer.Option("--payee", "-p", help="Only this payee.")] = None,
         format: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
         output: Annotated[Path | None, typer.Option("--output", "-o")] = None) -> None:
    """What changed for each payee between two saved runs (or two periods), line by line."""
    from incentives.simulate.diff import diff_runs
    runs = []
    for path in (first, second):
        try:
            text = path.read_text(encoding="utf-8")
            loaded = json.loads(text)
        except OSError as e:
            fail(f"{path}: cannot read the run: {e.strerror or e}")
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            fail(f"{path}: not a saved run (breakdowns as JSON): {e}", EXIT_DATA)
        if isinstance(loaded, dict) and "statements" in loaded:
            loaded = [b for s in loaded["statements"] for b in s.get("breakdowns", [])]
        if not isinstance(loaded, list) or not all(isinstance(b, dict) and "payee" in b and "total" in b
                                                   for b in loaded):
            fail(f"{path}: not a saved run: expected the JSON of `incentives run --explain --format json`", EXIT_DATA)
        runs.append(loaded)
    try:
        found = diff_runs(*runs)
    except (KeyError, InvalidOperation, IncentivesError) as e:
        fail(f"{first}, {second}: the breakdowns cannot be compared ({e})", EXIT_DATA)
    if payee:
        found = [d for d in found if d.payee in set(payee)]
    if format == "json":
        text = json.dumps([{"payee": d.payee, "before": str(d.before) if d.before is not None else None,
                            "after": str(d.after) if d.after is not None else None,
                            "difference": str(d.difference), "reasons": d.reasons} for d in found], indent=2) + "\n"
    else:
        lines = [f"{len(found)} payees changed"]
        for d in found:
            lines.append(f"{d.payee}: {d.before if d.before is not None else '-'} -> "
                         f"{d.after if d.after is not None else '-'} ({'+' if d.difference > 0 else ''}{d.difference})")
            lines.extend(f"    {r}" for r in d.reasons)
        text = "\n".join(lines) + "\n"
    if output is not None:
        write_output(output, text)
    else:
        out(text)
