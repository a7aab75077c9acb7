"""IR expressions to Python functions over one payee's values.

Each IR node becomes a closure `fn(values) -> value`; nothing is generated as
source text and nothing from the plan is ever passed to eval or exec.  The
closures are kept by node so an explanation can ask any sub-expression for
its value.
"""

from __future__ import annotations

import operator
from fractions import Fraction
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from typing import Any, Callable

from dsl.printer import expr_text
from dsl.source import Span

from . import calendar, ir, numbers, tiers
from .schedule import context_of
from incentives.errors import EvaluationError

Fn = Callable[[dict], Any]

ROUNDING = {
    "half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "half_down": ROUND_HALF_DOWN,
    "up": ROUND_UP, "down": ROUND_DOWN, "ceiling": ROUND_CEILING, "floor": ROUND_FLOOR,
}

_BINARY = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
}


ZERO = Decimal(0)

#: the parts of a date (a `datetime.date`), each a count
DATE_PARTS: dict[str, Callable[[Any], Decimal]] = {
    "year": lambda d: Decimal(d.year),
    "quarter": lambda d: Decimal((d.month - 1) // 3 + 1),
    "month": lambda d: Decimal(d.month),
    "day": lambda d: Decimal(d.day),
}


def _period(v: dict, name: str, span: Span):
    value = v.get(name)
    if value is None:
        raise EvaluationError(span, f"`{name}` has no value: give the run a period (`--period 2026-Q1`, "
                                    f"`2026-03`, `2026`), or give the plan `effective` dates")
    return value


def _contest(v: dict, contest: str, which: str, span: Span):
    """A payee evaluated alone is in no contest: rank 0, no prize, no competitors."""
    result = context_of(v).contests.get(contest)
    return ZERO if result is None else getattr(result, which)


def read_column(record: dict, name: str, span: Span):
    """A column of a deal; an optional column left empty stops the run with an error naming the deal
    and the column."""
    value = record.get(name)
    if value is ir.MISSING:
        raise EvaluationError(span, f"deal `{record.get('id')}` has no `{name}` (an optional column, empty "
                                    f"for this deal): test `{name} is missing` before using it, such as "
                                    f"`{name} is not missing and ...`")
    return value


def _shown_value(v: dict, name: str) -> str:
    value = v[name]
    return numbers.number(value) if isinstance(value, Decimal) else str(value)


def _span(node) -> Span:
    return node.src.span


def _text(node) -> str:
    return expr_text(node.src) if node.src is not None else "?"


class Compiler:
    """Compiles IR to functions of a payee's values; with deal=True, to functions of a `DealScope`
    instead, where the deal's columns are read from `scope.deal` and every other name from
    `scope.payee`, the payee whose deals are being taken.  Deal rows hold only plain values: no
    reference back to the payee, so millions of them cost the garbage collector nothing.  A
    compiler holds no per-run state: its only mutable part is the cache of compiled nodes, which
    gives the same function whoever fills it first, so a compiled plan can be shared by threads."""

    def __init__(self, plan: ir.Plan, deal: bool = False):
        self.plan = plan
        self.deal = deal
        self.fns: dict[int, Fn] = {}
        self.curves = {name: self.bands(b) for name, b in plan.curves.items()}

    def __call__(self, node: ir.Expr) -> Fn:
        fn = self.fns.get(id(node))
        if fn is None:
            fn = self.fns.setdefault(id(node), self._compile(node))
        return fn

    def opt(self, node) -> Fn | None:
        return None if node is None else self(node)

    def _compile(self, n: ir.Expr) -> Fn:
        if isinstance(n, ir.Const):
            value = n.value
            return lambda v: value
        if isinstance(n, ir.Var):
            name = n.name
            span = n.src.span if n.src is not None else Span.point("<run>", 1, 1)
            if self.deal and n.kind == "period":
                return lambda s: _period(s.payee, name, span)
            if self.deal and n.kind != "deal":
                return lambda s: s.payee[name]
            if self.deal and name in self.plan.optional_columns:
                return lambda s: read_column(s.deal, name, span)
            if self.deal:
                return lambda s: s.deal[name]
            if n.kind == "period":
                return lambda v: _period(v, name, span)
            return lambda v: v[name]
        if isinstance(n, ir.Op):
            return self._op(n)
        if isinstance(n, ir.Cond):
            c, a, b = self(n.cond), self(n.then), self(n.otherwise)
            return lambda v: a(v) if c(v) else b(v)
        if isinstance(n, ir.InSet):
            x, values = self(n.operand), n.values
            return lambda v: x(v) in values
        if isinstance(n, ir.Func):
            return self._func(n)
        if isinstance(n, ir.Lookup):
            return self._lookup(n)
        if isinstance(n, ir.CurveApply):
            curve, x = self.curve(n.curve), self(n.arg)
            return lambda v: curve(x(v), v)
        if isinstance(n, ir.IsMissing):
            name, negated = n.name, n.negated
            if self.deal:
                return lambda s: (s.deal.get(name) is ir.MISSING) != negated
            return lambda v: (v.get(name) is ir.MISSING) != negated
        if isinstance(n, ir.RuleRef):
            which, values = self.rule_case(n.name), self.rule_values(n.name)
            return lambda v: values[which(v)](v)
        raise TypeError(n)  # pragma: no cover

    def rule_case(self, name: str) -> Callable[[Any], int]:
        """Which case of a rule table applies: the index of the first case, in the order tried, whose
        condition holds; len(cases) for the default."""
        conds = [self(c.cond) for c in self.plan.rules[name].cases]
        last = len(conds)

        def which(v) -> int:
            for index, cond in enumerate(conds):
                if cond(v):
                    return index
            return last
        return which

    def rule_values(self, name: str) -> list[Fn]:
        rules = self.plan.rules[name]
        return [self(c.value) for c in rules.cases] + [self(rules.default)]

    def _op(self, n: ir.Op) -> Fn:
        if n.op == "neg":
            x = self(n.args[0])
            return lambda v: -x(v)
        if n.op == "not":
            x = self(n.args[0])
            return lambda v: not x(v)
        a, b = self(n.args[0]), self(n.args[1])
        if n.op == "and":
            return lambda v: a(v) and b(v)
        if n.op == "or":
            return lambda v: a(v) or b(v)
        if n.op == "/":
            span, divisor = _span(n.args[1]), _text(n.args[1])

            def divide(v):
                d = b(v)
                if d == 0:
                    raise EvaluationError(span, f"division by zero: `{divisor}` is 0")
                return a(v) / d
            return divide
        f = _BINARY[n.op]
        return lambda v: f(a(v), b(v))

    def _func(self, n: ir.Func) -> Fn:
        args = [self(a) for a in n.args]
        if n.name == "min":
            return lambda v: min(f(v) for f in args)
        if n.name == "max":
            return lambda v: max(f(v) for f in args)
        if n.name == "abs":
            x = args[0]
            return lambda v: abs(x(v))
        if n.name == "days_between":
            a, b = args
            return lambda v: Decimal((b(v) - a(v)).days)
        if n.name in DATE_PARTS:
            x, part = args[0], DATE_PARTS[n.name]
            return lambda v: part(x(v))
        if n.name in ("rank", "prize", "competitors"):
            contest, which, span = n.args[0].value, n.name, _span(n)
            if self.deal:
                return lambda s: _contest(s.payee, contest, which, span)
            return lambda v: _contest(v, contest, which, span)
        if n.name == "per_period":
            return self._per_period(args, _span(n))
        if n.name == "round":
            x = args[0]
            quantum = Decimal(1).scaleb(-int(n.args[1].value))
            mode = ROUNDING[n.mode]
            return lambda v: x(v).quantize(quantum, rounding=mode)
        raise TypeError(n.name)  # pragma: no cover

    def _per_period(self, args: list, span) -> Fn:
        """The part of an annual amount in the period: by quarters (even or weighted), months, days."""
        amount, weights = args[0], args[1:]
        deal = self.deal

        def part(v):
            known = v.payee if deal else v
            if "period_start" not in known:
                raise EvaluationError(span, "`per_period` needs a period: run with one")
            ws = [w(v) for w in weights]
            try:
                share = calendar.annual_share(known["period_start"], known["period_end"], ws)
            except ValueError as e:
                raise EvaluationError(span, f"`per_period`: {e}") from None
            return calendar.to_decimal(Fraction(amount(v)) * share)  # one rounding, at 34 digits
        return part

    def _lookup(self, n: ir.Lookup) -> Fn:
        table = self.plan.tables[n.table]
        rows = {key: self(value) for key, value in table.rows.items()}
        default = self.opt(table.default)
        args = [self(a) for a in n.args]
        span = _span(n)

        def lookup(v):
            key = tuple(f(v) for f in args)
            fn = rows.get(key, default)
            if fn is None:
                shown = ", ".join(f'"{k}"' if isinstance(k, str) else str(k).lower() if isinstance(k, bool)
                                  else str(k) for k in key)
                raise EvaluationError(span, f"table `{n.table}` has no row for {n.table}({shown})")
            return fn(v)
        return lookup

    def curve(self, name: str) -> Callable[[Any, dict], Any]:
        """A declared curve as a function of (attainment, values)."""
        bands_fn = self.curves[name]

        def apply(x, v):
            bands = bands_fn(v)
            return tiers.band_value(x, bands, tiers.reached(x, bands))
        return apply

    def bands(self, bands: tuple[ir.Band, ...]) -> Callable[[dict], list[tiers.Band]]:
        """A function giving the payee's bands, checked for order where the checker could not."""
        parts = [(self(b.lower), self.opt(b.upper), self(b.value), self.opt(b.value_to), b.span) for b in bands]
        bound_type = bands[0].lower.type if bands else None
        # the names the bounds read, to say which of the payee's values put the bands out of order
        read = [[n.name for n in ir.walk([b.lower, b.upper]) if isinstance(n, ir.Var)] for b in bands]

        def shown(d) -> str:
            return numbers.value(d, bound_type, self.plan.minor_units)
        constant = all(isinstance(x, ir.Const) for b in bands
                       for x in (b.lower, b.upper, b.value, b.value_to) if x is not None)

        def evaluate(v):
            out = [tiers.Band(lo(v), hi(v) if hi else None, val(v), to(v) if to else None)
                   for lo, hi, val, to, _ in parts]
            problem = tiers.order_problem(out)
            if problem is not None:
                index, what, a, b = problem
                text = (f"this band goes down: from {shown(a)} to {shown(b)}" if what == "decreasing" else
                        f"{what} between bands: the previous band ends at {shown(a)} but this one starts at "
                        f"{shown(b)}")
                names = dict.fromkeys(read[index] + (read[index - 1] if what != "decreasing" else []))
                known = {**v.payee, **v.deal} if self.deal else v  # a deal's bands read its columns too
                because = ", ".join(f"{name} = {_shown_value(known, name)}" for name in names if name in known)
                whose = f"deal {v.deal.get('id')}" if self.deal else "this payee"
                raise EvaluationError(parts[index][4], f"the bands are out of order for {whose}: {text}"
                                                       + (f" (with {because})" if because else ""))
            return out

        if constant:
            fixed = evaluate({})
            return lambda v: fixed
        return evaluate
