"""`python -m tests.fuzz --mutants 50000 --seed N`: the long fuzz run (see tests/fuzz/__init__.py)."""

from __future__ import annotations

import argparse
import sys

from .harness import BUDGET, run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    ap.add_argument("--mutants", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=float, default=BUDGET, help="seconds per mutant (default %(default)s)")
    ap.add_argument("--evaluate-every", type=int, default=1,
                    help="run the plan's examples on every Nth mutant that compiles (default every one)")
    ap.add_argument("--max-examples", type=int, default=5, help="hypothesis examples per property")
    ap.add_argument("--no-shrink", action="store_true", help="print crashing mutants as they are")
    ap.add_argument("--show", type=int, default=2000, help="characters of each crashing mutant to print")
    ap.add_argument("--progress", type=int, default=1000, help="report progress every N mutants (0: never)")
    args = ap.parse_args(argv)
    report = run(args.mutants, args.seed, budget_seconds=args.budget, evaluate_every=args.evaluate_every,
                 max_examples=args.max_examples, progress=args.progress or None,
                 shrink_crashes=not args.no_shrink)
    print(report.text(args.show))
    return 1 if report.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
