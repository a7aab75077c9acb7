"""A short seeded fuzz run: mutants of every bundled plan, no crash class (see tests/fuzz/__init__.py)."""

from __future__ import annotations

import random

import pytest

from .harness import PLANS, mutate, run, run_stages


@pytest.mark.parametrize("seed", [20260101, 20260102, 20260103, 20260104])
def test_mutants_of_every_plan_crash_nothing(seed):
    """4 x 42 seeded mutants (in chunks, so parallel workers share them); the per-mutant time budget
    turns a hang into a crash class rather than a stuck suite."""
    report = run(42, seed=seed, evaluate_every=8, max_examples=3, budget_seconds=10.0, shrink_crashes=False)
    assert report.mutants == 42
    assert not report.crashes, report.text(show=3000)


def test_the_harness_is_reproducible():
    text = PLANS[0].read_text(encoding="utf-8")
    one = [mutate(text, r)[1] for r in [random.Random(5)] for _ in range(20)]
    two = [mutate(text, r)[1] for r in [random.Random(5)] for _ in range(20)]
    assert one == two and len(set(one)) > 1


@pytest.mark.parametrize("text, kind", [
    ("plan \"x\" {\n  currency USD\n}\nlet a = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n", "PlanError"),
    ("plan \"x\" {\n  currency USD\n}\nlet a = " + " + ".join(["1"] * 10_000) + "\n", "PlanError"),
    ("plan \"\ud800\" {\n  currency USD\n}\n", "PlanError"),
    ("plan \"x\" {\n  currency USD\n}\ncomponent c {\n  pay " + "1" * 4301 + " USD\n}\n", "PlanError"),
])
def test_known_mutants(text, kind):
    assert run_stages(text, "plans/x.plan") == kind
