"""A payroll export's layout as a mapping file (TOML): which columns, in which order, holding what.  Send
one as the body of `POST /runs/{id}/exports` (Content-Type `application/toml` or `text/plain`) to get the
run's payouts as a CSV import file with exactly those columns.  The presets of
`GET /runs/{id}/exports/{preset}` (generic, workday, adp) are mappings of the same form (`PRESETS`).

    [export]
    zero = false                 # rows paying nothing left out (default false)
    currency = "USD"             # optional: only this currency's rows
    date_format = "%m/%d/%Y"     # optional strftime for dates (default ISO, 2027-01-31)
    decimal_separator = "."      # optional: "." (default) or "," (some payroll systems)
    [codes]                      # earning code per plan name, "*" for any other; default "INC"
    "Account Executive FY2027" = "COMM"
    [[columns]]
    header = "Employee ID"
    field = "payee"
    [[columns]]
    header = "Company"
    value = "ACME"               # a constant

Every `[[columns]]` has a `header` and either a `field` or a `value` (a constant string or integer), never
both.  The fields: `payee` (the person's id), `name` (the person's name), `plan`, `earning_code` (from
`[codes]`), `amount` (what is paid, exact at the currency's minor unit), `currency`, `period` (its name,
2027-01), `period_start` and `period_end` (dates, in `date_format`) and `run` (the run's id).  A code of
`"{plan}"` stands for the plan's name; `[codes]` may name plans a run does not have (one mapping serves
every run).  There is one row per person, plan and period, in period, person and plan order; lines end
with CRLF (RFC 4180).  Every problem in a mapping (not TOML, an unknown key or field, a column with both
or neither of field and value, no columns, a bad date format) answers 422 with one problem per key, each
naming the key in `field` (`columns[2].field`, `export.date_format`, ...)."""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from incentives.errors import DataError, Problem
from incentives.time.ledger import from_minor

FIELDS = ("payee", "name", "plan", "earning_code", "amount", "currency", "period", "period_start", "period_end",
          "run")
PRESET_FIELDS = ("comment", "company", "batch")  # the presets' own: workday's Comment, adp's Co Code and Batch ID
PLAN_NAME = "{plan}"  # an earning code that stands for the plan's name
DEFAULT_CODE = "INC"
DATES = ("period_start", "period_end")
DATE_DIRECTIVES = frozenset("aAbBdjmUWyYGuVw%")  # strftime's portable date directives
MAX_BYTES = 64 * 1024
MAX_COLUMNS = 200
KEYS = {"": ("export", "codes", "columns"), "export": ("zero", "currency", "date_format", "decimal_separator"),
        "column": ("header", "field", "value")}


@dataclass(frozen=True)
class Column:
    header: str
    field: str | None = None  # one of FIELDS (or PRESET_FIELDS in a preset)
    value: str | None = None  # a constant


@dataclass(frozen=True)
class Mapping:
    columns: tuple[Column, ...]
    codes: dict[str, str] = field(default_factory=dict)
    zero: bool = False
    currency: str | None = None
    date_format: str | None = None
    decimal_separator: str = "."

    def code(self, plan: str) -> str:
        code = self.codes.get(plan, self.codes.get("*", DEFAULT_CODE))
        return plan if code == PLAN_NAME else code


def _key(name: str) -> str:
    """A key as TOML writes it: bare when it may be, quoted otherwise."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)


def _text(value: Any, longest: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest and not any(ch in value for ch in "\x00\r\n")


def _date_format(value: Any) -> str | None:
    """Why `value` is not a strftime format of date directives (None when it is one)."""
    if not _text(value, 64):
        return "a strftime format of 1 to 64 characters, such as \"%m/%d/%Y\""
    directives = re.findall(r"%(.?)", value)
    bad = [d for d in directives if d not in DATE_DIRECTIVES]
    if bad:
        return (f"%{bad[0]} is not a date directive (use %{', %'.join(sorted(DATE_DIRECTIVES - {'%'}))}, "
                f"or %% for a percent sign)")
    if not any(d != "%" for d in directives):
        return "no date directive (such as %Y, %m or %d): every date would be the same text"
    return None


def parse(data: Any, fields: tuple[str, ...] = FIELDS) -> Mapping:
    """The mapping of a parsed TOML document; a DataError with a problem per bad key otherwise."""
    problems: list[Problem] = []

    def bad(key: str | None, message: str) -> None:
        problems.append(Problem(f"mapping: {key}: {message}" if key else f"mapping: {message}", code="mapping",
                                message=message, field=key))

    def unknown(table: dict, allowed: tuple[str, ...], prefix: str) -> None:
        for name in table:
            if name not in allowed:
                bad(prefix + _key(name), f"unknown key (the keys here: {', '.join(allowed)})")

    if not isinstance(data, dict):
        raise DataError([Problem("mapping: a TOML document", code="mapping", message="a TOML document")])
    unknown(data, KEYS[""], "")
    options: dict[str, Any] = {}
    export = data.get("export", {})
    if not isinstance(export, dict):
        bad("export", "a table ([export])")
        export = {}
    unknown(export, KEYS["export"], "export.")
    if "zero" in export:
        if isinstance(export["zero"], bool):
            options["zero"] = export["zero"]
        else:
            bad("export.zero", "true or false")
    if "currency" in export:
        if isinstance(export["currency"], str) and re.fullmatch(r"[A-Z]{3}", export["currency"]):
            options["currency"] = export["currency"]
        else:
            bad("export.currency", "a currency code of three capital letters, such as \"USD\"")
    if "date_format" in export:
        why = _date_format(export["date_format"])
        if why:
            bad("export.date_format", why)
        else:
            options["date_format"] = export["date_format"]
    if "decimal_separator" in export:
        if export["decimal_separator"] in (".", ","):
            options["decimal_separator"] = export["decimal_separator"]
        else:
            bad("export.decimal_separator", "\".\" or \",\"")
    codes = data.get("codes", {})
    if not isinstance(codes, dict):
        bad("codes", "a table ([codes]) of plan name = earning code")
        codes = {}
    for plan, code in codes.items():
        if not _text(code, 100):
            bad(f"codes.{_key(plan)}", "an earning code: a string of 1 to 100 characters on one line")
    columns: list[Column] = []
    given = data.get("columns")
    if not isinstance(given, list) or not given:
        bad("columns", "one [[columns]] table or more, each with a header and a field or a value")
        given = []
    elif len(given) > MAX_COLUMNS:
        bad("columns", f"at most {MAX_COLUMNS} columns")
        given = []
    for i, column in enumerate(given, 1):
        at = f"columns[{i}]"
        if not isinstance(column, dict):
            bad(at, "a table ([[columns]]) with a header and a field or a value")
            continue
        unknown(column, KEYS["column"], at + ".")
        header, name, value = column.get("header"), column.get("field"), column.get("value")
        if not (isinstance(header, str) and len(header) <= 200 and "\x00" not in header):
            bad(at + ".header", "the column's header: a string of at most 200 characters")
        if ("field" in column) == ("value" in column):
            bad(at, "give a field or a value (a constant), one of the two")
        elif "field" in column and name not in fields:
            bad(at + ".field", f"unknown field {name!r} (the fields: {', '.join(fields)})")
        elif "value" in column:
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not (isinstance(value, str) and len(value) <= 1000 and "\x00" not in value):
                bad(at + ".value", "a constant: a string of at most 1000 characters, or an integer")
        columns.append(Column(header, name, value))
    if problems:
        raise DataError(problems)
    return Mapping(tuple(columns), dict(codes), **options)


def load(content: bytes, fields: tuple[str, ...] = FIELDS) -> Mapping:
    """The mapping of a TOML file's bytes (UTF-8); a DataError naming the problem otherwise."""
    try:
        data = tomllib.loads(content.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as e:
        raise DataError([Problem(f"mapping: not TOML: not UTF-8 text (byte {e.start + 1})", code="mapping",
                                 message=f"not TOML: not UTF-8 text (byte {e.start + 1})")]) from None
    except (tomllib.TOMLDecodeError, RecursionError) as e:
        where = re.search(r"line (\d+), column (\d+)", str(e))
        message = f"not TOML: {e}" if isinstance(e, tomllib.TOMLDecodeError) else "not TOML: nested too deeply"
        raise DataError([Problem(f"mapping: {message}", code="mapping", message=message,
                                 line=int(where.group(1)) if where else None,
                                 column=int(where.group(2)) if where else None)]) from None
    return parse(data, fields)


def records(mapping: Mapping, run_id: str, rows: list[Any], extra: dict[str, str]) -> list[dict[str, str]]:
    """Every row's fields (not yet formatted), in period, person and plan order."""
    out = []
    for r in rows:
        if (not mapping.zero and r.paid_minor == 0) or (mapping.currency is not None
                                                         and r.currency != mapping.currency):
            continue
        statement = json.loads(r.statement)
        out.append({"payee": r.payee, "name": r.name, "plan": r.plan, "earning_code": mapping.code(r.plan),
                    "amount": format(from_minor(r.paid_minor, r.currency), "f"), "currency": r.currency,
                    "period": r.period, "period_start": statement["start"], "period_end": statement["end"],
                    "run": run_id, "comment": f"{r.plan} {r.period} (run {run_id})", **extra})
    out.sort(key=lambda x: (x["period_start"], x["period_end"], x["payee"], x["plan"]))
    return out


def _formatted(mapping: Mapping, name: str, value: str) -> str:
    if name == "amount" and mapping.decimal_separator != ".":
        return value.replace(".", mapping.decimal_separator)
    if name in DATES and mapping.date_format:
        try:
            return date.fromisoformat(value).strftime(mapping.date_format)
        except ValueError:
            return value
    return value


def render(mapping: Mapping, run_id: str, rows: list[Any], extra: dict[str, str] | None = None) -> str:
    """The CSV import file: the header, then a line per record (CRLF line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.header for c in mapping.columns])
    for rec in records(mapping, run_id, rows, extra or {}):
        writer.writerow([c.value if c.field is None else _formatted(mapping, c.field, rec[c.field])
                         for c in mapping.columns])
    return buf.getvalue()


PRESET_TEXT = {  # the presets, as the mapping files a payroll system could send
    "generic": """columns = [
        {header = "employee_id", field = "payee"}, {header = "earning_code", field = "earning_code"},
        {header = "amount", field = "amount"}, {header = "currency", field = "currency"},
        {header = "period_start", field = "period_start"}, {header = "period_end", field = "period_end"}]""",
    "workday": """codes = {"*" = "{plan}"}
    columns = [
        {header = "Employee_ID", field = "payee"}, {header = "One_Time_Payment_Plan", field = "earning_code"},
        {header = "Amount", field = "amount"}, {header = "Currency", field = "currency"},
        {header = "Effective_Date", field = "period_end"}, {header = "Comment", field = "comment"}]""",
    "adp": """columns = [
        {header = "Co Code", field = "company"}, {header = "Batch ID", field = "batch"},
        {header = "File #", field = "payee"}, {header = "Earnings Code", field = "earning_code"},
        {header = "Earnings Amount", field = "amount"}, {header = "Currency", field = "currency"},
        {header = "Pay Period End", field = "period_end"}]""",
}
PRESETS = {name: load(text.encode(), FIELDS + PRESET_FIELDS) for name, text in PRESET_TEXT.items()}
