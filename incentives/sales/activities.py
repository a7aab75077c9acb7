"""Activities: performance records beside deals (meetings, calls, visits), from CSV, JSON or Parquet.

An activity has the standard columns `id`, `owner`, `date` and `type` (see
`dsl.check_activities.ACTIVITY_FIELDS`) and any the plan declares in its `activities`
block.  An activity is credited to its owner only: no splits, overlays or roll-ups.  Every
problem names the file, row and column, as for deals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dsl.check import InputInfo
from dsl.check_activities import ACTIVITY_FIELDS
from dsl.types import T

from incentives.engine.ir import MISSING
from .inputs import ValueProblem, _Problems, check_value, reader
from .records import Person
from .tables import Mapping, read_rows

REQUIRED_ACTIVITY = ("id", "owner", "date", "type")


def activity_cell(name: str, t: T, used: frozenset[str], declared: dict[str, InputInfo]) -> tuple[str | None, Any]:
    """What an activity without a value for a column gets: (a complaint or None, the value it takes).
    A declared default fills it; an optional column is missing; the standard columns and a column
    the plan reads with no default must be given."""
    info = declared.get(name)
    if info is not None and getattr(info.decl, "optional", False):
        return None, MISSING
    if info is not None and info.has_default:
        return None, info.default
    if name in REQUIRED_ACTIVITY:
        return f"no value; expected {t.value}", None
    if name in used:
        return f"no value; expected {t.value} (the plan uses it)", None
    return None, None


def new_activity(values: dict[str, Any], where: str, fields: dict[str, T],
                 declared: dict[str, InputInfo]) -> dict[str, Any]:
    """An activity as the loaders give it, from typed values: every declared column present (its
    default, or missing when optional, where not given), and where it came from."""
    row = {name: activity_cell(name, t, frozenset(), declared)[1] for name, t in fields.items()}
    row.update(values)
    row["__where__"] = where
    return row


def load_activities(path: str | Path, fields: dict[str, T], people: dict[str, Person],
                    mapping: Mapping | None = None, used: frozenset[str] = frozenset(),
                    declared: dict[str, InputInfo] | None = None) -> list[dict[str, Any]]:
    """Activities as dictionaries of typed values, sorted by date then id.

    fields: the activity columns (standard and declared: `ir.Plan.activity_fields`); used: the
    columns the plan reads (each activity must give them, unless declared with a default or
    optional); declared: the declared columns' ranges and listed values."""
    declared = declared or {}
    fields = {**ACTIVITY_FIELDS, **fields}
    columns, rows = read_rows(path, mapping)
    problems = _Problems(str(path))
    if columns is not None:
        for name in REQUIRED_ACTIVITY:
            if name not in columns:
                problems.add("header", f"missing column `{name}` ({fields[name].value}; every activity has "
                                       f"{', '.join(REQUIRED_ACTIVITY)})")
        problems.raise_if_any()
    spec = [(name, reader(t), declared.get(name), activity_cell(name, t, used, declared))
            for name, t in fields.items()]
    out, seen = [], {}
    for where, record in rows:
        row: dict[str, Any] = {}
        for name, read, info, (complaint, default) in spec:
            raw = record.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if complaint is not None:
                    problems.add(f"{where}, column {name}", complaint)
                row[name] = default
                continue
            try:
                row[name] = read(raw)
                if info is not None:
                    check_value(row[name], info)  # a declared column's range and listed values
            except ValueProblem as p:
                problems.add(f"{where}, column {name}", f"expected {p}")
        if row.get("id") is not None and row["id"] in seen:
            problems.add(where, f"activity id `{row['id']}` appears twice (first at {seen[row['id']]})")
        seen.setdefault(row.get("id"), where)
        if row.get("owner") and row["owner"] not in people:
            problems.add(f"{where}, column owner", f"no person with id `{row['owner']}` in the people table")
        row["__where__"] = where
        out.append(row)
    problems.raise_if_any()
    out.sort(key=lambda a: (a["date"], a["id"]))
    return out


def by_owner(activities: list[dict[str, Any]], people) -> dict[str, list[dict[str, Any]]]:
    """Each person's own activities, in date order (an activity is credited to its owner only)."""
    out: dict[str, list[dict[str, Any]]] = {pid: [] for pid in people}
    for a in activities:
        if a.get("owner") in out:
            out[a["owner"]].append(a)
    return out
