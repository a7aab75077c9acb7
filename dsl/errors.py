"""The root of every error the project raises, and the structured problem each one carries.

    IncentivesError          one or more problems, each located
    ├── PlanError            a plan that cannot be parsed, checked or compiled (dsl.diagnostics)
    ├── DataError            data that does not fit the plan: file, row, column (incentives.errors)
    └── EvaluationError      a payee whose plan cannot be evaluated: plan line, payee (incentives.errors)

A `Problem` is a message with its place as fields (code, file, line and column, or row and
column, a hint), so an HTTP API returns `error.to_dict()` as JSON without parsing text.  A
problem is also the text a person reads (`str(problem)`, "FILE: row 3, column amount: ..."), and
it compares equal to that text.  Every error pickles and unpickles with its problems intact, so
errors cross process boundaries (a simulation in a process pool).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

_ROW = re.compile(r"\b(?:row|item) (\d+)\b")
_FIELD = re.compile(r"\b(?:column|input|field) (?:`([^`]+)`|([^,:]+?))(?:,|:|$)")

#: the fields of a problem, in the order `to_dict` gives them
FIELDS = ("code", "message", "file", "line", "column", "end_line", "end_column", "row", "field", "payee",
          "hint", "severity")


class Problem(str):
    """One located problem: its text (what `str()` gives) and the same facts as fields.

    `line`/`column` place it in a plan file; `row`/`field` in a data file (row numbers count the
    header as row 1, as a spreadsheet does); `payee` names whose evaluation failed."""

    code: str
    message: str
    file: str | None
    line: int | None
    column: int | None
    end_line: int | None
    end_column: int | None
    row: int | None
    field: str | None
    payee: str | None
    hint: str | None
    severity: str

    def __new__(cls, text: str, *, code: str = "data", message: str | None = None, file: str | None = None,
                line: int | None = None, column: int | None = None, end_line: int | None = None,
                end_column: int | None = None, row: int | None = None, field: str | None = None,
                payee: str | None = None, hint: str | None = None, severity: str = "error") -> "Problem":
        self = super().__new__(cls, text)
        self.code, self.message = code, text if message is None else message
        self.file, self.line, self.column = file, line, column
        self.end_line, self.end_column = end_line, end_column
        self.row, self.field, self.payee, self.hint, self.severity = row, field, payee, hint, severity
        return self

    @classmethod
    def at(cls, file: str | None, where: str, message: str, code: str = "data", hint: str | None = None) -> "Problem":
        """A problem in a data file: `where` is "row 3, column amount", "header", "item 2", ..."""
        parts = [p for p in (file, where) if p]
        text = ": ".join([*parts, message])
        row = _ROW.search(where)
        name = _FIELD.search(where)
        return cls(text, code=code, message=message, file=file, row=int(row.group(1)) if row else None,
                   field=(name.group(1) or name.group(2)) if name else None, hint=hint)

    @classmethod
    def of(cls, item: "str | Problem", code: str = "data") -> "Problem":
        """A problem from plain text (kept as it is: the text is the message)."""
        return item if isinstance(item, Problem) else cls(str(item), code=code)

    def to_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready fields (None where a field does not apply)."""
        return {name: getattr(self, name) for name in FIELDS}

    def __reduce__(self):
        return (_problem, (str(self), self.to_dict()))


def _problem(text: str, fields: dict[str, Any]) -> Problem:
    return Problem(text, **fields)


class IncentivesError(Exception):
    """The root of the project's errors: a list of located problems, rendered as text by `str()`."""

    kind = "error"

    def __init__(self, problems: Iterable[str | Problem] = ()):
        self.problems: list[Problem] = [Problem.of(p, self.kind) for p in problems]
        super().__init__(*self.problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)

    def to_dict(self) -> dict[str, Any]:
        """{"error": class name, "message": the text, "problems": [each problem's fields]}."""
        return {"error": type(self).__name__, "message": str(self), "problems": [p.to_dict() for p in self.problems]}

    def __reduce__(self):
        return (_rebuild, (type(self), self.problems, self.__dict__))


def _rebuild(cls: type, problems: list[Problem], state: dict[str, Any]) -> IncentivesError:
    err = cls.__new__(cls)
    Exception.__init__(err, *problems)
    err.__dict__.update(state)
    return err
