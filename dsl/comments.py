"""Comments with their positions: the parser drops them, the formatter puts them back."""

from __future__ import annotations

from . import ast
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
