"""Scenario files: a plan designer's "what if" (TOML: name, description, plan, [params], [[change]] blocks
with column and one of multiply / add / set and an optional where, [pilot]), checked and located like plan
errors.  `load_scenario`/`parse_scenario` read a file and check its shape; `Scenario.check(plan, table)`
checks the rest against the plan and the payees' table, values parsed exactly (Decimal, never float).
Every problem is a `ScenarioError` naming file, line and column (`locate_keys` finds keys in the text:
tomllib gives no positions).  `apply_changes` and `pilot_mask` act on a pyarrow table."""

from __future__ import annotations

import bisect
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dsl.source import read_file
from dsl.types import NUMERIC, T, describe
from incentives.errors import DataError, IncentivesError, Problem
from incentives.sales import inputs
from incentives.sales.tables import MAX_MAPPING_BYTES, DataFileError

KEYS = ("name", "description", "plan", "params", "change", "pilot")
CHANGE_KEYS = ("column", "multiply", "add", "set", "where")
OPS = ("multiply", "add", "set")
_SIGN = {"multiply": "x", "add": "+", "set": "="}
_EXACT = Context(prec=100, traps=[Inexact, InvalidOperation, Overflow])
_BAD = object()  # a value already reported


class ScenarioError(DataError):
    """A scenario that cannot be read or does not fit its plan and data: each problem names file, line, column."""


@dataclass
class Change:
    """`column` multiplied, added to or set (`op`) by `value` where `where` matches (None: all); `at`: its place."""

    column: str
    op: str
    value: Any
    where: dict[str, list] | None = None
    at: tuple[str, int | None, int | None] | None = None

    def __str__(self) -> str:
        return f"{self.column} {_SIGN.get(self.op, self.op)} {_text(self.value)}"


@dataclass
class Scenario:
    """A scenario as read: values raw (as TOML gives them), its shape checked."""

    name: str
    description: str
    path: str  # the file name in messages
    plan_path: Path | None
    params: dict[str, Any]
    changes: list[Change]
    pilot: dict[str, list] | None
    keys: dict[tuple, tuple[int, int]] = field(default_factory=dict, repr=False, compare=False)

    def check(self, plan: Any, table: pa.Table) -> CheckedScenario:
        """Against `plan` (or the plan it swaps in) and the payees' table: params by `plan.check_params`, columns
        by the table and the plan's input types, values parsed exactly; ScenarioError with every problem."""
        if self.plan_path is not None:
            from incentives.plan import load_plan
            try:
                plan = load_plan(self.plan_path)
            except IncentivesError as e:
                first = _Problems(self.path, self.keys).add(("plan",), f"plan {self.plan_path}: cannot use it: "
                                                                       f"{str(e).splitlines()[0]}")
                raise ScenarioError([first, *e.problems]) from None
        p = _Problems(self.path, self.keys, table, {k: v.type for k, v in plan.ir.givable.items()})
        params = p.params(self.params, plan)
        changes = [p.change(c, n) for n, c in enumerate(self.changes)]
        pilot = None if self.pilot is None else p.where(self.pilot, ("pilot",), "pilot")
        if p.items:
            raise ScenarioError(p.items)
        return CheckedScenario(self.name, self.description, plan, params, changes, pilot, self)


@dataclass
class CheckedScenario:
    """A scenario checked: `plan` is the one it runs (its own, else the one it was checked against)."""

    name: str
    description: str
    plan: Any
    params: dict[str, Decimal]
    changes: list[Change]
    pilot: dict[str, list] | None
    scenario: Scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file and check its shape; raises ScenarioError naming line and column."""
    data = read_file(path, MAX_MAPPING_BYTES, "the scenario", DataFileError)
    try:
        return parse_scenario(data.decode("utf-8"), str(path))
    except UnicodeDecodeError as e:
        raise ScenarioError([Problem(f"{path}: byte {e.start}: the scenario is not UTF-8 text", code="scenario",
                                     file=str(path))]) from None


def parse_scenario(text: str, name: str = "<scenario>") -> Scenario:
    """A scenario from its TOML text; name: the file name in messages (a relative `plan` is taken from
    its folder).  Checks the shape: `Scenario.check` checks the rest against a plan and a table."""
    p = _Problems(name, {})
    try:
        doc = tomllib.loads(text, parse_float=Decimal)
        p.keys = locate_keys(text)
    except tomllib.TOMLDecodeError as e:
        at = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        end = (text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1)  # "(at end of document)"
        raise ScenarioError([p.add_at(*((int(at[1]), int(at[2])) if at else end), "not valid TOML: "
                                      + re.sub(r"\s*[(]at [^)]*[)]$", "", str(e)))]) from None
    except RecursionError:
        raise ScenarioError([p.add_at(1, 1, "not a scenario: arrays or tables are nested too deeply")]) from None
    for key in doc:
        if key not in KEYS:
            p.add((key,), f"unknown key `{key}`: a scenario has {', '.join(KEYS)}", key, KEYS)
    for key in ("name", "description", "plan"):
        if not isinstance(doc.get(key, ""), str):
            p.add((key,), f"`{key}` is text in quotes: {key} = \"...\"")
    params = doc.get("params", {})
    if not isinstance(params, dict):
        p.add(("params",), "`params` is a table: a [params] line, then NAME = VALUE lines")
        params = {}
    changes = doc.get("change", [])
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        p.add(("change",), "write each change as a [[change]] block (two brackets)")
        changes = []
    parsed = [_change(c, n, p) for n, c in enumerate(changes)]
    pilot = None if doc.get("pilot") is None else _where(doc["pilot"], ("pilot",), "pilot", p)
    if p.items:
        raise ScenarioError(p.items)
    plan = doc.get("plan")
    return Scenario(doc.get("name") or Path(name).stem, doc.get("description", ""), name,
                    None if plan is None else Path(name).parent / plan, dict(params), parsed, pilot, p.keys)


def quick_scenario(items: list[str]) -> Scenario:
    """A scenario from `--set NAME=VALUE` items: plan parameters only (checked by `Scenario.check`)."""
    bad = [Problem(f"--set {item}: expected NAME=VALUE, e.g. top_rate=22%", code="scenario", field="set")
           for item in items if not re.fullmatch(r"\s*[^=\s][^=]*=\s*\S.*", item)]
    if bad:
        raise ScenarioError(bad)
    params = {name.strip(): value.strip() for name, _, value in (item.partition("=") for item in items)}
    return Scenario(", ".join(items), "", "--set", None, params, [], None)


def _change(c: dict, n: int, p: _Problems) -> Change:
    base, label = ("change", n), f"change {n + 1}"
    for key in c:
        if key not in CHANGE_KEYS:
            p.add(base + (key,), f"{label}: unknown key `{key}`: a change has {', '.join(CHANGE_KEYS)}", key,
                  CHANGE_KEYS)
    column, ops = c.get("column"), [k for k in c if k in OPS]
    if not isinstance(column, str) or not column:
        p.add(base + ("column",), f"{label}: name the column to change: column = \"quota\"")
    if not ops:
        p.add(base, f"{label}: give one of multiply, add or set")
    elif len(ops) > 1:
        p.add(base + (ops[1],), f"{label}: give one of multiply, add or set, not both {ops[0]} and {ops[1]}")
    where = _where(c["where"], base + ("where",), f"{label}: where", p) if "where" in c else None
    return Change(column if isinstance(column, str) else "", ops[0] if ops else "", c[ops[0]] if ops else None,
                  where, (p.file, *p.place(base)))


def _where(spec: Any, base: tuple, label: str, p: _Problems) -> dict[str, list]:
    """A where or pilot table: column -> a value or a list of values, as a list (checked by `_Problems.where`)."""
    if isinstance(spec, dict) and spec:
        return {col: v if isinstance(v, list) else [v] for col, v in spec.items()}
    p.add(base, f"{label}: expected a table of COLUMN = value (or [values]), e.g. {{ region = \"East\" }}")
    return {}


def apply_changes(table: pa.Table, changes: list[Change]) -> pa.Table:
    """The table with each change made in order, exactly: decimal columns keep every decimal a result needs
    (at most 10: more is refused, naming the change), integer columns stay integers while every result is
    whole, nulls stay null under multiply and add.  Values as a checked scenario gives them (no floats)."""
    for c in changes:
        if c.column not in table.column_names:
            raise _refuse(c, f"no column `{c.column}` in the payees' table")
        i = table.column_names.index(c.column)
        old = table.column(i).combine_chunks()
        new = _changed(old, c, np.flatnonzero(pilot_mask(table, c.where)) if c.where else range(len(old)))
        table = table.set_column(i, table.field(i).with_type(new.type), new)
    return table


def pilot_mask(table: pa.Table, pilot: dict[str, list] | None) -> np.ndarray:
    """True for the payees in the pilot (every column's value among its values); all when there is none."""
    mask = np.ones(table.num_rows, dtype=bool)
    for col, values in (pilot or {}).items():
        if col not in table.column_names or any(isinstance(v, float) or v is _BAD for v in values):
            raise ScenarioError([f"{col}: no such column in the payees' table, or a value not exact (check first)"])
        wanted, data = set(values), table.column(col).to_pylist()
        mask &= np.fromiter((v is not None and v in wanted for v in data), dtype=bool, count=len(data))
    return mask


def _fast(old: pa.Array, c: Change, rows) -> pa.Array | None:
    """multiply or add on a decimal or integer column in int64 fixed point (None: the exact Python way
    must do it: nulls, values past int64).  The same results as `_changed`'s, a thousand times faster on
    a million rows: what makes a 100-point sweep of `quota*` cost about 100 runs."""
    from incentives.columnar.tables import decimal_array, decimal_ints, unscaled
    t, value = old.type, c.value
    if c.op not in ("multiply", "add") or old.null_count or not isinstance(value, (int, Decimal)) \
            or isinstance(value, bool) or not (pa.types.is_decimal128(t) or pa.types.is_int64(t)):
        return None
    if pa.types.is_decimal128(t):
        v, scale, odd = decimal_ints(old)
        if odd.any() or scale < 0:
            return None
    else:
        v, scale = old.to_numpy(zero_copy_only=False).astype(np.int64), 0
    d = Decimal(value)
    fs = max(0, -d.as_tuple().exponent)
    f = unscaled(d, fs)
    big = int(np.abs(v).max(initial=0))
    if fs > 18 or big * max(abs(f), 10 ** fs) >= 2 ** 62:
        return None
    mask = np.zeros(len(v), dtype=bool)
    mask[rows] = True
    if c.op == "multiply":
        out, out_scale = np.where(mask, v * f, v * 10 ** fs), scale + fs
    else:
        out, out_scale = np.where(mask, v * 10 ** fs + f * 10 ** scale, v * 10 ** fs), scale + fs
    while out_scale > scale and np.all(out % 10 == 0):
        out, out_scale = out // 10, out_scale - 1
    if out_scale > inputs.MAX_FRACTION_DIGITS:
        raise _refuse(c, f"{c} gives more than {inputs.MAX_FRACTION_DIGITS} decimals")
    if int(np.abs(out).max(initial=0)) >= 10 ** inputs.MAX_WHOLE_DIGITS * 10 ** out_scale:
        raise _refuse(c, f"{c} gives more than {inputs.MAX_WHOLE_DIGITS} digits before the decimal point")
    if pa.types.is_integer(t) and out_scale == 0:
        return pa.array(out, t)
    return decimal_array(out, out_scale)


def _changed(old: pa.Array, c: Change, rows) -> pa.Array:
    fast = _fast(old, c, rows)
    if fast is not None:
        return fast
    t, values, value = old.type, old.to_pylist(), c.value
    numeric = pa.types.is_decimal(t) or pa.types.is_integer(t)
    if not numeric and c.op != "set":
        raise _refuse(c, f"{c.op} needs a number column; `{c.column}` holds {t}")
    if numeric and (not isinstance(value, (int, Decimal)) or isinstance(value, bool)):
        raise _refuse(c, f"expected an exact number (Decimal) for a number column, got {value!r}")
    for r in rows:  # exact: the context raises rather than round (values have at most 38 digits, factors 25)
        x = values[r]
        if c.op == "set":
            values[r] = value
        elif x is not None:
            values[r] = _EXACT.multiply(x, value) if c.op == "multiply" else _EXACT.add(x, value)
    if not numeric:
        return pa.array(values, t)
    scale = t.scale if pa.types.is_decimal(t) else 0
    for x in values:
        if isinstance(x, Decimal) and -x.as_tuple().exponent > scale:  # type: ignore[operator]
            scale = max(scale, -min(0, x.normalize(_EXACT).as_tuple().exponent))  # type: ignore[type-var]
        if x is not None and abs(x) >= 10 ** inputs.MAX_WHOLE_DIGITS:
            raise _refuse(c, f"{c} gives more than {inputs.MAX_WHOLE_DIGITS} digits before the decimal point")
    if scale > inputs.MAX_FRACTION_DIGITS:
        raise _refuse(c, f"{c} gives more than {inputs.MAX_FRACTION_DIGITS} decimals")
    if pa.types.is_integer(t) and scale == 0:
        return pa.array([None if x is None else int(x) for x in values], t)
    wide = pa.decimal128(38, scale)
    try:
        return pa.array(values, t if pa.types.is_decimal(t) and t.scale == scale else wide)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # more digits than the column's precision
        return pa.array(values, wide)


def _refuse(c: Change, message: str) -> ScenarioError:
    file, line, col = c.at or ("", None, None)
    text = message if message.startswith(str(c)) else f"change {c}: {message}"
    return ScenarioError([_Problems(file, {}).add_at(line, col, text)])


class _Problems:
    """The problems of one scenario file, placed by its keys; with the payees' table and the plan's input
    types (`kinds`), the checks of its values against them."""

    def __init__(self, file: str, keys: dict[tuple, tuple[int, int]], table: Any = None, kinds: Any = None):
        self.file, self.keys, self.items, self.table, self.kinds = file, keys, [], table, kinds

    def place(self, path: tuple) -> tuple[int | None, int | None]:  # the key's, or the nearest enclosing one's
        while path and path not in self.keys:
            path = path[:-1]
        return self.keys[path] if path else (1, 1) if self.keys else (None, None)

    def add(self, path: tuple, message: str, near: str | None = None, choices=()) -> Problem:  # hint: near choices
        close = difflib.get_close_matches(near, list(choices), 1) if near is not None else []
        return self.add_at(*self.place(path), message, f"did you mean `{close[0]}`?" if close else None)

    def add_at(self, line: int | None, col: int | None, message: str, hint: str | None = None) -> Problem:
        place = f"{self.file}:{line}:{col}: " if line else f"{self.file}: " if self.file else ""
        self.items.append(Problem(place + message + (f"; {hint}" if hint else ""), code="scenario", message=message,
                                  file=self.file or None, line=line, column=col, hint=hint))
        return self.items[-1]

    def params(self, raw: dict[str, Any], plan: Any) -> dict[str, Decimal]:
        """Each parameter by `plan.check_params` (its type and range), its problems placed on its line."""
        decls, parsed = getattr(plan, "params", None) or {}, {}
        for name, value in raw.items():
            if name not in decls:
                have = f"it has {', '.join(sorted(decls))}" if decls else "it declares none (`param NAME = VALUE`)"
                self.add(("params", name), f"params: the plan has no parameter `{name}`: {have}", name, decls)
                continue
            try:
                parsed.update(plan.check_params({name: value}))
            except DataError as e:
                self.add(("params", name), "params: " + "; ".join(q.message if name in q.message else
                                                                  f"{name}: {q.message}" for q in e.problems))
        return parsed

    def change(self, c: Change, n: int) -> Change:
        base, label = ("change", n), f"change {n + 1}"
        kind = self.column(c.column, base + ("column",), label)
        if kind is not None and c.op != "set" and kind not in NUMERIC:
            self.add(base + (c.op,), f"{label}: {c.op} needs a number column; `{c.column}` is {describe(kind)}")
        if kind is None or (c.op != "set" and kind not in NUMERIC):
            return c
        value = self.parse(c.value, None if c.op == "multiply" else kind, base + (c.op,), f"{label}: {c.op}")
        where = self.where(c.where, base + ("where",), f"{label}: where") if c.where else None
        return Change(c.column, c.op, value, where, c.at)

    def where(self, spec: dict[str, list], base: tuple, label: str) -> dict[str, list]:
        out = {}
        for col, values in spec.items():
            kind = self.column(col, base + (col,), label)
            if kind is not None and not values:
                self.add(base + (col,), f"{label}: {col}: expected a value or a non-empty list of values")
            elif kind is not None:
                out[col] = [self.parse(v, kind, base + (col,), f"{label}: {col}") for v in values]
        return out

    def column(self, col: str, at: tuple, label: str) -> T | None:
        """The column's type (the plan's input type, else by its Arrow type), or None once reported."""
        if col not in self.table.column_names:
            self.add(at, f"{label}: no column `{col}` in the payees' table", col, self.table.column_names)
            return None
        t = self.table.schema.field(col).type
        kind = (T.NUMBER if pa.types.is_decimal(t) or pa.types.is_integer(t) else T.TEXT if pa.types.is_string(t)
                or pa.types.is_large_string(t) else T.BOOL if pa.types.is_boolean(t) else
                T.DATE if pa.types.is_date(t) else None)
        if kind is None:
            self.add(at, f"{label}: column `{col}` holds {t} values, which a scenario cannot change or match "
                         f"exactly: give it as decimals, text, true/false or dates")
        return None if kind is None else self.kinds.get(col, kind)

    def parse(self, raw: Any, kind: T | None, at: tuple, label: str) -> Any:  # kind None: a factor
        try:
            return _factor(raw) if kind is None else inputs.parse_value(raw, kind)
        except inputs.ValueProblem as e:
            self.add(at, f"{label}: expected {e}, got {_text(raw)}")
            return _BAD


def locate_keys(text: str) -> dict[tuple, tuple[int, int]]:
    """(line, column), from 1, of every key and table header of a valid TOML text, by path: ("name",),
    ("params",) for the [params] header, ("params", "top_rate"), ("change", 0) for the first [[change]]
    header, ("change", 0, "where", "region"), array items by index.  The first place written wins."""
    flat = _FLAT.sub(lambda m: " " * len(m[0]) if m[0][0] == "#" else m[0][0] + "_" * (len(m[0]) - 2) + m[0][-1],
                     text)  # strings and comments blanked out, every position kept
    toks, found, arrays = list(_TOKEN.finditer(flat)), {}, {}  # arrays of tables -> the index of the last block
    stack: list[list] = []  # open [ and {: [bracket, path, items so far]
    table, path, i, at_key = (), (), 0, True

    def key(stop: tuple[str, ...]) -> list[tuple[str, int]]:  # a dotted key up to `stop`: (name, position)
        nonlocal i
        first = toks[i].start()
        while toks[i][0] not in stop:
            i += 1
        return [(tomllib.loads("k = " + m[1])["k"] if m[1][0] in "\"'" else m[1], first + m.start(1))
                for m in _PART.finditer(text[first:toks[i - 1].end()])]

    while i < len(toks):
        tok, pos = toks[i][0], toks[i].start()
        if at_key and not stack and tok in ("[", "[["):
            i += 1
            names, table = [name for name, _ in key(("]", "]]"))], ()
            for name in names[:-1]:
                table += (name,) + ((arrays[table + (name,)],) if table + (name,) in arrays else ())
            table += (names[-1],)
            if tok == "[[":
                arrays[table] = arrays.get(table, -1) + 1
            table += (arrays[table],) if table in arrays else ()
            found.setdefault(table, pos)
        elif at_key and tok not in _PUNCT:
            path = stack[-1][1] if stack else table
            for name, at in key(("=",)):
                path += (name,)
                found.setdefault(path, at)
            at_key = False
        elif tok in ("[", "[[", "{"):
            for _ in tok:
                stack.append([tok[0], stack[-1][1] + (stack[-1][2],) if stack and stack[-1][0] == "[" else path, 0])
            at_key = tok == "{"
        elif tok in ("]", "]]", "}"):
            del stack[len(stack) - len(tok):]
        elif tok == "," and stack:
            stack[-1][2] += 1
            at_key = stack[-1][0] == "{"
        elif tok == "\n" and not stack:
            at_key = True
        i += 1
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    lines = {where: bisect.bisect_right(starts, at) for where, at in found.items()}
    return {where: (lines[where], at - starts[lines[where] - 1] + 1) for where, at in found.items()}


_FLAT = re.compile(r'"""(?:\\[\s\S]|[^\\])*?"""(?!")' r"|'''[\s\S]*?'''(?!')" r'|"(?:\\.|[^"\\\n])*"'
                   r"|'[^'\n]*'|#[^\n]*")
_TOKEN = re.compile(r"\[\[|\]\]|[\[\]{},=\n]|[^\s\[\]{},=]+")
_PART = re.compile(r"""\s*("(?:\\.|[^"\\])*"|'[^']*'|[^\s."']+)\s*(?:\.|$)""")
_PUNCT = ("[", "[[", "]", "]]", "{", "}", ",", "=", "\n")


def _factor(raw: Any) -> Decimal:
    """A multiply's factor (1.1, "1.1", "110%"), exact, with any number of decimals (the results are checked)."""
    text = format(raw, "f") if isinstance(raw, Decimal) else str(raw) if isinstance(raw, (str, int)) else "-"
    found = None if isinstance(raw, bool) else re.fullmatch(r"([+-]?\d*\.?\d+)(%?)", text.strip().replace("_", ""))
    if found is None:
        raise inputs.ValueProblem("a factor such as 1.1 or 110%")
    return Decimal(found[1]).scaleb(-2 if found[2] else 0)


def _text(v: Any) -> str:
    """A value as a message shows it."""
    if isinstance(v, (list, dict, str)):
        return "a list" if isinstance(v, list) else "a table" if isinstance(v, dict) else f'"{v}"'
    return format(v, "f") if isinstance(v, Decimal) else ("true" if v else "false") if isinstance(v, bool) else str(v)
