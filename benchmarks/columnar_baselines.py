#!/usr/bin/env python
"""Data generators and hand-written baselines for the columnar evaluator benchmark (not a test).

Nothing here is asserted and nothing runs at import: a benchmark imports these
functions and times them beside the engine in the same process.

Workload W (`make_w`): payees with `id`, `revenue` (decimal128(18,2), lognormal
around 80,000), `quota` (100,000.00 for all) and `team` (teams of 10).  0.5% of
payees each have revenue 0, 50,000.00, 100,000.00 and 150,000.00, so every band
edge is hit.  W pays marginal commission on revenue: 5% on 0-50% of quota, 8% on
50-100%, 12% on 100-150%, 15% above; each band's amount rounded half-up to the
cent on its own (`rounding half_up at line`), summed, then capped at 30,000.00.
The team variant adds a second component: +2,000.00 to each member of a team
whose summed revenue is at least its summed quota; total = commission + bonus.

  w_float64 / w_team_float64  the formulas as a plan designer writes them in a
      notebook: numpy float64, np.clip for band portions, np.round(x, 2) for
      cents.  numpy rounds half to even and binary floats are inexact, so some
      payees come out a cent off.  That is the point: it is not fixed here.
  w_decimal / w_team_decimal  the exact reference: a plain loop over
      decimal.Decimal (prec=34, each band quantized ROUND_HALF_UP to 0.01).
  mismatches(a, b)  how many payees differ, compared as integer cents.

Sales workload (`make_sales`): reps in teams of 10 plus one manager per team
(a separate person; managers have no manager), deals owned by reps (95% won,
5% lost, dated in 2026-Q1) and split rows (60/40 to the owner and a teammate) for
10% of deals.  `write_sales_csv` writes people.csv, deals.csv and splits.csv.

  sales_polars  a hand-written polars pipeline: credit each won deal to its
      owner (share 1) or, if it has split rows, to the split people at their
      shares; roll every credited row up to the person's manager; sum per person
      exactly (integer units of 1e-4 USD); then W's marginal bands on credited
      revenue against quota, half-up to the cent in integers, capped at
      SALES_CAP.  Returns the commission in integer cents.

Contest data (`make_contest`): id, team, revenue for a "top 10 by revenue"
contest, with ties placed at the top and across the prize cut-off.

    python benchmarks/columnar_baselines.py                    # 100,000 payees; 1,000,000 deals
    python benchmarks/columnar_baselines.py --payees 1000000 --csv /tmp/sales
"""

from __future__ import annotations

import argparse
import gc
import itertools
import resource
import time
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from pathlib import Path

import numpy as np
import pyarrow as pa

MONEY = pa.decimal128(18, 2)
SHARE = pa.decimal128(5, 2)
SEED = 20261215

# ---- arrow helpers -----------------------------------------------------------
def money_array(cents: np.ndarray, type_: pa.DataType = MONEY) -> pa.Array:
    """A decimal128 array from int64 unscaled values (cents for MONEY), built from its 16-byte words."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension of the low word
    return pa.Array.from_buffers(type_, len(cents), [None, pa.py_buffer(words)])


def money_cents(column) -> np.ndarray:
    """int64 cents of a decimal column (Array or ChunkedArray, no nulls), read from its buffer."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if arr.type != MONEY:
        arr = arr.cast(MONEY)  # a safe cast: raises rather than drop digits
    if arr.null_count:
        raise ValueError("money column has nulls")
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64).reshape(-1, 2)
    return words[arr.offset:arr.offset + len(arr), 0].copy()


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    return pa.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], pa.string())


def _lognormal_cents(rng: np.random.Generator, mean: float, n: int, sigma: float = 0.5) -> np.ndarray:
    return np.rint(rng.lognormal(np.log(mean), sigma, n) * 100).astype(np.int64)


# ---- workload W --------------------------------------------------------------
def make_w(n: int, seed: int = SEED) -> pa.Table:
    """W payees: 0.5% each at revenue 0, 50,000.00, 100,000.00 and 150,000.00; the rest lognormal."""
    rng = np.random.default_rng(seed)
    revenue = _lognormal_cents(rng, 80_000, n)
    k = min(n // 4, max(1, round(n * 0.005)))
    special = rng.permutation(n)[:4 * k]
    for j, cents in enumerate((0, 5_000_000, 10_000_000, 15_000_000)):
        revenue[special[j * k:(j + 1) * k]] = cents
    return pa.table({
        "id": _ids("p", n, 7),
        "revenue": money_array(revenue),
        "quota": money_array(np.full(n, 10_000_000, dtype=np.int64)),
        "team": _ids("t", -(-n // 10), 6).take(pa.array(np.arange(n) // 10)),
    })


def team_codes(column) -> np.ndarray:
    """Integer codes (0..teams-1) of a string column, for np.bincount."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return arr.dictionary_encode().indices.to_numpy().astype(np.intp)


def w_inputs_float64(table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(revenue, quota, team codes) as a notebook would hold them: float64 dollars (cents / 100)."""
    return (money_cents(table["revenue"]) / 100.0, money_cents(table["quota"]) / 100.0,
            team_codes(table["team"]))


def w_inputs_decimal(table: pa.Table) -> tuple[list[Decimal], list[Decimal], list[str]]:
    """(revenue, quota, team) as Python lists of Decimal (2 places) and str."""
    return table["revenue"].to_pylist(), table["quota"].to_pylist(), table["team"].to_pylist()


def w_float64(revenue: np.ndarray, quota) -> np.ndarray:
    """W commission in float64 dollars, written as a plan designer would (half-to-even, inexact)."""
    revenue = np.asarray(revenue, dtype=np.float64)
    quota = np.broadcast_to(np.asarray(quota, dtype=np.float64), revenue.shape)
    band1 = np.clip(revenue, 0, 0.5 * quota)
    band2 = np.clip(revenue - 0.5 * quota, 0, 0.5 * quota)
    band3 = np.clip(revenue - quota, 0, 0.5 * quota)
    band4 = np.clip(revenue - 1.5 * quota, 0, None)
    commission = (np.round(band1 * 0.05, 2) + np.round(band2 * 0.08, 2)
                  + np.round(band3 * 0.12, 2) + np.round(band4 * 0.15, 2))
    return np.minimum(commission, 30_000.0)


def w_team_float64(revenue: np.ndarray, quota, team: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(commission, team bonus, total) in float64; team is an integer code per payee."""
    revenue = np.asarray(revenue, dtype=np.float64)
    quota = np.broadcast_to(np.asarray(quota, dtype=np.float64), revenue.shape)
    commission = w_float64(revenue, quota)
    team_revenue = np.bincount(team, weights=revenue)
    team_quota = np.bincount(team, weights=quota)
    bonus = np.where((team_revenue >= team_quota)[team], 2_000.0, 0.0)
    return commission, bonus, commission + bonus


CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HALF, ONE, ONE_AND_HALF = Decimal("0.5"), Decimal(1), Decimal("1.5")
R1, R2, R3, R4 = Decimal("0.05"), Decimal("0.08"), Decimal("0.12"), Decimal("0.15")
W_CAP = Decimal("30000.00")
TEAM_BONUS = Decimal("2000.00")
DECIMAL_CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)


def _quotas(quota):
    """One quota for everyone (Decimal, int or str), or one per payee (a list of Decimal)."""
    return itertools.repeat(Decimal(quota)) if isinstance(quota, (Decimal, int, str)) else quota


def w_decimal(revenue: list[Decimal], quota) -> list[Decimal]:
    """W commission, exact: each band quantized ROUND_HALF_UP to cents, summed, capped at 30,000.00."""
    out = []
    with localcontext(DECIMAL_CONTEXT):
        for r, q in zip(revenue, _quotas(quota)):
            b1, b2, b3 = q * HALF, q * ONE, q * ONE_AND_HALF
            if r <= 0:
                out.append(ZERO)
                continue
            amount = ((r if r < b1 else b1) * R1).quantize(CENT, ROUND_HALF_UP)
            if r > b1:
                amount += (((r if r < b2 else b2) - b1) * R2).quantize(CENT, ROUND_HALF_UP)
                if r > b2:
                    amount += (((r if r < b3 else b3) - b2) * R3).quantize(CENT, ROUND_HALF_UP)
                    if r > b3:
                        amount += ((r - b3) * R4).quantize(CENT, ROUND_HALF_UP)
            out.append(W_CAP if amount > W_CAP else amount)
    return out


def w_team_decimal(revenue: list[Decimal], quota, team: list) -> tuple[list[Decimal], list[Decimal], list[Decimal]]:
    """(commission, team bonus, total), exact; team is any hashable key per payee."""
    commission = w_decimal(revenue, quota)
    sums: dict = {}
    with localcontext(DECIMAL_CONTEXT):
        for r, q, t in zip(revenue, _quotas(quota), team):
            s = sums.get(t)
            sums[t] = [r, q] if s is None else [s[0] + r, s[1] + q]
        made = {t: s[0] >= s[1] for t, s in sums.items()}
        bonus = [TEAM_BONUS if made[t] else ZERO for t in team]
        total = [c + b for c, b in zip(commission, bonus)]
    return commission, bonus, total


def to_cents(values) -> np.ndarray:
    """int64 cents: float arrays are dollars (rounded to the nearest cent), integer arrays are cents
    already, decimal arrow columns and sequences of Decimal are exact."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return money_cents(values)
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return np.rint(values * 100).astype(np.int64)
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return values.astype(np.int64)
    return np.fromiter((int(Decimal(v).scaleb(2).to_integral_value(ROUND_HALF_UP)) for v in values),
                       dtype=np.int64, count=len(values))


def mismatches(a, b) -> int:
    """How many payees' amounts differ, compared as integer cents."""
    ca, cb = to_cents(a), to_cents(b)
    if len(ca) != len(cb):
        raise ValueError(f"lengths differ: {len(ca)} and {len(cb)}")
    return int(np.count_nonzero(ca != cb))


# ---- sales workload ----------------------------------------------------------

# The sales commission cap: a plan compared with sales_polars must use it.  Set for the default ~100 deals
# per rep (quotas scale with deals per rep, the cap does not): about 8% of reps and every manager are capped.
SALES_CAP = Decimal("200000.00")
Q1_START, Q1_DAYS = np.datetime64("2026-01-01", "D"), 90


def make_sales(n_deals: int = 1_000_000, n_people: int = 10_000, seed: int = SEED) -> dict[str, pa.Table]:
    """people, deals and splits.  n_people is the number of reps (a multiple of 10); one manager per
    team of 10 is added (id m000001..., team's code, empty manager), so there are n_people * 1.1 people.

    Quotas: a rep's is the expected credited revenue per rep (n_deals * 95% * mean amount / n_people)
    times a lognormal factor (sigma 0.3), in whole dollars; a manager's is the sum of their reps'."""
    if n_people <= 0 or n_people % 10:
        raise ValueError("n_people (the reps) must be a positive multiple of 10")
    rng, n_teams, rep_team = np.random.default_rng(seed), n_people // 10, np.arange(n_people) // 10
    teams, managers, reps = _ids("t", n_teams, 6), _ids("m", n_teams, 6), _ids("p", n_people, 7)
    expected = n_deals * 0.95 * 20_000 * np.exp(0.5 ** 2 / 2) / n_people
    rep_quota = np.rint(expected * rng.lognormal(0.0, 0.3, n_people)).astype(np.int64) * 100
    mgr_quota = np.bincount(rep_team, weights=rep_quota, minlength=n_teams).astype(np.int64)
    people = pa.table({
        "id": pa.concat_arrays([reps, managers]),
        "team": pa.concat_arrays([teams.take(pa.array(rep_team)), teams]),
        "manager": pa.concat_arrays([managers.take(pa.array(rep_team)), pa.array([""] * n_teams, pa.string())]),
        "quota": money_array(np.concatenate([rep_quota, mgr_quota])),
    })
    owner = rng.integers(0, n_people, n_deals)
    amount = np.maximum(_lognormal_cents(rng, 20_000, n_deals), 1)
    date = Q1_START + rng.integers(0, Q1_DAYS, n_deals).astype("timedelta64[D]")
    won = rng.random(n_deals) < 0.95
    deal_ids = _ids("d", n_deals, 8)
    deals = pa.table({
        "id": deal_ids,
        "owner": reps.take(pa.array(owner)),
        "amount": money_array(amount),
        "date": pa.array(date, pa.date32()),
        "status": pa.array(["lost", "won"], pa.string()).take(pa.array(won.astype(np.int8))),
    })
    split = np.sort(rng.choice(n_deals, size=n_deals // 10, replace=False))
    first = owner[split]
    other = rep_team[first] * 10 + (first % 10 + rng.integers(1, 10, len(split))) % 10
    person = np.column_stack([first, other]).ravel()
    splits = pa.table({
        "deal": deal_ids.take(pa.array(np.repeat(split, 2))),
        "person": reps.take(pa.array(person)),
        "share": money_array(np.tile(np.array([60, 40], dtype=np.int64), len(split)), SHARE),
        "kind": pa.array(["split"] * (2 * len(split)), pa.string()),
    })
    return {"people": people, "deals": deals, "splits": splits}


def write_sales_csv(tables: dict[str, pa.Table], folder) -> dict[str, Path]:
    """Write people.csv, deals.csv and splits.csv into folder (created if need be); returns the paths."""
    import pyarrow.csv as pcsv
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.csv" for name in tables}
    for name, table in tables.items():
        pcsv.write_csv(table, paths[name], pcsv.WriteOptions(quoting_style="needed"))  # strings are quoted
    return paths


def sales_polars(tables: dict[str, pa.Table], cap=SALES_CAP):
    """Per person: credited_revenue (exact Decimal, 4 places), deal_count (credited rows, roll-up rows
    included: a split deal inside one team counts twice for its manager), quota, and commission_cents
    (int64): W's bands (5/8/12/15% at 0/50/100/150% of quota), each half-up to the cent, capped.

    Amounts are held as integers: cents * whole-percent share = units of 1e-4 USD, so split shares must
    be whole percents, and a deal's split rows must add up to 100% (the owner keeps no remainder), as
    generated.  One roll-up level: each person's direct manager."""
    import polars as pl
    cap_cents = int(Decimal(cap).scaleb(2))
    people = pl.from_arrow(tables["people"]).lazy()
    won = (pl.from_arrow(tables["deals"]).lazy()
           .filter(pl.col("status") == "won")
           .select(pl.col("id").alias("deal"), "owner", (pl.col("amount") * 100).cast(pl.Int64).alias("cents")))
    splits = (pl.from_arrow(tables["splits"]).lazy()
              .filter(pl.col("kind") == "split")
              .select("deal", "person", (pl.col("share") * 100).cast(pl.Int64).alias("pct"),
                      (pl.col("share") * 100 % 1 != 0).alias("odd")))
    if splits.select(pl.col("odd").any()).collect().item():
        raise ValueError("sales_polars needs split shares in whole percents")
    owned = (won.join(splits.select("deal").unique(), on="deal", how="anti")
             .select(pl.col("owner").alias("person"), (pl.col("cents") * 100).alias("units")))
    shared = (won.join(splits, on="deal", how="inner")
              .select("person", (pl.col("cents") * pl.col("pct")).alias("units")))
    direct = pl.concat([owned, shared])
    bosses = (people.filter(pl.col("manager").is_not_null() & (pl.col("manager") != ""))
              .select(pl.col("id").alias("person"), "manager"))
    rolled = direct.join(bosses, on="person", how="inner").select(pl.col("manager").alias("person"), "units")
    per = (pl.concat([direct, rolled]).group_by("person")
           .agg(pl.col("units").sum().alias("units"), pl.len().cast(pl.Int64).alias("deal_count")))
    rev = pl.col("units")
    q = pl.col("quota_cents")  # a band edge at k% of quota is quota_cents * k units of 1e-4 USD
    bands = [rev.clip(0, q * 50), (rev - q * 50).clip(0, q * 50), (rev - q * 100).clip(0, q * 50),
             (rev - q * 150).clip(0, None)]
    # portion (1e-4 USD) * rate (%) = 1e-6 USD; + 5,000 then // 10,000 rounds half up to cents
    commission = pl.sum_horizontal([(b * rate + 5_000) // 10_000 for b, rate in zip(bands, (5, 8, 12, 15))])
    return (people.select("id", "team", "manager", "quota",
                          (pl.col("quota") * 100).cast(pl.Int64).alias("quota_cents"))
            .join(per, left_on="id", right_on="person", how="left", maintain_order="left")
            .with_columns(pl.col("units").fill_null(0), pl.col("deal_count").fill_null(0))
            .with_columns((pl.col("units").cast(pl.Decimal(38, 4)) / 10_000).alias("credited_revenue"),
                          pl.min_horizontal(commission, pl.lit(cap_cents)).alias("commission_cents"))
            .select("id", "team", "manager", "quota", "credited_revenue", "deal_count", "commission_cents",
                    pl.col("units").alias("credited_units"))
            .collect())


# ---- contest data ------------------------------------------------------------
def make_contest(n: int, seed: int = SEED) -> pa.Table:
    """id, team (teams of 10), revenue (decimal128(18,2), lognormal around 80,000).  About 1% of payees
    are rounded to whole thousands (ties), the top two are tied, and 10th and 11th place are tied, so
    ties at the top and across the prize cut-off are exercised."""
    rng = np.random.default_rng(seed)
    revenue = _lognormal_cents(rng, 80_000, n)
    some = rng.random(n) < 0.01
    revenue[some] = np.rint(revenue[some] / 100_000).astype(np.int64) * 100_000
    order = np.argsort(-revenue, kind="stable")
    if n >= 2:
        revenue[order[1]] = revenue[order[0]]
    if n >= 11:
        revenue[order[10]] = revenue[order[9]]
    return pa.table({
        "id": _ids("p", n, 7),
        "team": _ids("t", -(-n // 10), 6).take(pa.array(np.arange(n) // 10)),
        "revenue": money_array(revenue),
    })


# ---- report ------------------------------------------------------------------
def timed(fn, repeat: int = 1):
    """Best wall time of `repeat` runs (gc.collect before each) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--payees", type=int, default=100_000, help="W and contest payees (default 100,000)")
    ap.add_argument("--deals", type=int, default=1_000_000, help="sales deals (default 1,000,000)")
    ap.add_argument("--people", type=int, default=10_000, help="sales reps, a multiple of 10 (default 10,000)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--repeat", type=int, default=3, help="best of N for the fast passes (default 3)")
    ap.add_argument("--csv", metavar="DIR", help="also write the sales tables as CSV into DIR")
    ap.add_argument("--no-sales", action="store_true", help="skip the sales workload")
    args = ap.parse_args()
    n = args.payees

    s, table = timed(lambda: make_w(n, args.seed))
    print(f"make_w({n:,}): {s:.2f} s")
    s_f, (rev_f, quota_f, codes) = timed(lambda: w_inputs_float64(table))
    s_d, (rev_d, quota_d, team_d) = timed(lambda: w_inputs_decimal(table))
    print(f"  inputs: float64 {s_f:.3f} s, Decimal lists {s_d:.2f} s")
    out, rows = {}, [("w_float64", args.repeat, lambda: w_float64(rev_f, quota_f)),
                     ("w_decimal", 1, lambda: w_decimal(rev_d, quota_d)),
                     ("w_team_float64", args.repeat, lambda: w_team_float64(rev_f, quota_f, codes)),
                     ("w_team_decimal", 1, lambda: w_team_decimal(rev_d, quota_d, team_d))]
    for name, repeat, fn in rows:
        s, out[name] = timed(fn, repeat)
        print(f"  {name:15} {s:8.3f} s  {n / s:>14,.0f} payees/s")
    diff = np.abs(to_cents(out["w_float64"]) - to_cents(out["w_decimal"]))
    print(f"  mismatches float64 vs Decimal, commission: {np.count_nonzero(diff):,} of {n:,} "
          f"(largest difference {diff.max() if n else 0} cent)")
    for i, part in enumerate(("commission", "bonus", "total")):
        print(f"  team variant, {part:10}: {mismatches(out['w_team_float64'][i], out['w_team_decimal'][i]):,}")
    exact = to_cents(out["w_decimal"])
    print(f"  W sum of commission {exact.sum() / 100:,.2f}; zero {np.count_nonzero(exact == 0):,}; "
          f"capped {np.count_nonzero(exact == 3_000_000):,}")
    out = rows = rev_d = quota_d = team_d = None  # free the Decimal lists before the next workloads

    s, contest = timed(lambda: make_contest(n, args.seed))
    print(f"make_contest({n:,}): {s:.2f} s, {contest.num_rows:,} rows")

    if not args.no_sales:
        s, tables = timed(lambda: make_sales(args.deals, args.people, args.seed))
        print(f"make_sales({args.deals:,} deals, {args.people:,} reps): {s:.2f} s; "
              + ", ".join(f"{k} {t.num_rows:,}" for k, t in tables.items()))
        if args.csv:
            s, paths = timed(lambda: write_sales_csv(tables, args.csv))
            print(f"  CSV written to {args.csv} in {s:.2f} s: "
                  + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in paths.values()))
        s, result = timed(lambda: sales_polars(tables), max(1, args.repeat - 1))
        cents = result["commission_cents"].to_numpy()
        is_mgr = (result["manager"] == "").to_numpy()
        cap = int(SALES_CAP.scaleb(2))
        print(f"  sales_polars {s:.3f} s ({args.deals / s:,.0f} deals/s); {result.height:,} people, "
              f"{result['deal_count'].sum():,} credited rows; commission {cents.sum() / 100:,.2f}; capped: "
              f"reps {np.count_nonzero(cents[~is_mgr] == cap):,}, managers {np.count_nonzero(cents[is_mgr] == cap):,}")
    print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
