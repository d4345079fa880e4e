"""Golden payloads: the plan of fixtures/harvest-v1, one JSON file per v2 kind, compared exactly.

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/mappings/harvest_v1` and
review the diff like code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrator import jsonio
from migrator.planned import MapSink
from tests.golden import assert_no_stale_golden, check_golden

GOLDEN = Path(__file__).resolve().parent / "golden"
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "harvest-v1"
KINDS = (
    "clients",
    "contacts",
    "users",
    "tasks",
    "expense_categories",
    "invoice_item_categories",
    "projects",
    "user_assignments",
    "task_assignments",
    "time_entries",
    "expenses",
    "invoices",
    "invoice_payments",
    "invoice_messages",
)


def _where(file: str, line: int | None) -> str:
    path = Path(file)
    name = str(path.relative_to(FIXTURES)) if path.is_absolute() and FIXTURES in path.parents else file
    return f"{name}:{line}"


def document(sink: MapSink, kind: str) -> str:
    """The golden text of one kind: its planned objects (in plan order) and its lossy notes."""
    planned: list[dict[str, Any]] = []
    for item in sink.planned:
        if item.kind != kind:
            continue
        entry: dict[str, Any] = {
            "source_id": item.source_id,
            "status": item.status,
            "origin": _where(item.origin.file, item.origin.line),
            "payload": item.payload,
        }
        if item.after:
            entry["after"] = list(item.after)
        if item.reason:
            entry["reason"] = item.reason
        planned.append(entry)
    lossy = [note.as_dict() for note in sink.lossy_notes if note.kind == kind]
    for note in lossy:
        del note["kind"]
    return jsonio.dumps({"planned": planned, "lossy": lossy}, indent=2) + "\n"


@pytest.mark.parametrize("kind", KINDS)
def test_golden_payloads_per_kind(fixture_plan: MapSink, kind: str) -> None:
    check_golden(GOLDEN / f"{kind}.json", document(fixture_plan, kind))


def test_golden_time_entries_for_a_timestamp_timer_target(fixture_plan_timestamps: MapSink) -> None:
    check_golden(GOLDEN / "time_entries.timestamp_timers.json", document(fixture_plan_timestamps, "time_entries"))


def test_no_stale_golden_files() -> None:
    assert_no_stale_golden(GOLDEN, {f"{kind}.json" for kind in KINDS} | {"time_entries.timestamp_timers.json"})
