"""Lint: warnings about plans that check but probably do not say what was meant.

* an input, param or definition that nothing uses (a definition with a
  description is there to be shown in the breakdown, and counts as used);
* marginal tiers whose last band has an upper bound the base can pass: nothing
  is paid above it;
* a band that can never be reached, a gate that can never pass, an award that
  can never be granted, given the inputs' declared ranges (interval analysis);
* a cap below a floor in the same component or payout block, so one of them
  always wins;
* a property that runs one payee at a time (no `over deals`) but states a law
  about a pool, a contest result or per-deal tiers, which are 0 for a payee
  alone: the law would pass without testing anything.

Warnings carry locations like errors; `--strict` turns them into errors.
"""

from __future__ import annotations

from decimal import Decimal

from . import ast
from .check_expr import fold
from .diagnostics import Diagnostic, Severity
from .intervals import Bounds
from .printer import decimal_text, expr_text
from .types import T


def _warn(out: list[Diagnostic], node, message: str, code: str, hint: str | None = None) -> None:
    out.append(Diagnostic(node.span, message, code, Severity.WARNING, hint))


def _names(node, out: set[str]) -> set[str]:
    """Every name an AST node (or list of nodes) refers to: values, and the tables and curves it calls."""
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Call):
            out.add(n.func.text)
        elif isinstance(n, ast.Kpi) and n.curve is not None:
            out.add(n.curve.text)
    return out


class _Show:
    """Values written in the plan's own notation: `100_000 USD`, `250%`, `12`."""

    def __init__(self, types: dict, currency: str | None):
        self.types, self.currency = types, currency

    def __call__(self, value: Decimal, like: ast.Expr) -> str:
        t = self.types.get(id(like))
        if t == T.PERCENT:
            return decimal_text(value * 100) + "%"
        whole, _, frac = decimal_text(value).partition(".")
        text = f"{int(whole):_}" + (f".{frac}" if frac else "")
        return f"{text} {self.currency}" if t == T.MONEY and self.currency else text


def lint(plan: ast.Plan, inputs: dict, types: dict | None = None, currency: str | None = None,
         params: dict | None = None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    show = _Show(types or {}, currency)
    lets = {d.name.text: d for d in plan.of_type(ast.LetDecl)}
    params = params or {}
    # a param may take any value of its range (a scenario may change it): warnings hold for all of them
    bounds = Bounds(inputs, {name: d.expr for name, d in lets.items()},
                    {name: p.reach for name, p in params.items() if p.reach is not None})
    payers = [*plan.of_type(ast.ComponentDecl), *plan.of_type(ast.AwardDecl), *plan.of_type(ast.PayoutDecl),
              *plan.of_type(ast.ContestDecl), *plan.of_type(ast.MeasureDecl), *plan.of_type(ast.DrawDecl),
              *plan.of_type(ast.ClawbackDecl)]
    laws = plan.of_type(ast.PropertyDecl)

    # unused inputs and definitions: what neither the payout nor a property depends on
    used = _names([payers, laws], set())
    used |= {n for p in laws for law in p.laws if isinstance(law, ast.Monotone)
             for n in (law.target.text, law.input.text)}
    used |= {m.field.text for m in plan.of_type(ast.MeasureDecl) if m.field is not None}
    used |= {name for name, d in lets.items() if d.description}  # described: shown in the breakdown
    # what a name depends on: a definition's expression, a rule table's conditions, values and default
    deps = {name: [d.expr] for name, d in lets.items()}
    deps.update({r.name.text: [[(x.cond, x.value) for x in r.rules], r.default]
                 for r in plan.of_type(ast.RulesDecl)})
    # a table's rows and a curve's bands may read params
    deps.update({t.name.text: [[r.value for r in t.rows], t.default] for t in plan.of_type(ast.TableDecl)})
    deps.update({c.name.text: [c.bands] for c in plan.of_type(ast.CurveDecl)})
    frontier = list(used)
    while frontier:
        name = frontier.pop()
        if name in deps:
            for dep in _names(deps[name], set()) - used:
                used.add(dep)
                frontier.append(dep)
    for name, info in inputs.items():
        if name not in used:
            _warn(out, info.decl.name, f"input `{name}` is never used by the plan's components, awards or properties",
                  "unused")
    for name, p in params.items():
        if name not in used:
            _warn(out, p.decl.name, f"param `{name}` is never used by the plan's components, awards or properties",
                  "unused")
    for name, d in lets.items():
        if name not in used:
            _warn(out, d.name, f"definition `{name}` is never used by the plan's components, awards or "
                                f"properties", "unused",
                  hint=f"to keep it only to be shown in the breakdown, describe it: "
                       f"`let {name} = {_short(d.expr)} \"What it is\"`")

    for c in plan.of_type(ast.ComponentDecl):
        for item in c.items:
            if isinstance(item, ast.TiersLine):
                _bands(out, bounds, item.base, item.bands, show)
                if item.kind.text == "marginal":
                    _marginal_top(out, bounds, item, show)
            elif isinstance(item, ast.MultiplierStep):
                _bands(out, bounds, item.base, item.bands, show)
            elif isinstance(item, ast.GateStep) and bounds.possible(item.cond) == {False}:
                _warn(out, item.cond, f"this gate can never pass given the declared ranges: "
                                      f"{_ranges(bounds, item.cond, show)}", "gate-never-passes")
        _cap_below_floor(out, c.items)
    for a in plan.of_type(ast.AwardDecl):
        if a.when is not None and bounds.possible(a.when) == {False}:
            _warn(out, a.when, f"award `{a.name.text}` can never be granted given the declared ranges: "
                               f"{_ranges(bounds, a.when, show)}", "award-never-granted")
    for p in plan.of_type(ast.PayoutDecl):
        _cap_below_floor(out, p.steps)
    _laws_about_nothing(out, plan)
    return out


POPULATION_FUNCTIONS = ("rank", "prize", "competitors")


def _laws_about_nothing(out: list[Diagnostic], plan: ast.Plan) -> None:
    """A one-payee property's law over what only a population run gives (0 for a payee alone)."""
    def uses_results(node) -> bool:
        return any(isinstance(n, ast.Call) and n.func.text in POPULATION_FUNCTIONS for n in ast.walk(node))

    def alone_zero(item) -> str | None:
        """Why a line adding an amount is 0 for a payee alone, or None if it is not."""
        if isinstance(item, ast.PoolLine):
            return "a pool"
        if isinstance(item, ast.TiersLine) and item.per is not None:
            return "tiers taken deal by deal"
        if isinstance(item, ast.PayLine) and uses_results(item.expr):
            return "a contest result"
        return None

    why: dict[str, str] = {}
    components = plan.of_type(ast.ComponentDecl)
    for c in components:
        lines = [i for i in c.items if isinstance(i, (ast.PayLine, ast.PoolLine, ast.TiersLine, ast.ScorecardLine))]
        reasons = [alone_zero(i) for i in lines]
        if lines and all(reasons):  # every line that adds an amount is 0 alone: so is the component
            why[c.name.text] = reasons[0]
    if components and all(c.name.text in why for c in components):
        why["total"] = why["subtotal"] = why[components[0].name.text]
    for a in plan.of_type(ast.AwardDecl):  # whether it is granted; its value is not what a law sees
        if a.when is not None and uses_results(a.when):
            why[a.name.text] = "a contest result"
        elif a.when is not None:
            named = next((n for n in sorted(_names(a.when, set())) if n in why), None)
            if named is not None:
                why[a.name.text] = why[named]
    for prop in plan.of_type(ast.PropertyDecl):
        if prop.over is not None:
            continue
        for law in [*prop.assumes, *prop.laws]:
            names = [law.target.text] if isinstance(law, ast.Monotone) else sorted(_names(law, set()))
            hit = next((n for n in names if n in why), None)
            reason = why.get(hit) if hit else (
                "a contest result" if not isinstance(law, ast.Monotone) and uses_results(law) else None)
            if reason is None:
                continue
            kind = "assumption" if any(law is x for x in prop.assumes) else "law"
            what = f"`{hit}`" if hit else f"this {kind}"
            _warn(out, law, f"{what} comes from {reason}, which is 0 for a payee evaluated alone; this property "
                            f"runs one payee at a time, so the {kind} tests nothing there", "alone",
                  hint=f'run it over generated sales data: `property "{prop.label}" over deals`')
            break


def _ranges(bounds: Bounds, cond: ast.Expr, show: _Show) -> str:
    parts, seen = [], set()
    for n in ast.walk(cond):
        if isinstance(n, ast.Name) and n.id not in seen:
            seen.add(n.id)
            b = bounds.of(n)
            if b is not None and b.lo == b.hi:
                parts.append(f"`{n.id}` is {show(b.lo, n)}")
            elif b is not None:
                parts.append(f"`{n.id}` is from {show(b.lo, n)} to {show(b.hi, n)}")
    return "; ".join(sorted(parts)) or "the condition is always false"


def _bands(out: list[Diagnostic], bounds: Bounds, base: ast.Expr, bands: list[ast.Band], show: _Show) -> None:
    b = bounds.of(base)
    if b is None:
        return
    for band in bands:
        lower = bounds.of(band.lower)
        if lower is not None and lower.lo > b.hi:
            start = expr_text(band.lower)
            least = show(lower.lo, band.lower)
            at_least = "" if least == start else f" (at least {least})"
            _warn(out, band, f"this band can never be reached: it starts at {start}{at_least} but "
                             f"`{expr_text(base)}` is at most {show(b.hi, base)}", "unreachable-band")
            return


def _marginal_top(out: list[Diagnostic], bounds: Bounds, line: ast.TiersLine, show: _Show) -> None:
    """Marginal tiers whose last band has an upper bound pay nothing on the base above it.

    No warning when the declared ranges keep the base at or below that bound (never for a running
    total, which grows deal by deal whatever each deal's range)."""
    last = line.bands[-1] if line.bands else None
    if last is None or last.upper is None:
        return
    base, top = bounds.of(line.base), bounds.of(last.upper)
    if line.per != "running" and base is not None and top is not None and base.hi <= top.lo:
        return
    on = "the running total of " if line.per == "running" else ""
    top_text = expr_text(last.upper)
    bound = top_text if _const(last.upper) else f"`{top_text}`"
    reach = f" (`{expr_text(line.base)}` can be up to {show(base.hi, line.base)})" \
        if base is not None and line.per is None else ""
    open_band = f"from {expr_text(last.lower)}: {expr_text(last.value)}"
    _warn(out, last.upper, f"marginal tiers pay nothing on the part of {on}`{expr_text(line.base)}` above "
                           f"{bound}, where the last band ends{reach}", "marginal-top",
          hint=f"leave the last band open: `{open_band}`; if nothing is meant to be paid above {bound}, "
               f"say so with a last band `from {top_text}: 0%`")


def _cap_below_floor(out: list[Diagnostic], steps) -> None:
    caps = [(s, fold(s.expr)) for s in steps if isinstance(s, ast.CapStep) and _const(s.expr)]
    floors = [(s, fold(s.expr)) for s in steps if isinstance(s, ast.FloorStep) and _const(s.expr)]
    for cap, c in caps:
        for floor, f in floors:
            if c < f:
                _warn(out, floor if floor.span.line > cap.span.line else cap,
                      f"the cap {expr_text(cap.expr)} is below the floor {expr_text(floor.expr)}: "
                      f"whichever comes last always decides the amount", "cap-below-floor")


def _short(e: ast.Expr) -> str:
    text = expr_text(e)
    return text if len(text) <= 40 else "..."


def _const(e) -> bool:
    value = fold(e)
    return isinstance(value, Decimal) and not isinstance(value, bool)
