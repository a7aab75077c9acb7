"""The fuzz harness: mutate the bundled plans and run every stage on each mutant.

A mutant's outcome is ``ok`` (every stage succeeded), or the name of the project error that
stopped it (``PlanError``, ``DataError``, ``EvaluationError``) when each of its problems carries a
location, or a crash: any other exception (RecursionError, InvalidOperation, ValueError, ...),
a project error whose problems are not located, a formatter that is not idempotent or changes
what the plan means, or a mutant that takes longer than its time budget.  Crashes are grouped
into classes by exception type and the innermost frame in the project's own code.
"""

from __future__ import annotations

import random
import re
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLANS = sorted((ROOT / "plans").glob("*.plan"))
#: source folders whose frames name a crash class
OURS = (str(ROOT / "dsl"), str(ROOT / "incentives"))
#: seconds one mutant may take, every stage included
BUDGET = 10.0

sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))

# ---- tokens --------------------------------------------------------------------------------------

TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\d[\d_]*(?:\.\d+)?%?|[^\W\d]\w*|>=|<=|==|!=|\S')
KEYWORDS = ("plan", "currency", "period", "effective", "rounding", "at", "input", "default", "range", "in",
            "let", "table", "curve", "from", "to", "component", "pay", "pool", "among", "equally", "by",
            "tiers", "per", "deal", "running", "on", "where", "upper_inclusive", "as", "multiplier", "cap",
            "floor", "gate", "else", "scorecard", "kpi", "weight", "attainment", "award", "kind", "when",
            "value", "payout", "example", "given", "expect", "no", "person", "split", "overlay", "people",
            "deals", "splits", "property", "over", "assume", "always", "monotone", "if", "then", "or",
            "and", "not", "of", "true", "false", "contest", "rank", "qualify", "ties", "prizes", "places",
            "crediting", "measure", "field", "total", "subtotal", "min", "max", "round", "param")
OPERATORS = ("+", "-", "*", "/", "(", ")", "{", "}", ",", ":", "=", ">=", "<=", "==", "!=", ">", "<", "%",
             '"', "#", "\\", ".", "..")
ODD_TEXT = ("é", "ß", "名", "Ω", "\u0301", "\u200f", "\u202e", "\u200b", "\ufeff", "\ud800", "\udfff",
            "\x00", "\x07", "\x1b[31m", "\r", "\x0b", "\x0c", "\u2028", "\x85", "\u00a0", "\u3000",
            "١٢٣", "𝟙", "ﬁ", "İ", "\t")
HUGE = ("1" + "0" * 4301, "9" * 4400, "1" + "0" * 26 + " USD", "1" + "0" * 29 + " USD", "1" + "0" * 29,
        "0." + "0" * 60 + "1", "1" + "0" * 40 + "%", "99999999999999999999", "1e5", "1_000_000_000_000_000_000 USD",
        "0.000000000000000000000000000000000000001 USD", "1" * 35 + "." + "1" * 35)


def tokens(text: str) -> list[re.Match]:
    return list(TOKEN.finditer(text))


# ---- mutators ------------------------------------------------------------------------------------

def _splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def token_edit(text: str, rng: random.Random) -> str:
    toks = tokens(text)
    if not toks:
        return text
    t = rng.choice(toks)
    how = rng.randrange(5)
    if how == 0:  # delete
        return _splice(text, t.start(), t.end(), "")
    if how == 1:  # duplicate
        return _splice(text, t.start(), t.end(), t.group() + " " + t.group())
    if how == 2:  # swap with another token
        u = rng.choice(toks)
        a, b = sorted((t, u), key=lambda m: m.start())
        if a.start() == b.start():
            return text
        return text[:a.start()] + b.group() + text[a.end():b.start()] + a.group() + text[b.end():]
    if how == 3:  # replace with a token of the plan
        return _splice(text, t.start(), t.end(), rng.choice(toks).group())
    return _splice(text, t.start(), t.end(), rng.choice(KEYWORDS + OPERATORS))


def line_edit(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    n = rng.randrange(len(lines))
    how = rng.randrange(5)
    if how == 0:
        del lines[n]
    elif how == 1:
        lines.insert(n, lines[n])
    elif how == 2:
        m = rng.randrange(len(lines))
        lines[n], lines[m] = lines[m], lines[n]
    elif how == 3:
        lines[n] = " " * rng.choice((1, 2, 4, 8)) + lines[n]
    else:
        lines[n] = lines[n].lstrip()
    return "\n".join(lines)


def truncate(text: str, rng: random.Random) -> str:
    return text[:rng.randrange(len(text) + 1)]


def unicode_edit(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    toks = tokens(text)
    if toks and rng.random() < 0.5:  # inside a token: a name, a string, a number
        t = rng.choice(toks)
        at = rng.randrange(t.start(), t.end() + 1)
    return _splice(text, at, at, rng.choice(ODD_TEXT))


def deep_nesting(text: str, rng: random.Random) -> str:
    toks = [t for t in tokens(text) if re.fullmatch(r"\d[\d_]*(\.\d+)?%?|[^\W\d]\w*", t.group())
            and t.group() not in KEYWORDS]
    if not toks:
        return text
    t = rng.choice(toks)
    depth = rng.choice((150, 1000, 10_000))
    how = rng.randrange(4)
    if how == 0:
        new = "(" * depth + t.group() + ")" * depth
    elif how == 1:
        new = " + ".join([t.group()] * depth)
    elif how == 2:
        new = "-" * depth + t.group()
    else:
        new = "not " * depth + t.group()
    return _splice(text, t.start(), t.end(), new)


NUMBER = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?=\s*(?:[A-Z]{3}\b|%|\b))")


def huge_literal(text: str, rng: random.Random) -> str:
    nums = list(NUMBER.finditer(text))
    if not nums:
        return text
    m = rng.choice(nums)
    big = rng.choice(HUGE)
    if big.endswith((" USD", "%")) and rng.random() < 0.7:  # keep the literal's own unit
        big = big.split(" ")[0].rstrip("%")
    return _splice(text, m.start(), m.end(), big)


MUTATORS = {"token": token_edit, "line": line_edit, "truncate": truncate, "unicode": unicode_edit,
            "nesting": deep_nesting, "huge": huge_literal}
WEIGHTS = {"token": 6, "line": 3, "truncate": 1, "unicode": 2, "nesting": 1, "huge": 3}


def mutate(text: str, rng: random.Random) -> tuple[str, str]:
    """One mutant of text: one to three edits; returns (kinds of edit, text)."""
    kinds = []
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        kind = rng.choices(names, weights)[0]
        text = MUTATORS[kind](text, rng)
        kinds.append(kind)
    return "+".join(kinds), text


# ---- running a mutant -----------------------------------------------------------------------------

class Hang(BaseException):
    """A mutant took longer than its budget (a BaseException, so no `except Exception` swallows it)."""


class Crash(Exception):
    """A stage misbehaved without raising: a formatter that is not idempotent, an unlocated error."""


@contextmanager
def budget(seconds: float):
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return

    def ring(signum, frame):
        raise Hang(f"took more than {seconds:g}s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def located(err) -> bool:
    """Every problem of a project error names a place: plan line, or data file/row, or payee."""
    from dsl.diagnostics import PlanError
    if isinstance(err, PlanError):
        return bool(err.diagnostics) and all(d.span is not None and d.span.line >= 1 for d in err.diagnostics)
    return bool(err.problems) and all(
        p.line is not None or p.row is not None or p.file is not None or p.payee is not None
        or re.search(r"\S:\d+|\brow \d+|\bheader\b", str(p)) for p in err.problems)


def _shape(node):
    """An AST as plain data without positions: what the plan says, not where."""
    from dsl import ast
    if isinstance(node, list | tuple):
        return [_shape(n) for n in node]
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items()}
    if isinstance(node, ast.GateStep) and node.otherwise is None:  # fmt writes the default `else 0%`
        return ("GateStep", {"cond": _shape(node.cond), "otherwise": ("lit", "percent", "0", None)})
    if isinstance(node, ast.Span):  # a flag kept as where it was written (`ytd`, `partial periods`): set or not
        return "written"
    if isinstance(node, ast.Literal):
        return ("lit", node.kind, str(node.value) if isinstance(node.value, Decimal) else node.value,
                getattr(node, "currency", None))
    if hasattr(node, "__dataclass_fields__"):
        return (type(node).__name__, {k: _shape(getattr(node, k)) for k in node.__dataclass_fields__
                                      if k not in ("span", "text", "source", "comments")})
    return node


def values_for(plan) -> dict:
    """A payee's values from the declared inputs: the default, else the range's lower end, else a
    plain value of the type."""
    import datetime as dt

    from dsl.types import T
    out = {}
    for name, info in plan.ir.givable.items():
        if getattr(info, "default", None) is not None:
            out[name] = info.default
        elif getattr(info, "choices", None):
            out[name] = info.choices[0]
        elif getattr(info, "range", None) is not None:
            out[name] = info.range[0]
        else:
            out[name] = {T.BOOL: False, T.TEXT: "A", T.DATE: dt.date(2026, 1, 1)}.get(info.type, Decimal(1))
    return out


def run_stages(text: str, name: str, seed: int = 0, max_examples: int = 5, evaluate: bool = True) -> str:
    """Every stage on one text; returns the outcome's kind or raises what crashed."""
    import incentives
    from dsl.check import check
    from dsl.errors import IncentivesError
    from dsl.fmt import format_plan
    from dsl.parse import parse
    from dsl.source import Source
    from incentives.plantest.runner import run_plan_tests

    first_error = None
    try:
        tree = parse(Source(name, text))
    except IncentivesError as e:
        if not located(e):
            raise Crash(f"unlocated {type(e).__name__}: {e}") from e
        return type(e).__name__
    # fmt: idempotent and meaning-preserving
    once = format_plan(tree)
    try:
        again_tree = parse(Source(name, once))
    except IncentivesError as e:
        raise Crash(f"fmt output does not parse: {str(e)[:300]}") from e
    twice = format_plan(again_tree)
    if twice != once:
        raise Crash("fmt is not idempotent")
    if _shape(again_tree.decls) != _shape(tree.decls):
        raise Crash("fmt changes the plan's meaning")
    try:
        check(tree)
        plan = incentives.compile_text(text, name)
    except IncentivesError as e:
        if not located(e):
            raise Crash(f"unlocated {type(e).__name__}: {e}") from e
        return type(e).__name__
    if not evaluate:
        return "ok"
    try:
        for outcome in run_plan_tests(plan, seed, max_examples):
            pass
    except IncentivesError as e:
        if not located(e):
            raise Crash(f"unlocated {type(e).__name__}: {e}") from e
        first_error = type(e).__name__
    try:
        result = plan.run(values_for(plan), payee="A", alone=True, trace=True, period=plan.ir.effective)
        incentives.render(incentives.explain(plan, result), "text")
    except IncentivesError as e:
        if not located(e):
            raise Crash(f"unlocated {type(e).__name__}: {e}") from e
        first_error = first_error or type(e).__name__
    return first_error or "ok"


def crash_class(exc: BaseException) -> str:
    """Exception type and the innermost frame in the project's code: `ValueError at dsl/parse.py:88 scalar`."""
    where = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(OURS) or frame.filename.startswith(str(ROOT / "tests" / "fuzz")):
            if "tests/fuzz" in frame.filename and where != "?":
                continue
            where = f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno} {frame.name}"
    detail = ""
    if isinstance(exc, Crash):
        detail = " " + str(exc).split(":")[0][:60]
    return f"{type(exc).__name__}{detail} at {where}"


def pasteable(text: str) -> str:
    """The text as it is when every character prints; else as a Python string literal to paste."""
    if all(ch == "\n" or ch.isprintable() for ch in text):
        return text
    return "(a Python string literal)\n" + "\n".join(repr(line + "\n") for line in text.split("\n"))


def outcome_class(text: str, name: str, seed: int, max_examples: int, budget_seconds: float,
                  evaluate: bool = True) -> str | None:
    """The crash class of one text, or None when it does not crash."""
    try:
        with budget(budget_seconds):
            run_stages(text, name, seed, max_examples, evaluate=evaluate)
    except (Exception, Hang, RecursionError) as e:  # noqa: BLE001
        return crash_class(e)
    return None


def shrink(text: str, cls: str, name: str, seed: int, max_examples: int = 5, budget_seconds: float = BUDGET,
           tries: int = 300, seconds: float = 30.0, evaluate: bool = True) -> str:
    """A shorter text that crashes the same way: drop runs of lines while the crash class stays."""
    lines = text.split("\n")
    chunk = max(1, len(lines) // 2)
    deadline = time.monotonic() + seconds
    while chunk >= 1 and tries > 0 and time.monotonic() < deadline:
        i = 0
        while i < len(lines) and tries > 0 and time.monotonic() < deadline:
            candidate = lines[:i] + lines[i + chunk:]
            tries -= 1
            if candidate and outcome_class("\n".join(candidate), name, seed, max_examples, min(budget_seconds, 2.0),
                                           evaluate) == cls:
                lines = candidate
            else:
                i += chunk
        chunk //= 2
    return "\n".join(lines)


# ---- a run ---------------------------------------------------------------------------------------

@dataclass
class Report:
    seed: int
    mutants: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    crashes: dict[str, list] = field(default_factory=dict)  # class -> [count, plan, kinds, text, message]
    seconds: float = 0.0

    def add(self, kind: str) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1

    def text(self, show: int = 2000) -> str:
        out = [f"seed {self.seed}: {self.mutants} mutants in {self.seconds:.1f}s",
               "outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items(), key=lambda kv: -kv[1]))]
        out.append(f"crash classes: {len(self.crashes)}")
        for cls, (count, plan, kinds, text, message) in sorted(self.crashes.items(), key=lambda kv: -kv[1][0]):
            excerpt = pasteable(text if len(text) <= show else text[:show]) + (
                f"... ({len(text)} characters)" if len(text) > show else "")
            out += ["", f"== {cls}: {count} mutants (from {plan}, {kinds})", "   " + pasteable(message[:500]),
                    "--- mutant " + "-" * 60, excerpt, "--- end " + "-" * 63]
        return "\n".join(out)


def run(mutants: int, seed: int, plans=None, budget_seconds: float = BUDGET, evaluate_every: int = 1,
        max_examples: int = 5, progress=None, shrink_crashes: bool = True) -> Report:
    """`mutants` mutants of the bundled plans (round robin), seeded: the same seed, the same mutants."""
    from dsl.source import Source  # noqa: F401  (import the project before timing)
    plans = list(plans or PLANS)
    texts = [(p, p.read_text(encoding="utf-8")) for p in plans]
    rng = random.Random(seed)
    report = Report(seed)
    start = time.monotonic()
    for n in range(mutants):
        path, original = texts[n % len(texts)]
        kinds, text = mutate(original, rng)
        mutant_seed = rng.randrange(2**31)
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        try:
            with budget(budget_seconds):
                kind = run_stages(text, name, mutant_seed, max_examples, evaluate=n % evaluate_every == 0)
        except (Exception, Hang, RecursionError) as e:  # noqa: BLE001 - every crash is the point
            cls = crash_class(e)
            kind = "crash"
            entry = report.crashes.setdefault(cls, [0, name, kinds, text, f"{type(e).__name__}: {e}"])
            entry[0] += 1
            if entry[0] == 1 and shrink_crashes:  # the first of each class, made short enough to read
                evaluated = n % evaluate_every == 0
                entry[3] = shrink(text, cls, name, mutant_seed, max_examples, budget_seconds, evaluate=evaluated)
        report.add(kind)
        report.mutants += 1
        if progress and (n + 1) % progress == 0:
            print(f"... {n + 1} mutants, {len(report.crashes)} crash classes", file=sys.stderr, flush=True)
    report.seconds = time.monotonic() - start
    return report
