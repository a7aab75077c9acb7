"""A compiled plan is shareable: many threads run it at once, and it travels to worker processes,
with exactly the serial results, payee by payee and component by component."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

import incentives
from incentives.explain.render import render_json

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "plans"
DATA = PLANS / "data"

#: the bundled plans over sales data: (plan, people, deals, splits), each with its Q1 data
SALES = [
    (name, DATA / f"{name}.csv", DATA / f"{name}.deals.csv",
     DATA / f"{name}.splits.csv" if (DATA / f"{name}.splits.csv").exists() else None)
    for name in ("split_credit", "manager_override", "per_deal_tiers", "quarterly_champion", "team_pool",
                 "sdr_ae_pair")
]


def _amounts(results) -> dict[str, tuple]:
    """Every payee's component amounts, awards and total: what must not differ between runs."""
    return {r.payee: (tuple((c.name, c.amount) for c in r.components), r.total,
                      tuple((a.name, a.granted, a.value) for a in r.awards)) for r in results}


def _population(plan_name: str, people, deals, splits, plan=None, trace=False):
    plan = plan or incentives.load_plan(PLANS / f"{plan_name}.plan")
    return plan.run_population(people=people, deals=deals, splits=splits, period="2026-Q1", trace=trace)


@pytest.mark.parametrize("name,people,deals,splits", SALES, ids=[s[0] for s in SALES])
def test_eight_threads_share_one_compiled_plan(name, people, deals, splits):
    plan = incentives.load_plan(PLANS / f"{name}.plan")
    folks = incentives.load_people(people, plan)
    deal_rows = incentives.load_deals(deals, plan, folks)
    split_rows = incentives.load_splits(splits, plan, deal_rows, folks) if splits else None
    serial = _amounts(plan.run_population(people=folks, deals=deal_rows, splits=split_rows, period="2026-Q1"))
    serial_explained = [render_json(incentives.explain(plan, r)) for r in
                        plan.run_population(people=folks, deals=deal_rows, splits=split_rows, period="2026-Q1",
                                            trace=True)]
    assert serial and any(total for _, total, _ in serial.values())

    def work(i: int):
        trace = i % 2 == 1  # half the threads explain too: the lazily compiled sub-expressions are shared
        out = plan.run_population(people=folks, deals=deal_rows, splits=split_rows, period="2026-Q1", trace=trace)
        return _amounts(out), [render_json(incentives.explain(plan, r)) for r in out] if trace else None

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    for amounts, explained in results:
        assert amounts == serial
        if explained is not None:
            assert explained == serial_explained


def test_threads_running_one_payee_plans_agree_with_serial():
    plan = incentives.load_plan(PLANS / "account_executive.plan")
    cases = [{"revenue": Decimal(r), "quota": Decimal(q)} for r in range(0, 600_000, 7_919)
             for q in (100_000, 250_000, 333_333)]
    serial = [plan.run(v, payee=str(i), period="2026-Q1").total for i, v in enumerate(cases)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda iv: plan.run(iv[1], payee=str(iv[0]), period="2026-Q1").total,
                                 enumerate(cases)))
    assert threaded == serial


def _in_worker(payload: bytes, name: str) -> dict:
    """Run in another process: unpickle the plan (compiled again from its text) and run the Q1 data."""
    plan = pickle.loads(payload)
    _, people, deals, splits = next(s for s in SALES if s[0] == name)
    return _amounts(_population(name, people, deals, splits, plan=plan))


def _by_source(text: str, file: str, digest: str, name: str) -> dict:
    plan = incentives.compile_text(text, file)
    assert plan.hash == digest
    _, people, deals, splits = next(s for s in SALES if s[0] == name)
    return _amounts(_population(name, people, deals, splits, plan=plan))


def test_a_plan_ships_to_worker_processes_pickled_or_by_source():
    names = ["split_credit", "quarterly_champion", "team_pool"]
    plans = {n: incentives.load_plan(PLANS / f"{n}.plan") for n in names}
    serial = {n: _amounts(_population(n, *next(s[1:] for s in SALES if s[0] == n), plan=plans[n])) for n in names}
    with ProcessPoolExecutor(max_workers=2) as pool:
        pickled = {n: pool.submit(_in_worker, pickle.dumps(plans[n]), n) for n in names}
        sourced = {n: pool.submit(_by_source, plans[n].source.text, plans[n].source.name, plans[n].hash, n)
                   for n in names}
        for n in names:
            assert pickled[n].result(timeout=120) == serial[n]
            assert sourced[n].result(timeout=120) == serial[n]


def test_a_pickled_plan_keeps_its_name_and_hash():
    plan = incentives.load_plan(PLANS / "account_executive.plan")
    again = pickle.loads(pickle.dumps(plan))
    assert isinstance(again, incentives.Plan)
    assert (again.name, again.hash, again.source.name) == (plan.name, plan.hash, plan.source.name)
    values = {"revenue": Decimal("412345.67"), "quota": Decimal("250000")}
    assert again.run(values, period="2026-Q1").total == plan.run(values, period="2026-Q1").total


def test_a_compiled_plan_keeps_no_payee_between_runs():
    """The deal compiler used to keep the payee whose deals it was taking; nothing of a run may stay
    on the compiled plan (its evaluator's compilers hold only compiled functions)."""
    plan = incentives.load_plan(PLANS / "per_deal_tiers.plan")
    _, people, deals, splits = next(s for s in SALES if s[0] == "per_deal_tiers")
    before = {k: v for k, v in vars(plan.evaluator.deal_compile).items() if k != "fns"}
    _population("per_deal_tiers", people, deals, splits, plan=plan)
    after = {k: v for k, v in vars(plan.evaluator.deal_compile).items() if k != "fns"}
    assert "payee" not in after
    assert before.keys() == after.keys()
