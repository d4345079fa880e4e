"""`plan --format json`: exactly the shape in CONTRACT.md (plus `reason` and `warnings`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from migrator import jsonio


def _changes(report: Any) -> Iterator[dict[str, Any]]:
    for entry in report.plan.entries:
        planned = entry.planned
        yield {
            "system": planned.origin.system,
            "kind": planned.kind,
            "action": entry.action,
            "source_id": planned.source_id,
            "origin": planned.origin.as_dict(),
            "target_id": entry.target_id,
            "payload": planned.payload,
            "diff": entry.diff,
            "reason": entry.reason,
        }


def _tail(report: Any) -> dict[str, Any]:
    return {
        "lossy": [note.as_dict() for note in report.iter_lossy()],
        "errors": report.errors,
        "warnings": report.warnings,
    }


def plan_document(report: Any) -> dict[str, Any]:
    """The JSON-ready plan document of a `PlanReport`."""
    return {"source": report.source, "summary": report.summary(), "changes": list(_changes(report)), **_tail(report)}


def write_plan_json(report: Any, write: Callable[[str], Any]) -> None:
    """The plan as indented JSON (decimals exact), written change by change through `write`."""
    head = {"source": report.source, "summary": report.summary()}
    jsonio.dump_items(head, "changes", _changes(report), _tail(report), write)
    write("\n")


def render_plan_json(report: Any) -> str:
    """The plan as indented JSON (decimals exact)."""
    parts: list[str] = []
    write_plan_json(report, parts.append)
    return "".join(parts)
