"""The reasons behind the biggest changes: breakdowns of the payees asked for under both runs (the
row evaluator traces them, checked against the columnar amounts) and a line-by-line diff."""

from __future__ import annotations

import json

from incentives.explain.render import render_json

from .diff import diff_breakdowns
from .outcome import Change, Outcome


def breakdowns(outcome: Outcome, payees: list[str], deals=None, splits=None, period=None,
               activities=None) -> dict[str, dict]:
    if not payees:
        return {}
    kwargs = {"params": outcome.params} if outcome.params else {}
    result = outcome.plan.run_table(outcome.inputs, deals=deals, splits=splits, period=period,
                                    activities=activities, explain=payees, **kwargs)
    return {pid: json.loads(render_json(b)) for pid, b in result.breakdowns.items()}


def explain_changes(baseline: Outcome, scenario: Outcome, changed: list[Change], top: int = 20, **data) -> None:
    """Fill in the reasons of the `top` biggest gains and the `top` biggest losses."""
    picked = changed[:top] + [c for c in changed[-top:] if c not in changed[:top]]
    ids = [c.payee for c in picked]
    before = breakdowns(baseline, ids, **data)
    after = breakdowns(scenario, ids, **data)
    for c in picked:
        if c.payee in before and c.payee in after:
            c.reasons = diff_breakdowns(before[c.payee], after[c.payee])
