"""A sandbox whose rate limit is far below the client's budget: the export completes, and the sandbox
(in its own process) saw no request sent while the client was told to wait.

The sandbox logs each request's arrival on the machine's monotonic clock and every Retry-After
window it gave. With one request in flight, nothing may arrive inside a window at all. With
several, the only arrivals a window may see are requests that were already on the wire when the
503 was answered (they were sent before the client could know): at most `concurrency - 1`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrator import api
from migrator.config import RateLimit
from migrator.export.harvest_v1 import basic
from migrator.export.settings import ExportSettings
from migrator.sandbox.legacy.harvest_v1 import EMAIL, PASSWORD
from migrator.sandbox.process import LegacySandboxProcess
from tests.export.conftest import assert_plans_alike, plan_document


def _inside_waits(log: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each Retry-After window with the requests that arrived while it ran."""
    return [
        (wait, [entry for entry in log if wait["at"] < entry["at"] < wait["until"]])
        for wait in log
        if entry_waits(wait)
    ]


def entry_waits(entry: dict[str, Any]) -> bool:
    return entry.get("retry_after") is not None


@pytest.mark.parametrize("concurrency", [1, 4])
def test_far_below_the_budget_the_export_completes_and_no_request_arrives_during_a_wait(
    tmp_path: Path, concurrency: int, fixture_plan: dict[str, Any]
) -> None:
    with LegacySandboxProcess("harvest-v1", rate="15/1") as sandbox:
        settings = ExportSettings(
            "harvest-v1",
            tmp_path / "out",
            url=sandbox.url,
            credentials=basic(EMAIL, PASSWORD),
            rate=RateLimit(1000, 1.0),  # the client's budget: 66 times the sandbox's limit
            concurrency=concurrency,
        )
        report = api.export(settings)
        stats = sandbox.stats()

    assert report.complete
    assert_plans_alike(plan_document(tmp_path / "out", tmp_path / "none.sqlite"), fixture_plan)
    windows = _inside_waits(stats["log"])
    assert stats["throttled"] == report.throttled == len(windows) > 0  # the limit really bit
    assert all(wait["status"] == 503 and wait["retry_after"] >= 1 for wait, _ in windows)
    assert report.waits == report.throttled  # every 503 was waited out, by every thread
    for wait, arrivals in windows:
        if concurrency == 1:
            assert arrivals == [], f"sent during the wait of {wait['path']}"
        else:
            # Only what was already on the wire when the 503 left. Such a request is not always throttled
            # itself: Retry-After is rounded up to whole seconds, so the sandbox's window can have room again
            # before the wait it asked for is over (seen flaking in the FreshBooks twin of this test).
            assert len(arrivals) <= concurrency - 1
    admitted = [entry for entry in stats["log"] if not entry_waits(entry)]
    assert len(admitted) == stats["requests"] - stats["throttled"] == report.requests - report.throttled
