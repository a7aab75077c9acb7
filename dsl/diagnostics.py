"""Diagnostics: located, plain-language messages about a plan.

A diagnostic names the file, line and column, quotes the line with a caret
under the place, and says what is wrong in plan terms.  `PlanError` carries a
list of them so one run can report several problems.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum

from .errors import IncentivesError, Problem
from .source import Source, Span


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    span: Span
    message: str
    code: str
    severity: Severity = Severity.ERROR
    hint: str | None = None

    def render(self, source: Source | None = None) -> str:
        """The diagnostic as an editor-friendly block of text.

        ``file:line:col: error[code]: message`` then the source line and a caret.
        """
        head = printable(f"{self.span}: {self.severity.value}[{self.code}]: {self.message}")
        out = [head]
        if source is not None:
            text = source.line_text(self.span.line)
            if text or self.span.line <= len(source.lines):
                gutter = f"{self.span.line:>4} | "
                out.append(gutter + "".join(map(shown, text)))
                out.append(" " * (len(gutter) - 2) + "| " + _caret(text, self.span))
        if self.hint:
            out.append(printable(f"     = hint: {self.hint}"))
        return "\n".join(out)

    def problem(self) -> Problem:
        """The diagnostic as a structured problem (its first line is the text)."""
        s = self.span
        return Problem(f"{s}: {self.severity.value}[{self.code}]: {self.message}", code=self.code,
                       message=self.message, file=s.file, line=s.line, column=s.column, end_line=s.end_line,
                       end_column=s.end_column, hint=self.hint, severity=self.severity.value)

    def to_dict(self) -> dict:
        return {
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


def shown(ch: str) -> str:
    """A character as a diagnostic shows it: control characters, terminal escapes, bidirectional
    marks, zero-width characters and lone surrogates escaped (`\\x1b`, `\\u202e`), so a quoted line
    can neither drive the terminal nor reorder what is shown; tabs and printable text as they are."""
    if ch == "\t" or ch.isprintable():
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """Text with every character as `shown` shows it (newlines kept)."""
    if all(ch == "\n" or ch == "\t" or ch.isprintable() for ch in text):
        return text
    return "\n".join("".join(map(shown, line)) for line in text.split("\n"))


def _width(ch: str) -> int:
    if not (ch == "\t" or ch.isprintable()):
        return len(shown(ch))
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def display_width(s: str) -> int:
    """Display width: East Asian wide characters take two columns, combining marks none, an escaped
    character the width of its escape."""
    return sum(_width(ch) for ch in s)


def _caret(text: str, span: Span) -> str:
    start = max(span.column - 1, 0)
    if span.end_line == span.line and span.end_column > span.column:
        end = span.end_column - 1
    else:
        end = len(text)
    end = max(end, start + 1)
    prefix = "".join("\t" if ch == "\t" else " " * _width(ch) for ch in text[:start])
    marked = text[start:end] or " "
    return prefix + "^" * max(display_width(marked), 1)


class PlanError(IncentivesError):
    """A plan that cannot be parsed, checked or compiled: every diagnostic found, with the source
    so each renders with its line and caret."""

    kind = "plan"

    def __init__(self, diagnostics: list[Diagnostic], source: Source | None = None):
        self.diagnostics = list(diagnostics)
        self.source = source
        super().__init__([d.problem() for d in self.diagnostics])

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"PlanError({self.diagnostics!r})"

    def render(self) -> str:
        return "\n\n".join(d.render(self.source) for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]
