"""Reading what a period run needs from files: each plan's reading of the people, deals, splits and
activities tables, and the assignments (a table, or the people table's own columns), effective-dated
values, currency rates, holidays and pay currencies; with a hash of every file read.  The CLI and
the service both read through here."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dsl.currencies import is_currency

from incentives.errors import DataError, Problem
from incentives.plan import Plan
from incentives.sales.activities import load_activities
from incentives.sales.inputs import text_id
from incentives.sales.records import load_sales
from incentives.sales.tables import load_mapping, read_rows
from .data import assignments_from_people, load_assignments, load_dated_values, load_holidays
from .prepare import PeriodData, optional_inputs
from .rates import Rates
from .versions import PlanSet


def load_period_data(plans: list[Plan], people: Path, deals: Path | None, splits: Path | None,
                     activities: Path | None, mapping: Path | None, assignments: Path | None, quotas: Path | None,
                     rates: Path | None, holidays: Path | None) -> PeriodData:
    """What a period run reads, from files: each plan's reading of people, deals, splits and activities, and
    the assignments (a table, or the people table's columns), dated values, rates, holidays and pay currencies."""
    maps = load_mapping(mapping) if mapping else {}
    _, rows = read_rows(people, maps.get("people"))
    rows = list(rows)
    ids = {text_id(r.get("id")) for _, r in rows} - {""}
    inputs = {}
    for p in plans:
        for name, info in p.ir.inputs.items():
            inputs.setdefault(name, info)
    dated = load_dated_values(quotas, ids, inputs, maps.get("quotas")) if quotas else {}
    given = {name for _, name in dated}
    by_plan = {}
    for p in plans:
        ir = p.ir
        if ir.reads_activities and activities is None:
            raise DataError([Problem(f"{p.source.name}: the plan reads activities: give them (--activities)",
                                     code="data", file=p.source.name)])
        if p.checked.reads_deals and deals is None:
            raise DataError([Problem(f"{p.source.name}: the plan reads deals: give them (--deals)", code="data",
                                     file=p.source.name)])
        sales = load_sales(people, deals, splits, optional_inputs(ir.inputs, given), ir.deal_fields,
                           None if rates else ir.currency, maps, ir.deal_columns, ir.deal_field_infos)
        if activities is not None:
            sales.activities = load_activities(activities, ir.activity_fields, sales.people, maps.get("activities"),
                                               ir.activity_columns, ir.activity_field_infos)
        by_plan[p.hash] = sales
    names = PlanSet.of(plans).names
    if assignments is not None:
        assigned = load_assignments(assignments, ids, names, maps.get("assignments"))
    else:
        assigned = assignments_from_people(people, names, maps.get("people"))
    pay = {}
    bad = []
    for where, r in rows:
        code = text_id(r.get("currency"))
        if code:
            if not is_currency(code):
                bad.append(Problem(f"{people}: {where}, column currency: expected an ISO 4217 code such as EUR; "
                                   f"got \"{code}\"", code="data", file=str(people), field="currency"))
            pay[text_id(r.get("id"))] = code
    if bad:
        raise DataError(bad)
    first = by_plan[plans[0].hash]
    return PeriodData(first, assigned, dated, Rates.load(rates, maps.get("rates")) if rates else None,
                      load_holidays(holidays, maps.get("holidays")) if holidays else frozenset(), pay,
                      _hash([people, deals, splits, activities, mapping, assignments, quotas, rates, holidays]),
                      str(deals or ""), by_plan)


def _hash(paths: list[Path | None]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(b"\0" + str(path).encode())
        if path is not None:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()
