"""Plan source text and positions in it.

A `Span` names a place in a plan file by 1-based line and column, the way an
editor shows it.  Every AST node and every diagnostic carries one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: Plans larger than this are refused before parsing (a clear error, not a crash).
MAX_PLAN_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class Span:
    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @staticmethod
    def point(file: str, line: int, column: int) -> "Span":
        return Span(file, line, column, line, column + 1)

    def to(self, other: "Span") -> "Span":
        """The span from the start of self to the end of other."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)


@dataclass(frozen=True)
class Source:
    """The text of one plan file, with the name used in messages."""

    name: str
    text: str
    lines: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Split on \n only, as the parser counts lines (not on form feeds or U+2028).
        object.__setattr__(self, "lines", tuple(line.rstrip("\r") for line in self.text.split("\n")))

    @classmethod
    def from_path(cls, path: str | Path) -> "Source":
        p = Path(path)
        data = p.read_bytes()
        return cls(str(path), data.decode("utf-8-sig"))

    def line_text(self, line: int) -> str:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return ""
