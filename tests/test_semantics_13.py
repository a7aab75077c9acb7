"""Semantics that surprised plan authors (issue 13): bare-number rates on a money base,
marginal tiers that stop paying at a bounded top band, definitions kept only to be shown,
and measures of pay used before anyone is paid."""

from __future__ import annotations

from decimal import Decimal

import pytest

import incentives
from dsl import PlanError, Severity, Source, check, parse

HEAD = 'plan "S" { currency USD period quarter }\n'


def checked(body: str):
    return check(parse(Source("s.plan", HEAD + body)))


def errors(body: str) -> list:
    with pytest.raises(PlanError) as info:
        checked(body)
    return info.value.errors


def warnings(body: str, code: str | None = None) -> list:
    found = checked(body).warnings
    assert all(w.severity is Severity.WARNING for w in found)
    return [w for w in found if code is None or w.code == code]


def tiers(kind: str, first: str, second: str = "10%", base: str = "revenue") -> str:
    return (f"input revenue: money\ncomponent c {{\n  tiers {kind} on {base} {{\n"
            f"    from 0 USD to 10_000 USD: {first}\n    from 10_000 USD: {second}\n  }}\n}}\n")


# ---- 1. a bare number as a rate on a money base --------------------------------------------

@pytest.mark.parametrize("kind", ["marginal", "retroactive"])
def test_a_bare_whole_number_rate_on_money_is_an_error_with_the_percentage_as_fix(kind):
    [e] = errors(tiers(kind, "5"))
    assert e.code == "band-rate"
    assert (e.span.line, e.span.column) == (5, 31)
    assert e.message == f"a bare number as a {kind} rate multiplies the base: `5` pays 500% of `revenue`"
    assert e.hint == "a rate on a money base is a percentage: write `5%`"


def test_a_folded_constant_rate_of_one_or_more_is_an_error_too():
    [e] = errors(tiers("marginal", "2 * 2.5"))
    assert e.code == "band-rate"
    assert "`2 * 2.5` pays 500%" in e.message and e.hint.endswith("write `5%`")
    [e] = errors(tiers("marginal", "-1"))  # a clawback of the whole base, in size 100%
    assert e.code == "band-rate" and "pays -100%" in e.message


def test_a_bare_fraction_is_a_warning_and_pays_what_it_says():
    [w] = warnings(tiers("marginal", "0.05"), "band-rate")
    assert w.message == "a bare number as a marginal rate multiplies the base: `0.05` pays 5% of `revenue`"
    assert w.hint == "a rate on a money base is a percentage: write `5%` (or `0.05%` if you meant 0.05 percent)"
    bare = incentives.compile_text(HEAD + tiers("marginal", "0.05"), "s.plan")
    percent = incentives.compile_text(HEAD + tiers("marginal", "5%"), "s.plan")
    values = {"revenue": Decimal("20000")}
    assert bare.run(values).total == percent.run(values).total == Decimal("1500.00")


def test_a_number_rate_known_only_when_the_plan_runs_is_a_warning():
    body = "input rate: number\n" + tiers("marginal", "rate")
    [w] = warnings(body, "band-rate")
    assert w.message == ("this marginal rate is a number, not a percentage: it multiplies the base `revenue`, "
                         "so a value of 5 pays 500%")
    assert "declare it `percent`" in w.hint
    assert warnings("input rate: percent\n" + tiers("marginal", "rate"), "band-rate") == []


def test_rates_written_as_percentages_and_other_bases_are_untouched():
    assert warnings(tiers("marginal", "5%"), "band-rate") == []
    assert warnings(tiers("marginal", "0", "5%"), "band-rate") == []  # nothing, however it is read
    meetings = ("input meetings: count\ncomponent c { tiers retroactive on meetings { from 0 to 10: 50 USD "
                "from 10: 75 USD } }\n")
    assert warnings(meetings, "band-rate") == []
    # a multiplier's bare numbers are what it means: 1.1 is x1.1
    multiplier = ("input revenue: money\ninput quota: money\ncomponent c { pay 8% of revenue\n"
                  "  multiplier on revenue / quota { from 0% to 100%: 1  from 100%: 1.1 } }\n")
    assert warnings(multiplier, "band-rate") == []
    # a step band on a money base already needs money, and says so
    [e] = errors(tiers("step", "500", "1_000 USD"))
    assert e.code == "band-value" and "`500 USD`" in e.hint


def test_per_deal_tiers_on_a_deal_amount_follow_the_same_rule():
    body = ('deals { field region: text }\ncomponent c {\n  tiers marginal per deal on amount {\n'
            '    from 0 USD to 1_000 USD: 3\n    from 1_000 USD: 2%\n  }\n}\n')
    [e] = errors(body)
    assert e.code == "band-rate" and "`3` pays 300% of `amount`" in e.message


# ---- 2. marginal tiers whose last band is bounded --------------------------------------------

BOUNDED = ("input revenue: money{range}\ncomponent c {{\n  tiers marginal on revenue {{\n"
           "    from 0 USD to 10_000 USD: 5%\n    from 10_000 USD to 50_000 USD: 7%\n  }}\n}}\n")


def test_a_bounded_top_band_that_the_base_can_pass_is_warned_with_the_open_band_as_hint():
    [w] = warnings(BOUNDED.format(range=" range 0 USD to 100_000 USD"), "marginal-top")
    assert (w.span.line, w.span.column) == (6, 24)
    assert w.message == ("marginal tiers pay nothing on the part of `revenue` above 50_000 USD, where the last "
                         "band ends (`revenue` can be up to 100_000 USD)")
    assert w.hint == ("leave the last band open: `from 10_000 USD: 7%`; if nothing is meant to be paid above "
                      "50_000 USD, say so with a last band `from 50_000 USD: 0%`")


def test_a_bounded_top_band_is_warned_when_the_base_has_no_range():
    [w] = warnings(BOUNDED.format(range=""), "marginal-top")
    assert w.message.endswith("where the last band ends")


@pytest.mark.parametrize("declared", [" range 0 USD to 50_000 USD", " range 0 USD to 20_000 USD"])
def test_no_warning_when_the_declared_range_keeps_the_base_under_the_top(declared):
    assert warnings(BOUNDED.format(range=declared), "marginal-top") == []


def test_an_open_last_band_or_other_kinds_are_not_warned():
    assert warnings(tiers("marginal", "5%"), "marginal-top") == []
    retro = BOUNDED.format(range="").replace("marginal", "retroactive")
    assert warnings(retro, "marginal-top") == []
    explicit = BOUNDED.format(range="").replace("7%\n", "7%\n    from 50_000 USD: 0%\n")
    assert warnings(explicit, "marginal-top") == []


def test_a_running_total_is_warned_whatever_the_ranges():
    body = ('deals { field region: text }\ncomponent c {\n  tiers marginal running on amount {\n'
            '    from 0 USD to 1_000 USD: 1%\n    from 1_000 USD to 5_000 USD: 2%\n  }\n}\n')
    [w] = warnings(body, "marginal-top")
    assert "the running total of `amount` above 5_000 USD" in w.message


def test_a_bound_that_is_not_a_constant_is_quoted():
    body = ("input revenue: money\ninput quota: money\ncomponent c {\n  tiers marginal on revenue {\n"
            "    from 0 USD to quota: 5%\n    from quota to 150% of quota: 7%\n  }\n}\n")
    [w] = warnings(body, "marginal-top")
    assert "above `150% of quota`, where" in w.message
    assert w.hint.endswith("say so with a last band `from 150% of quota: 0%`")
    assert "`from quota: 7%`" in w.hint


# ---- 3. definitions kept to be shown in the breakdown -----------------------------------------

def test_a_described_definition_is_shown_and_not_unused():
    body = ('input revenue: money\ninput quota: money\n'
            'let attainment = revenue / quota "Revenue over quota"\ncomponent c { pay 5% of revenue }\n')
    assert warnings(body, "unused") == []  # and `quota`, which only it uses, is used too
    plan = incentives.compile_text(HEAD + body, "s.plan")
    result = plan.run({"revenue": Decimal("150"), "quota": Decimal("100")}, trace=True)
    shown = incentives.explain(plan, result).definitions
    assert [(d.name, d.shown, d.description) for d in shown] == [("attainment", "150%", "Revenue over quota")]


def test_an_undescribed_definition_nothing_uses_is_warned_with_the_way_to_keep_it():
    body = "input revenue: money\nlet spare = revenue * 2\ncomponent c { pay 5% of revenue }\n"
    [w] = warnings(body, "unused")
    assert w.message == "definition `spare` is never used by the plan's components, awards or properties"
    assert w.hint == 'to keep it only to be shown in the breakdown, describe it: `let spare = revenue * 2 "What it is"`'


# ---- 4. measures of pay before anyone is paid -------------------------------------------------

PAID = "input revenue: money\nmeasure paid = sum commission of reports\n"
WHY = "it measures what the reports were paid, which is known only after the reports are paid"


@pytest.mark.parametrize("body, where", [
    ("let base = paid + revenue\ncomponent o { pay 2% of base }\n", "in definitions"),
    ("contest top { rank by paid }\n", "in a contest"),
    ("measure many = count of reports where paid > 0 USD\n", "in a measure of reports"),
    ("component pooled { pool paid among team equally }\n", "in a pool"),
])
def test_a_measure_of_pay_used_too_early_says_why_and_where_it_may_be_used(body, where):
    found = errors(PAID + "component commission { pay 8% of revenue }\n" + body)
    [e] = [e for e in found if "`paid`" in e.message]
    assert e.code == "name"
    assert e.message.startswith(f"`paid` cannot be used {where}") and e.message.endswith(WHY)
    assert "unknown name" not in e.message
    assert e.hint == ("a measure of pay may be used in component lines (other than `pool`), awards, "
                      "the payout block and properties")


def test_a_measure_of_pay_in_a_component_is_fine():
    plan = checked(PAID + "component commission { pay 8% of revenue }\ncomponent o { pay 2% of paid }\n")
    assert [c.name.text for c in plan.components] == ["commission", "o"]
