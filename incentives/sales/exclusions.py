"""Why a credited deal was left out of a measure, for statements (traced runs only).

A measure's condition is split into the parts joined by `and`; the first part a deal fails
says why it was left out: its `status` is not one the measure counts, its `date` is outside the
period, or another part of the condition is false.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from dsl.printer import expr_text

from incentives.engine import ir

Reason = tuple[str, str]  # (kind: status, period or condition; a sentence for a person)


def conjuncts(node: ir.Expr) -> list[ir.Expr]:
    """The parts of a condition joined by `and`, in the order written (`date in period` is one part)."""
    if isinstance(node, ir.Op) and node.op == "and" and not _is_in_period(node):
        return [*conjuncts(node.args[0]), *conjuncts(node.args[1])]
    return [node]


def _is_in_period(node: ir.Op) -> bool:
    return type(node.src).__name__ == "InPeriod"


def _names(node: Any) -> set[str]:
    """Every name an expression reads."""
    if isinstance(node, ir.Var):
        return {node.name}
    out: set[str] = set()
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            if f.name == "src":
                continue
            value = getattr(node, f.name)
            for child in value if isinstance(value, tuple) else (value,):
                if dataclasses.is_dataclass(child):
                    out |= _names(child)
    return out


def kind_of(node: ir.Expr) -> str:
    names = _names(node)
    if "status" in names:
        return "status"
    if "date" in names and names & {"period_start", "period_end"}:
        return "period"
    return "condition"


class Excluder:
    """For one measure's condition: the reason a deal fails it, from the first failing part."""

    def __init__(self, where: ir.Expr, compile_: Callable[[ir.Expr], Callable]):
        self.parts = [(compile_(c), kind_of(c), expr_text(c.src)) for c in conjuncts(where)]

    def reason(self, scope) -> Reason:
        deal = scope.deal
        for fn, kind, text in self.parts:
            if not fn(scope):
                if kind == "status":
                    return kind, f"status {deal.get('status')} is not counted ({text})"
                if kind == "period":
                    return kind, f"date {deal['date'].isoformat()} is outside the period ({text})"
                return kind, f"the condition {text} is false"
        return "condition", "the condition is false"  # pragma: no cover - called only for deals that fail it
