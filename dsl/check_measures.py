"""The order of definitions, and the values a per-person or per-deal value may read.

Definitions are worked out in dependency order (`let_order`).  A measure of team or reports may
aggregate a person's definition (`sum quota_p of reports`, with `let quota_p = ...`).  A population run then works those definitions out for every person after
the measures of deals and before the measures of team and reports; the rest of the definitions
come after those measures, as before.  So a definition that such a measure reads, directly or
through other definitions, may not itself use a measure of team or reports: using the measure
that aggregates it would be a cycle, and any other is not known yet.  The bands of running tiers
are the payee's, one set for the whole running total: unlike tiers per deal, they may not read a
deal's columns (`running_bands_scope`).
"""

from __future__ import annotations

from dataclasses import replace

from . import ast
from .check_expr import Scope
from .check_sales import is_result_measure
from .diagnostics import Diagnostic
from .types import T


def read_names(m: ast.MeasureDecl) -> list[ast.Name]:
    """The names a measure reads of each deal or person: its value and its condition."""
    out = [ast.Name(m.field.text, m.field.span)] if m.field is not None else []
    for e in (m.value, m.where):
        if e is not None:
            out.extend(n for n in ast.walk(e) if isinstance(n, ast.Name))
    return out


def _names(e: ast.Expr) -> list[ast.Name]:
    return [n for n in ast.walk(e) if isinstance(n, ast.Name)]


def let_order(lets: list[ast.LetDecl], errors: list[Diagnostic]) -> list[ast.LetDecl]:
    """Definitions in dependency order (an iterative depth-first walk: long chains are fine)."""
    by_name = {d.name.text: d for d in lets}
    deps = {name: [n.id for n in _names(d.expr) if n.id in by_name] for name, d in by_name.items()}
    order: list[ast.LetDecl] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for root in by_name:
        if state.get(root):
            continue
        path: list[str] = [root]
        pending: list[list[str]] = [list(deps[root])]
        state[root] = 1
        while path:
            if pending[-1]:
                dep = pending[-1].pop()
                if state.get(dep) == 1:
                    cycle = path[path.index(dep):] + [dep]
                    errors.append(Diagnostic(by_name[dep].name.span,
                                             "this definition depends on itself: " + " -> ".join(cycle), "cycle"))
                elif not state.get(dep):
                    state[dep] = 1
                    path.append(dep)
                    pending.append(list(deps[dep]))
            else:
                done = path.pop()
                pending.pop()
                state[done] = 2
                order.append(by_name[done])
    return order


def person_definitions(lets: list[ast.LetDecl], group: list[ast.MeasureDecl],
                       errors: list[Diagnostic]) -> list[ast.LetDecl]:
    """The definitions the measures of team and reports (`group`, not the measures of pay) read,
    directly or through other definitions, in the order of `lets` (dependency order); reports any
    of them that uses a measure of team or reports."""
    by_name = {d.name.text: d for d in lets}
    measures = {m.name.text: m for m in group}
    # for each measure, the definitions it reaches, each with the one that led to it (None: read directly)
    reached: dict[str, dict[str, str | None]] = {}
    for name, m in measures.items():
        parent: dict[str, str | None] = {}
        stack = [n.id for n in read_names(m) if n.id in by_name]
        for x in stack:
            parent.setdefault(x, None)
        while stack:
            x = stack.pop()
            for n in _names(by_name[x].expr):
                if n.id in by_name and n.id not in parent:
                    parent[n.id] = x
                    stack.append(n.id)
        reached[name] = parent

    def path(measure: str, let: str) -> list[str]:
        chain, x = [], let
        while x is not None:
            chain.append(x)
            x = reached[measure][x]
        return [measure, *reversed(chain)]

    early = [d for d in lets if any(d.name.text in r for r in reached.values())]
    for d in early:
        let = d.name.text
        for n in _names(d.expr):
            if n.id not in measures:
                continue
            if let in reached[n.id]:
                cycle = " -> ".join(path(n.id, let) + [n.id])
                errors.append(Diagnostic(n.span, f"this definition depends on the measure that aggregates it: "
                                                 f"{cycle}", "cycle"))
                continue
            reader = next(m for m in measures if let in reached[m])
            source = measures[reader].source.text
            errors.append(Diagnostic(
                n.span, f"`{let}` is worked out for each person before the measures of team and reports, because "
                        f"measure `{reader}` of the {source} reads it ({' -> '.join(path(reader, let))}): it "
                        f"cannot use `{n.id}`, a measure of the {measures[n.id].source.text}", "measure",
                hint="aggregate a value that does not depend on a measure of team or reports"))
    return early


def check_person_definitions(checker, plan: ast.Plan, lets: list[ast.LetDecl], results: set[str],
                             values: dict[str, T], people: dict[str, T], tables: dict,
                             curves: dict[str, T]) -> list[str]:
    """Type the definitions the measures of team and reports read, after the measures of deals and
    before those measures: into `values` and into `people`, the values of each person those measures
    may read.  Return their names, in evaluation order.  `checker` gives `exprs`, `errors` and
    `paid_later` (the measures of pay, not known in definitions)."""
    group = [m for m in plan.of_type(ast.MeasureDecl)
             if m.source.text in ("team", "reports") and not is_result_measure(m, results)]
    early = person_definitions(lets, group, checker.errors)
    if early:
        scope = Scope(values, tables, curves, "in definitions",
                      frozenset(c.name.text for c in plan.of_type(ast.ComponentDecl)), frozenset(),
                      frozenset(c.name.text for c in plan.of_type(ast.ContestDecl)), later=checker.paid_later)
        for m in group:  # a use of one is reported above: no second complaint
            values.setdefault(m.name.text, T.ERROR)
        for d in early:
            values[d.name.text] = people[d.name.text] = checker.exprs.check(d.expr, scope)
    return [d.name.text for d in early]


def running_bands_scope(scope: Scope, fields: dict[str, T]) -> Scope:
    """The bands of running tiers: the payee's, one set for the whole running total, so they may not
    read a deal's columns (the bands of tiers `per deal` may: they are worked out for each deal)."""
    why = ("a running total goes through one set of bands, the payee's, whatever deal adds to it",
           "bands that depend on the deal need tiers `per deal`")
    return replace(scope, where="in the bands of running tiers", later={**scope.later, **dict.fromkeys(fields, why)})
