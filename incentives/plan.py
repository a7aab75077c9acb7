"""The front door: a `Plan` you load, run for one payee or a population, explain and render.

Everything here is thin: it checks what it is given, names what is wrong, and hands the work
to the engine (`incentives.engine`) and the sales layer (`incentives.sales`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import warnings
from functools import cached_property
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping as MappingT, Sequence

from dsl.source import Source

from incentives.engine import numbers
from incentives.engine.compiled import CompiledPlan, compile_source as _compile
from incentives.engine.period import period_values
from incentives.engine.result import PayeeResult
from incentives.engine.schedule import population_lines
from incentives.errors import DataError, EvaluationError, Problem
from incentives.sales import activities as activity_records, records
from incentives.sales.inputs import check_inputs
from incentives.sales.params import check_params as _check_params
from incentives.sales.population import Population, parse_period
from incentives.sales.records import Person, Sales
from incentives.sales.tables import Mapping, load_mapping

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from incentives.columnar.run import TableResult

Period = tuple[dt.date, dt.date]


class Plan(CompiledPlan):
    """A checked, compiled plan.  It holds no per-run state: one plan may be run from many threads
    at once, and it pickles (by its source text and hash, compiled again on the other side)."""

    @cached_property
    def hash(self) -> str:
        """SHA-256 of the plan's text: which version of the plan a result came from."""
        return hashlib.sha256(self.source.text.encode("utf-8")).hexdigest()

    @cached_property
    def population_lines(self) -> list:
        """The lines only a population run can pay: (span, what), worked out once."""
        return population_lines(self.ir)

    def __eq__(self, other: object) -> bool:  # the same plan: the same name and text
        return isinstance(other, Plan) and (self.source.name, self.hash) == (other.source.name, other.hash)

    def __hash__(self) -> int:
        return hash((self.source.name, self.hash))

    def __reduce__(self):
        return (_unpickle, (self.source.name, self.source.text, self.hash))

    @property
    def params(self) -> dict[str, Any]:
        """The plan's parameters (`param NAME = VALUE [range LO to HI]`) by name: each an `ir.Param` with
        its name, type, default, range (or None), description and span."""
        return self.ir.params

    def check_params(self, params: MappingT[str, Any] | None) -> dict[str, Any]:
        """Values for the plan's parameters (Decimal, int, or text such as "22%" or "30_000 USD"), parsed
        and checked against each param's type and range.  A DataError names every param that is unknown,
        of the wrong type or out of range.  The params not given keep their defaults."""
        return _check_params(self.ir, params)

    def run(self, values: MappingT[str, Any], payee: str = "", period: str | Period | None = None,
            trace: bool = False, alone: bool = False, days_active: int | None = None,
            params: MappingT[str, Any] | None = None) -> PayeeResult:
        """Evaluate one payee from its input values (Decimal, int, text, dates, or their text as in a
        data file; floats are refused).  A DataError names any input that does not fit.  params: values
        of the plan's parameters for this run (see `check_params`); the others keep their defaults.

        days_active: the payee's days on the plan in the period (a mid-period hire), which sets
        `participation` and prorates `prorated` inputs; the whole period when not given.

        period: "2026-Q1", "2026-03", "2026", "2026-01-01..2026-02-28" or (first day, last day); the
        plan's effective dates when not given.  A plan with lines that only a population can pay
        (pools, per-deal tiers, contest results) raises EvaluationError naming them, unless
        alone=True says to pay them as for a payee alone (0).  Measures are given like inputs."""
        if not alone:
            needed = self.population_lines
            if needed:
                span, what = needed[0]
                more = f" (and {len(needed) - 1} more)" if len(needed) > 1 else ""
                raise EvaluationError(span, f"{what} is paid only in a population run{more}: use "
                                            f"plan.run_population(people=..., deals=...), or run(..., alone=True) "
                                            f"to pay it as for a payee alone (0)", payee or None)
            missing = [m.name for m in self.ir.measures if m.name not in values]
            if missing:
                raise DataError([Problem(f"{'payee ' + payee if payee else 'inputs'}: input {name}: a measure "
                                         f"taken over people or deals: give its value, or use plan.run_population",
                                         code="data", field=name, payee=payee or None) for name in missing])
        given = self.check_params(params)
        misplaced = [name for name in values if name in self.ir.params]
        if misplaced:
            raise DataError([Problem(f"inputs: {name}: a param of the plan, not an input: give it with "
                                     f"params={{{name!r}: ...}}", code="data", field=name, payee=payee or None)
                             for name in misplaced])
        checked = check_inputs(dict(values), self.ir.givable, payee)
        checked.update(given)
        bounds = self._bounds(period)
        if bounds is not None:
            days = None
            if days_active is not None:
                whole = int(period_values(self.ir, {}, *bounds)["period_days"])
                if not 0 <= int(days_active) <= whole or int(days_active) != days_active:
                    raise DataError([Problem(f"days_active: expected a whole number of days from 0 to {whole} (the "
                                             f"days of the period), got {days_active}", code="data",
                                             field="days_active", payee=payee or None)])
                days = (whole, int(days_active))
            period_values(self.ir, checked, *bounds, days)
        return self.evaluator.run(checked, payee, trace)

    def _bounds(self, period: str | Period | None) -> Period | None:
        if period is not None:
            return _period(period)
        if self.ir.uses_period and self.ir.effective is not None:
            start, end = self.ir.effective
            warnings.warn(f"no period given: period_start and period_end are the plan's effective dates, {start} to "
                          f"{end}; give period=\"2026-Q1\" (or a (first day, last day) pair) to pay one period",
                          stacklevel=3)
        return self.ir.effective

    def run_population(self, people: str | Path | MappingT[str, Person] | Sales,
                       deals: str | Path | Sequence[dict[str, Any]] | None = None,
                       splits: str | Path | MappingT[str, list] | None = None,
                       period: str | Period | None = None, mapping: str | Path | None = None,
                       trace: bool = False,
                       activities: str | Path | Sequence[dict[str, Any]] | None = None,
                       params: MappingT[str, Any] | None = None) -> "PopulationResult":
        """Evaluate every person over their credited deals: crediting, measures, contests, pools.
        params: values of the plan's parameters for this run, put in every person's values.

        people, deals, splits, activities: paths to .csv, .json or .parquet files, or what
        `load_people`, `load_deals`, `load_splits` and `load_activities` return (or a whole `Sales`).
        mapping: a TOML column mapping for CRM exports.  period as for `run`; the plan's effective
        dates when not given."""
        if isinstance(people, Sales):
            if deals is not None or splits is not None or mapping is not None or activities is not None:
                raise DataError([Problem("people: a whole `Sales` already holds the deals and splits: give "
                                         "deals=, splits= and mapping= only with a people table", code="data",
                                         field="people")])
            sales = people
            _check_sales(sales)
        else:
            sales = self._sales(people, deals, splits, mapping, activities)
            # rows from files were checked by their loaders: only what was built in Python is checked here
            _check_sales(sales, people=isinstance(people, MappingT), deals=not isinstance(deals, (str, Path)),
                         activities=not isinstance(activities, (str, Path)))
        given = self.check_params(params)
        if given:  # new Person records: the ones given stay as they were
            sales = dataclasses.replace(sales, people={pid: dataclasses.replace(p, values={**p.values, **given})
                                                       for pid, p in sales.people.items()})
        bounds = self._bounds(period)
        results = Population(self, sales, bounds).run(trace)
        return PopulationResult(self, results, bounds)

    def run_table(self, table: Any, deals: Any = None, splits: Any = None, period: str | Period | None = None,
                  engine: str = "columnar", activities: Any = None, explain: Sequence[str] = (),
                  params: MappingT[str, Any] | None = None) -> "TableResult":
        """Evaluate a whole table of payees at once with the columnar evaluator: a pyarrow Table or
        a polars DataFrame, one row per payee (`id` and the plan's inputs; `team` and `manager` for
        a population plan), and for plans over deals a deals table (and a splits table; an activities
        table for plans over activities).  Gives a
        `TableResult`: `.table` has `id`, each component's amount, `total` (exact decimals) and
        each award (`award_<name>`), the row evaluator's amounts to the cent for every payee.

        engine="row" works everything out with the row evaluator (the reference); the columnar
        run also falls back to it, visibly, for lines it does not do (`.row_lines`) and payees it
        cannot decide exactly (`.row_payees`).

        explain: payee ids whose breakdowns to build (`.breakdowns`, by id): the row evaluator traces
        them, and their amounts are checked against the table's (a difference is a bug, raised).

        params: values of the plan's parameters for this run (see `check_params`), the same for every
        payee; the others keep their defaults."""
        from incentives.columnar.api import run_table
        if engine not in ("columnar", "row"):
            raise ValueError(f"engine: expected columnar or row, got {engine!r}")
        given = self.check_params(params)
        bounds = self._bounds(period)
        result = run_table(self, table, deals, splits, bounds, engine, activities, given)
        if explain:
            result.breakdowns = self.explain_table(table, result.table, explain, deals=deals, splits=splits,
                                                   period=period, activities=activities, params=params)
        return result

    def explain_table(self, table: Any, amounts: Any, payees: Sequence[str], deals: Any = None, splits: Any = None,
                      period: str | Period | None = None, activities: Any = None,
                      params: MappingT[str, Any] | None = None) -> dict[str, Any]:
        """The breakdowns of some payees of a `run_table` run, by id: the row evaluator traces them over
        the same tables, and their amounts are checked against `amounts` (that run's `.table`; a
        difference is a bug, raised)."""
        from incentives.columnar.api import traced
        from incentives.explain.build import explain as explain_one
        rows = {r["id"]: r for r in amounts.filter(
            pc.is_in(amounts.column("id"), pa.array(list(payees), pa.string()))).to_pylist()}
        unknown = [pid for pid in payees if pid not in rows]
        if unknown:
            raise DataError([Problem(f"explain: no payee with id {', '.join(unknown[:5])}", code="data",
                                     field="explain")])
        out = {}
        for r, person in traced(self, table, deals, splits, self._bounds(period), activities, list(payees),
                                self.check_params(params)):
            row = rows[r.payee]
            if r.total != row["total"] or any(c.amount != row[c.name] for c in r.components):
                raise RuntimeError(f"internal error: payee {r.payee}: the breakdown ({r.total}) and the columnar "
                                   f"amounts ({row['total']}) disagree; please report it with the plan and row")
            out[r.payee] = explain_one(self, r, person)
        return out

    def _sales(self, people, deals, splits, mapping, activities=None) -> Sales:
        maps = load_mapping(mapping) if mapping is not None else {}
        folks = people if isinstance(people, MappingT) else load_people(people, self, maps.get("people"))
        if self.checked.reads_deals and deals is None:
            raise DataError([Problem("the plan reads deals: give them with deals=...", code="data")])
        if deals is None:
            deal_rows: list = []
        elif isinstance(deals, (str, Path)):
            deal_rows = load_deals(deals, self, folks, maps.get("deals"))
        else:
            deal_rows = list(deals)
        if splits is None:
            split_rows: dict = {}
        elif isinstance(splits, (str, Path)):
            split_rows = load_splits(splits, self, deal_rows, folks, maps.get("splits"))
        else:
            split_rows = dict(splits)
        if self.ir.reads_activities and activities is None:
            raise DataError([Problem("the plan reads activities: give them with activities=...", code="data",
                                     field="activities")])
        if isinstance(activities, (str, Path)):
            activity_rows = load_activities(activities, self, folks, maps.get("activities"))
        else:
            p = self.ir
            activity_rows = sorted((activity_records.new_activity(a, a.get("__where__", f"activities: item {i}"),
                                                                  p.activity_fields, p.activity_field_infos)
                                    if isinstance(a, dict) else a for i, a in enumerate(activities or [], 1)),
                                   key=_activity_order)
        return Sales(dict(folks), deal_rows, split_rows, str(splits) if isinstance(splits, (str, Path)) else "",
                     activity_rows)


@dataclass
class PopulationResult:
    """Every payee's result of a population run, in the people table's order.  Iterate it, index it
    by payee id, or turn it into rows (`to_rows()`: one dict per payee, exact Decimal amounts)."""

    plan: Plan
    results: list[PayeeResult]
    period: Period | None

    def __iter__(self) -> Iterator[PayeeResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, key: str | int) -> PayeeResult:
        """A payee's result by id (`run["AE-1"]`), or by position (`run[0]`)."""
        if isinstance(key, int):
            return self.results[key]
        by_id = self.__dict__.get("_by_id")
        if by_id is None:
            by_id = self.__dict__["_by_id"] = {r.payee: r for r in self.results}
        return by_id[key]

    @property
    def total(self) -> Decimal:
        return sum((r.total for r in self.results), Decimal(0))

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat dict per payee, every column of one type: `payee` (the id), each component's
        amount by name, `total`, and for each award `NAME` (granted: bool) and, where the award has a
        value, `NAME.value` (its cash equivalent when granted, else 0).  Amounts are exact Decimals.
        Plan names cannot clash with `payee`, `total` or `X.value` (the language reserves them)."""
        valued = {a.name for a in self.plan.ir.awards if a.value is not None}
        rows = []
        for r in self.results:
            row: dict[str, Any] = {c.name: c.amount for c in r.components}
            row["total"] = r.total
            for a in r.awards:
                row[a.name] = a.granted
                if a.name in valued:
                    row[a.name + ".value"] = a.value if a.granted and a.value is not None else Decimal(0)
            rows.append({"payee": r.payee, **row})
        return rows

    def __repr__(self) -> str:
        digits = self.plan.ir.minor_units
        return (f"<PopulationResult {self.plan.name}: {len(self.results)} payees, total "
                f"{numbers.money(self.total, digits)} {self.plan.ir.currency}>")


def _period(period: str | Period) -> Period:
    """A period name, or (first day, last day) as dates (datetimes are refused: they carry a time)."""
    if isinstance(period, str):
        try:
            return parse_period(period)
        except DataError as e:
            raise DataError([Problem(f"period: {p}", code="data", field="period") for p in e.problems]) from None
    ok = (isinstance(period, (tuple, list)) and len(period) == 2
          and all(type(d) is dt.date for d in period) and period[0] <= period[1])
    if not ok:
        raise DataError([Problem(f"period: expected a name such as \"2026-Q1\", or (first day, last day) as "
                                 f"datetime.date values with first <= last; got {period!r}", code="data",
                                 field="period")])
    return period[0], period[1]


def _check_sales(sales: Sales, people: bool = True, deals: bool = True, activities: bool = True) -> None:
    """Tables built in Python get the checks the file loaders make: people are `Person` records,
    every deal and activity has its required columns with exact values and an owner among the people."""
    problems = []
    for pid, person in sales.people.items() if people else ():
        if not isinstance(person, Person):
            problems.append(Problem(f"people: `{pid}`: expected a Person (use incentives.load_people), got "
                                    f"{type(person).__name__}", code="data", field="people"))
    if deals:
        problems += _check_rows("deal", sales.deals, ("id", "owner", "amount", "date"), sales.people)
    if activities:
        problems += _check_rows("activity", sales.activities, ("id", "owner", "date", "type"), sales.people)
    if problems:
        raise DataError(problems)


def compile_source(source: Source) -> Plan:
    """Parse, check and compile a plan's source; raises PlanError with every problem found."""
    return _compile(source, Plan)  # type: ignore[return-value]


def compile_text(text: str, name: str = "<plan>") -> Plan:
    """A plan from its text (name is used in messages as the file name)."""
    return compile_source(Source(name, text))


def load_plan(path: str | Path) -> Plan:
    """Read, parse, check and compile a plan file; raises PlanError with every problem found."""
    return compile_source(Source.from_path(path))


def _unpickle(name: str, text: str, digest: str) -> Plan:
    plan = compile_text(text, name)
    if plan.hash != digest:  # pragma: no cover - sha256 of the same text
        raise EvaluationError(plan.evaluator.plan_span, "the plan's text changed in transit")
    return plan


def load_people(path: str | Path, plan: CompiledPlan, mapping: Mapping | None = None) -> dict[str, Person]:
    """The people table (.csv, .json, .parquet): each person's id, team, manager and the plan's inputs."""
    return records.load_people(path, plan.ir.inputs, mapping)


def load_deals(path: str | Path, plan: CompiledPlan, people: MappingT[str, Person],
               mapping: Mapping | None = None) -> list[dict[str, Any]]:
    """Deals (.csv, .json, .parquet) checked against the plan's deal columns and the people table."""
    p = plan.ir
    return records.load_deals(path, p.deal_fields, dict(people), p.currency, mapping, p.deal_columns,
                              p.deal_field_infos)


def load_activities(path: str | Path, plan: CompiledPlan, people: MappingT[str, Person],
                    mapping: Mapping | None = None) -> list[dict[str, Any]]:
    """Activities (.csv, .json, .parquet: meetings, calls, visits) checked against the plan's
    activity columns and the people table: id, owner, date, type and the declared columns."""
    p = plan.ir
    return activity_records.load_activities(path, p.activity_fields, dict(people), mapping, p.activity_columns,
                                            p.activity_field_infos)


def _activity_order(a: Any) -> tuple:
    return (a.get("date"), str(a.get("id"))) if isinstance(a, dict) and type(a.get("date")) is dt.date else (
        dt.date.min, "")


def _check_rows(kind: str, rows: Sequence, required: tuple[str, ...], people: MappingT[str, Person],
                limit: int = 50) -> list[Problem]:
    """Deal or activity rows built in Python, checked as the file loaders check them: dicts with the
    required columns, an exact Decimal amount, a `datetime.date` date and an owner among the people."""
    table = "deals" if kind == "deal" else "activities"
    problems: list[Problem] = []
    for i, row in enumerate(rows, 1):
        where = f"{table}: item {i}"
        if not isinstance(row, dict):
            problems.append(Problem(f"{where}: expected {'an' if kind == 'activity' else 'a'} {kind} as a dict "
                                    f"(use incentives.load_{table})", code="data", field=table))
            continue
        missing = [c for c in required if c not in row]
        if missing:
            problems.append(Problem(f"{where}: no {', '.join(missing)}", code="data", field=missing[0]))
            continue
        if "amount" in required and not isinstance(row["amount"], Decimal):
            problems.append(Problem(f"{where}, column amount: expected a Decimal, got {type(row['amount']).__name__}",
                                    code="data", field="amount"))
        if type(row["date"]) is not dt.date:
            problems.append(Problem(f"{where}, column date: expected a datetime.date", code="data", field="date"))
        if row["owner"] not in people:
            problems.append(Problem(f"{where}, column owner: `{row['owner']}` is not in the people table",
                                    code="data", field="owner"))
        if len(problems) >= limit:
            break
    return problems


def load_splits(path: str | Path, plan: CompiledPlan, deals: Sequence[dict[str, Any]],
                people: MappingT[str, Person], mapping: Mapping | None = None) -> dict[str, list]:
    """Split and overlay rows (deal, person, share, kind), checked against the deals and people."""
    return records.load_splits(path, list(deals), dict(people), mapping)
