"""Shared test setup: the repository root on sys.path and the hypothesis profiles.

Profiles:
  dev  - the default on a developer's machine: random examples, no deadline.
  ci   - chosen when the CI environment variable is set: derandomized (the
         same examples every run, so CI is reproducible), no deadline.
Pick one explicitly with HYPOTHESIS_PROFILE=dev|ci.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# database=None: no .hypothesis/ folder in the work tree; failures print their reproduction blob instead.
_common = {"deadline": None, "max_examples": 100, "database": None, "print_blob": True,
           "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", **_common)
settings.register_profile("ci", derandomize=True, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
pytest_plugins = ["pytester"]
