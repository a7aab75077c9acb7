"""Expressions back to text, with the fewest parentheses that keep the meaning.

Used by the formatter, by the checker (to compare tier bounds written alike)
and by explanations (to show a formula).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from . import ast
from .types import T

PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "of": 6, "neg": 7}


def decimal_text(d: Decimal) -> str:
    """A Decimal written plainly: no exponent, no trailing zeros after the point."""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def literal_text(lit: ast.Literal) -> str:
    if lit.text:
        return re.sub(r"(\d)\s+([A-Z]{3})$", r"\1 \2", lit.text)
    if lit.kind == "money":
        return f"{decimal_text(lit.value)} {lit.currency}"
    if lit.kind == "percent":
        return decimal_text(lit.value * 100) + "%"
    if lit.kind == "number":
        return decimal_text(lit.value)
    if lit.kind == "text":
        return quote(lit.value)
    if lit.kind == "bool":
        return "true" if lit.value else "false"
    return lit.value.isoformat()


def quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def expr_text(e: ast.Expr, min_prec: int = 0) -> str:
    text, prec = _text(e)
    return f"({text})" if prec < min_prec else text


def _text(e: ast.Expr) -> tuple[str, int]:
    if isinstance(e, ast.Literal):
        return literal_text(e), 9
    if isinstance(e, ast.Name):
        return e.id, 9
    if isinstance(e, ast.Call):
        return f"{e.func.text}(" + ", ".join(expr_text(a) for a in e.args) + ")", 9
    if isinstance(e, ast.Unary):
        if e.op == "-":
            return "-" + expr_text(e.operand, PREC["neg"]), PREC["neg"]
        return "not " + expr_text(e.operand, PREC["not"]), PREC["not"]
    if isinstance(e, ast.Binary):
        p = PREC[e.op]
        return f"{expr_text(e.left, p)} {e.op} {expr_text(e.right, p + 1)}", p
    if isinstance(e, ast.Compare):
        p = PREC["cmp"]
        return f"{expr_text(e.left, p + 1)} {e.op} {expr_text(e.right, p + 1)}", p
    if isinstance(e, ast.InSet):
        p = PREC["cmp"]
        items = ", ".join(literal_text(i) for i in e.items)
        return f"{expr_text(e.operand, p + 1)} in {{{items}}}", p
    if isinstance(e, ast.InPeriod):
        return f"{expr_text(e.operand, PREC['cmp'] + 1)} in period", PREC["cmp"]
    if isinstance(e, ast.IsMissing):
        return f"{expr_text(e.operand, PREC['cmp'] + 1)} is {'not ' if e.negated else ''}missing", PREC["cmp"]
    if isinstance(e, ast.If):
        return f"if {expr_text(e.cond)} then {expr_text(e.then)} else {expr_text(e.otherwise)}", 0
    raise TypeError(f"not an expression: {e!r}")  # pragma: no cover


def measured_text(e: ast.Expr) -> str:
    """What a measure takes (`amount / term_years`), parenthesized when it would not read back as
    one: a top-level `of`, comparison or `if` would end it or be read as the measure's own `of`."""
    text = expr_text(e)
    return text if _measured_bare(e, 0) else f"({text})"


def _measured_bare(e: ast.Expr, min_prec: int) -> bool:
    prec = _text(e)[1]
    if prec < min_prec or isinstance(e, (ast.Literal, ast.Name, ast.Call)):
        return True  # parenthesized by expr_text, or a single atom
    if isinstance(e, ast.Binary) and e.op in ("+", "-", "*", "/"):
        return _measured_bare(e.left, prec) and _measured_bare(e.right, prec + 1)
    if isinstance(e, ast.Unary) and e.op == "-":
        return _measured_bare(e.operand, PREC["neg"])
    return False


def _grouped(text: str) -> str:
    whole, dot, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):_}{dot}{frac}"


def value_text(value: Any, t: T, currency: str) -> str:
    """A value as the plan language writes a literal: `1_250.50 USD`, `40%`, `12`, `"North"`, `true`,
    `2026-01-15`.  Money keeps the value's own decimals, except that a whole amount is written whole."""
    if isinstance(value, bool) or t == T.BOOL:
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if t == T.MONEY:
        text = decimal_text(value) if value == value.to_integral_value() else format(value, "f")
        return f"{_grouped(text)} {currency}"
    if t == T.PERCENT:
        return decimal_text(value * 100) + "%"
    return _grouped(decimal_text(value))
