"""The project's errors, one family (see `dsl.errors` for the tree), each naming where the problem is.

`PlanError` (a plan's diagnostics), `DataError` (file, row, column) and `EvaluationError` (plan
line and payee) all derive from `IncentivesError`, carry `problems` with structured fields, give
`to_dict()` for JSON, and pickle.
"""

from __future__ import annotations

from typing import Iterable

from dsl.diagnostics import Diagnostic, PlanError
from dsl.errors import IncentivesError, Problem
from dsl.source import Span

__all__ = ["DataError", "EvaluationError", "IncentivesError", "PlanError", "Problem"]


class DataError(IncentivesError):
    """Input data that does not fit the plan: each problem names the file, row and column."""

    kind = "data"

    def __init__(self, problems: Iterable[str | Problem]):
        super().__init__(problems)


class EvaluationError(IncentivesError):
    """A plan could not be evaluated for a payee (division by zero, a missing table row, ...)."""

    kind = "evaluation"

    def __init__(self, span: Span, message: str, payee: str | None = None):
        self.span = span
        self.message = message
        self._payee = payee
        super().__init__([self._problem()])

    @property
    def payee(self) -> str | None:
        return self._payee

    @payee.setter
    def payee(self, payee: str | None) -> None:  # a population run names the payee once it is known
        self._payee = payee
        self.problems = [self._problem()]
        self.args = tuple(self.problems)

    def _problem(self) -> Problem:
        s = self.span
        return Problem(str(self), code="evaluation", message=self.message, file=s.file, line=s.line,
                       column=s.column, end_line=s.end_line, end_column=s.end_column, payee=self._payee)

    def diagnostic(self) -> Diagnostic:
        who = f"payee {self.payee}: " if self.payee is not None else ""
        return Diagnostic(self.span, who + self.message, "evaluation")

    def __str__(self) -> str:
        who = f"payee {self.payee}: " if self.payee is not None else ""
        return f"{self.span}: {who}{self.message}"
