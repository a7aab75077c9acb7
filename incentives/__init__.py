"""incentives: plans as checked text, exact and explainable payouts.

The public API::

    from incentives import load_plan, load_payees, explain
    plan = load_plan("plans/account_executive.plan")
    result = plan.run({"revenue": Decimal("150000"), "quota": Decimal("100000")}, "rep-1", trace=True)
    print(render_text(explain(plan, result)))
"""

from .errors import DataError, EvaluationError
from .plan import CompiledPlan, compile_source, compile_text, load_plan

__all__ = ["CompiledPlan", "DataError", "EvaluationError", "compile_source", "compile_text", "load_plan"]
__version__ = "0.1.0"
