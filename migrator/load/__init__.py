"""Loading into Harvest v2: the ID-mapping ledger, the resource registry, the planner and the loader."""
