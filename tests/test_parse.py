"""Parsing: the AST each construct gives, and syntax errors a comp admin can act on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from dsl import PlanError, Source, ast, parse
from dsl.ast import Binary, Call, Compare, Ident, If, InSet, Literal, Name, Unary

D = Decimal
HEAD = 'plan "P" { currency USD period month }\n'


def decls(body: str, header: str = HEAD) -> list:
    return parse(Source("t.plan", header + body)).decls[1:]


def expr(text: str):
    (let,) = decls(f"let x = {text}\n")
    return let.expr


def money(v, cur="USD"):
    return Literal("money", D(v), cur)


def num(v):
    return Literal("number", D(v))


def pct(v):
    return Literal("percent", D(v))


def errors_of(text: str, name: str = "t.plan") -> list:
    with pytest.raises(PlanError) as info:
        parse(Source(name, text))
    return info.value.diagnostics


# ---- declarations ------------------------------------------------------------------------------


def test_header():
    plan = parse(Source("t.plan", 'plan "Sales FY26" {\n  currency EUR\n  period quarter\n'
                                  '  effective 2026-01-01 to 2026-12-31\n  rounding half_even at component\n}\n'))
    h = plan.header
    assert h == ast.PlanHeader("Sales FY26", Ident("EUR"), Ident("quarter"),
                               (Literal("date", dt.date(2026, 1, 1)), Literal("date", dt.date(2026, 12, 31))),
                               Ident("half_even"), Ident("component"))
    assert (h.span.line, h.span.column, h.span.end_line) == (1, 1, 6)
    assert h.currency.span.line == 2 and h.currency.span.column == 12


def test_header_rounding_without_point():
    h = parse(Source("t.plan", 'plan "P" { currency USD period month rounding down }')).header
    assert h.rounding_mode == Ident("down") and h.rounding_point is None


def test_inputs():
    got = decls('input revenue: money range 0 USD to 1_000_000 USD "Closed revenue"\n'
                'input region: text in {"East", "West"} default "East"\n'
                'input months: count default 12\n'
                'input delta: number in {-1, 0, 1}\n')
    assert got == [
        ast.InputDecl(Ident("revenue"), Ident("money"), range=(money(0), money(1000000)),
                      description="Closed revenue"),
        ast.InputDecl(Ident("region"), Ident("text"), default=Literal("text", "East"),
                      choices=[Literal("text", "East"), Literal("text", "West")]),
        ast.InputDecl(Ident("months"), Ident("count"), default=num(12)),
        ast.InputDecl(Ident("delta"), Ident("number"), choices=[num(-1), num(0), num(1)]),
    ]
    assert [d.span.line for d in got] == [2, 3, 4, 5]


def test_let_with_description():
    (let,) = decls('let attainment = revenue / quota "Revenue over quota"\n')
    assert let == ast.LetDecl(Ident("attainment"), Binary("/", Name("revenue"), Name("quota")), "Revenue over quota")


def test_table():
    (t,) = decls('table target(grade: count, region: text): money {\n'
                 '  1, "East": 1_000 USD\n  2, "West": 2_000.50 USD\n  default: 0 USD\n}\n')
    assert t == ast.TableDecl(
        Ident("target"), [(Ident("grade"), Ident("count")), (Ident("region"), Ident("text"))], Ident("money"),
        [ast.TableRow([num(1), Literal("text", "East")], money(1000)),
         ast.TableRow([num(2), Literal("text", "West")], money("2000.50"))],
        money(0))
    assert [r.span.line for r in t.rows] == [3, 4]


def test_curve_with_interpolated_band():
    (c,) = decls("curve payout { from 0% to 80%: 0%  from 80% to 100%: 50% to 100%  from 100%: 100% }\n")
    assert c == ast.CurveDecl(Ident("payout"), [
        ast.Band(pct(0), pct("0.8"), pct(0)),
        ast.Band(pct("0.8"), pct(1), pct("0.5"), pct(1)),
        ast.Band(pct(1), None, pct(1)),
    ])


def test_component_with_every_line_and_step():
    (c,) = decls('''component commission "Commission" {
  pay 2% of revenue as "Base"
  tiers marginal on revenue upper_inclusive {
    from 0 USD to 50% of quota: 2%
    from 50% of quota: 8%
  } as "Tiered"
  scorecard on target cap 140% {
    kpi rev "Revenue" weight 60% attainment a curve steep cap 150%
    kpi nps weight 40% attainment b
  } as "KPIs"
  multiplier on attainment { from 0%: 1 }
  cap 60_000 USD
  floor 0 USD
  gate attainment >= 50% else 50%
  gate ok
}
''')
    half_quota = Binary("of", pct("0.5"), Name("quota"))
    assert c == ast.ComponentDecl(Ident("commission"), "Commission", [
        ast.PayLine(Binary("of", pct("0.02"), Name("revenue")), "Base"),
        ast.TiersLine(Ident("marginal"), Name("revenue"), [
            ast.Band(money(0), half_quota, pct("0.02")),
            ast.Band(half_quota, None, pct("0.08")),
        ], upper_inclusive=True, label="Tiered"),
        ast.ScorecardLine(Name("target"), [
            ast.Kpi(Ident("rev"), "Revenue", pct("0.6"), Name("a"), Ident("steep"), pct("1.5")),
            ast.Kpi(Ident("nps"), None, pct("0.4"), Name("b")),
        ], cap=pct("1.4"), label="KPIs"),
        ast.MultiplierStep(Name("attainment"), [ast.Band(pct(0), None, num(1))]),
        ast.CapStep(money(60000)),
        ast.FloorStep(money(0)),
        ast.GateStep(Compare(">=", Name("attainment"), pct("0.5")), pct("0.5")),
        ast.GateStep(Name("ok")),
    ])
    assert [i.span.line for i in c.items] == [3, 4, 8, 12, 13, 14, 15, 16]


def test_tiers_without_upper_inclusive():
    (c,) = decls("component c { tiers step on x { from 0: 1 USD } }\n")
    assert c.items[0].upper_inclusive is False and c.items[0].label is None


def test_award_and_payout():
    got = decls('award trip "Trip" { kind trip when attainment >= 150% value 1_800 USD }\n'
                'award star { kind title }\n'
                'payout { cap 75_000 USD floor 0 USD }\n')
    assert got == [
        ast.AwardDecl(Ident("trip"), "Trip", Ident("trip"), Compare(">=", Name("attainment"), pct("1.5")),
                      money(1800)),
        ast.AwardDecl(Ident("star"), None, Ident("title")),
        ast.PayoutDecl([ast.CapStep(money(75000)), ast.FloorStep(money(0))]),
    ]


def test_comments_are_kept_with_positions():
    plan = parse(Source("t.plan", "# first\n" + HEAD + "let a = 1 # trailing\n"))
    assert [(c.text, c.span.line, c.span.column) for c in plan.comments] == [("# first", 1, 1),
                                                                           ("# trailing", 3, 11)]


def test_layout_does_not_matter():
    a = parse(Source("a.plan", HEAD + "component c { pay 1 USD cap 2 USD }"))
    b = parse(Source("b.plan", HEAD + "component c {\n    pay 1 USD\n\n    cap 2 USD\n}\n"))
    assert a == b


# ---- expressions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, tree", [
    ("1_000.50 USD", money("1000.50")),
    ("12 EUR", Literal("money", D(12), "EUR")),
    ("12.5%", pct("0.125")),
    ("3", num(3)),
    ("0.25", num("0.25")),
    ("2026-02-28", Literal("date", dt.date(2026, 2, 28))),
    ('"say \\"hi\\"\\n"', Literal("text", 'say "hi"\n')),
    ("true", Literal("bool", True)),
    ("false", Literal("bool", False)),
    ("revenue", Name("revenue")),
    ("销售额", Name("销售额")),
    ("a + b * c", Binary("+", Name("a"), Binary("*", Name("b"), Name("c")))),
    ("(a + b) * c", Binary("*", Binary("+", Name("a"), Name("b")), Name("c"))),
    ("a - b - c", Binary("-", Binary("-", Name("a"), Name("b")), Name("c"))),
    ("a / b / c", Binary("/", Binary("/", Name("a"), Name("b")), Name("c"))),
    ("50% of quota + 1 USD", Binary("+", Binary("of", pct("0.5"), Name("quota")), money(1))),
    ("-a * b", Binary("*", Unary("-", Name("a")), Name("b"))),
    ("--a", Unary("-", Unary("-", Name("a")))),
    ("not a and b", Binary("and", Unary("not", Name("a")), Name("b"))),
    ("a or b and c", Binary("or", Name("a"), Binary("and", Name("b"), Name("c")))),
    ("not a >= b", Unary("not", Compare(">=", Name("a"), Name("b")))),
    ("a + 1 < b * 2", Compare("<", Binary("+", Name("a"), num(1)), Binary("*", Name("b"), num(2)))),
    ('region in {"East", "West"}', InSet(Name("region"), [Literal("text", "East"), Literal("text", "West")])),
    ("grade in {1, -2}", InSet(Name("grade"), [num(1), num(-2)])),
    ("if a then 1 USD else 2 USD", If(Name("a"), money(1), money(2))),
    ("min(a, b, 3)", Call(Ident("min"), [Name("a"), Name("b"), num(3)])),
    ("round(x, 2, half_up)", Call(Ident("round"), [Name("x"), num(2), Name("half_up")])),
    ("f()", Call(Ident("f"), [])),
    ("a == b", Compare("==", Name("a"), Name("b"))),
    ("a != b", Compare("!=", Name("a"), Name("b"))),
])
def test_expression_shapes(text, tree):
    assert expr(text) == tree


def test_literal_keeps_its_text_and_span():
    lit = expr("1_000 USD")
    assert lit.text == "1_000 USD"
    assert (lit.span.line, lit.span.column, lit.span.end_column) == (2, 9, 18)


def test_binary_span_covers_the_whole_expression():
    e = expr("revenue / quota")
    assert (e.span.line, e.span.column, e.span.end_column) == (2, 9, 24)


# ---- syntax errors ---------------------------------------------------------------------------------

BROKEN = [
    # (text after the header, code, line, column, words the message must contain)
    ("input x money\n", "syntax", 2, 9, ["`:`"]),
    ("input x: money range 0 USD\n", "unexpected-end", 2, 27, ["`to`"]),
    ("let a = 1 +\n", "unexpected-end", 2, 12, ["expression"]),
    ("let a = (1 + 2\n", "unexpected-end", 2, 15, ["`)`"]),
    ("component c { pay 1 USD \n", "unexpected-end", 2, 24, ["`}`"]),
    ("component c { pya 1 USD }\n", "syntax", 2, 15, ["pya", "component line"]),
    ("component c { tiers marginal base { from 0 USD: 5% } }\n", "syntax", 2, 30, ["`on`"]),
    ("component c { tiers marginal on base { 0 USD: 5% } }\n", "syntax", 2, 40, ["`from`"]),
    ('let s = "abc\n', "unclosed-text", 2, 9, ["not closed"]),
    ("let a = 1 $ 2\n", "bad-character", 2, 11, ["`$`"]),
    ("let a = 5 % 3\n", "bad-character", 2, 11, ["`%`"]),
    ("let = 5\n", "syntax", 2, 5, ["a name"]),
    ("award a { kind }\n", "syntax", 2, 16, ["a name"]),
    ("payout { pay 1 USD }\n", "syntax", 2, 10, ["`cap`", "`floor`"]),
    ("let a = 2026-13-45\n", "bad-date", 2, 9, ["calendar date"]),
    ('table t(k: text): money { "a" 1 USD }\n', "syntax", 2, 31, ["`:`"]),
    ("curve c { }\n", "syntax", 2, 11, ["`from`"]),
    ("let a = if x then 1\n", "unexpected-end", 2, 20, ["`else`"]),
    ("let a = x in {1 2}\n", "syntax", 2, 17, ["`,`"]),
    ("componnet c { pay 1 USD }\n", "syntax", 2, 1, ["componnet", "declaration"]),
    ("let a = 'x'\n", "bad-character", 2, 9, ["`'`"]),
]


@pytest.mark.parametrize("body, code, line, column, words", BROKEN, ids=[b[0].strip()[:30] for b in BROKEN])
def test_syntax_error_is_located_and_readable(body, code, line, column, words):
    (d,) = errors_of(HEAD + body)
    assert (d.code, d.span.file, d.span.line, d.span.column) == (code, "t.plan", line, column)
    for w in words:
        assert w in d.message
    rendered = PlanError([d], Source("t.plan", HEAD + body)).render()
    for text in (d.message, d.hint or "", rendered):
        assert "__ANON" not in text.upper()
        assert "Token(" not in text
        assert "Traceback" not in text
        for internal in ("RBRACE", "LBRACE", "LPAR", "RPAR", "$END", "COMP_OP", "UPPER_INCLUSIVE", "NAME"):
            assert internal not in text
    assert rendered.startswith(f"t.plan:{line}:{column}: error[{code}]: ")
    assert f"{line:>4} | " in rendered and "^" in rendered


def test_misspelt_keyword_gets_a_did_you_mean():
    (d,) = errors_of(HEAD + "componnet c { pay 1 USD }\n")
    assert d.hint == "did you mean `component`?"
    (d,) = errors_of(HEAD + "component c { pya 1 USD }\n")
    assert d.hint == "did you mean `pay`?"


def test_missing_brace_is_reported_where_the_declaration_ends():
    (d,) = errors_of(HEAD + "component c {\n  pay 1 USD\n\n  let x = 1\n")
    assert (d.code, d.span.line, d.span.column) == ("unexpected-end", 3, 12)  # just after `pay 1 USD`
    assert d.hint == "is a closing `}` missing?"


def test_missing_brace_before_a_keyword_on_the_same_line():
    (d,) = errors_of(HEAD + "component c { pay 1 USD let x = 1\n")
    assert (d.span.line, d.span.column) == (2, 25)
    assert d.hint == "is a closing `}` missing before this declaration?"


def test_three_broken_declarations_give_three_diagnostics():
    text = (HEAD +                              # 1
            "input revenue: money\n"            # 2
            "let a = revenue +\n"               # 3  broken: ends too early
            "let ok = revenue\n"                # 4
            "component c {\n"                   # 5
            "  pay 10% of revenue\n"            # 6
            "  cap 5 $\n"                       # 7  broken: bad character
            "}\n"                               # 8
            "award x { kind title when }\n"     # 9  broken: no condition
            "payout { floor 0 USD }\n")         # 10
    diags = errors_of(text)
    assert [(d.span.line, d.code) for d in diags] == [(3, "unexpected-end"), (7, "bad-character"), (9, "syntax")]
    rendered = PlanError(diags, Source("t.plan", text)).render()
    assert rendered.count("error[") == 3
    assert "   3 | let a = revenue +" in rendered and "   7 |   cap 5 $" in rendered


def test_errors_in_a_plan_with_wide_characters_put_the_caret_under_the_place():
    text = HEAD + "let 达成率 = 销售额 $ 2\n"
    (d,) = errors_of(text)
    rendered = PlanError([d], Source("t.plan", text)).render()
    line, caret = rendered.splitlines()[1:3]
    assert line == "   2 | let 达成率 = 销售额 $ 2"
    # the caret counts wide characters as two columns
    assert caret == "     | " + " " * (4 + 6 + 3 + 6 + 1) + "^"


def test_empty_text_parses_to_no_declarations():
    assert parse(Source("t.plan", "")).decls == []
    assert parse(Source("t.plan", "# only a comment\n")).decls == []


@pytest.mark.parametrize("separator", ["\x0c", "\u2028"], ids=["form-feed", "line-separator"])
def test_diagnostic_quotes_the_right_line_after_a_form_feed(separator):
    from dsl import check

    text = HEAD + f"# section one{separator}\ninput revenue: money\ncomponent c {{\n  pay 10% of revenu\n}}\n"
    with pytest.raises(PlanError) as info:
        check(parse(Source("t.plan", text)))
    rendered = info.value.render()
    assert rendered.splitlines()[0].startswith("t.plan:5:14: error[name]")
    assert "   5 |   pay 10% of revenu" in rendered


# ---- never a crash: every broken plan gives a PlanError ----------------------------------------

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["account_executive", "field_sales_scorecard", "chinese_cny"])
def test_every_line_deleted_or_truncated_is_a_plan_error_or_a_plan(name):
    from incentives import compile_text

    lines = (ROOT / "plans" / f"{name}.plan").read_text(encoding="utf-8").split("\n")
    for i in range(len(lines)):
        for text in ("\n".join(lines[:i] + lines[i + 1:]), "\n".join(lines[:i])):
            try:
                compile_text(text, "x.plan")
            except PlanError as err:
                assert err.diagnostics
                err.render()


def test_keyword_run_into_a_literal_is_not_a_crash():
    text = HEAD + "input x: percent\ncomponent c { pay 1 USD  gate x >= 50% else0% }\n"
    try:
        parse(Source("t.plan", text))
    except PlanError:
        pass


@pytest.mark.parametrize("decl", ['input x: money range "a" to 5 USD', "input d: date range 2026-01-01 to 5"])
def test_range_of_the_wrong_type_is_a_plan_error(decl):
    from dsl import check

    with pytest.raises(PlanError) as info:
        check(parse(Source("t.plan", HEAD + decl + "\ncomponent c { pay 1 USD }\n")))
    assert "type" in [d.code for d in info.value.diagnostics]
