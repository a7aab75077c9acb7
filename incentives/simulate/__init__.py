"""What-if simulation for plan design: scenarios, comparisons, sweeps, Monte Carlo and reports.

Owns:
- `scenario`: the TOML format of a "what if" (params, exact data changes, another plan, a pilot
  group), its loader and located checks;
- `outcome`: running the plan as it is and under a scenario over the same payees (the columnar
  evaluator, with the row evaluator behind it), pilots, and who changed;
- `diff` and `reasons`: line-by-line reasons behind a payee's change (a diff of two breakdowns,
  also `incentives diff` on two saved runs);
- `metrics`: cost, cost of sales, distributions, pay mix, the pay curve;
- `sweep` and `montecarlo`: grids of parameters or data multipliers, seeded Monte Carlo;
- `report_html`: the offline HTML report (plotly); `api`: `simulate(...)` and `Simulation`.
"""

from .api import Simulation, simulate
from .scenario import (
           CheckedScenario,
           Scenario,
           ScenarioError,
           load_scenario,
           parse_scenario,
)

__all__ = ["CheckedScenario", "Scenario", "ScenarioError", "Simulation", "load_scenario", "parse_scenario",
           "simulate"]
