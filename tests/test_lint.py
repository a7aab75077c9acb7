"""Lint warnings: located, in plan units, and errors under --strict."""

from __future__ import annotations

import pytest

from dsl import Severity, Source, check, parse

HEAD = 'plan "L" { currency USD period month }\n'


def warnings(body: str) -> list[tuple[str, int, str]]:
    checked = check(parse(Source("l.plan", HEAD + body)))
    assert all(w.severity is Severity.WARNING for w in checked.warnings)
    return [(w.code, w.span.line, w.message) for w in checked.warnings]


def test_unused_input_and_definition():
    found = warnings("input revenue: money\ninput region: text\nlet spare = revenue * 2\n"
                     "let used = revenue * 3\ncomponent c { pay used }\n")
    assert found == [
        ("unused", 3, "input `region` is never used by the plan's components, awards or properties"),
        ("unused", 4, "definition `spare` is never used by the plan's components, awards or properties"),
    ]


def test_what_a_described_definition_uses_is_used_and_the_unused_hint_says_so():
    checked = check(parse(Source("l.plan", HEAD + 'input revenue: money\ninput quota: money\n'
                                 'let attainment = revenue / quota "Shown"\nlet spare = quota * 2\n'
                                 'component c { pay 1 USD }\n')))
    [w] = checked.warnings
    assert (w.code, w.span.line) == ("unused", 5)
    assert w.hint == 'to keep it only to be shown in the breakdown, describe it: `let spare = quota * 2 "What it is"`'


def test_a_definition_used_only_by_a_property_is_used():
    assert warnings("input revenue: money range 0 USD to 10 USD\nlet half = revenue / 2\n"
                    "component c { pay revenue }\nproperty \"p\" { always half <= revenue }\n") == []


def test_unreachable_band_through_a_definition():
    found = warnings("input revenue: money range 0 USD to 100_000 USD\n"
                     "input quota: money range 50_000 USD to 100_000 USD\nlet attainment = revenue / quota\n"
                     "component c {\n  pay 10% of revenue\n  multiplier on attainment {\n    from 0% to 100%: 1\n"
                     "    from 100% to 250%: 1.2\n    from 250%: 1.5\n  }\n}\n")
    assert found == [("unreachable-band", 10,
                      "this band can never be reached: it starts at 250% but `attainment` is at most 200%")]


def test_unreachable_tier_with_a_bound_relative_to_quota():
    found = warnings("input revenue: money range 0 USD to 100_000 USD\n"
                     "input quota: money range 80_000 USD to 200_000 USD\ncomponent c {\n"
                     "  tiers marginal on revenue {\n    from 0 USD to 100% of quota: 5%\n"
                     "    from 100% of quota to 150% of quota: 8%\n    from 150% of quota: 10%\n  }\n}\n")
    assert found == [("unreachable-band", 8, "this band can never be reached: it starts at 150% of quota "
                                             "(at least 120_000 USD) but `revenue` is at most 100_000 USD")]


def test_gate_that_can_never_pass_and_award_never_granted():
    found = warnings("input meetings: count range 0 to 20\ncomponent c {\n  pay 50 USD * meetings\n"
                     "  gate meetings >= 25 or meetings < 0 else 0%\n}\n"
                     "award a { kind title when meetings > 30 }\n")
    assert found == [
        ("gate-never-passes", 5, "this gate can never pass given the declared ranges: `meetings` is from 0 to 20"),
        ("award-never-granted", 7, "award `a` can never be granted given the declared ranges: "
                                   "`meetings` is from 0 to 20"),
    ]


def test_gate_that_can_pass_is_quiet():
    assert warnings("input meetings: count range 0 to 20\n"
                    "component c { pay 50 USD * meetings gate meetings >= 8 and not (meetings > 19) }\n") == []


def test_unknown_ranges_give_no_warning():
    assert warnings("input revenue: money\ncomponent c { pay 1 USD gate revenue > 1_000_000_000 USD }\n") == []


def test_cap_below_floor():
    found = warnings("component c {\n  pay 5 USD\n  cap 1_000 USD\n  floor 2_000 USD\n}\n")
    assert found == [("cap-below-floor", 5, "the cap 1_000 USD is below the floor 2_000 USD: whichever comes "
                                            "last always decides the amount")]


@pytest.mark.parametrize("body", [
    "input x: money range 0 USD to 10 USD\ncomponent c { pay x gate x > 20 USD }\n",
    "input x: money\ninput y: money\ncomponent c { pay x }\n",
    "input x: money\ncomponent c { tiers marginal on x { from 0 USD to 10 USD: 5% } }\n",  # marginal-top
    "input x: money\ncomponent c { tiers marginal on x { from 0 USD: 0.05 } }\n",  # band-rate, from the checker
])
def test_strict_cli_makes_warnings_errors(tmp_path, body):
    from typer.testing import CliRunner

    from incentives.cli.app import EXIT_PLAN, app

    path = tmp_path / "w.plan"
    path.write_text(HEAD + body, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    strict = runner.invoke(app, ["check", "--strict", str(path)])
    assert strict.exit_code == EXIT_PLAN
    assert "warning[" in strict.output


SALES = ('input sold: money range 0 USD to 100_000 USD\n'
         'measure revenue = sum amount of deals where status == "won"\n'
         'contest champ { rank by sold prizes 1_000 USD }\n'
         'component prize_pay { pay prize(champ) }\n'
         'component shared { pool 1_000 USD among team by sold }\n'
         'component spiff { tiers step per deal on amount { from 0 USD to 10_000 USD: 0 USD from 10_000 USD: 100 USD } }\n'
         'component commission { pay 10% of revenue }\n'
         'award champion { kind title when prize_pay > 0 USD }\n')


@pytest.mark.parametrize("law, name, reason", [
    ("always prize_pay <= 1_000 USD", "`prize_pay`", "a contest result"),
    ("always shared >= 0 USD", "`shared`", "a pool"),
    ("monotone spiff in sold", "`spiff`", "tiers taken deal by deal"),
    ("always champion or commission >= 0 USD", "`champion`", "a contest result"),
    ("always rank(champ) <= 1", "this law", "a contest result"),
])
def test_a_one_payee_law_about_what_only_a_population_gives_is_flagged(law, name, reason):
    found = warnings(SALES + f'property "p" {{\n  {law}\n}}\n')
    assert [(code, line) for code, line, _ in found] == [("alone", 11)]
    assert found[0][2] == (f"{name} comes from {reason}, which is 0 for a payee evaluated alone; this property "
                           f"runs one payee at a time, so the law tests nothing there")


def test_the_same_law_over_deals_or_about_other_lines_is_not_flagged():
    assert warnings(SALES + 'property "p" over deals {\n  always prize_pay <= 1_000 USD\n}\n') == []
    assert warnings(SALES + 'property "p" {\n  always commission >= 0 USD\n}\n') == []


def test_a_component_or_award_that_also_pays_alone_is_not_flagged():
    body = ('input sold: money range 0 USD to 100_000 USD\n'
            'contest champ { rank by sold prizes 1_000 USD }\n'
            'component c {\n  pay 5% of sold\n  pay prize(champ)\n  gate rank(champ) <= 3\n}\n'
            'award a { kind prize when sold > 0 USD value prize(champ) }\n'
            'property "p" {\n  always a == (sold > 0 USD)\n  always c <= 5_000 USD\n}\n')
    assert warnings(body) == []


def test_total_made_only_of_pools_and_an_assumption_are_flagged_in_their_own_words():
    body = ('input sold: money range 0 USD to 100_000 USD\n'
            'component shared { pool 1_000 USD among team by sold }\n'
            'property "p" {\n  assume total > 0 USD\n  always sold >= 0 USD\n}\n')
    (found,) = warnings(body)
    assert found[:2] == ("alone", 5)
    assert found[2].startswith("`total` comes from a pool") and found[2].endswith("so the assumption tests nothing "
                                                                                   "there")
