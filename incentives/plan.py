"""The pipeline in one place: text, parse, check, compile (lower to IR), evaluate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsl.check import CheckedPlan, check
from dsl.diagnostics import PlanError
from dsl.parse import parse
from dsl.source import Source

from . import ir  # noqa: F401  (the annotation of CompiledPlan.ir)
from .lower import lower
from .errors import EvaluationError
from .evaluate import Evaluator


@dataclass
class CompiledPlan:
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

    def run(self, values, payee: str = "", trace: bool = False, period=None):
        """Evaluate one payee.  Values are checked against the declared inputs first (types,
        ranges, listed values; floats are refused): a DataError names the input.  Measures may be
        given like inputs (0 when not given).  Alone, a payee has no contest or pool to take part in:
        those lines pay 0 (run the plan over a population for them).  period: (first day, last day),
        for `period_start`, `period_end` and `in period`."""
        from .data import check_inputs

        checked = check_inputs(values, self.ir.givable, payee)
        if period is not None:
            checked["period_start"], checked["period_end"] = period
        return self.evaluator.run(checked, payee, trace)


def compile_source(source: Source) -> CompiledPlan:
    checked = check(parse(source))
    lowered = lower(checked)
    try:
        evaluator = Evaluator(lowered)
    except EvaluationError as e:  # a constant band table out of order: wrong for every payee
        raise PlanError([e.diagnostic()], source) from None
    return CompiledPlan(source, checked, lowered, evaluator)


def compile_text(text: str, name: str = "<plan>") -> CompiledPlan:
    return compile_source(Source(name, text))


def load_plan(path: str | Path) -> CompiledPlan:
    """Read, parse, check and compile a plan file; raises PlanError with every problem found."""
    return compile_source(Source.from_path(path))
