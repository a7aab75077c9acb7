"""One small router per resource: plans, datasets, runs (with payouts and exports), statements,
calculate, periods (finalize, reopen, adjustments), webhooks and the audit log."""
