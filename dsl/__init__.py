"""The plan language: text, parse, check.

    from dsl import Source, parse, check, PlanError
"""

from .check import CheckedPlan, check
from .diagnostics import Diagnostic, PlanError, Severity
from .parse import parse
from .source import Source, Span

__all__ = ["CheckedPlan", "Diagnostic", "PlanError", "Severity", "Source", "Span", "check", "parse"]
