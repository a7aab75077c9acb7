"""Run the tests a plan carries: its examples, and its properties with hypothesis.

An example runs the plan on the given inputs and compares every expected
amount exactly.  A property draws inputs from the declared types and ranges,
keeps those that satisfy its assumptions, and checks each law; when a law
breaks, hypothesis shrinks the inputs to a minimal counterexample, which is
reported in plan terms: the inputs (as an example block you can paste into the
plan), the law with the values filled in, and the payee's breakdown.  Runs are
reproducible: the seed is part of every report.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from dsl.printer import expr_text, value_text

from incentives.engine import ir, numbers
from incentives.errors import DataError, EvaluationError
from incentives.engine.evaluate import CONTEXT
from incentives.engine.period import period_values
from .example_data import example_sales
from .outcome import (DEFAULT_EXAMPLES, Broken, Outcome, Report, broken_report, holds, hypothesis_settings,  # noqa: F401
                      indent, law_values, never_compared, new_seed)
from .over_deals import check_over_deals
from incentives.explain.build import Filler, explain
from .strategies import input_strategy, inputs_strategy
from incentives.engine.compiled import CompiledPlan
from incentives.sales.population import Population
from incentives.explain.render import render_text
from incentives.engine.result import PayeeResult

def given_text(plan: ir.Plan, name: str, value) -> str:
    """A value written as the plan language writes it, for a pasteable example."""
    return value_text(value, plan.givable[name].type, plan.currency)


def run_alone(compiled: CompiledPlan, values: dict, payee: str, period: tuple | None = None,
              days_active=None) -> PayeeResult:
    """One payee evaluated alone, traced, in the period given (an example's `period` line), else the
    plan's effective dates."""
    return compiled.run(values, payee, trace=True, period=period or compiled.ir.effective, alone=True,
                        days_active=days_active)


def _breakdown(compiled: CompiledPlan, values: dict, payee: str) -> str:
    try:
        return render_text(explain(compiled, run_alone(compiled, values, payee)))
    except EvaluationError as e:
        return str(e)


# ---- examples ----


def run_example(compiled: CompiledPlan, ex: ir.Example) -> Outcome:
    plan = compiled.ir
    fns = compiled.evaluator.compile
    outcome = Outcome(plan.file, "example", ex.label, ex.span.line, True)
    try:
        if ex.sales is None:
            with localcontext(CONTEXT):
                values = {name: fns(expr)({}) for name, expr in ex.givens.items()}
            days = values.pop("days_active", None)
            results = {None: run_alone(compiled, values, ex.label, ex.period, days)}
        else:
            sales = example_sales(compiled, ex.sales)
            results = {r.payee: r for r in Population(compiled, sales, ex.sales.period).run(trace=True)}
    except (EvaluationError, DataError) as e:
        outcome.passed, outcome.message = False, f"the plan could not be evaluated: {e}"
        return outcome
    wrong: dict[str | None, list[str]] = {}
    for e in ex.expects:
        result = results.get(e.payee)
        where = f"{plan.file}:{e.span.line}"
        who = f"{e.payee}: " if e.payee is not None else ""
        if result is None:
            wrong.setdefault(None, []).append(f"{where}: no person `{e.payee}` in the example's people")
            continue
        if e.award is not None:
            granted = {a.name: a.granted for a in result.awards}[e.name]
            if granted != e.award:
                wrong.setdefault(e.payee, []).append(
                    f"{where}: {who}expected award `{e.name}` {'granted' if e.award else 'not granted'}, "
                    f"but it was {'granted' if granted else 'not granted'}")
            continue
        with localcontext(CONTEXT):
            expected = fns(e.amount)({})
        got = _amount_of(result, e.name, e.deal, plan.minor_units, plan.lets)
        if got != expected:
            t = e.amount.type
            show = lambda v: numbers.value(v, t, plan.minor_units)  # noqa: E731
            diff = got - expected
            wrong.setdefault(e.payee, []).append(
                f"{where}: {who}expected {e.name}{f' on deal {e.deal}' if e.deal else ''} = {show(expected)}, "
                f"got {show(got)} "
                f"({'+' if diff > 0 else ''}{show(diff)})")
    if wrong:
        outcome.passed = False
        parts = []
        for payee, lines in wrong.items():
            parts += lines
            if payee in results:
                parts += [f"  breakdown{' of ' + payee if payee else ''}:",
                          indent(render_text(explain(compiled, results[payee])))]
        outcome.message = "\n".join(parts)
    return outcome


def _amount_of(result: PayeeResult, name: str, deal: str | None = None, digits: int = 2, lets=()):
    """A component's amount, the total or subtotal, any value by name (a measure, input, definition), or
    what a component paid on one deal (its per-deal pay, else its amount shared over its deals)."""
    if deal is not None:
        from incentives.time.pay import attribute
        return attribute(result, {name: result.component(name).amount}, "", digits,
                         {let.name: let.expr for let in lets}).get(deal, Decimal(0))
    if name in ("total", "subtotal"):
        return getattr(result, name)
    amounts = {c.name: c.amount for c in result.components}
    return amounts[name] if name in amounts else result.values[name]


# ---- properties ----


def check_property(compiled: CompiledPlan, prop: ir.Property, seed: int,
                   max_examples: int = DEFAULT_EXAMPLES) -> Outcome:
    if prop.over_deals:
        return check_over_deals(compiled, prop, seed, max_examples)
    if prop.over_periods:
        from .over_periods import check_over_periods
        return check_over_periods(compiled, prop, seed, max_examples)
    plan = compiled.ir
    fns = compiled.evaluator.compile
    outcome = Outcome(plan.file, "property", prop.label, prop.span.line, True)
    assumes = [fns(a) for a in prop.assumes]
    laws = [(law, fns(law.expr) if law.expr is not None else None) for law in prop.laws]
    monotone_inputs = sorted({law.monotone[1] for law in prop.laws if law.monotone})
    strategies = {"inputs": inputs_strategy(plan)}
    for name in monotone_inputs:
        strategies[f"raise {name}"] = input_strategy(plan.givable[name], plan)
    last: dict[str, Any] = {}
    compared = {i: 0 for i, law in enumerate(prop.laws) if law.monotone}  # pairs each monotone law was tried on

    def run(values: dict) -> dict:
        return law_values(run_alone(compiled, values, "counterexample"))

    def _assumed_away(values: dict) -> bool:
        """Whether an assumption that needs only inputs and definitions rules these inputs out."""
        try:
            bounded = dict(values)
            if compiled.ir.effective is not None:
                period_values(compiled.ir, bounded, *compiled.ir.effective)
            prepared = compiled.evaluator.prepare(bounded)
        except EvaluationError:
            prepared = dict(values)
        for a in assumes:
            try:
                if not a(prepared):
                    return True
            except (EvaluationError, KeyError):
                continue
        return False

    def test(drawn: dict) -> None:
        from hypothesis import assume

        values = drawn["inputs"]
        outcome.tried += 1
        try:
            results = run(values)
        except EvaluationError as e:
            if _assumed_away(values):
                assume(False)
            last.update(values=values, why=f"the plan could not be evaluated: {e.message}", line=e.span.line)
            raise Broken() from None
        try:
            held = all(a(results) for a in assumes)
        except EvaluationError:
            held = False  # an assumption that cannot be worked out for these inputs rules them out
        if not held:
            assume(False)
        for index, (law, fn) in enumerate(laws):
            if fn is not None:
                try:
                    ok = fn(results)
                except EvaluationError as e:
                    last.update(values=values, why=f"the law could not be worked out: {e.message}",
                                line=law.span.line)
                    raise Broken() from None
                if not ok:
                    filled = Filler(compiled, results).fill(law.expr)
                    last.update(values=values, line=law.span.line,
                                why=f"always {expr_text(law.expr.src)}\n  here it reads {filled}, "
                                    f"which is false")
                    raise Broken()
                continue
            target, name = law.monotone
            other = drawn[f"raise {name}"]
            low, high = sorted((values[name], other))
            if low == high:
                continue
            try:
                at_low, at_high = run({**values, name: low}), run({**values, name: high})
            except EvaluationError as e:
                last.update(values={**values, name: high}, why=f"the plan could not be evaluated: {e.message}",
                            line=e.span.line)
                raise Broken() from None
            if not (holds(assumes, at_low) and holds(assumes, at_high)):
                continue
            compared[index] += 1
            if at_high[target] < at_low[target]:
                d = plan.minor_units
                show = lambda v: given_text(plan, name, v)  # noqa: E731
                last.update(values={**values, name: high}, line=law.span.line,
                            why=f"monotone {target} in {name}\n  {name} rose from {show(low)} to {show(high)}, "
                                f"but {target} fell from {numbers.money(at_low[target], d)} to "
                                f"{numbers.money(at_high[target], d)}",
                            lower={**values, name: low})
                raise Broken()

    hypothesis_test = hypothesis_settings(max_examples, seed)(given(st.fixed_dictionaries(strategies))(test))
    try:
        with localcontext(CONTEXT):
            hypothesis_test()
    except Broken:
        outcome.passed = False
        values = last["values"]
        outcome.counterexample = values
        outcome.law_line = last["line"]
        lines = ["  breakdown:", indent(_breakdown(compiled, values, "counterexample"))]
        if "lower" in last:
            lines += ["  and with the lower value:", indent(_breakdown(compiled, last["lower"], "lower"))]
        outcome.message = broken_report(plan, last, outcome.tried, example_text(plan, values, prop.label), lines)
        return outcome
    except Unsatisfiable:
        outcome.passed = False
        outcome.message = ("no inputs satisfying the assumptions were found: widen the declared ranges "
                           "or relax the `assume` lines")
        return outcome
    return never_compared(outcome, prop, compared)


def example_text(plan: ir.Plan, values: dict, label: str) -> str:
    givens = "\n".join(f"  given {name} = {given_text(plan, name, values[name])}" for name in plan.givable
                       if name in values)
    return f'example "counterexample to {label}" {{\n{givens}\n}}'


def run_plan_tests(compiled: CompiledPlan, seed: int, max_examples: int = DEFAULT_EXAMPLES) -> list[Outcome]:
    """Every example and property of a plan."""
    out = [run_example(compiled, ex) for ex in compiled.ir.examples]
    out += [check_property(compiled, p, seed, max_examples) for p in compiled.ir.properties]
    return out
