"""Values for a plan's parameters (`param NAME = VALUE [range LO to HI]`), given from Python or a
scenario: parsed by the param's type as a data cell is (`incentives.sales.inputs.parse_value`), with
money also written with the plan's currency (`"30_000 USD"`), and checked against the range.

Every problem names the param and what was expected, and all of them are reported at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from dsl.printer import value_text
from dsl.types import T, describe
from incentives.engine import ir
from incentives.errors import DataError, Problem

from .inputs import ValueProblem, parse_value

_MONEY = re.compile(r"^(?P<amount>.*?)\s*(?P<code>[A-Z]{3})$")


def parse_param(raw: Any, p: ir.Param, currency: str) -> Any:
    """One param's value, or ValueProblem saying what was expected."""
    if p.type == T.MONEY and isinstance(raw, str):
        m = _MONEY.match(raw.strip())
        if m is not None:
            if m.group("code") != currency:
                raise ValueProblem(f"an amount in {currency} (the plan's currency), not {m.group('code')}")
            raw = m.group("amount")
    try:
        return parse_value(raw, p.type)
    except ValueProblem as e:
        if p.type == T.MONEY and str(e).startswith("a decimal number"):
            raise ValueProblem(f"an amount such as 1250.50 or \"1_250.50 {currency}\"") from None
        raise


def check_params(plan: ir.Plan, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The params' values given for a run (Decimal, int, or text as in a data file), checked; the
    params not given keep their defaults (`Evaluator.prepare` puts those in).  A DataError names
    each param that is unknown, of the wrong type or out of its range."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise DataError([Problem(f"params: expected a mapping of param names to values, got {type(given).__name__}",
                                 code="data", field="params")])
    declared = plan.params
    prizes = {n.name for c in plan.contests for n in ir.walk(c.prizes) if isinstance(n, ir.Var) and n.kind == "param"}
    problems: list[Problem] = []
    out: dict[str, Any] = {}

    def problem(name: str, message: str, p: ir.Param | None = None) -> None:
        where = {"file": p.span.file, "line": p.span.line, "column": p.span.column} if p is not None else {}
        problems.append(Problem(f"params: {name}: {message}", code="data", message=f"{name}: {message}", field=name,
                                **where))

    for name, raw in given.items():
        p = declared.get(name) if isinstance(name, str) else None
        if p is None:
            known = ", ".join(declared) if declared else "none (`param NAME = VALUE`)"
            close = difflib.get_close_matches(str(name), list(declared), n=1)
            meant = f" (did you mean `{close[0]}`?)" if close else ""
            problem(str(name), f"the plan has no such param{meant}; its params are {known}")
            continue
        try:
            value = parse_param(raw, p, plan.currency)
        except ValueProblem as e:
            problem(name, f"expected {e} (param `{name}` is {describe(p.type)}, declared on plan line "
                          f"{p.span.line})", p)
            continue

        def show(v: Any, t: T = p.type) -> str:
            return value_text(v, t, plan.currency)
        if p.range is not None and not p.range[0] <= value <= p.range[1]:
            problem(name, f"expected a value from {show(p.range[0])} to {show(p.range[1])} (the range declared on "
                          f"plan line {p.span.line}); got {show(value)}", p)
            continue
        if name in prizes and p.type == T.MONEY and value != value.quantize(Decimal(1).scaleb(-plan.minor_units)):
            problem(name, f"expected an amount in whole minor units of {plan.currency} ({plan.minor_units} decimal "
                          f"places): `{name}` is a contest's prize; got {show(value)}", p)
            continue
        out[name] = value
    if problems:
        raise DataError(problems)
    return out
