"""The columnar evaluator at its edges: overflow, roundings it cannot decide, errors, bad tables.

Plans here are built to push `plan.run_table` off its fast path: values past int64 (it must switch to
certified float intervals or hand the payee to the row evaluator, and still give the row evaluator's
amounts), values from divisions landing exactly on half a cent (`row_payees`), divisions by zero
taken and not taken, lines it does not do (`row_lines`), bad input tables (the DataError names the
row and the column, as the data loaders do), polars frames, and the output's types.

Each test that pinned down a bug found in incentives/columnar says what was wrong
in its reason, and passes (so fails as XPASS) once the bug is fixed.
"""

from __future__ import annotations

import warnings
from decimal import Decimal as D
from typing import Any

import pyarrow as pa
import pytest

from incentives.errors import DataError, EvaluationError
from incentives.plan import compile_text

pytestmark = pytest.mark.filterwarnings("ignore:no period given")

MODES = ["half_up", "half_even", "half_down", "up", "down", "ceiling", "floor"]


def plan_of(body: str, header: str = "rounding half_up at line", period: str = "quarter",
            effective: str = "effective 2026-01-01 to 2026-12-31", currency: str = "USD"):
    text = f'plan "Edge" {{ currency {currency} period {period} {effective} {header} }}\n' + body
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_text(text, "edge.plan")


def money(values, scale: int = 2) -> pa.Array:
    return pa.array([None if v is None else D(v) for v in values], pa.decimal128(18, scale))


def ids(n: int) -> pa.Array:
    return pa.array([f"P{i}" for i in range(n)], pa.string())


def reference(plan, table: pa.Table, period=None, days: str | None = None) -> list[Any]:
    """plan.run for each row of the table (values as Python gives them: Decimal, str, bool, date)."""
    out = []
    names = [n for n in plan.ir.givable if n in table.column_names]
    for row in table.to_pylist():
        values = {n: (D(row[n]) if isinstance(row[n], int) and not isinstance(row[n], bool) else row[n])
                  for n in names if row[n] is not None}
        kw = {"days_active": row[days]} if days else {}
        out.append(plan.run(values, row["id"], period=period, **kw))
    return out


def assert_same(plan, result, table: pa.Table, period=None, days: str | None = None) -> None:
    rows = result.table.to_pylist()
    refs = reference(plan, table, period, days)
    assert [r["id"] for r in rows] == table.column("id").to_pylist()
    for row, ref in zip(rows, refs):
        for comp in ref.components:
            assert row[comp.name] == comp.amount, (row["id"], comp.name, row[comp.name], comp.amount)
        assert row["total"] == ref.total, (row["id"], "total", row["total"], ref.total)
        for award in ref.awards:
            assert row[f"award_{award.name}"] is award.granted, (row["id"], award.name)


def run_and_compare(plan, table: pa.Table, period=None, days: str | None = None):
    result = plan.run_table(table, period=period)
    assert_same(plan, result, table, period, days)
    return result


# ---- (a) overflow: past int64, the result is still the row evaluator's ----
BIG = """
input x: money range -999_999_999_999_999.999 USD to 999_999_999_999_999.999 USD
input y: money range 0 USD to 999_999_999_999_999.999 USD
input r: percent range 0% to 1_000%
let ratio = if y > 0 USD then x / y else 0%
component scaled {
  pay r of x * 1_000
  pay x * 12.5% * 3.333
  pay y / 7 * 1_000_000
}
component tiered {
  tiers marginal on x {
    from 0 USD to 50% of y: 2%
    from 50% of y to y: 8.125%
    from y: 12.3456789%
  }
  multiplier on ratio { from 0% to 120%: 1  from 120% to 300%: 1.1 to 1.7  from 300%: 1.7 }
}
component compared {
  pay if x * 1_000_000 > y * 999_999 then 1 USD else 2 USD
  pay max(x, y) - min(x, y)
}
payout { cap 900_000_000_000_000_000 USD }
"""
LIMITS = ["999999999999999", "-999999999999999", "999999999999999.99", "-999999999999999.99", "0", "0.01",
          "123456789012345.67", "500000000000000", "1", "-0.01"]


@pytest.mark.parametrize("header", ["rounding half_up at line", "rounding half_even at component",
                                    "rounding floor at line", "rounding down at component"])
def test_overflow_near_the_limits_equals_the_row_evaluator(header):
    plan = plan_of(BIG, header)
    xs = LIMITS * len(LIMITS)
    ys = [y for y in LIMITS for _ in LIMITS]
    ys = [y.lstrip("-") for y in ys]
    rs = ["10", "0.125", "0", "9.99", "1", "0.0001", "5", "2.5", "7.777", "0.5"] * len(LIMITS)
    table = pa.table({"id": ids(len(xs)), "x": money(xs), "y": money(ys), "r": money(rs, 4)})
    result = run_and_compare(plan, table)
    assert result.engine == "columnar"
    assert result.row_payees, "values past int64 are worked out by the row evaluator or as intervals"


def test_overflow_with_three_decimal_inputs_and_yen():
    plan = plan_of(BIG.replace(" USD", " JPY"), currency="JPY")
    xs = ["999999999999999.999", "-999999999999999.999", "0.001", "123456789012345.678", "0.5", "-0.5"]
    table = pa.table({"id": ids(6), "x": money(xs, 3), "y": money([x.lstrip("-") for x in xs], 3),
                      "r": money(["10", "0.001", "0.5", "1", "3", "0.3333"], 4)})
    run_and_compare(plan, table)


def test_a_value_too_large_to_compute_exactly_is_the_row_evaluators_error():
    plan = plan_of("input a: number\ninput m: money\ncomponent c { pay a * a * m }")
    table = pa.table({"id": ids(3), "a": money(["2", "999999999999999", "3"]),
                      "m": money(["1", "999999999999999", "1"])})
    with pytest.raises(EvaluationError) as row:
        plan.run({"a": D(999999999999999), "m": D(999999999999999)}, "P1")
    with pytest.raises(EvaluationError) as columnar:
        plan.run_table(table)
    assert str(columnar.value) == str(row.value)
    assert "too large or too precise" in str(columnar.value)


def test_inputs_with_fifteen_whole_digits_and_ten_decimals():
    plan = plan_of("input x: money range 0 USD to 999_999_999_999_999.9999999999 USD\ncomponent c { pay 3% of x }")
    values = ["123456789012345.1234567890", "999999999999999.9999999999", "0.0000000001"]
    table = pa.table({"id": ids(3), "x": pa.array([D(v) for v in values], pa.decimal128(38, 10))})
    run_and_compare(plan, table)


# ---- (b) roundings too close to call: row_payees, with the row evaluator's amounts ----
@pytest.mark.parametrize("mode", MODES)
def test_a_half_cent_from_a_division_goes_to_the_row_evaluator(mode):
    plan = plan_of("input revenue: money range 0 USD to 10_000_000 USD\n"
                   "component c { pay revenue / 3 * 3 * 10% }\n"
                   "component d { pay round(revenue / 7 * 7 * 1%, 2, half_even) }\n"
                   "component e { pay revenue / 4 * 10% }", f"rounding {mode} at line")
    # 500.05 x 10% = 50.005 exactly, but revenue / 3 * 3 is 500.0499...9 at 34 digits
    values = ["500.05", "1000.10", "0.05", "1234.55", "100", "999.99", "750.15", "0"]
    table = pa.table({"id": ids(len(values)), "revenue": money(values)})
    result = run_and_compare(plan, table)
    assert result.engine == "columnar"
    if mode.startswith("half_"):  # a tie: 50.005 or 50.00499...9?
        assert "P0" in result.row_payees
    else:  # a cent exactly, or a hair below it: 100.01 or 100.00999...9?
        assert "P1" in result.row_payees
    assert "P7" not in result.row_payees  # 0 divides exactly
    assert any("could not be decided exactly" in n for n in result.notices())


def test_a_comparison_too_close_to_call_goes_to_the_row_evaluator():
    plan = plan_of("input revenue: money range 0 USD to 10_000_000 USD\ninput quota: money range 1 USD to 1_000_000 USD\n"
                   "let attainment = revenue / quota\n"
                   "component c { tiers step on attainment { from 0% to 100%: 0 USD  from 100%: 1_000 USD } }\n"
                   "award a { kind title when attainment * 3 >= 1 }")
    revenue = ["100", "300", "1", "200", "99.99", "100.01"]
    quota = ["300", "300", "3", "300", "300", "300"]
    table = pa.table({"id": ids(6), "revenue": money(revenue), "quota": money(quota)})
    result = run_and_compare(plan, table)
    assert "P0" in result.row_payees  # 100 / 300 * 3 against 1: a tie the intervals cannot split


@pytest.mark.parametrize("point", ["line", "component"])
def test_exact_divisions_stay_columnar(point):
    plan = plan_of("input revenue: money range 0 USD to 10_000_000 USD\n"
                   "component c { pay revenue / 4  pay revenue / 8 * 3 }", f"rounding half_even at {point}")
    values = ["0.02", "0.06", "100.10", "1", "0"]
    table = pa.table({"id": ids(5), "revenue": money(values)})
    result = run_and_compare(plan, table)
    assert result.row_payees == []


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_unrounded_amounts_keep_all_34_digits(engine):
    plan = plan_of("input x: money\ncomponent c { pay x / 3 }", "rounding half_up at payout")
    table = pa.table({"id": ids(2), "x": money(["1000", "3"])})
    result = plan.run_table(table, engine=engine)
    expected = plan.run({"x": D(1000)}).components[0].amount
    assert expected == D("333.3333333333333333333333333333333")
    assert result.table.column("c")[0].as_py() == expected


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_small_unrounded_amounts_do_not_crash(engine):
    plan = plan_of("input a: money\ncomponent c { pay a / 3 / 1_000_000 }", "rounding half_up at payout")
    table = pa.table({"id": ids(2), "a": money(["0.01", "3"])})
    result = plan.run_table(table, engine=engine)
    assert result.table.column("total").to_pylist() == [D("0.00"), D("0.00")]
    assert result.table.column("c")[1].as_py() == D("0.000001")


# ---- (c) division by zero ----
def test_division_by_zero_in_a_branch_not_taken():
    plan = plan_of("input revenue: money\ninput quota: money\ninput deals: count\n"
                   "let attainment = if quota > 0 USD then revenue / quota else 0%\n"
                   "component c {\n"
                   "  pay if quota > 0 USD then revenue / quota * 100 USD else 0 USD\n"
                   "  pay if deals > 0 and revenue / deals > 10 USD then 5 USD else 0 USD\n"
                   "  pay if deals == 0 or revenue / deals > 10 USD then 7 USD else 0 USD\n"
                   "  multiplier on attainment { from 0% to 100%: 1  from 100%: 1.5 }\n"
                   "}\n"
                   "award big_deals { kind prize when deals > 0 value revenue / deals }")
    table = pa.table({"id": ids(4), "revenue": money(["100", "100", "0", "50"]), "quota": money(["0", "50", "0", "0"]),
                      "deals": pa.array([0, 4, 0, 0], pa.int64())})
    result = run_and_compare(plan, table)
    assert result.engine == "columnar"


@pytest.mark.parametrize("body", [
    "input revenue: money\ninput quota: money\ncomponent c { pay revenue / quota * 100 USD }",
    "input revenue: money\ninput quota: money\nlet a = revenue / quota\ncomponent c { pay 1 USD }",
    "input revenue: money\ninput quota: money\ncomponent c { pay 1 USD  multiplier on revenue / quota { from 0%: 1 } }",
    "input revenue: money\ninput quota: money\ncomponent c { pay 1 USD }\naward a { kind title when revenue / quota > 1 }",
    "input revenue: money\ninput quota: money\ncomponent c { pay 1 USD }\npayout { cap revenue / quota * 1 USD }",
], ids=["pay", "let", "multiplier", "award-when", "payout"])
def test_division_by_zero_taken_is_the_row_evaluators_error(body):
    plan = plan_of(body)
    table = pa.table({"id": ids(4), "revenue": money(["100", "100", "5", "7"]), "quota": money(["10", "3", "0", "0"])})
    with pytest.raises(EvaluationError) as row:
        plan.run({"revenue": D(5), "quota": D(0)}, "P2")
    with pytest.raises(EvaluationError) as columnar:
        plan.run_table(table)
    assert str(columnar.value) == str(row.value)
    assert "division by zero" in str(columnar.value) and "P2" in str(columnar.value)


def test_division_by_zero_in_a_granted_awards_value():
    plan = plan_of("input x: number\ncomponent c { pay 1 USD }\naward a { kind prize when true value 100 USD / x }")
    table = pa.table({"id": ids(2), "x": money(["2", "0"])})
    with pytest.raises(EvaluationError) as row:
        plan.run({"x": D(0)}, "P1")
    with pytest.raises(EvaluationError) as columnar:
        plan.run_table(table)
    assert str(columnar.value) == str(row.value)


def test_a_missing_lookup_row_and_bands_out_of_order_are_the_row_evaluators_errors():
    plan = plan_of('input region: text\ninput revenue: money\ninput floor_at: money\n'
                   'table rate(region: text): percent { "East": 5%  "West": 6% }\n'
                   'component c { pay rate(region) of revenue }\n'
                   'component t { tiers marginal on revenue { from 0 USD to floor_at: 1%  from floor_at to 1_000 USD: 2% '
                   ' from 1_000 USD: 3% } }')
    ok = pa.table({"id": ids(2), "region": ["East", "West"], "revenue": money(["100", "2000"]),
                   "floor_at": money(["500", "999.99"])})
    run_and_compare(plan, ok)
    for region, floor_at, needle in (("North", "10", "has no row"), ("East", "1500", "out of order")):
        table = pa.table({"id": ids(2), "region": ["East", region], "revenue": money(["100", "200"]),
                          "floor_at": money(["10", floor_at])})
        with pytest.raises(EvaluationError) as row:
            plan.run({"region": region, "revenue": D(200), "floor_at": D(floor_at)}, "P1")
        with pytest.raises(EvaluationError) as columnar:
            plan.run_table(table)
        assert str(columnar.value) == str(row.value) and needle in str(row.value)


# ---- (d) bad input tables ----
PLAIN = ('input revenue: money range 0 USD to 1_000_000 USD\ninput quota: money range 1 USD to 1_000_000 USD\n'
         'input region: text in {"East", "West"}\ninput meetings: count range 0 to 60 default 0\n'
         'component c { pay 5% of revenue  pay meetings * 10 USD }')


def plain_table(**changes) -> pa.Table:
    columns = {"id": ids(3), "revenue": money(["1", "2", "3"]), "quota": money(["1", "2", "3"]),
               "region": pa.array(["East", "West", "East"]), "meetings": pa.array([1, 2, 3], pa.int64())}
    columns.update(changes)
    return pa.table({k: v for k, v in columns.items() if v is not None})


def data_error(plan, table, **kw) -> DataError:
    with pytest.raises(DataError) as e:
        plan.run_table(table, **kw)
    return e.value


@pytest.mark.parametrize("float_type", [pa.float64(), pa.float32()])
def test_a_float_column_is_refused_naming_the_column(float_type):
    e = data_error(plan_of(PLAIN), plain_table(revenue=pa.array([1.0, 2.5, 3.0], float_type)))
    assert "revenue" in str(e) and "float" in str(e)
    assert [p.field for p in e.problems] == ["revenue"]


def test_a_value_out_of_range_names_the_row_and_column():
    e = data_error(plan_of(PLAIN), plain_table(revenue=money(["1", "2000000", "3"])))
    assert "row 2, column revenue" in str(e) and "2,000,000" in str(e)
    e = data_error(plan_of(PLAIN), plain_table(meetings=pa.array([1, 2, 61], pa.int64())))
    assert "row 3, column meetings" in str(e)
    e = data_error(plan_of(PLAIN), plain_table(quota=money(["1", "0", "-5"])))
    assert "row 2, column quota" in str(e) and "row 3, column quota" in str(e)


def test_other_bad_values_name_the_row_and_column():
    plan = plan_of(PLAIN)
    e = data_error(plan, plain_table(region=pa.array(["East", "North", "East"])))
    assert "row 2, column region" in str(e)
    e = data_error(plan, plain_table(revenue=money(["1", None, "3"])))
    assert "row 2, column revenue" in str(e) and "no value" in str(e)
    e = data_error(plan, plain_table(meetings=pa.array([D(1), D("2.5"), D(3)], pa.decimal128(18, 1))))
    assert "row 2, column meetings" in str(e)
    e = data_error(plan, plain_table(revenue=pa.array([D(1), D(2), D(3)], pa.decimal128(18, 12))))
    assert "row 1, column revenue" in str(e) and "10 after" in str(e)
    e = data_error(plan, plain_table(id=pa.array(["P0", None, "P2"])))
    assert "row 2" in str(e) and "id" in str(e)


def test_a_missing_required_column_or_id_column():
    plan = plan_of(PLAIN)
    e = data_error(plan, plain_table(quota=None))
    assert "missing column `quota`" in str(e)
    e = data_error(plan, plain_table(id=None))
    assert "`id`" in str(e)
    # a column with a default may be left out
    run_and_compare(plan, plain_table(meetings=None))


def test_duplicate_ids_name_the_id():
    e = data_error(plan_of(PLAIN), plain_table(id=pa.array(["P0", "P1", "P0"])))
    assert "row 3, column id" in str(e) and "`P0` appears twice" in str(e)


def test_a_uint64_value_past_int64_is_refused():
    plan = plan_of("input x: number\ncomponent c { pay x * 1 USD }")
    with pytest.raises(DataError):
        plan.run({"x": 2 ** 64 - 5})
    data_error(plan, pa.table({"id": ids(1), "x": pa.array([2 ** 64 - 5], pa.uint64())}))


def test_a_negative_scale_decimal_past_int64_is_refused():
    plan = plan_of("input x: number\ncomponent c { pay x * 1 USD }")
    value = D(184467440737096).scaleb(5)
    with pytest.raises(DataError):
        plan.run({"x": value})
    data_error(plan, pa.table({"id": ids(1), "x": pa.array([value], pa.decimal128(18, -5))}))


def test_other_integer_and_decimal_column_types():
    plan = plan_of(PLAIN)
    for revenue in (pa.array([1, 2, 3], pa.int32()), pa.array([1, 2, 3], pa.uint16()),
                    pa.array([D(1), D(2), D(3)], pa.decimal256(40, 2)), money(["1.005", "2.5", "3"], 3),
                    pa.array([D(100), D(200), D(300)], pa.decimal128(10, -2))):
        run_and_compare(plan, plain_table(revenue=revenue))


@pytest.mark.parametrize("decl,value", [
    ('input x: number default 5 range 1 to 10', None),
    ('input k: count in {1, 2} default 2', None),
    ('input r: text in {"E", "W"} default "E"', None),
])
def test_an_empty_cell_takes_the_inputs_default(decl, value):
    name = decl.split()[1].rstrip(":")
    plan = plan_of(decl + f"\ncomponent c {{ pay if {name} == {name} then 1 USD else 0 USD }}")
    arrays = {"x": money(["3", value]), "k": pa.array([1, value], pa.int64()), "r": pa.array(["W", value])}
    table = pa.table({"id": ids(2), name: arrays[name]})
    run_and_compare(plan, table)


def test_an_empty_cell_takes_the_default_where_zero_is_allowed():
    plan = plan_of("input x: number default 5 range 0 to 10\ninput b: bool default true\n"
                   "input d: date default 2026-02-01\n"
                   "component c { pay x * 1 USD  pay if b then 1 USD else 2 USD  pay day(d) * 1 USD }")
    table = pa.table({"id": ids(3), "x": money(["3", None, "0"]), "b": pa.array([False, None, True]),
                      "d": pa.array([None, pa.scalar(0, pa.date32()).as_py(), None], pa.date32())})
    run_and_compare(plan, table)


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_text_takes_the_default(blank):
    plan = plan_of('input r: text default "E"\n'
                   'component c { pay if r == "E" then 1 USD else if r == "" then 5 USD else 2 USD }')
    run_and_compare(plan, pa.table({"id": ids(2), "r": ["W", blank]}))


def test_a_blank_required_text_is_refused():
    plan = plan_of('input r: text\ncomponent c { pay if r == "" then 5 USD else 2 USD }')
    with pytest.raises(DataError):
        plan.run({"r": ""})
    data_error(plan, pa.table({"id": ids(2), "r": ["W", ""]}))


def test_text_is_trimmed_as_the_loader_trims_it():
    plan = plan_of('input r: text\ninput s: text in {"E", "W"}\n'
                   'component c { pay if r == "E" then 1 USD else 2 USD  pay if s == "W" then 10 USD else 20 USD }')
    values = [" E", "E\u00a0", "\u3000E\t", "E\u200b", "e", "\ufeffE"]
    table = pa.table({"id": ids(len(values)), "r": values, "s": [" W ", "E", "W\u00a0", "E", "W", " E"]})
    run_and_compare(plan, table)


def test_wrong_types_and_wrong_arguments():
    plan = plan_of('input on: bool\ninput d: date\ncomponent c { pay if on then 1 USD else 0 USD }')
    good = {"id": ids(1), "on": pa.array([True]), "d": pa.array([pa.scalar(20000, pa.date32()).as_py()])}
    e = data_error(plan, pa.table({**good, "on": pa.array(["true"])}))
    assert "on" in str(e)
    e = data_error(plan, pa.table({**good, "d": pa.array(["2026-01-01"])}))
    assert "column d" in str(e)
    e = data_error(plan, {"id": ["P0"], "on": [True]})
    assert "pyarrow Table or a polars DataFrame" in str(e)
    e = data_error(plan, pa.table(good), deals=pa.table({"id": ["D1"]}))
    assert "deals" in str(e)
    with pytest.raises(ValueError):
        plan.run_table(pa.table(good), engine="fast")
    with pytest.raises(DataError):
        plan.run_table(pa.table(good), period="2026-Q5")


def test_an_empty_table():
    plan = plan_of(PLAIN + "\naward a { kind title when c > 1 USD }")
    table = plain_table().slice(0, 0)
    for engine in ("columnar", "row"):
        out = plan.run_table(table, engine=engine).table
        assert out.num_rows == 0
        assert out.column_names == ["id", "c", "total", "award_a"]
        assert pa.types.is_decimal(out.schema.field("c").type) and pa.types.is_decimal(out.schema.field("total").type)


# ---- lines the columnar evaluator does not do: the whole run is the row evaluator's, and says which ----
def test_a_line_the_columnar_run_does_not_do_is_named():
    plan = plan_of("input a: money\ninput w: percent range 0% to 50%\n"
                   "component c { pay per_period(a, w, 25%, 25%, 50% - w) }")
    table = pa.table({"id": ids(3), "a": money(["1000.01", "12000", "0"]), "w": money(["0.1", "0.25", "0"])})
    for period in (None, "2026-Q2", "2026-02"):
        result = run_and_compare(plan, table, period)
        assert result.engine == "row"
        [(span, why)] = result.row_lines
        assert span is not None and span.line == 4 and "per_period" in why
        assert result.notices()[0].startswith("edge.plan:4:")


# ---- days on the plan: participation and prorated inputs ----
PRORATED = ("input q: money prorated range 0 USD to 1_000_000 USD\ninput n: number prorated range 0 to 1_000\n"
            "component c { pay q * 10%  pay n * 1 USD  pay 500 USD * participation  pay q / 3 * 3 * 10% }")


def test_days_active_prorates_as_the_row_evaluator():
    plan = plan_of(PRORATED, effective="effective 2026-01-01 to 2026-03-31")
    table = pa.table({"id": ids(4), "q": money(["1000", "999.99", "0", "123.45"]), "n": money(["90", "45", "1", "0"]),
                      "days_active": pa.array([90, 45, 31, 0], pa.int64())})
    result = run_and_compare(plan, table, days="days_active")
    assert result.row_payees == []


def test_prorated_inputs_of_a_payee_the_row_evaluator_works_out():
    plan = plan_of(PRORATED, effective="effective 2026-01-01 to 2026-03-31")
    # q = 1000.10 prorated by 45/90 is 500.05, and 500.05 / 3 * 3 * 10% is a half cent: a row payee
    table = pa.table({"id": ids(2), "q": money(["1000.10", "1000"]), "n": money(["90", "90"]),
                      "days_active": pa.array([45, 45], pa.int64())})
    result = plan.run_table(table)
    assert result.row_payees == ["P0"]
    assert_same(plan, result, table, days="days_active")


def test_prorated_inputs_of_a_run_the_row_evaluator_works_out():
    plan = plan_of("input q: money prorated range 0 USD to 1_000_000 USD\ninput w: percent range 0% to 50%\n"
                   "component c { pay per_period(q, w, 25%, 25%, 50% - w) }")
    table = pa.table({"id": ids(1), "q": money(["1000"]), "w": money(["0.25"]),
                      "days_active": pa.array([45], pa.int64())})
    result = plan.run_table(table, period="2026-Q1")
    assert result.engine == "row"
    assert_same(plan, result, table, period="2026-Q1", days="days_active")


def test_a_whole_period_leaves_prorated_inputs_as_given():
    plan = plan_of("input q: money prorated range 0 USD to 1_000_000 USD\ncomponent c { pay q * 1 }\n"
                   "award big { kind prize when q > 1000.005 USD }", effective="effective 2026-01-01 to 2026-03-31")
    table = pa.table({"id": ids(1), "q": money(["1000.005"], 3), "days_active": pa.array([90], pa.int64())})
    run_and_compare(plan, table, days="days_active")


@pytest.mark.parametrize("days", [500, -1])
def test_days_active_outside_the_period_is_refused(days):
    plan = plan_of(PRORATED, effective="effective 2026-01-01 to 2026-03-31")
    with pytest.raises(DataError):
        plan.run({"q": D(1000), "n": D(1)}, days_active=days)
    table = pa.table({"id": ids(1), "q": money(["1000"]), "n": money(["1"]), "days_active": pa.array([days])})
    data_error(plan, table)


# ---- (e) polars, (f) decimal output, (g) engine="row" ----
MIXED = ('input revenue: money range -1_000_000 USD to 1_000_000 USD\ninput rate: percent range 0% to 100%\n'
         'input meetings: count range 0 to 60\ninput region: text in {"East", "West"}\ninput new: bool default false\n'
         'input hired: date\nlet att = revenue / 30_000 USD\n'
         'component c { pay rate of revenue  pay meetings * 12.5 USD  pay if new then 100 USD else 0 USD\n'
         '  pay if region == "East" then 1 USD * day(hired) else 0 USD  multiplier on att { from 0% to 100%: 1 to 2  from 100%: 2 }\n'
         '}\n'
         'component d { pay revenue / 3 * 3 * 1% }\naward a { kind title when c >= 1_000 USD }')


def mixed_rows(n: int = 30) -> dict[str, list]:
    import datetime as dt
    import random
    rng = random.Random(7)
    return {"id": [f"P{i}" for i in range(n)],
            "revenue": [D(rng.randint(-10 ** 8, 10 ** 8)).scaleb(-2) for _ in range(n - 2)] + [D("500.00"), D("-0.01")],
            "rate": [D(rng.randint(0, 10 ** 4)).scaleb(-4) for _ in range(n)],
            "meetings": [rng.randint(0, 60) for _ in range(n)],
            "region": [rng.choice(["East", "West"]) for _ in range(n)],
            "new": [rng.choice([True, False, None]) for _ in range(n)],
            "hired": [dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 3000)) for _ in range(n)]}


def mixed_arrow(rows) -> pa.Table:
    return pa.table({"id": pa.array(rows["id"]), "revenue": money(rows["revenue"]), "rate": money(rows["rate"], 4),
                     "meetings": pa.array(rows["meetings"], pa.int64()), "region": pa.array(rows["region"]),
                     "new": pa.array(rows["new"], pa.bool_()), "hired": pa.array(rows["hired"], pa.date32())})


@pytest.mark.parametrize("header", ["rounding half_up at line", "rounding half_even at component",
                                    "rounding ceiling at line"])
def test_a_polars_frame_gives_the_same_table(header):
    pl = pytest.importorskip("polars")
    plan = plan_of(MIXED, header)
    rows = mixed_rows()
    arrow = mixed_arrow(rows)
    frame = pl.DataFrame(rows, schema={"id": pl.Utf8, "revenue": pl.Decimal(18, 2), "rate": pl.Decimal(18, 4),
                                       "meetings": pl.Int64, "region": pl.Utf8, "new": pl.Boolean, "hired": pl.Date})
    from_arrow = run_and_compare(plan, arrow)
    from_polars = plan.run_table(frame)
    assert from_polars.table.equals(from_arrow.table)
    assert from_polars.row_payees == from_arrow.row_payees


@pytest.mark.parametrize("header", ["rounding half_up at line", "rounding half_even at component",
                                    "rounding floor at payout"])
def test_output_columns_are_decimals_never_floats(header):
    plan = plan_of(MIXED.replace("revenue / 3 * 3 * 1%", "revenue / 4 * 1%"), header)
    for engine in ("columnar", "row"):
        out = plan.run_table(mixed_arrow(mixed_rows()), engine=engine).table
        for name in ("c", "d", "total"):
            t = out.schema.field(name).type
            assert pa.types.is_decimal(t) and not pa.types.is_floating(t), (name, t)
        assert out.schema.field("total").type.scale == plan.ir.minor_units
        assert pa.types.is_boolean(out.schema.field("award_a").type)
        assert pa.types.is_string(out.schema.field("id").type)


@pytest.mark.parametrize("body", [MIXED, BIG, PLAIN, PRORATED])
def test_engine_row_gives_the_same_table(body):
    plan = plan_of(body, effective="effective 2026-01-01 to 2026-03-31")
    tables = {MIXED: lambda: mixed_arrow(mixed_rows()),
              BIG: lambda: pa.table({"id": ids(4), "x": money(LIMITS[:4]), "y": money(["1", "999999999999999", "0", "5"]),
                                     "r": money(["10", "0.125", "0", "1"], 4)}),
              PLAIN: plain_table,
              PRORATED: lambda: pa.table({"id": ids(3), "q": money(["1000", "0", "5.55"]), "n": money(["1", "2", "3"]),
                                          "days_active": pa.array([90, 30, 1], pa.int64())})}
    table = tables[body]()
    columnar = plan.run_table(table)
    row = plan.run_table(table, engine="row")
    assert row.engine == "row" and columnar.engine == "columnar"
    assert row.table.to_pylist() == columnar.table.to_pylist()
    assert_same(plan, row, table, days="days_active" if body is PRORATED else None)
