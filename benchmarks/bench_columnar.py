#!/usr/bin/env python
"""Benchmark report for the columnar evaluator, `Plan.run_table` (a report, not a test).

    python benchmarks/bench_columnar.py                  # 1,000,000 payees (about 5.5-6 minutes on 2 cores)
    python benchmarks/bench_columnar.py --quick          # 100,000 payees (about 1 minute)
    python benchmarks/bench_columnar.py --json figures.json
    python benchmarks/bench_columnar.py --quick --profile   # also cProfile each run_table (top functions)

Every figure is measured side by side in one process (one exception: the row population run of
the largest contest, run in a subprocess so that it can be given a time limit).  Baselines and
data come from benchmarks/columnar_baselines.py.  Nothing is asserted.

  1. Workload W (N payees): marginal commission 5/8/12/15% at 0/50/100/150% of quota, each band
     rounded half-up to the cent, capped at 30,000.  run_table vs hand numpy float64, hand
     Decimal, and the row evaluator (on a 20,000-payee slice); mismatches against Decimal for
     every payee; payees handed to the row evaluator; tracemalloc peak per payee.
  2. W plus a team bonus (teams of 10, +2,000 per member when the team's revenue reaches the
     sum of its quotas: measures of team).  The same figures; the row reference is the row
     population run on a 20,000-payee slice.
  3. Sales: N deals (1,000,000; 100,000 with --quick), reps in teams of 10 plus managers,
     `crediting { splits rollup }`, W's bands on credited revenue capped at SALES_CAP.
     run_table vs the hand polars pipeline, every person compared; the row population run from
     CSV on a slice a tenth the size.
  4. A contest (top ten by revenue, prizes, ties shared) and a pool (1,000,000 USD by revenue)
     among all, at N/10 and N people; the row population run at N/10 (and at N in a subprocess
     with a time limit); columnar == row checked for every payee.
  5. Explained evaluation: benchmarks/bench_engine.py's figure (c) (trace + explain +
     render_json) on 20,000 payees of benchmarks/reference.plan, next to the columnar figures.

Timings use time.perf_counter, best of --repeat for the fast passes; the garbage collector stays
on and is run before each pass.  Table building (the generators) is never timed; reading the
input columns is part of run_table and is timed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import columnar_baselines as B

from incentives import compile_text, load_people

# ---- the plans ---------------------------------------------------------------
BANDS = """
  tiers marginal on {base} {{
    from 0 USD to 50% of quota: 5%
    from 50% of quota to 100% of quota: 8%
    from 100% of quota to 150% of quota: 12%
    from 150% of quota: 15%
  }} as "Marginal commission"
  cap {cap} USD"""

PLAN_W = """plan "Columnar W" { currency USD period quarter rounding half_up at line }

input revenue: money "Revenue in the quarter"
input quota: money "Quarterly quota"

component commission "Commission" {""" + BANDS.format(base="revenue", cap="30_000") + """
}
"""

PLAN_W_TEAM = PLAN_W + """
measure team_revenue = sum revenue of team "What the team sold"
measure team_quota = sum quota of team "The team's quotas added up"

component team_bonus "Team bonus" {
  pay 2_000 USD as "Paid to every member of a team at quota"
  gate team_revenue >= team_quota
}
"""

SALES_CAP_TEXT = f"{int(B.SALES_CAP):_}"
PLAN_SALES = """plan "Columnar sales" {
  currency USD
  period quarter
  effective 2026-01-01 to 2026-12-31
  rounding half_up at line
}

crediting { splits rollup }

input quota: money "Quarterly quota (a manager's: the team's)"

measure revenue = sum amount of deals where status == "won" and date in period
    "Credited won revenue in the quarter: own, split shares and roll-ups"

component commission "Commission" {""" + BANDS.format(base="revenue", cap=SALES_CAP_TEXT) + """
}
"""

PRIZES = ["10_000", "8_000", "6_000", "5_000", "4_000", "3_000", "2_500", "2_000", "1_500", "1_000"]
PLAN_CONTEST = """plan "Columnar contest and pool" { currency USD period quarter rounding half_up at line }

input revenue: money "Revenue in the quarter"

contest top "Top ten by revenue" {
  rank by revenue
  among all
  ties shared
  prizes """ + ", ".join(f"{p} USD" for p in PRIZES) + """
}

component contest_prize "Contest prize" {
  pay prize(top) as "Prize for the place"
}

component pool_share "Pool share" {
  pool 1_000_000 USD among all by revenue as "1,000,000 USD shared by revenue"
}
"""

MEMORY_GOAL = 200  # bytes per payee
ROW_SLICE = 20_000


# ---- measuring ---------------------------------------------------------------
timed = B.timed


def traced_peak(fn) -> tuple[int, int, int]:
    """(tracemalloc peak, traced bytes still held with the result, arrow pool bytes held) of fn()."""
    gc.collect()
    arrow_before = pa.total_allocated_bytes()
    tracemalloc.start()
    try:
        result = fn()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrow_held = pa.total_allocated_bytes() - arrow_before
    del result
    gc.collect()
    return peak, current, arrow_held


def peak_where(fn, n: int, top: int = 5) -> dict:
    """Where a run reaches its tracemalloc peak, and what is held there.  A profiler hook reads the
    traced memory at every call and return; the code running when the peak last went up is named
    (the project's Python frames, innermost first, and the C function if it was inside one: a numpy
    or arrow call).  `held_before` is what was traced at the event just before, so the peak minus it
    is what that one call allocated at once.  A second, identical run stops at the same event and
    takes a tracemalloc snapshot: the `top` source lines holding the most memory there."""
    def run(stop_at: int | None):
        gc.collect()
        state = {"best": 0, "last": 0, "where": None, "event": 0, "best_event": 0, "snapshot": None}

        def hook(frame, event, arg):
            state["event"] += 1
            if stop_at is not None:
                if state["event"] == stop_at:
                    state["snapshot"] = tracemalloc.take_snapshot()
                return
            cur, peak = tracemalloc.get_traced_memory()
            if peak > state["best"]:
                state["best"], state["best_event"] = peak, state["event"]
                c = getattr(arg, "__qualname__", getattr(arg, "__name__", None)) if event.startswith("c_") else None
                state["where"] = {"event": event, "c_function": c, "frames": _frames(frame),
                                  "held_before_bytes_per_payee": state["last"] / n}
            state["last"] = cur
        tracemalloc.start(1)
        sys.setprofile(hook)
        try:
            result = fn()
        finally:
            sys.setprofile(None)
            tracemalloc.stop()
        del result
        return state
    first = run(None)
    out = {"peak_bytes_per_payee": first["best"] / n, **(first["where"] or {})}
    second = run(first["best_event"])
    if second["snapshot"] is not None:
        stats = second["snapshot"].statistics("lineno")
        out["held_at_peak"] = [{"where": f"{_short(st.traceback[0].filename)}:{st.traceback[0].lineno}",
                                "bytes_per_payee": st.size / n, "blocks": st.count} for st in stats[:top]]
    return out


def _frames(frame) -> list[str]:
    out = []
    while frame is not None and len(out) < 4:
        file = frame.f_code.co_filename
        if file.startswith(str(ROOT)) and not file.endswith("bench_columnar.py"):
            out.append(f"{_short(file)}:{frame.f_lineno}({frame.f_code.co_name})")
        frame = frame.f_back
    return out


def profile_top(fn, top: int = 12) -> list[dict]:
    """cProfile fn() once; the `top` functions by internal time."""
    prof = cProfile.Profile()
    gc.collect()
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": f"{_short(file)}:{line}({func})", "calls": nc, "tottime_s": tt, "cumtime_s": ct})
    rows.sort(key=lambda r: -r["tottime_s"])
    total = sum(r["tottime_s"] for r in rows)
    return [{**r, "share_of_total": r["tottime_s"] / total if total else 0} for r in rows[:top]]


def _short(file: str) -> str:
    for prefix in (str(ROOT) + os.sep, sys.prefix + os.sep):
        if file.startswith(prefix):
            return file[len(prefix):]
    return file


def source_state() -> dict:
    """Which state of incentives/columnar/ was measured: a digest of its sources and their newest
    modification time (the package is being worked on; figures belong to one state of it)."""
    import hashlib
    files = sorted((ROOT / "incentives" / "columnar").glob("*.py"))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    newest = max((f.stat().st_mtime for f in files), default=0)
    return {"sha256": digest.hexdigest()[:16], "files": len(files),
            "newest_mtime": dt.datetime.fromtimestamp(newest).isoformat(timespec="seconds")}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def cents_by_id(ids: list, cents: np.ndarray) -> dict:
    return dict(zip(ids, cents.tolist()))


def count_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.count_nonzero(np.asarray(a, dtype=np.int64) != np.asarray(b, dtype=np.int64)))


def write_csv(table: pa.Table, path: Path) -> Path:
    pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="needed"))
    return path


def population_cents(run, ids: list, parts: list[str]) -> dict[str, np.ndarray]:
    """A PopulationResult's amounts in integer cents, in the order of `ids`, per component and total."""
    by = {r.payee: r for r in run}
    out = {}
    for part in parts:
        pick = (lambda r: r.total) if part == "total" else (lambda r, c=part: r.component(c).amount)
        out[part] = B.to_cents([pick(by[i]) for i in ids])
    return out


# ---- 1 and 2: workload W -----------------------------------------------------
def section_w(n: int, args, data: dict) -> dict:
    fig: dict = {"payees": n, "load_before": load()}
    plan = compile_text(PLAN_W, "columnar_w.plan")
    full = data["w"]
    table = full.select(["id", "revenue", "quota"])
    plan.run_table(table.slice(0, 1000))  # warm-up

    t_col, res = timed(lambda: plan.run_table(table), args.repeat)
    fig["engine"], fig["row_lines"] = res.engine, [str(w) for _, w in res.row_lines]
    fig["row_payees"] = len(res.row_payees)
    col_total = B.to_cents(res.table["total"])
    col_comm = B.to_cents(res.table["commission"])
    del res

    rev_f, quota_f = data["rev_f"], data["quota_f"]
    t_f, out_f = timed(lambda: B.w_float64(rev_f, quota_f), args.repeat)
    t_fconv, _ = timed(lambda: B.w_inputs_float64(full), 1)
    f_cents = B.to_cents(out_f)

    rev_d, quota_d = data["rev_d"], data["quota_d"]
    m = n if args.decimal_payees is None else min(n, args.decimal_payees)
    t_d, out_d = timed(lambda: B.w_decimal(rev_d[:m], quota_d[:m]), 1)
    d_cents = B.to_cents(out_d)
    data["w_decimal_cents"] = d_cents  # the team section reuses the exact commission
    del out_d

    k = min(ROW_SLICE, n)
    ids = data["ids"][:k]
    values = [{"revenue": r, "quota": q} for r, q in zip(rev_d[:k], quota_d[:k])]
    run = plan.evaluator.run
    for i in range(min(200, k)):
        run(values[i], ids[i])
    t_row, row_out = timed(lambda: [run(v, p).total for p, v in zip(ids, values)], 2)
    row_cents = B.to_cents(row_out)

    fig["seconds"] = {"columnar": t_col, "float64": t_f, "float64_inputs_from_arrow": t_fconv,
                      "decimal": t_d, "row": t_row}
    fig["decimal_payees"], fig["row_payees_slice"] = m, k
    fig["payees_per_s"] = {"columnar": rate(n, t_col), "float64": rate(n, t_f),
                           "float64_with_reading_inputs": rate(n, t_f + t_fconv),
                           "decimal": rate(m, t_d), "row": rate(k, t_row)}
    ps = fig["payees_per_s"]
    fig["ratios"] = {"columnar_over_float64": ps["columnar"] / ps["float64"],
                     "columnar_over_float64_with_reading_inputs": ps["columnar"] / ps["float64_with_reading_inputs"],
                     "columnar_over_decimal": ps["columnar"] / ps["decimal"],
                     "columnar_over_row": ps["columnar"] / ps["row"]}
    fig["mismatches"] = {
        "columnar_vs_decimal_total": count_diff(col_total[:m], d_cents),
        "columnar_vs_decimal_commission": count_diff(col_comm[:m], d_cents),
        "float64_vs_decimal": count_diff(f_cents[:m], d_cents),
        "float64_vs_decimal_largest_cents": int(np.abs(f_cents[:m] - d_cents).max()) if m else 0,
        "row_vs_decimal_on_slice": count_diff(row_cents, d_cents[:k]),
        "columnar_vs_row_on_slice": count_diff(col_total[:k], row_cents),
        "compared_payees": m,
    }
    fig["sum_of_totals"] = f"{col_total.sum() / 100:,.2f}"
    fig["capped"] = int(np.count_nonzero(d_cents == 3_000_000))

    memory_and_profile(fig, lambda: plan.run_table(table), n, args)
    fig["load_after"] = load()
    return fig


def memory_and_profile(fig: dict, run, n: int, args) -> None:
    """The memory peak per payee of one run (and where it is reached, if over the goal), and its profile."""
    if not args.no_memory:
        peak, held, arrow_held = traced_peak(run)
        fig["memory"] = {"peak_bytes_per_payee": peak / n, "held_bytes_per_payee": held / n,
                         "arrow_pool_held_bytes_per_payee": arrow_held / n, "goal": MEMORY_GOAL}
        if peak / n > MEMORY_GOAL or args.memory_where:
            fig["memory"]["peak_where"] = peak_where(run, n)
    if args.profile:
        fig["profile"] = profile_top(run)


def section_w_team(n: int, args, data: dict) -> dict:
    fig: dict = {"payees": n, "load_before": load()}
    plan = compile_text(PLAN_W_TEAM, "columnar_w_team.plan")
    full = data["w"]
    table = full.select(["id", "revenue", "quota", "team"])
    plan.run_table(table.slice(0, 1000))

    t_col, res = timed(lambda: plan.run_table(table), args.repeat)
    fig["engine"], fig["row_lines"] = res.engine, [str(w) for _, w in res.row_lines]
    fig["row_payees"] = len(res.row_payees)
    parts = ("commission", "team_bonus", "total")
    col = {p: B.to_cents(res.table[p]) for p in parts}
    del res

    rev_f, quota_f, codes = data["rev_f"], data["quota_f"], data["codes"]
    t_f, out_f = timed(lambda: B.w_team_float64(rev_f, quota_f, codes), args.repeat)
    t_fconv, _ = timed(lambda: B.w_inputs_float64(full), 1)
    f = {p: B.to_cents(x) for p, x in zip(parts, out_f)}

    rev_d, quota_d, team_d = data["rev_d"], data["quota_d"], data["team_d"]
    m = n if args.decimal_payees is None else min(n, args.decimal_payees)
    m -= m % 10  # whole teams
    t_d, out_d = timed(lambda: B.w_team_decimal(rev_d[:m], quota_d[:m], team_d[:m]), 1)
    d = {p: B.to_cents(x) for p, x in zip(parts, out_d)}
    del out_d

    # the row reference: the row population run over a slice of whole teams, from a CSV of it
    k = min(ROW_SLICE, n)
    k -= k % 10
    with tempfile.TemporaryDirectory(prefix="bench-columnar-") as tmp:
        path = write_csv(table.slice(0, k), Path(tmp) / "people.csv")
        t_load, people = timed(lambda: load_people(path, plan), 1)
    plan.run_population(dict(list(people.items())[:50]))  # warm-up
    t_row, run = timed(lambda: plan.run_population(people), 1)
    ids = data["ids"][:k]
    row = population_cents(run, ids, list(parts))
    run = people = None

    fig["seconds"] = {"columnar": t_col, "float64": t_f, "float64_inputs_from_arrow": t_fconv, "decimal": t_d,
                      "row_population": t_row, "row_load_people_csv": t_load}
    fig["decimal_payees"], fig["row_payees_slice"] = m, k
    fig["payees_per_s"] = {"columnar": rate(n, t_col), "float64": rate(n, t_f),
                           "float64_with_reading_inputs": rate(n, t_f + t_fconv), "decimal": rate(m, t_d),
                           "row_population": rate(k, t_row), "row_population_with_csv": rate(k, t_row + t_load)}
    ps = fig["payees_per_s"]
    fig["ratios"] = {"columnar_over_float64": ps["columnar"] / ps["float64"],
                     "columnar_over_float64_with_reading_inputs": ps["columnar"] / ps["float64_with_reading_inputs"],
                     "columnar_over_decimal": ps["columnar"] / ps["decimal"],
                     "columnar_over_row": ps["columnar"] / ps["row_population"]}
    fig["mismatches"] = {f"columnar_vs_decimal_{p}": count_diff(col[p][:m], d[p]) for p in parts}
    fig["mismatches"].update({f"float64_vs_decimal_{p}": count_diff(f[p][:m], d[p]) for p in parts})
    fig["mismatches"].update({f"columnar_vs_row_on_slice_{p}": count_diff(col[p][:k], row[p]) for p in parts})
    fig["mismatches"]["compared_payees"] = m
    fig["teams_at_quota"] = int(np.count_nonzero(d["team_bonus"])) // 10

    memory_and_profile(fig, lambda: plan.run_table(table), n, args)
    fig["load_after"] = load()
    return fig


# ---- 3: sales ----------------------------------------------------------------
def section_sales(n_deals: int, n_reps: int, args) -> dict:
    fig: dict = {"deals": n_deals, "reps": n_reps, "load_before": load()}
    plan = compile_text(PLAN_SALES, "columnar_sales.plan")
    period = "2026-Q1"
    t_gen, tables = timed(lambda: B.make_sales(n_deals, n_reps, args.seed), 1)
    fig["people"] = tables["people"].num_rows
    fig["split_rows"] = tables["splits"].num_rows
    fig["generate_s"] = t_gen
    small = B.make_sales(2_000, 100, args.seed)
    plan.run_table(small["people"], small["deals"], small["splits"], period=period)  # warm-up
    B.sales_polars(small)

    run_cols = lambda t=tables: plan.run_table(t["people"], t["deals"], t["splits"], period=period)
    t_col, res = timed(run_cols, args.repeat)
    fig["engine"], fig["row_lines"] = res.engine, [str(w) for _, w in res.row_lines]
    fig["row_payees"] = len(res.row_payees)
    t_pl, pol = timed(lambda: B.sales_polars(tables), args.repeat)
    col = cents_by_id(res.table["id"].to_pylist(), B.to_cents(res.table["commission"]))
    ref = cents_by_id(pol["id"].to_list(), pol["commission_cents"].to_numpy())
    fig["mismatches"] = {"columnar_vs_polars": sum(1 for k, v in ref.items() if col.get(k) != v)
                         + sum(1 for k in col if k not in ref),
                         "compared_people": len(ref)}
    fig["seconds"] = {"columnar": t_col, "polars": t_pl}
    fig["deals_per_s"] = {"columnar": rate(n_deals, t_col), "polars": rate(n_deals, t_pl)}
    fig["ratios"] = {"columnar_over_polars": t_pl / t_col}
    fig["sum_of_commission"] = f"{sum(ref.values()) / 100:,.2f}"
    res = pol = col = ref = None

    if not args.no_memory:
        peak, held, arrow_held = traced_peak(run_cols)
        fig["memory"] = {"peak_bytes_per_deal": peak / n_deals, "held_bytes_per_person": held / fig["people"],
                         "arrow_pool_held_bytes": arrow_held}
    if args.profile:
        fig["profile"] = profile_top(run_cols)
    tables = None

    # the row population run, from CSV, on a slice a tenth the size
    sd, sr = max(n_deals // 10, 1_000), max(n_reps // 10 - (n_reps // 10) % 10, 10)
    st = B.make_sales(sd, sr, args.seed)
    fig["row"] = {"deals": sd, "reps": sr, "people": st["people"].num_rows}
    t_scol, sres = timed(lambda: plan.run_table(st["people"], st["deals"], st["splits"], period=period),
                         args.repeat)
    t_spol, spol = timed(lambda: B.sales_polars(st), args.repeat)
    with tempfile.TemporaryDirectory(prefix="bench-columnar-") as tmp:
        paths = B.write_sales_csv(st, tmp)
        small_paths = B.write_sales_csv(small, Path(tmp) / "warm")
        plan.run_population(small_paths["people"], small_paths["deals"], small_paths["splits"], period=period)
        t_row, run = timed(lambda: plan.run_population(paths["people"], paths["deals"], paths["splits"],
                                                       period=period), 1)
        from incentives import load_deals, load_splits

        def loading():
            people = load_people(paths["people"], plan)
            deals = load_deals(paths["deals"], plan, people)
            return load_splits(paths["splits"], plan, deals, people)
        t_load, _ = timed(loading, 1)
    ids = sres.table["id"].to_pylist()
    row = population_cents(run, ids, ["commission"])["commission"]
    scol = B.to_cents(sres.table["commission"])
    sref = cents_by_id(spol["id"].to_list(), spol["commission_cents"].to_numpy())
    fig["row"].update({
        "engine": sres.engine, "row_payees": len(sres.row_payees),
        "seconds": {"columnar": t_scol, "polars": t_spol, "row_population_from_csv": t_row,
                    "row_of_which_loading_csv": t_load},
        "deals_per_s": {"columnar": rate(sd, t_scol), "polars": rate(sd, t_spol),
                        "row_population_from_csv": rate(sd, t_row),
                        "row_population_without_loading": rate(sd, t_row - t_load)},
        "ratios": {"columnar_over_row": t_row / t_scol, "columnar_over_row_without_loading": (t_row - t_load) / t_scol,
                   "columnar_over_polars": t_spol / t_scol},
        "mismatches": {"columnar_vs_row": count_diff(scol, row),
                       "columnar_vs_polars": sum(1 for i, c in zip(ids, scol.tolist()) if sref.get(i) != c),
                       "compared_people": len(ids)},
    })
    fig["load_after"] = load()
    return fig


# ---- 4: contest and pool -----------------------------------------------------
ROW_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from incentives import compile_text
plan = compile_text(open(sys.argv[2], encoding="utf-8").read(), "contest.plan")
t = time.perf_counter()
run = plan.run_population(sys.argv[3])
seconds = time.perf_counter() - t
with open(sys.argv[4], "w", encoding="utf-8") as f:
    for r in run:
        f.write(f"{r.payee},{r.component('contest_prize').amount},{r.component('pool_share').amount},{r.total}\n")
print(json.dumps({"seconds": seconds}))
"""


def row_contest_subprocess(table: pa.Table, timeout: float) -> dict:
    """The row population run of the contest plan in a child process, killed after `timeout` s."""
    with tempfile.TemporaryDirectory(prefix="bench-columnar-") as folder:
        tmp = Path(folder)
        people = write_csv(table, tmp / "people.csv")
        plan_path = tmp / "contest.plan"
        plan_path.write_text(PLAN_CONTEST, encoding="utf-8")
        out = tmp / "out.csv"
        started = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-c", ROW_CHILD, str(ROOT), str(plan_path), str(people), str(out)],
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"finished": False, "timeout_s": timeout}
        wall = time.perf_counter() - started
        if done.returncode:
            return {"finished": False, "error": done.stderr.strip().splitlines()[-1:] or ["?"]}
        seconds = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
        rows = pcsv.read_csv(out, pcsv.ReadOptions(column_names=["id", "contest_prize", "pool_share", "total"]),
                             convert_options=pcsv.ConvertOptions(column_types={
                                 "id": pa.string(), "contest_prize": B.MONEY, "pool_share": B.MONEY,
                                 "total": B.MONEY}))
        return {"finished": True, "seconds": seconds, "wall_with_loading_s": wall, "table": rows}


def section_contest(sizes: list[int], args) -> dict:
    fig: dict = {"load_before": load(), "sizes": {}}
    plan = compile_text(PLAN_CONTEST, "columnar_contest.plan")
    plan.run_table(B.make_contest(1_000, args.seed))
    parts = ["contest_prize", "pool_share", "total"]
    for size in sizes:
        f: dict = {}
        table = B.make_contest(size, args.seed)
        t_col, res = timed(lambda t=table: plan.run_table(t), args.repeat)
        f["engine"], f["row_lines"] = res.engine, [str(w) for _, w in res.row_lines]
        f["row_payees"] = len(res.row_payees)
        f["seconds"] = {"columnar": t_col}
        f["payees_per_s"] = {"columnar": rate(size, t_col)}
        ids = res.table["id"].to_pylist()
        col = {p: B.to_cents(res.table[p]) for p in parts}
        f["pool_paid_out"] = f"{col['pool_share'].sum() / 100:,.2f}"
        f["prize_winners"] = int(np.count_nonzero(col["contest_prize"]))
        f["prizes_paid"] = f"{col['contest_prize'].sum() / 100:,.2f}"
        del res
        if args.profile:
            f["profile"] = profile_top(lambda t=table: plan.run_table(t))
        row = None
        if size == sizes[0]:  # in process
            with tempfile.TemporaryDirectory(prefix="bench-columnar-") as tmp:
                path = write_csv(table, Path(tmp) / "people.csv")
                t_row, run = timed(lambda p=path: plan.run_population(p), 1)
                t_load, _ = timed(lambda p=path: load_people(p, plan), 1)
            row = population_cents(run, ids, parts)
            del run
            f["seconds"].update({"row_population_from_csv": t_row, "row_of_which_loading_csv": t_load})
        elif args.row_timeout > 0:
            child = row_contest_subprocess(table, args.row_timeout)
            if child.get("finished"):
                t = child.pop("table")
                by = dict(zip(t["id"].to_pylist(), range(t.num_rows)))
                order = np.array([by[i] for i in ids])
                row = {p: B.to_cents(t[p])[order] for p in parts}
                f["seconds"].update({"row_population_from_csv": child["seconds"],
                                     "row_subprocess_wall": child["wall_with_loading_s"]})
            f["row_subprocess"] = {k: v for k, v in child.items() if k != "table"}
        if row is not None:
            t_row = f["seconds"]["row_population_from_csv"]
            f["payees_per_s"]["row_population_from_csv"] = rate(size, t_row)
            f["ratios"] = {"columnar_over_row": t_row / t_col}
            if "row_of_which_loading_csv" in f["seconds"]:
                t_eval = t_row - f["seconds"]["row_of_which_loading_csv"]
                f["payees_per_s"]["row_population_without_loading"] = rate(size, t_eval)
                f["ratios"]["columnar_over_row_without_loading"] = t_eval / t_col
            f["mismatches"] = {f"columnar_vs_row_{p}": count_diff(col[p], row[p]) for p in parts}
        fig["sizes"][str(size)] = f
        table = None
    fig["load_after"] = load()
    return fig


# ---- 5: explained evaluation -------------------------------------------------
def section_explained(payees: int, args) -> dict:
    """bench_engine.py's figure (c): run_many(trace=True) + explain + render_json for every payee."""
    fig: dict = {"payees": payees, "load_before": load(), "goal_payees_per_s": 100_000}
    import bench_engine as E

    from incentives import load_plan
    plan = load_plan(E.REFERENCE)
    rows = E.make_payees(payees, 20261122)
    for _, v in rows[:200]:
        E.render_json(E.explain(plan, plan.run(v, "warm", trace=True)))
    t_c, size = timed(lambda: E.explain_render_all(plan, rows), 1)
    t_a, _ = timed(lambda: plan.evaluator.run_many(rows, trace=False), args.repeat)
    fig["seconds"] = {"c_trace_explain_json": t_c, "a_evaluate": t_a}
    fig["payees_per_s"] = {"c_trace_explain_json": rate(payees, t_c), "a_evaluate": rate(payees, t_a)}
    fig["json_bytes_per_payee"] = size / payees
    fig["load_after"] = load()
    return fig


# ---- the report --------------------------------------------------------------
def _r(x: float) -> str:
    return f"{x:>13,.0f}/s"


def _x(x: float) -> str:
    return f"{x:.3g}"


def report_w(title: str, f: dict, rows: list[tuple[str, str]]) -> list[str]:
    ps, s, r, mm = f["payees_per_s"], f["seconds"], f["ratios"], f["mismatches"]
    secs = dict(s)
    secs["float64_with_reading_inputs"] = s["float64"] + s["float64_inputs_from_arrow"]
    if "row_population" in s:
        secs["row_population_with_csv"] = s["row_population"] + s["row_load_people_csv"]
    out = [title, f"  load average {f['load_before']} -> {f['load_after']}; engine {f['engine']}, "
                  f"{f['row_payees']:,} payees handed to the row evaluator"
           + (f"; row lines: {f['row_lines']}" if f["row_lines"] else "")]
    for key, label in rows:
        out.append(f"  {label:<52}{_r(ps[key])}  ({secs[key]:.3f} s)")
    out += [f"  ratio columnar/float64      {_x(r['columnar_over_float64'])}   (goal >= 1.0, stretch 3.0)",
            f"  ratio columnar/(float64 incl. reading the columns from arrow) {_x(r['columnar_over_float64_with_reading_inputs'])}",
            f"  ratio columnar/Decimal      {_x(r['columnar_over_decimal'])}",
            f"  ratio columnar/row          {_x(r['columnar_over_row'])}",
            f"  mismatches over {mm['compared_payees']:,} payees (goal 0 for columnar):"]
    for k, v in mm.items():
        if k != "compared_payees":
            out.append(f"    {k:<45} {v:,}")
    if "memory" in f:
        m = f["memory"]
        out.append(f"  tracemalloc peak of run_table: {m['peak_bytes_per_payee']:.0f} bytes/payee (goal < {MEMORY_GOAL}); "
                   f"held with the result {m['held_bytes_per_payee']:.0f}; arrow pool held "
                   f"{m['arrow_pool_held_bytes_per_payee']:.0f} (not traced by tracemalloc)")
        pw = m.get("peak_where")
        if pw:
            inside = f"inside {pw['c_function']} called from " if pw.get("c_function") else "in "
            out.append(f"    peak ({pw['peak_bytes_per_payee']:.0f} B/payee under the profiler hook) reached {inside}"
                       f"{' <- '.join(pw.get('frames') or ['?'])}; traced just before: "
                       f"{pw.get('held_before_bytes_per_payee', 0):.0f} B/payee; held there, by source line:")
            for h in pw.get("held_at_peak", []):
                out.append(f"      {h['bytes_per_payee']:6.0f} B/payee  {h['blocks']:>9,} blocks  {h['where']}")
    return out


def report_profile(prof: list[dict] | None) -> list[str]:
    if not prof:
        return []
    out = ["  cProfile of one run_table, top functions by internal time:"]
    for p in prof:
        out.append(f"    {p['tottime_s']:7.3f} s {p['share_of_total']:5.0%} {p['calls']:>9,} calls  {p['function']}")
    return out


def report(fig: dict) -> str:
    out = ["Columnar evaluator benchmark (Plan.run_table)",
           f"date {fig['date']} | Python {fig['machine']['python']} | numpy {fig['machine']['numpy']} | "
           f"pyarrow {fig['machine']['pyarrow']} | polars {fig['machine'].get('polars', '-')} | "
           f"{fig['machine']['cpus']} CPUs | load average at start {fig['load_start']}",
           f"best of {fig['repeat']} for the fast passes; payees {fig['payees']:,}",
           f"incentives/columnar sources: sha256 {fig['columnar_source']['sha256']} "
           f"({fig['columnar_source']['files']} files, newest modified {fig['columnar_source']['newest_mtime']}"
           + (f"; CHANGED during the run, now {fig['columnar_source_end']['sha256']}"
              if fig.get('columnar_source_end', fig['columnar_source'])['sha256'] != fig['columnar_source']['sha256']
              else "") + ")", ""]
    w = fig.get("w")
    if w:
        out += report_w(f"1. Workload W, {w['payees']:,} payees", w, [
            ("columnar", "columnar run_table"),
            ("float64", "hand numpy float64 (w_float64)"),
            ("float64_with_reading_inputs", "  the same, plus reading the columns from arrow"),
            ("decimal", f"hand Decimal (w_decimal, {w['decimal_payees']:,} payees)"),
            ("row", f"row evaluator, evaluator.run ({w['row_payees_slice']:,} payees)")])
        out.append(f"  sum of totals {w['sum_of_totals']} USD; capped {w['capped']:,}")
        out += report_profile(w.get("profile")) + [""]
    t = fig.get("w_team")
    if t:
        out += report_w(f"2. W with a team bonus (teams of 10), {t['payees']:,} payees", t, [
            ("columnar", "columnar run_table"),
            ("float64", "hand numpy float64 (w_team_float64)"),
            ("float64_with_reading_inputs", "  the same, plus reading the columns from arrow"),
            ("decimal", f"hand Decimal (w_team_decimal, {t['decimal_payees']:,} payees)"),
            ("row_population", f"row population run ({t['row_payees_slice']:,} payees, loaded)"),
            ("row_population_with_csv", "  the same, plus loading its CSV")])
        out.append(f"  teams at quota {t['teams_at_quota']:,}")
        out += report_profile(t.get("profile")) + [""]
    s = fig.get("sales")
    if s:
        out += [f"3. Sales: {s['deals']:,} deals, {s['reps']:,} reps + managers ({s['people']:,} people), "
                f"{s['split_rows']:,} split rows, crediting {{ splits rollup }}",
                f"  load average {s['load_before']} -> {s['load_after']}; engine {s['engine']}, "
                f"{s['row_payees']:,} payees handed to the row evaluator",
                f"  columnar run_table                                  {_r(s['deals_per_s']['columnar'])} deals"
                f"  ({s['seconds']['columnar']:.3f} s)",
                f"  hand polars pipeline (sales_polars)                 {_r(s['deals_per_s']['polars'])} deals"
                f"  ({s['seconds']['polars']:.3f} s)",
                f"  ratio columnar/polars {_x(s['ratios']['columnar_over_polars'])}; mismatches columnar vs polars: "
                f"{s['mismatches']['columnar_vs_polars']:,} of {s['mismatches']['compared_people']:,} people; "
                f"commission {s['sum_of_commission']} USD"]
        if "memory" in s:
            out.append(f"  tracemalloc peak of run_table: {s['memory']['peak_bytes_per_deal']:.0f} bytes/deal")
        out += report_profile(s.get("profile"))
        r = s["row"]
        out += [f"  slice for the row run: {r['deals']:,} deals, {r['reps']:,} reps ({r['people']:,} people); "
                f"engine {r['engine']}",
                f"    columnar run_table                                {_r(r['deals_per_s']['columnar'])} deals"
                f"  ({r['seconds']['columnar']:.3f} s)",
                f"    hand polars                                       {_r(r['deals_per_s']['polars'])} deals"
                f"  ({r['seconds']['polars']:.3f} s)",
                f"    row population run from CSV                       "
                f"{_r(r['deals_per_s']['row_population_from_csv'])} deals  ({r['seconds']['row_population_from_csv']:.2f} s,"
                f" of which loading the CSV {r['seconds']['row_of_which_loading_csv']:.2f} s)",
                f"    ratio columnar/row {_x(r['ratios']['columnar_over_row'])} "
                f"(without the row run's CSV loading {_x(r['ratios']['columnar_over_row_without_loading'])}); "
                f"columnar/polars {_x(r['ratios']['columnar_over_polars'])}",
                f"    mismatches: columnar vs row {r['mismatches']['columnar_vs_row']:,}, columnar vs polars "
                f"{r['mismatches']['columnar_vs_polars']:,} of {r['mismatches']['compared_people']:,} people", ""]
    c = fig.get("contest")
    if c:
        out += ["4. Contest (top ten by revenue, ties shared) and pool (1,000,000 USD by revenue) among all",
                f"  load average {c['load_before']} -> {c['load_after']}"]
        for size, f in c["sizes"].items():
            line = (f"  {int(size):>9,} people: columnar {_r(f['payees_per_s']['columnar'])} "
                    f"({f['seconds']['columnar']:.3f} s, engine {f['engine']}, {f['row_payees']} row payees)")
            out.append(line)
            if "row_population_from_csv" in f["payees_per_s"]:
                extra = (f", of which loading the CSV {f['seconds']['row_of_which_loading_csv']:.2f} s"
                         if "row_of_which_loading_csv" in f["seconds"] else ", in a subprocess")
                out.append(f"             row population run from CSV {_r(f['payees_per_s']['row_population_from_csv'])} "
                           f"({f['seconds']['row_population_from_csv']:.2f} s{extra}); ratio columnar/row "
                           f"{_x(f['ratios']['columnar_over_row'])}"
                           + (f" (without loading {_x(f['ratios']['columnar_over_row_without_loading'])})"
                              if "columnar_over_row_without_loading" in f["ratios"] else ""))
                out.append("             mismatches columnar vs row: "
                           + ", ".join(f"{k.removeprefix('columnar_vs_row_')} {v:,}" for k, v in f["mismatches"].items()))
            elif "row_subprocess" in f:
                out.append(f"             row population run: not finished ({f['row_subprocess']})")
            out.append(f"             pool paid out {f['pool_paid_out']} USD; {f['prize_winners']} prize winners, "
                       f"{f['prizes_paid']} USD")
            out += ["  " + x for x in report_profile(f.get("profile"))]
        out.append("")
    e = fig.get("explained")
    if e:
        wc = fig.get("w", {}).get("payees_per_s", {}).get("columnar")
        out += [f"5. Explained evaluation (bench_engine.py figure (c)), {e['payees']:,} payees of benchmarks/reference.plan",
                f"  load average {e['load_before']} -> {e['load_after']}",
                f"  trace + explain + render_json  {_r(e['payees_per_s']['c_trace_explain_json'])}  "
                f"(goal {e['goal_payees_per_s']:,}/s; {e['json_bytes_per_payee']:,.0f} bytes of JSON/payee)",
                f"  row evaluation alone (a)       {_r(e['payees_per_s']['a_evaluate'])}"]
        if wc:
            out.append(f"  columnar W (section 1)         {_r(wc)}   (no explanation: amounts only)")
        out.append("")
    out.append(f"whole run {fig['total_run_s']:.0f} s; load average at the end {fig['load_end']}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--payees", type=int, default=1_000_000, help="W and contest payees (default 1,000,000)")
    ap.add_argument("--quick", action="store_true", help="100,000 payees (and 100,000 deals)")
    ap.add_argument("--deals", type=int, help="sales deals (default: the payees; 1,000,000)")
    ap.add_argument("--reps", type=int, help="sales reps, a multiple of 10 (default: deals / 100)")
    ap.add_argument("--seed", type=int, default=B.SEED)
    ap.add_argument("--repeat", type=int, default=3, help="best of N for the fast passes (default 3)")
    ap.add_argument("--decimal-payees", type=int, help="run the hand Decimal baselines on the first N payees "
                                                       "only (default: all)")
    ap.add_argument("--row-timeout", type=float, default=300,
                    help="time limit (s) for the row run of the largest contest, in a subprocess; 0 skips it")
    ap.add_argument("--explain-payees", type=int, default=20_000)
    ap.add_argument("--sections", default="1,2,3,4,5", help="which sections to run (default 1,2,3,4,5)")
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc passes")
    ap.add_argument("--memory-where", action="store_true", help="say where the memory peak is reached (and what "
                                                                "is held there) even when it is under the goal")
    ap.add_argument("--profile", action="store_true", help="cProfile one run_table of each workload")
    ap.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    args = ap.parse_args(argv)
    n = 100_000 if args.quick else args.payees
    n_deals = args.deals or n
    n_reps = args.reps or max(10, n_deals // 100 - (n_deals // 100) % 10)
    sections = {s.strip() for s in args.sections.split(",")}
    started = time.perf_counter()
    fig: dict = {"date": dt.datetime.now().isoformat(timespec="minutes"), "payees": n, "repeat": args.repeat,
                 "seed": args.seed, "load_start": load(), "columnar_source": source_state(),
                 "machine": {"python": platform.python_version(), "platform": platform.platform(),
                             "cpus": os.cpu_count(), "numpy": np.__version__, "pyarrow": pa.__version__}}
    try:
        import polars
        fig["machine"]["polars"] = polars.__version__
    except ImportError:  # pragma: no cover
        pass

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if sections & {"1", "2"}:
        say(f"generating W, {n:,} payees ...")
        w = B.make_w(n, args.seed)
        rev_f, quota_f, codes = B.w_inputs_float64(w)
        rev_d, quota_d, team_d = B.w_inputs_decimal(w)
        data = {"w": w, "rev_f": rev_f, "quota_f": quota_f, "codes": codes, "rev_d": rev_d, "quota_d": quota_d,
                "team_d": team_d, "ids": w["id"].to_pylist()}
        if "1" in sections:
            say("1. workload W ...")
            fig["w"] = section_w(n, args, data)
        if "2" in sections:
            say("2. W with a team bonus ...")
            fig["w_team"] = section_w_team(n, args, data)
        del data, w, rev_d, quota_d, team_d
        gc.collect()
    if "3" in sections:
        say(f"3. sales, {n_deals:,} deals ...")
        fig["sales"] = section_sales(n_deals, n_reps, args)
    if "4" in sections:
        say("4. contest and pool ...")
        fig["contest"] = section_contest([max(n // 10, 10), n], args)
    if "5" in sections:
        say("5. explained evaluation ...")
        fig["explained"] = section_explained(args.explain_payees, args)
    fig["total_run_s"] = time.perf_counter() - started
    fig["load_end"] = load()
    fig["columnar_source_end"] = source_state()
    print(report(fig))
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
