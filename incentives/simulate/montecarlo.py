"""Monte Carlo: the cost of a plan over many simulated periods, seeded and reproducible.

Each draw gives every payee an attainment (revenue over quota) from a distribution: a lognormal
fitted to the data's attainments (by the mean and spread of their logarithms), a beta fitted by its
moments (attainment over the largest seen), a bootstrap (the data's own attainments, drawn with
replacement), or a lognormal given as `lognormal:MU,SIGMA`.  Revenue is then quota x attainment,
rounded to the cent as data would be, and the plan pays the period exactly.  N draws give the
expected cost, P50, P90 and the chance of going over a budget.

Payees do not depend on each other in a person-level plan, so many draws run as one columnar table
(a draw's payees are its own rows): the draws cost little more than the rows they add up to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from incentives.errors import DataError, Problem

from ..columnar.tables import decimal_array, decimal_ints

ZERO = Decimal(0)


@dataclass
class Distribution:
    kind: str  # lognormal, beta, bootstrap
    a: float = 0.0
    b: float = 0.0
    sample: np.ndarray | None = None
    top: float = 1.0

    def describe(self) -> str:
        if self.kind == "lognormal":
            return f"lognormal (mu {self.a:.4f}, sigma {self.b:.4f})"
        if self.kind == "beta":
            return f"beta (alpha {self.a:.3f}, beta {self.b:.3f}) x {self.top:.3f}"
        return f"bootstrap of {len(self.sample)} attainments"

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.kind == "lognormal":
            return rng.lognormal(self.a, self.b, size)
        if self.kind == "beta":
            return rng.beta(self.a, self.b, size) * self.top
        return rng.choice(self.sample, size=size, replace=True)


def fit(kind: str, attainments: list[float]) -> Distribution:
    """A distribution from the data's attainments (`lognormal`, `beta`, `bootstrap`) or given
    (`lognormal:MU,SIGMA`)."""
    if kind.startswith("lognormal:"):
        try:
            mu, sigma = (float(x) for x in kind.split(":", 1)[1].split(","))
        except ValueError:
            raise DataError([Problem(f"--distribution {kind}: expected lognormal:MU,SIGMA", code="data",
                                     field="distribution")]) from None
        return Distribution("lognormal", mu, sigma)
    xs = np.asarray([x for x in attainments if x > 0], dtype=float)
    if len(xs) < 2:
        raise DataError([Problem(f"--distribution {kind}: fitting needs at least two payees with revenue and quota "
                                 f"above 0; give one (lognormal:MU,SIGMA)", code="data", field="distribution")])
    if kind == "lognormal":
        logs = np.log(xs)
        return Distribution("lognormal", float(logs.mean()), float(logs.std(ddof=1)))
    if kind == "bootstrap":
        return Distribution("bootstrap", sample=xs)
    if kind == "beta":
        top = float(xs.max()) * 1.0001
        u = xs / top
        m, v = float(u.mean()), float(u.var(ddof=1))
        common = m * (1 - m) / v - 1 if v > 0 else 1.0
        return Distribution("beta", max(m * common, 1e-3), max((1 - m) * common, 1e-3), top=top)
    raise DataError([Problem(f"--distribution {kind}: expected lognormal, beta, bootstrap or lognormal:MU,SIGMA",
                             code="data", field="distribution")])


@dataclass
class MonteCarlo:
    draws: int
    seed: int
    distribution: str
    costs: list[Decimal]
    budget: Decimal | None
    clipped: int = 0  # drawn revenues moved to the end of the input's declared range

    def percentile(self, p: float) -> Decimal:
        ordered = sorted(self.costs)
        return ordered[max(0, int(np.ceil(p / 100 * len(ordered))) - 1)]

    @property
    def expected(self) -> Decimal:
        return sum(self.costs, ZERO) / len(self.costs)

    @property
    def chance_over_budget(self) -> float | None:
        if self.budget is None:
            return None
        return sum(1 for c in self.costs if c > self.budget) / len(self.costs)


def monte_carlo(people: pa.Table, revenue: str, quota: str, dist: Distribution, draws: int, seed: int,
                run: Callable[[pa.Table], pa.Table], batched: bool, budget: Decimal | None = None,
                progress: Callable[[int], None] | None = None, batch_rows: int = 2_000_000,
                limits: tuple[Decimal, Decimal] | None = None) -> MonteCarlo:
    """`run(table) -> amounts table`; batched: many draws in one table (payees independent).
    limits: the revenue input's declared range: a drawn revenue outside it is moved to its end (the
    plan says no revenue lies beyond it), and how many were is counted (`clipped`)."""
    if draws < 1:
        raise DataError([Problem("--draws: at least 1", code="data", field="draws")])
    n = people.num_rows
    rng = np.random.default_rng(seed)
    q = people.column(quota).cast(pa.float64()).to_numpy(zero_copy_only=False)
    per_batch = max(1, batch_rows // max(n, 1)) if batched else 1
    costs: list[Decimal] = []
    done = clipped = 0
    base = people.drop_columns([revenue]) if revenue in people.column_names else people
    while done < draws:
        k = min(per_batch, draws - done)
        att = dist.draw(rng, k * n)
        cents = np.round(np.tile(q, k) * att * 100)
        if limits is not None:
            lo, hi = float(limits[0] * 100), float(limits[1] * 100)
            clipped += int(np.count_nonzero((cents < lo) | (cents > hi)))
            cents = np.clip(cents, lo, hi)
        cents = cents.astype(np.int64)
        table = pa.concat_tables([base] * k) if k > 1 else base
        if k > 1:  # each draw's payees their own rows: ids made unique by Arrow's own cast (no Python strings)
            ids = pc.cast(pa.array(np.arange(k * n, dtype=np.int64)), pa.string())
            table = table.set_column(table.column_names.index("id"), "id", ids)
        table = table.append_column(revenue, decimal_array(cents, 2))
        totals = run(table).column("total").combine_chunks()
        ints, scale, odd = decimal_ints(totals)
        if odd.any() or (n and int(np.abs(ints).max()) * n >= 2 ** 62):  # sums past int64: exactly, one by one
            costs.extend(Decimal(pc.sum(totals.slice(j * n, n)).as_py() or 0) for j in range(k))
        else:
            costs.extend(Decimal(int(s)).scaleb(-scale) for s in ints.reshape(k, n).sum(axis=1))
        done += k
        if progress is not None:
            progress(k)
    return MonteCarlo(draws, seed, dist.describe(), costs, budget, clipped)
