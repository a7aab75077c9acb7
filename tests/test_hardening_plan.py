"""Plan-level hardening: huge numbers, odd text, fmt idempotence, example data paths."""

from __future__ import annotations

import shutil
from decimal import Decimal, getcontext, localcontext
from pathlib import Path

import pytest

import incentives
from dsl.check_numbers import MAX_DIGITS, MAX_WHOLE_DIGITS
from dsl.diagnostics import Diagnostic, PlanError, display_width
from dsl.fmt import format_plan
from dsl.parse import parse
from dsl.source import Source, Span
from incentives.engine import numbers
from incentives.plantest.runner import run_plan_tests

ROOT = Path(__file__).resolve().parent.parent
PLANS = sorted((ROOT / "plans").glob("*.plan"))


def plan_text(name: str) -> str:
    return (ROOT / "plans" / name).read_text(encoding="utf-8")


def compile_error(text: str, name: str = "plans/x.plan") -> PlanError:
    with pytest.raises(PlanError) as info:
        incentives.compile_text(text, name)
    return info.value


def only_located(err: PlanError, code: str, line_text: str) -> Diagnostic:
    """The error's diagnostics are all `code`, the first at a literal on a line holding line_text."""
    assert {d.code for d in err.diagnostics} == {code}, err.render()
    d = err.diagnostics[0]
    assert line_text in err.source.line_text(d.span.line)
    return d


# ---- numbers ----

BIG26 = "1" + "0" * 26
BIG29 = "1" + "0" * 29
DIGITS4301 = "1" + "0" * 4300


@pytest.mark.parametrize("plan, old, new", [
    ("quarterly_champion.plan", "prizes 5_000 USD,", f"prizes {BIG26} USD,"),
    ("awards_bonus.plan", "from 120%: 1_600 USD", f"from {DIGITS4301}%: 1_600 USD"),
    ("awards_bonus.plan", "from 100% to 120%: 1_000 USD", f"from 100% to {DIGITS4301}%: 1_000 USD"),
    ("awards_bonus.plan", "value 1_800 USD", f"value {BIG29} USD"),
    ("awards_bonus.plan", "from 120%: 1_600 USD", f"from 120%: {BIG29} USD"),
    ("awards_bonus.plan", "expect cash_bonus = 400 USD", f"expect cash_bonus = {BIG29} USD"),
    ("awards_bonus.plan", "given csat = 80%", f"given csat = {DIGITS4301}%"),
    ("awards_bonus.plan", "range 1 to 40", f"range 1 to {DIGITS4301}"),
])
def test_a_number_too_large_is_a_located_error_at_the_literal(plan, old, new):
    text = plan_text(plan)
    assert old in text
    err = compile_error(text.replace(old, new, 1), f"plans/{plan}")
    d = only_located(err, "number-too-large", new)
    assert f"at most {MAX_WHOLE_DIGITS} digits before the decimal point" in d.message
    assert "999_999_999_999_999_999" in d.message
    assert err.render()  # renders without the int-to-str limit


def test_a_number_with_too_many_digits_in_all_is_refused():
    text = plan_text("awards_bonus.plan").replace("value 80 USD", "value 80." + "1" * 40 + " USD")
    d = only_located(compile_error(text), "number-too-long", "value 80.")
    assert f"{MAX_DIGITS} digits in all" in d.message


def test_the_largest_allowed_amounts_are_exact():
    big = "999_999_999_999_999_999"
    text = plan_text("awards_bonus.plan").replace("from 120%: 1_600 USD", f"from 120%: {big} USD")
    plan = incentives.compile_text(text, "plans/awards_bonus.plan")
    result = plan.run({"revenue": Decimal(150_000), "monthly_target": Decimal(100_000), "csat": Decimal("0.9"),
                       "region_rank": Decimal(2), "months_on_target": Decimal(1)}, payee="A", trace=True)
    assert result.total == Decimal(big)
    shown = incentives.render(incentives.explain(plan, result), "text")
    assert "999,999,999,999,999,999.00" in shown


def test_money_formatting_uses_the_engines_context_not_the_callers():
    from incentives.engine.evaluate import CONTEXT
    assert repr(numbers.CONTEXT) == repr(CONTEXT)
    with localcontext() as ctx:
        ctx.prec = 5
        assert numbers.money(Decimal("123456789.125")) == "123,456,789.125"
        assert numbers.money(Decimal(BIG29)) == "100,000,000,000,000,000,000,000,000,000.00"
        assert numbers.exact(Decimal(BIG29)) == BIG29 + ".00"
        assert numbers.number(Decimal("1234567.123456789")) == "1,234,567.12345679"
        assert numbers.percent(Decimal("0.12345678912")) == "12.345679%"
        assert getcontext().prec == 5
    huge = Decimal(DIGITS4301)  # no int() round trip: no 4,300-digit limit
    assert numbers.number(huge) == "10" + ",000" * 1433
    assert numbers.money(huge).endswith(",000.00") and numbers.number(-huge).startswith("-1")
    assert numbers.money(Decimal("-0.004")) == "-0.004"
    assert numbers.number(Decimal("-0.5")) == "-0.5"


# ---- text ----

def test_a_lone_surrogate_is_a_plan_error_naming_line_and_column():
    err = compile_error('plan "\ud800" {\n  currency USD\n}\n')
    (d,) = err.diagnostics
    assert (d.span.line, d.span.column, d.code) == (1, 7, "bad-text")
    assert "\\ud800" in err.render() and "\ud800" not in err.render()
    err.render().encode("utf-8")  # printable anywhere
    err = compile_error('plan "x" {\n  currency USD\n}\n# a note \udfff\nlet a = 1\n')
    assert [(d.span.line, d.span.column) for d in err.diagnostics] == [(4, 10)]


@pytest.mark.parametrize("odd", ["\x1b[31m", "\r", "\x07", "\u202e", "\u200b", "\x00"])
def test_control_characters_in_a_quoted_line_are_escaped_and_the_caret_stays_aligned(odd):
    line = f'let a = "{odd}x" + oops'
    err = compile_error(f'plan "x" {{\n  currency USD\n}}\n{line}\n')
    shown = err.render()
    assert odd not in shown
    assert all(ch == "\n" or ch.isprintable() for ch in shown)
    lines = shown.split("\n")
    quoted = next(n for n, text in enumerate(lines) if text.startswith("   4 | "))
    caret = lines[quoted + 1]
    at = caret.index("^")
    assert lines[quoted][at:at + 4] == "oops" and caret[at:].rstrip() == "^^^^"


def test_the_caret_skips_combining_marks_and_counts_wide_characters():
    source = Source("x.plan", "let e\u0301t\u00e9 = 名前 + oops\n")
    rendered = Diagnostic(Span("x.plan", 1, 17, 1, 21), "unknown", "name").render(source).split("\n")
    gutter = len("   1 | ")
    assert display_width(rendered[1][gutter:]) - 0 == display_width(source.lines[0])
    assert display_width(rendered[2][gutter:].split("^")[0]) == display_width("let e\u0301t\u00e9 = 名前 + ")


# ---- fmt ----

def test_fmt_keeps_a_comment_that_ends_the_first_line_of_a_continued_statement():
    text = "let a = 1 # note\n  + 2\n"
    once = format_plan(parse(text))
    assert once == "let a = 1 + 2  # note\n"
    assert format_plan(parse(once)) == once
    with_next = "let a = 1 # note\n  + 2\n\nlet b = 3\n"
    once = format_plan(parse(with_next))
    assert once == "let a = 1 + 2  # note\n\nlet b = 3\n"
    assert format_plan(parse(once)) == once


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.name)
def test_fmt_is_idempotent_on_the_bundled_plans(path):
    once = format_plan(parse(Source.from_path(path)))
    assert format_plan(parse(once)) == once


# ---- example data paths ----

def _with_people_path(path: str) -> str:
    text = plan_text("split_credit.plan")
    assert 'people from "data/split_credit.csv"' in text
    return text.replace('people from "data/split_credit.csv"', f'people from "{path}"')


@pytest.mark.parametrize("path", ["/etc/passwd", "../plans/data/split_credit.csv", "data/../../x.csv",
                                  "data\\\\..\\\\..\\\\x.csv", "C:\\\\x.csv", "~/x.csv", ""])
def test_an_example_reads_no_file_outside_the_plans_folder(path):
    err = compile_error(_with_people_path(path), str(ROOT / "plans" / "split_credit.plan"))
    d = only_located(err, "example-path", "people from")
    line = err.source.line_text(d.span.line)
    assert line[d.span.column - 1:d.span.end_column - 1] == f'"{path}"'


def test_a_symbolic_link_out_of_the_plans_folder_is_refused(tmp_path):
    folder = tmp_path / "plans"
    (folder / "data").mkdir(parents=True)
    outside = tmp_path / "secret.csv"
    shutil.copy(ROOT / "plans" / "data" / "split_credit.csv", outside)
    (folder / "data" / "people.csv").symlink_to(outside)
    (folder / "link").symlink_to(tmp_path)
    for path in ("data/people.csv", "link/secret.csv"):
        err = compile_error(_with_people_path(path), str(folder / "split_credit.plan"))
        only_located(err, "example-path", "people from")
    # a link inside the folder is fine
    (folder / "data" / "inside.csv").symlink_to(ROOT / "plans" / "data" / "split_credit.csv")
    for name in ("split_credit.deals.csv", "split_credit.splits.csv"):
        shutil.copy(ROOT / "plans" / "data" / name, folder / "data" / name)
    (folder / "data" / "here.csv").write_bytes((ROOT / "plans" / "data" / "split_credit.csv").read_bytes())
    plan = incentives.compile_text(_with_people_path("data/here.csv"), str(folder / "split_credit.plan"))
    assert all(o.passed for o in run_plan_tests(plan, 1, 3))


def test_a_link_changed_after_checking_is_refused_when_the_example_runs(tmp_path):
    folder = tmp_path / "plans"
    (folder / "data").mkdir(parents=True)
    for name in ("split_credit.csv", "split_credit.deals.csv", "split_credit.splits.csv"):
        shutil.copy(ROOT / "plans" / "data" / name, folder / "data" / name)
    plan = incentives.compile_text(plan_text("split_credit.plan"), str(folder / "split_credit.plan"))
    (folder / "data" / "split_credit.csv").unlink()
    (folder / "data" / "split_credit.csv").symlink_to(ROOT / "plans" / "data" / "split_credit.csv")
    failed = [o for o in run_plan_tests(plan, 1, 3) if not o.passed]
    assert failed and all("inside the plan's folder only" in o.message for o in failed)


def test_the_bundled_plans_examples_with_data_files_still_run():
    plan = incentives.load_plan(ROOT / "plans" / "split_credit.plan")
    assert all(o.passed for o in run_plan_tests(plan, 1, 3))
