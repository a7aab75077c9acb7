"""Hypothesis strategies for a whole population: people, their deals, split and overlay rows.

Properties `over` a population run the plan on generated sales data rather than
on one payee's independent inputs.  The choices:

* People are `P1`..`Pn`; a person's manager, if any, comes earlier in the list,
  so the org chart is a forest with no cycles.  Teams are `T1` and `T2`, or
  `T1` for everyone.  People carry the plan's inputs (drawn as
  `generate.input_strategy` draws them), never its measures: the run works
  those out from the deals.
* Deals are `D1`..`Dk`.  Amounts are on the currency's minor-unit grid and
  drawn three ways: small whole amounts (what shrinking goes to), the plan's
  money constants and one minor unit either side (where tiers and thresholds
  change behaviour), and uniformly up to twice the largest constant.  Dates
  are mostly inside the period and sometimes up to ten days either side, so
  that date filters are exercised.  The optional columns (status, product,
  margin...) are drawn only where the plan reads them, and the others keep the
  loaders' default: fewer choices to shrink and a shorter counterexample.
  Text columns come from the plan's own text constants (`"Enterprise"`),
  `"Other"` and the empty default; declared columns as inputs are drawn.
* Split rows (plans crediting `splits`) are whole percentages adding up to at
  most 100% per deal; overlay rows (plans crediting `overlays`) are whole
  percentages up to 100%.
* Shrinking: each person is drawn together with the deals they own (deleting
  a person deletes their deals, and the others keep theirs), lists are drawn
  as a count and then the elements (the shrinker lowers a count and deletes
  any one element with it), split rows name people counted from the deal's
  owner, and every choice shrinks toward the plain case: one person, no
  manager, one team, no deals, no splits, small round amounts, status won, no
  new customer, the first day of the period.
* Activities (plans with a measure `of activities` only: the others draw
  exactly what they drew before) are `A1`..`Am`, up to ten, each owned by one
  of the people and dated like deals.  `type` is one of the values the plan's
  activity measures compare it with (`type == "meeting"`, `type in {...}`) and
  `"other"`, or "meeting", "call" and "visit" when it compares it with none;
  declared columns are drawn as inputs are (missing on some activities where
  optional).

`sales_text` prints a population as the lines of a plan `example` block, for a
counterexample that can be pasted into the plan.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from hypothesis import strategies as st

from dsl.check_sales import CREDIT_KINDS, DEAL_STATUSES
from dsl.printer import value_text
from dsl.types import T

from incentives.engine import ir
from .strategies import input_strategy, plan_constants
from incentives.sales.activities import new_activity
from incentives.sales.records import OPTIONAL_DEAL, Person, Sales, new_deal, new_sales

PERIOD_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
DEFAULT_START = dt.date(2026, 1, 1)
SLACK = dt.timedelta(days=10)  # how far outside the period a deal may close
TEXT_COLUMNS = ("product", "product_line", "customer")
ACTIVITY_TYPES = ("meeting", "call", "visit")  # when the plan compares `type` with no literal
DEAL_ORDER = ("status", "new_customer", *TEXT_COLUMNS, "margin", "cost")  # printed in this order, then the rest


# ---- the period ---------------------------------------------------------------------------------


def default_period(plan: ir.Plan) -> tuple[dt.date, dt.date]:
    """The calendar month, quarter, half or year (the plan's `period`) holding the plan's effective
    start (2026-01-01 without `effective`), cut to the effective dates."""
    start, end = plan.effective if plan.effective is not None else (DEFAULT_START, None)
    months = PERIOD_MONTHS.get(plan.period)
    if months is None:
        return plan.effective if plan.effective is not None else (DEFAULT_START, dt.date(DEFAULT_START.year, 12, 31))
    first = (start.month - 1) // months * months + 1
    last = first + months - 1
    lo = dt.date(start.year, first, 1)
    hi = dt.date(start.year + (last == 12), last % 12 + 1, 1) - dt.timedelta(days=1)
    return max(lo, start), hi if end is None else min(hi, end)


# ---- strategies ---------------------------------------------------------------------------------


def _texts(plan: ir.Plan) -> list[str]:
    """Values for the text columns: the default (empty), "Other", and the plan's text constants
    (`"Enterprise"`) less statuses, credit kinds and contest names."""
    parts = [plan.lets, plan.components, plan.awards, plan.payout, plan.tables, plan.measures, plan.contests]
    nodes = list(ir.walk(parts))
    names = {id(a) for n in nodes if isinstance(n, ir.Func) and n.name in ("rank", "prize", "competitors")
             for a in n.args}  # contest names, not values
    found: set[str] = set()
    for n in nodes:
        if isinstance(n, ir.Const) and n.type == T.TEXT and isinstance(n.value, str) and id(n) not in names:
            found.add(n.value)
        elif isinstance(n, ir.InSet):
            found.update(v for v in n.values if isinstance(v, str))
    return ["", "Other", *sorted(found - {"", "Other", *DEAL_STATUSES, *CREDIT_KINDS})]


def _statuses(plan: ir.Plan) -> tuple[str, ...]:
    """The statuses a generated deal may have: `churned` only where the plan names it (a plan that does
    not tells it from `refunded` by nothing, and drawing it would only dilute the search)."""
    named = any(isinstance(n, ir.Const) and n.value == "churned" or isinstance(n, ir.InSet) and "churned" in n.values
                for n in ir.walk([plan.measures, plan.components, plan.lets, plan.rules, plan.clawbacks]))
    return tuple(s for s in DEAL_STATUSES if s != "churned" or named)


def _amounts(plan: ir.Plan, positive: bool = False) -> st.SearchStrategy[Decimal]:
    """Small whole amounts first (what shrinking goes to), then the plan's money constants and a
    minor unit either side, then anything on the grid up to twice the largest constant."""
    places = plan.minor_units
    step = Decimal(1).scaleb(-places)
    consts = plan_constants(plan, T.MONEY)
    top = max([Decimal(100_000), *(2 * c for c in consts)])
    low = 1 if positive else 0
    small = st.integers(low, 10_000).map(Decimal)
    uniform = st.integers(low, int(top.scaleb(places))).map(lambda i: Decimal(i).scaleb(-places))
    near = sorted({(c + d).quantize(step) for c in consts for d in (-step, Decimal(0), step)
                   if c + d >= low * step})
    return st.one_of(small, *([st.sampled_from(near)] if near else []), uniform)


def _deal_values(plan: ir.Plan, period: tuple[dt.date, dt.date], extra: bool = False) -> st.SearchStrategy[dict]:
    """A deal's columns but its id and owner: won, inside the period and positive when extra.  Of the
    optional columns only those the plan reads are drawn (the others keep the loaders' default)."""
    amounts, texts, start, end = _amounts(plan, positive=extra), st.sampled_from(_texts(plan)), *period
    inside, around = st.dates(start, end), st.dates(start - SLACK, end + SLACK)
    statuses = st.just("won") if extra else st.one_of(st.just("won"), st.sampled_from(_statuses(plan)))
    # an optional column is missing on some deals (drawn first: what shrinking goes to)
    declared = st.fixed_dictionaries({name: st.one_of(st.just(ir.MISSING), input_strategy(info, plan))
                                      if name in plan.optional_columns else input_strategy(info, plan)
                                      for name, info in plan.deal_field_infos.items()})
    step = Decimal(1).scaleb(-plan.minor_units)
    read = {c for c in OPTIONAL_DEAL if {c, f"deal_{c}"} & plan.deal_columns}
    if read & {"margin", "cost"}:
        read |= {"margin", "cost"}

    @st.composite
    def deal(draw) -> dict:
        amount = draw(amounts)
        date = draw(inside if extra or draw(st.integers(0, 3)) < 3 else around)  # a quarter of them around
        values: dict[str, Any] = {"amount": amount, "date": date, "currency": plan.currency}
        if "status" in read:
            values["status"] = draw(statuses)
        if "new_customer" in read:
            values["new_customer"] = draw(st.booleans())
        for name in (c for c in TEXT_COLUMNS if c in read):
            values[name] = draw(texts)
        if "margin" in read:
            margin = amount * draw(st.integers(0, 100)) / 100  # a whole percentage of the amount: quick to shrink
            values["margin"] = margin.quantize(step, ROUND_FLOOR)
            values["cost"] = amount - values["margin"]
        return {**values, **draw(declared)}

    return deal()


@st.composite
def _credit_rows(draw, splits: bool, overlays: bool, max_people: int) -> list[tuple[int, int, str]]:
    """(person choice, whole percentage, kind) rows for one deal."""
    rows: list[tuple[int, int, str]] = []
    pick = st.integers(0, max_people - 1)
    if splits:
        left = 100
        for _ in range(draw(st.integers(0, 2))):
            pct = draw(st.integers(min(1, left), left))
            if pct:
                rows.append((draw(pick), pct, "split"))
            left -= pct
    if overlays and draw(st.booleans()):
        rows.append((draw(pick), draw(st.integers(1, 100)), "overlay"))
    return rows


@st.composite
def _person(draw, inputs: st.SearchStrategy, deal: st.SearchStrategy, max_people: int, most: int) -> tuple:
    """(manager choice, team choice, inputs, owned deals): a person with the deals they own, so that
    deleting the person deletes their deals."""
    manager, team, values = draw(st.integers(0, max_people - 1)), draw(st.integers(0, 1)), draw(inputs)
    return manager, team, values, [draw(deal) for _ in range(draw(st.integers(0, most)))]


@st.composite
def _sales(draw, inputs: st.SearchStrategy, deal: st.SearchStrategy, max_people: int, max_deals: int) -> Sales:
    two_teams = draw(st.booleans())
    n, specs, left = draw(st.integers(1, max_people)), [], max_deals
    for _ in range(n):  # each person up to a fair share of the deals, at most max_deals in all
        specs.append(draw(_person(inputs, deal, max_people, min(left, -(-max_deals // n)))))
        left -= len(specs[-1][3])
    people, deals, splits = [], [], {}
    for i, (manager, team, values, owned) in enumerate(specs):
        # 0: no manager; k: Pk if k comes earlier (so no cycles); an index, which deleting a later person keeps
        boss = manager if manager <= i else manager % (i + 1)
        pid = f"P{i + 1}"
        people.append(Person(pid, f"T{team + 1}" if two_teams else "T1", f"P{boss}" if boss else "", values,
                             where=f"person {pid}"))
        for values, rows in owned:
            did = f"D{len(deals) + 1}"
            deals.append(new_deal({"id": did, "owner": pid, **values}, where=f"deal {did}"))
            if rows:
                # counted from the owner (0: the owner), so that the row moves with the deal
                splits[did] = [(f"P{(i + p) % n + 1}", Decimal(pct) / 100, kind, f"{kind} {j} of deal {did}")
                               for j, (p, pct, kind) in enumerate(rows, start=1)]
    return new_sales(people, deals, splits)


def sales_strategy(plan: ir.Plan, period: tuple[dt.date, dt.date], max_people: int = 6,
                   max_deals: int = 8, max_activities: int = 10) -> st.SearchStrategy[Sales]:
    """People (with teams and managers), deals credited to them, split and overlay rows, and (for a
    plan that measures activities) activities owned by them."""
    inputs = st.fixed_dictionaries({name: input_strategy(info, plan) for name, info in plan.inputs.items()})
    rows = _credit_rows("splits" in plan.crediting, "overlays" in plan.crediting, max_people)
    deal = st.tuples(_deal_values(plan, period), rows)
    sales = _sales(inputs, deal, max_people, max_deals)
    if not plan.reads_activities:  # exactly the draws of before: seeded runs stay as they were
        return sales
    return _with_activities(plan, sales, _activity_values(plan, period), max_activities)


def activity_types(plan: ir.Plan) -> list[str]:
    """Values for an activity's `type`: those the plan's activity measures compare it with (`==`,
    `!=`, `in {...}`) and "other", or a few common ones when it compares it with none."""
    def is_type(e) -> bool:
        return isinstance(e, ir.Var) and e.name == "type"

    found: set[str] = set()
    for node in ir.walk([m for m in plan.measures if m.source == "activities"]):
        if isinstance(node, ir.Op) and node.op in ("==", "!=") and len(node.args) == 2:
            for a, b in (node.args, node.args[::-1]):
                if is_type(a) and isinstance(b, ir.Const) and isinstance(b.value, str):
                    found.add(b.value)
        elif isinstance(node, ir.InSet) and is_type(node.operand):
            found.update(v for v in node.values if isinstance(v, str))
    found.discard("")
    return [*sorted(found), *(["other"] if "other" not in found else [])] if found else list(ACTIVITY_TYPES)


def _activity_values(plan: ir.Plan, period: tuple[dt.date, dt.date]) -> st.SearchStrategy[dict]:
    """An activity's columns but its id and owner: a date mostly inside the period, a type, and the
    declared columns (drawn as inputs are; an optional one is missing on some activities)."""
    start, end = period
    inside, around = st.dates(start, end), st.dates(start - SLACK, end + SLACK)
    types = st.sampled_from(activity_types(plan))
    declared = st.fixed_dictionaries({
        name: st.one_of(st.just(ir.MISSING), input_strategy(info, plan))
        if getattr(info.decl, "optional", False) else input_strategy(info, plan)
        for name, info in plan.activity_field_infos.items()})

    @st.composite
    def activity(draw) -> dict:
        date = draw(inside if draw(st.integers(0, 3)) < 3 else around)  # a quarter of them around
        return {"date": date, "type": draw(types), **draw(declared)}

    return activity()


@st.composite
def _with_activities(draw, plan: ir.Plan, sales: st.SearchStrategy[Sales], activity: st.SearchStrategy[dict],
                     most: int) -> Sales:
    """The population with activities owned by its people.  An activity mostly has the previous one's
    owner (the first: P1), so that one person gathers several (what thresholds on a count need), and
    otherwise an index into the people, which deleting a person keeps valid."""
    drawn = draw(sales)
    people = list(drawn.people)
    rows, owner = [], 0
    for i in range(draw(st.integers(0, most))):
        if draw(st.integers(0, 3)) == 3:  # a quarter of them: anyone's
            owner = draw(st.integers(0, len(people) - 1))
        values = draw(activity)
        aid = f"A{i + 1}"
        rows.append(new_activity({"id": aid, "owner": people[owner], **values}, f"activity {aid}",
                                 plan.activity_fields, plan.activity_field_infos))
    return new_sales(list(drawn.people.values()), drawn.deals, drawn.splits, drawn.splits_file, rows)


def extra_deal_strategy(plan: ir.Plan, period: tuple[dt.date, dt.date], people: list[str],
                        deal_id: str) -> st.SearchStrategy[dict]:
    """One more deal, won inside the period with a positive amount: for "adding a deal never lowers X"."""
    return st.tuples(st.sampled_from(people), _deal_values(plan, period, extra=True)).map(
        lambda x: new_deal({"id": deal_id, "owner": x[0], **x[1]}, where=f"deal {deal_id}"))


# ---- as plan text -------------------------------------------------------------------------------


def _record(fields: list[tuple[str, str]]) -> str:
    return "{ " + ", ".join(f"{name} = {text}" for name, text in fields) + " }" if fields else "{}"


def sales_text(plan: ir.Plan, sales: Sales, period: tuple[dt.date, dt.date]) -> list[str]:
    """The population as lines of a plan `example` block: period, people, deals, split and overlay rows,
    activities.  Deal columns equal to the loaders' default (and `currency`, always the plan's) are left
    out, and so are missing optional columns of deals and activities."""
    cur = plan.currency
    lines = [f"period {period[0].isoformat()} to {period[1].isoformat()}"]
    for p in sales.people.values():
        fields = [(c, value_text(v, T.TEXT, cur)) for c, v in (("team", p.team), ("manager", p.manager)) if v]
        fields += [(name, value_text(p.values[name], info.type, cur)) for name, info in plan.inputs.items()
                   if p.values.get(name) is not None]
        lines.append(f"person {value_text(p.id, T.TEXT, cur)} {_record(fields)}")
    types = {**{name: t for name, (t, _) in OPTIONAL_DEAL.items()}, **plan.deal_fields}
    for d in sales.deals:
        fields = [(c, value_text(d[c], t, cur)) for c, t in (("owner", T.TEXT), ("amount", T.MONEY),
                                                               ("date", T.DATE))]
        for name in [*DEAL_ORDER, *(c for c in d if c not in DEAL_ORDER)]:
            value = d.get(name)
            if name in ("id", "owner", "amount", "date", "currency") or name.startswith("__") or value is None \
                    or value is ir.MISSING:  # an optional column left out of a deal line is missing
                continue
            if name in OPTIONAL_DEAL and value == OPTIONAL_DEAL[name][1]:
                continue
            fields.append((name, value_text(value, types.get(name, T.NUMBER), cur)))
        lines.append(f"deal {value_text(d['id'], T.TEXT, cur)} {_record(fields)}")
    for did, rows in sales.splits.items():
        for person, share, kind, _ in rows:
            lines.append(f"{kind} {value_text(did, T.TEXT, cur)} {value_text(share, T.PERCENT, cur)} to "
                         f"{value_text(person, T.TEXT, cur)}")
    for a in sales.activities:
        fields = [(name, value_text(a[name], t, cur)) for name, t in plan.activity_fields.items()
                  if name != "id" and a.get(name) is not None and a.get(name) is not ir.MISSING]
        lines.append(f"activity {value_text(a['id'], T.TEXT, cur)} {_record(fields)}")
    return lines
