"""Comments with their positions: the parser drops them, the formatter puts them back."""

from __future__ import annotations

from . import ast
from .diagnostics import display_width
from .source import Source, Span


def comments(text: str, source: Source) -> list[ast.Comment]:
    """Every comment with its position (the parser drops them; fmt keeps them).

    A comment runs from a `#` outside a text literal to the end of the line;
    text literals never span lines, so a line-by-line scan is exact.
    """
    comments = []
    for number, line in enumerate(text.split("\n"), start=1):
        in_string = False
        i = 0
        while i < len(line):
            ch = line[i]
            if in_string:
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "#":
                body = line[i:].rstrip()
                comments.append(ast.Comment(body, Span(source.name, number, i + 1, number, i + 1 + len(body))))
                break
            i += 1
    return comments


def align(lines: list[str], trail: dict[int, list[ast.Comment]], source: Source) -> list[str]:
    """The lines with their trailing comments: two spaces after the code, except that comments the
    author aligned (the same column on consecutive lines) stay aligned, at that column or, if some
    code now reaches it, two columns past the longest code of the run.  Formatting twice changes
    nothing: an aligned run reads back as aligned at the same column."""
    out = [line.rstrip() for line in lines]
    n = 0
    while n < len(out):
        if n not in trail:
            n += 1
            continue
        column = _column(trail[n][0], source)
        end = n + 1
        while end in trail and _column(trail[end][0], source) == column:
            end += 1
        if end - n > 1:
            at = max(column, max(display_width(out[k]) + 2 for k in range(n, end)))
        for k in range(n, end):
            pad = at - display_width(out[k]) if end - n > 1 else 2
            out[k] += " " * pad + "  ".join(c.text for c in trail[k])
        n = end
    return out


def _column(c: ast.Comment, source: Source) -> int:
    """The display column (from 0) where a comment starts in the source."""
    return display_width(source.line_text(c.span.line)[: c.span.column - 1])
