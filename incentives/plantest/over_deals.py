"""Properties `over deals`: laws checked for everyone in generated sales data.

Hypothesis draws a small population (people with teams and managers, deals,
split and overlay rows, and activities for a plan that measures them; see
`sales_strategies`), the plan runs over it as a population, and every law must
hold for every person.  Two laws vary the data:

* `monotone X in deals`: one more deal, won inside the period, is added for
  one of the people; the owner's X must not fall (others' may: a contest rank
  is lost to the new deal's owner, say).
* `monotone X in INPUT`: one person's input is raised; that person's X must
  not fall.

A broken law is reported as a pasteable example block (the generated people,
deals, split rows and activities), the law with that person's values filled
in, and the person's breakdown.
"""

from __future__ import annotations

from decimal import localcontext
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from dsl.printer import expr_text, value_text

from incentives.engine import ir, numbers
from incentives.errors import DataError, EvaluationError
from incentives.engine.evaluate import CONTEXT
from incentives.explain.build import Filler, explain
from .strategies import input_strategy
from .sales_strategies import default_period, extra_deal_strategy, sales_strategy, sales_text
from incentives.engine.compiled import CompiledPlan
from .outcome import (DEFAULT_EXAMPLES, Broken, Outcome, broken_report, holds, hypothesis_settings, indent,
                       law_values, never_compared)
from incentives.sales.population import Population
from incentives.explain.render import render_text
from incentives.engine.result import PayeeResult
from incentives.sales.records import Sales, new_sales


def _run(compiled: CompiledPlan, sales: Sales, period) -> dict[str, PayeeResult]:
    return {r.payee: r for r in Population(compiled, sales, period).run(trace=True)}


def check_over_deals(compiled: CompiledPlan, prop: ir.Property, seed: int,
                     max_examples: int = DEFAULT_EXAMPLES) -> Outcome:
    plan = compiled.ir
    fns = compiled.evaluator.compile
    outcome = Outcome(plan.file, "property", prop.label, prop.span.line, True, tried_what="sets of sales data")
    period = default_period(plan)
    assumes = [fns(a) for a in prop.assumes]
    laws = [(law, fns(law.expr) if law.expr is not None else None) for law in prop.laws]
    last: dict[str, Any] = {}
    compared = {i: 0 for i, law in enumerate(prop.laws) if law.monotone}  # pairs each monotone law was tried on

    def broken(sales: Sales, payee: str, line: int, why: str, **more) -> Broken:
        last.update(sales=sales, payee=payee, line=line, why=why, **more)
        return Broken()

    def evaluate(sales: Sales) -> dict[str, PayeeResult]:
        try:
            return _run(compiled, sales, period)
        except EvaluationError as e:
            raise broken(sales, e.payee or "", e.span.line, f"the plan could not be evaluated: {e.message}")
        except DataError as e:  # generated data the plan refuses (a pool that differs within a team, ...)
            raise broken(sales, "", prop.span.line, f"the plan could not be evaluated: {e}")

    def test(data: st.DataObject) -> None:
        sales = data.draw(sales_strategy(plan, period), label="sales")
        outcome.tried += 1
        results = evaluate(sales)
        values = {pid: law_values(r) for pid, r in results.items()}
        checked = [pid for pid in values if holds(assumes, values[pid])]
        assume(checked)
        for index, (law, fn) in enumerate(laws):
            if fn is not None:
                for pid in checked:
                    try:
                        ok = fn(values[pid])
                    except EvaluationError as e:
                        raise broken(sales, pid, law.span.line, f"the law could not be worked out: {e.message}")
                    if not ok:
                        filled = Filler(compiled, values[pid]).fill(law.expr)
                        raise broken(sales, pid, law.span.line, f"always {expr_text(law.expr.src)}\n  for {pid} "
                                                                f"it reads {filled}, which is false")
                continue
            target, name = law.monotone
            if name == "deals":
                extra = data.draw(extra_deal_strategy(plan, period, list(sales.people), "D-new"), label="new deal")
                before, after = sales, new_sales(list(sales.people.values()), [*sales.deals, extra], sales.splits,
                                                  sales.splits_file, sales.activities)
                payee = extra["owner"]
                low_values, high_values = values[payee], law_values(evaluate(after)[payee])
                change = f"deal D-new ({numbers.money(extra['amount'], plan.minor_units)}) was added for {payee}"
            else:
                payee = data.draw(st.sampled_from(sorted(sales.people)), label="person")
                raised = data.draw(input_strategy(plan.inputs[name], plan), label=f"new {name}")
                low, high = sorted((sales.people[payee].values[name], raised))
                if low == high:
                    continue
                before, after = _with_input(sales, payee, name, low), _with_input(sales, payee, name, high)
                low_values = law_values(evaluate(before)[payee])
                high_values = law_values(evaluate(after)[payee])
                shown = lambda v: value_text(v, plan.inputs[name].type, plan.currency)  # noqa: E731
                change = f"{payee}'s {name} rose from {shown(low)} to {shown(high)}"
            if not (holds(assumes, low_values) and holds(assumes, high_values)):
                continue
            compared[index] += 1
            if high_values[target] < low_values[target]:
                d = plan.minor_units
                raise broken(after, payee, law.span.line,
                             f"monotone {target} in {name}\n  {change}, but {payee}'s {target} fell from "
                             f"{numbers.money(low_values[target], d)} to {numbers.money(high_values[target], d)}",
                             lower=before)

    runner = hypothesis_settings(max_examples, seed)(given(st.data())(test))
    try:
        with localcontext(CONTEXT):
            runner()
    except Broken:
        outcome.passed = False
        sales, payee = last["sales"], last["payee"]
        outcome.counterexample = {"payee": payee, "sales": sales}
        outcome.law_line = last["line"]
        lines = _breakdown(compiled, sales, period, payee, "breakdown")
        if "lower" in last:
            lines += _breakdown(compiled, last["lower"], period, payee, "and before the change")
        outcome.message = broken_report(plan, last, outcome.tried, example_text(plan, sales, period, prop.label),
                                        lines, add=", and add what you expect")
        return outcome
    except Unsatisfiable:
        outcome.passed = False
        outcome.message = ("no generated sales data satisfied the assumptions for anyone: relax the `assume` "
                           "lines or widen the declared ranges")
        return outcome
    return never_compared(outcome, prop, compared)


def _with_input(sales: Sales, payee: str, name: str, value) -> Sales:
    people = [p if p.id != payee else type(p)(p.id, p.team, p.manager, {**p.values, name: value}, p.where)
              for p in sales.people.values()]
    return new_sales(people, sales.deals, sales.splits, sales.splits_file, sales.activities)


def _breakdown(compiled: CompiledPlan, sales: Sales, period, payee: str, title: str) -> list[str]:
    try:
        results = _run(compiled, sales, period)
    except (EvaluationError, DataError) as e:
        return [f"  {title}: the plan could not be evaluated: {e}"]
    if payee not in results:
        return []
    return [f"  {title} of {payee}:", indent(render_text(explain(compiled, results[payee])))]


def example_text(plan: ir.Plan, sales: Sales, period, label: str) -> str:
    body = "\n".join(f"  {line}" for line in sales_text(plan, sales, period))
    return f'example "counterexample to {label}" {{\n{body}\n}}'
