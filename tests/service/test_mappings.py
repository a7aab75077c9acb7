"""CRM exports through a mapping: a Salesforce opportunities export imported with the bundled mapping
is read as our deals, and a run through the mapping pays what the native file pays."""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "plans" / "data"


def _upload(c, kind, path, **params):
    r = c.post(f"/datasets/{kind}", params={"format": path.suffix[1:], "name": path.name, **params},
               content=path.read_bytes())
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _run(c, key, datasets):
    text = (ROOT / "plans" / "split_credit.plan").read_text()
    c.post("/plans", json={"text": text, "file": "split_credit.plan"})
    r = c.post("/runs", json={"plans": [{"name": "AE Split Credit Q1 2026"}], "period": "2026-Q1",
                              "datasets": datasets}, headers={"Idempotency-Key": key})
    assert r.status_code == 202, r.text
    for _ in range(600):
        state = c.get(f"/runs/{r.json()['id']}").json()
        if state["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    assert state["status"] == "succeeded", state
    return {(p["payee"], p["paid"]) for p in c.get(f"/runs/{state['id']}/payouts").json()}


def test_a_crm_export_through_its_mapping_pays_what_the_native_file_pays(server):
    with server.client() as c:
        mapping = _upload(c, "mapping", DATA / "mappings" / "salesforce_opportunities.toml")
        people = _upload(c, "people", DATA / "split_credit.csv")
        splits = _upload(c, "splits", DATA / "split_credit.splits.csv")
        native = _upload(c, "deals", DATA / "split_credit.deals.csv")
        refused = c.post("/datasets/deals", params={"format": "csv"},
                         content=(DATA / "split_credit.salesforce.csv").read_bytes())
        assert refused.status_code == 422  # without the mapping the export's columns are not ours
        exported = _upload(c, "deals", DATA / "split_credit.salesforce.csv", mapping=mapping)
        a = _run(c, "native", {"people": people, "deals": native, "splits": splits})
        b = _run(c, "exported", {"people": people, "deals": exported, "splits": splits, "mapping": mapping})
        assert a == b and len(a) >= 6
        assert c.post("/datasets/mapping", params={"format": "csv"}, content=b"x").status_code == 422
