"""The reasons behind the biggest changes: breakdowns of the payees asked for under both runs (the
row evaluator traces them, checked against the columnar amounts) and a line-by-line diff."""

from __future__ import annotations

import json
from decimal import Decimal

from incentives.engine import numbers
from incentives.explain.render import render_json

from .diff import diff_breakdowns
from .outcome import Change, Outcome


def breakdowns(outcome: Outcome, payees: list[str], deals=None, splits=None, period=None,
               activities=None) -> dict[str, dict]:
    if not payees:
        return {}
    found = outcome.plan.explain_table(outcome.inputs, outcome.amounts, payees, deals=deals, splits=splits,
                                       period=period, activities=activities, params=outcome.params or None)
    return {pid: json.loads(render_json(b)) for pid, b in found.items()}


def explain_changes(baseline: Outcome, scenario: Outcome, changed: list[Change], top: int = 20, **data) -> None:
    """Fill in the reasons of the `top` biggest gains and the `top` biggest losses."""
    picked = changed[:top] + [c for c in changed[-top:] if c not in changed[:top]]
    changed_params = _params_changed(baseline, scenario)
    ids = [c.payee for c in picked]
    before = breakdowns(baseline, ids, **data)
    after = breakdowns(scenario, ids, **data)
    for c in picked:
        if c.payee in before and c.payee in after:
            c.reasons = changed_params + diff_breakdowns(before[c.payee], after[c.payee])


def _params_changed(baseline: Outcome, scenario: Outcome) -> list[str]:
    """`param top_rate: 15% -> 22%` for each plan parameter the scenario sets to another value."""
    declared = getattr(scenario.plan.ir, "params", {}) or {}
    out = []
    for name, decl in declared.items():
        old = baseline.params.get(name, decl.default) if scenario.plan is baseline.plan else None
        new = scenario.params.get(name, decl.default)
        if old is None or Decimal(old) != Decimal(new):
            shown_old = "-" if old is None else numbers.value(Decimal(old), decl.type, scenario.plan.ir.minor_units)
            out.append(f"param {name}: {shown_old} -> {numbers.value(Decimal(new), decl.type, scenario.plan.ir.minor_units)}")
    return out
