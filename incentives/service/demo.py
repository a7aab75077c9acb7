"""`incentives serve --demo`: the bundled FY2027 plan set and its data loaded into the store, and an
admin token printed, so every route can be tried at once."""

from __future__ import annotations

from pathlib import Path

from incentives.plan import compile_text
from .routes.datasets import validate
from .store import Store, sha256

ROOT = Path(__file__).resolve().parent.parent.parent
PLAN = ROOT / "plans" / "fy2027_ae.plan"
DATA = {"people": "fy2027_ae.csv", "deals": "fy2027_ae.deals.csv", "assignments": "fy2027_ae.assignments.csv",
        "quotas": "fy2027_ae.quotas.csv", "rates": "fy2027_ae.rates.csv"}


def load_demo(store: Store) -> dict[str, int]:
    """Upload the demo plan and datasets (once: the same plan is the same version); their ids by kind."""
    text = PLAN.read_text(encoding="utf-8")
    plan = compile_text(text, PLAN.name)
    start, end = plan.ir.effective or (None, None)
    store.add_plan({"name": plan.name, "hash": plan.hash, "text": text, "currency": plan.ir.currency,
                    "period": plan.ir.period, "effective_start": start, "effective_end": end}, "demo")
    ids = {}
    known = {(d.kind, d.hash): d.id for d in store.datasets()}
    for kind, name in DATA.items():
        path = ROOT / "plans" / "data" / name
        content = path.read_bytes()
        digest = sha256(content)
        if (kind, digest) in known:
            ids[kind] = known[(kind, digest)]
            continue
        ids[kind] = store.add_dataset(kind, name, "csv", content, validate(kind, path), "demo").id
    return ids
