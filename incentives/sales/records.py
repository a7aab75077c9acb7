"""Sales data: people, deals and credit splits, read from CSV, JSON or Parquet.

People are the payees: an `id`, the org columns (`team`, `manager`, and any
of name, role, grade, region, hire_date, leave_date, kept for reports) and the
plan's inputs by name.  Deals carry the standard columns (see
`dsl.check_sales.DEAL_FIELDS`) and any the plan declares.  Split rows give a
person a share of a deal (`deal`, `person`, `share`, `kind` split or overlay).
Every problem names the file, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from dsl.check import InputInfo
from dsl.check_sales import DEAL_STATUSES
from dsl.currencies import is_currency
from dsl.types import T

from .inputs import ValueProblem, _Problems, _rows, check_value, parse_value, reader, text_id
from incentives.engine.evaluate import CONTEXT
from incentives.engine.ir import MISSING
from .tables import Mapping, read_rows

REQUIRED_DEAL = ("id", "owner", "amount", "date")
OPTIONAL_DEAL: dict[str, tuple[T, Any]] = {
    "currency": (T.TEXT, None), "product": (T.TEXT, ""), "product_line": (T.TEXT, ""), "customer": (T.TEXT, ""),
    "new_customer": (T.BOOL, False), "status": (T.TEXT, "won"), "margin": (T.MONEY, None), "cost": (T.MONEY, None),
    "reversal_date": (T.DATE, None),
}
ORG_COLUMNS = ("team", "manager")


@dataclass
class Person:
    id: str
    team: str
    manager: str
    values: dict[str, Any]
    where: str
    name: str = ""  # the people table's `name` and `role` columns, where given: for statements
    role: str = ""


@dataclass
class Sales:
    people: dict[str, Person]
    deals: list[dict[str, Any]]
    splits: dict[str, list[tuple[str, Decimal, str, str]]] = field(default_factory=dict)  # deal -> rows
    splits_file: str = ""
    activities: list[dict[str, Any]] = field(default_factory=list)  # meetings, calls, visits: by date, id


def new_deal(values: dict[str, Any], where: str) -> dict[str, Any]:
    """A deal as the loaders give it, from typed values: every optional column present (its default
    where not given), and where it came from (for error messages)."""
    row: dict[str, Any] = {name: default for name, (_, default) in OPTIONAL_DEAL.items()}
    row.update(values)
    row["__where__"] = where
    return row


def new_sales(people: list[Person], deals: list[dict[str, Any]],
              splits: dict[str, list[tuple[str, Decimal, str, str]]] | None = None, splits_file: str = "",
              activities: list[dict[str, Any]] | None = None) -> Sales:
    """Sales data built in memory (plan examples, generated populations): deals in running-total order."""
    return Sales({p.id: p for p in people}, sorted(deals, key=lambda d: (d["date"], d["id"])), splits or {},
                 splits_file, sorted(activities or [], key=lambda a: (a["date"], a["id"])))


def load_people(path: str | Path, inputs: dict[str, InputInfo], mapping: Mapping | None = None) -> dict[str, Person]:
    """The people table: payees with their org columns and the plan's inputs."""
    columns, rows = read_rows(path, mapping)
    rows = list(rows)
    problems = _Problems(str(path))
    parsed = _rows(inputs, rows, columns, problems)
    org = {text_id(r.get("id")): (where, r) for where, r in rows}
    people = {}
    for pid, values in parsed:
        where, record = org[pid]
        team, manager = (text_id(record.get(c)) for c in ORG_COLUMNS)
        name, role = (text_id(record.get(c)) for c in ("name", "role"))
        people[pid] = Person(pid, team, manager, values, where, name, role)
    for p in people.values():
        if p.manager and p.manager not in people:
            problems.add(f"{p.where}, column manager", f"no person with id `{p.manager}`")
    check_chains(people, problems)
    problems.raise_if_any()
    return people


def check_chains(people: dict[str, Person], problems: _Problems) -> None:
    """Report anyone whose chain of managers comes back round (a roll-up would never end)."""
    for p in people.values():
        seen, at = {p.id}, p.manager
        while at and at in people:
            if at in seen:
                problems.add(f"{p.where}, column manager", f"the managers of `{p.id}` go round in a circle")
                break
            seen.add(at)
            at = people[at].manager


def empty_cell(name: str, t: T, used: frozenset[str] | set[str],
               declared: dict[str, InputInfo] | None) -> tuple[str | None, Any]:
    """What a deal without a value for a column gets: (a complaint or None, the value it takes).
    A declared default fills it; an optional column is missing (`MISSING`); the required columns and
    a column the plan reads with no default must be given."""
    info = (declared or {}).get(name)
    default = OPTIONAL_DEAL.get(name, (t, None))[1]
    if info is not None and getattr(info.decl, "optional", False):
        return None, MISSING
    if info is not None and info.has_default:
        return None, info.default
    if name in REQUIRED_DEAL:
        return f"no value; expected {t.value}", default
    if name in used and default is None:
        return f"no value; expected {t.value} (the plan uses it)", default
    return None, default


def overfull_splits(splits: dict[str, list[tuple[str, Decimal, str, str]]]) -> list[tuple[str, Decimal, str]]:
    """Deals whose split rows add up to more than 100%: (deal, total share, where the rows are)."""
    out = []
    with localcontext(CONTEXT):
        for deal, rows in splits.items():
            total = sum((share for _, share, kind, _ in rows if kind == "split"), Decimal(0))
            if total > 1:
                out.append((deal, total, ", ".join(w for _, _, k, w in rows if k == "split")))
    return out


def load_deals(path: str | Path, fields: dict[str, T], people: dict[str, Person], currency: str | None,
               mapping: Mapping | None = None, used: frozenset[str] = frozenset(),
               declared: dict[str, InputInfo] | None = None) -> list[dict[str, Any]]:
    """Deals as dictionaries of typed values, sorted by date then id (the order running totals use).

    used: the columns the plan reads; each deal must give them (an empty margin would otherwise
    silently drop a deal from a sum)."""
    columns, rows = read_rows(path, mapping)
    problems = _Problems(str(path))
    extra = {name: t for name, t in fields.items() if name not in OPTIONAL_DEAL and name not in REQUIRED_DEAL
             and name not in ("credit", "share") and not name.startswith("deal_")}
    if columns is not None:
        for name in REQUIRED_DEAL:
            if name not in columns:
                problems.add("header", f"missing column `{name}`")
        problems.raise_if_any()
    deals, seen = [], {}
    types = {"id": T.TEXT, "owner": T.TEXT, "amount": T.MONEY, "date": T.DATE}
    # each column's reader, declaration and what an empty cell means, worked out once
    spec = [(name, reader(t), (declared or {}).get(name), empty_cell(name, t, used, declared))
            for name, t in [*types.items(), *((n, t) for n, (t, _) in OPTIONAL_DEAL.items()), *extra.items()]]
    for where, record in rows:
        deal: dict[str, Any] = {}
        for name, read, info, (complaint, default) in spec:
            raw = record.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if complaint is not None:
                    problems.add(f"{where}, column {name}", complaint)
                deal[name] = default
                continue
            try:
                deal[name] = read(raw)
                if info is not None:
                    check_value(deal[name], info)  # a declared column's range and listed values
            except ValueProblem as p:
                problems.add(f"{where}, column {name}", f"expected {p}")
        if "id" in deal and deal["id"] in seen:
            problems.add(where, f"deal id `{deal['id']}` appears twice (first at {seen[deal['id']]})")
        seen.setdefault(deal.get("id"), where)
        if deal.get("owner") and deal["owner"] not in people:
            problems.add(f"{where}, column owner", f"no person with id `{deal['owner']}` in the people table")
        if deal.get("status") not in DEAL_STATUSES and deal.get("status") is not None:
            problems.add(f"{where}, column status", "expected one of " + ", ".join(DEAL_STATUSES)
                         + f"; got \"{deal['status']}\" (a mapping file can translate the export's values)")
        if currency is None:  # a period run converts deals to the plan's currency at dated rates
            if deal.get("currency") is not None and not is_currency(str(deal["currency"])):
                problems.add(f"{where}, column currency", f"expected an ISO 4217 code such as USD or EUR; got "
                                                          f"\"{deal['currency']}\"")
        elif deal.get("currency") not in (None, currency):
            problems.add(f"{where}, column currency", f"the plan pays in {currency}; this deal is in "
                                                      f"{deal['currency']}")
        deal["__where__"] = where
        deals.append(deal)
    problems.raise_if_any()
    deals.sort(key=lambda d: (d["date"], d["id"]))
    return deals


def load_splits(path: str | Path, deals: list[dict[str, Any]], people: dict[str, Person],
                mapping: Mapping | None = None) -> dict[str, list[tuple[str, Decimal, str, str]]]:
    """Split and overlay rows by deal: (person, share, kind, where)."""
    columns, rows = read_rows(path, mapping)
    problems = _Problems(str(path))
    if columns is not None:
        for name in ("deal", "person", "share"):
            if name not in columns:
                problems.add("header", f"missing column `{name}`")
        problems.raise_if_any()
    known = {d["id"] for d in deals}
    out: dict[str, list[tuple[str, Decimal, str, str]]] = {}
    for where, record in rows:
        deal, person = (text_id(record.get(c)) for c in ("deal", "person"))
        kind = str(record.get("kind") or "split").strip()
        try:
            share = parse_value(record.get("share", ""), T.PERCENT)
        except ValueProblem as p:
            problems.add(f"{where}, column share", f"expected {p}")
            continue
        if deal not in known:
            problems.add(f"{where}, column deal", f"no deal with id `{deal}`")
        if person not in people:
            problems.add(f"{where}, column person", f"no person with id `{person}`")
        if kind not in ("split", "overlay"):
            problems.add(f"{where}, column kind", f"expected split or overlay; got \"{kind}\"")
        if not 0 < share <= 1:
            problems.add(f"{where}, column share", "expected a share above 0% and at most 100%")
        out.setdefault(deal, []).append((person, share, kind, where))
    for deal, total, wheres in overfull_splits(out):
        problems.add(wheres, f"the splits of deal `{deal}` add up to {total * 100:f}%, more than 100%")
    problems.raise_if_any()
    return out


def load_sales(people: str | Path, deals: str | Path | None, splits: str | Path | None, inputs: dict[str, InputInfo],
               fields: dict[str, T], currency: str | None, mappings: dict[str, Mapping] | None = None,
               used: frozenset[str] = frozenset(), declared: dict[str, InputInfo] | None = None) -> Sales:
    mappings = mappings or {}
    folks = load_people(people, inputs, mappings.get("people"))
    deal_rows = load_deals(deals, fields, folks, currency, mappings.get("deals"), used, declared) if deals else []
    split_rows = load_splits(splits, deal_rows, folks, mappings.get("splits")) if splits else {}
    return Sales(folks, deal_rows, split_rows, str(splits or ""))
