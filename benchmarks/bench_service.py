#!/usr/bin/env python
"""Benchmark report for the payroll service (a report, not a test).

    python benchmarks/bench_service.py                                # 10,000 people, 1,000,000 deals
    python benchmarks/bench_service.py --people 2000 --deals 200000
    python benchmarks/bench_service.py --quick                        # 1,000 people, 100,000 deals

The server is `python -m incentives.cli serve` in its own process on loopback, over a fresh SQLite file, as it
is deployed (its access log on, written to a file).  People and deals are generated as CSV files from --seed;
the plan (`PLAN` below) pays 5% of the month's won bookings, monthly, effective 2027.  Two parts:

  (a) a period run for --period: the plan and both files uploaded through the API (each upload timed: the
      service checks a whole file before it stores it), then `POST /runs` timed until `GET /runs/{id}`
      says it succeeded; and in the same session the same files through the CLI, each a new process timed
      from start to exit:
        (c1) `run PLAN --people --deals --period` (the engine alone: no ledger, no breakdowns),
        (c2) the same with `--ledger FILE` (paid through a ledger, as the service pays),
        (c3) (c2) with `--explain` (a breakdown per payee as well, as the service keeps one per payee).
      Every payee's amount from the API is compared with (c1) and (c2), to the cent.
  (b) `POST /calculate` (one payee at once, with its breakdown) under --clients concurrent clients
      (httpx.AsyncClient, one process, on the same machine as the server): latency p50, p99, max and
      requests per second over --requests requests, after a warm-up; and one client alone, for the
      latency without queueing.

Progress goes to stderr, the report to stdout.  Nothing is asserted: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
import json
import math
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx

from incentives.service.store import Store

ROOT = Path(__file__).resolve().parent.parent

PLAN_NAME = "Service Benchmark"
PLAN = f"""plan "{PLAN_NAME}" {{
  currency USD
  period month
  effective 2027-01-01 to 2027-12-31
  rounding half_up at line
}}

measure bookings = sum amount of deals
    where status == "won" and date in period
    "Won bookings closed in the month"

component commission "Commission on bookings" {{
  pay 5% of bookings
}}
"""
RATE = Decimal("0.05")
CENT = Decimal("0.01")


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data

def write_people(path: Path, people: int) -> None:
    """P00000...: teams of 10; the first of each team manages the other nine and reports to nobody."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name", "team", "manager"])
        for i in range(people):
            head = i - i % 10
            w.writerow([f"P{i:05d}", f"Person {i}", f"T{i // 10:04d}", "" if i == head else f"P{head:05d}"])


def write_deals(path: Path, deals: int, people: int, rng: random.Random) -> None:
    """Owner uniform among everyone; 10.00 to 50,000.00 USD; won 85%, cancelled 10%, refunded 5%; dated
    uniformly over 2027-01-01..2027-03-31 (about a third in January)."""
    start = dt.date(2027, 1, 1)
    days = [(start + dt.timedelta(days=d)).isoformat() for d in range(90)]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "owner", "amount", "date", "status", "currency"])
        for i in range(deals):
            cents = rng.randrange(1_000, 5_000_001)
            r = rng.random()
            status = "won" if r < 0.85 else "cancelled" if r < 0.95 else "refunded"
            w.writerow([f"D{i:07d}", f"P{rng.randrange(people):05d}", f"{cents // 100}.{cents % 100:02d}",
                        days[rng.randrange(90)], status, "USD"])


# ---------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float | None:
    """A live process's peak resident memory (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def cpu_seconds(pid: int) -> float:
    """A live process's CPU time so far (user + system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`incentives serve` in its own process, stopped (by its pid) on exit."""

    def __init__(self, db: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "incentives.cli", "serve", "--db", str(db), "--port", str(self.port)],
                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(trust_env=False, timeout=5) as c:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                try:
                    if c.get(f"{self.url}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        tail = self.log.read_text(errors="replace").splitlines()[-10:]
        raise SystemExit("the server did not start:\n" + "\n".join(tail))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


# ---------------------------------------------------------------- (a) a period run

def api_run(client: httpx.Client, plan_text: str, people: Path, deals: Path, period: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    t = time.perf_counter()
    r = client.post("/plans", json={"text": plan_text, "file": "bench_service.plan"})
    r.raise_for_status()
    out["upload_plan_s"] = time.perf_counter() - t
    ids = {}
    for kind, path in (("people", people), ("deals", deals)):
        content = path.read_bytes()
        t = time.perf_counter()
        r = client.post(f"/datasets/{kind}", params={"name": path.name}, content=content,
                        headers={"Content-Type": "text/csv"})
        r.raise_for_status()
        out[f"upload_{kind}_s"] = time.perf_counter() - t
        out[f"upload_{kind}_mb"] = len(content) / 1e6
        ids[kind] = r.json()["id"]
    body = {"plans": [{"name": PLAN_NAME}], "period": period, "datasets": ids}
    t = time.perf_counter()
    r = client.post("/runs", json=body, headers={"Idempotency-Key": f"bench-{time.time_ns()}"})
    r.raise_for_status()
    out["post_runs_s"] = time.perf_counter() - t
    run_id = r.json()["id"]
    while (state := client.get(f"/runs/{run_id}").json())["status"] not in ("succeeded", "failed"):
        time.sleep(0.05)
    out["run_s"] = time.perf_counter() - t
    if state["status"] != "succeeded":
        raise SystemExit(f"the run failed: {state['problems']}")
    created, finished = (dt.datetime.fromisoformat(state[k]) for k in ("created_at", "finished_at"))
    out["run_server_s"] = (finished - created).total_seconds()
    t = time.perf_counter()
    r = client.get(f"/runs/{run_id}/payouts", params={"format": "csv"})
    r.raise_for_status()
    out["payouts_csv_s"] = time.perf_counter() - t
    rows = list(csv.DictReader(io.StringIO(r.text)))
    out["earned"] = {row["payee"]: Decimal(row["earned"]) for row in rows}
    out["paid"] = {row["payee"]: Decimal(row["paid"]) for row in rows}
    return out


def cli_run(args: list[str], output: Path) -> dict[str, Any]:
    """One `python -m incentives.cli run ...` process, from start to exit, and its peak resident memory."""
    t = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "incentives.cli", "run", *args, "-o", str(output)], cwd=ROOT,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"the CLI failed (exit {code}): {process.stderr.read().decode(errors='replace')}")
    process.stderr.close()
    return {"s": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}


def totals(path: Path, column: str) -> dict[str, Decimal]:
    with path.open(encoding="utf-8") as f:
        return {row["payee"]: Decimal(row[column]) for row in csv.DictReader(f)}


def mismatches(a: dict[str, Decimal], b: dict[str, Decimal]) -> int:
    return sum(1 for k in a.keys() | b.keys() if a.get(k) != b.get(k))


# ---------------------------------------------------------------- (b) /calculate under load

def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest rank."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


async def calculate_load(url: str, token: str, requests: int, clients: int, people: int,
                         seed: int) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    bookings = [Decimal(rng.randrange(0, 20_000_000)) / 100 for _ in range(requests)]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=60, trust_env=False) as client:
        latencies: list[float] = []
        wrong: list[str] = []
        next_index = 0

        async def one(i: int) -> None:
            body = {"plan": PLAN_NAME, "period": "2027-01", "payee": f"P{i % people:05d}",
                    "values": {"bookings": format(bookings[i], "f")}}
            t = time.perf_counter()
            try:
                r = await client.post("/calculate", json=body)
            except httpx.TransportError as e:  # counted and reported, not retried
                latencies.append(time.perf_counter() - t)
                wrong.append(f"{i}: {type(e).__name__} {e}")
                return
            latencies.append(time.perf_counter() - t)
            expected = (bookings[i] * RATE).quantize(CENT, ROUND_HALF_UP)
            if r.status_code != 200 or Decimal(r.json()["total"]) != expected:
                wrong.append(f"{i}: {r.status_code} {r.text[:200]}")

        async def worker(count: int) -> None:
            nonlocal next_index
            while next_index < count:
                i, next_index = next_index, next_index + 1
                await one(i)

        async def timed(count: int, concurrency: int) -> tuple[list[float], float]:
            nonlocal next_index
            latencies.clear()
            next_index = 0
            t = time.perf_counter()
            await asyncio.gather(*(worker(count) for _ in range(concurrency)))
            return sorted(latencies), time.perf_counter() - t

        await timed(min(200, requests), clients)  # warm-up: connections opened, the plan compiled and cached
        alone, alone_s = await timed(min(200, requests), 1)
        loaded, loaded_s = await timed(requests, clients)
    return {"alone": {"requests": len(alone), "p50_ms": percentile(alone, 50) * 1e3,
                      "p99_ms": percentile(alone, 99) * 1e3, "rps": len(alone) / alone_s},
            "loaded": {"requests": len(loaded), "clients": clients, "p50_ms": percentile(loaded, 50) * 1e3,
                       "p99_ms": percentile(loaded, 99) * 1e3, "max_ms": loaded[-1] * 1e3,
                       "mean_ms": sum(loaded) / len(loaded) * 1e3, "rps": len(loaded) / loaded_s,
                       "wall_s": loaded_s},
            "wrong": len(wrong), "first_wrong": wrong[:3]}


# ---------------------------------------------------------------- report

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--deals", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="1,000 people and 100,000 deals")
    ap.add_argument("--period", default="2027-01")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--requests", type=int, default=2000, help="POST /calculate requests under load")
    ap.add_argument("--clients", type=int, default=50, help="concurrent clients for POST /calculate")
    ap.add_argument("--no-run", action="store_true", help="skip (a), the period run")
    ap.add_argument("--no-calculate", action="store_true", help="skip (b), POST /calculate under load")
    ap.add_argument("--json", type=Path, help="also write every figure here as JSON")
    args = ap.parse_args()
    if args.quick:
        args.people, args.deals = 1_000, 100_000
    started = time.perf_counter()
    figures: dict[str, Any] = {"people": args.people, "deals": args.deals, "period": args.period, "seed": args.seed,
                               "python": platform.python_version(), "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp_:
        tmp = Path(tmp_)
        plan, people, deals, db = tmp / "bench_service.plan", tmp / "people.csv", tmp / "deals.csv", tmp / "svc.db"
        plan.write_text(PLAN, encoding="utf-8")
        t = time.perf_counter()
        write_people(people, args.people)
        write_deals(deals, args.deals, args.people, random.Random(args.seed))
        say(f"generated {args.people:,} people and {args.deals:,} deals ({deals.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - t:.1f} s")
        store = Store(db)
        token = store.create_token("admin", actor="bench")
        store.close()
        server = Server(db, tmp / "server.log")
        try:
            server.wait_ready()
            say(f"server up at {server.url}")
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=3600,
                              trust_env=False) as client:
                if args.no_run:
                    r = client.post("/plans", json={"text": PLAN, "file": "bench_service.plan"})
                    r.raise_for_status()
                else:
                    say("(a) API: uploading the plan and datasets, then POST /runs")
                    api = api_run(client, PLAN, people, deals, args.period)
                    api["server_peak_rss_mb"] = peak_rss_mb(server.process.pid)
                    figures["api"] = {k: v for k, v in api.items() if k not in ("earned", "paid")}
                    say(f"(a) API run {api['run_s']:.1f} s")
                    common = ["--people", str(people), "--deals", str(deals), "--period", args.period]
                    cli = {}
                    for label, extra, out_name in (("c1", [], "c1.csv"),
                                                   ("c2", ["--ledger", str(tmp / "cli2.db")], "c2.csv"),
                                                   ("c3", ["--ledger", str(tmp / "cli3.db"), "--explain"],
                                                    "c3.txt")):
                        fmt = ["--format", "csv"] if out_name.endswith(".csv") else []
                        say(f"(a) CLI {label}")
                        before = cpu_seconds(server.process.pid)
                        cli[label] = cli_run([str(plan), *common, *extra, *fmt], tmp / out_name)
                        cli[label]["server_cpu_s"] = cpu_seconds(server.process.pid) - before
                        say(f"(a) CLI {label} {cli[label]['s']:.1f} s")
                    cli["c1"]["mismatches"] = mismatches(api["earned"], totals(tmp / "c1.csv", "total"))
                    cli["c2"]["mismatches"] = mismatches(api["paid"], totals(tmp / "c2.csv", "paid"))
                    figures["cli"] = cli
                    figures["payees"] = len(api["earned"])
                    figures["sum_paid"] = format(sum(api["paid"].values(), Decimal(0)), "f")
            if not args.no_calculate:
                say(f"(b) POST /calculate: {args.requests:,} requests, {args.clients} clients")
                figures["calculate"] = asyncio.run(calculate_load(server.url, token, args.requests, args.clients,
                                                                  args.people, args.seed))
                if figures["calculate"]["wrong"]:
                    tail = server.log.read_text(errors="replace").splitlines()[-15:]
                    say("the server's log ends:\n" + "\n".join(tail))
        finally:
            server.stop()
    figures["total_s"] = time.perf_counter() - started
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def report(f: dict[str, Any]) -> None:
    print(f"{f['people']:,} people, {f['deals']:,} deals, period {f['period']}, seed {f['seed']}; "
          f"CPython {f['python']}, {f['cores']} cores")
    if "api" in f:
        api, cli = f["api"], f["cli"]
        print(f"\n(a) a period run: {f['payees']:,} payees, {f['sum_paid']} USD paid in all")
        print(f"  upload plan                     {api['upload_plan_s']:8.2f} s")
        for kind in ("people", "deals"):
            print(f"  upload {kind:<8} {api[f'upload_{kind}_mb']:7.1f} MB      {api[f'upload_{kind}_s']:8.2f} s"
                  "   (checked whole before it is stored)")
        print(f"  API  POST /runs until succeeded {api['run_s']:8.2f} s   (server: created to finished "
              f"{api['run_server_s']:.2f} s; server peak RSS {api['server_peak_rss_mb'] or 0:,.0f} MB)")
        print(f"  of which POST /runs answered in {api['post_runs_s']:8.2f} s")
        print(f"  GET payouts (CSV)               {api['payouts_csv_s']:8.2f} s")
        rows = (("c1", "CLI  run --period (no ledger)  "), ("c2", "CLI  run --period --ledger     "),
                ("c3", "CLI  ... --ledger --explain    "))
        for key, label in rows:
            c = cli[key]
            check = f", {c['mismatches']} mismatches" if "mismatches" in c else ""
            print(f"  {label} {c['s']:8.2f} s   API run / CLI = {api['run_s'] / c['s']:5.2f}  "
                  f"(peak RSS {c['peak_rss_mb']:,.0f} MB{check}, idle server {c['server_cpu_s']:.2f} s CPU)")
        uploads = api["upload_people_s"] + api["upload_deals_s"] + api["upload_plan_s"]
        print(f"  API uploads + run / CLI c1 = {(uploads + api['run_s']) / cli['c1']['s']:.2f}")
    if "calculate" in f:
        c = f["calculate"]
        a, lo = c["alone"], c["loaded"]
        print("\n(b) POST /calculate")
        print(f"  1 client, {a['requests']} requests:   p50 {a['p50_ms']:7.2f} ms  p99 {a['p99_ms']:7.2f} ms  "
              f"{a['rps']:7.1f} req/s")
        print(f"  {lo['clients']} clients, {lo['requests']:,} requests: p50 {lo['p50_ms']:7.2f} ms  "
              f"p99 {lo['p99_ms']:7.2f} ms  max {lo['max_ms']:7.1f} ms  {lo['rps']:7.1f} req/s "
              f"({lo['wall_s']:.1f} s)")
        shown = f" {c['first_wrong']}" if c["wrong"] else ""
        print(f"  wrong answers or failed requests (all passes): {c['wrong']}{shown}")
    print(f"\nwhole run {f['total_s']:.0f} s")


if __name__ == "__main__":
    main()
