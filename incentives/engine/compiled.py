"""The compiled plan: source, checked AST, IR and evaluator, made by one pipeline
(text, parse, check, lower to IR, compile).  The public `incentives.Plan` builds on it."""

from __future__ import annotations

from dataclasses import dataclass

from dsl.check import CheckedPlan, check
from dsl.diagnostics import PlanError
from dsl.parse import parse
from dsl.source import Source

from . import ir  # noqa: F401  (the annotation of CompiledPlan.ir)
from .lower import lower
from incentives.errors import EvaluationError
from .evaluate import Evaluator


@dataclass
class CompiledPlan:
    """A plan ready to evaluate.  Immutable after compiling: share it between threads freely."""

    source: Source
    checked: CheckedPlan
    ir: ir.Plan
    evaluator: Evaluator

    @property
    def name(self) -> str:
        return self.ir.name

    @property
    def warnings(self):
        return self.checked.warnings


def compile_source(source: Source, cls: type[CompiledPlan] = CompiledPlan) -> CompiledPlan:
    """Parse, check, lower and compile; raises PlanError with every problem found."""
    checked = check(parse(source))
    lowered = lower(checked)
    try:
        evaluator = Evaluator(lowered)
    except EvaluationError as e:  # a constant band table out of order: wrong for every payee
        raise PlanError([e.diagnostic()], source) from None
    return cls(source, checked, lowered, evaluator)
