"""Loading into Harvest v2: the ID-mapping ledger, one id map per session, the loader and what it
needs (reconciliation, history-first steps, Harvest's own assignments, receipts), rollback and prune."""
