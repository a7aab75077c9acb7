"""incentives: plans as checked text, exact and explainable payouts.

Load a plan, run it for one payee, explain the result::

    >>> from decimal import Decimal
    >>> import incentives
    >>> plan = incentives.load_plan("plans/account_executive.plan")
    >>> result = plan.run({"revenue": Decimal("250000"), "quota": Decimal("250000")}, payee="AE-05",
    ...                   period="2026-Q1", trace=True)
    >>> result.total
    Decimal('15000.00')
    >>> print(incentives.render(incentives.explain(plan, result), "text"))  # doctest: +ELLIPSIS
    Account Executive FY2026 - payee AE-05
    ...
    Total (USD)                                                          15,000.00
    <BLANKLINE>

Run a plan over sales data (paths, or what `load_people`/`load_deals`/`load_splits` return)::

    >>> plan = incentives.load_plan("plans/split_credit.plan")
    >>> run = plan.run_population(people="plans/data/split_credit.csv",
    ...                           deals="plans/data/split_credit.deals.csv",
    ...                           splits="plans/data/split_credit.splits.csv", period="2026-Q1")
    >>> len(run), sorted(run.to_rows()[0])[:2]
    (9, ['commission', 'payee'])

Errors form one family: `IncentivesError` with `PlanError` (a plan's located diagnostics),
`DataError` (file, row, column) and `EvaluationError` (plan line, payee).  Each carries
`problems` with structured fields (`to_dict()` gives JSON) and pickles.
"""

from dsl.errors import IncentivesError, Problem

from .engine.result import PayeeResult
from .errors import DataError, EvaluationError, PlanError
from .explain.build import Breakdown
from .explain.build import explain as _explain
from .explain.render import RENDERERS
from .plan import (Plan, PopulationResult, compile_source, compile_text, load_activities, load_deals, load_people,
                   load_plan, load_splits)

__all__ = [
    "Breakdown",
    "DataError",
    "EvaluationError",
    "IncentivesError",
    "PayeeResult",
    "Plan",
    "PlanError",
    "PopulationResult",
    "Problem",
    "compile_source",
    "compile_text",
    "explain",
    "load_activities",
    "load_deals",
    "load_people",
    "load_plan",
    "load_splits",
    "render",
]
__version__ = "0.1.0"


def explain(plan: Plan, result: PayeeResult, person=None) -> Breakdown:
    """The breakdown of a traced result (`plan.run(..., trace=True)` or `run_population(...,
    trace=True)`): every amount with its plan line, formula and input values.  person: the payee's
    row of the people table (from `load_people`), for the statement's name and role."""
    if not result.values:
        raise ValueError(f"payee {result.payee}: the result was not traced: run the plan with trace=True to explain it")
    return _explain(plan, result, person)


def render(breakdown: Breakdown, format: str = "text") -> str:
    """A breakdown as "text", "json", "markdown" or "html"."""
    try:
        renderer = RENDERERS[format]
    except KeyError:
        raise ValueError(f"unknown format {format!r}: expected one of {', '.join(RENDERERS)}") from None
    return renderer(breakdown)
