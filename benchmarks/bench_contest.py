"""Contests and pools among everyone: time against population size.

    python benchmarks/bench_contest.py                 # 16,000 and 64,000 people
    python benchmarks/bench_contest.py --people 1000000

Each person has a revenue measure over one deal; the plan ranks everyone (a contest among all with
five prizes, ties split) and shares a pool among all by revenue.  The figures are whole population
runs (crediting, the measure, the contest, the pool, every payee paid), best of --repeat, with the
time per person, so growth that is worse than n log n shows as a rising time per person.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from incentives import compile_text  # noqa: E402
from incentives.sales.records import Person, Sales, new_deal  # noqa: E402

PLAN = '''plan "Contest among all" { currency USD period quarter effective 2026-01-01 to 2026-03-31 }
measure revenue = sum amount of deals where status == "won"
contest top "Top seller" { rank by revenue  among all  ties split  prizes 5_000 USD, 3_000 USD, 2_000 USD, 1_000 USD, 500 USD }
component contest_prize { pay prize(top) }
component pool { pool 100_000 USD among all by revenue }
'''


def population(n: int, seed: int) -> Sales:
    rng = random.Random(seed)
    people = [Person(f"P{i:07d}", "", "", {}, f"row {i + 2}") for i in range(n)]
    deals = [new_deal({"id": f"D{i:07d}", "owner": p.id, "amount": Decimal(rng.randrange(0, 10_000_000)) / 100,
                       "date": dt.date(2026, 2, 1), "currency": "USD"}, f"row {i + 2}")
             for i, p in enumerate(people)]
    return Sales({p.id: p for p in people}, deals)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, nargs="*", default=[16_000, 64_000])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20261202)
    args = ap.parse_args()
    plan = compile_text(PLAN, "contest.plan")
    print("people       seconds   us/person   total paid")
    for n in args.people:
        sales = population(n, args.seed)
        best = None
        for _ in range(args.repeat):
            start = time.perf_counter()
            run = plan.run_population(people=sales, period="2026-Q1")
            took = time.perf_counter() - start
            best = took if best is None else min(best, took)
        print(f"{n:>9,}  {best:>9.2f}  {best / n * 1e6:>10.1f}   {run.total:,.2f}")


if __name__ == "__main__":
    main()
