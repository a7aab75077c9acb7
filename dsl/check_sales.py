"""Checks of the sales-data declarations: deal columns, crediting rules and measures.

Deal data has standard columns (`DEAL_FIELDS`); a `deals { field ... }` block
declares any others the plan uses.  A measure aggregates the payee's credited
deals (`of deals`, where-conditions over deal columns and inputs) or a
person-level value over the payee's team or reports (`of team`, `of reports`).
Measures are values like inputs: definitions, components, awards, examples and
properties use them by name.
"""

from __future__ import annotations

import difflib
from decimal import Decimal

from . import ast
from .check_expr import ExprChecker, Scope, fold
from .diagnostics import Diagnostic
from .types import INPUT_TYPES, NUMERIC, T, describe

DEAL_FIELDS: dict[str, T] = {
    "id": T.TEXT, "owner": T.TEXT, "amount": T.MONEY, "currency": T.TEXT, "date": T.DATE,
    "product": T.TEXT, "product_line": T.TEXT, "customer": T.TEXT, "new_customer": T.BOOL,
    "margin": T.MONEY, "cost": T.MONEY, "status": T.TEXT,
    "reversal_date": T.DATE,  # when a won deal was refunded, cancelled or churned (clawbacks place it by this)
    "credit": T.TEXT,  # how the payee is credited: owner, split, overlay or rollup
    "share": T.PERCENT,  # the payee's share of the deal
    "deal_amount": T.MONEY,  # the whole deal's amount (amount, margin and cost are the payee's share of it)
    "deal_margin": T.MONEY,  # the whole deal's margin
    "deal_cost": T.MONEY,  # the whole deal's cost
}
#: a deal's status: closed won, cancelled or refunded after the close, and from a CRM export,
#: opportunities still open or closed lost.  Nothing leaves a deal out by its status: conditions do.
DEAL_STATUSES = ("won", "cancelled", "refunded", "churned", "open", "lost")
CREDIT_KINDS = ("owner", "split", "overlay", "rollup")
CREDIT_RULES = ("splits", "overlays", "rollup")
AGGREGATES = ("sum", "count", "average", "min", "max")
SOURCES = ("deals", "activities", "team", "reports")
#: what a run gives every payee: the period's first and last day; its days, the payee's days on the plan
#: in it and their ratio (calendar days, or working days with `days working`)
PERIOD_NAMES = {"period_start": T.DATE, "period_end": T.DATE, "period_days": T.COUNT, "days_active": T.COUNT,
                "participation": T.PERCENT}


def _error(errors: list[Diagnostic], node, message: str, code: str, hint: str | None = None) -> None:
    errors.append(Diagnostic(node.span, message, code, hint=hint))


def deal_fields(decls: list[ast.DealsDecl], errors: list[Diagnostic]) -> dict[str, T]:
    fields = dict(DEAL_FIELDS)
    for extra in decls[1:]:
        _error(errors, extra, "a plan has one `deals` block", "duplicate")
    for d in decls[:1]:
        for f in d.fields:
            if f.name.text in DEAL_FIELDS:
                _error(errors, f.name, f"`{f.name.text}` is a standard deal column; it needs no declaration", "deals")
                continue
            t = INPUT_TYPES.get(f.type.text)
            if t is None:
                _error(errors, f.type, f"unknown type `{f.type.text}`", "type", "types are " + ", ".join(INPUT_TYPES))
                t = T.ERROR
            fields[f.name.text] = t
            if t == T.MONEY:
                fields[f"deal_{f.name.text}"] = T.MONEY  # the whole deal's value; the column is the payee's share
    return fields


def crediting_rules(decls: list[ast.CreditingDecl], errors: list[Diagnostic]) -> frozenset[str]:
    rules: set[str] = set()
    for extra in decls[1:]:
        _error(errors, extra, "a plan has one `crediting` block", "duplicate")
    for d in decls[:1]:
        for r in d.rules:
            if r.text not in CREDIT_RULES:
                close = difflib.get_close_matches(r.text, CREDIT_RULES, n=1)
                _error(errors, r, f"unknown crediting rule `{r.text}`", "crediting",
                       f"did you mean `{close[0]}`?" if close else "rules are " + ", ".join(CREDIT_RULES))
            elif r.text in rules:
                _error(errors, r, f"`{r.text}` is listed twice", "duplicate")
            rules.add(r.text)
    return frozenset(rules)


_ONE = {"deals": "deal", "activities": "activity", "team": "person", "reports": "person"}


def is_result_measure(m: ast.MeasureDecl, results: set[str]) -> bool:
    """A measure of what the reports were paid (a component or `total`): worked out after them."""
    return m.source.text == "reports" and m.field is not None and m.field.text in results


def paid_later(decls: list[ast.MeasureDecl], results: set[str]) -> dict[str, tuple[str, str]]:
    """For each measure of pay: why it cannot be used before people are paid, and where it can."""
    return {m.name.text: ("it measures what the reports were paid, which is known only after the reports are paid",
                          "a measure of pay may be used in component lines (other than `pool`), awards, the payout "
                          "block and properties")
            for m in decls if is_result_measure(m, results)}


def check_measure(m: ast.MeasureDecl, fields: dict[str, T], people: dict[str, T], exprs: ExprChecker,
                  errors: list[Diagnostic], results: set[str] = frozenset(),
                  contests: frozenset[str] = frozenset(), later: dict | None = None,
                  activities: dict[str, T] | None = None) -> T:
    """Check a measure; return its type.  people: the person-level values (inputs, deal measures);
    results: the component names and `total`, which a measure of reports may aggregate; contests:
    every contest's name, to say that their results come too late for a measure; later: the measures
    of pay, to say that they too come too late for a measure's condition; activities: the activity
    columns (a measure `of activities` reads them)."""
    later = later or {}
    agg, source = m.agg.text, m.source.text
    if m.field is not None and m.field.text in results and source != "reports":
        _error(errors, m.field, f"what people are paid can be aggregated over `reports` only: the {source} "
                                f"includes the payee, whose pay is not known yet", "measure")
        return T.ERROR
    if is_result_measure(m, results):
        if m.where is not None:
            exprs.expect(m.where, Scope(dict(people), where="in a measure of reports", all_contests=contests,
                                       later=later), {T.BOOL},
                         "a measure's condition")
        if agg == "count":
            _error(errors, m.field, "`count` counts people: write `count of reports`", "measure")
            return T.ERROR
        return T.MONEY
    if agg not in AGGREGATES:
        _error(errors, m.agg, f"unknown aggregate `{agg}`", "measure", "aggregates are " + ", ".join(AGGREGATES))
        return T.ERROR
    if source not in SOURCES:
        _error(errors, m.source, f"a measure is taken of deals, activities, team or reports, not `{source}`",
               "measure")
        return T.ERROR
    if source == "deals":
        scope = Scope({**people, **fields}, where="in a measure of deals", all_contests=contests, later=later)
        available, what = fields, "deal column"
    elif source == "activities":
        available, what = dict(activities or {}), "activity column"
        scope = Scope({**people, **available}, where="in a measure of activities", all_contests=contests,
                      later=later)
    else:
        scope = Scope(dict(people), where=f"in a measure of {source}", all_contests=contests, later=later)
        available, what = people, "value of each person (an input, a definition or a measure of deals)"
    if m.where is not None:
        exprs.expect(m.where, scope, {T.BOOL}, "a measure's condition")
    if agg == "count":
        if m.field is not None or m.value is not None:
            _error(errors, m.field or m.value, "`count` counts deals or people: write `count of deals`", "measure")
        return T.COUNT
    if m.value is not None:
        return exprs.expect(m.value, scope, set(NUMERIC), f"what `{agg}` takes of each {_ONE[source]}")
    if m.field is None:
        _error(errors, m.agg, f"`{agg}` needs a value to aggregate, such as `{agg} amount of deals`", "measure")
        return T.ERROR
    t = available.get(m.field.text)
    if t is None:
        close = difflib.get_close_matches(m.field.text, list(available), n=1)
        _error(errors, m.field, f"`{m.field.text}` is not {'an' if what[0] in 'aeiou' else 'a'} {what}", "measure",
               f"did you mean `{close[0]}`?" if close else None)
        return T.ERROR
    if t not in NUMERIC and t is not T.ERROR:
        _error(errors, m.field, f"`{agg}` needs numbers or money; `{m.field.text}` is {describe(t)}", "measure")
        return T.ERROR
    return t


def check_deal_names(plan: ast.Plan, fields: dict[str, T], errors: list[Diagnostic]) -> None:
    """In a plan that reads deals, no plan name may be a deal column: conditions would be ambiguous."""
    for d in plan.decls:
        name = getattr(d, "name", None)
        if isinstance(name, ast.Ident) and name.text in fields:
            _error(errors, name, f"`{name.text}` is a deal column in this plan; choose another name", "reserved")


TIE_RULES = ("shared", "split", "broken")
CONTEST_GROUPS = ("all", "team")
POOL_GROUPS = ("all", "team")


def check_contest(c: ast.ContestDecl, scope: Scope, exprs: ExprChecker, errors: list[Diagnostic],
                  minor_units: int = 2, params: dict | None = None) -> None:
    """Rank by a number or money, among all or the team; ties shared, split or broken by values.
    Prizes are constants or read the plan's params (`params`: `ParamInfo` by name)."""
    if c.rank_by is None:
        _error(errors, c.name, f"contest `{c.name.text}` needs `rank by ...`: the value people are ranked by",
               "contest")
    else:
        exprs.expect(c.rank_by, scope, set(NUMERIC), "what a contest ranks by")
    if c.among is not None and c.among.text not in CONTEST_GROUPS:
        _error(errors, c.among, f"a contest ranks among all or team, not `{c.among.text}`", "contest")
    if c.qualify is not None:
        exprs.expect(c.qualify, scope, {T.BOOL}, "a contest's qualification")
    if c.ties is not None:
        if c.ties.text not in TIE_RULES:
            _error(errors, c.ties, f"unknown tie rule `{c.ties.text}`", "contest",
                   "ties are `shared` (same place, same prize), `split` (the tied places' prizes shared out) "
                   "or `broken by VALUE, ...`")
        elif (c.ties.text == "broken") != bool(c.tie_breakers):
            _error(errors, c.ties, "`ties broken by ...` names the values that break ties; `shared` and "
                                   "`split` take none", "contest")
        for b in c.tie_breakers:
            exprs.expect(b, scope, set(NUMERIC), "a tie-breaker")
    params = params or {}
    fixed = Scope({n: info.type for n, info in params.items()}, fixed=True,
                  where="in a prize: prizes are constants" + (" or params" if params else ""))
    for p in c.prizes:
        if exprs.expect(p, fixed, {T.MONEY}, "a prize") == T.MONEY:
            value = params[p.id].default if isinstance(p, ast.Name) and p.id in params else fold(p)
            if value is not None and value != value.quantize(Decimal(1).scaleb(-minor_units)):
                _error(errors, p, f"a prize is a whole number of the currency's minor unit "
                                  f"({minor_units} decimal places)", "contest")
    if c.places is not None:
        places = fold(c.places)
        if not (places is not None and not isinstance(places, bool) and places == int(places) and places >= 1):
            _error(errors, c.places, "`places` is a whole number of places, at least 1", "contest")
        elif c.prizes and places < len(c.prizes):
            _error(errors, c.places, f"{len(c.prizes)} prizes need at least {len(c.prizes)} places", "contest")


def check_pool(line: ast.PoolLine, scope: Scope, exprs: ExprChecker, errors: list[Diagnostic]) -> None:
    exprs.expect(line.amount, scope, {T.MONEY}, "a pool's amount")
    if line.among.text not in POOL_GROUPS:
        _error(errors, line.among, f"a pool is shared among {', '.join(POOL_GROUPS)}, not `{line.among.text}`",
               "pool")
    if line.by is not None:
        exprs.expect(line.by, scope, set(NUMERIC), "what a pool is shared by")
