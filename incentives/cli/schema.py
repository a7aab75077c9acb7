"""`incentives schema`: the JSON Schema of the breakdown."""

from __future__ import annotations

import json

from incentives.explain.build import json_schema
from .common import out


def schema() -> None:
    """Print the JSON Schema of the breakdown (`run --explain --format json`)."""
    out(json.dumps(json_schema(), indent=2) + "\n")
