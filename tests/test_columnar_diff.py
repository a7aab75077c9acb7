"""The columnar evaluator against the row evaluator, on every bundled plan.

For each plan in plans/*.plan a population of payees is generated from the plan's declared inputs
(`plan.ir.givable`), with a fixed seed: values spread over the declared ranges, and on purpose the
values where amounts change: the range ends, zero, the plan's own constants (band bounds, gate
thresholds) and one minor unit either side, and inputs set to an exact multiple of another input
(revenue at exactly 50%, 100%, 150% of quota, say).  The table goes through `plan.run_table`, and
every payee's component amounts, total and awards must equal (Decimal ==) what `plan.run` gives.

Population plans (measures over deals, team and reports measures, contests, pools) are compared with
`plan.run_population` over the bundled people, deals, splits and activities (read with pyarrow, with
proper types), and over a bigger population cloned from them (40 copies: ids, teams, managers, deals
and splits suffixed, deal amounts varied); where the reference refuses the data (deals in another
currency with no rates), run_table must refuse it too.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from dsl.types import T
from incentives import load_plan
from incentives.engine import ir

ROOT = Path(__file__).resolve().parent.parent
PLANS = sorted((ROOT / "plans").glob("*.plan"))
DATA = ROOT / "plans" / "data"
SEED = 20260417
NUMERIC = (T.MONEY, T.PERCENT, T.NUMBER, T.COUNT)
SCALE = {T.MONEY: 2, T.PERCENT: 4, T.NUMBER: 2, T.COUNT: 0}

pytestmark = pytest.mark.filterwarnings("ignore:no period given")


def _load(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_plan(path)


_PLANS = {p.stem: _load(p) for p in PLANS}
PERSON = [name for name, plan in _PLANS.items() if not plan.ir.needs_population]
POPULATION = [name for name, plan in _PLANS.items() if plan.ir.needs_population]

#: Person-level plans whose lines the columnar evaluator does not all do (so the run is the row
#: evaluator's and `row_lines` names the line): none of the bundled ones.
PERSON_ROW_LINES: set[str] = set()
#: Population plans with a line the columnar population run leaves to the row population run
#: (`incentives.columnar.groups.unsupported`): none of the bundled ones any more (tiers per deal and on
#: a running total, and measures of activities, are columnar now).
POPULATION_ROW_LINES: set[str] = set()


def test_the_plan_lists_are_complete():
    assert set(PERSON) | set(POPULATION) == {p.stem for p in PLANS}
    assert len(PERSON) >= 8 and len(POPULATION) >= 10
    assert PERSON_ROW_LINES <= set(PERSON) and POPULATION_ROW_LINES <= set(POPULATION)


# ---- comparing a table result with row results ----
def assert_same(plan, result, expected: dict[str, Any], ids: list[str]) -> None:
    """Every payee's components, total and awards in `result.table` equal the row evaluator's."""
    table = result.table
    names = [c.name for c in plan.ir.components]
    awards = [f"award_{a.name}" for a in plan.ir.awards]
    columns = [c for a in plan.ir.awards for c in ([f"award_{a.name}"] + ([f"award_{a.name}_value"] if a.value is not None
                                                                           else []))]
    assert table.column_names == ["id", *names, "total", *columns]
    for name in [*names, "total"]:
        assert pa.types.is_decimal(table.schema.field(name).type), (name, table.schema.field(name).type)
    for name in awards:
        assert pa.types.is_boolean(table.schema.field(name).type)
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == ids
    wrong = []
    for row in rows:
        ref = expected[row["id"]]
        for comp in ref.components:
            if row[comp.name] != comp.amount:
                wrong.append((row["id"], comp.name, row[comp.name], comp.amount))
        if row["total"] != ref.total:
            wrong.append((row["id"], "total", row["total"], ref.total))
        for award in ref.awards:
            if row[f"award_{award.name}"] is not award.granted:
                wrong.append((row["id"], f"award_{award.name}", row[f"award_{award.name}"], award.granted))
            if f"award_{award.name}_value" in row and row[f"award_{award.name}_value"] != award.value:
                wrong.append((row["id"], f"award_{award.name}_value", row[f"award_{award.name}_value"], award.value))
    assert not wrong, f"{len(wrong)} differences (payee, column, columnar, row), first ones: {wrong[:8]}"


# ---- a generated population for a person-level plan ----
def plan_constants(plan) -> list[Decimal]:
    """The numbers written in the plan (band bounds, thresholds, rates), where amounts change."""
    p = plan.ir
    roots = [p.lets, p.components, p.awards, p.payout, list(p.curves.values()), list(p.rules.values())]
    found = {n.value for n in ir.walk(roots)
             if isinstance(n, ir.Const) and isinstance(n.value, Decimal) and not isinstance(n.value, bool)}
    return sorted(found)


def _cells(value: Decimal, t: T) -> Decimal:
    return value.quantize(Decimal(1)) if t == T.COUNT else value


def generate_payees(plan, n: int, seed: int = SEED) -> tuple[list[str], dict[str, list[Any]]]:
    """n payees' input values (None: left empty, for inputs with a default), boundaries included."""
    rng = random.Random(seed)
    inputs = plan.ir.givable
    consts = plan_constants(plan)
    factors = sorted({c for c in consts if 0 < c <= 3} | {Decimal("0.5"), Decimal(1), Decimal("1.5")})
    ids = [f"P-{i:05d}" for i in range(n)]
    columns: dict[str, list[Any]] = {}
    for name, info in inputs.items():
        t = info.type
        if t in NUMERIC:
            lo, hi = info.range if info.range is not None else (Decimal(0), Decimal(1_000_000))
            q = SCALE[t]
            step = Decimal(1).scaleb(-q)
            edges = {lo, hi, lo + step, hi - step, Decimal(0)}
            for c in consts:
                edges |= {c, c - step, c + step}
            edges = sorted(e for e in edges if lo <= e <= hi and (t != T.COUNT or e == e.to_integral_value()))
            values = []
            for _ in range(n):
                pick = rng.random()
                if pick < 0.25 and edges:
                    v = rng.choice(edges)
                elif pick < 0.35:  # small values, where the first bands are
                    v = Decimal(rng.randint(int(lo * 10 ** q), int(min(hi, lo + 100) * 10 ** q))).scaleb(-q)
                else:
                    v = Decimal(rng.randint(int(lo * 10 ** q), int(hi * 10 ** q))).scaleb(-q)
                values.append(_cells(v, t))
        elif t == T.TEXT:
            choices = list(info.choices) if info.choices is not None else ["East", "West", "North", " East "]
            values = [rng.choice(choices) for _ in range(n)]
        elif t == T.BOOL:
            values = [rng.random() < 0.5 for _ in range(n)]
        elif t == T.DATE:
            lo, hi = info.range if info.range is not None else (dt.date(2025, 1, 1), dt.date(2027, 12, 31))
            values = [lo + dt.timedelta(days=rng.randint(0, (hi - lo).days)) for _ in range(n)]
        else:  # pragma: no cover
            raise TypeError(t)
        if info.has_default:  # some payees leave it empty: the default
            values = [None if rng.random() < 0.1 else v for v in values]
        columns[name] = values
    # one input an exact multiple of another of its kind: revenue at exactly 50%, 100%, 150% of quota
    kinds: dict[T, list[str]] = {}
    for name, info in inputs.items():
        if info.type in (T.MONEY, T.PERCENT, T.COUNT):
            kinds.setdefault(info.type, []).append(name)
    for t, names in kinds.items():
        if len(names) < 2:
            continue
        for i in range(n):
            if rng.random() >= 0.3:
                continue
            x, y = rng.sample(names, 2)
            base = columns[y][i]
            if base is None:
                continue
            if t == T.MONEY and rng.random() < 0.5:  # a round base, so that fractions of it stay exact
                lo, hi = inputs[y].range or (Decimal(0), Decimal(1_000_000))
                base = max(lo, min(hi, (base / 1000).quantize(Decimal(1)) * 1000))
            value = rng.choice(factors) * base
            lo, hi = inputs[x].range or (Decimal(-(10 ** 14)), Decimal(10 ** 14))
            if not lo <= value <= hi or (t == T.COUNT and value != value.to_integral_value()):
                continue
            if -value.as_tuple().exponent > 10:
                continue
            columns[y][i], columns[x][i] = base, _cells(value, t)
    return ids, columns


def arrow_type(info, values: list[Any]) -> pa.DataType:
    t = info.type
    if t == T.COUNT:
        return pa.int64()
    if t in NUMERIC:
        scale = max([SCALE[t]] + [max(0, -v.as_tuple().exponent) for v in values if v is not None])
        return pa.decimal128(18, scale)
    return {T.TEXT: pa.string(), T.BOOL: pa.bool_(), T.DATE: pa.date32()}[t]


def build_table(plan, ids: list[str], columns: dict[str, list[Any]]) -> pa.Table:
    arrays = {"id": pa.array(ids, type=pa.string())}
    for name, values in columns.items():
        arrays[name] = typed_array(plan.ir.givable[name], values)
    return pa.table(arrays)


def row_results(plan, ids, columns, period=None) -> dict[str, Any]:
    out = {}
    for i, pid in enumerate(ids):
        values = {name: col[i] for name, col in columns.items() if col[i] is not None}
        out[pid] = plan.run(values, pid, period=period)
    return out


_GENERATED: dict[str, tuple] = {}


def generated(name: str, n: int = 1500):
    if name not in _GENERATED:
        plan = _PLANS[name]
        ids, columns = generate_payees(plan, n)
        _GENERATED[name] = (plan, ids, columns, build_table(plan, ids, columns), row_results(plan, ids, columns))
    return _GENERATED[name]


@pytest.mark.parametrize("name", PERSON)
def test_person_plan_columnar_equals_row(name):
    plan, ids, _columns, table, expected = generated(name)
    result = plan.run_table(table)
    assert_same(plan, result, expected, ids)
    if name in PERSON_ROW_LINES:
        assert result.engine == "row" and result.row_lines
        assert all(span is not None for span, _ in result.row_lines)
    else:
        assert result.engine == "columnar", result.row_lines
        assert result.row_lines == []
    # the payees the row evaluator worked out are named, once each, and are payees of the table
    assert len(set(result.row_payees)) == len(result.row_payees)
    assert set(result.row_payees) <= set(ids)


@pytest.mark.parametrize("name", PERSON)
def test_person_plan_boundaries_were_generated(name):
    """The generated populations do reach the edges: every range end of every numeric input."""
    plan, _ids, columns, _, _ = generated(name)
    for input_name, info in plan.ir.givable.items():
        if info.type in NUMERIC and info.range is not None:
            seen = {v for v in columns[input_name] if v is not None}
            assert info.range[0] in seen and info.range[1] in seen, input_name


@pytest.mark.parametrize("name", PERSON)
def test_person_plan_row_engine_and_slices_agree(name):
    """engine="row" gives the same table; so does the table cut in chunks or sliced (Arrow offsets)."""
    plan, ids, _columns, table, expected = generated(name)
    columnar = plan.run_table(table).table
    row = plan.run_table(table, engine="row")
    assert row.engine == "row"
    assert row.table.to_pylist() == columnar.to_pylist()
    chunked = pa.concat_tables([table.slice(0, 400), table.slice(400, 700), table.slice(1100)])
    assert chunked.column("id").num_chunks == 3
    assert plan.run_table(chunked).table.to_pylist() == columnar.to_pylist()
    part = plan.run_table(table.slice(123, 457))
    assert_same(plan, part, expected, ids[123:123 + 457])


@pytest.mark.parametrize("name", ["account_executive", "chinese_cny", "retroactive_tiers", "awards_bonus"])
def test_exact_band_edges(name):
    """Revenue at exactly each fraction of the target the plan's bands use, and one cent either side."""
    plan = _PLANS[name]
    inputs = plan.ir.givable
    money = [n for n, i in inputs.items() if i.type == T.MONEY]
    revenue, target = money[0], money[1]
    lo_t, hi_t = inputs[target].range
    lo_r, hi_r = inputs[revenue].range
    fractions = [Decimal(x) for x in ("0", "0.5", "0.6", "0.8", "0.9", "1", "1.2", "1.3", "1.5", "2")]
    rng = random.Random(SEED + 1)
    ids, columns = [], {n: [] for n in inputs}
    k = 0
    for _ in range(40):
        base = Decimal(rng.randint(int(lo_t), int(hi_t) // 3)).quantize(Decimal(1)) if rng.random() < 0.5 \
            else Decimal(rng.randint(int(lo_t * 100), int(hi_t * 100) // 3)).scaleb(-2)
        for f in fractions:
            for delta in (Decimal("-0.01"), Decimal(0), Decimal("0.01")):
                value = f * base + delta
                if not lo_r <= value <= hi_r:
                    continue
                ids.append(f"E-{k:05d}")
                k += 1
                for n, info in inputs.items():
                    if n == revenue:
                        columns[n].append(value)
                    elif n == target:
                        columns[n].append(base)
                    elif info.type in NUMERIC:
                        lo, hi = info.range
                        q = SCALE[info.type]
                        columns[n].append(_cells(Decimal(rng.randint(int(lo * 10 ** q), int(hi * 10 ** q)))
                                                 .scaleb(-q), info.type))
                    elif info.type == T.BOOL:
                        columns[n].append(rng.random() < 0.5)
                    else:
                        columns[n].append(rng.choice(list(info.choices)))
    table = build_table(plan, ids, columns)
    result = plan.run_table(table)
    assert result.engine == "columnar"
    assert_same(plan, result, row_results(plan, ids, columns), ids)


@pytest.mark.parametrize("name", [n for n in PERSON if any(i.has_default for i in _PLANS[n].ir.givable.values())])
def test_defaulted_columns_may_be_left_out(name):
    """A table without the columns of inputs that have a default: the defaults, as plan.run uses them."""
    plan, ids, columns, table, _ = generated(name)
    kept = {n: c for n, c in columns.items() if not plan.ir.givable[n].has_default}
    table = table.select(["id", *kept])
    result = plan.run_table(table.slice(0, 300))
    assert_same(plan, result, row_results(plan, ids[:300], kept), ids[:300])


@pytest.mark.parametrize("name", PERSON)
def test_bundled_payee_data(name):
    """The plan's own data file (plans/data/NAME.csv), read by pyarrow with the inputs' types."""
    plan = _PLANS[name]
    path = DATA / f"{name}.csv"
    header = next(csv.reader(path.open(encoding="utf-8")))
    inputs = {n: i for n, i in plan.ir.givable.items() if n in header}
    if set(plan.ir.givable) - set(inputs) - {n for n, i in plan.ir.givable.items() if i.has_default}:
        pytest.skip(f"{path.name} is not a payee table of this plan (a period run's data)")
    people, table = read_people(path, plan)
    result = plan.run_table(table)
    ids = table.column("id").to_pylist()
    expected = {pid: plan.run(people[pid], pid) for pid in ids}
    assert_same(plan, result, expected, ids)
    assert result.engine == "columnar"


# ---- population plans: the bundled sales data, and a bigger population cloned from it ----
ORG_TEXT = ("id", "team", "manager", "name", "role", "currency")
DEAL_TYPES = {T.MONEY: pa.decimal128(18, 2), T.DATE: pa.date32(), T.BOOL: pa.bool_(), T.TEXT: pa.string(),
              T.PERCENT: pa.decimal128(18, 6), T.NUMBER: pa.decimal128(18, 4), T.COUNT: pa.int64()}


def typed_array(info, values: list[Any]) -> pa.Array:
    if info.type == T.COUNT:
        return pa.array([None if v is None else int(v) for v in values], type=pa.int64())
    return pa.array(values, type=arrow_type(info, values))


def read_people(path: Path, plan) -> tuple[dict[str, dict[str, Any]], pa.Table]:
    """A people (payees) file as the loader reads it (the values plan.run takes, by payee), and the same
    as a pyarrow table with each input's type (percentages as fractions, counts as integers)."""
    from incentives.sales.inputs import load_payees
    from incentives.sales.records import load_people

    if plan.ir.needs_population:
        people = load_people(path, plan.ir.inputs)
        values = {pid: dict(p.values) for pid, p in people.items()}
        org = {"team": [p.team or None for p in people.values()],
               "manager": [p.manager or None for p in people.values()]}
    else:
        values = dict(load_payees(path, plan.ir.inputs))
        org = {}
    ids = list(values)
    arrays: dict[str, pa.Array] = {"id": pa.array(ids, type=pa.string())}
    for col, items in org.items():
        arrays[col] = pa.array(items, type=pa.string())
    for name, info in plan.ir.inputs.items():
        column = [values[pid].get(name) for pid in ids]
        if all(v is None for v in column):
            continue
        arrays[name] = typed_array(info, column)
    return values, pa.table(arrays)


def _csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def sales_files(name: str, folder: Path, copies: int = 1, seed: int = SEED) -> dict[str, Path]:
    """The plan's bundled sales data as CSV files in `folder`: as they are (copies=1), or cloned
    `copies` times (ids, teams, managers, deals and splits suffixed; deal amounts varied).  People
    get any required input their file lacks (the quota of a plan whose quotas come from a period
    table)."""
    plan = _PLANS[name]
    rng = random.Random(seed)
    header, people = _csv_rows(DATA / f"{name}.csv")
    missing = [n for n, i in plan.ir.inputs.items() if n not in header and not i.has_default]
    header = header + missing
    out_people = []
    for k in range(copies):
        sfx = "" if k == 0 else f"~{k}"
        for row in people:
            row = dict(row)
            row["id"] += sfx
            if row.get("manager"):
                row["manager"] += sfx
            if row.get("team") and copies > 1 and k % 3:
                row["team"] += sfx  # most copies are teams of their own; the rest make bigger teams
            for n in missing:
                lo, hi = plan.ir.inputs[n].range or (Decimal(0), Decimal(1_000_000))
                row[n] = str(Decimal(rng.randint(int(lo), int(min(hi, 400_000)) // 100) * 100))
            out_people.append(row)
    files = {"people": _write_csv(folder / "people.csv", header, out_people)}
    for kind, key in (("deals", "id"), ("splits", "deal"), ("activities", "id")):
        path = DATA / f"{name}.{kind}.csv"
        if not path.exists():
            continue
        cols, rows = _csv_rows(path)
        out = []
        for k in range(copies):
            sfx = "" if k == 0 else f"~{k}"
            for row in rows:
                row = dict(row)
                row[key] += sfx
                for col in ("owner", "person", "deal"):
                    if col in row and col != key and row[col]:
                        row[col] += sfx
                if kind == "deals" and copies > 1 and row.get("currency", "") not in ("", plan.ir.currency):
                    continue  # a deal in another currency needs the period run's rates
                if kind == "deals" and k:
                    amount = Decimal(row["amount"]) * Decimal(rng.randint(50, 150)) / 100
                    row["amount"] = str(amount.quantize(Decimal("0.01")))
                out.append(row)
        files[kind] = _write_csv(folder / f"{kind}.csv", cols, out)
    return files


def _typed(path: Path, types: dict[str, pa.DataType]) -> pa.Table:
    header = next(csv.reader(path.open(encoding="utf-8")))
    options = pacsv.ConvertOptions(column_types={c: types.get(c, pa.string()) for c in header},
                                   strings_can_be_null=False)
    return pacsv.read_csv(path, convert_options=options)


def sales_tables(name: str, files: dict[str, Path]) -> dict[str, pa.Table]:
    """The same files as pyarrow tables with proper types: decimals, dates, booleans; split shares as
    fractions (50% -> 0.5)."""
    plan = _PLANS[name]
    out = {"people": read_people(files["people"], plan)[1]}
    if "deals" in files:
        types = {c: DEAL_TYPES[t] for c, t in plan.ir.deal_fields.items()}
        out["deals"] = _typed(files["deals"], types)
    if "splits" in files:
        raw = _typed(files["splits"], {})
        shares = [Decimal(s.strip().rstrip("%")) / 100 if s.strip().endswith("%") else Decimal(s)
                  for s in raw.column("share").to_pylist()]
        out["splits"] = raw.set_column(raw.column_names.index("share"), "share",
                                       pa.array(shares, type=pa.decimal128(18, 6)))
    if "activities" in files:
        types = {c: DEAL_TYPES[t] for c, t in plan.ir.activity_fields.items()}
        out["activities"] = _typed(files["activities"], types)
    return out


def _population_case(name: str, copies: int, tmp_path: Path) -> None:
    import inspect

    from incentives.errors import DataError, EvaluationError

    plan = _PLANS[name]
    files = sales_files(name, tmp_path, copies)
    tables = sales_tables(name, files)
    kwargs = {k: tables[k] for k in ("deals", "splits") if k in tables}
    if "activities" in tables and "activities" in inspect.signature(plan.run_table).parameters:
        kwargs["activities"] = tables["activities"]
    try:
        reference = plan.run_population(people=files["people"], deals=files.get("deals"),
                                        splits=files.get("splits"), activities=files.get("activities"))
    except (DataError, EvaluationError) as e:  # the data cannot be paid: the columnar run says so too
        with pytest.raises(type(e)):
            plan.run_table(tables["people"], **kwargs)
        return
    result = plan.run_table(tables["people"], **kwargs)
    expected = {r.payee: r for r in reference}
    ids = tables["people"].column("id").to_pylist()
    assert_same(plan, result, expected, ids)
    if name in POPULATION_ROW_LINES:
        assert result.engine == "row" and result.row_lines
        assert all(span is not None for span, _ in result.row_lines), result.row_lines
    elif name in DATA_ROW_FALLBACK:
        assert result.engine in ("row", "columnar")
    else:
        assert result.engine == "columnar", result.row_lines


#: Plans whose deals leave the optional `reversal_date` column empty on some deals: the columnar
#: population run hands those runs to the row evaluator, though neither plan reads the column
#: (see test_an_unread_optional_deal_column_keeps_the_run_columnar).
DATA_ROW_FALLBACK = {"fy2027_ae", "new_hire_ramp"}
@pytest.mark.parametrize("name", POPULATION)
def test_population_plan_bundled_data(name, tmp_path):
    _population_case(name, 1, tmp_path)


@pytest.mark.parametrize("name", POPULATION)
def test_population_plan_cloned_population(name, tmp_path):
    _population_case(name, 40, tmp_path)


@pytest.mark.parametrize("name", POPULATION)
def test_population_plan_row_engine_agrees(name, tmp_path):
    plan = _PLANS[name]
    files = sales_files(name, tmp_path, 3)
    tables = sales_tables(name, files)
    kwargs = {k: tables[k] for k in ("deals", "splits", "activities") if k in tables}
    columnar = plan.run_table(tables["people"], **kwargs)
    row = plan.run_table(tables["people"], engine="row", **kwargs)
    assert row.engine == "row"
    assert row.table.to_pylist() == columnar.table.to_pylist()


@pytest.mark.parametrize("name", sorted(DATA_ROW_FALLBACK))
def test_an_unread_optional_deal_column_keeps_the_run_columnar(name, tmp_path):
    plan = _PLANS[name]
    assert "reversal_date" not in plan.ir.deal_columns
    tables = sales_tables(name, sales_files(name, tmp_path, 2))
    result = plan.run_table(tables["people"], deals=tables["deals"])
    assert result.engine == "columnar", result.row_lines


def test_a_plan_with_measures_of_activities_refuses_a_run_without_them():
    from incentives.errors import DataError

    plan = _PLANS["sdr_activities"]
    with pytest.raises(DataError):
        plan.run_population(people=DATA / "sdr_activities.csv")
    _, people = read_people(DATA / "sdr_activities.csv", plan)
    with pytest.raises(DataError):
        plan.run_table(people)
