"""Checks of what pays across periods: the header's `partial periods`, `days` and `fx`, `prorated`
inputs, dated definitions, `per_period`, and the `draw` and `clawback` blocks.

A draw's amount, recovery share and cap are the payee's values (inputs, definitions, measures),
worked out each period; a clawback's `when` reads the deal's columns, like a measure's condition.
"""

from __future__ import annotations

from decimal import Decimal

from . import ast
from .check_expr import ExprChecker, Scope, fold
from .diagnostics import Diagnostic
from .types import T

DAY_COUNTS = ("calendar", "working")
FX_DATES = ("close", "period_end")
FORGIVE_EVENTS = ("year_end", "termination")
#: the names a period run gives every payee, beside period_start and period_end
PARTICIPATION_NAMES = {"period_days": T.COUNT, "days_active": T.COUNT, "participation": T.PERCENT}
#: the deals a clawback takes back from when its block says no `when`
REVERSED_STATUSES = ("refunded", "cancelled", "churned")


def _error(errors: list[Diagnostic], node, message: str, code: str, hint: str | None = None) -> None:
    errors.append(Diagnostic(node.span if not isinstance(node, ast.Span) else node, message, code, hint=hint))


def header_time(h: ast.PlanHeader, errors: list[Diagnostic]) -> dict:
    """partial (bool), days (calendar or working) and fx (close or period_end) from the header."""
    out = {"partial": h.partial is not None, "days": "calendar", "fx": "close"}
    for key, allowed, keyword in (("days", DAY_COUNTS, "days"), ("fx", FX_DATES, "fx at")):
        node = getattr(h, key)
        if node is None:
            continue
        if node.text not in allowed:
            _error(errors, node, f"unknown `{key}` setting `{node.text}`", key,
                   hint="write " + " or ".join(f"`{keyword} {a}`" for a in allowed))
        else:
            out[key] = node.text
    return out


def check_prorated(inputs: list[ast.InputDecl], errors: list[Diagnostic]) -> None:
    for d in inputs:
        if d.prorated and d.type.text not in ("money", "number"):
            _error(errors, d, f"`{d.name.text}` is {d.type.text}: only money and numbers can be prorated", "prorated")


def check_dated_lets(lets: list[ast.LetDecl], errors: list[Diagnostic]) -> None:
    """The dates of a definition's `from` clauses go up, each once."""
    for d in lets:
        previous = None
        for date, _ in d.dated:
            if previous is not None and date.value <= previous.value:
                _error(errors, date, f"the dates of `{d.name.text}` must go up: {date.text} comes after "
                                     f"{previous.text}", "dates")
            previous = date


def check_draws(draws: list[ast.DrawDecl], exprs: ExprChecker, scope: Scope, errors: list[Diagnostic]) -> None:
    for extra in draws[1:]:
        _error(errors, extra, "a plan has one `draw`", "duplicate")
    for d in draws:
        if d.amount is None:
            _error(errors, d, f"draw `{d.name.text}` needs an `amount`, such as `amount 2_000 USD`", "draw")
        else:
            exprs.expect(d.amount, scope, {T.MONEY}, "a draw's amount")
        if d.recover is not None:
            _share(d.recover, exprs, scope, errors, "a draw's `recover` share (of the earnings above the draw)")
        if d.cap is not None:
            exprs.expect(d.cap, scope, {T.MONEY}, "a draw's recovery cap")
        for lit, what in ((d.delay, "delay"), (d.periods, "for")):
            if lit is not None and lit.value != int(lit.value):
                _error(errors, lit, f"`{what}` counts whole periods, not {lit.text}", "draw")
        if d.periods is not None and d.periods.value == 0:
            _error(errors, d.periods, "a draw `for 0 periods` is never paid", "draw")
        _forgive(d.forgive, errors)


def check_clawbacks(clawbacks: list[ast.ClawbackDecl], exprs: ExprChecker, deal_scope: Scope, reads_deals: bool,
                    errors: list[Diagnostic]) -> None:
    names = set()
    for c in clawbacks:
        names.add(c.name.text)
        if not reads_deals:
            _error(errors, c, "a clawback takes back pay on deals, but the plan reads no deals", "clawback",
                   hint="measure the deals the plan pays on (`measure bookings = sum amount of deals ...`)")
        if c.when is not None:
            exprs.expect(c.when, deal_scope, {T.BOOL}, "a clawback's `when`")
        if c.within is None:
            _error(errors, c, f"clawback `{c.name.text}` needs a window, such as `within 90 days` (of the close)",
                   "clawback")
        for lit in (c.within, c.straight):
            if lit is not None and (lit.value != int(lit.value) or lit.value <= 0):
                _error(errors, lit, f"a number of days is a whole number above 0, not {lit.text}", "clawback")
        if c.take is not None:
            _share(c.take, exprs, Scope({}, where="in a clawback's `take` (a constant share)"), errors,
                   "a clawback's `take`")
        _forgive(c.forgive, errors)


def _share(e: ast.Expr, exprs: ExprChecker, scope: Scope, errors: list[Diagnostic], what: str) -> None:
    t = exprs.expect(e, scope, {T.PERCENT}, what)
    value = fold(e) if t == T.PERCENT else None
    if isinstance(value, Decimal) and not 0 <= value <= 1:
        _error(errors, e, f"{what} is a share from 0% to 100%, not {e.text if isinstance(e, ast.Literal) else value}",
               "range")


def _forgive(events: list[ast.Ident], errors: list[Diagnostic]) -> None:
    seen = set()
    for event in events:
        if event.text not in FORGIVE_EVENTS:
            _error(errors, event, f"unknown forgiveness `{event.text.replace('_', ' ')}`", "forgive",
                   hint="write `forgive at year end` or `forgive at termination`")
        elif event.text in seen:
            _error(errors, event, f"`forgive at {event.text.replace('_', ' ')}` is given twice", "duplicate")
        seen.add(event.text)
