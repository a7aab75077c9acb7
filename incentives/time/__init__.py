"""Pay across periods: calendars, assignments, effective-dated values, currencies and the ledger.

What this package owns:
  - `calendar`: periods (`2027`, `2027-H1`, `2027-Q2`, `2027-03`, `2027-W05`, date ranges) and
    sequences of them, calendar and working days, participation, decomposing an annual target;
  - `data`: the tables a period run reads beside people and deals: plan assignments, effective-dated
    values (quotas), currency rates and holidays, each row checked and located;
  - `settle`: the arithmetic of a period's pay: draws (recoverable or guaranteed), recoveries,
    clawback amounts, forgiveness and the balance carried;
  - `ledger`: what was earned, paid, advanced, recovered and owed, per payee, period and component,
    in SQLite (the CLI's embedded default) or PostgreSQL, one model for the CLI and the service;
  - `runner`: running a plan set for a period or a sequence of periods through the ledger.
"""
