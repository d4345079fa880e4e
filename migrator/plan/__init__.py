"""Deciding: the mapped records in a plan store, compared with the ledger and the target, each given
an action (`planner.py`), in the order they load (`lanes.py`), with the history-first steps
(`steps.py`) and what the source no longer has (`orphans.py`); saved plans (`saved_plan.py`)."""
