"""Simulation benchmark: what a sweep and a Monte Carlo cost against one evaluation.

A report, not a test: nothing is asserted.  10,000 payees (by default) of the account-executive
plan, generated like `plans/data/account_executive.team.csv` (quotas 150,000 to 400,000, attainment
lognormal); then, in one process, timed with `time.perf_counter` (best of 3 for the single runs):

  (a) one evaluation: `plan.run_table(people)`;
  (b) a sweep of 100 scenarios: quota x 0.70 .. 1.69 (`quota*=0.7:1.69:0.01`), each a columnar run;
  (c) a sweep of 100 values of a plan parameter, where the plan declares one (`param`), else skipped;
  (d) a Monte Carlo of 1,000 draws (lognormal attainment fitted to the data), batched;
  (e) the whole `simulate()` with one scenario: baseline, scenario, winners and losers explained.

Ratios: (b) / (100 x (a)), (d) / (1,000 x (a)): what K scenarios cost against K evaluations.

    python benchmarks/bench_simulate.py [--payees N] [--draws N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from incentives import load_plan  # noqa: E402
from incentives.simulate.api import simulate  # noqa: E402
from incentives.simulate.scenario import parse_scenario  # noqa: E402
from incentives.simulate.sweep import parse_axis  # noqa: E402


def people(n: int, seed: int = 2026) -> pa.Table:
    rng = random.Random(seed)
    quotas = [Decimal(rng.choice(range(150_000, 400_001, 5_000))) for _ in range(n)]
    revenue = [(q * Decimal(str(round(rng.lognormvariate(-0.05, 0.35), 4)))).quantize(Decimal("0.01"))
               for q in quotas]
    return pa.table({"id": [f"AE-{i:06d}" for i in range(n)],
                     "revenue": pa.array(revenue, pa.decimal128(18, 2)),
                     "quota": pa.array(quotas, pa.decimal128(18, 2)),
                     "region": [("East", "West", "North", "South")[i % 4] for i in range(n)]})


def best(f, k: int = 3) -> float:
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--payees", type=int, default=10_000)
    ap.add_argument("--draws", type=int, default=1_000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    plan = load_plan(ROOT / "plans" / "account_executive.plan")
    table = people(args.payees)
    plan.run_table(table.slice(0, 100))
    one = best(lambda: plan.run_table(table))
    sim = simulate(plan, table, [], explain_top=0)
    t0 = time.perf_counter()
    sim.sweep([parse_axis("quota*=0.7:1.69:0.01")])
    sweep = time.perf_counter() - t0
    param = None
    params = getattr(plan, "params", None) or getattr(plan.ir, "params", None) or {}
    if params:
        name = next(iter(params))
        decl = params[name]
        lo, hi = (decl.range if getattr(decl, "range", None) else (decl.default / 2, decl.default * 2))
        step = ((Decimal(hi) - Decimal(lo)) / 100).quantize(Decimal("0.0001"), rounding="ROUND_DOWN")
        t0 = time.perf_counter()
        sim.sweep([parse_axis(f"{name}={lo}:{Decimal(lo) + step * 99}:{step}")])
        param = (name, time.perf_counter() - t0)
    t0 = time.perf_counter()
    mc = sim.monte_carlo(args.draws, 7, "lognormal")
    monte = time.perf_counter() - t0
    scenario = parse_scenario('name = "quota up 10%"\n[[change]]\ncolumn = "quota"\nmultiply = "1.1"\n')
    t0 = time.perf_counter()
    full = simulate(plan, table, [scenario])
    whole = time.perf_counter() - t0
    figures = {
        "payees": args.payees, "load": os.getloadavg(), "one_evaluation_s": one,
        "sweep_100_s": sweep, "sweep_ratio": sweep / (100 * one),
        "param_sweep": None if param is None else {"param": param[0], "s": param[1], "ratio": param[1] / (100 * one)},
        "monte_carlo_draws": args.draws, "monte_carlo_s": monte, "monte_carlo_ratio": monte / (args.draws * one),
        "monte_carlo_expected": str(mc.expected), "monte_carlo_p90": str(mc.percentile(90)),
        "simulate_one_scenario_s": whole, "changed": len(full.scenarios[0].changed),
    }
    print(f"simulation benchmark, {args.payees:,} payees, load average {figures['load'][0]:.2f}")
    print(f"  (a) one evaluation (run_table)          {one:8.4f} s  ({args.payees / one:,.0f} payees/s)")
    print(f"  (b) sweep of 100 quota multipliers      {sweep:8.3f} s  ratio to 100 x (a): {figures['sweep_ratio']:.2f}")
    if param is not None:
        print(f"  (c) sweep of 100 values of {param[0]:<12} {param[1]:8.3f} s  ratio to 100 x (a): "
              f"{figures['param_sweep']['ratio']:.2f}")
    else:
        print("  (c) no plan parameter declared: skipped")
    print(f"  (d) Monte Carlo, {args.draws:,} draws            {monte:8.3f} s  ratio to {args.draws:,} x (a): "
          f"{figures['monte_carlo_ratio']:.2f}  (expected {mc.expected:,.2f}, P90 {mc.percentile(90):,.2f})")
    print(f"  (e) simulate() with one scenario        {whole:8.3f} s  ({figures['changed']:,} payees changed, "
          f"the 40 biggest explained line by line)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
