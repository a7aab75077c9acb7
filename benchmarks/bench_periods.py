#!/usr/bin/env python
"""Benchmark report for paying a population month by month through the ledger (a report, not a test).

    python benchmarks/bench_periods.py                 # 2,000 payees x 12 months
    python benchmarks/bench_periods.py --people 500 --months 6

The plan is plans/recoverable_draw.plan (5% of the month's bookings against a recoverable draw of
2,000 a month).  Each payee's bookings for each month come from a dated table generated from
--seed.  Three passes:

  (a) the engine alone: the plan's population run for each month (no ledger, no settlement), the
      baseline the others are read against;
  (b) run_periods with a ledger in memory (SQLite);
  (c) run_periods with a ledger file (SQLite on disk).

Each figure is the best of --repeat runs; the ratios of (b) and (c) to (a) are printed.  Nothing is
asserted: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from incentives import load_plan
from incentives.engine.calendar import parse_periods
from incentives.sales.population import Population
from incentives.sales.records import Person, Sales
from incentives.time.data import DatedValue
from incentives.time.ledger import Ledger
from incentives.time.prepare import PeriodData, prepare
from incentives.time.runner import run_periods

ROOT = Path(__file__).resolve().parent.parent


def data(people: int, periods, seed: int) -> PeriodData:
    rng = random.Random(seed)
    folks = {f"P{i:05d}": Person(f"P{i:05d}", "", "", {}, "generated") for i in range(people)}
    dated = {}
    for pid in folks:
        for p in periods:
            value = Decimal(rng.randrange(0, 9_000_000)) / 100
            dated[(pid, "bookings")] = dated.get((pid, "bookings"), []) + [DatedValue(pid, "bookings", value, p.start,
                                                                                      p.end, p.label)]
    return PeriodData(Sales(folks, []), None, dated)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2027)
    args = ap.parse_args()
    plan = load_plan(ROOT / "plans" / "recoverable_draw.plan")
    periods = parse_periods(f"2027-01..2027-{args.months:02d}")
    d = data(args.people, periods, args.seed)

    def engine():
        for p in periods:
            pp = prepare(plan, d, p)
            Population(plan, pp.sales, pp.range, pp.days, pp.payees).run(trace=True)

    def memory():
        run_periods([plan], d, periods)

    def on_disk():
        with tempfile.TemporaryDirectory() as tmp:
            with Ledger(Path(tmp) / "pay.db") as ledger:
                run_periods([plan], d, periods, ledger)

    n = args.people * args.months
    base = best(engine, args.repeat)
    print(f"{args.people:,} payees x {args.months} months = {n:,} payee-months")
    print(f"(a) engine alone        {base:8.2f} s  {base / n * 1e6:8.0f} us per payee-month")
    for label, fn in (("(b) ledger in memory   ", memory), ("(c) ledger file        ", on_disk)):
        t = best(fn, args.repeat)
        print(f"{label}{t:8.2f} s  {t / n * 1e6:8.0f} us per payee-month  {t / base:5.1f}x the engine")


if __name__ == "__main__":
    main()
