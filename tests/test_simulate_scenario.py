"""Scenario files: parsing, every problem located at its line and column, exact data changes, pilot
masks, and the example scenarios in plans/scenarios against the account executive plan and its data."""

from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from incentives import load_plan
from incentives.columnar.files import read_table
from incentives.errors import DataError, Problem
from incentives.simulate.scenario import (
    Change,
    CheckedScenario,
    ScenarioError,
    apply_changes,
    load_scenario,
    locate_keys,
    parse_scenario,
    pilot_mask,
    quick_scenario,
)

ROOT = Path(__file__).resolve().parent.parent
AE = load_plan(ROOT / "plans" / "account_executive.plan")  # declares `param top_rate = 15% range 10% to 30%`
PLAIN = load_plan(ROOT / "plans" / "grade_bonus.plan")  # declares no params
SCENARIOS = ROOT / "plans" / "scenarios"
D = Decimal

FULL = '''\
name = "Raise the top rate and the quota"
description = "Top rate 22%, quotas up 10% in the East"
plan = "../account_executive.plan"

[params]
top_rate = "22%"
accelerator = 1.2

[[change]]
column = "quota"
multiply = "1.1"
where = { region = "East" }

[[change]]
column = "revenue"
add = 1000

[[change]]
column = "region"
set = "West"
where = { region = ["North", "South"] }

[pilot]
region = ["East", "West"]
'''


def people(name: str = "account_executive.csv") -> pa.Table:
    table = read_table(ROOT / "plans" / "data" / name, {k: v.type for k, v in AE.ir.givable.items()})
    assert table is not None and pa.types.is_decimal(table.column("quota").type)
    return table


def team() -> pa.Table:
    """The 200-rep dataset the example scenarios are written for (the plan's test data has quotas at the
    ends of the declared range on purpose)."""
    return people("account_executive.team.csv")


def small() -> pa.Table:
    return pa.table({"id": ["A", "B", "C", "D"],
                     "quota": pa.array([D("1234.56"), D("1000.00"), None, D("0.01")], pa.decimal128(18, 2)),
                     "revenue": pa.array([D("10"), D("20"), D("30"), D("40")], pa.decimal128(38, 0)),
                     "region": ["East", "West", "East", None],
                     "deals": pa.array([3, 4, None, 10], pa.int64()),
                     "active": [True, False, True, True],
                     "start": pa.array([dt.date(2026, 1, 1)] * 4, pa.date32())})


def located(text: str, table: pa.Table | None = None, plan: Any = AE) -> list[Problem]:
    """The problems of a scenario text, found when parsing, else when checking."""
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text, "s.toml").check(plan, table if table is not None else people())
    assert isinstance(e.value, DataError) and all(p.code == "scenario" and p.file == "s.toml" for p in e.value.problems)
    return e.value.problems


def test_a_full_scenario_file_parses_with_raw_values_and_its_plan_relative_to_the_file():
    s = parse_scenario(FULL, "plans/scenarios/full.toml")
    assert (s.name, s.description, s.path) == ("Raise the top rate and the quota",
                                               "Top rate 22%, quotas up 10% in the East", "plans/scenarios/full.toml")
    assert s.plan_path == Path("plans/scenarios/../account_executive.plan")
    assert s.params == {"top_rate": "22%", "accelerator": D("1.2")}  # a TOML float is read as an exact Decimal
    assert [(c.column, c.op, c.value, c.where) for c in s.changes] == [
        ("quota", "multiply", "1.1", {"region": ["East"]}), ("revenue", "add", 1000, None),
        ("region", "set", "West", {"region": ["North", "South"]})]
    assert [c.at for c in s.changes] == [(s.path, 9, 1), (s.path, 14, 1), (s.path, 18, 1)]
    assert s.pilot == {"region": ["East", "West"]}
    empty = parse_scenario("", "plans/scenarios/nothing.toml")  # everything is optional; the name is the file's
    assert (empty.name, empty.description, empty.plan_path, empty.params, empty.changes, empty.pilot) == (
        "nothing", "", None, {}, [], None)


def test_checking_parses_every_value_exactly_against_the_plan_and_the_table():
    checked = parse_scenario(FULL.replace('plan = "../account_executive.plan"\n', "")).check(AE, people())
    assert isinstance(checked, CheckedScenario) and checked.plan is AE
    assert checked.params == {"top_rate": D("0.22"), "accelerator": D("1.2")}
    assert [(c.column, c.op, c.value, c.where) for c in checked.changes] == [
        ("quota", "multiply", D("1.1"), {"region": ["East"]}), ("revenue", "add", D(1000), None),
        ("region", "set", "West", {"region": ["North", "South"]})]
    assert checked.pilot == {"region": ["East", "West"]} and checked.scenario.name == "Raise the top rate and the quota"
    text = '[[change]]\ncolumn = "quota"\nmultiply = "110%"\n[[change]]\ncolumn = "revenue"\nadd = "1_000.50"\n'
    assert [c.value for c in parse_scenario(text).check(AE, people()).changes] == [D("1.1"), D("1000.50")]
    assert parse_scenario("[params]\ntop_rate = 0.22\n").check(AE, people()).params == {"top_rate": D("0.22")}


def test_the_swapped_plan_is_loaded_relative_to_the_scenario_file_and_its_params_are_checked(tmp_path):
    (tmp_path / "other.plan").write_text(AE.source.text)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "swap.toml").write_text('plan = "../other.plan"\n[params]\ntop_rate = "18%"\n')
    checked = load_scenario(tmp_path / "scenarios" / "swap.toml").check(PLAIN, people())
    assert checked.plan is not PLAIN and checked.plan.hash == AE.hash and checked.params == {"top_rate": D("0.18")}


def test_quick_scenarios_from_set_items():
    s = quick_scenario(["top_rate=22%", " accelerator = 1.2 "])
    assert s.params == {"top_rate": "22%", "accelerator": "1.2"} and s.path == "--set"
    assert s.check(AE, people()).params == {"top_rate": D("0.22"), "accelerator": D("1.2")}
    with pytest.raises(ScenarioError) as e:
        quick_scenario(["top_rate"])
    assert "expected NAME=VALUE" in e.value.problems[0]


def test_the_locator_finds_every_key_header_and_inline_key():
    text = ('# a comment with key = "value"\n'
            'name = "a # not a comment"\n'
            'description = """two\n'
            'lines = "not a key"\n'
            '"""\n'
            '\n'
            '[ params ]\n'
            '  top_rate = "22%"  # trailing\n'
            '"quoted key" = 1\n'
            'a.b = 2\n'
            '[[change]]\n'
            'column = "quota"\n'
            'where = { region = ["East", "West"], "team x" = \'A\' }\n'
            '[[change]]\n'
            'list = [[1, 2], [3],\n'
            '  { k = 1 },\n'
            ']\n'
            '[change.where]\n'
            'region = "North"\n')
    keys = locate_keys(text)
    assert not any("lines" in k for k in keys)
    assert keys == {("name",): (2, 1), ("description",): (3, 1), ("params",): (7, 1), ("params", "top_rate"): (8, 3),
                    ("params", "quoted key"): (9, 1), ("params", "a"): (10, 1), ("params", "a", "b"): (10, 3),
                    ("change", 0): (11, 1), ("change", 0, "column"): (12, 1), ("change", 0, "where"): (13, 1),
                    ("change", 0, "where", "region"): (13, 11), ("change", 0, "where", "team x"): (13, 38),
                    ("change", 1): (14, 1), ("change", 1, "list"): (15, 1), ("change", 1, "list", 2, "k"): (16, 5),
                    ("change", 1, "where"): (18, 1), ("change", 1, "where", "region"): (19, 1)}
    text = 'a = """x""""\nb = \'\'\'y\'\'\'\nc = "q\\"d = 1"\nd = [\n  "x", # c = 2\n]\ne = 1979-05-27 07:32:00\nf = {}\n'
    assert locate_keys(text) == {("a",): (1, 1), ("b",): (2, 1), ("c",): (3, 1), ("d",): (4, 1), ("e",): (7, 1),
                                 ("f",): (8, 1)}


CHANGE = '[[change]]\ncolumn = "quota"\n'
LOCATED = [  # (scenario text, line, column, the message (or its start with "..."), hint)
    ('name = "x"\n[[change]]\ncolumn = "quota"\nmultiply = \n', 4, 12, "not valid TOML: Invalid value", None),
    ('name = "x', 1, 10, "not valid TOML: Unterminated string", None),
    ('name = "x"\n\n  nmae = "y"\n', 3, 3,
     "unknown key `nmae`: a scenario has name, description, plan, params, change, pilot", "did you mean `name`?"),
    (CHANGE + 'multiply = "1.1"\n\n' + CHANGE + 'add = "1"\n  set = "2"\n', 8, 3,
     "change 2: give one of multiply, add or set, not both add and set", None),
    ('name = "x"\n' + CHANGE + 'where = { region = "East" }\n', 2, 1, "change 1: give one of multiply, add or set",
     None),
    (CHANGE + 'multiply = "1.1"\n wehre = { region = "East" }\n', 4, 2,
     "change 1: unknown key `wehre`: a change has column, multiply, add, set, where", "did you mean `where`?"),
    ('\n[[change]]\nmultiply = "1.1"\n', 2, 1, 'change 1: name the column to change: column = "quota"', None),
    ('name = "x"\n[change]\ncolumn = "quota"\n', 2, 1, "write each change as a [[change]] block (two brackets)", None),
    ('description = 3\n', 1, 1, '`description` is text in quotes: description = "..."', None),
    ('params = 4\n', 1, 1, "`params` is a table: a [params] line, then NAME = VALUE lines", None),
    ('pilot = "East"\n', 1, 1, 'pilot: expected a table of COLUMN = value (or [values]), e.g. { region = "East" }',
     None),
    (CHANGE + 'multiply = "1.1"\n\n[[change]]\n  column = "qouta"\nadd = "5"\n', 6, 3,
     "change 2: no column `qouta` in the payees' table", "did you mean `quota`?"),
    ('[[change]]\ncolumn = "region"\nmultiply = "2"\n', 3, 1,
     "change 1: multiply needs a number column; `region` is text", None),
    (CHANGE + 'multiply = "a lot"\n', 3, 1, 'change 1: multiply: expected a factor such as 1.1 or 110%, got "a lot"',
     None),
    (CHANGE + 'set = "12 USD"\n', 3, 1, "change 1: set: expected a decimal number...", None),
    (CHANGE + 'multiply = ["1.1"]\n', 3, 1, "change 1: multiply: expected a factor such as 1.1 or 110%, got a list",
     None),
    (CHANGE + 'multiply = 1.1\nwhere = { quota = "lots" }\n', 4, 11, "change 1: where: quota: expected...", None),
    (CHANGE + 'multiply = 1.1\nwhere = { regoin = "East" }\n', 4, 11,
     "change 1: where: no column `regoin` in the payees' table", "did you mean `region`?"),
    ('[pilot]\nregion = ["East"]\nteam = "A"\n', 3, 1, "pilot: no column `team` in the payees' table", None),
    ('[pilot]\nregion = []\n', 2, 1, "pilot: region: expected a value or a non-empty list of values", None),
    ('name = "x"\n[params]\ntop_rate = "20%"\n  top_rat = "22%"\n', 4, 3,
     "params: the plan has no parameter `top_rat`: it has ...", "did you mean `top_rate`?"),
    ('[params]\ntop_rate = "45%"\n', 2, 1, "params: top_rate: expected a value from ...", None),
    ('name = "x"\n\n[params]\ntop_rate = "lots"\n', 4, 1, "params: top_rate: expected a percentage...", None),
    ('[params]\ntop_rate = ["1%"]\n', 2, 1, "params: top_rate: expected...", None),
]


@pytest.mark.parametrize("text, line, column, message, hint", LOCATED)
def test_each_problem_is_located_at_its_line_and_column(text, line, column, message, hint):
    (p,) = located(text)
    assert (p.line, p.column, p.hint) == (line, column, hint)
    assert p.message.startswith(message[:-3]) if message.endswith("...") else p.message == message
    assert str(p) == f"s.toml:{line}:{column}: {p.message}" + (f"; {hint}" if hint else "")


def test_the_params_problems_follow_the_plans_own_declarations():
    (p,) = located('[params]\ntop_rate = "45%"\n')
    assert f"(the range declared on plan line {AE.params['top_rate'].span.line}); got 45%" in p.message
    (p,) = located('[params]\ntop_rat = "45%"\n')
    assert p.message == f"params: the plan has no parameter `top_rat`: it has {', '.join(sorted(AE.params))}"
    (p,) = located('[params]\ntop_rate = "22%"\n', plan=PLAIN)
    assert (p.line, p.column) == (2, 1)
    assert p.message == "params: the plan has no parameter `top_rate`: it declares none (`param NAME = VALUE`)"


def test_other_problems_a_float_column_a_missing_plan_and_all_at_once(tmp_path):
    (p,) = located('[[change]]\ncolumn = "bonus"\nset = "2"\n', people().append_column("bonus", pa.array([1.5] * 10)))
    assert (p.line, p.column) == (2, 1) and "holds double values" in p.message
    (tmp_path / "s.toml").write_text('name = "x"\nplan = "missing.plan"\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(tmp_path / "s.toml").check(AE, people())
    p = e.value.problems[0]
    assert (p.file, p.line, p.column) == (str(tmp_path / "s.toml"), 2, 1) and "cannot use it" in p
    found = located('[[change]]\ncolumn = "qouta"\nmultiply = "1.1"\n[pilot]\nregon = "East"\n')
    assert [(p.line, p.column) for p in found] == [(2, 1), (5, 1)]
    with pytest.raises(ScenarioError) as e:
        parse_scenario('[[change]]\ncolumn = "qouta"\nmultiply = "1.1"\n', "s.toml").check(AE, people())
    again = pickle.loads(pickle.dumps(e.value))
    assert type(again) is ScenarioError and again.problems == e.value.problems
    assert again.problems[0].line == 2 and again.to_dict()["problems"][0]["column"] == 1


def test_multiply_is_exact_and_keeps_the_decimals_it_needs():
    out = apply_changes(small(), [Change("quota", "multiply", D("1.1"))])
    assert out.column("quota").type == pa.decimal128(38, 3)
    assert out.column("quota").to_pylist() == [D("1358.016"), D("1100.000"), None, D("0.011")]  # nulls stay null
    assert out.column("quota").to_pylist()[0] == D("1234.56") * D("1.1") == D("1358.016")
    # trailing zeros do not widen the column: 1000.00 x 1.10 is 1100.0000, two decimals' worth
    again = apply_changes(small(), [Change("quota", "multiply", D("1.10"), {"id": ["B"]})])
    assert again.column("quota").type == pa.decimal128(18, 2)
    assert again.column("quota").to_pylist() == [D("1234.56"), D("1100.00"), None, D("0.01")]


def test_a_factor_may_have_many_decimals_but_a_result_at_most_10():
    checked = parse_scenario('[[change]]\ncolumn = "quota"\nmultiply = "1.123456789123"\n', "s.toml").check(
        AE, people())
    assert checked.changes[0].value == D("1.123456789123")
    with pytest.raises(ScenarioError) as e:
        apply_changes(small(), checked.changes)
    (p,) = e.value.problems
    assert p.message == "quota x 1.123456789123 gives more than 10 decimals"
    assert (p.file, p.line, p.column, p.code) == ("s.toml", 1, 1, "scenario")
    out = apply_changes(small(), [Change("quota", "multiply", D("1.12345678"))])  # 10 decimals exactly are fine
    assert out.column("quota").type == pa.decimal128(38, 10)
    assert out.column("quota").to_pylist()[0] == D("1234.56") * D("1.12345678")
    for bad in ('"NaN"', '"1e3"', "true", '"1.1.1"', '"%"'):
        (p,) = located(f'[[change]]\ncolumn = "quota"\nmultiply = {bad}\n')
        assert (p.line, p.column) == (3, 1) and "expected a factor such as 1.1 or 110%" in p.message


def test_where_filters_rows_and_add_and_set_work():
    t = small()
    out = apply_changes(t, [Change("quota", "add", D("0.5"), {"region": ["East"]}),
                            Change("region", "set", "South", {"region": ["West"]}),
                            Change("active", "set", False, {"id": ["A", "D"]}),
                            Change("start", "set", dt.date(2026, 4, 1), {"region": ["South"]})])
    assert out.column("quota").to_pylist() == [D("1235.06"), D("1000.00"), None, D("0.01")]
    assert out.column("region").to_pylist() == ["East", "South", "East", None]
    assert out.column("active").to_pylist() == [False, False, True, False]
    assert out.column("start").to_pylist() == [dt.date(2026, 1, 1), dt.date(2026, 4, 1)] + [dt.date(2026, 1, 1)] * 2
    assert out.schema.names == t.schema.names and out.column("region").type == pa.string()
    # where on a number column, several columns AND-ed
    out = apply_changes(t, [Change("revenue", "set", D(99), {"quota": [D("1000"), D("0.01")], "active": [True]})])
    assert out.column("revenue").to_pylist() == [D(10), D(20), D(30), D(99)]


def test_integer_columns_stay_integers_while_the_results_are_whole():
    out = apply_changes(small(), [Change("deals", "multiply", D(2)), Change("deals", "add", 1)])
    assert out.column("deals").type == pa.int64() and out.column("deals").to_pylist() == [7, 9, None, 21]
    out = apply_changes(small(), [Change("deals", "multiply", D("1.5"))])
    assert out.column("deals").type == pa.decimal128(38, 1)
    assert out.column("deals").to_pylist() == [D("4.5"), D("6.0"), None, D("15.0")]


def test_changes_apply_in_order_and_floats_and_wrong_columns_are_refused():
    out = apply_changes(small(), [Change("revenue", "add", D(5)), Change("revenue", "multiply", D(2))])
    assert out.column("revenue").to_pylist() == [D(30), D(50), D(70), D(90)]
    with pytest.raises(ScenarioError) as e:
        apply_changes(small(), [Change("quota", "multiply", 1.1)])
    assert "exact number" in e.value.problems[0]
    for change in (Change("region", "add", D(1)), Change("nope", "set", D(1))):
        with pytest.raises(ScenarioError):
            apply_changes(small(), [change])


def test_a_scenario_that_changes_nothing_leaves_the_table_equal():
    t = people()
    for text in ('name = "nothing"\n', CHANGE + 'multiply = "1"\n', CHANGE + 'add = "0"\n',
                 CHANGE + 'multiply = "2"\nwhere = { region = "South" }\n'):
        assert apply_changes(t, parse_scenario(text).check(AE, t).changes).equals(t)


def test_the_changed_table_runs_exactly_in_the_columnar_evaluator():
    t = people()
    changed = apply_changes(t, parse_scenario(CHANGE + 'multiply = "1.1"\nwhere = { region = ["East", "West"] }\n'
                                              ).check(AE, t).changes)
    assert changed.column("quota").to_pylist()[0] == D("275000.000")
    run = AE.run_table(changed).table
    for row, got in zip(changed.to_pylist(), run.column("total").to_pylist()):
        assert got == AE.run({"revenue": row["revenue"], "quota": row["quota"]}, row["id"]).total


def test_pilot_masks():
    t = small()
    assert pilot_mask(t, {"region": ["East"]}).tolist() == [True, False, True, False]
    assert pilot_mask(t, {"region": ["East", "West"], "active": [True]}).tolist() == [True, False, True, False]
    assert pilot_mask(t, {"quota": [D("1234.56")]}).tolist() == [True, False, False, False]
    assert pilot_mask(t, None).tolist() == [True] * 4
    assert pilot_mask(t, {"region": ["Nowhere"]}).dtype == np.bool_
    checked = parse_scenario('[pilot]\nregion = "East"\n').check(AE, people())
    assert pilot_mask(people(), checked.pilot).tolist() == [r == "East" for r in people().column("region").to_pylist()]
    with pytest.raises(ScenarioError):
        pilot_mask(t, {"team": ["A"]})


EXAMPLES = sorted(SCENARIOS.glob("*.toml"))


def test_the_examples_are_there():
    assert {p.name for p in EXAMPLES} >= {"raise_top_rate.toml", "quota_up_10.toml", "east_pilot.toml"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_each_example_scenario_loads_checks_and_runs_against_the_account_executive_plan(path):
    scenario = load_scenario(path)
    assert scenario.name and scenario.description
    table = team()
    checked = scenario.check(AE, table)
    changed = apply_changes(table, checked.changes)
    assert changed.num_rows == table.num_rows and changed.column_names == table.column_names
    mask = pilot_mask(table, checked.pilot)
    assert mask.shape == (table.num_rows,) and mask.any()
    assert len(checked.plan.run_table(changed, params=checked.params or None).table) == table.num_rows


def test_the_examples_change_what_they_say():
    table = team()
    quota, regions = table.column("quota").to_pylist(), table.column("region").to_pylist()
    up = apply_changes(table, load_scenario(SCENARIOS / "quota_up_10.toml").check(AE, table).changes)
    assert up.column("quota").to_pylist() == [q * D("1.1") for q in quota]
    pilot = load_scenario(SCENARIOS / "east_pilot.toml").check(AE, table)
    assert apply_changes(table, pilot.changes).column("quota").to_pylist() == [
        q * D("1.05") if r == "East" else q for q, r in zip(quota, regions)]
    assert pilot_mask(table, pilot.pilot).tolist() == [r == "East" for r in regions]
    raised = load_scenario(SCENARIOS / "raise_top_rate.toml").check(AE, table)
    assert raised.params == {"top_rate": D("0.18")}
    before = AE.run_table(table).table.column("total").to_pylist()
    after = AE.run_table(apply_changes(table, raised.changes), params=raised.params).table.column("total").to_pylist()
    assert sum(after) != sum(before)


def test_the_int64_way_of_changing_a_column_gives_the_exact_python_way():
    """apply_changes' fast path (int64 fixed point) against its exact Decimal path, on random columns."""
    import random

    import incentives.simulate.scenario as module
    rng = random.Random(1)
    for _ in range(200):
        scale = rng.choice([0, 2, 3])
        vals = [D(rng.randint(-10**7, 10**9)).scaleb(-scale) for _ in range(40)]
        arr = (pa.array(vals, pa.decimal128(38, scale)) if rng.random() < 0.8
               else pa.array([int(v) for v in vals], pa.int64()))
        change = Change("q", rng.choice(["multiply", "add"]),
                        D(rng.choice(["1.1", "0.95", "2", "0.123", "110", "-0.5", "1.0000001"])), None)
        rows = sorted(rng.sample(range(40), rng.randint(0, 40)))
        fast = module._fast(arr, change, rows)
        assert fast is not None
        saved, module._fast = module._fast, lambda *a: None
        try:
            slow = module._changed(arr, change, rows)
        finally:
            module._fast = saved
        assert fast.to_pylist() == slow.to_pylist()
