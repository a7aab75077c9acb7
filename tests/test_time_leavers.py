"""Someone off the plan still answers for what it paid them: a deal that churns after its seller left
(or moved to another plan) is clawed back in the month it churns, and what they then owe is carried."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

from typer.testing import CliRunner

from incentives.cli.app import app

PLAN = '''plan "Leave" { currency USD period month effective 2027-01-01 to 2027-12-31 }
measure bookings = sum amount of deals where status == "won" and date in period
component c { pay 10% of bookings }
clawback churn { when status == "churned" within 90 days }
'''


def test_a_leavers_churned_deal_is_clawed_back_and_carried(tmp_path):
    (tmp_path / "leave.plan").write_text(PLAN)
    (tmp_path / "people.csv").write_text("id,name,leave_date\nR1,Rep One,2027-01-31\nR2,Rep Two,\n")
    (tmp_path / "deals.csv").write_text("id,owner,amount,date,status,reversal_date\n"
                                        "D1,R1,10000,2027-01-10,churned,2027-02-20\nD2,R2,5000,2027-01-12,won,\n")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "leave.plan"), "--people", str(tmp_path / "people.csv"),
                                      "--deals", str(tmp_path / "deals.csv"), "--periods", "2027-01..2027-03",
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {(r["period"], r["payee"]): r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert D(rows[("2027-01", "R1")]["paid"]) == D(1000)
    # R1 left on 31 January: no pay in February, but D1 churned on 20 February takes back its 1,000
    february = rows[("2027-02", "R1")]
    assert D(february["clawbacks"]) == D(-1000) and D(february["paid"]) == 0 and D(february["closing"]) == D(-1000)
    assert D(february["draw"]) == 0  # no draw off the plan
    # nothing more happens to R1 in March: no row, the balance stays owed in the ledger
    assert ("2027-03", "R1") not in rows
    assert D(rows[("2027-02", "R2")]["paid"]) == 0


def test_a_ramp_draw_ends_after_its_periods_in_a_plan_without_dates(tmp_path):
    """No effective dates and no assignments: a draw's periods count from the first period the ledger
    paid the payee under the plan."""
    (tmp_path / "ramp.plan").write_text('plan "Ramp" { currency USD period month }\ninput commission: money\n'
                                        'component c { pay commission }\n'
                                        'draw ramp { amount 1_000 USD guaranteed for 2 periods }\n')
    (tmp_path / "people.csv").write_text("id,commission\nR1,100\n")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "ramp.plan"), "--people", str(tmp_path / "people.csv"),
                                      "--periods", "2027-01..2027-04", "--format", "csv"])
    assert result.exit_code == 0, result.output
    paid = [D(r["paid"]) for r in csv.DictReader(io.StringIO(result.stdout))]
    assert paid == [D(1000), D(1000), D(100), D(100)]
