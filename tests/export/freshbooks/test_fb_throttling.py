"""A FreshBooks sandbox whose rate limit is far below the client's budget: the export completes, and
the sandbox (in its own process) saw no request sent while the client was told to wait. FreshBooks
documents no throttling; the sandbox answers 429 + Retry-After (its module says why), which the
exporter honours exactly as it honours Harvest v1's 503 + Retry-After."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrator import api
from migrator.config import RateLimit
from migrator.export.freshbooks import token_credentials
from migrator.export.settings import ExportSettings
from migrator.sandbox.legacy.freshbooks import TOKEN
from migrator.sandbox.process import LegacySandboxProcess
from tests.export.conftest import assert_plans_alike, plan_document


@pytest.mark.parametrize("concurrency", [1, 4])
def test_far_below_the_budget_the_export_completes_and_no_request_arrives_during_a_wait(
    tmp_path: Path, concurrency: int, fb_plan: dict[str, Any]
) -> None:
    with LegacySandboxProcess("freshbooks", rate="8/1") as sandbox:
        settings = ExportSettings(
            "freshbooks",
            tmp_path / "out",
            url=sandbox.url,
            credentials=token_credentials(TOKEN),
            rate=RateLimit(1000, 1.0),  # the client's budget: 125 times the sandbox's limit
            concurrency=concurrency,
        )
        report = api.export(settings)
        stats = sandbox.stats()

    assert report.complete
    assert_plans_alike(plan_document(tmp_path / "out", tmp_path / "none.sqlite"), fb_plan)
    log = stats["log"]
    waits = [entry for entry in log if entry.get("retry_after") is not None]
    assert stats["throttled"] == report.throttled == len(waits) > 0  # the limit really bit
    assert all(wait["status"] == 429 and wait["retry_after"] >= 1 for wait in waits)
    assert report.waits == report.throttled  # every 429 was waited out, by every thread
    for wait in waits:
        arrivals = [entry for entry in log if wait["at"] < entry["at"] < wait["until"]]
        if concurrency == 1:
            assert arrivals == [], f"sent during the wait of {wait.get('call')}"
        else:
            # Only what was already on the wire when the 429 left (sent before the client could know).
            # Such a request may even be admitted: Retry-After is rounded up to whole seconds, so the
            # sandbox's own window can have room again before the wait it asked for is over.
            assert len(arrivals) <= concurrency - 1
    admitted = [entry for entry in log if entry.get("retry_after") is None]
    assert len(admitted) == stats["requests"] - stats["throttled"] == report.requests - report.throttled
