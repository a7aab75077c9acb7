"""The language of pay across periods: header items (`partial periods`, `days`, `fx at`), `prorated`
inputs, dated definitions (`let rate = 10% from 2027-07-01: 12%`), `ytd` components, `draw` and
`clawback` blocks, the participation names and `per_period`.

Parsing and canonical formatting, the checker's errors (code, line, message), the meaning through
`plan.run` and `period_values`, the IR, and a property of `per_period` over the months of a year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import ast
from dsl.check_sales import DEAL_FIELDS, DEAL_STATUSES
from dsl.fmt import format_plan
from dsl.parse import parse
from dsl.source import Source, Span
from dsl.types import T
from incentives import PlanError, compile_text
from incentives.engine import ir
from incentives.engine.ir_time import Clawback, Draw
from incentives.engine.numbers import CONTEXT
from incentives.engine.period import period_values

D = dt.date
HEAD = 'plan "T" { currency USD period quarter }\n'
PAYS = "component c { pay 1 USD }\n"
READS_DEALS = "measure bookings = sum amount of deals\n"


# ---------------------------------------------------------------------------------------------------------------
# helpers


def fmt(text: str) -> str:
    """The canonical layout of `text`, checked idempotent (formatting twice == once)."""
    once = format_plan(parse(Source("t.plan", text)))
    assert format_plan(parse(Source("t.plan", once))) == once, "fmt is not idempotent"
    return once


def shape(node):
    """An AST as plain data without positions: what the plan says, not where it says it."""
    if isinstance(node, Span):
        return None
    if isinstance(node, (list, tuple)):
        return [shape(n) for n in node]
    if isinstance(node, ast.Literal):
        return ("lit", node.kind, str(node.value) if isinstance(node.value, Decimal) else node.value)
    if hasattr(node, "__dataclass_fields__"):
        return (type(node).__name__, {k: shape(getattr(node, k)) for k in node.__dataclass_fields__
                                      if k not in ("span", "text", "source", "comments", "items")
                                      or (k == "items" and not isinstance(node, ast.DrawDecl))})
    return node


def problems(text: str) -> list:
    with pytest.raises(PlanError) as info:
        compile_text(text, "t.plan")
    return list(info.value.problems)


def only(text: str, code: str):
    """The one problem of `text` (asserting there is exactly one, of `code`)."""
    found = problems(text)
    assert [p.code for p in found] == [code], [(p.code, p.line, p.message) for p in found]
    return found[0]


def line_of(text: str, snippet: str, nth: int = 1) -> int:
    """The 1-based line of the nth line of `text` holding `snippet`."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if snippet in line]
    assert len(hits) >= nth, f"{snippet!r} is not in the text {nth} time(s)"
    return hits[nth - 1]


def body(formatted: str) -> list[str]:
    """The lines of a block, without comments and blank lines (what the formatter ordered)."""
    return [line.split("#")[0].rstrip() for line in formatted.splitlines()
            if line.split("#")[0].strip()]


def values_of(plan, period: str, given: dict | None = None) -> dict:
    """A payee's values (definitions included) for `period`."""
    return plan.run(given or {}, payee="p", period=period, trace=True).values


# ---------------------------------------------------------------------------------------------------------------
# 1. parsing and formatting

FULL = '''plan "Time" {   currency USD period month
  partial periods days working fx at period_end }
input quota: money prorated "the monthly quota"
input   visits : number   prorated
let rate = 10%   from 2027-07-01: 12% from 2027-10-01:   14% "the commission rate"
let target = per_period(120_000 USD, 20%, 20%, 20%, 40%)
measure bookings = sum amount of deals
component commission "Commission"   ytd { pay rate of bookings }
draw advance "Advance" { amount 1_000 USD prorated recoverable recover 50% delay 2 periods
  cap 500 USD for 6 periods forgive at year end forgive at termination }
clawback churn "Churn" { when status == "churned" or status == "refunded" within 90 days take 50%
  straight line over 180 days forgive at termination }
'''

FULL_CANONICAL = '''plan "Time" {
  currency USD
  period month
  partial periods
  days working
  fx at period_end
}

input quota: money prorated "the monthly quota"
input visits: number prorated

let rate = 10% from 2027-07-01: 12% from 2027-10-01: 14% "the commission rate"
let target = per_period(120_000 USD, 20%, 20%, 20%, 40%)

measure bookings = sum amount of deals

component commission "Commission" ytd {
  pay rate of bookings
}

draw advance "Advance" {
  amount 1_000 USD prorated
  recoverable
  recover 50%
  delay 2 periods
  cap 500 USD
  for 6 periods
  forgive at year end
  forgive at termination
}

clawback churn "Churn" {
  when status == "churned" or status == "refunded"
  within 90 days
  take 50%
  straight line over 180 days
  forgive at termination
}
'''


def test_every_new_construct_formats_canonically_and_idempotently():
    out = fmt(FULL)
    assert out == FULL_CANONICAL
    assert fmt(out) == out  # canonical text is a fixed point
    assert shape(parse(out).decls) == shape(parse(FULL).decls)  # and means the same
    compile_text(out, "time.plan")  # the canonical text is a valid plan


def test_parse_builds_the_new_nodes():
    plan = parse(Source("t.plan", FULL))
    header = plan.of_type(ast.PlanHeader)[0]
    assert header.partial is not None and header.days.text == "working" and header.fx.text == "period_end"
    inputs = {d.name.text: d for d in plan.of_type(ast.InputDecl)}
    assert inputs["quota"].prorated and inputs["visits"].prorated
    rate = next(d for d in plan.of_type(ast.LetDecl) if d.name.text == "rate")
    assert [(date.value, value.value) for date, value in rate.dated] == [
        (D(2027, 7, 1), Decimal("0.12")), (D(2027, 10, 1), Decimal("0.14"))]
    assert rate.base.value == Decimal("0.1") and rate.description == "the commission rate"
    assert isinstance(rate.expr, ast.If)  # the chain the checker and the engine read
    component = plan.of_type(ast.ComponentDecl)[0]
    assert component.ytd is not None and component.label == "Commission"
    (draw,) = plan.of_type(ast.DrawDecl)
    assert (draw.name.text, draw.label, draw.prorated, draw.kind.text) == ("advance", "Advance", True, "recoverable")
    assert [e.text for e in draw.forgive] == ["year_end", "termination"]
    (claw,) = plan.of_type(ast.ClawbackDecl)
    assert (claw.within.value, claw.take.value, claw.straight.value) == (90, Decimal("0.5"), 180)


def test_a_component_without_ytd_has_none_and_ytd_needs_no_label():
    plan = parse(HEAD + "component a ytd { pay 1 USD }\ncomponent b { pay 1 USD }\n")
    a, b = plan.of_type(ast.ComponentDecl)
    assert a.ytd is not None and a.label is None and b.ytd is None
    assert "component a ytd {" in fmt(HEAD + "component a ytd { pay 1 USD }\n")


def test_the_from_clauses_of_a_dated_let_survive_formatting():
    text = HEAD + "let rate = 10%\n  from 2027-07-01: 12%\n  from 2027-10-01:\n    14%\n" + PAYS
    out = fmt(text)
    assert "let rate = 10% from 2027-07-01: 12% from 2027-10-01: 14%\n" in out
    again = next(d for d in parse(out).of_type(ast.LetDecl))
    assert [(d.text, expr.text) for d, expr in again.dated] == [("2027-07-01", "12%"), ("2027-10-01", "14%")]


def test_a_long_dated_let_breaks_one_from_clause_a_line():
    dates = ["2027-07-01", "2027-10-01", "2028-01-01", "2028-04-01", "2028-07-01"]
    clauses = " ".join(f"from {d}: {12 + 2 * n}%" for n, d in enumerate(dates))
    out = fmt(HEAD + f'let rate = 10% {clauses} "a long description of the commission rate"\n' + PAYS)
    lines = out.splitlines()
    start = lines.index("let rate = 10%")
    assert lines[start + 1:start + 7] == [f"    from {d}: {12 + 2 * n}%" for n, d in enumerate(dates)] + [
        '    "a long description of the commission rate"']
    assert all(len(line) <= 100 for line in lines)


def test_draw_items_keep_the_order_they_are_written_in():
    text = HEAD + PAYS + '''draw d "D" {
  forgive at termination
  for 6 periods
  cap 500 USD
  delay 2 periods
  recover 50%
  guaranteed
  amount 1_000 USD prorated
  forgive at year end
}
'''
    out = fmt(text)
    draw = out[out.index("draw d"):]
    # in the order written, so that each item's comments stay beside it
    assert body(draw) == ['draw d "D" {', "  forgive at termination", "  for 6 periods", "  cap 500 USD",
                          "  delay 2 periods", "  recover 50%", "  guaranteed", "  amount 1_000 USD prorated",
                          "  forgive at year end", "}"]
    # the same draw, whatever the order it was written in
    assert shape(parse(out).of_type(ast.DrawDecl)) == shape(parse(text).of_type(ast.DrawDecl))


def test_clawback_items_keep_the_order_they_are_written_in():
    text = HEAD + READS_DEALS + PAYS + '''clawback k {
  forgive at year end
  straight line over 30 days
  take 25%
  within 60 days
  when status == "churned"
}
'''
    out = fmt(text)
    assert body(out[out.index("clawback k"):]) == [
        "clawback k {", "  forgive at year end", "  straight line over 30 days", "  take 25%",
        "  within 60 days", '  when status == "churned"', "}"]
    compile_text(out, "t.plan")


def test_comments_inside_draw_and_clawback_blocks_are_kept_in_place():
    text = HEAD + READS_DEALS + PAYS + '''# the advance
draw advance {  # on the block
  # what is paid
  amount 1_000 USD  # per month
  recoverable
  # recovery
  recover 50%  # half of the excess
  forgive at termination
}

clawback churn {
  # which deals
  when status == "churned"
       # or refunded ones
       or status == "refunded"
  within 90 days  # of the close
  take 100%
}
'''
    out = fmt(text)
    assert out[out.index("# the advance"):] == '''# the advance
draw advance {  # on the block
  # what is paid
  amount 1_000 USD  # per month
  recoverable
  # recovery
  recover 50%  # half of the excess
  forgive at termination
}

clawback churn {
  # which deals
  when status == "churned"
        # or refunded ones
        or status == "refunded"
  within 90 days  # of the close
  take 100%
}
'''


def test_a_comment_stays_with_its_draw_item_when_the_items_are_reordered():
    text = HEAD + PAYS + "draw a {\n  recoverable  # the kind\n  amount 1 USD\n}\n"
    out = fmt(text)
    assert "  recoverable  # the kind\n" in out


def test_a_full_line_comment_stays_before_its_moved_draw_item():
    text = HEAD + PAYS + "draw a {\n  # from the third period\n  delay 2 periods\n  amount 1 USD\n}\n"
    out = fmt(text)
    lines = out.splitlines()
    assert lines[lines.index("  delay 2 periods") - 1] == "  # from the third period"


def test_prorated_input_formats_before_its_other_options():
    out = fmt(HEAD + 'input q: money default 5 USD prorated range 0 USD to 9 USD "q"\n' + PAYS)
    assert 'input q: money prorated range 0 USD to 9 USD default 5 USD "q"\n' in out


# ---------------------------------------------------------------------------------------------------------------
# 2. the checker's errors


@pytest.mark.parametrize("item, code, hint", [
    ("days weekly", "days", "`days calendar` or `days working`"),
    ("fx at open", "fx", "`fx at close` or `fx at period_end`"),
])
def test_unknown_header_settings_are_errors_with_hints(item, code, hint):
    text = f'plan "T" {{\n  currency USD\n  period quarter\n  {item}\n}}\n' + PAYS
    p = only(text, code)
    assert (p.line, p.column) == (4, len(item) - len(item.split()[-1]) + 3)
    assert f"unknown `{code}` setting `{item.split()[-1]}`" in p.message
    assert hint in p.hint


@pytest.mark.parametrize("typ", ["text", "percent", "date", "count", "bool"])
def test_only_money_and_numbers_can_be_prorated(typ):
    text = HEAD + PAYS + f"input x: {typ} prorated\n"
    p = only(text, "prorated")
    assert p.line == 3
    assert f"`x` is {typ}: only money and numbers can be prorated" in p.message


@pytest.mark.parametrize("typ", ["money", "number"])
def test_money_and_numbers_can_be_prorated(typ):
    plan = compile_text(HEAD + PAYS + f"input x: {typ} prorated\n", "t.plan")
    assert plan.ir.inputs["x"].decl.prorated


@pytest.mark.parametrize("second", ["2027-07-01", "2027-10-01"])
def test_the_dates_of_a_dated_let_must_go_up(second):
    text = HEAD + f"let rate = 10%\n  from 2027-10-01: 12%\n  from {second}: 14%\n" + PAYS
    p = only(text, "dates")
    assert (p.line, p.column) == (4, 8)
    assert f"the dates of `rate` must go up: {second} comes after 2027-10-01" in p.message


def test_each_branch_of_a_dated_let_has_the_type_of_its_base():
    text = HEAD + "let rate = 10%\n  from 2027-07-01: 12%\n  from 2027-10-01: 5 USD\n" + PAYS
    p = only(text, "type")
    assert p.line == line_of(text, "5 USD")
    assert "money" in p.message and "percentage" in p.message


def test_the_type_error_of_a_dated_let_speaks_of_its_from_clauses():
    p = only(HEAD + "let rate = 10% from 2027-07-01: 5 USD\n" + PAYS, "type")
    assert "`then`" not in p.message and "`else`" not in p.message
    assert "the value from 2027-07-01 is money, but the value before it is a percentage" in p.message


def test_a_bad_date_in_a_from_clause_is_located():
    p = only(HEAD + "let rate = 10% from 2027-02-30: 12%\n" + PAYS, "bad-date")
    assert (p.line, p.column) == (2, 21)


DRAW_ERRORS = [
    # (draw block, code, the snippet on the reported line, words of the message)
    ('draw a {\n  recoverable\n}\n', "draw", "draw a {", "needs an `amount`, such as `amount 2_000 USD`"),
    ('draw a {\n  amount 10%\n}\n', "type", "amount 10%", "a draw's amount must be money"),
    ('draw a {\n  amount 1 USD\n  recover 150%\n}\n', "range", "recover 150%",
     "is a share from 0% to 100%, not 150%"),
    ('draw a {\n  amount 1 USD\n  recover 5 USD\n}\n', "type", "recover 5 USD", "must be a percentage"),
    ('draw a {\n  amount 1 USD\n  cap 10%\n}\n', "type", "cap 10%", "recovery cap must be money"),
    ('draw a {\n  amount 1 USD\n  delay 1.5 periods\n}\n', "draw", "delay 1.5",
     "`delay` counts whole periods, not 1.5"),
    ('draw a {\n  amount 1 USD\n  for 2.5 periods\n}\n', "draw", "for 2.5", "`for` counts whole periods, not 2.5"),
    ('draw a {\n  amount 1 USD\n  for 0 periods\n}\n', "draw", "for 0", "a draw `for 0 periods` is never paid"),
    ('draw a {\n  amount 1 USD\n  forgive at retirement\n}\n', "forgive", "forgive at retirement",
     "unknown forgiveness `retirement`"),
    ('draw a {\n  amount 1 USD\n  forgive at year end\n  forgive at year end\n}\n', "duplicate",
     "forgive at year end", "`forgive at year end` is given twice"),
    ('draw a {\n  amount 1 USD\n  amount 2 USD\n}\n', "duplicate", "amount 2 USD",
     "`amount` is given twice in this draw"),
    ('draw a {\n  amount 1 USD\n  recoverable\n  guaranteed\n}\n', "duplicate", "guaranteed",
     "`recoverable or guaranteed` is given twice in this draw"),
    ('draw a {\n  amount 1 USD\n  for 2 periods\n  for 3 periods\n}\n', "duplicate", "for 3",
     "`for` is given twice in this draw"),
    ('draw a {\n  amount 1 USD\n  cap 1 USD\n  cap 2 USD\n}\n', "duplicate", "cap 2 USD",
     "`cap` is given twice in this draw"),
    ('draw a {\n  amount 1 USD\n}\ndraw b {\n  amount 1 USD\n}\n', "duplicate", "draw b", "a plan has one `draw`"),
]


@pytest.mark.parametrize("block, code, snippet, words", DRAW_ERRORS, ids=[e[1] + ":" + e[2] for e in DRAW_ERRORS])
def test_draw_errors(block, code, snippet, words):
    text = HEAD + PAYS + block
    p = only(text, code)
    assert p.line == line_of(text, snippet, 2 if snippet == "forgive at year end" else 1)
    assert words in p.message


def test_an_unknown_forgiveness_hints_at_the_two_events():
    p = only(HEAD + PAYS + "draw a { amount 1 USD forgive at payday }\n", "forgive")
    assert "`forgive at year end` or `forgive at termination`" in p.hint


CLAWBACK_ERRORS = [
    # (plan after the header, code, the snippet on the reported line, words of the message)
    (PAYS + "clawback k {\n  within 90 days\n}\n", "clawback", "clawback k",
     "a clawback takes back pay on deals, but the plan reads no deals"),
    (READS_DEALS + PAYS + 'clawback k {\n  when status == "churned"\n}\n', "clawback", "clawback k",
     "clawback `k` needs a window, such as `within 90 days`"),
    (READS_DEALS + PAYS + "clawback k {\n  when amount\n  within 90 days\n}\n", "type", "when amount",
     "a clawback's `when` must be true/false"),
    (READS_DEALS + PAYS + "clawback k {\n  within 0 days\n}\n", "clawback", "within 0",
     "a number of days is a whole number above 0, not 0"),
    (READS_DEALS + PAYS + "clawback k {\n  within 7.5 days\n}\n", "clawback", "within 7.5",
     "a number of days is a whole number above 0, not 7.5"),
    (READS_DEALS + PAYS + "clawback k {\n  within 90 days\n  straight line over 1.5 days\n}\n", "clawback",
     "straight line", "a number of days is a whole number above 0, not 1.5"),
    (READS_DEALS + PAYS + "clawback k {\n  within 90 days\n  take 120%\n}\n", "range", "take 120%",
     "a clawback's `take` is a share from 0% to 100%, not 120%"),
    (READS_DEALS + PAYS + "clawback k {\n  within 90 days\n  take 5 USD\n}\n", "type", "take 5 USD",
     "a clawback's `take` must be a percentage"),
    (READS_DEALS + PAYS + "clawback k {\n  within 90 days\n  forgive at midnight\n}\n", "forgive",
     "forgive at midnight", "unknown forgiveness `midnight`"),
    (READS_DEALS + PAYS + "clawback k {\n  within 90 days\n  within 30 days\n}\n", "duplicate", "within 30",
     "`within` is given twice in this clawback"),
    (READS_DEALS + PAYS + "clawback k {\n  within 90 days\n  straight line over 9 days\n"
                          "  straight line over 8 days\n}\n", "duplicate", "over 8 days",
     "`straight line` is given twice in this clawback"),
    (READS_DEALS + PAYS + "clawback k {\n  within 90 days\n  take 50%\n  take 25%\n}\n", "duplicate", "take 25%",
     "`take` is given twice in this clawback"),
    (READS_DEALS + PAYS + "clawback k {\n  within 90 days\n  when reversal_date == 5\n}\n", "units",
     "reversal_date", "cannot compare a date with a number"),
]


@pytest.mark.parametrize("rest, code, snippet, words", CLAWBACK_ERRORS,
                         ids=[e[1] + ":" + e[2] for e in CLAWBACK_ERRORS])
def test_clawback_errors(rest, code, snippet, words):
    text = HEAD + rest
    p = only(text, code)
    assert p.line == line_of(text, snippet)
    assert words in p.message


def test_a_clawback_without_deals_hints_at_a_deal_measure():
    p = only(HEAD + PAYS + "clawback k { within 90 days }\n", "clawback")
    assert "measure bookings = sum amount of deals" in p.hint


def test_per_deal_tiers_read_deals_for_a_clawback():
    text = HEAD + "component c {\n  tiers marginal per deal on amount { from 0 USD: 1% }\n}\n" \
                  "clawback k { within 90 days }\n"
    assert len(compile_text(text, "t.plan").ir.clawbacks) == 1


def test_a_clawback_reads_the_new_deal_column_and_status():
    assert DEAL_FIELDS["reversal_date"] is T.DATE and "churned" in DEAL_STATUSES
    text = HEAD + READS_DEALS + PAYS + ('clawback k { when status == "churned" and reversal_date <= date '
                                        'within 90 days }\n')
    (claw,) = compile_text(text, "t.plan").ir.clawbacks
    read = {n.name: n.kind for n in ir.walk([claw.when]) if isinstance(n, ir.Var)}
    assert read == {"status": "deal", "reversal_date": "deal", "date": "deal"}


@pytest.mark.parametrize("decl", ["let participation = 1", "input period_days: number",
                                  "input days_active: number", "let period_days = 2"])
def test_participation_names_are_reserved(decl):
    p = only(HEAD + decl + "\n" + PAYS, "reserved")
    assert p.line == 2
    assert "is a word of the language and cannot be used as a name" in p.message


def test_participation_names_can_be_read():
    text = HEAD + "component c { pay 10 USD * days_active + 1 USD * period_days + 100 USD * participation }\n"
    compile_text(text, "t.plan")


@pytest.mark.parametrize("weights, total", [
    ("20%, 20%, 20%, 30%", "90"),
    (", ".join(["8%"] * 12), "96"),
])
def test_constant_weights_of_per_period_add_up_to_100_percent(weights, total):
    text = HEAD + f"let t = per_period(100 USD, {weights})\n" + PAYS
    p = only(text, "weights")
    assert (p.line, p.column) == (2, 9)
    assert f"the weights of `per_period` add up to {total}" in p.message and "not 100%" in p.message


@pytest.mark.parametrize("args, n", [("", 0), ("100 USD, 50%, 50%", 2), ("100 USD, 10%, 20%, 30%, 40%, 0%", 5)])
def test_per_period_arity(args, n):
    p = only(HEAD + f"let t = per_period({args})\n" + PAYS, "arity")
    assert p.line == 2
    assert f"`per_period` takes an annual amount and 0, 4 or 12 weights, not {n}" in p.message
    assert "per_period(target, 20%, 20%, 20%, 40%)" in p.hint


def test_per_period_splits_money_or_numbers():
    p = only(HEAD + 'let t = per_period("x")\n' + PAYS, "type")
    assert p.line == 2 and "`per_period` splits money or a number, not text" in p.message


def test_a_weight_of_per_period_is_a_percentage():
    found = problems(HEAD + "let t = per_period(100 USD, 1 USD, 20%, 20%, 40%)\n" + PAYS)
    assert any(p.code == "type" and "each weight of `per_period` must be a percentage" in p.message for p in found)


def test_a_money_weight_gives_only_the_type_error():
    found = problems(HEAD + "let t = per_period(100 USD, 1 USD, 20%, 20%, 40%)\n" + PAYS)
    assert [p.code for p in found] == ["type"]


def test_per_period_needs_a_period_where_there_is_none():
    p = only(HEAD + "input q: money default per_period(5 USD)\n" + PAYS, "name")
    assert p.line == 2 and "there is no period in an input declaration" in p.message


def test_valid_draw_and_clawback_edge_values_are_accepted():
    text = HEAD + READS_DEALS + PAYS + ("draw a { amount 1 USD recover 0% delay 0 periods }\n"
                                        "clawback k { within 1 days take 0% straight line over 1 days }\n"
                                        "clawback k2 { within 30 days take 100% }\n")
    plan = compile_text(text, "t.plan")
    assert plan.ir.draw.delay == 0 and [k.take for k in plan.ir.clawbacks] == [Decimal(0), Decimal(1)]


# ---------------------------------------------------------------------------------------------------------------
# 3. semantics


DATED = '''plan "T" { currency USD period quarter }
let rate = 10% from 2027-07-01: 12% from 2027-10-01: 14% "desc"
input sales: money
component c { pay rate of sales }
'''


@pytest.mark.parametrize("period, rate", [
    ("2027-Q2", "0.1"), ("2027-Q3", "0.12"), ("2027-Q4", "0.14"),
    ("2027-06", "0.1"), ("2027-07", "0.12"), ("2027-09", "0.12"), ("2027-10", "0.14"),
    ("2027", "0.14"), ("2027-H1", "0.1"),
    ("2027-06-15..2027-07-15", "0.12"),  # in force on the period's last day
    ("2027-07-01..2027-07-01", "0.12"), ("2027-06-30..2027-06-30", "0.1"),
])
def test_a_dated_rate_is_the_one_in_force_on_the_last_day(period, rate):
    plan = compile_text(DATED, "dated.plan")
    result = plan.run({"sales": Decimal(100_000)}, payee="p", period=period, trace=True)
    assert result.values["rate"] == Decimal(rate)
    assert result.total == Decimal(100_000) * Decimal(rate)


PER_PERIOD = '''plan "T" { currency CNY period quarter }
let even = per_period(50_000_000 CNY)
let weighted = per_period(50_000_000 CNY, 20%, 20%, 20%, 40%)
let monthly = per_period(1_200 CNY, 5%, 5%, 5%, 5%, 5%, 5%, 5%, 5%, 5%, 5%, 5%, 45%)
let count = per_period(12)
component c { pay even }
'''


@pytest.fixture(scope="module")
def per_period_plan():
    return compile_text(PER_PERIOD, "per_period.plan")


@pytest.mark.parametrize("period, even", [
    ("2027-Q1", 12_500_000), ("2027-Q3", 12_500_000), ("2027", 50_000_000), ("2027-H2", 25_000_000)])
def test_per_period_of_an_annual_amount(per_period_plan, period, even):
    assert values_of(per_period_plan, period)["even"] == Decimal(even)


def test_per_period_for_a_month_is_a_third_of_its_quarter(per_period_plan):
    with localcontext(CONTEXT):
        exact = Decimal(50_000_000) / 12
    got = values_of(per_period_plan, "2027-07")["even"]
    # within 1e-20 CNY of a twelfth (34 significant digits), and a twelfth to the fen
    assert abs(got - exact) < Decimal("1e-20")
    assert got.quantize(Decimal("0.01")) == Decimal("4166666.67")
    assert str(got).startswith("4166666.666666666666666666666666")


def test_per_period_for_a_month_is_exactly_a_twelfth(per_period_plan):
    with localcontext(CONTEXT):
        exact = Decimal(50_000_000) / 12
    assert values_of(per_period_plan, "2027-07")["even"] == exact


@pytest.mark.parametrize("period, weighted", [
    ("2027-Q1", 10_000_000), ("2027-Q3", 10_000_000), ("2027-Q4", 20_000_000), ("2027", 50_000_000)])
def test_per_period_with_quarterly_weights(per_period_plan, period, weighted):
    assert values_of(per_period_plan, period)["weighted"] == Decimal(weighted)


def test_per_period_with_monthly_weights_and_days(per_period_plan):
    assert values_of(per_period_plan, "2027-12")["monthly"] == Decimal(540)
    assert values_of(per_period_plan, "2027-02")["monthly"] == Decimal(60)
    assert values_of(per_period_plan, "2027-Q4")["monthly"] == Decimal(660)
    # days evenly in a month: 14 of February's 28 days
    assert values_of(per_period_plan, "2027-02-01..2027-02-14")["monthly"] == Decimal(30)
    # a number splits too
    assert values_of(per_period_plan, "2027-Q2")["count"] == Decimal(3)


def test_per_period_pays_through_a_component(per_period_plan):
    result = per_period_plan.run({}, payee="p", period="2027-Q3")
    assert result.total == Decimal("12500000.00")


PARTICIPATION = '''plan "T" { currency USD period month }
input quota: money prorated
input visits: number prorated
input bonus: money
let days = period_days
let active = days_active
let share = participation
component c { pay quota }
'''


def test_participation_names_when_run_without_days():
    plan = compile_text(PARTICIPATION, "p.plan")
    v = values_of(plan, "2027-02", {"quota": Decimal(100_000), "visits": Decimal(10), "bonus": Decimal(7)})
    assert (v["days"], v["active"], v["share"]) == (Decimal(28), Decimal(28), Decimal(1))
    assert (v["period_start"], v["period_end"]) == (D(2027, 2, 1), D(2027, 2, 28))
    assert v["quota"] == Decimal(100_000) and v["visits"] == Decimal(10)
    assert values_of(plan, "2028-02", {"quota": 1, "visits": 1, "bonus": 1})["days"] == Decimal(29)
    assert values_of(plan, "2027-Q3", {"quota": 1, "visits": 1, "bonus": 1})["days"] == Decimal(92)


def test_period_values_with_days_prorates():
    plan = compile_text(PARTICIPATION, "p.plan")
    v = period_values(plan.ir, {"quota": Decimal(100_000), "visits": Decimal(10), "bonus": Decimal(7)},
                      D(2027, 2, 1), D(2027, 2, 28), days=(28, 14))
    assert v["participation"] == Decimal("0.5") and isinstance(v["participation"], Decimal)
    assert (v["period_days"], v["days_active"]) == (Decimal(28), Decimal(14))
    assert v["quota"] == Decimal("50000.00") and str(v["quota"]) == "50000.00"
    assert v["visits"] == Decimal(5)
    assert v["bonus"] == Decimal(7)  # not prorated


def test_a_prorated_money_input_is_rounded_to_cents():
    plan = compile_text(PARTICIPATION, "p.plan")
    v = period_values(plan.ir, {"quota": Decimal(100_000), "visits": Decimal(10)}, D(2027, 1, 1), D(2027, 1, 31),
                      days=(31, 13))
    assert str(v["quota"]) == "41935.48"  # 100,000 * 13/31 = 41,935.4838... half up
    with localcontext(CONTEXT):
        assert v["participation"] == Decimal(13) / Decimal(31)
        assert v["visits"] == Decimal(10) * (Decimal(13) / Decimal(31))  # a number is not rounded
    up = compile_text(PARTICIPATION.replace("period month", "period month rounding up"), "p.plan")
    assert str(period_values(up.ir, {"quota": Decimal(100_000)}, D(2027, 1, 1), D(2027, 1, 31),
                             days=(31, 13))["quota"]) == "41935.49"
    yen = compile_text(PARTICIPATION.replace("USD", "JPY"), "p.plan")
    assert str(period_values(yen.ir, {"quota": Decimal(100_000)}, D(2027, 1, 1), D(2027, 1, 31),
                             days=(31, 13))["quota"]) == "41935"


def test_no_days_active_means_no_participation():
    plan = compile_text(PARTICIPATION, "p.plan")
    v = period_values(plan.ir, {"quota": Decimal(100)}, D(2027, 1, 1), D(2027, 1, 31), days=(31, 0))
    assert v["participation"] == 0 and v["quota"] == 0
    v = period_values(plan.ir, {"quota": Decimal(100)}, D(2027, 1, 1), D(2027, 1, 31), days=(0, 0))
    assert v["participation"] == 0


def test_prorating_by_a_third_with_rounding_down_is_exact():
    plan = compile_text(PARTICIPATION.replace("period month", "period month rounding down"), "p.plan")
    v = period_values(plan.ir, {"quota": Decimal(300)}, D(2027, 4, 1), D(2027, 4, 30), days=(30, 10))
    assert v["quota"] == Decimal("100.00")


def test_days_working_counts_monday_to_friday():
    plan = compile_text(PARTICIPATION.replace("period month", "period month days working"), "p.plan")
    v = values_of(plan, "2027-01", {"quota": 1, "visits": 1, "bonus": 1})
    assert (v["days"], v["active"], v["share"]) == (Decimal(21), Decimal(21), Decimal(1))
    assert values_of(plan, "2027-02", {"quota": 1, "visits": 1, "bonus": 1})["days"] == Decimal(20)
    calendar = compile_text(PARTICIPATION.replace("period month", "period month days calendar"), "p.plan")
    assert values_of(calendar, "2027-01", {"quota": 1, "visits": 1, "bonus": 1})["days"] == Decimal(31)


# ---------------------------------------------------------------------------------------------------------------
# 4. the IR


IR_PLAN = '''plan "T" { currency USD period month partial periods days working fx at period_end }
input advance_amount: money
measure bookings = sum amount of deals
component commission "C" ytd { pay 10% of bookings }
component spiff { pay 1 USD }
draw advance "Adv" {
  amount advance_amount prorated
  guaranteed
  recover 50%
  delay 2 periods
  cap 500 USD
  for 6 periods
  forgive at year end
  forgive at termination
}
clawback churn "Churn" {
  when status == "churned"
  within 90 days
  take 50%
  straight line over 180 days
  forgive at termination
}
clawback any {
  within 30 days
}
'''


def test_the_ir_of_a_draw():
    plan = compile_text(IR_PLAN, "ir.plan")
    d = plan.ir.draw
    assert isinstance(d, Draw)
    assert (d.name, d.label, d.prorated, d.recoverable, d.delay, d.periods) == ("advance", "Adv", True, False, 2, 6)
    assert isinstance(d.amount, ir.Var) and (d.amount.name, d.amount.kind, d.amount.type) == (
        "advance_amount", "input", T.MONEY)
    assert isinstance(d.recover, ir.Const) and d.recover.value == Decimal("0.5")
    assert isinstance(d.cap, ir.Const) and d.cap.value == Decimal(500) and d.cap.type is T.MONEY
    assert d.forgive == frozenset({"year_end", "termination"})
    assert d.span.line == line_of(IR_PLAN, "draw advance")


def test_a_draw_is_recoverable_unless_guaranteed_and_has_defaults():
    for kind, recoverable in (("", True), ("recoverable", True), ("guaranteed", False)):
        plan = compile_text(HEAD + PAYS + f"draw a {{ amount 2_000 USD {kind} }}\n", "t.plan")
        d = plan.ir.draw
        assert d.recoverable is recoverable
        assert isinstance(d.amount, ir.Const) and d.amount.value == Decimal(2000)
        assert (d.prorated, d.recover, d.delay, d.cap, d.periods, d.forgive) == (
            False, None, 0, None, None, frozenset())


def test_a_plan_without_draw_or_clawbacks():
    plan = compile_text(HEAD + PAYS, "t.plan")
    assert plan.ir.draw is None and plan.ir.clawbacks == ()
    assert (plan.ir.partial, plan.ir.days, plan.ir.fx) == (False, "calendar", "close")
    assert [c.ytd for c in plan.ir.components] == [False]


def test_the_ir_of_clawbacks():
    plan = compile_text(IR_PLAN, "ir.plan")
    churn, anything = plan.ir.clawbacks
    assert isinstance(churn, Clawback)
    assert (churn.name, churn.label, churn.within, churn.straight) == ("churn", "Churn", 90, 180)
    assert churn.take == Decimal("0.5") and isinstance(churn.take, Decimal)
    assert isinstance(churn.when, ir.Op) and churn.when.op == "=="
    assert churn.when.args[0].name == "status" and churn.when.args[0].kind == "deal"
    assert churn.when.args[1].value == "churned"
    assert churn.forgive == frozenset({"termination"})
    assert (anything.when, anything.within, anything.take, anything.straight, anything.forgive) == (
        None, 30, Decimal(1), None, frozenset())


def test_the_ir_of_components_and_header():
    plan = compile_text(IR_PLAN, "ir.plan")
    assert [(c.name, c.ytd) for c in plan.ir.components] == [("commission", True), ("spiff", False)]
    assert (plan.ir.partial, plan.ir.days, plan.ir.fx) == (True, "working", "period_end")
    calendar = compile_text(IR_PLAN.replace("days working fx at period_end", "days calendar fx at close"), "t.plan")
    assert (calendar.ir.partial, calendar.ir.days, calendar.ir.fx) == (True, "calendar", "close")


def test_the_ir_of_a_dated_let_is_the_chain_on_period_end():
    plan = compile_text(DATED, "dated.plan")
    (rate,) = [let for let in plan.ir.lets if let.name == "rate"]
    assert rate.description == "desc"
    chain = rate.expr
    assert isinstance(chain, ir.Cond) and chain.then.value == Decimal("0.14")
    assert chain.cond.op == ">=" and chain.cond.args[0].name == "period_end"
    assert chain.cond.args[1].value == D(2027, 10, 1)
    inner = chain.otherwise
    assert inner.then.value == Decimal("0.12") and inner.cond.args[1].value == D(2027, 7, 1)
    assert inner.otherwise.value == Decimal("0.1")


# ---------------------------------------------------------------------------------------------------------------
# 5. property: the months of a year add up to the year
#
# Each month's per_period is the annual amount times its share (1/12, or a quarter's weight / 3) rounded to 34
# significant digits, then the product is rounded to 34 digits: each month is within a relative 1e-33 of its exact
# part, so 12 months are within annual * 1e-31 of the annual amount (tolerance used: annual * 1e-30).  The amounts
# are whole cents below 1e11, so that error (< 1e-19) is far below half a cent and the sum rounded to cents is the
# annual amount exactly.  (Quarters, with shares of 1/4 or whole basis points, add up exactly.)


YEARLY = '''plan "T" { currency USD period month }
input annual: money
input w1: percent
input w2: percent
input w3: percent
input w4: percent
let even = per_period(annual)
let weighted = per_period(annual, w1, w2, w3, w4)
component c { pay 1 USD }
'''

_YEARLY = compile_text(YEARLY, "yearly.plan")
CENT = Decimal("0.01")


def _sum_over(periods: list[str], given: dict) -> tuple[Decimal, Decimal]:
    even, weighted = Decimal(0), Decimal(0)
    with localcontext(CONTEXT) as ctx:
        ctx.prec = 80  # add without rounding
        for period in periods:
            v = _YEARLY.run(given, payee="p", period=period, trace=True).values
            even += v["even"]
            weighted += v["weighted"]
    return even, weighted


@st.composite
def quarterly_weights(draw):
    """4 weights in whole basis points adding up to exactly 100%."""
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=3, max_size=3)))
    points = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000])]
    return [Decimal(p) / 10_000 for p in points]


@settings(max_examples=50, deadline=None)
@given(cents=st.integers(0, 10**13), year=st.integers(1901, 2399), weights=quarterly_weights())
def test_per_period_over_the_months_of_a_year_adds_up_to_the_year(cents, year, weights):
    annual = Decimal(cents).scaleb(-2)
    given_ = {"annual": annual, **{f"w{n}": w for n, w in enumerate(weights, 1)}}
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    even, weighted = _sum_over(months, given_)
    for total in (even, weighted):
        assert abs(total - annual) <= annual * Decimal("1e-30")
        assert total.quantize(CENT) == annual
    quarters = [f"{year}-Q{q}" for q in range(1, 5)]
    assert _sum_over(quarters, given_) == (annual, annual)
    assert _sum_over([str(year)], given_) == (annual, annual)


def test_a_header_item_given_twice_is_an_error():
    p = only('plan "T" { currency USD period month days working days calendar }\ncomponent c { pay 1 USD }\n',
             "duplicate")
    assert "`days` is given twice in the plan's header" in p.message and p.column == 56
