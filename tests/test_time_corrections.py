"""A correction recorded by hand about a final period (the service's POST /adjustments) is neither
replaced nor undone when that period is re-run with new data."""

from __future__ import annotations

from decimal import Decimal as D

from incentives import compile_text
from incentives.engine.calendar import parse_periods
from incentives.time.ledger import Entry, Ledger, PeriodRecord, RunRecord
from incentives.time.load import load_period_data
from incentives.time.runner import run_periods

PLAN = '''plan "Fix" { currency USD period month effective 2027-01-01 to 2027-12-31 }
input commission: money
component c { pay commission }
'''


def test_a_hand_correction_survives_restatements(tmp_path):
    plan = compile_text(PLAN, "fix.plan")
    (tmp_path / "people.csv").write_text("id,name\nR1,Rep One\n")
    quotas = tmp_path / "earned.csv"

    def data(january: str):
        quotas.write_text(f"person,start,end,commission\nR1,2027-01-01,2027-01-31,{january}\n"
                          "R1,2027-02-01,2027-03-31,500\n")
        return load_period_data([plan], tmp_path / "people.csv", None, None, None, None, None, quotas, None, None)

    with Ledger(tmp_path / "pay.db") as ledger:
        run_periods([plan], data("1000"), parse_periods("2027-01"), ledger)
        ledger.finalize("2027-01")
        fix = Entry("R1", "Fix", "adjustment", D("100.00"), "USD", booked_in="2027-02", about="2027-01",
                    note="missed spiff (by admin)")
        february = parse_periods("2027-02")[0]
        ledger.book(RunRecord("2027-02", "restatement", note="missed spiff"),
                    PeriodRecord("2027-02", "month", february.start, february.end), "2027-01", [fix])
        # January re-run with a data correction: its difference is booked beside the hand correction
        runs = run_periods([plan], data("1200"), parse_periods("2027-01..2027-02"), ledger)
        booked = {(e.note.split(" (")[0], e.amount) for e in ledger.entries(booked_in="2027-02", kinds="adjustment")}
        assert booked == {("missed spiff", D("100.00")), ("re-run of final period 2027-01", D("200.00"))}
        assert runs[1].payees[0].settlement.paid == D("800.00")  # 500 + 200 + 100
        ledger.finalize("2027-02")
        # once February is final too, re-running January with the same data undoes nothing
        again = run_periods([plan], data("1200"), parse_periods("2027-01..2027-03"), ledger)
        assert again[0].differences == []
        assert again[2].payees[0].settlement.paid == D("500.00")
