"""The sales data a plan example gives: people, deals, split rows and a period.

An example either writes its data inline (`person "A-1" { quota = ... }`,
`deal "D-1" { owner = "A-1", amount = ..., date = ... }`,
`split "D-1" 40% to "A-2"`) or reads files next to the plan
(`people from "data/q1.csv"`), or both: inline rows are added to what the
files give.  The checker has already checked each constant's type and range,
and the ids of inline rows when no file is read; what can be known only once
the files are read (an owner who is not in the people file, say) is a
DataError naming the example's line.
"""

from __future__ import annotations

from decimal import localcontext
from pathlib import Path
from typing import Any

from dsl.check_tests import data_path_problem

from incentives.engine import ir
from incentives.errors import DataError
from incentives.engine.evaluate import CONTEXT
from incentives.engine.compiled import CompiledPlan
from incentives.sales.activities import activity_cell, load_activities
from incentives.sales.records import (OPTIONAL_DEAL, Person, Sales, check_chains, empty_cell, load_deals, load_people, load_splits,
                    new_deal, new_sales, overfull_splits)


def example_sales(compiled: CompiledPlan, data: ir.ExampleSales) -> Sales:
    """The example's people, deals and credit rows as the population run takes them."""
    p = compiled.ir
    fns = compiled.evaluator.compile
    base = Path(p.file).parent
    where = lambda span: f"{p.file}:{span.line}"  # noqa: E731
    problems: list[str] = []
    for kind, name in data.files.items():  # the checker refused these; a link may have changed since
        problem = data_path_problem(name, base)
        if problem:
            raise DataError([f"{where(data.span) if data.span else p.file}: `{kind} from \"{name}\"`: {problem}"])
    with localcontext(CONTEXT):
        const = lambda expr: fns(expr)({})  # noqa: E731
        people = load_people(base / data.files["people"], p.inputs) if "people" in data.files else {}
        for rec in data.people:
            if rec.id in people:
                problems.append(f"{where(rec.span)}: person `{rec.id}` is also in {data.files['people']}")
            values = {name: const(e) for name, e in rec.values.items()}
            inputs = {name: values.get(name, info.default) for name, info in p.inputs.items()}
            people[rec.id] = Person(rec.id, str(values.get("team", "")), str(values.get("manager", "")), inputs,
                                    f"person {rec.id} ({where(rec.span)})")
        for person in people.values():
            if person.manager and person.manager not in people:
                problems.append(f"{person.where}: manager `{person.manager}` is not one of the example's people")
        circles = _Collected()
        check_chains(people, circles)
        _raise(circles)
        deals = (load_deals(base / data.files["deals"], p.deal_fields, people, p.currency, used=p.deal_columns,
                            declared=p.deal_field_infos) if "deals" in data.files else [])
        known = {d["id"] for d in deals}
        # the columns a deal line gives that the plan reads (`deal_margin` is read from `margin`; `credit`,
        # `share` and `via` come from crediting)
        read = {c.removeprefix("deal_") for c in p.deal_columns} & {*OPTIONAL_DEAL, *p.deal_field_infos}
        for rec in data.deals:
            if rec.id in known:
                problems.append(f"{where(rec.span)}: deal `{rec.id}` is given twice")
            known.add(rec.id)
            values: dict[str, Any] = {"id": rec.id, **{name: const(e) for name, e in rec.values.items()}}
            if values["owner"] not in people:
                problems.append(f"{where(rec.span)}: owner `{values['owner']}` is not one of the example's people")
            _fill(values, (read | set(p.deal_field_infos)) - set(values), f"{where(rec.span)}: deal `{rec.id}`",
                  lambda name: empty_cell(name, p.deal_fields[name], read, p.deal_field_infos), problems)
            if values.get("currency") not in (None, p.currency):
                problems.append(f"{where(rec.span)}: the plan pays in {p.currency}; deal `{rec.id}` is in "
                                f"{values['currency']}")
            deals.append(new_deal(values, f"deal {rec.id} ({where(rec.span)})"))
        _raise(problems)
        splits = {}
        if "splits" in data.files:  # a file's rows are named by file and row alongside the example's lines
            name = data.files["splits"]
            splits = {deal: [(who, share, kind, f"{name}, {w}") for who, share, kind, w in rows]
                      for deal, rows in load_splits(base / name, deals, people).items()}
        for row in data.credits:
            if row.deal not in known:
                problems.append(f"{where(row.span)}: no deal `{row.deal}` in this example")
            if row.person not in people:
                problems.append(f"{where(row.span)}: no person `{row.person}` in this example")
            splits.setdefault(row.deal, []).append((row.person, const(row.share), row.kind, where(row.span)))
        for deal, total, wheres in overfull_splits(splits):
            problems.append(f"{wheres}: the splits of deal `{deal}` add up to {total * 100:f}%, more than 100%")
        _raise(problems)
        activities = _activities(p, data, people, base, const, where)
    return new_sales(list(people.values()), deals, splits, f"the example at {where(data.span)}", activities)


def _activities(p: ir.Plan, data: ir.ExampleSales, people: dict[str, Person], base: Path, const,
                where) -> list[dict[str, Any]]:
    """The example's activities: `activities from "FILE"` and its `activity "ID" { ... }` lines."""
    out = (load_activities(base / data.files["activities"], p.activity_fields, people, used=p.activity_columns,
                           declared=p.activity_field_infos) if "activities" in data.files else [])
    known = {a["id"] for a in out}
    problems: list[str] = []
    for rec in data.activities:
        if rec.id in known:
            problems.append(f"{where(rec.span)}: activity `{rec.id}` is given twice")
        known.add(rec.id)
        values: dict[str, Any] = {"id": rec.id, **{name: const(e) for name, e in rec.values.items()}}
        if values.get("owner") not in people:
            problems.append(f"{where(rec.span)}: owner `{values.get('owner')}` is not one of the example's people")
        _fill(values, set(p.activity_fields) - set(values), f"{where(rec.span)}: activity `{rec.id}`",
              lambda name: activity_cell(name, p.activity_fields[name], p.activity_columns, p.activity_field_infos),
              problems)
        out.append({**values, "__where__": f"activity {rec.id} ({where(rec.span)})"})
    _raise(problems)
    return out


class _Collected(list):
    """Problems as the loaders' checks report them: where, then what."""

    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def _raise(problems: list[str]) -> None:
    if problems:
        raise DataError(problems)


def _fill(values: dict[str, Any], absent, what: str, cell, problems: list) -> None:
    """Fill the columns a record line left out with their defaults (cell(name) -> (complaint, default),
    the loaders' rule for an empty cell); the ones that have none are one problem naming them all."""
    missing = []
    for name in sorted(absent):
        complaint, default = cell(name)
        if complaint is None:
            values[name] = default
        else:
            missing.append(name)
    if missing:
        problems.append(f"{what} has no " + ", ".join(f"`{c}`" for c in missing)
                        + (" (the plan uses it)" if len(missing) == 1 else " (the plan uses them)"))
