"""Checks of lookup tables: declarations, and keys that the inputs can reach.

When every argument of a lookup is an input whose values are declared (`in
{...}`, a bool, or a count with a range) and the table has no `default` row,
every combination must have a row; the checker lists the missing ones.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from . import ast
from .check_expr import ExprChecker, Scope, fold, literal_type
from .diagnostics import Diagnostic
from .types import INPUT_TYPES, T, describe, fits

KEY_TYPES = ("text", "count", "bool")
#: Combinations of declared input values checked against a lookup table.
MAX_KEY_COMBINATIONS = 10_000


def _error(errors: list[Diagnostic], node, message: str, code: str, hint: str | None = None) -> None:
    errors.append(Diagnostic(node.span, message, code, hint=hint))


def check_table(d: ast.TableDecl, exprs: ExprChecker, errors: list[Diagnostic], params: dict | None = None) -> None:
    """Key types, row shapes, duplicate rows and value types of a table declaration.  Values are
    constants, or read the plan's params (`params`: their types by name)."""
    for key, key_type in d.keys:
        if key_type.text not in KEY_TYPES:
            _error(errors, key_type, f"a table key must be {', '.join(KEY_TYPES)}; not `{key_type.text}`", "table")
    vt = INPUT_TYPES.get(d.value_type.text)
    if vt is None:
        _error(errors, d.value_type, f"unknown type `{d.value_type.text}`", "type",
                   hint="types are " + ", ".join(INPUT_TYPES))
    empty = Scope(dict(params or {}), where="in a table", fixed=True)
    seen: dict[tuple, ast.TableRow] = {}
    for row in d.rows:
        if len(row.keys) != len(d.keys):
            _error(errors, row, f"this row has {len(row.keys)} key(s); table `{d.name.text}` has {len(d.keys)}",
                       "table")
            continue
        for lit, (key, key_type) in zip(row.keys, d.keys):
            want = INPUT_TYPES.get(key_type.text)
            lt = literal_type(lit)
            if want and not fits(lt, want, lit.value):
                _error(errors, lit, f"key `{key.text}` is {describe(want)}, but `{lit.text}` is {describe(lt)}",
                           "type")
        k = tuple(lit.value for lit in row.keys)
        if k in seen:
            _error(errors, row, f"duplicate row: the same keys are on line {seen[k].span.line}", "duplicate")
        seen[k] = row
        _value(row.value, vt, empty, d, exprs, errors)
    if d.default is not None:
        _value(d.default, vt, empty, d, exprs, errors)
    if not d.rows:
        _error(errors, d, f"table `{d.name.text}` has no rows", "table")

def _value(e: ast.Expr, vt: T | None, scope: Scope, d: ast.TableDecl, exprs: ExprChecker,
           errors: list[Diagnostic]) -> None:
    t = exprs.check(e, scope)
    if vt and T.ERROR not in (t, vt) and not fits(t, vt, fold(e)):
        _error(errors, e, f"table `{d.name.text}` holds {describe(vt)}, but this is {describe(t)}", "type")


def check_table_keys(calls, inputs: dict, errors: list[Diagnostic]) -> None:
    """Report table rows missing for key combinations the declared inputs can take."""
    for call, table in calls:
        if table.default is not None or len(call.args) != len(table.keys):
            continue
        domains = []
        for arg in call.args:
            dom = _domain(arg, inputs)
            if dom is None:
                break
            domains.append(dom)
        else:
            size = 1
            for dom in domains:
                size *= len(dom)
            if size > MAX_KEY_COMBINATIONS:
                continue
            present = {tuple(lit.value for lit in row.keys) for row in table.rows}
            missing = [combo for combo in itertools.product(*domains) if combo not in present]
            if missing:
                shown = ", ".join(f"{table.name.text}(" + ", ".join(_show_key(v) for v in combo) + ")"
                                  for combo in missing[:5])
                more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                _error(errors, call, f"table `{table.name.text}` has no row for {shown}{more}, "
                                 f"which the inputs can take", "missing-key",
                           hint="add the rows, or a `default: ...` row to the table")



def _domain(arg: ast.Expr, inputs: dict) -> list | None:
    if isinstance(arg, ast.Literal):
        return [arg.value]
    if not isinstance(arg, ast.Name) or arg.id not in inputs:
        return None
    info = inputs[arg.id]
    if info.choices is not None:
        return list(info.choices)
    if info.type == T.BOOL:
        return [True, False]
    if info.type == T.COUNT and info.range is not None:
        lo, hi = info.range
        if hi - lo <= MAX_KEY_COMBINATIONS:
            return [Decimal(i) for i in range(int(lo), int(hi) + 1)]
    return None


def _show_key(v) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)



