"""How each benchmark hands its headline figures to `bench/run.py`: one `RESULT {json}` line each."""

from __future__ import annotations

import json


def report(bench: str, *, ours: str, baseline: str, ratio: str, goal: str, met: bool) -> None:
    """Print one row of the benchmark table (the human-readable lines come before it)."""
    row = {"bench": bench, "ours": ours, "baseline": baseline, "ratio": ratio, "goal": goal, "met": met}
    print("RESULT " + json.dumps(row), flush=True)
