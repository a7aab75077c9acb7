"""The size of number literals: every number a plan writes fits the engine's exact arithmetic.

The engine computes with 34 significant digits (`incentives.engine.evaluate.CONTEXT`).  A literal
(an amount, a percentage, a count, a tier bound, a prize, an expected amount in an example) may
have at most `MAX_WHOLE_DIGITS` digits before the decimal point (so amounts stay below a
quintillion: 999,999,999,999,999,999.99 is the largest amount of a currency with cents) and at
most `MAX_DIGITS` digits in all.  Larger numbers are refused with a diagnostic at the literal,
before anything computes with them, so no later stage meets a number it cannot hold exactly.
"""

from __future__ import annotations

from . import ast
from .diagnostics import Diagnostic

#: digits allowed before the decimal point of a literal (underscores and leading zeros not counted)
MAX_WHOLE_DIGITS = 18
#: digits allowed in all: the engine's precision
MAX_DIGITS = 34
LIMIT_TEXT = (f"a number may have at most {MAX_WHOLE_DIGITS} digits before the decimal point and at most "
              f"{MAX_DIGITS} digits in all: the largest allowed is 999_999_999_999_999_999 (just under 10^18)")


def digits_of(lit: ast.Literal) -> tuple[int, int] | None:
    """(digits before the point, digits in all) of a number, percent or money literal as written."""
    if lit.kind not in ("number", "percent", "money"):
        return None
    raw = (lit.text or "").lstrip("-").replace("_", "")
    num = ""
    for ch in raw:
        if not (ch.isdigit() or ch == "."):
            break
        num += ch
    whole, _, frac = num.partition(".")
    whole = whole.lstrip("0")
    return len(whole), len(whole) + len(frac)


def check_literals(plan: ast.Plan) -> list[Diagnostic]:
    """A diagnostic for every literal too large (or too long) for the engine to hold exactly."""
    found = []
    for node in ast.walk(plan.decls):
        if not isinstance(node, ast.Literal):
            continue
        size = digits_of(node)
        if size is None:
            continue
        whole, total = size
        if whole > MAX_WHOLE_DIGITS:
            found.append(Diagnostic(node.span, f"this number is too large ({whole:,} digits before the decimal "
                                    f"point): {LIMIT_TEXT}", "number-too-large"))
        elif total > MAX_DIGITS:
            found.append(Diagnostic(node.span, f"this number has too many digits ({total:,}): {LIMIT_TEXT}",
                                    "number-too-long"))
    return found
