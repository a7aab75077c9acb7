"""Plan parameters: `param NAME = VALUE [range LO to HI] ["description"]`, end to end.

The declaration parses, checks (typed by its value, the value within the range, the range in order,
money in the plan's currency, one namespace with inputs and definitions) and formats; references
lower to `ir.Var(kind="param")`; the row evaluator reads a param from the payee's values (its default
unless the run gives another); `Plan.check_params` parses and checks values; `Plan.run`,
`run_population` and `run_table` take `params=` and agree payee by payee; bands whose bounds read a
param are checked per payee when the plan runs; the lint treats a param as any value of its range.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import incentives
from dsl import ast
from dsl.diagnostics import PlanError
from dsl.fmt import format_plan
from dsl.parse import parse
from dsl.types import T
from incentives.engine import ir
from incentives.errors import DataError, EvaluationError
from incentives.sales.records import Person, new_deal

ROOT = Path(__file__).resolve().parent.parent
HEADER = 'plan "Params" { currency USD period quarter effective 2026-01-01 to 2026-03-31 }\n'

WHAT_IF = HEADER + """\
input revenue: money range 0 USD to 2_000_000 USD
input quota: money range 1 USD to 1_000_000 USD
param top_rate = 15% range 10% to 30% "Rate above 150% of quota"
param accel_cap = 30_000 USD range 0 USD to 100_000 USD
param gate_level = 50%
let attainment = revenue / quota
component commission {
  tiers marginal on revenue {
    from 0 USD to quota: 8%
    from quota to 150% of quota: 12%
    from 150% of quota: top_rate
  }
  cap accel_cap
  gate attainment >= gate_level
}
"""


def compile_plan(text: str, name: str = "params.plan") -> incentives.Plan:
    return incentives.compile_text(text, name)


def errors_of(text: str, name: str = "params.plan") -> list:
    with pytest.raises(PlanError) as e:
        compile_plan(text, name)
    return [d for d in e.value.diagnostics if d.severity.value == "error"]


def only_error(text: str):
    found = errors_of(text)
    assert len(found) == 1, [d.message for d in found]
    return found[0]


# ---- parse, check, fmt ----


def test_the_declaration_parses_into_its_parts():
    decls = parse(WHAT_IF).of_type(ast.ParamDecl)
    assert [d.name.text for d in decls] == ["top_rate", "accel_cap", "gate_level"]
    top, cap, gate = decls
    assert top.value.value == D("0.15") and [b.value for b in top.range] == [D("0.1"), D("0.3")]
    assert top.description == "Rate above 150% of quota"
    assert cap.value.kind == "money" and cap.value.currency == "USD" and cap.description is None
    assert gate.range is None and gate.value.text == "50%"
    assert (top.span.line, top.span.column) == (4, 1)


def test_the_checker_types_each_param_by_its_value():
    plan = compile_plan(WHAT_IF + 'param n = 3\nparam d = 2026-02-01\nparam on = true\nparam who = "East"\n'
                        'component extra { pay if on and who == "East" and period_start < d then n * 1 USD '
                        'else 0 USD }\n')
    types = {name: p.type for name, p in plan.params.items()}
    assert types == {"top_rate": T.PERCENT, "accel_cap": T.MONEY, "gate_level": T.PERCENT, "n": T.NUMBER,
                     "d": T.DATE, "on": T.BOOL, "who": T.TEXT}
    top = plan.params["top_rate"]
    assert (top.default, top.range, top.description) == (D("0.15"), (D("0.1"), D("0.3")), "Rate above 150% of quota")
    assert plan.params["gate_level"].range is None and top.span.line == 4
    assert plan.params["d"].default == dt.date(2026, 2, 1)


def test_references_lower_to_param_vars():
    plan = compile_plan(WHAT_IF)
    kinds = {n.name: n.kind for n in ir.walk(plan.ir.components) if isinstance(n, ir.Var)}
    assert kinds["top_rate"] == kinds["accel_cap"] == kinds["gate_level"] == "param"
    assert kinds["quota"] == "input" and kinds["attainment"] == "let"
    assert isinstance(plan.ir.params["top_rate"], ir.Param)


def test_fmt_gives_the_canonical_layout_keeps_comments_and_is_idempotent():
    text = HEADER + """\
# the rate above 150% of quota
param   top_rate=15%   range 10%   to 30%  "Rate above 150% of quota"   # a trailing comment
param accel_cap = 30_000   USD range 0 USD to 100_000 USD
param gate_level =
    50%
param a_parameter_with_a_long_name_for_the_width = 1_000_000 USD range 0 USD to 9_000_000 USD "A description that does not fit"
param b = 5
  # before the range
  range 1 to 9
input revenue: money
component c {
  pay top_rate of revenue + gate_level * accel_cap + a_parameter_with_a_long_name_for_the_width * 0
}
"""
    once = format_plan(parse(text))
    assert once == """\
plan "Params" {
  currency USD
  period quarter
  effective 2026-01-01 to 2026-03-31
}

# the rate above 150% of quota
param top_rate = 15% range 10% to 30% "Rate above 150% of quota"  # a trailing comment
param accel_cap = 30_000 USD range 0 USD to 100_000 USD
param gate_level = 50%
param a_parameter_with_a_long_name_for_the_width = 1_000_000 USD
    range 0 USD to 9_000_000 USD
    "A description that does not fit"
param b = 5
    # before the range
    range 1 to 9

input revenue: money

component c {
  pay top_rate of revenue + gate_level * accel_cap + a_parameter_with_a_long_name_for_the_width * 0
}
"""
    assert format_plan(parse(once)) == once
    assert parse(once).decls == parse(text).decls  # spans aside, the same plan
    compile_plan(once)


def test_the_bundled_plan_declares_params_and_stays_canonical():
    path = ROOT / "plans" / "account_executive.plan"
    text = path.read_text(encoding="utf-8")
    assert format_plan(parse(text)) == text
    plan = incentives.load_plan(path)
    assert set(plan.params) >= {"top_rate", "accelerator"}
    assert not [w for w in plan.warnings if w.code == "unused"]


# ---- located errors ----


@pytest.mark.parametrize("line, code, column, message", [
    ("param top_rate = 35% range 10% to 30%", "range", 18,
     "the value 35% of param `top_rate` lies outside its range 10% to 30%"),
    ("param top_rate = 15% range 30% to 10%", "range", 35,
     "the range of param `top_rate` ends (10%) below where it starts (30%)"),
    ("param accel_cap = 30_000 EUR", "currency", 19, "this plan pays in USD, but `30_000 EUR` is in EUR"),
    ("param accel_cap = 30_000 USD range 0 USD to 100_000 EUR", "currency", 45,
     "this plan pays in USD, but `100_000 EUR` is in EUR"),
    ("param revenue = 5%", "duplicate", 7, "`revenue` is already defined on line 2"),
    ("param share = 10% of revenue", "name", 22,
     "`revenue` cannot be used in a param's value or range: only constants are allowed"),
    ('param who = "East" range "A" to "Z"', "range", 26, "a range needs numbers, money or dates; param `who` is text"),
    ("param total = 1", "reserved", 7, "`total` is a word of the language and cannot be used as a name"),
    ("param p = min(5%, 6%)", "param", 11, "the value of param `p` must be a constant, such as `15%` or `30_000 USD`"),
    ("param p = 5% range 1% to max(2%, 3%)", "range", 26, "a range bound must be a constant"),
])
def test_each_declaration_error_is_located(line, code, column, message):
    d = only_error(HEADER + "input revenue: money\n" + line + "\ncomponent c { pay 1% of revenue }\n")
    assert (d.code, d.span.line, d.span.column, d.message) == (code, 3, column, message)


def test_a_bound_of_another_type_is_a_type_error_at_each_bound():
    found = errors_of(HEADER + "input revenue: money\nparam kicker = 500 range 0 USD to 1_000 USD\n"
                      "component c { pay kicker * 1 USD }\n")
    assert [(d.code, d.span.line, d.span.column) for d in found] == [("type", 3, 26), ("type", 3, 35)]
    assert found[0].message == "this bound is money, but param `kicker` is a number"
    assert "`500 USD`" in found[0].hint


def test_a_param_follows_the_unit_rules_of_its_type():
    d = only_error(HEADER + "input revenue: money\nparam top_rate = 15%\ncomponent c { pay revenue + top_rate }\n")
    assert (d.code, d.span.line) == ("units", 4)
    d = only_error(HEADER + "input revenue: money\nparam cap_at = 50 USD\ncomponent c { pay 1% of revenue  "
                   "gate cap_at }\n")
    assert (d.code, d.span.line) == ("type", 4)


def test_a_duplicate_param_and_a_param_shadowing_a_definition():
    found = errors_of(HEADER + "input revenue: money\nparam r = 5%\nlet r = 6%\nparam r = 7%\n"
                      "component c { pay r of revenue }\n")
    assert [(d.code, d.span.line, d.span.column) for d in found] == [("duplicate", 4, 5), ("duplicate", 5, 7)]


def test_params_may_stand_in_tables_curves_and_prizes_but_not_in_input_defaults():
    plan = compile_plan(HEADER + """\
input revenue: money
input region: text in {"East", "West"}
param east_rate = 8% range 0% to 20%
param curve_top = 120%
param first = 1_000 USD
table rate(region: text): percent { "East": east_rate  default: 5% }
curve c { from 0% to 100%: 0% to 100%  from 100%: curve_top }
measure won = sum amount of deals
contest best { rank by won prizes first, 500 USD }
component pay_it { pay rate(region) of revenue  multiplier on revenue / 100_000 USD { from 0%: c(50%) } }
component p { pay prize(best) }
""")
    assert {"east_rate", "curve_top", "first"} <= set(plan.params)
    d = only_error(HEADER + "param r = 5%\ninput revenue: money default r\ncomponent c { pay 1% of revenue }\n")
    assert (d.code, d.span.line, d.message) == ("name", 3, ("`r` cannot be used in an input declaration: only "
                                                            "constants are allowed"))
    d = only_error(HEADER + "input revenue: money\nparam r = 5%\ntable t(k: text): percent { \"a\": revenue }\n"
                   "component c { pay t(\"a\") of revenue + r of revenue }\n")
    assert d.message == "`revenue` cannot be used in a table: only constants and params are allowed"


# ---- lint ----


def test_an_unused_param_is_reported_like_an_unused_input():
    plan = compile_plan(WHAT_IF + "param spare = 3\n")
    unused = [w for w in plan.warnings if w.code == "unused"]
    assert [(w.span.line, w.span.column, w.message) for w in unused] == [
        (17, 7, "param `spare` is never used by the plan's components, awards or properties")]


def test_a_param_used_only_in_a_table_is_used():
    plan = compile_plan(HEADER + "input revenue: money\nparam r = 5%\ntable t(k: text): percent { \"a\": r }\n"
                        "component c { pay t(\"a\") of revenue }\n")
    assert not [w for w in plan.warnings if w.code == "unused"]


def test_the_lint_treats_a_param_as_its_range_or_its_value():
    body = "input revenue: money range 0 USD to 100_000 USD\n{param}\n" \
           "component c {{ tiers marginal on revenue {{ from 0 USD to t: 5%  from t: 10% }} }}\n"

    def codes(param: str) -> list[str]:
        return [w.code for w in compile_plan(HEADER + body.format(param=param)).warnings]
    assert "unreachable-band" in codes("param t = 150_000 USD range 120_000 USD to 200_000 USD")
    assert "unreachable-band" not in codes("param t = 150_000 USD range 50_000 USD to 200_000 USD")  # may be reached
    assert "unreachable-band" in codes("param t = 150_000 USD")  # no range: its value
    top = "input revenue: money range 0 USD to 100_000 USD\n{param}\ncomponent c {{ tiers marginal on revenue " \
          "{{ from 0 USD to t: 5% }} }}\n"

    def top_codes(param: str) -> list[str]:
        return [w.code for w in compile_plan(HEADER + top.format(param=param)).warnings]
    assert "marginal-top" not in top_codes("param t = 150_000 USD range 100_000 USD to 200_000 USD")
    assert "marginal-top" in top_codes("param t = 150_000 USD range 50_000 USD to 200_000 USD")  # may be passed
    gate = compile_plan(HEADER + "input revenue: money range 0 USD to 100_000 USD\nparam at = 200_000 USD\n"
                        "component c { pay 1% of revenue  gate revenue >= at }\n")
    assert [w.message for w in gate.warnings if w.code == "gate-never-passes"] == [
        ("this gate can never pass given the declared ranges: `at` is 200_000 USD; `revenue` is from 0 USD to "
         "100_000 USD")]


# ---- the row evaluator ----


def test_the_evaluator_puts_in_defaults_unless_the_values_give_a_param():
    plan = compile_plan(WHAT_IF)
    payee = {"revenue": D(400_000), "quota": D(200_000)}
    # 8% x 200,000 + 12% x 100,000 + 15% x 100,000 = 43,000 -> cap 30,000
    assert plan.evaluator.run(payee).total == D("30000.00")
    assert plan.evaluator.run({**payee, "accel_cap": D(100_000)}).total == D("43000.00")
    assert plan.evaluator.run({**payee, "accel_cap": D(100_000), "top_rate": D("0.2")}).total == D("48000.00")
    prepared = plan.evaluator.prepare(payee)
    assert (prepared["top_rate"], prepared["accel_cap"], prepared["gate_level"]) == (D("0.15"), D(30_000), D("0.5"))
    assert plan.evaluator.prepare({**payee, "top_rate": D("0.3")})["top_rate"] == D("0.3")


def test_plan_run_takes_params_and_one_compiled_plan_serves_every_scenario():
    plan = compile_plan(WHAT_IF)
    payee = {"revenue": D(400_000), "quota": D(200_000)}
    assert plan.run(payee).total == D("30000.00")
    assert plan.run(payee, params={"accel_cap": "100_000 USD", "top_rate": "20%"}).total == D("48000.00")
    assert plan.run(payee, params={"gate_level": D("2.5")}).total == D("0.00")  # attainment 200% < 250%
    assert plan.run(payee).total == D("30000.00")  # nothing stays behind from a run
    traced = plan.run(payee, params={"top_rate": "20%"}, trace=True)
    assert traced.values["top_rate"] == D("0.2")
    with pytest.raises(DataError) as e:
        plan.run({**payee, "top_rate": D("0.2")})
    assert e.value.problems[0].field == "top_rate" and "params=" in e.value.problems[0]


# ---- Plan.check_params ----


def test_check_params_parses_values_like_data_cells():
    plan = compile_plan(WHAT_IF + "param d = 2026-02-01 range 2026-01-01 to 2026-03-31\nparam n = 2\n"
                        "component c2 { pay if period_end > d then n * 1 USD else 0 USD }\n")
    assert plan.check_params({"top_rate": "22%", "accel_cap": "30,000.50 USD", "gate_level": 1, "n": "3.5",
                              "d": "2026-03-01"}) == {
        "top_rate": D("0.22"), "accel_cap": D("30000.50"), "gate_level": D(1), "n": D("3.5"), "d": dt.date(2026, 3, 1)}
    assert plan.check_params({"top_rate": D("0.3"), "accel_cap": 0}) == {"top_rate": D("0.3"), "accel_cap": D(0)}
    assert plan.check_params({}) == {} and plan.check_params(None) == {}


@pytest.mark.parametrize("given, field, text", [
    ({"top_rat": "22%"}, "top_rat",
     ("params: top_rat: the plan has no such param (did you mean `top_rate`?); its params are top_rate, accel_cap, "
      "gate_level")),
    ({"top_rate": "35%"}, "top_rate",
     "params: top_rate: expected a value from 10% to 30% (the range declared on plan line 4); got 35%"),
    ({"top_rate": "9.99%"}, "top_rate",
     "params: top_rate: expected a value from 10% to 30% (the range declared on plan line 4); got 9.99%"),
    ({"accel_cap": "1_000 EUR"}, "accel_cap",
     ("params: accel_cap: expected an amount in USD (the plan's currency), not EUR (param `accel_cap` is money, "
      "declared on plan line 5)")),
    ({"accel_cap": "lots"}, "accel_cap",
     ('params: accel_cap: expected an amount such as 1250.50 or "1_250.50 USD" (param `accel_cap` is money, '
      "declared on plan line 5)")),
    ({"top_rate": 0.2}, "top_rate",
     ("params: top_rate: expected an exact decimal (Decimal or text), not a binary float (param `top_rate` is a "
      "percentage, declared on plan line 4)")),
    ({"gate_level": True}, "gate_level",
     ("params: gate_level: expected percent, not true/false (param `gate_level` is a percentage, declared on plan "
      "line 6)")),
])
def test_check_params_names_the_param_and_what_was_expected(given, field, text):
    plan = compile_plan(WHAT_IF)
    with pytest.raises(DataError) as e:
        plan.check_params(given)
    (problem,) = e.value.problems
    assert (str(problem), problem.field) == (text, field)
    assert problem.message == text.removeprefix("params: ")
    if field in plan.params:
        assert (problem.file, problem.line) == ("params.plan", plan.params[field].span.line)


def test_check_params_reports_every_problem_at_once_and_runs_refuse_bad_params():
    plan = compile_plan(WHAT_IF)
    with pytest.raises(DataError) as e:
        plan.check_params({"nope": 1, "top_rate": "50%", "accel_cap": "x"})
    assert [p.field for p in e.value.problems] == ["nope", "top_rate", "accel_cap"]
    table = pa.table({"id": ["A"], "revenue": [D(1)], "quota": [D(1)]})
    for run in (lambda: plan.run({"revenue": D(1), "quota": D(1)}, params={"top_rate": "50%"}),
                lambda: plan.run_table(table, params={"top_rate": "50%"}),
                lambda: plan.run_population({}, params={"top_rate": "50%"})):
        with pytest.raises(DataError, match="top_rate"):
            run()


# ---- run_population and run_table agree with run ----

AE = incentives.load_plan(ROOT / "plans" / "account_executive.plan")
AE_PAYEES = [("AE-1", "80000", "200000"), ("AE-2", "199999.99", "200000"), ("AE-3", "123456.78", "100000"),
             ("AE-4", "1000000", "400000"), ("AE-5", "450000", "200000"), ("AE-6", "0", "1")]
SCENARIOS = [{}, {"top_rate": "22%"}, {"top_rate": "10%", "accelerator": "1.25"}, {"accelerator": 2}]


def _ae_table() -> pa.Table:
    return pa.table({"id": [p for p, _, _ in AE_PAYEES],
                     "revenue": pa.array([D(r) for _, r, _ in AE_PAYEES], pa.decimal128(18, 2)),
                     "quota": pa.array([D(q) for _, _, q in AE_PAYEES], pa.decimal128(18, 2))})


def _ae_people() -> dict[str, Person]:
    return {pid: Person(pid, "", "", {"revenue": D(r), "quota": D(q)}, f"people: {pid}") for pid, r, q in AE_PAYEES}


@pytest.mark.parametrize("params", SCENARIOS)
def test_run_table_and_run_population_give_run_amounts_payee_by_payee(params):
    expected = {pid: AE.run({"revenue": D(r), "quota": D(q)}, pid, params=params) for pid, r, q in AE_PAYEES}
    columnar = AE.run_table(_ae_table(), params=params)
    assert columnar.engine == "columnar" and columnar.row_payees == []
    row_engine = AE.run_table(_ae_table(), params=params, engine="row")
    population = AE.run_population(_ae_people(), params=params)
    for result in (columnar, row_engine):
        for row in result.table.to_pylist():
            want = expected[row["id"]]
            assert row["total"] == want.total, (row["id"], params)
            assert all(row[c.name] == c.amount for c in want.components), (row["id"], params)
    for got in population:
        assert got.total == expected[got.payee].total and got.components == expected[got.payee].components
    if params:  # the scenario pays someone differently from the plan as written
        assert any(expected[pid].total != AE.run({"revenue": D(r), "quota": D(q)}, pid).total
                   for pid, r, q in AE_PAYEES)


def test_explained_payees_of_run_table_use_the_params():
    result = AE.run_table(_ae_table(), params={"top_rate": "30%"}, explain=["AE-4", "AE-5"])
    assert set(result.breakdowns) == {"AE-4", "AE-5"}
    totals = {r["id"]: r["total"] for r in result.table.to_pylist()}
    assert totals["AE-5"] == AE.run({"revenue": D(450_000), "quota": D(200_000)}, params={"top_rate": "30%"}).total


def test_run_population_leaves_the_people_given_unchanged():
    people = _ae_people()
    AE.run_population(people, params={"top_rate": "22%"})
    assert all("top_rate" not in p.values for p in people.values())


POPULATION = HEADER + """\
input quota: money range 1 USD to 1_000_000 USD default 100_000 USD
param min_deal = 1_000 USD range 0 USD to 50_000 USD "Deals below this do not count"
param rate = 10% range 0% to 50%
param first_prize = 1_000 USD range 0 USD to 5_000 USD
param share_rate = 1%
measure bookings = sum amount of deals where amount >= min_deal and date in period
contest top "Top seller" { rank by bookings prizes first_prize, 500 USD }
component commission { pay rate of bookings }
component prize { pay prize(top) }
component team { pool share_rate of 100_000 USD among team by bookings }
"""
PEOPLE = [("A", "East"), ("B", "East"), ("C", "West"), ("D", "West")]
DEALS = [("D1", "A", "5000", "2026-01-15"), ("D2", "A", "800", "2026-02-01"), ("D3", "B", "12000", "2026-02-10"),
         ("D4", "C", "2500", "2026-03-05"), ("D5", "D", "40000", "2026-03-30"), ("D6", "C", "900", "2026-01-20"),
         ("D7", "B", "3000", "2026-04-02")]


@pytest.mark.parametrize("params", [{}, {"min_deal": "3_000 USD", "rate": "20%", "first_prize": "2_000 USD"},
                                    {"min_deal": 0, "share_rate": "5%"}])
def test_a_population_plan_reads_params_in_measures_contests_and_pools(params):
    plan = compile_plan(POPULATION, "population.plan")
    people_table = pa.table({"id": [p for p, _ in PEOPLE], "team": [t for _, t in PEOPLE]})
    deals_table = pa.table({"id": [d[0] for d in DEALS], "owner": [d[1] for d in DEALS],
                            "amount": pa.array([D(d[2]) for d in DEALS], pa.decimal128(18, 2)),
                            "date": [dt.date.fromisoformat(d[3]) for d in DEALS]})
    columnar = plan.run_table(people_table, deals=deals_table, params=params, period="2026-Q1")
    row = plan.run_table(people_table, deals=deals_table, params=params, period="2026-Q1", engine="row")
    people = {pid: Person(pid, team, "", {"quota": D(100_000)}, pid) for pid, team in PEOPLE}
    deals = [new_deal({"id": i, "owner": o, "amount": D(a), "date": dt.date.fromisoformat(d), "status": "won"}, i)
             for i, o, a, d in DEALS]
    population = plan.run_population(people, deals=deals, params=params, period="2026-Q1")
    assert columnar.engine == "columnar"
    want = {r.payee: r for r in population}
    for result in (columnar, row):
        for got in result.table.to_pylist():
            assert got["total"] == want[got["id"]].total, (got["id"], params)
            assert all(got[c.name] == c.amount for c in want[got["id"]].components)
    checked = plan.check_params(params)
    min_deal = checked.get("min_deal", D(1_000))
    rate = checked.get("rate", D("0.1"))
    counted = sum((D(a) for _, o, a, d in DEALS if o == "A" and D(a) >= min_deal and d < "2026-04-01"), D(0))
    assert want["A"].component("commission").amount == (rate * counted).quantize(D("0.01"))
    first = max(want.values(), key=lambda r: r.component("prize").amount)
    assert first.component("prize").amount == checked.get("first_prize", D(1_000))


# ---- bands whose bounds read a param ----

BANDS = HEADER + """\
input revenue: money range 0 USD to 2_000_000 USD
param split_at = 100_000 USD range 0 USD to 500_000 USD "Where the 8% band starts"
component commission {
  tiers marginal on revenue {
    from 0 USD to split_at: 5%
    from split_at to 200_000 USD: 8%
    from 200_000 USD: 10%
  }
}
"""


def test_bands_read_from_a_param_are_checked_per_payee_at_run_time():
    plan = compile_plan(BANDS, "bands.plan")  # in order for the default: the plan compiles
    assert plan.run({"revenue": "250000"}, "AE-7").total == D("18000.00")
    assert plan.run({"revenue": "250000"}, "AE-7", params={"split_at": "150_000 USD"}).total == D("16500.00")
    with pytest.raises(EvaluationError) as e:
        plan.run({"revenue": "250000"}, "AE-7", params={"split_at": "300_000 USD"})
    assert (e.value.span.file, e.value.span.line, e.value.span.column, e.value.payee) == ("bands.plan", 7, 5, "AE-7")
    assert e.value.message == ("the bands are out of order for this payee: this band goes down: from 300,000.00 to "
                               "200,000.00 (with split_at = 300,000)")
    table = pa.table({"id": ["AE-7"], "revenue": pa.array([D(250_000)], pa.decimal128(18, 2))})
    with pytest.raises(EvaluationError) as again:
        plan.run_table(table, params={"split_at": "300_000 USD"})
    assert (again.value.span.line, again.value.message) == (7, e.value.message)
    with pytest.raises(EvaluationError):
        plan.run_population({"AE-7": Person("AE-7", "", "", {"revenue": D(250_000)}, "AE-7")},
                            params={"split_at": "300_000 USD"})


def test_constant_bands_are_still_checked_when_the_plan_is_checked():
    d = only_error(HEADER + "input revenue: money\nparam r = 5%\ncomponent c { tiers marginal on revenue "
                   "{ from 0 USD to 200 USD: r  from 100 USD: 8% } }\n")
    assert d.code == "band-overlap"


# ---- a property: raising the top rate never lowers anyone's total ----

CENTS = st.integers(0, 500_000_000).map(lambda c: D(c).scaleb(-2))
QUOTAS = st.integers(100, 200_000_000).map(lambda c: D(c).scaleb(-2))
RATES = st.integers(1000, 3000).map(lambda bp: D(bp).scaleb(-4))  # 10.00% to 30.00%


@settings(max_examples=60)
@given(revenue=CENTS, quota=QUOTAS, a=RATES, b=RATES, accelerator=st.sampled_from([None, "1", "1.1", "1.5", "2"]))
def test_raising_the_top_rate_never_lowers_anyones_total(revenue, quota, a, b, accelerator):
    low, high = sorted((a, b))
    extra = {} if accelerator is None else {"accelerator": accelerator}
    payee = {"revenue": revenue, "quota": quota}
    at_low = AE.run(payee, params={"top_rate": low, **extra})
    at_high = AE.run(payee, params={"top_rate": high, **extra})
    assert at_high.total >= at_low.total
    assert at_high.component("commission").amount >= at_low.component("commission").amount


def test_a_prize_param_is_a_whole_number_of_minor_units():
    text = HEADER + """\
param first = 1_000.005 USD
measure won = sum amount of deals
contest best { rank by won prizes first, 500 USD }
component p { pay prize(best) }
"""
    d = only_error(text)
    assert (d.code, d.span.line, d.span.column) == ("contest", 4, 35)
    plan = compile_plan(text.replace("1_000.005", "1_000"))
    with pytest.raises(DataError) as e:
        plan.check_params({"first": "10.001"})
    assert e.value.problems[0].message == ("first: expected an amount in whole minor units of USD (2 decimal "
                                           "places): `first` is a contest's prize; got 10.001 USD")
