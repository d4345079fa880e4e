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
    assert text.endswith(
        "Batch demo finished with 3 records NOT loaded (1 rejected, 1 blocked, 1 pending) — :clients:7: Name has "
        "already been taken (and 2 more); 1 blocked, 2 done, 1 pending, 1 rejected; 5 requests in 1.2 s.\n"
        "Next: fix what `migrator status --rejected` lists (or leave it out with --map), then run the same command "
        "again: what is loaded is never sent twice.\n"
    )
    assert result.exit_code == 3


def test_a_record_the_plan_found_invalid_makes_the_run_partial() -> None:
    result = LoadResult(
        counts={"users": {"invalid": 1}, "time_entries": {"invalid": 1, "done": 3}},
        problems=[
            Problem(
                "invalid",
                "users",
                "701",
                "people.xml:3",
                "no user with email ada@x.example in the target",
                "harvest-v1",
            ),
            Problem("invalid", "time_entries", "2001", "entries.xml:9", "depends on invalid users 701", "harvest-v1"),
        ],
        requests=3,
        elapsed=0.5,
    )
    text = render_run_summary(SimpleNamespace(result=result, batch="b", resumed=True))
    assert "  invalid: users 701 (people.xml:3): no user with email ada@x.example in the target\n" in text
    assert (
        "Batch b finished with 2 records NOT loaded (2 invalid) — harvest-v1:users:701: no user with email "
        "ada@x.example in the target (and 1 more); 3 done, 2 invalid; 3 requests in 0.5 s.\n"
    ) in text
    assert result.exit_code == 3


def test_a_rerun_with_nothing_to_do_says_so() -> None:
    result = LoadResult(counts={"clients": {"unchanged": 3}}, requests=0, elapsed=0.01)
    text = render_run_summary(SimpleNamespace(result=result, batch="b", resumed=True))
    assert text.endswith(
        "Batch b: nothing to do, every record is already in the target (3 unchanged); 0 requests in 0.0 s.\n"
    )
    assert "resumed" not in text
