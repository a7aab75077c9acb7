"""Shared test setup: the repository root on sys.path, the hypothesis profiles and example counts.

Profiles:
  dev  - the default on a developer's machine: random examples, no deadline.
  ci   - chosen when the CI environment variable is set: derandomized (the
         same examples every run, so CI is reproducible), no deadline.
Pick one explicitly with HYPOTHESIS_PROFILE=dev|ci.

Example counts (the default run, and CI, are quick; `pytest --full` is the full run):
  - each hypothesis test collected from tests/ tries at most QUICK_MAX_EXAMPLES examples
    (its own @settings(max_examples=...) or the profile's FULL_MAX_EXAMPLES otherwise);
  - each plan property `over deals` in plans/*.plan tries `incentives_quick_examples` inputs
    (pyproject.toml) instead of `incentives_max_examples` (incentives.plantest.pytest_plugin).
`pytest --full` (the option belongs to the incentives pytest plugin) brings back the full counts for
both: every test's own max_examples and incentives_max_examples for every plan property.  The
profile still decides randomness, so `CI=1 pytest --full` is the full run, derandomized.
Hypothesis calls inside a test's body (find(), a nested @given) keep their counts: those are part
of what the test asserts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FULL_MAX_EXAMPLES = 100  # a test without its own max_examples, under --full
QUICK_MAX_EXAMPLES = 25  # the most any hypothesis test tries without --full

# database=None: no .hypothesis/ folder in the work tree; failures print their reproduction blob instead.
_common = {"deadline": None, "max_examples": FULL_MAX_EXAMPLES, "database": None, "print_blob": True,
           "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", **_common)
settings.register_profile("ci", derandomize=True, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
pytest_plugins = ["pytester"]


def _full(config: pytest.Config) -> bool:
    return bool(config.getoption("--full", default=False))


def pytest_report_header(config: pytest.Config) -> str:
    counts = "full example counts" if _full(config) else \
        f"at most {QUICK_MAX_EXAMPLES} examples a test (--full: each test's own count)"
    return f"hypothesis tests: profile {settings.get_current_profile_name()}, {counts}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _full(config):
        return
    for item in items:
        function = getattr(item, "function", None)
        if not getattr(function, "is_hypothesis_test", False):
            continue
        # Keep the test's own settings (derandomize, deadline, ...) and lower only the count; the
        # original is kept so that a parametrized test is not lowered once per item.
        own = getattr(function, "_incentives_full_settings", None)
        if own is None:
            own = function._incentives_full_settings = function._hypothesis_internal_use_settings
        if own.max_examples > QUICK_MAX_EXAMPLES:
            function._hypothesis_internal_use_settings = settings(own, max_examples=QUICK_MAX_EXAMPLES)
