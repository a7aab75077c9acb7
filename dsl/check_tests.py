"""Checks of the tests a plan carries: examples and properties.

An example gives constant values to inputs (every input without a default must
be given) and expects amounts for components, `total` or `subtotal`, and
awards granted or not.  A property's assumptions and laws are conditions over
the inputs, definitions, component amounts, `total`, `subtotal` and awards
(true when granted); `monotone TARGET in INPUT` needs a money target and a
numeric or date input.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath

from . import ast
from .check_activities import check_activity_records, record_fields
from .check_expr import ExprChecker, Scope, fold
from .check_sales import DEAL_STATUSES
from .periods import period_bounds
from .diagnostics import Diagnostic
from .printer import expr_text
from .types import NUMERIC, T, describe, fits

RESULT_NAMES = ("total", "subtotal")
#: a person's columns besides the plan's inputs
ORG_FIELDS = {"team": T.TEXT, "manager": T.TEXT, "name": T.TEXT, "role": T.TEXT, "grade": T.TEXT,
              "region": T.TEXT, "hire_date": T.DATE, "leave_date": T.DATE}
REQUIRED_DEAL_FIELDS = ("owner", "amount", "date")
COMPUTED_DEAL_FIELDS = ("id", "credit", "share", "via")  # given by the line itself or by crediting


def _error(errors: list[Diagnostic], node, message: str, code: str, hint: str | None = None) -> None:
    errors.append(Diagnostic(node.span, message, code, hint=hint))


@dataclass
class ExampleContext:
    """What an example may name: the plan's inputs, measures, results and sales-data columns."""

    inputs: dict  # name -> InputInfo: the plan's inputs
    measures: dict  # name -> InputInfo: measures (given like inputs when no people are given)
    components: set[str]
    awards: set[str]
    deal_fields: dict[str, T] = dc_field(default_factory=dict)
    deal_infos: dict = dc_field(default_factory=dict)  # declared deal columns: ranges, listed values
    crediting: frozenset[str] = frozenset()
    effective: bool = True  # whether the plan has effective dates (an example's default period)
    activity_fields: dict[str, T] = dc_field(default_factory=dict)
    activity_infos: dict = dc_field(default_factory=dict)  # declared activity columns: ranges, listed values
    named: dict[str, T] = dc_field(default_factory=dict)  # every value by name: inputs, definitions, the period's


def _check_value(name: ast.Ident, value: ast.Expr, want: T, info, exprs: ExprChecker, constants: Scope,
                 errors: list[Diagnostic], what: str) -> None:
    """A constant given to an input or column: its type, declared range and listed values."""
    t = exprs.check(value, constants)
    folded = fold(value)
    if T.ERROR not in (t, want) and not fits(t, want, folded):
        hint = (f"write an amount with the plan's currency, such as `{value.text} {exprs.currency}`"
                if want == T.MONEY and isinstance(value, ast.Literal) and value.kind == "number" else None)
        _error(errors, value, f"`{name.text}` is {describe(want)}, but this is {describe(t)}", "type", hint)
    elif info is not None and folded is not None and info.range is not None \
            and not info.range[0] <= folded <= info.range[1]:
        _error(errors, value, f"`{name.text}` is declared from {expr_text(info.decl.range[0])} to "
                              f"{expr_text(info.decl.range[1])}; {what} cannot give it {expr_text(value)}", "example")
    elif info is not None and folded is not None and info.choices is not None and folded not in info.choices:
        _error(errors, value, f"`{name.text}` takes one of its listed values; {expr_text(value)} is not one",
               "example")


def check_example(ex: ast.ExampleDecl, ctx: ExampleContext, exprs: ExprChecker, errors: list[Diagnostic]) -> None:
    constants = Scope({}, where="in an example: give constant values")
    givable = {**ctx.inputs, **ctx.measures}
    given: set[str] = set()
    for g in ex.givens:
        name = g.name.text
        if ex.has_sales:
            exprs.check(g.value, constants)
            _error(errors, g, "this example gives people: give each person's inputs in their `person` line",
                   "example", hint=f'for example `person "A-1" {{ {name} = ... }}`')
            continue
        if name == "days_active" and not ex.has_sales:  # the payee's days on the plan in the example's period
            if name in given:
                _error(errors, g.name, f"`{name}` is given twice in this example", "duplicate")
            given.add(name)
            if ex.period is None:
                _error(errors, g.name, "`days_active` needs the example's period: add a `period` line", "example")
            exprs.expect(g.value, constants, {T.COUNT, T.NUMBER}, "`days_active`")
            continue
        if name not in givable:
            exprs.check(g.value, constants)
            _error(errors, g.name, f"`{name}` is not an input of this plan", "example",
                   hint="examples give values to inputs; inputs are " + ", ".join(givable))
            continue
        if name in given:
            _error(errors, g.name, f"`{name}` is given twice in this example", "duplicate")
        given.add(name)
        _check_value(g.name, g.value, givable[name].type, givable[name], exprs, constants, errors, "an example")
    missing = [n for n, info in givable.items() if not info.has_default and n not in given]
    if missing and not ex.has_sales:
        _error(errors, ex, f"example \"{ex.label}\" does not give " + ", ".join(f"`{n}`" for n in missing)
               + (", which has no default" if len(missing) == 1 else ", which have no default"), "example")
    _check_period(ex, errors)
    people = check_sales_example(ex, ctx, exprs, constants, errors) if ex.has_sales else None
    for e in ex.expects:
        name = e.name.text
        if e.payee is not None and people is None:
            _error(errors, e.payee, "this example gives no people: expect amounts without a person's id",
                   "example")
        elif e.payee is None and people is not None:
            _error(errors, e, "this example gives people: say whose amount is expected", "example",
                   hint=f'for example `expect "{next(iter(people), "A-1")}" {name} ...`')
        elif e.payee is not None and people and e.payee.text not in people:
            _error(errors, e.payee, f"no person `{e.payee.text}` in this example", "example",
                   hint=_did_you_mean(e.payee.text, people))
        if e.award is not None:
            if name not in ctx.awards:
                _error(errors, e.name, f"`{name}` is not an award of this plan", "example")
            continue
        if e.deal is not None:
            if name not in ctx.components:
                _error(errors, e.name, f"`{name}` is not a component: a deal's payment is expected of a component",
                       "example")
            elif people is None:
                _error(errors, e.deal, "this example gives no deals: a deal's payment needs `deal` lines", "example")
            exprs.expect(e.value, constants, {T.MONEY}, f"the expected payment of `{name}` on a deal")
            continue
        if (name in ctx.named or name in ctx.measures) and name not in ctx.components and name not in RESULT_NAMES:
            name_type = ctx.measures[name].type if name in ctx.measures else ctx.named[name]
            want, t = name_type, exprs.check(e.value, constants)
            if T.ERROR not in (t, want) and not fits(t, want, fold(e.value)):
                _error(errors, e.value, f"`{name}` is {describe(want)}, but this is {describe(t)}", "type")
            continue
        if name not in ctx.components and name not in RESULT_NAMES:
            _error(errors, e.name, f"`{name}` is not a component or a value of this plan", "example",
                   hint="expect a component, `total`, `subtotal`, a measure, an input or a definition")
            continue
        exprs.expect(e.value, constants, {T.MONEY}, f"the expected amount of `{name}`")


def _check_period(ex: ast.ExampleDecl, errors: list[Diagnostic]) -> None:
    """An example's `period` line: the period of its run, with sales data or for one payee."""
    for extra in ex.extra_periods:
        _error(errors, extra, "an example has one `period` line", "duplicate")
    if ex.period is not None and ex.period.name is not None:
        try:
            period_bounds(ex.period.name.text)
        except ValueError:
            _error(errors, ex.period.name, f"`{ex.period.name.text}` is not a period", "example",
                   hint='write "2026", "2026-H1", "2026-Q3" or "2026-03", or `period 2026-01-01 to 2026-03-31`')
    elif ex.period is not None and ex.period.end.value < ex.period.start.value:
        _error(errors, ex.period, "the period ends before it starts", "example")


def _did_you_mean(name: str, known) -> str | None:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean `{close[0]}`?" if close else None


def check_sales_example(ex: ast.ExampleDecl, ctx: ExampleContext, exprs: ExprChecker, constants: Scope,
                        errors: list[Diagnostic]) -> dict[str, ast.Record]:
    """The people, deals, split rows, data files and period of an example.  Ids are checked against
    the example's own people and deals unless a data file gives more of them."""
    files: dict[str, ast.DataFile] = {}
    for f in ex.files:
        if f.kind in files:
            _error(errors, f, f"`{f.kind} from` is given twice in this example", "duplicate")
        files[f.kind] = f
        problem = data_path_problem(f.path.text, Path(f.path.span.file).parent)
        if problem:
            _error(errors, f.path, problem, "example-path",
                   hint='name a file in the plan\'s folder or below it, such as "data/q1.csv"')
    if ex.period is None and not ctx.effective:
        _error(errors, ex, f"example \"{ex.label}\" needs a period: the plan has no effective dates to "
                           f"fall back on", "example", hint='add `period "2026-Q1"` or `period 2026-01-01 to '
                                                           '2026-03-31` to the example')
    people = _records(ex, "person", errors)
    deals = _records(ex, "deal", errors)
    if not people and "people" not in files:
        _error(errors, ex, f"example \"{ex.label}\" gives sales data but no people", "example",
               hint='add `person "A-1" { ... }` lines or `people from "FILE"`')
    open_people = "people" in files  # a file may hold more people: ids are checked when it is read
    person_fields = {**ORG_FIELDS, **{n: i.type for n, i in ctx.inputs.items()}}
    for rec in (r for r in ex.records if r.kind == "person"):
        seen: set[str] = set()
        for f in rec.fields:
            name = f.name.text
            if name in seen:
                _error(errors, f.name, f"`{name}` is given twice for `{rec.id.text}`", "duplicate")
            seen.add(name)
            if name in ctx.measures:
                exprs.check(f.value, constants)
                _error(errors, f.name, f"`{name}` is a measure: it is worked out from the example's deals "
                                       f"and people, not given", "example")
            elif name not in person_fields:
                exprs.check(f.value, constants)
                _error(errors, f.name, f"`{name}` is not an input of this plan or a column of the people table",
                       "example", hint=_did_you_mean(name, person_fields) or "people take the plan's inputs and "
                       + ", ".join(ORG_FIELDS))
            else:
                _check_value(f.name, f.value, person_fields[name], ctx.inputs.get(name), exprs, constants, errors,
                             "an example")
                if name == "manager" and not open_people:
                    _known(fold(f.value), people, f.value, "person", errors)
        missing = [n for n, info in ctx.inputs.items() if not info.has_default and n not in seen]
        if missing:
            _error(errors, rec, f"person `{rec.id.text}` has no " + ", ".join(f"`{n}`" for n in missing)
                   + (", which has no default" if len(missing) == 1 else ", which have no default"), "example")
    if not open_people:
        _check_chains(people, errors)
    deal_fields = {n: t for n, t in ctx.deal_fields.items() if n not in COMPUTED_DEAL_FIELDS
                   and not n.startswith("deal_")}
    for rec in (r for r in ex.records if r.kind == "deal"):
        seen: set[str] = set()
        for name, f in record_fields(rec, "deal", deal_fields, ctx.deal_infos, _check_value, exprs, constants,
                                     errors, seen):
            value = fold(f.value)
            if name == "owner" and not open_people:
                _known(value, people, f.value, "person", errors)
            elif name == "currency" and value is not None and value != exprs.currency:
                _error(errors, f.value, f"the plan pays in {exprs.currency}; a deal in {value} is refused when "
                                        f"the data is read", "currency")
            elif name == "status" and value is not None and value not in DEAL_STATUSES:
                _error(errors, f.value, f"a deal's status is one of {', '.join(DEAL_STATUSES)}", "example")
        missing = [n for n in REQUIRED_DEAL_FIELDS if n not in seen]
        if missing:
            _error(errors, rec, f"deal `{rec.id.text}` has no " + ", ".join(f"`{n}`" for n in missing), "example")
    _check_credits(ex, ctx, deals, people, files, exprs, constants, errors)
    reads = any(getattr(getattr(i.decl, "source", None), "text", None) == "activities" for i in ctx.measures.values())
    check_activity_records(ex, ctx.activity_fields, ctx.activity_infos, people, open_people, reads, _check_value,
                           _known, exprs, constants, errors)
    return {} if open_people else people


def data_path_problem(path: str, folder: Path) -> str | None:
    """Why an example may not read `path` (None when it may): an example reads only files inside the
    plan's own folder (a service runs plans written by others), so no absolute path, no `..`, and no
    symbolic link out of the folder."""
    if not path.strip():
        return "the file's name is empty"
    if any(not ch.isprintable() for ch in path):
        return "a file name has no control characters"
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute() or PureWindowsPath(path).drive \
            or path.startswith(("/", "\\", "~")):
        return f"an example reads files inside the plan's folder only: `{path}` is an absolute path"
    if ".." in re.split(r"[/\\]", path):
        return f"an example reads files inside the plan's folder only: `{path}` goes up out of it (`..`)"
    try:
        if folder.is_dir():
            root = folder.resolve()
            if not (root / path).resolve().is_relative_to(root):
                return f"an example reads files inside the plan's folder only: `{path}` leads out of it"
    except (OSError, RuntimeError, ValueError):  # a loop of links, a name the system refuses
        return f"`{path}` cannot be read as a file inside the plan's folder"
    return None


def _check_chains(people: dict[str, ast.Record], errors: list[Diagnostic]) -> None:
    """A chain of managers that comes back round: a roll-up through it would never end."""
    managers = {pid: next((fold(f.value) for f in rec.fields if f.name.text == "manager"), None)
                for pid, rec in people.items()}
    for pid, rec in people.items():
        seen, at = {pid}, managers[pid]
        while isinstance(at, str) and at in people:
            if at in seen:
                field = next(f for f in rec.fields if f.name.text == "manager")
                _error(errors, field.value, f"the managers of `{pid}` go round in a circle", "example")
                break
            seen.add(at)
            at = managers[at]


def _records(ex: ast.ExampleDecl, kind: str, errors: list[Diagnostic]) -> dict[str, ast.Record]:
    out: dict[str, ast.Record] = {}
    for rec in (r for r in ex.records if r.kind == kind):
        if rec.id.text in out:
            _error(errors, rec.id, f"{kind} `{rec.id.text}` is given twice in this example", "duplicate")
        elif not rec.id.text.strip():
            _error(errors, rec.id, f"a {kind} needs an id", "example")
        out.setdefault(rec.id.text, rec)
    return out


def _known(value, known: dict, node, what: str, errors: list[Diagnostic]) -> None:
    if isinstance(value, str) and value and value not in known:
        _error(errors, node, f"no {what} `{value}` in this example", "example", hint=_did_you_mean(value, known))


def _check_credits(ex: ast.ExampleDecl, ctx: ExampleContext, deals: dict, people: dict, files: dict,
                   exprs: ExprChecker, constants: Scope, errors: list[Diagnostic]) -> None:
    split_total: dict[str, Decimal] = {}
    for row in ex.credits:
        rule = "splits" if row.kind == "split" else "overlays"
        if rule not in ctx.crediting:
            _error(errors, row, f"the plan's `crediting` block does not use {row.kind} rows", "example",
                   hint=f"add `{rule}` to it, or leave the row out")
        if "deals" not in files and row.deal.text not in deals:
            _error(errors, row.deal, f"no deal `{row.deal.text}` in this example", "example",
                   hint=_did_you_mean(row.deal.text, deals))
        if "people" not in files and row.person.text not in people:
            _error(errors, row.person, f"no person `{row.person.text}` in this example", "example",
                   hint=_did_you_mean(row.person.text, people))
        if exprs.expect(row.share, constants, {T.PERCENT}, "a share") is T.ERROR:
            continue
        share = fold(row.share)
        if share is not None and not 0 < share <= 1:
            _error(errors, row.share, "a share is above 0% and at most 100%", "example")
        elif share is not None and row.kind == "split":
            split_total[row.deal.text] = split_total.get(row.deal.text, Decimal(0)) + share
            if split_total[row.deal.text] > 1:
                _error(errors, row, f"the splits of deal `{row.deal.text}` add up to more than 100%", "example")


def check_property(prop: ast.PropertyDecl, scope: Scope, inputs: dict, exprs: ExprChecker,
                   errors: list[Diagnostic], sales: bool = False) -> None:
    """sales: whether the plan reads sales data (measures, per-deal tiers), so `over deals` means something."""
    if prop.over is not None and prop.over.text == "periods":
        check_over_periods(prop, scope, exprs, errors)
        return
    if prop.over is not None and prop.over.text != "deals":
        _error(errors, prop.over, f"a property runs `over deals` or `over periods`, not over `{prop.over.text}`",
               "property")
    elif prop.over is not None and not sales:
        _error(errors, prop.over, "this plan reads no deals: its properties run over each payee's inputs",
               "property", hint="leave out `over deals`")
    for a in prop.assumes:
        exprs.expect(a, scope, {T.BOOL}, "an assumption")
    if not prop.laws:
        _error(errors, prop, f"property \"{prop.label}\" states no law: add `always ...` or `monotone ...`",
               "property")
    for law in prop.laws:
        if not isinstance(law, ast.Monotone):
            exprs.expect(law, scope, {T.BOOL}, "a property's law")
            continue
        target = scope.values.get(law.target.text)
        if target is None:
            _error(errors, law.target, f"unknown name `{law.target.text}`", "name")
        elif target is not T.MONEY:
            _error(errors, law.target, f"`monotone` follows an amount of money, not {describe(target)}", "type")
        info = inputs.get(law.input.text)
        if law.input.text == "deals":
            if prop.over is None or prop.over.text != "deals":
                _error(errors, law.input, "`monotone ... in deals` adds a deal to generated sales data: "
                                          "the property must run `over deals`", "property",
                       hint=f'write `property "{prop.label}" over deals {{ ... }}`')
        elif prop.over is not None and info is not None and isinstance(info.decl, ast.MeasureDecl):
            _error(errors, law.input, f"`{law.input.text}` is a measure: over deals it is worked out, not varied",
                   "property", hint="vary an input, or `deals`")
        elif info is None:
            _error(errors, law.input, f"`{law.input.text}` is not an input of this plan", "property")
        elif info.type not in NUMERIC and info.type not in (T.DATE, T.ERROR):
            _error(errors, law.input, f"`monotone` varies a number, money or a date, "
                                      f"not {describe(info.type)}", "type")


#: what a law `over periods` reads: each payee's totals over a year of periods run through a ledger
#: (opening: the first period's opening balance; closing: the last period's closing balance)
PERIOD_LAW_NAMES = ("earned", "adjusted", "clawed_back", "paid_on_clawed", "advanced", "guaranteed", "recovered",
                    "forgiven", "paid", "opening", "closing")


def check_over_periods(prop: ast.PropertyDecl, scope: Scope, exprs: ExprChecker, errors: list[Diagnostic]) -> None:
    """`property "..." over periods { always paid == earned + forgiven }`: laws over a payee's year."""
    totals = Scope({name: T.MONEY for name in PERIOD_LAW_NAMES}, where="in a property over periods (it reads "
                   "each payee's totals over the year: " + ", ".join(PERIOD_LAW_NAMES) + ")")
    for a in prop.assumes:
        exprs.expect(a, totals, {T.BOOL}, "an assumption")
    if not prop.laws:
        _error(errors, prop, f"property \"{prop.label}\" states no law: add `always ...`", "property")
    for law in prop.laws:
        if isinstance(law, ast.Monotone):
            _error(errors, law, "a property over periods states `always` laws of the year's totals, not `monotone`",
                   "property")
            continue
        exprs.expect(law, totals, {T.BOOL}, "a property's law")

