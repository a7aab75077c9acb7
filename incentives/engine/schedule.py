"""The stage schedule of a population run, and the typed data that crosses between payees.

A plan over a population is worked out in a fixed order of stages; `stages(plan)` names the ones a
plan needs, in order, and the population run (`incentives.sales.population`) follows that list
rather than knowing the evaluator's internals:

    CREDIT          credit deals to people (splits, overlays, roll-ups)
    DEAL_MEASURES   each person's measures over their credited deals and their own activities
    PERSON_DEFINITIONS  each person's definitions that the measures of team or reports read
    GROUP_MEASURES  measures over the team or the reports (of the values above)
    PREPARE         each payee's other definitions (`let`), before anything is paid
    CONTESTS        rank everyone in each contest group
    POOLS           share each pool within its group
    FINISH          pay each payee; managers after their reports (measures of pay)

Data from other payees reaches a payee's evaluation in a `PayeeContext` (credited deals, contest
results, pool shares): typed fields beside the payee's values, never keys inside them, so a plan
input may be called anything.  `Values` is the dict of a payee's values that carries its context;
`DealScope` is what a deal-level expression sees (one deal's columns, and the payee's values for
every other name).  All three are made per run and per payee: a compiled plan holds none of them,
so it can be shared between threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from . import ir
from .ir import Stage
from .result import ContestResult, PoolShare


@dataclass(frozen=True)
class PayeeContext:
    """What other payees' data gives one payee: its credited deals, its contest results by contest
    name, and its pool shares by pool key.  A payee evaluated alone has the empty context."""

    deals: Sequence[dict[str, Any]] = ()
    contests: dict[str, ContestResult] = field(default_factory=dict)
    pools: dict[str, PoolShare] = field(default_factory=dict)


ALONE = PayeeContext()


class Values(dict):
    """One payee's values by name (inputs, measures, definitions, components), with its context."""

    __slots__ = ("context",)

    def __init__(self, *args, context: PayeeContext = ALONE, **kwargs):
        super().__init__(*args, **kwargs)
        self.context = context

    def __reduce__(self):
        return (_values, (dict(self), self.context))


def _values(items: dict, context: PayeeContext) -> Values:
    return Values(items, context=context)


def context_of(values: dict) -> PayeeContext:
    """The context of a payee's values (a plain dict is a payee alone)."""
    return getattr(values, "context", ALONE)


class DealScope:
    """What a deal-level expression reads: `deal` (one credited deal's columns) and `payee` (the
    values of the payee whose deals are being taken).  Made per payee by whoever loops over deals."""

    __slots__ = ("payee", "deal")

    def __init__(self, payee: dict[str, Any], deal: dict[str, Any] | None = None):
        self.payee = payee
        self.deal = deal if deal is not None else {}


def stages(plan: ir.Plan) -> tuple[Stage, ...]:
    """The stages a population run of this plan goes through, in order, as its IR names them."""
    return plan.stages


def schedule_of(plan: ir.Plan) -> tuple[Stage, ...]:
    """Work out a plan's stages from its lines (lowering stores the answer in `ir.Plan.stages`)."""
    items = [i for c in plan.components for i in c.items]
    out = []
    if plan.crediting or any(m.source == "deals" for m in plan.measures) or any(
            isinstance(i, ir.Tiers) and i.per for i in items):
        out.append(Stage.CREDIT)
    if any(m.source in ("deals", "activities") for m in plan.measures):
        out.append(Stage.DEAL_MEASURES)  # measures of deals and of activities
    if person_definitions(plan):
        out.append(Stage.PERSON_DEFINITIONS)
    if any(m.source in ("team", "reports") and not m.of_pay for m in plan.measures):
        out.append(Stage.GROUP_MEASURES)
    out.append(Stage.PREPARE)
    if plan.contests:
        out.append(Stage.CONTESTS)
    if any(isinstance(i, ir.Pool) for i in items):
        out.append(Stage.POOLS)
    out.append(Stage.FINISH)
    return tuple(out)


def person_definitions(plan: ir.Plan) -> tuple[str, ...]:
    """The definitions the measures of team and reports read (directly or through other
    definitions), in the plan's order of definitions: a population run works them out for every
    person before those measures (the checker has made sure they use none of them)."""
    lets = {let.name: let for let in plan.lets}
    group = [m for m in plan.measures if m.source in ("team", "reports") and not m.of_pay]
    todo = [m.field for m in group if m.field in lets]
    todo += [n.name for n in ir.walk([[m.value, m.where] for m in group])
             if isinstance(n, ir.Var) and n.name in lets]
    needed: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(n.name for n in ir.walk(lets[name].expr) if isinstance(n, ir.Var) and n.name in lets)
    return tuple(let.name for let in plan.lets if let.name in needed)


def population_lines(plan: ir.Plan) -> list[tuple[Any, str]]:
    """The lines whose amounts only a population run can give (span, what): pools, per-deal and
    running tiers, and uses of a contest's results.  Alone, a payee would be paid 0 for them."""
    out: list[tuple[Any, str]] = []
    for comp in plan.components:
        for item in comp.items:
            if isinstance(item, ir.Pool):
                out.append((item.span, "a pool among everyone" if item.among == "all" else f"a pool among the {item.among}"))
            elif isinstance(item, ir.Tiers) and item.per:
                out.append((item.span, "running tiers" if item.per == "running" else "tiers per deal"))
    roots = [plan.lets, plan.components, plan.awards, plan.payout]
    for node in ir.walk(roots):
        if isinstance(node, ir.Func) and node.name in ("rank", "prize", "competitors"):
            span = node.src.span if node.src is not None else plan.contests[0].span
            out.append((span, f"`{node.name}({node.args[0].value})`, a contest result,"))
    return sorted(out, key=lambda x: (x[0].line, x[0].column))
