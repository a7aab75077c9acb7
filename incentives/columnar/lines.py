"""A component's lines over columns: pay, tiers, multipliers, caps, floors, gates, scorecards and
pool shares, each as `line(frame, running) -> running`, as `incentives.engine.evaluate` does
them for one payee (the same order of work, the same roundings)."""

from __future__ import annotations

from incentives.engine import ir

from . import bands as B
from . import values as V
from .expr import Frame, Unsupported
from .rounding import round_to
from .values import Number

ONE = V.const_num(__import__("decimal").Decimal(1))


class Lines:
    """The rounding rules of one plan, and its lines over a frame."""

    def __init__(self, plan: ir.Plan):
        self.plan = plan
        self.places, self.mode = plan.minor_units, plan.rounding_mode
        self.rounds_lines = plan.rounding_point == "line"
        self.rounds_components = plan.rounding_point in ("line", "component")

    def round(self, x: Number) -> Number:
        return round_to(x, self.places, self.mode)

    def rl(self, x: Number) -> Number:
        return self.round(x) if self.rounds_lines else x

    def component(self, frame: Frame, comp: ir.Component, pools: dict) -> Number:
        running: Number = V.zeros(frame.n)
        for item in comp.items:
            running = self.item(frame, item, running, pools)
        return self.round(running) if self.rounds_components else running

    def payout(self, frame: Frame, subtotal: Number) -> Number:
        total = subtotal
        for item in self.plan.payout:
            total = self.item(frame, item, total, {})
        return self.round(total)

    def item(self, f: Frame, item, running: Number, pools: dict) -> Number:
        n = f.n
        if isinstance(item, ir.Pay):
            return V.add(running, self.rl(f(item.expr)))
        if isinstance(item, ir.Pool):
            share = pools.get(item.key)
            if share is None:
                raise Unsupported(item.span, "a pool outside a population run")
            return V.add(running, share)
        if isinstance(item, ir.Tiers):
            if item.per is not None:
                done = pools.get(("tiers", id(item)))
                if done is None:
                    raise Unsupported(item.span, "tiers per deal or on a running total outside a population run")
                return V.add(running, done)
            return V.add(running, self.tiers(f, item))
        if isinstance(item, ir.Scorecard):
            return V.add(running, self.scorecard(f, item))
        if isinstance(item, ir.Multiplier):
            base, b = f(item.base), B.bands_of(f, item.bands)
            index, bad = B.reached(base, b, n, item.upper_inclusive)
            factor = B.band_value(base, b, index, n)
            factor = V.where(index < 0, ONE, factor)
            return V.with_bad(self.rl(V.mul(running, factor)), V._or(bad, b.bad))
        if isinstance(item, (ir.Cap, ir.Floor)):
            is_cap = isinstance(item, ir.Cap)
            bound = round_to(f(item.amount), self.places, "floor" if is_cap else "ceiling")
            return self.rl(V.minimum(running, bound, take_min=is_cap))
        if isinstance(item, ir.Gate):
            passed, cond_bad = f.condition(item.cond)
            failed = self.rl(V.mul(running, f(item.factor)))
            return V.with_bad(V.where(passed, running, failed), cond_bad)
        raise Unsupported(getattr(item, "span", None), f"`{type(item).__name__}` in a columnar run")

    def tiers(self, f: Frame, item: ir.Tiers) -> Number:
        n = f.n
        base, b = f(item.base), B.bands_of(f, item.bands)
        if item.kind == "marginal":
            amount: Number = V.zeros(n)
            bad = b.bad
            for _, inside, _, part, part_bad in B.marginal_parts(base, b, n):
                bad = V._or(bad, part_bad)
                amount = V.add(amount, V.where(inside, self.rl(part), V.zeros(n)))
            return V.with_bad(amount, bad)
        index, bad = B.reached(base, b, n, item.upper_inclusive)
        bad = V._or(bad, b.bad)
        if item.kind == "retroactive":
            rate = B.select(index, b.value, n, V.zeros(n))
            return V.with_bad(self.rl(V.mul(base, rate)), bad)
        if item.kind == "cumulative":
            return V.with_bad(self.rl(B.cumulative(b, index, n)), bad)
        return V.with_bad(self.rl(B.band_value(base, b, index, n)), bad)

    def scorecard(self, f: Frame, item: ir.Scorecard) -> Number:
        n = f.n
        target = f(item.target)
        uncapped: Number = V.zeros(n)
        parts: Number = V.zeros(n)
        for k in item.kpis:
            weight, attainment = f(k.weight), f(k.attainment)
            curved = attainment if k.curve is None else B.curve_value(f, k.curve, attainment)
            factor = V.minimum(curved, f(k.cap)) if k.cap is not None else curved
            weighted = V.mul(weight, factor)
            uncapped = V.add(uncapped, weighted)
            if self.rounds_lines:
                parts = V.add(parts, self.rl(V.mul(target, weighted)))
        cap = f(item.cap) if item.cap is not None else None
        if self.rounds_lines:
            amount = parts
            if cap is not None:
                amount = V.minimum(amount, self.rl(V.mul(target, cap)))
            return amount
        overall = V.minimum(uncapped, cap) if cap is not None else uncapped
        return self.rl(V.mul(target, overall))
