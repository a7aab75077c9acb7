"""Syntax errors in plan terms.

Lark reports what it expected as terminal names; this module turns them into
words a comp admin reads (`a name`, `an amount of money such as 100 USD`,
`a component line (...)`), adds hints (a misspelt keyword, a missing `}`,
full-width punctuation) and places the caret.
"""

from __future__ import annotations

import difflib
import re

from lark import Token
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from .diagnostics import Diagnostic
from .grammar import parser
from .source import Source, Span

TOP_KEYWORDS = ("plan", "input", "let", "param", "table", "curve", "component", "award", "payout", "example", "property",
                "deals", "activities", "crediting", "measure", "contest", "draw", "clawback")


_TERMINAL_NAMES = {
    "NAME": "a name",
    "STRING": 'a text in double quotes',
    "NUMBER": "a number",
    "MONEY": "an amount of money such as `100 USD`",
    "PERCENT": "a percentage such as `8%`",
    "DATE": "a date such as `2026-01-31`",
    "COMP_OP": "a comparison (`>=`, `<`, `==`, ...)",
    "UPPER_INCLUSIVE": "`upper_inclusive`",
    "CREDIT_ROW": "`split`, `overlay`",
    "DATA_KIND": "`people from`, `deals from`, `splits from`, `activities from`",
    "OVER": "`over`",
    "$END": "the end of the file",
}
_EXPR_START = {"NAME", "NUMBER", "MONEY", "PERCENT", "DATE", "STRING", "TRUE", "FALSE", "LPAR", "MINUS", "IF", "NOT"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "OF", "COMP_OP", "AND", "OR", "IN"}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    try:
        term = parser().get_terminal(name)
    except KeyError:
        return name.lower()
    pattern = term.pattern
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower()


_COMPONENT_ITEMS = {"PAY", "POOL", "TIERS", "SCORECARD", "MULTIPLIER", "CAP", "FLOOR", "GATE"}
_TOP = {k.upper() for k in TOP_KEYWORDS}


def _describe_expected(expected: set[str]) -> str:
    parts: list[str] = []
    expected = set(expected)
    if len(expected & _TOP) >= 6:
        parts.append("a declaration (" + ", ".join(TOP_KEYWORDS) + ")")
        expected -= _TOP | {"$END"}
    if expected >= _COMPONENT_ITEMS:
        parts.append("a component line (" + ", ".join(k.lower() for k in sorted(_COMPONENT_ITEMS)) + ")")
        expected -= _COMPONENT_ITEMS
    if len(expected & _EXPR_START) >= 6:
        parts.append("a value or an expression")
        expected -= _EXPR_START
    if len(expected & _OPERATORS) >= 5:
        parts.append("an operator")
        expected -= _OPERATORS
    parts.extend(sorted(_describe_terminal(n) for n in expected))
    if not parts:
        return "something else"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _keyword_words(expected: set[str]) -> list[str]:
    words = []
    for name in expected:
        try:
            pattern = parser().get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str" and pattern.value.isalpha():
            words.append(pattern.value)
    return words


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the file"
    noun = {"NAME": "name", "NUMBER": "number", "MONEY": "amount", "PERCENT": "percentage",
            "DATE": "date", "STRING": "text"}.get(tok.type)
    return f"{noun} `{tok}`" if noun else f"`{tok}`"


def _end_of(text: str, line_offset: int) -> tuple[int, int]:
    """Line and column just after the last non-blank character of a chunk."""
    lines = text.split("\n")
    for i in range(len(lines) - 1, -1, -1):
        stripped = lines[i].split("#")[0].rstrip()
        if stripped:
            return i + 1 + line_offset, len(stripped) + 1
    return line_offset + 1, 1


def syntax_diagnostic(err: UnexpectedInput, source: Source, line_offset: int, text: str) -> Diagnostic:
    if isinstance(err, UnexpectedCharacters):
        line = err.line + line_offset
        ch = source.line_text(line)[err.column - 1 : err.column] or "?"
        span = Span.point(source.name, line, err.column)
        if ch == '"':
            return Diagnostic(span, "this text is not closed: a `\"` is missing before the end of the line",
                              "unclosed-text")
        wide = {"：": ":", "，": ",", "（": "(", "）": ")", "｛": "{", "｝": "}", "“": '"', "”": '"', "％": "%"}
        if ch in wide:
            return Diagnostic(span, f"unexpected full-width character `{ch}`", "bad-character",
                              hint=f"use the plain `{wide[ch]}`")
        return Diagnostic(span, f"unexpected character `{ch}`", "bad-character",
                          hint="the language has no such symbol; arithmetic uses + - * / and `of`")
    if isinstance(err, UnexpectedToken):
        tok = err.token
        expected = set(err.interactive_parser.accepts()) if err.interactive_parser else set(err.expected)
        if tok.type == "$END":
            line, column = _end_of(text, line_offset)
            span = Span.point(source.name, line, column)
            return Diagnostic(span, "the declaration ends too early: expected " + _describe_expected(expected),
                              "unexpected-end", hint="is a closing `}` missing?" if "RBRACE" in expected else None)
        span = Span(source.name, tok.line + line_offset, tok.column, tok.end_line + line_offset, tok.end_column)
        hint = None
        row = source.line_text(tok.line + line_offset).lstrip()
        if tok.type in _TOP:
            hint = "is a closing `}` missing before this declaration?"
        elif tok.type == "STRING" and "TO" in expected and row.startswith(("split", "overlay")):
            hint = 'is the share missing? A credit row reads `split "D-1" 40% to "A-2"`'  # `to` read as the share
        elif tok.type == "NAME" and "NAME" not in expected:
            close = difflib.get_close_matches(str(tok), _keyword_words(expected), n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`?" if close else "is an operator or a keyword missing before it?"
        return Diagnostic(span, f"unexpected {_describe_token(tok)}: expected {_describe_expected(expected)}",
                          "syntax", hint=hint)
    if isinstance(err, UnexpectedEOF):
        line, column = _end_of(text, line_offset)
        return Diagnostic(Span.point(source.name, line, column), "the declaration ends too early", "unexpected-end")
    return Diagnostic(Span.point(source.name, 1, 1), str(err), "syntax")  # pragma: no cover


_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogates(source: Source, most: int = 10) -> list[Diagnostic]:
    """A located error for each lone surrogate (text that is not Unicode, so no file can hold it)."""
    found = []
    for number, line in enumerate(source.text.split("\n"), start=1):
        for m in _SURROGATE.finditer(line):
            found.append(Diagnostic(Span.point(source.name, number, m.start() + 1),
                                    f"the plan's text holds a lone surrogate (U+{ord(m.group()):04X}), which is not "
                                    f"a character: plans are Unicode text", "bad-text",
                                    hint="delete it, or write the character it was meant to be"))
            if len(found) >= most:
                return found
    return found
