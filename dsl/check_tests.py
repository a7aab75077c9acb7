"""Checks of the tests a plan carries: examples and properties.

An example gives constant values to inputs (every input without a default must
be given) and expects amounts for components, `total` or `subtotal`, and
awards granted or not.  A property's assumptions and laws are conditions over
the inputs, definitions, component amounts, `total`, `subtotal` and awards
(true when granted); `monotone TARGET in INPUT` needs a money target and a
numeric or date input.
"""

from __future__ import annotations

from . import ast
from .check_expr import ExprChecker, Scope, fold
from .diagnostics import Diagnostic
from .printer import expr_text
from .types import NUMERIC, T, describe, fits

RESULT_NAMES = ("total", "subtotal")


def _error(errors: list[Diagnostic], node, message: str, code: str, hint: str | None = None) -> None:
    errors.append(Diagnostic(node.span, message, code, hint=hint))


def check_example(ex: ast.ExampleDecl, inputs: dict, components: set[str], awards: set[str],
                  exprs: ExprChecker, errors: list[Diagnostic]) -> None:
    constants = Scope({}, where="in an example: give constant values")
    given: set[str] = set()
    for g in ex.givens:
        name = g.name.text
        t = exprs.check(g.value, constants)
        if name not in inputs:
            _error(errors, g.name, f"`{name}` is not an input of this plan", "example",
                   hint="examples give values to inputs; inputs are " + ", ".join(inputs))
            continue
        if name in given:
            _error(errors, g.name, f"`{name}` is given twice in this example", "duplicate")
        given.add(name)
        want = inputs[name].type
        value = fold(g.value)
        info = inputs[name]
        if T.ERROR not in (t, want) and not fits(t, want, value):
            _error(errors, g.value, f"`{name}` is {describe(want)}, but this is {describe(t)}", "type")
        elif value is not None and info.range is not None and not info.range[0] <= value <= info.range[1]:
            _error(errors, g.value, f"`{name}` is declared from {expr_text(info.decl.range[0])} to "
                                    f"{expr_text(info.decl.range[1])}; an example cannot give it "
                                    f"{expr_text(g.value)}", "example")
        elif value is not None and info.choices is not None and value not in info.choices:
            _error(errors, g.value, f"`{name}` takes one of its listed values; {expr_text(g.value)} is not one",
                   "example")
    missing = [n for n, info in inputs.items() if not info.has_default and n not in given]
    if missing:
        _error(errors, ex, f"example \"{ex.label}\" does not give " + ", ".join(f"`{n}`" for n in missing)
               + (", which has no default" if len(missing) == 1 else ", which have no default"), "example")
    for e in ex.expects:
        name = e.name.text
        if e.award is not None:
            if name not in awards:
                _error(errors, e.name, f"`{name}` is not an award of this plan", "example")
            continue
        if name not in components and name not in RESULT_NAMES:
            _error(errors, e.name, f"`{name}` is not a component", "example",
                   hint="expect an amount for a component, `total` or `subtotal`")
            continue
        exprs.expect(e.value, constants, {T.MONEY}, f"the expected amount of `{name}`")


def check_property(prop: ast.PropertyDecl, scope: Scope, inputs: dict, exprs: ExprChecker,
                   errors: list[Diagnostic]) -> None:
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
        if info is None:
            _error(errors, law.input, f"`{law.input.text}` is not an input of this plan", "property")
        elif info.type not in NUMERIC and info.type not in (T.DATE, T.ERROR):
            _error(errors, law.input, f"`monotone` varies a number, money or a date, "
                                      f"not {describe(info.type)}", "type")
