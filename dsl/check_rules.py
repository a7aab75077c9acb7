"""Checks of rule tables and optional columns.

A rule table (`rules NAME: TYPE { when COND: VALUE ... default: VALUE }`) gives the value of the
most specific matching rule: the one with the most conditions joined by `and`; among equally
specific matching rules, the first written.  Its conditions and values may read the inputs, the
period, tables, curves and deal columns (then it is used where a deal is at hand).  The checker
reports a missing default, a rule that can never apply (an equally specific rule written earlier
matches whenever it does) and two equally specific rules over the same columns that can both match.
"""

from __future__ import annotations

from . import ast
from .check_expr import ExprChecker, Scope, fold
from .diagnostics import Diagnostic
from .printer import expr_text
from .types import INPUT_TYPES, T, describe, fits


def _error(errors: list[Diagnostic], node, message: str, code: str, hint: str | None = None) -> None:
    errors.append(Diagnostic(node.span, message, code, hint=hint))


def conjuncts(e: ast.Expr) -> list[ast.Expr]:
    """The conditions of a rule: the parts of its condition joined by `and`."""
    if isinstance(e, ast.Binary) and e.op == "and":
        return conjuncts(e.left) + conjuncts(e.right)
    return [e]


def optional_columns(decls: list, errors: list[Diagnostic]) -> frozenset[str]:
    """The columns declared `optional` (an empty cell is missing); one may not also have a default."""
    out = set()
    for d in decls[:1]:
        for f in d.fields:
            if f.optional:
                out.add(f.name.text)
                if f.default is not None:
                    _error(errors, f.default, f"`{f.name.text}` is optional: an empty cell is missing, so it "
                                              f"takes no default", "missing",
                           hint="leave out `optional` to fill empty cells with the default")
    return frozenset(out)


def _tests(cond: ast.Expr) -> dict[str, frozenset] | None:
    """The rule's conditions as {column or input: the values it may take}, when every condition is
    `NAME == constant` or `NAME in {...}`; else None (then overlaps are not worked out)."""
    out: dict[str, frozenset] = {}
    for c in conjuncts(cond):
        if isinstance(c, ast.Compare) and c.op == "==" and isinstance(c.left, ast.Name) \
                and isinstance(c.right, ast.Literal):
            name, values = c.left.id, frozenset([c.right.value])
        elif isinstance(c, ast.InSet) and isinstance(c.operand, ast.Name):
            name, values = c.operand.id, frozenset(i.value for i in c.items)
        else:
            return None
        out[name] = out[name] & values if name in out else values
    return out


def _overlaps(d: ast.RulesDecl, errors: list[Diagnostic]) -> None:
    shapes = [(len(conjuncts(r.cond)), _tests(r.cond), sorted(expr_text(c) for c in conjuncts(r.cond)))
              for r in d.rules]
    for j, later in enumerate(d.rules):
        for i in range(j):
            (n_i, tests_i, text_i), (n_j, tests_j, text_j) = shapes[i], shapes[j]
            if n_i != n_j:
                continue
            first = d.rules[i].span.line
            if text_i == text_j or (tests_i is not None and tests_j is not None and tests_i.keys() == tests_j.keys()
                                    and all(tests_j[k] <= tests_i[k] for k in tests_i)):
                _error(errors, later, f"this rule never applies: the rule on line {first} is as specific and "
                                      f"matches whenever this one does", "rules",
                       hint="remove it, or add a condition to make it more specific")
                break
            if tests_i is not None and tests_j is not None and tests_i.keys() == tests_j.keys() \
                    and all(tests_j[k] & tests_i[k] for k in tests_i):
                both = " and ".join(f"{k} is {_shown(sorted(tests_i[k] & tests_j[k], key=str)[0])}"
                                    for k in sorted(tests_i))
                _error(errors, later, f"this rule and the rule on line {first} are equally specific and both "
                                      f"match when {both}", "rules",
                       hint="make the listed values not overlap, or add a condition to the rule that should win")
                break


def check_rules(decls: list[ast.RulesDecl], values: dict[str, T], fields: dict[str, T], scope: Scope,
                exprs: ExprChecker, errors: list[Diagnostic]) -> dict[str, tuple[T, frozenset[str]]]:
    """Check every rule table; return {name: (its type, the deal columns it reads)}.  values: the
    inputs and period bounds a rule may read; fields: the deal columns.  Rule tables cannot use
    definitions, measures or each other (each is worked out where it is used)."""
    out: dict[str, tuple[T, frozenset[str]]] = {}
    inner = Scope({**fields, **values}, scope.tables, scope.curves, "in a rule table", scope.components)
    for d in decls:
        t = INPUT_TYPES.get(d.type.text)
        if t is None:
            _error(errors, d.type, f"unknown type `{d.type.text}`", "type", "types are " + ", ".join(INPUT_TYPES))
            t = T.ERROR
        for r in d.rules:
            exprs.expect(r.cond, inner, {T.BOOL}, "a rule's condition")
            _value(r.value, t, inner, d, exprs, errors)
        if d.default is None:
            _error(errors, d, f"rule table `{d.name.text}` needs a `default: ...` line: the value when no rule "
                              f"matches", "rules")
        else:
            _value(d.default, t, inner, d, exprs, errors)
        _overlaps(d, errors)
        read = {n.id for n in ast.walk([[r.cond, r.value] for r in d.rules] + [d.default])
                if isinstance(n, ast.Name) and n.id in fields and n.id not in values}
        out[d.name.text] = (t, frozenset(read))
    return out


def _value(e: ast.Expr, t: T, scope: Scope, d: ast.RulesDecl, exprs: ExprChecker, errors: list[Diagnostic]) -> None:
    got = exprs.check(e, scope)
    if T.ERROR not in (got, t) and not fits(got, t, fold(e)):
        _error(errors, e, f"rule table `{d.name.text}` gives {describe(t)}, but this is {describe(got)}", "type")


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)
