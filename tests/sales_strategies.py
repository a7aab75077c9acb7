"""Strategies and small builders for the sales-data tests (deals, crediting, contests, pools).

Data files are written the way a comp admin's export looks (CSV with a header;
shares as `60%` or `0.6`), and plans are compiled from text.  In-memory
`Sales` objects skip the files where a property runs many examples.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from incentives import compile_text
from incentives.sales.population import Population
from incentives.sales.records import OPTIONAL_DEAL, Person, Sales, load_sales
from incentives.engine.tiers import Band

D = Decimal
CENT = D("0.01")
#: a share is a fraction with at most 6 decimals: a percentage with up to 4 decimals (33.3333%)
SHARE_UNIT = 10**6


# ---- files and runs ---------------------------------------------------------------------------


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if x is None else x for x in row])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def load(plan, people: Path, deals: Path | None = None, splits: Path | None = None, mappings=None) -> Sales:
    """Load sales data for a plan as the CLI does (the plan's deal columns must be given)."""
    p = plan.ir
    return load_sales(people, deals, splits, p.inputs, p.deal_fields, p.currency, mappings, p.deal_columns)


def run_files(plan, people: Path, deals: Path | None = None, splits: Path | None = None, period=None,
              trace: bool = False, mappings=None) -> dict[str, Any]:
    """Results by payee id."""
    results = Population(plan, load(plan, people, deals, splits, mappings), period).run(trace=trace)
    return {r.payee: r for r in results}


def amounts(results: dict[str, Any], component: str) -> dict[str, Decimal]:
    return {pid: r.component(component).amount for pid, r in results.items()}


# ---- in-memory sales ----------------------------------------------------------------------------


def person(pid: str, team: str = "", manager: str = "", **values) -> Person:
    return Person(pid, team, manager, dict(values), f"row of {pid}")


def deal(did: str, owner: str, amount: Decimal | str, date: dt.date | str = "2026-01-15", **columns) -> dict:
    """A deal as `load_deals` gives it: every optional column present with its default."""
    row: dict[str, Any] = {name: default for name, (_, default) in OPTIONAL_DEAL.items()}
    row.update(id=did, owner=owner, amount=D(amount),
               date=dt.date.fromisoformat(date) if isinstance(date, str) else date, **columns)
    row["__where__"] = f"deal {did}"
    return row


def sales(people: Iterable[Person], deals: Iterable[dict], splits: dict | None = None) -> Sales:
    return Sales({p.id: p for p in people}, sorted(deals, key=lambda d: (d["date"], d["id"])), splits or {})


# ---- plans --------------------------------------------------------------------------------------


def money_text(x: Decimal, code: str = "USD") -> str:
    return f"{x:f} {code}"


def percent_text(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def bands_text(bands: Sequence[Band]) -> str:
    """A marginal band table in plan syntax (money bounds, percentage rates)."""
    out = []
    for b in bands:
        upper = f" to {money_text(b.upper)}" if b.upper is not None else ""
        out.append(f"from {money_text(b.lower)}{upper}: {percent_text(b.value)}")
    return "  ".join(out)


def marginal_plan(bands: Sequence[Band]):
    """Per-deal, running and period-total marginal tiers on the same bands."""
    table = bands_text(bands)
    return compile_text(f'''plan "Marginal three ways" {{ currency USD period quarter }}
measure sold = sum amount of deals
component per_deal {{ tiers marginal per deal on amount {{ {table} }} }}
component running {{ tiers marginal running on amount {{ {table} }} }}
component period_total {{ tiers marginal on sold {{ {table} }} }}
''', "marginal.plan")


# ---- strategies ---------------------------------------------------------------------------------


def cents(min_cents: int = 0, max_cents: int = 10**12) -> st.SearchStrategy[Decimal]:
    """Money with exactly two decimals."""
    return st.integers(min_cents, max_cents).map(lambda c: D(c).scaleb(-2))


@st.composite
def split_shares(draw, max_rows: int = 4) -> list[Decimal]:
    """Shares of one deal's split rows: each above 0, together at most 100% (sometimes exactly)."""
    n = draw(st.integers(0, max_rows))
    units, left = [], SHARE_UNIT
    for _ in range(n):
        if left == 0:
            break
        u = draw(st.integers(1, left))
        units.append(u)
        left -= u
    if units and left and draw(st.booleans()):
        units[-1] += left  # the splits take the whole deal: the owner keeps nothing
    return [D(u).scaleb(-6) for u in units]


def share_cell(share: Decimal, as_percent: bool) -> str:
    return percent_text(share) if as_percent else f"{share.normalize():f}"


@st.composite
def org_charts(draw, min_people: int = 1, max_people: int = 6) -> list[tuple[str, str, str]]:
    """(id, team, manager) rows; managers come earlier in the list, so there is no cycle."""
    n = draw(st.integers(min_people, max_people))
    out = []
    for i in range(n):
        manager = draw(st.sampled_from(["", *(f"P{j}" for j in range(i))]))
        team = draw(st.sampled_from(["", "east", "west"]))
        out.append((f"P{i}", team, manager))
    return out


@st.composite
def weights(draw) -> dict[str, Decimal]:
    """Pool contributions: random, all zero, all equal, or one member."""
    kind = draw(st.sampled_from(["random", "zero", "equal", "one"]))
    n = 1 if kind == "one" else draw(st.integers(1, 8))
    ids = [f"p{i:02d}" for i in range(n)]
    if kind == "zero":
        return {k: D(0) for k in ids}
    if kind == "equal":
        w = draw(st.integers(1, 10**6).map(lambda x: D(x).scaleb(-2)))
        return {k: w for k in ids}
    values = st.one_of(st.integers(0, 1000).map(D), st.integers(0, 10**8).map(lambda x: D(x).scaleb(-4)))
    return {k: draw(values) for k in ids}


@st.composite
def contest_scores(draw, max_entrants: int = 9, max_breakers: int = 2) -> dict[str, tuple[Decimal, ...]]:
    """Entrants' (score, tie-breaker, ...), drawn from few values so that ties are common."""
    breakers = draw(st.integers(0, max_breakers))
    n = draw(st.integers(0, max_entrants))
    values = st.sampled_from([D(0), D("1.5"), D(2), D("2.00"), D(5), D(-1)])
    return {f"e{i}": tuple(draw(values) for _ in range(1 + breakers)) for i in range(n)}


def prize_lists(max_prizes: int = 5) -> st.SearchStrategy[list[Decimal]]:
    return st.lists(cents(0, 10**6), max_size=max_prizes)
