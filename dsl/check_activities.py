"""Checks of activities: performance records beside deals (meetings, calls, visits).

Activity data has standard columns (`ACTIVITY_FIELDS`: id, owner, date, type); an
`activities { field ... }` block declares any others, like the `deals` block.  A measure
`of activities` aggregates the payee's own activities (an activity is credited to its owner
only: no splits, overlays or roll-ups); its condition and value read the activity's columns
and the payee's values.  Examples give activities with `activity "ID" { ... }` lines.
"""

from __future__ import annotations

import difflib

from . import ast
from .check_expr import ExprChecker, Scope, fold
from .diagnostics import Diagnostic
from .types import INPUT_TYPES, T

ACTIVITY_FIELDS: dict[str, T] = {"id": T.TEXT, "owner": T.TEXT, "date": T.DATE, "type": T.TEXT}
REQUIRED_ACTIVITY_FIELDS = ("owner", "date", "type")  # an example's line gives the id itself


def _error(errors: list[Diagnostic], node, message: str, code: str, hint: str | None = None) -> None:
    errors.append(Diagnostic(node.span, message, code, hint=hint))


def activity_fields(decls: list[ast.ActivitiesDecl], input_info, errors: list[Diagnostic]):
    """The activity columns (standard and declared), the declared ones' infos (ranges, listed values,
    defaults; `input_info` makes one of a declaration) and the columns declared `optional`."""
    fields, infos, optional = dict(ACTIVITY_FIELDS), {}, set()
    for extra in decls[1:]:
        _error(errors, extra, "a plan has one `activities` block", "duplicate")
    for d in decls[:1]:
        for f in d.fields:
            name = f.name.text
            if name in ACTIVITY_FIELDS:
                _error(errors, f.name, f"`{name}` is a standard activity column; it needs no declaration",
                       "activities", hint="the standard columns are " + ", ".join(ACTIVITY_FIELDS))
                continue
            if name in fields:
                _error(errors, f.name, f"`{name}` is declared twice", "duplicate")
                continue
            if f.type.text not in INPUT_TYPES:
                close = difflib.get_close_matches(f.type.text, list(INPUT_TYPES), n=1)
                _error(errors, f.type, f"unknown type `{f.type.text}`", "type",
                       f"did you mean `{close[0]}`?" if close else "types are " + ", ".join(INPUT_TYPES))
                fields[name] = T.ERROR
                continue
            infos[name] = input_info(f)
            fields[name] = infos[name].type
            if f.optional:
                optional.add(name)
                if f.default is not None:
                    _error(errors, f.default, f"`{name}` is optional: an empty cell is missing, so it takes no "
                                              f"default", "missing",
                           hint="leave out `optional` to fill empty cells with the default")
    return fields, infos, frozenset(optional)


def check_activity_names(plan: ast.Plan, fields: dict[str, T], errors: list[Diagnostic]) -> None:
    """In a plan that measures activities, no plan name may be an activity column: a measure's
    condition would not say which it reads."""
    for d in plan.decls:
        name = getattr(d, "name", None)
        if isinstance(name, ast.Ident) and name.text in fields:
            _error(errors, name, f"`{name.text}` is an activity column in this plan; choose another name", "reserved")


def record_fields(rec, kind: str, columns: dict[str, T], infos: dict, check_value, exprs: ExprChecker,
                  constants: Scope, errors: list[Diagnostic], seen: set[str]):
    """The fields of an example's `deal` or `activity` line that name one of its columns, each checked
    against the column's type and range; a field given twice or naming no column is an error.  `seen`
    collects every field name given (for the caller's check of required fields)."""
    block = "deals" if kind == "deal" else "activities"
    for f in rec.fields:
        name = f.name.text
        if name in seen:
            _error(errors, f.name, f"`{name}` is given twice for {kind} `{rec.id.text}`", "duplicate")
        seen.add(name)
        if name not in columns:
            exprs.check(f.value, constants)
            close = difflib.get_close_matches(name, list(columns), n=1)
            _error(errors, f.name, f"`{name}` is not {'an' if kind == 'activity' else 'a'} {kind} column", "example",
                   hint=f"did you mean `{close[0]}`?" if close else f"declare it in the plan's `{block}` block")
            continue
        check_value(f.name, f.value, columns[name], infos.get(name), exprs, constants, errors, "an example")
        yield name, f


def check_activity_records(ex: ast.ExampleDecl, fields: dict[str, T], infos: dict, people: dict,
                           open_people: bool, reads: bool, check_value, known, exprs: ExprChecker,
                           constants: Scope, errors: list[Diagnostic]) -> None:
    """An example's `activity "ID" { owner = ..., date = ..., type = ..., COLUMN = ... }` lines.
    reads: whether the plan measures activities (otherwise the lines would count for nothing)."""
    seen_ids: set[str] = set()
    lines = [r for r in ex.records if r.kind == "activity"]
    if (lines or any(f.kind == "activities" for f in ex.files)) and not reads:
        first = lines[0] if lines else next(f for f in ex.files if f.kind == "activities")
        _error(errors, first, "this plan measures no activities: activity lines count for nothing", "example",
               hint="add `measure NAME = count of activities ...`, or leave the line out")
    givable = {n: t for n, t in fields.items() if n != "id"}
    for rec in lines:
        if rec.id.text in seen_ids:
            _error(errors, rec.id, f"activity `{rec.id.text}` is given twice in this example", "duplicate")
        elif not rec.id.text.strip():
            _error(errors, rec.id, "an activity needs an id", "example")
        seen_ids.add(rec.id.text)
        seen: set[str] = set()
        for name, f in record_fields(rec, "activity", givable, infos, check_value, exprs, constants, errors, seen):
            if name == "owner" and not open_people:
                known(fold(f.value), people, f.value, "person", errors)
        missing = [n for n in REQUIRED_ACTIVITY_FIELDS if n not in seen]
        if missing:
            _error(errors, rec, f"activity `{rec.id.text}` has no " + ", ".join(f"`{n}`" for n in missing), "example")
