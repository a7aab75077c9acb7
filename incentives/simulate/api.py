"""The Python API of simulation: `simulate(plan, people, scenarios)` runs the baseline and each
scenario and gives a `Simulation` with data frames (polars) for notebooks, sweeps, Monte Carlo and
the HTML report."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from incentives.engine import numbers
from incentives.errors import DataError, Problem

from . import metrics
from .montecarlo import MonteCarlo, fit, monte_carlo
from .outcome import Change, Outcome, changes, piloted, run
from .reasons import explain_changes
from .scenario import apply_changes, pilot_mask
from .sweep import Axis, sweep

ZERO = Decimal(0)


@dataclass
class Compared:
    """A scenario against the baseline: its run and every payee whose total changed."""

    outcome: Outcome
    changed: list[Change]
    figures: dict[str, Any]


@dataclass
class Simulation:
    plan: Any
    people: pa.Table
    baseline: Outcome
    scenarios: list[Compared]
    revenue: str | None
    quota: str | None
    data: dict = field(default_factory=dict)  # deals, splits, activities, period
    figures: dict[str, Any] = field(default_factory=dict)
    sweeps: list[dict] = field(default_factory=list)
    sweep_axes: list[Axis] = field(default_factory=list)
    mc: MonteCarlo | None = None

    # ---- data frames ----
    def payees(self):
        """One row per payee: the baseline's total and each scenario's, with the difference (polars)."""
        import polars as pl
        frame = pl.DataFrame({"payee": self.baseline.amounts.column("id").to_pylist(),
                              "baseline": self.baseline.totals()})
        for c in self.scenarios:
            frame = frame.with_columns(pl.Series(c.outcome.name, c.outcome.totals()))
            frame = frame.with_columns((pl.col(c.outcome.name) - pl.col("baseline")).alias(f"{c.outcome.name} change"))
        return frame

    def winners_losers(self, scenario: int = 0):
        import polars as pl
        c = self.scenarios[scenario]
        return pl.DataFrame({"payee": [x.payee for x in c.changed], "baseline": [x.before for x in c.changed],
                             "scenario": [x.after for x in c.changed], "difference": [x.difference for x in c.changed],
                             "reasons": ["; ".join(x.reasons) for x in c.changed]})

    def summary(self):
        import polars as pl
        rows = [self.figures] + [c.figures for c in self.scenarios]
        return pl.DataFrame({
            "scenario": [r["name"] for r in rows], "payees": [r["payees"] for r in rows],
            "total": [r["total"] for r in rows], "cost_of_sales": [r["cost_of_sales"] for r in rows],
            **{f"p{p}": [r["percentiles"][f"p{p}"] for r in rows] for p in metrics.PERCENTILES}})

    # ---- more runs ----
    def sweep(self, axes: list[Axis], progress=None) -> list[dict]:
        def cost(table: pa.Table, params: dict) -> Decimal:
            return run("sweep", self.plan, table, params, **self.data).total
        self.sweep_axes = axes
        self.sweeps = sweep(axes, cost, self.people, {}, self.plan.check_params if hasattr(self.plan, "check_params")
                            else (lambda p: p), progress)
        return self.sweeps

    def monte_carlo(self, draws: int = 1000, seed: int = 7, distribution: str = "lognormal",
                    budget: Decimal | None = None, progress=None) -> MonteCarlo:
        if not self.revenue or not self.quota or self.revenue not in self.people.column_names:
            raise DataError([Problem("Monte Carlo draws revenue as quota x attainment: the payees' table needs the "
                                     "revenue and quota columns (--revenue, --quota)", code="data", field="revenue")])
        dist = fit(distribution, self.figures.get("attainments") or [])
        batched = not self.plan.ir.needs_population

        def amounts(table: pa.Table) -> pa.Table:
            return run("draw", self.plan, table, None, **self.data).amounts
        info = self.plan.ir.inputs.get(self.revenue)
        limits = tuple(Decimal(x) for x in info.range) if info is not None and info.range is not None else None
        self.mc = monte_carlo(self.people, self.revenue, self.quota, dist, draws, seed, amounts, batched, budget,
                              progress, limits=limits)
        return self.mc

    # ---- the report ----
    def report_data(self) -> dict[str, Any]:
        digits = self.plan.ir.minor_units
        money = (lambda d: numbers.money(d, digits) if d is not None else "-")
        share = (lambda d: numbers.percent(d) if d is not None else "-")
        scen = []
        for f in [self.figures] + [c.figures for c in self.scenarios]:
            scen.append({"name": f["name"], "total": money(f["total"]), "total_value": float(f["total"]),
                         "by_component": {k: float(v) for k, v in f["by_component"].items()},
                         "cost_of_sales": share(f["cost_of_sales"]), "payees": f["payees"],
                         "payout_percentiles": {k: float(v) for k, v in f["percentiles"].items()},
                         "payouts": f["payouts"], "attainments": f["attainments"]})
        curve = None
        points = metrics.pay_curve(self.plan, self.people, self.revenue, self.quota, None)
        if points is not None:
            series = {"baseline": [float(x) for x in points[1]]}
            for c in self.scenarios:
                other = metrics.pay_curve(c.outcome.plan, self.people, self.revenue, self.quota, c.outcome.params)
                if other is not None:
                    series[c.outcome.name] = [float(x) for x in other[1]]
            curve = {"attainment": points[0], "series": series}
        wl = []
        if self.scenarios:
            for x in self.scenarios[0].changed:
                wl.append({"payee": x.payee, "baseline": money(x.before), "scenario": money(x.after),
                           "difference": ("+" if x.difference > 0 else "") + money(x.difference),
                           "difference_value": float(x.difference), "reasons": x.reasons})
        sweep_data = None
        if self.sweeps:
            names = [a.name for a in self.sweep_axes]
            if len(names) == 1:
                sweep_data = {"parameters": names, "x": [float(s[names[0]]) for s in self.sweeps], "y": None,
                              "cost": [float(s["cost"]) for s in self.sweeps], "x_label": names[0], "y_label": None}
            else:
                xs = [float(v) for v in self.sweep_axes[0].values]
                ys = [float(v) for v in self.sweep_axes[1].values]
                grid = np.zeros((len(ys), len(xs)))
                for s in self.sweeps:
                    grid[ys.index(float(s[names[1]])), xs.index(float(s[names[0]]))] = float(s["cost"])
                sweep_data = {"parameters": names, "x": xs, "y": ys, "cost": grid.tolist(), "x_label": names[0],
                              "y_label": names[1]}
        mc = None
        if self.mc is not None:
            m = self.mc
            chance = m.chance_over_budget
            mc = {"draws": m.draws, "costs": [float(c) for c in m.costs], "expected": money(m.expected),
                  "p50": money(m.percentile(50)), "p90": money(m.percentile(90)),
                  "budget": money(m.budget) if m.budget is not None else None,
                  "chance_over_budget": f"{chance:.1%}" if chance is not None else None, "seed": m.seed,
                  "distribution": m.distribution + (f"; {m.clipped} drawn revenues beyond the declared range "
                                                    f"were set to its end" if m.clipped else "")}
        title = (f"{self.scenarios[0].outcome.name}: {self.plan.source.name}" if self.scenarios
                 else f"{self.plan.source.name}")
        return {"title": title, "currency": self.plan.ir.currency, "scenarios": scen, "pay_curve": curve,
                "winners_losers": wl, "sweep": sweep_data, "monte_carlo": mc}

    def report(self, path: str | Path) -> Path:
        from .report_html import write_report
        path = Path(path)
        write_report(self.report_data(), path)
        return path


def _guess(plan, people: pa.Table, name: str | None, candidates: tuple[str, ...]) -> str | None:
    if name:
        return name
    return next((c for c in candidates if c in people.column_names), None)


def simulate(plan, people: pa.Table, scenarios: list | None = None, *, deals=None, splits=None, period=None,
             activities=None, revenue: str | None = None, quota: str | None = None, explain_top: int = 20,
             plan_loader=None) -> Simulation:
    """The baseline (the plan as it is, on the data as it is) and each checked scenario against it.

    scenarios: `CheckedScenario`s (or `Scenario`s, checked here against the plan and the table)."""
    data = {"deals": deals, "splits": splits, "period": period, "activities": activities}
    revenue = _guess(plan, people, revenue, ("revenue", "sales", "bookings"))
    quota = _guess(plan, people, quota, ("quota", "target"))
    baseline = run("baseline", plan, people, None, **data)
    sim = Simulation(plan, people, baseline, [], revenue, quota, data)
    sim.figures = metrics.figures(baseline, revenue, quota)
    for s in scenarios or []:
        checked = s.check(plan, people) if hasattr(s, "check") else s
        scen_plan = checked.plan if getattr(checked, "plan", None) is not None else plan
        table = apply_changes(people, checked.changes) if checked.changes else people
        try:
            outcome = run(checked.name, scen_plan, table, checked.params or None, **data)
        except DataError as e:  # the scenario's data changes took a value outside what the plan declares
            raise DataError([Problem(f"scenario `{checked.name}`: its data changes give values the plan refuses:",
                                     code="scenario"), *e.problems]) from None
        if checked.pilot:
            outcome = piloted(outcome, baseline, pilot_mask(people, checked.pilot))
        changed = changes(baseline, outcome)
        explain_changes(baseline, outcome, changed, explain_top, **data)
        sim.scenarios.append(Compared(outcome, changed, metrics.figures(outcome, revenue, quota)))
    return sim


