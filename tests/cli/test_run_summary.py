"""The end-of-run summary names every record a run could not finish, with where it came from and why."""

from __future__ import annotations

from types import SimpleNamespace

from migrator.load.outcomes import LoadResult, Problem
from migrator.report.run_text import render_run_summary


def test_rejected_blocked_and_unknown_records_are_all_listed() -> None:
    result = LoadResult(
        counts={"clients": {"done": 2, "rejected": 1}, "time_entries": {"blocked": 1, "pending": 1}},
        problems=[
            Problem("rejected", "clients", "7", "exports/c.xml:4", "Name has already been taken"),
            Problem("blocked", "time_entries", "9", "exports/t.xml:12", "blocked by rejected clients 7"),
            Problem("pending", "time_entries", "10", "exports/t.xml:30", "outcome still unknown after 3 attempts"),
        ],
        requests=5,
        elapsed=1.25,
    )
    text = render_run_summary(SimpleNamespace(result=result, batch="demo", resumed=False))
    assert "  rejected: clients 7 (exports/c.xml:4): Name has already been taken\n" in text
    assert "  blocked: time_entries 9 (exports/t.xml:12): blocked by rejected clients 7\n" in text
    assert (
        "  outcome unknown (checked against the target on the next run): "
        "time_entries 10 (exports/t.xml:30): outcome still unknown after 3 attempts\n"
    ) in text
    assert text.endswith("Batch demo finished: 1 blocked, 2 done, 1 pending, 1 rejected; 5 requests in 1.2 s.\n")
    assert result.exit_code == 3
