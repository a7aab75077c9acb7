"""Payee data: parsing by declared type, range checks, located errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dsl.types import T
from incentives import DataError, compile_text
from incentives.sales.inputs import load_payees

PLAN = compile_text('''plan "d" { currency USD period month }
input revenue: money range 0 USD to 1_000_000 USD
input share: percent default 100%
input meetings: count range 0 to 100
input active: bool
input region: text in {"East", "West"}
input hired: date
component c { pay 1 USD }
''', "d.plan")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_values_are_parsed_by_type(tmp_path):
    path = write(tmp_path, "ok.csv", "id,revenue,share,meetings,active,region,hired\n"
                                     'a,"150,000.50",85%,12,yes,East,2026-02-01\nb,0,,0,false,West,2025-12-31\n')
    rows = load_payees(path, PLAN.ir.inputs)
    assert rows[0] == ("a", {"revenue": Decimal("150000.50"), "share": Decimal("0.85"), "meetings": Decimal(12),
                             "active": True, "region": "East", "hired": dt.date(2026, 2, 1)})
    assert rows[1][1]["share"] == Decimal(1)  # the default


def test_json_reads_numbers_as_exact_decimals(tmp_path):
    path = write(tmp_path, "ok.json", '{"payees": [{"id": "a", "revenue": 0.1, "meetings": 3, "active": true, '
                                      '"region": "West", "hired": "2026-01-01", "share": "0.5"}]}')
    (payee, values), = load_payees(path, PLAN.ir.inputs)
    assert values["revenue"] == Decimal("0.1") and isinstance(values["revenue"], Decimal)
    assert values["share"] == Decimal("0.5")


@pytest.mark.parametrize("cell,expected", [
    ("revenue=abc", "row 2, column revenue: expected a decimal number such as 1250.50"),
    ("revenue=-5", "row 2, column revenue: expected a value from 0 to 1,000,000"),
    ("meetings=2.5", "row 2, column meetings: expected a whole number such as 12"),
    ("active=maybe", "row 2, column active: expected true or false"),
    ("region=North", 'row 2, column region: expected one of "East", "West"; got "North"'),
    ("hired=2026-02-30", "row 2, column hired: expected a date written YYYY-MM-DD"),
    ("share=lots", "row 2, column share: expected a percentage such as 85% or 0.85"),
    ("revenue=", "row 2, column revenue: no value; expected money"),
])
def test_bad_cells_are_named_by_row_and_column(tmp_path, cell, expected):
    row = {"id": "a", "revenue": "10", "share": "", "meetings": "1", "active": "true", "region": "East",
           "hired": "2026-01-01"}
    column, value = cell.split("=")
    row[column] = value
    path = write(tmp_path, "bad.csv", ",".join(row) + "\n" + ",".join(row.values()) + "\n")
    with pytest.raises(DataError) as e:
        load_payees(path, PLAN.ir.inputs)
    assert len(e.value.problems) == 1
    assert e.value.problems[0].startswith(f"{path}: {expected}")


def test_all_problems_are_reported_at_once(tmp_path):
    path = write(tmp_path, "bad.csv", "id,revenue,meetings,active,region,hired\n"
                                      "a,x,1,true,East,2026-01-01\na,1,y,true,East,2026-01-01\n"
                                      ",1,1,true,East,2026-01-01\n")
    with pytest.raises(DataError) as e:
        load_payees(path, PLAN.ir.inputs)
    assert [p.split(": ", 1)[1] for p in e.value.problems] == [
        "row 2, column revenue: expected a decimal number such as 1250.50",
        "row 3, column id: payee id `a` appears twice (first at row 2)",
        "row 4: `id` is empty: every payee needs an id",
    ]


def test_missing_column_suggests_the_misspelt_one(tmp_path):
    path = write(tmp_path, "bad.csv", "id,revenu,meetings,active,region,hired\n")
    with pytest.raises(DataError) as e:
        load_payees(path, PLAN.ir.inputs)
    assert "missing column `revenue`" in e.value.problems[0]
    assert "is `revenu` meant to be `revenue`?" in e.value.problems[0]


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(DataError, match="unknown data format"):
        load_payees(write(tmp_path, "x.xlsx", ""), PLAN.ir.inputs)


@pytest.mark.parametrize("t, cells", [
    (T.MONEY, ["1250.50", " 1250.50 ", "1,250.50", "1_250.5", "-3", "1e3", "12.", "", "abc", "1" * 20,
               Decimal("1250.50"), Decimal("NaN"), Decimal("1" * 20), 7, True, dt.date(2026, 1, 1)]),
    (T.NUMBER, ["0.5", "-0.25", "7", "1,000", "x", Decimal("-0.25")]),
    (T.DATE, ["2026-01-31", " 2026-01-31", "2026-02-30", "31/01/2026", "", dt.date(2026, 1, 31), Decimal(3)]),
    (T.TEXT, [" North ", "", "Ünïcode", 1042, Decimal("1042.0")]),
    (T.PERCENT, ["85%", "0.85", "x%", Decimal("0.85")]),
    (T.COUNT, ["12", "12.5"]),
    (T.BOOL, ["true", "no", "maybe", True, False, 1]),
])
def test_the_fast_column_reader_agrees_with_parse_value(t, cells):
    from incentives.sales.inputs import ValueProblem, parse_value, reader

    read = reader(t)
    for cell in cells:
        try:
            expected = parse_value(cell, t)
        except ValueProblem as e:
            with pytest.raises(ValueProblem) as info:
                read(cell)
            assert str(info.value) == str(e), cell
        else:
            assert read(cell) == expected and type(read(cell)) is type(expected), cell
