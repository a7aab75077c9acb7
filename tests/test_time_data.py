"""The tables a period run reads beside people and deals: assignments, dated values, rates, holidays.

Each loader's happy path, every problem it reports (naming the file, the row and the column, all of a
file's problems at once), and the questions asked of the loaded tables (windows, terminated, in_force,
rate look-ups)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from incentives import DataError, compile_text
from incentives.engine.numbers import CONTEXT
from incentives.sales.tables import Mapping
from incentives.time.data import (
    Assignment,
    Conversion,
    DatedValue,
    Rates,
    assignments_from_people,
    in_force,
    load_assignments,
    load_dated_values,
    load_holidays,
    segments,
    terminated,
    windows,
)

D = dt.date
AE, SE = "Account Executive FY2027", "Sales Engineer FY2027"
PLANS = (AE, SE)
PEOPLE = {"a", "b", "c"}

PLAN = compile_text('plan "S" { currency USD period quarter }\n'
                    "input quota: money range 1 USD to 2_000_000 USD\n"
                    "input target: percent range 0% to 200%\n"
                    'input segment: text in {"SMB", "ENT"} default "SMB"\n'
                    "input revenue: money\n"
                    "component c { pay 1% of revenue }\n", "s.plan")
INPUTS = PLAN.ir.inputs


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(fn, *args, **kwargs) -> list[str]:
    with pytest.raises(DataError) as info:
        fn(*args, **kwargs)
    return [str(p) for p in info.value.problems]


# --- assignments ---------------------------------------------------------------------------------------------------

def test_assignments_are_read_in_file_order_with_their_rows(tmp_path):
    path = write(tmp_path, "assignments.csv", "person,plan,start,end\n"
                 f"a,{AE},2027-01-01,2027-03-15\n"
                 f"a,{SE},2027-03-16,\n"
                 f"a,{AE},2027-03-16,2027-12-31\n"  # back on AE later: touching, not overlapping
                 f" b ,{AE},2027-02-10,\n")
    out = load_assignments(path, PEOPLE, PLANS)
    assert out == [Assignment("a", AE, D(2027, 1, 1), D(2027, 3, 15), f"{path}, row 2"),
                   Assignment("a", SE, D(2027, 3, 16), None, f"{path}, row 3"),
                   Assignment("a", AE, D(2027, 3, 16), D(2027, 12, 31), f"{path}, row 4"),
                   Assignment("b", AE, D(2027, 2, 10), None, f"{path}, row 5")]


def test_assignments_end_column_is_optional(tmp_path):
    path = write(tmp_path, "assignments.csv", f"person,plan,start\na,{AE},2027-01-01\n")
    assert load_assignments(path, PEOPLE, PLANS) == [Assignment("a", AE, D(2027, 1, 1), None, f"{path}, row 2")]


def test_assignment_problems_are_all_reported_at_once_with_file_row_and_column(tmp_path):
    path = write(tmp_path, "assignments.csv", "person,plan,start,end\n"
                 "a,Account Executive FY2026,2027-01-01,\n"     # row 2: close to a plan
                 "a,Gardener,2027-01-01,\n"                     # row 3: nothing close
                 f"zed,{AE},2027-01-01,\n"                      # row 4: unknown person
                 f"b,{AE},2027-05-01,2027-04-30\n"              # row 5: end before start
                 f"b,{SE},01/02/2027,2027-13-01\n"              # row 6: two bad dates
                 f",,2027-01-01,\n"                             # row 7: empty person and plan
                 f"c,{AE},2027-01-01,2027-06-30\n"              # row 8
                 f"c,{AE},2027-06-01,\n"                        # row 9: overlaps row 8
                 f"b,{AE},,\n")                                 # row 10: no start
    assert problems_of(load_assignments, path, PEOPLE, PLANS) == [
        f'{path}: row 2, column plan: no plan named "Account Executive FY2026"; did you mean "{AE}"?',
        f'{path}: row 3, column plan: no plan named "Gardener"; expected one of "{AE}", "{SE}"',
        f"{path}: row 4, column person: no person with id `zed` in the people table",
        f"{path}: row 5, column end: the end 2027-04-30 is before the start 2027-05-01",
        f"{path}: row 6, column start: expected a date written YYYY-MM-DD",
        f"{path}: row 6, column end: expected a date written YYYY-MM-DD",
        f"{path}: row 7, column person: no value; expected a person's id",
        f"{path}: row 7, column plan: no value; expected a plan's name",
        f"{path}: row 10, column start: no value; expected a date written YYYY-MM-DD",
        (f'{path}: row 9, column start: `c` is on plan "{AE}" from 2027-06-01 to open-ended here and from '
         f"2027-01-01 to 2027-06-30 at row 8; the two overlap from 2027-06-01 to 2027-06-30"),
    ]


def test_an_open_ended_assignment_overlaps_every_later_one_and_each_overlap_names_both_rows(tmp_path):
    path = write(tmp_path, "assignments.csv", "person,plan,start,end\n"
                 f"a,{AE},2027-01-01,\n"            # row 2: open-ended
                 f"a,{AE},2027-03-01,2027-03-31\n"  # row 3
                 f"a,{AE},2027-06-01,2027-06-30\n"  # row 4
                 f"a,{SE},2027-01-01,\n")           # another plan: fine
    found = problems_of(load_assignments, path, PEOPLE, PLANS)
    assert [p.split(": ", 2)[1] for p in found] == ["row 3, column start", "row 4, column start"]
    assert all("at row 2;" in p for p in found)


def test_assignments_missing_a_required_column_is_a_header_problem(tmp_path):
    path = write(tmp_path, "assignments.csv", f"person,plan_name,end\na,{AE},\n")
    assert problems_of(load_assignments, path, PEOPLE, PLANS) == [
        (f"{path}: header: missing column `plan` (an assignments table has the columns person, plan, start and, "
         f"optionally, end)"),
        (f"{path}: header: missing column `start` (an assignments table has the columns person, plan, start and, "
         f"optionally, end)"),
    ]


def test_assignments_from_json_name_items(tmp_path):
    path = write(tmp_path, "assignments.json", json.dumps([
        {"person": "a", "plan": AE, "start": "2027-01-01"},
        {"person": "b", "plan": SE, "start": "2027-01-01", "end": "2026-12-31"},
        {"person": "c", "plan": AE},
    ]))
    assert problems_of(load_assignments, path, PEOPLE, PLANS) == [
        f"{path}: item 2, column end: the end 2026-12-31 is before the start 2027-01-01",
        f"{path}: item 3, column start: no value; expected a date written YYYY-MM-DD",
    ]
    write(tmp_path, "assignments.json", json.dumps({"assignments": [{"person": "a", "plan": AE,
                                                                    "start": "2027-01-01", "end": None}]}))
    assert load_assignments(path, PEOPLE, PLANS) == [Assignment("a", AE, D(2027, 1, 1), None, f"{path}, item 1")]


def test_assignment_dates_follow_the_mapping_date_format(tmp_path):
    path = write(tmp_path, "assignments.csv", f"person,plan,start,end\na,{AE},01/31/2027,31/01/2027\n")
    mapping = Mapping(date_format="%m/%d/%Y")
    assert problems_of(load_assignments, path, PEOPLE, PLANS, mapping) == [
        f"{path}: row 2, column end: expected a date written %m/%d/%Y (the mapping's date_format) or YYYY-MM-DD"]
    write(tmp_path, "assignments.csv", f"person,plan,start,end\na,{AE},01/31/2027,2027-02-28\n")
    assert load_assignments(path, PEOPLE, PLANS, mapping)[0].start == D(2027, 1, 31)


# --- assignments from the people table -----------------------------------------------------------------------------

def test_a_people_table_without_plan_or_dates_gives_none(tmp_path):
    assert assignments_from_people(write(tmp_path, "people.csv", "id,team\na,x\n"), PLANS) is None
    assert assignments_from_people(write(tmp_path, "people.json", '[{"id": "a", "team": "x"}]'), PLANS) is None


def test_people_plan_column_with_several_plans_and_hire_and_leave_dates(tmp_path):
    path = write(tmp_path, "people.csv", "id,plan,hire_date,leave_date\n"
                 f"a,{AE}; {SE},2027-02-15,\n"
                 f"b,{SE},,2027-05-31\n"
                 "c,,2027-01-01,\n")  # on no plan
    assert assignments_from_people(path, PLANS) == [
        Assignment("a", AE, D(2027, 2, 15), None, f"{path}, row 2"),
        Assignment("a", SE, D(2027, 2, 15), None, f"{path}, row 2"),
        Assignment("b", SE, None, D(2027, 5, 31), f"{path}, row 3"),
    ]


def test_people_with_dates_but_no_plan_column_are_on_every_plan(tmp_path):
    path = write(tmp_path, "people.csv", "id,start_date,end_date\na,2027-03-10,2027-09-30\n")
    assert assignments_from_people(path, [SE, AE]) == [
        Assignment("a", AE, D(2027, 3, 10), D(2027, 9, 30), f"{path}, row 2"),
        Assignment("a", SE, D(2027, 3, 10), D(2027, 9, 30), f"{path}, row 2"),
    ]


def test_people_plan_column_only_gives_open_assignments(tmp_path):
    path = write(tmp_path, "people.csv", f"id,plan\na,{AE}\n")
    assert assignments_from_people(path, PLANS) == [Assignment("a", AE, None, None, f"{path}, row 2")]


def test_people_assignment_problems_are_all_reported_at_once(tmp_path):
    path = write(tmp_path, "people.csv", "id,plan,hire_date,leave_date\n"
                 "a,Account Exec FY2027,2027-01-01,\n"
                 f"b,{AE};{AE},2027-01-01,\n"
                 f"c,{SE},2027-06-01,2027-05-31\n"
                 f"a2,{SE},2027-02-30,\n")
    assert problems_of(assignments_from_people, path, PLANS) == [
        f'{path}: row 2, column plan: no plan named "Account Exec FY2027"; did you mean "{AE}"?',
        f'{path}: row 3, column plan: plan "{AE}" is named twice',
        f"{path}: row 4, column leave_date: the leave date 2027-05-31 is before the hire date 2027-06-01",
        f"{path}: row 5, column hire_date: expected a date written YYYY-MM-DD",
    ]


def test_people_giving_both_names_of_a_date_is_a_problem(tmp_path):
    path = write(tmp_path, "people.csv", "id,hire_date,start_date\na,2027-01-01,2027-01-01\n")
    assert problems_of(assignments_from_people, path, PLANS) == [
        f"{path}: header: both `hire_date` and `start_date` columns are given; keep one"]
    path = write(tmp_path, "people.json", '[{"id": "a", "leave_date": "2027-01-01", "end_date": "2027-01-01"}]')
    assert problems_of(assignments_from_people, path, PLANS) == [
        f"{path}: item 1, column end_date: both `leave_date` and `end_date` are given; keep one"]


def test_json_people_may_use_either_name_of_a_date(tmp_path):
    path = write(tmp_path, "people.json", json.dumps([{"id": "a", "hire_date": "2027-01-10"},
                                                      {"id": "b", "start_date": "2027-02-10", "end_date": ""}]))
    assert assignments_from_people(path, [AE]) == [Assignment("a", AE, D(2027, 1, 10), None, f"{path}, item 1"),
                                                   Assignment("b", AE, D(2027, 2, 10), None, f"{path}, item 2")]


# --- windows and terminated ----------------------------------------------------------------------------------------

MARCH = (D(2027, 3, 1), D(2027, 3, 31))


def a(person, plan, start, end):
    return Assignment(person, plan, start, end, "test")


def test_windows_clip_a_mid_month_hire_and_an_open_end():
    out = windows([a("a", AE, D(2027, 3, 10), None), a("b", AE, None, None)], AE, *MARCH)
    assert out == {"a": [(D(2027, 3, 10), D(2027, 3, 31))], "b": [MARCH]}


def test_windows_of_a_move_between_two_plans_inside_a_month():
    moves = [a("a", AE, D(2027, 1, 1), D(2027, 3, 15)), a("a", SE, D(2027, 3, 16), None)]
    assert windows(moves, AE, *MARCH) == {"a": [(D(2027, 3, 1), D(2027, 3, 15))]}
    assert windows(moves, SE, *MARCH) == {"a": [(D(2027, 3, 16), D(2027, 3, 31))]}
    assert windows(moves, AE, D(2027, 4, 1), D(2027, 4, 30)) == {}
    assert not terminated(moves, "a", *MARCH)  # moved, not gone


def test_windows_are_sorted_and_leave_out_people_not_on_the_plan_in_the_period():
    rows = [a("b", AE, D(2027, 3, 20), D(2027, 3, 25)), a("b", AE, D(2027, 3, 1), D(2027, 3, 5)),
            a("a", AE, D(2027, 4, 1), None), a("c", AE, None, D(2027, 2, 28)), a("d", SE, None, None)]
    assert windows(rows, AE, *MARCH) == {"b": [(D(2027, 3, 1), D(2027, 3, 5)), (D(2027, 3, 20), D(2027, 3, 25))]}
    assert windows(rows, AE, D(2027, 3, 31), D(2027, 4, 1)) == {"a": [(D(2027, 4, 1), D(2027, 4, 1))]}


def test_terminated_is_the_last_day_on_any_plan_falling_in_the_period():
    rows = [a("a", AE, D(2027, 1, 1), D(2027, 3, 15)), a("a", SE, D(2027, 3, 16), D(2027, 5, 10)),
            a("b", AE, D(2027, 1, 1), None), a("c", AE, None, D(2027, 3, 31))]
    assert not terminated(rows, "a", *MARCH)
    assert terminated(rows, "a", D(2027, 5, 1), D(2027, 5, 31))
    assert terminated(rows, "a", D(2027, 5, 10), D(2027, 5, 10))
    assert not terminated(rows, "b", *MARCH)  # open-ended: never
    assert terminated(rows, "c", *MARCH)
    assert not terminated(rows, "nobody", *MARCH)


# --- effective-dated values ----------------------------------------------------------------------------------------

def test_long_dated_values_are_typed_and_sorted_by_start(tmp_path):
    path = write(tmp_path, "quotas.csv", "person,name,value,start,end\n"
                 "a,quota,\"150,000\",2027-07-01,\n"
                 "a,quota,100000,2027-01-01,2027-06-30\n"
                 "a,target,85%,2027-01-01,\n"
                 "b,segment,ENT,2027-01-01,\n")
    out = load_dated_values(path, PEOPLE, INPUTS)
    assert out[("a", "quota")] == [DatedValue("a", "quota", Decimal(100000), D(2027, 1, 1), D(2027, 6, 30),
                                              f"{path}, row 3"),
                                   DatedValue("a", "quota", Decimal(150000), D(2027, 7, 1), None, f"{path}, row 2")]
    assert out[("a", "target")][0].value == Decimal("0.85")
    assert out[("b", "segment")][0].value == "ENT"
    quota = out[("a", "quota")]
    assert in_force(quota, D(2026, 12, 31)) is None
    assert in_force(quota, D(2027, 6, 30)).value == 100000
    assert in_force(quota, D(2027, 7, 1)).value == 150000
    assert in_force(quota, D(2099, 1, 1)).value == 150000
    assert segments(quota) == [(D(2027, 1, 1), D(2027, 6, 30), Decimal(100000)), (D(2027, 7, 1), None, 150000)]


def test_in_force_sees_gaps_between_ranges():
    values = [DatedValue("a", "quota", 1, D(2027, 1, 1), D(2027, 1, 31), ""),
              DatedValue("a", "quota", 2, D(2027, 3, 1), D(2027, 3, 31), "")]
    assert in_force(values, D(2027, 2, 15)) is None
    assert in_force(values, D(2027, 3, 31)).value == 2
    assert in_force(values, D(2027, 4, 1)) is None
    assert in_force([], D(2027, 4, 1)) is None


def test_wide_dated_values_take_one_column_per_input_and_skip_empty_cells(tmp_path):
    path = write(tmp_path, "quotas.csv", "person,start,end,quota,target\n"
                 "a,2027-01-01,2027-06-30,100000,\n"
                 "a,2027-07-01,,120000,90%\n")
    out = load_dated_values(path, PEOPLE, INPUTS)
    assert sorted(out) == [("a", "quota"), ("a", "target")]
    assert [v.value for v in out[("a", "quota")]] == [100000, 120000]
    assert out[("a", "target")] == [DatedValue("a", "target", Decimal("0.9"), D(2027, 7, 1), None, f"{path}, row 3")]


def test_long_dated_value_problems_are_all_reported_at_once(tmp_path):
    path = write(tmp_path, "quotas.csv", "person,name,value,start,end\n"
                 "a,qouta,100,2027-01-01,\n"               # row 2: did you mean
                 "zed,quota,100,2027-01-01,\n"             # row 3: unknown person
                 "a,quota,100,2027-06-01,2027-05-31\n"     # row 4: end before start
                 "a,quota,lots,2027-01-01,\n"              # row 5: not money
                 "a,quota,0,2027-01-01,\n"                 # row 6: under the declared range
                 "a,segment,MID,2027-01-01,\n"             # row 7: not a listed value
                 "b,quota,100,2027-01-01,2027-06-30\n"     # row 8
                 "b,quota,200,2027-06-30,\n"               # row 9: overlaps row 8 by a day
                 "b,quota,,2027-01-01,\n"                  # row 10: no value
                 "b,target,50%,,\n")                       # row 11: no start
    assert problems_of(load_dated_values, path, PEOPLE, INPUTS) == [
        f"{path}: row 2, column name: no plan input named `qouta`; did you mean `quota`?",
        f"{path}: row 3, column person: no person with id `zed` in the people table",
        f"{path}: row 4, column end: the end 2027-05-31 is before the start 2027-06-01",
        f"{path}: row 5, column value: expected a decimal number such as 1250.50",
        (f"{path}: row 6, column value: expected a value from 1 to 2,000,000 (the range declared on plan line 2); "
         f"got 0"),
        f'{path}: row 7, column value: expected one of "SMB", "ENT"; got "MID"',
        f"{path}: row 10, column value: no value; expected money for `quota`",
        f"{path}: row 11, column start: no value; expected a date written YYYY-MM-DD",
        (f"{path}: row 9, column start: `quota` of `b` is given from 2027-06-30 to open-ended here and from "
         f"2027-01-01 to 2027-06-30 at row 8; the two overlap from 2027-06-30 to 2027-06-30"),
    ]


def test_wide_dated_value_problems_name_the_input_column(tmp_path):
    path = write(tmp_path, "quotas.csv", "person,start,quota,target\n"
                 "a,2027-01-01,100,300%\n"
                 "a,2027-01-01,100,\n")
    assert problems_of(load_dated_values, path, PEOPLE, INPUTS) == [
        f"{path}: row 2, column target: expected a value from 0 to 2 (the range declared on plan line 3); got 3",
        (f"{path}: row 3, column quota: `quota` of `a` is given from 2027-01-01 to open-ended here and from "
         f"2027-01-01 to open-ended at row 2; the two overlap from 2027-01-01 to open-ended"),
    ]


def test_wide_dated_values_header_problems(tmp_path):
    path = write(tmp_path, "quotas.csv", "person,start,qouta,notes\na,2027-01-01,100,x\n")
    assert problems_of(load_dated_values, path, PEOPLE, INPUTS) == [
        (f"{path}: header: no column names a plan input; expected a column for each dated input (`quota`, "
         f"`revenue`, `segment`, `target`), or the long layout: person, name, value, start, end"),
        (f"{path}: header, column notes: no plan input named `notes`; expected one of `quota`, `revenue`, "
         f"`segment`, `target`"),
        f"{path}: header, column qouta: no plan input named `qouta`; did you mean `quota`?",
    ]
    path = write(tmp_path, "quotas2.csv", "who,quota\na,100\n")
    found = problems_of(load_dated_values, path, PEOPLE, INPUTS)
    assert found[:2] == [(f"{path}: header: missing column `person` (the columns are person, start, end (optional) "
                          f"and one per plan input; or person, name, value, start, end)"),
                         (f"{path}: header: missing column `start` (the columns are person, start, end (optional) "
                          f"and one per plan input; or person, name, value, start, end)")]


def test_dated_values_from_json_in_either_layout(tmp_path):
    path = write(tmp_path, "quotas.json", json.dumps([
        {"person": "a", "name": "quota", "value": 1000, "start": "2027-01-01"},
        {"person": "a", "name": "quota", "value": "x", "start": "2027-02-01"},
    ]))
    assert problems_of(load_dated_values, path, PEOPLE, INPUTS) == [
        f"{path}: item 2, column value: expected a decimal number such as 1250.50"]
    path = write(tmp_path, "wide.json", json.dumps([
        {"person": "a", "start": "2027-01-01", "quota": 1000.5, "target": None},
        {"person": "b", "start": "2027-01-01", "qouta": 1},
    ]))
    assert problems_of(load_dated_values, path, PEOPLE, INPUTS) == [
        f"{path}: item 2, column qouta: no plan input named `qouta`; did you mean `quota`?"]
    write(tmp_path, "wide.json", json.dumps([{"person": "a", "start": "2027-01-01", "quota": 1000.5}]))
    (value,) = load_dated_values(path, PEOPLE, INPUTS)[("a", "quota")]
    assert value.value == Decimal("1000.5") and value.where == f"{path}, item 1"


# --- rates ---------------------------------------------------------------------------------------------------------

RATES = ("from,to,date,rate\n"
         "EUR,USD,2027-01-01,1.08\n"
         "EUR,USD,2027-03-01,1.10\n"
         "USD,JPY,2027-01-01,150\n"
         "GBP,USD,2027-02-01,1.25\n")


def test_rates_use_the_latest_row_on_or_before_the_day(tmp_path):
    path = write(tmp_path, "rates.csv", RATES)
    rates = Rates.load(path)
    assert rates.rate("EUR", "USD", D(2027, 1, 1)) == (Decimal("1.08"), D(2027, 1, 1), False, f"{path}, row 2")
    assert rates.rate("EUR", "USD", D(2027, 2, 28)) == (Decimal("1.08"), D(2027, 1, 1), False, f"{path}, row 2")
    assert rates.rate("EUR", "USD", D(2027, 3, 1)) == (Decimal("1.10"), D(2027, 3, 1), False, f"{path}, row 3")
    assert rates.rate("EUR", "USD", D(2030, 1, 1))[1] == D(2027, 3, 1)
    assert rates.rate("USD", "USD", D(2027, 3, 1)) == (Decimal(1), D(2027, 3, 1), False, "")


def test_rates_invert_the_opposite_pair_in_the_engine_context(tmp_path):
    rates = Rates.load(write(tmp_path, "rates.csv", RATES))
    rate, date, inverse, where = rates.rate("JPY", "USD", D(2027, 6, 1))
    assert (rate, date, inverse) == (CONTEXT.divide(Decimal(1), Decimal(150)), D(2027, 1, 1), True)
    assert where.endswith("rates.csv, row 4")
    assert rate == Decimal("0.006666666666666666666666666666666667")
    conv = rates.convert(Decimal(30000), "JPY", "USD", D(2027, 6, 1))
    assert conv == Conversion(Decimal(30000), Decimal("200.0000000000000000000000000000000"), "JPY", "USD", rate,
                              D(2027, 1, 1), True, where)


def test_a_direct_rate_wins_over_a_later_inverse_one():
    rates = Rates.from_rows([("USD", "EUR", D(2027, 1, 1), Decimal("0.9")),
                             ("EUR", "USD", D(2027, 2, 1), Decimal("1.2"))])
    assert rates.rate("USD", "EUR", D(2027, 3, 1))[:3] == (Decimal("0.9"), D(2027, 1, 1), False)
    assert rates.rate("EUR", "USD", D(2027, 1, 15))[:3] == (CONTEXT.divide(1, Decimal("0.9")), D(2027, 1, 1),
                                                               True)


def test_convert_is_exact_and_not_rounded(tmp_path):
    rates = Rates.load(write(tmp_path, "rates.csv", RATES))
    conv = rates.convert(Decimal("1000.005"), "GBP", "USD", D(2027, 2, 1))
    assert conv.converted == Decimal("1250.00625") and conv.rate == Decimal("1.25") and not conv.inverse
    same = rates.convert(Decimal("12.345"), "USD", "USD", D(2027, 2, 1))
    assert same.converted == Decimal("12.345") and same.where == ""


def test_a_missing_rate_is_a_data_error_naming_the_file_and_the_nearest_later_date(tmp_path):
    path = write(tmp_path, "rates.csv", RATES)
    rates = Rates.load(path)
    with pytest.raises(DataError) as info:
        rates.rate("EUR", "USD", D(2026, 12, 31))
    assert info.value.problems == [(f"no EUR to USD rate on or before 2026-12-31 in {path}; the earliest rate "
                                    f"between them is dated 2027-01-01")]
    assert info.value.problems[0].file == str(path)
    assert problems_of(rates.rate, "USD", "GBP", D(2027, 1, 31)) == [
        f"no USD to GBP rate on or before 2027-01-31 in {path}; the earliest rate between them is dated 2027-02-01"]
    assert problems_of(rates.convert, Decimal(1), "EUR", "CHF", D(2027, 1, 31)) == [
        f"no EUR to CHF rate on or before 2027-01-31 in {path} (no rate between EUR and CHF is given at all)"]


def test_rate_problems_are_all_reported_at_once_with_file_row_and_column(tmp_path):
    path = write(tmp_path, "rates.csv", "from,to,date,rate\n"
                 "EUR,USD,2027-01-01,1.12345678\n"     # row 2: 8 places: fine
                 "EUR,USD,2027-01-02,1.123456789\n"    # row 3: 9 places
                 "EUR,USD,2027-01-03,1.123456780\n"    # row 4: a trailing zero does not count
                 "EUR,USD,2027-01-04,0\n"              # row 5
                 "EUR,USD,2027-01-05,-1.1\n"           # row 6
                 "usd,XXX,2027-01-06,1\n"              # row 7: two bad codes
                 "EUR,EUR,2027-01-07,1\n"              # row 8: same currency
                 "EUR,USD,2027-01-01,1.2\n"            # row 9: repeats row 2's pair and date
                 "EUR,USD,2027-31-01,abc\n"            # row 10
                 ",USD,2027-01-01,\n")                 # row 11
    assert problems_of(Rates.load, path) == [
        f"{path}: row 3, column rate: expected a rate with at most 8 decimal places; got 1.123456789",
        f"{path}: row 5, column rate: expected a rate above 0; got 0",
        f"{path}: row 6, column rate: expected a rate above 0; got -1.1",
        (f'{path}: row 7, column from: expected an ISO 4217 currency code such as USD or EUR; got "usd" (codes are '
         f"written in capitals: USD)"),
        f'{path}: row 7, column to: expected an ISO 4217 currency code such as USD or EUR; got "XXX"',
        f"{path}: row 8, column to: the rate converts EUR to EUR; a currency needs no rate to itself",
        (f"{path}: row 9, column date: a second EUR to USD rate dated 2027-01-01 (the first is at row 2); which one "
         f"is meant?"),
        f"{path}: row 10, column date: expected a date written YYYY-MM-DD",
        f"{path}: row 10, column rate: expected a decimal number such as 1250.50",
        f"{path}: row 11, column from: no value; expected an ISO 4217 currency code such as USD",
        f"{path}: row 11, column rate: no value; expected a rate above 0 such as 1.0850",
    ]


def test_rate_problems_carry_their_row_and_column_as_fields(tmp_path):
    path = write(tmp_path, "rates.csv", "from,to,date,rate\nEUR,USD,2027-01-01,1\nEUR,USD,2027-01-02,1.123456789\n")
    with pytest.raises(DataError) as info:
        Rates.load(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.field) == (str(path), 3, "rate")
    assert str(problem).startswith(f"{path}: row 3, column rate: ")


def test_eight_decimal_places_are_accepted_and_nine_refused():
    rates = Rates.from_rows([("EUR", "USD", D(2027, 1, 1), Decimal("1.12345678"))])
    assert rates.rate("EUR", "USD", D(2027, 1, 1))[0] == Decimal("1.12345678")
    assert problems_of(Rates.from_rows, [("EUR", "USD", D(2027, 1, 1), Decimal("1.123456789"))]) == [
        "the rates given: item 1, column rate: expected a rate with at most 8 decimal places; got 1.123456789"]
    assert problems_of(Rates.from_rows, [("EUR", "USD", D(2027, 1, 1), 1.5)]) == [
        "the rates given: item 1, column rate: expected an exact decimal (Decimal or text), not a binary float"]


def test_rates_missing_a_column_is_a_header_problem(tmp_path):
    path = write(tmp_path, "rates.csv", "from,to,rate\nEUR,USD,1.1\n")
    assert problems_of(Rates.load, path) == [
        (f"{path}: header: missing column `date` (a rate table has the columns from, to, date, rate: 1 `from` = "
         f"`rate` `to`, from `date` on)")]


def test_rates_from_json(tmp_path):
    path = write(tmp_path, "rates.json", '{"rates": [{"from": "EUR", "to": "USD", "date": "2027-01-01", '
                                         '"rate": 1.0850}, {"from": "EUR", "to": "USD", "date": "2027-01-02"}]}')
    assert problems_of(Rates.load, path) == [
        f"{path}: item 2, column rate: no value; expected a rate above 0 such as 1.0850"]
    write(tmp_path, "rates.json", '[{"from": "EUR", "to": "USD", "date": "2027-01-01", "rate": 1.0850}]')
    assert Rates.load(path).rate("EUR", "USD", D(2027, 1, 1)) == (Decimal("1.0850"), D(2027, 1, 1), False,
                                                                  f"{path}, item 1")


# --- holidays ------------------------------------------------------------------------------------------------------

def test_holidays_are_a_set_of_dates_and_the_name_is_ignored(tmp_path):
    path = write(tmp_path, "holidays.csv", "date,name\n2027-01-01,New Year\n2027-12-25,Christmas\n2027-01-01,x\n")
    assert load_holidays(path) == frozenset({D(2027, 1, 1), D(2027, 12, 25)})


def test_holiday_problems(tmp_path):
    path = write(tmp_path, "holidays.csv", "date,name\n2027-01-01,New Year\n25/12/2027,Christmas\n,Boxing Day\n")
    assert problems_of(load_holidays, path) == [
        f"{path}: row 3, column date: expected a date written YYYY-MM-DD",
        f"{path}: row 4, column date: no value; expected a date written YYYY-MM-DD",
    ]
    path = write(tmp_path, "holidays2.csv", "day,name\n2027-01-01,New Year\n")
    assert problems_of(load_holidays, path) == [
        f"{path}: header: missing column `date` (a holidays table has one date a row, YYYY-MM-DD)"]
