"""Errors the engine raises, each naming where the problem is."""

from __future__ import annotations

from dsl.diagnostics import Diagnostic
from dsl.source import Span


class EvaluationError(Exception):
    """A plan could not be evaluated for a payee (division by zero, a missing table row, ...)."""

    def __init__(self, span: Span, message: str, payee: str | None = None):
        super().__init__(message)
        self.span = span
        self.message = message
        self.payee = payee

    def diagnostic(self) -> Diagnostic:
        who = f"payee {self.payee}: " if self.payee is not None else ""
        return Diagnostic(self.span, who + self.message, "evaluation")

    def __str__(self) -> str:
        who = f"payee {self.payee}: " if self.payee is not None else ""
        return f"{self.span}: {who}{self.message}"


class DataError(Exception):
    """Input data that does not fit the plan: names the file, row and column."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems
