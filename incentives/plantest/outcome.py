"""What every kind of plan test shares: outcomes and reports, the hypothesis settings, the
report of a broken law, and the helpers both one-payee properties (`runner`) and properties over
deals (`over_deals`) use.  Imports nothing else from the package."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as with_seed

from incentives.engine import ir
from incentives.engine.result import PayeeResult
from incentives.errors import EvaluationError

DEFAULT_EXAMPLES = 200


@dataclass
class Outcome:
    file: str
    kind: str  # example or property
    label: str
    line: int
    passed: bool
    message: str = ""
    tried: int = 0
    tried_what: str = "inputs"  # what a property's tries drew: inputs, or generated sales data
    counterexample: dict[str, Any] | None = None
    law_line: int | None = None

    @property
    def title(self) -> str:
        return f'{self.kind} "{self.label}" ({self.file}:{self.line})'


@dataclass
class Report:
    seed: int
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]


def new_seed() -> int:
    return random.SystemRandom().randrange(1, 2**31)


def law_values(result: PayeeResult) -> dict[str, Any]:
    values = dict(result.values)
    values["total"], values["subtotal"] = result.total, result.subtotal
    values.update({a.name: a.granted for a in result.awards})
    return values


def indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in text.rstrip("\n").splitlines())


class Broken(AssertionError):
    """A law broke: the details are kept beside the test, for the report."""


def never_compared(outcome: Outcome, prop: ir.Property, compared: dict[int, int]) -> Outcome:
    """Fail a property whose `monotone` law was never tried on a pair of values that both satisfy the
    assumptions: it would otherwise pass without having been tested.  compared: by the law's index."""
    idle = [prop.laws[i] for i, n in compared.items() if n == 0]
    if idle and outcome.passed:
        outcome.passed = False
        why = ("no pair of values tried satisfied the assumptions both before and after the change "
               "(relax the `assume` lines), or the values drawn were equal (try more examples)"
               if prop.assumes else "the values drawn were always equal (try more examples: --max-examples)")
        outcome.message = "\n".join(f"{outcome.file}:{law.span.line}: this `monotone` law was never compared: {why}"
                                     for law in idle)
    return outcome


def broken_report(plan: ir.Plan, last: dict, tried: int, example: str, breakdowns: list[str],
                  add: str = "") -> str:
    """The report of a broken law: where and why, the shrunk counterexample as an example block, and
    the breakdowns that show it."""
    return "\n".join([f"{plan.file}:{last['line']}: law broken: {last['why']}",
                      f"  after {tried} tries, the smallest counterexample found (paste it into the plan to keep "
                      f"it as an example{add}):", indent(example), *breakdowns])


def holds(assumes: list, values: dict) -> bool:
    """Whether every assumption holds; one that cannot be worked out for these values rules them out."""
    try:
        return all(a(values) for a in assumes)
    except EvaluationError:
        return False


def hypothesis_settings(max_examples: int, seed: int):
    """How plan properties run: no deadline or database, every health check off (plans are slow to
    evaluate and draw structured data), one bug reported, a fixed seed."""
    configured = settings(max_examples=max_examples, deadline=None, database=None, derandomize=False,
                          phases=(Phase.explicit, Phase.generate, Phase.shrink),
                          suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False)
    return lambda test: with_seed(seed)(configured(test))
