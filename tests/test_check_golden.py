"""Golden diagnostics: each tests/golden/check/NAME.plan is a plan with one kind of
mistake, and NAME.expected beside it is exactly what `PlanError.render()` prints for
it, with the file named as tests/golden/check/NAME.plan.

Regenerate the expected files after a deliberate change of wording with

    UPDATE_GOLDEN=1 python -m pytest tests/test_check_golden.py

and read every changed file before committing it: each must make sense to a
comp admin who has never seen the engine's code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dsl import PlanError, Source, check, parse

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "check"
PLANS = sorted(GOLDEN.glob("*.plan"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def diagnose(path: Path) -> PlanError:
    rel = path.relative_to(ROOT).as_posix()
    source = Source(rel, path.read_text(encoding="utf-8"))
    with pytest.raises(PlanError) as info:
        check(parse(source))
    return info.value


def test_there_is_a_golden_plan_for_each_kind_of_mistake():
    assert len(PLANS) >= 26
    assert {p.with_suffix(".expected").name for p in PLANS} == {p.name for p in GOLDEN.glob("*.expected")} \
        or UPDATE


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_golden_diagnostics(path: Path):
    rendered = diagnose(path).render() + "\n"
    expected_path = path.with_suffix(".expected")
    if UPDATE:
        expected_path.write_text(rendered, encoding="utf-8")
        return
    assert expected_path.exists(), f"no {expected_path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert rendered == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_diagnostics_read_as_plan_language(path: Path):
    err = diagnose(path)
    assert err.errors, "a golden plan must have at least one error"
    rel = path.relative_to(ROOT).as_posix()
    for d in err.diagnostics:
        assert d.span.file == rel
        assert 1 <= d.span.line <= len(err.source.lines)
        text = d.message + (d.hint or "")
        for internal in ("__ANON", "Token(", "Traceback", "T.MONEY", "T.ERROR", "ast.", "None", "$END"):
            assert internal not in text
        assert d.message[:1].islower() or d.message[:1] in "`\"", d.message  # reads on from `error[...]:`
    rendered = err.render()
    assert rendered.count("error[") == len(err.errors)


#: What each golden plan is about: the diagnostic codes, in order, so that regenerating
#: the expected files after a wording change cannot silently change what is reported.
CODES = {
    "activity_column_unknown": ["activities", "name", "measure"],
    "activity_example_lines": ["example", "example", "example", "example", "duplicate"],
    "bad_currency_code": ["currency"],
    "bad_period": ["period"],
    "bad_rounding_mode": ["round"],
    "band_bound_unit": ["band-unit", "band-unit"],
    "band_decreasing": ["band-order"],
    "band_gap": ["band-gap"],
    "band_open_not_last": ["band-open"],
    "band_overlap": ["band-overlap"],
    "band_rate_bare_number": ["band-rate"],
    "cap_not_money": ["type"],
    "compare_money_percent": ["units"],
    "currency_mismatch": ["currency"],
    "dates_function_not_date": ["type", "type"],
    "dates_in_period_no_period": ["name"],
    "dates_in_period_not_date": ["type"],
    "dates_reversed": ["dates"],
    "default_outside_range": ["range"],
    "division_by_literal_zero": ["division-by-zero"],
    "duplicate_name": ["duplicate"],
    "duplicate_table_row": ["duplicate"],
    "empty_component": ["empty-component"],
    "example_bad_deals": ["example", "example", "example", "example", "duplicate", "type", "example", "example"],
    "example_people_values": ["example"] * 6,
    "example_unknown_ids": ["example"] * 4,
    "empty_plan": ["empty-plan"],
    "gate_not_bool": ["type"],
    "let_cycle": ["cycle"],
    "marginal_value_wrong_unit": ["units"],
    "measure_of_pay_in_definition": ["name"],
    "measure_definition_cycle": ["cycle"],
    "measure_definition_uses_group_measure": ["measure"],
    "measure_of_condition": ["type"],
    "missing_header": ["no-header"],
    "missing_table_keys": ["missing-key"],
    "missing_not_optional": ["missing"],
    "optional_with_default": ["missing"],
    "rules_no_default": ["rules"],
    "rules_overlap": ["rules"],
    "rules_outside_deals": ["name"],
    "rules_shadowed": ["rules", "rules"],
    "money_plus_percent": ["units"],
    "money_times_money": ["units"],
    "no_currency": ["no-currency"],
    "property_over_deals": ["property"] * 3,
    "round_without_mode": ["arity"],
    "running_bands_read_deal": ["name"],
    "several_errors": ["units", "type", "type"],
    "step_band_interpolates": ["band-value"],
    "table_used_as_value": ["name"],
    "unclosed_text": ["unclosed-text"],
    "unexpected_token": ["syntax"],
    "unknown_award_kind": ["award"],
    "unknown_curve": ["name"],
    "unknown_function": ["name"],
    "unknown_name": ["name"],
    "unknown_tier_kind": ["tiers"],
    "unknown_type": ["type"],
    "weights_not_100": ["weights"],
}


def test_every_golden_plan_has_its_codes_listed():
    assert sorted(CODES) == [p.stem for p in PLANS]


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_golden_plan_reports_its_kind_of_mistake(path: Path):
    assert [d.code for d in diagnose(path).errors] == CODES[path.stem]
