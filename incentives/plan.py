"""The pipeline in one place: text, parse, check, compile (lower to IR), evaluate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsl.check import CheckedPlan, check
from dsl.parse import parse
from dsl.source import Source

from . import ir
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

    def run(self, values, payee: str = "", trace: bool = False):
        return self.evaluator.run(values, payee, trace)


def compile_source(source: Source) -> CompiledPlan:
    checked = check(parse(source))
    lowered = ir.lower(checked)
    return CompiledPlan(source, checked, lowered, Evaluator(lowered))


def compile_text(text: str, name: str = "<plan>") -> CompiledPlan:
    return compile_source(Source(name, text))


def load_plan(path: str | Path) -> CompiledPlan:
    """Read, parse, check and compile a plan file; raises PlanError with every problem found."""
    return compile_source(Source.from_path(path))
