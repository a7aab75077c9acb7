#!/usr/bin/env python
"""Benchmark report for the exact payout engine (a report, not a test).

    python benchmarks/bench_engine.py            # 100,000 payees (about 2-3 minutes on 2 cores)
    python benchmarks/bench_engine.py --quick    # 10,000 payees
    python benchmarks/bench_engine.py --payees 20000 --json figures.json

What it measures, on benchmarks/reference.plan (four marginal bands on
revenue at 0/50/100/150% of quota, then a cap) and payees generated
deterministically from --seed:

  (a) evaluation only: evaluator.run_many(rows, trace=False)
  (b) run_many(rows, trace=True) plus explain(plan, result) for every payee
  (c) (b) plus render_json(breakdown) for every payee
  (d) a hand-written plain-Python Decimal function with the same bands, cap
      and rounding (ROUND_HALF_UP to cents at every line): the baseline; its
      totals are compared with the engine's for every payee
  peak memory of (a) and (b) with tracemalloc, on separate passes
  compile time (load_plan) and parse-only time for every plans/*.plan

Timings use time.perf_counter; cheap passes take the best of --repeat runs.
The garbage collector stays enabled (as in production) and is run before each
pass; the time spent in it during each timed pass is reported too.  Nothing
is asserted: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dsl.check import check  # noqa: E402
from dsl.parse import parse, parser  # noqa: E402
from dsl.source import Source  # noqa: E402
from incentives import load_plan  # noqa: E402
from incentives.engine.lower import lower  # noqa: E402
from incentives.engine.evaluate import Evaluator  # noqa: E402
from incentives.explain.build import explain  # noqa: E402
from incentives.explain.render import render_json  # noqa: E402

REFERENCE = Path(__file__).resolve().parent / "reference.plan"
PLANS = ROOT / "plans"
MB = 1024 * 1024

# ---- the hand-written baseline: must match benchmarks/reference.plan ----------
CENT = Decimal("0.01")
ZERO = Decimal(0)
HALF, ONE, ONE_AND_HALF = Decimal("0.5"), Decimal(1), Decimal("1.5")
R1, R2, R3, R4 = Decimal("0.02"), Decimal("0.06"), Decimal("0.10"), Decimal("0.14")
CAP = Decimal("40000")
BASELINE_CONTEXT = Context(prec=34)  # the engine's context (IEEE decimal128 precision)


def baseline_commission(revenue: Decimal, quota: Decimal) -> Decimal:
    """Marginal 2% / 6% / 10% / 14% at 0 / 50% / 100% / 150% of quota, capped at 40,000.

    Rounding as the plan says (`half_up at line`): each band's amount is rounded
    to cents, the cap result is rounded, and so are the component and the total
    (rounding an amount already in cents changes nothing, so those are skipped).
    """
    b1, b2, b3 = quota * HALF, quota * ONE, quota * ONE_AND_HALF
    if revenue <= ZERO:
        return ZERO.quantize(CENT)
    amount = ((revenue if revenue < b1 else b1) * R1).quantize(CENT, ROUND_HALF_UP)
    if revenue > b1:
        amount += (((revenue if revenue < b2 else b2) - b1) * R2).quantize(CENT, ROUND_HALF_UP)
        if revenue > b2:
            amount += (((revenue if revenue < b3 else b3) - b2) * R3).quantize(CENT, ROUND_HALF_UP)
            if revenue > b3:
                amount += ((revenue - b3) * R4).quantize(CENT, ROUND_HALF_UP)
    if amount > CAP:
        amount = CAP
    return amount.quantize(CENT, ROUND_HALF_UP)


def baseline_many(rows):
    with localcontext(BASELINE_CONTEXT):
        return [baseline_commission(v["revenue"], v["quota"]) for _, v in rows]


# ---- payees -----------------------------------------------------------------
def make_payees(n: int, seed: int) -> list[tuple[str, dict[str, Decimal]]]:
    """Deterministic payees: quota 20,000-400,000, revenue 0-220% of quota, all in cents.

    About 2% have no revenue and about 4% sit exactly on a band boundary
    (50%, 100% or 150% of quota), so the edges of the bands are exercised.
    """
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.04:  # exactly on a boundary: an even number of cents keeps 50%/150% exact
            quota_cents = 2 * rng.randint(1_000_000, 20_000_000)
            revenue_cents = quota_cents * rng.choice((1, 2, 3)) // 2
        else:
            quota_cents = rng.randint(2_000_000, 40_000_000)
            revenue_cents = 0 if kind < 0.06 else rng.randint(0, quota_cents * 22 // 10)
        rows.append((f"P{i:06d}", {"revenue": Decimal(revenue_cents).scaleb(-2),
                                   "quota": Decimal(quota_cents).scaleb(-2)}))
    return rows


# ---- measuring --------------------------------------------------------------
class GcClock:
    """Wall time spent in the cyclic garbage collector while installed (through gc.callbacks)."""

    def __init__(self):
        self.seconds, self._start = 0.0, 0.0

    def __call__(self, phase, info):
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


GC_SECONDS: dict[str, float] = {}  # pass -> seconds in the collector during its best run


def timed(fn, repeat: int, name: str = ""):
    """Best wall time of `repeat` runs of fn() (after a gc.collect each), and the last result; the
    collector's share of the best run is noted in GC_SECONDS[name]."""
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        with GcClock() as clock:
            t = time.perf_counter()
            result = fn()
            took = time.perf_counter() - t
        if took < best:
            best, GC_SECONDS[name] = took, clock.seconds
    return best, result


def peak_mb(fn) -> tuple[float, float]:
    """Peak and still-held traced memory (MB) while running fn(); its result is held until measured."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak / MB, current / MB


def explain_all(plan, rows):
    """(b): traced evaluation for every payee, then each breakdown built (and not kept)."""
    results = plan.evaluator.run_many(rows, trace=True)
    for r in results:
        explain(plan, r)
    return results


def explain_render_all(plan, rows):
    """(c): (b) plus the JSON of every breakdown (its size is summed, the text not kept)."""
    results = plan.evaluator.run_many(rows, trace=True)
    size = 0
    for r in results:
        size += len(render_json(explain(plan, r)))
    return size


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def compile_times(paths, runs: int) -> list[dict]:
    out = []
    for path in paths:
        entry = {"plan": _rel(path)}
        try:
            load_plan(path)  # warm-up (and the error, if any)
            loads, parses, rests = [], [], []
            for _ in range(runs):  # interleaved, so drift in the machine hits both alike
                t0 = time.perf_counter()
                load_plan(path)
                t1 = time.perf_counter()
                tree = parse(Source.from_path(path))  # the same read + parse as load_plan
                t2 = time.perf_counter()
                lowered = lower(check(tree))
                Evaluator(lowered)
                t3 = time.perf_counter()
                loads.append(t1 - t0)
                parses.append(t2 - t1)
                rests.append(t3 - t2)
            entry["compile_ms"] = statistics.median(loads) * 1000
            entry["parse_ms"] = statistics.median(parses) * 1000
            entry["check_lower_compile_ms"] = statistics.median(rests) * 1000
            entry["lines"] = len(path.read_text(encoding="utf-8-sig").splitlines())
        except Exception as err:  # a plan being edited by someone else: report and go on
            diags = getattr(err, "diagnostics", None)
            if diags:
                first = diags[0]
                entry["error"] = (f"{type(err).__name__}, {len(diags)} diagnostic(s); first: "
                                  f"line {first.span.line} [{first.code}] {first.message}")
            else:
                entry["error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        out.append(entry)
    return out


# ---- the report -------------------------------------------------------------
def fmt_rate(x: float) -> str:
    return f"{x:>12,.0f} payees/s"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--payees", type=int, default=100_000, help="number of payees (default 100000)")
    ap.add_argument("--quick", action="store_true", help="10,000 payees")
    ap.add_argument("--seed", type=int, default=20261122, help="random seed for the payees")
    ap.add_argument("--repeat", type=int, default=3, help="best-of-N for the cheap passes (a) and (d)")
    ap.add_argument("--compile-runs", type=int, default=20, help="runs per plan for the compile medians")
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc passes")
    ap.add_argument("--json", metavar="PATH", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    n = 10_000 if args.quick else args.payees
    if n < 1 or args.repeat < 1 or args.compile_runs < 1:
        ap.error("--payees, --repeat and --compile-runs must be at least 1")
    started = time.perf_counter()

    fig: dict = {
        "date": dt.date.today().isoformat(),
        "machine": {"python": platform.python_version(), "implementation": platform.python_implementation(),
                    "platform": platform.platform(), "cpus": os.cpu_count()},
        "payees": n, "seed": args.seed, "repeat": args.repeat, "compile_runs": args.compile_runs,
        "plan": _rel(REFERENCE),
    }
    try:
        import lark
        import pydantic
        fig["machine"]["lark"], fig["machine"]["pydantic"] = lark.__version__, pydantic.VERSION
    except Exception:  # pragma: no cover - versions are only informative
        pass

    # Compile times first, while the heap is small: with 100,000 payees alive the
    # collector's full passes would land inside these few-millisecond timings.
    parser.cache_clear()
    t = time.perf_counter()
    parser()
    fig["parser_build_ms"] = (time.perf_counter() - t) * 1000
    fig["compile"] = compile_times(sorted(PLANS.glob("*.plan")) + [REFERENCE], args.compile_runs)

    plan = load_plan(REFERENCE)
    t = time.perf_counter()
    rows = make_payees(n, args.seed)
    fig["generate_s"] = time.perf_counter() - t

    # Warm-up: first calls build caches (the Lark parser is already built; pydantic validators are not).
    for _, v in rows[:200]:
        render_json(explain(plan, plan.run(v, "warm", trace=True)))
    baseline_many(rows[:200])

    # (a) evaluation only
    ta, results = timed(lambda: plan.evaluator.run_many(rows, trace=False), args.repeat, "a")
    # (d) baseline, and the exact comparison of totals
    td, base_totals = timed(lambda: baseline_many(rows), args.repeat, "d")
    mismatches = [(p, r.total, b) for (p, _), r, b in zip(rows, results, base_totals)
                  if r.total != b or str(r.total) != str(b)]
    engine_sum = sum((r.total for r in results), Decimal(0))
    capped = sum(1 for b in base_totals if b == CAP)
    bands_reached = [0, 0, 0, 0, 0]
    for _, v in rows:
        rev, q = v["revenue"], v["quota"]
        bands_reached[0 if rev <= 0 else 1 if rev <= q * HALF else 2 if rev <= q else 3 if rev <= q * ONE_AND_HALF
                      else 4] += 1
    del results, base_totals
    # (b) and (c): one pass each (they are the expensive ones)
    tb, traced = timed(lambda: explain_all(plan, rows), 1, "b")
    del traced
    tc, json_bytes = timed(lambda: explain_render_all(plan, rows), 1, "c")

    fig["throughput"] = {
        "a_evaluate": n / ta, "b_trace_explain": n / tb, "c_trace_explain_json": n / tc, "d_baseline": n / td,
    }
    fig["seconds"] = {"a": ta, "b": tb, "c": tc, "d": td}
    fig["gc_seconds"] = dict(GC_SECONDS)
    fig["us_per_payee"] = {k: s / n * 1e6 for k, s in fig["seconds"].items()}
    fig["ratios"] = {"a_over_baseline": (n / ta) / (n / td), "b_over_a": (n / tb) / (n / ta),
                     "c_over_a": (n / tc) / (n / ta)}
    fig["check"] = {"mismatches": len(mismatches), "examples": [list(map(str, m)) for m in mismatches[:5]],
                    "sum_of_totals": str(engine_sum), "capped": capped,
                    "highest_band": {"none (no revenue)": bands_reached[0], "1": bands_reached[1],
                                     "2": bands_reached[2], "3": bands_reached[3], "4": bands_reached[4]}}
    fig["json_bytes_per_payee"] = json_bytes / n

    # Memory, on separate passes (tracemalloc slows the code it watches).
    if not args.no_memory:
        a_peak, a_held = peak_mb(lambda: plan.evaluator.run_many(rows, trace=False))
        b_peak, b_held = peak_mb(lambda: explain_all(plan, rows))
        traced = plan.evaluator.run_many(rows[: min(1000, n)], trace=True)
        _, kept_held = peak_mb(lambda: [explain(plan, r) for r in traced])
        fig["memory_mb"] = {"a_peak": a_peak, "a_results_held": a_held, "b_peak": b_peak, "b_results_held": b_held,
                            "b_kept_breakdowns_per_payee_kb": kept_held * 1024 / len(traced)}
        del traced

    fig["total_run_s"] = time.perf_counter() - started

    print(report(fig, mismatches))
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


def report(fig: dict, mismatches) -> str:
    m, th, us, r, ck = fig["machine"], fig["throughput"], fig["us_per_payee"], fig["ratios"], fig["check"]
    n = fig["payees"]
    out = [
        "Payout engine benchmark",
        f"date {fig['date']} | Python {m['python']} ({m['implementation']}) | {m['cpus']} CPUs | {m['platform']}",
        f"lark {m.get('lark', '?')} | pydantic {m.get('pydantic', '?')}",
        f"plan {fig['plan']} | {n:,} payees (seed {fig['seed']}, generated in {fig['generate_s']:.2f} s) | "
        f"best of {fig['repeat']} for (a) and (d), one pass for (b) and (c)",
        "",
        "Throughput",
        f"  (a) evaluate, trace=False            {fmt_rate(th['a_evaluate'])}  {us['a']:8.1f} us/payee  "
        f"({fig['seconds']['a']:.2f} s)",
        f"  (b) trace=True + explain             {fmt_rate(th['b_trace_explain'])}  {us['b']:8.1f} us/payee  "
        f"({fig['seconds']['b']:.2f} s)",
        f"  (c) (b) + render_json                {fmt_rate(th['c_trace_explain_json'])}  {us['c']:8.1f} us/payee  "
        f"({fig['seconds']['c']:.2f} s, {fig['json_bytes_per_payee']:,.0f} bytes of JSON/payee)",
        f"  (d) hand-written Decimal baseline    {fmt_rate(th['d_baseline'])}  {us['d']:8.1f} us/payee  "
        f"({fig['seconds']['d']:.2f} s)",
        "  of which in the garbage collector:   " + ", ".join(
            f"({k}) {fig['gc_seconds'][k]:.2f} s ({fig['gc_seconds'][k] / fig['seconds'][k]:.0%})" for k in "abcd"),
        "",
        "Ratios (of payees per second)",
        f"  (a)/(baseline) = {r['a_over_baseline']:.3f}   (the engine takes {1 / r['a_over_baseline']:.1f}x "
        "the baseline's time)",
        f"  (b)/(a)        = {r['b_over_a']:.3f}   (explaining costs {1 / r['b_over_a']:.1f}x plain evaluation)",
        f"  (c)/(a)        = {r['c_over_a']:.3f}   (explaining + JSON costs {1 / r['c_over_a']:.1f}x)",
        "",
        "Exactness check: engine total vs baseline, every payee",
        f"  mismatches: {ck['mismatches']} of {n:,}   sum of totals {ck['sum_of_totals']} USD",
        f"  highest band reached: " + ", ".join(f"{k}: {v:,}" for k, v in ck["highest_band"].items())
        + f"; capped at 40,000: {ck['capped']:,}",
    ]
    out += [f"    {p}: engine {a} baseline {b}" for p, a, b in mismatches[:5]]
    if "memory_mb" in fig:
        mm = fig["memory_mb"]
        out += [
            "",
            "Peak memory (tracemalloc, separate passes; rows of inputs excluded)",
            f"  (a) run_many(trace=False), {n:,} results kept        peak {mm['a_peak']:8.1f} MB   "
            f"held after {mm['a_results_held']:8.1f} MB",
            f"  (b) run_many(trace=True) + explain each, results kept,",
            f"      breakdowns not kept                              peak {mm['b_peak']:8.1f} MB   "
            f"held after {mm['b_results_held']:8.1f} MB",
            f"  keeping every breakdown as well would add about {mm['b_kept_breakdowns_per_payee_kb']:.1f} KB/payee "
            f"(~{mm['b_kept_breakdowns_per_payee_kb'] * n / 1024:,.0f} MB for {n:,}; measured on 1,000)",
        ]
    out += [
        "",
        f"Compile time, median of {fig['compile_runs']} runs (Lark parser built once per process, {fig['parser_build_ms']:.0f} ms, "
        "not included)",
        f"  {'plan':<36} {'lines':>5} {'load_plan ms':>13} {'parse ms':>9} {'check+lower+compile ms':>23}",
    ]
    for c in fig["compile"]:
        if "error" in c:
            out.append(f"  {c['plan']:<36} FAILED: {c['error'][:200]}")
        else:
            out.append(f"  {c['plan']:<36} {c['lines']:>5} {c['compile_ms']:>13.2f} {c['parse_ms']:>9.2f} "
                       f"{c['check_lower_compile_ms']:>23.2f}")
    out += ["", f"whole run {fig['total_run_s']:.0f} s"]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
