"""`plan --format json`: exactly the shape in CONTRACT.md (plus `reason` and `warnings`)."""

from __future__ import annotations

from typing import Any

from migrator import jsonio


def plan_document(report: Any) -> dict[str, Any]:
    """The JSON-ready plan document of a `PlanReport`."""
    changes = []
    for entry in report.plan.entries:
        planned = entry.planned
        changes.append(
            {
                "kind": planned.kind,
                "action": entry.action,
                "source_id": planned.source_id,
                "origin": planned.origin.as_dict(),
                "target_id": entry.target_id,
                "payload": planned.payload,
                "diff": entry.diff,
                "reason": entry.reason,
            }
        )
    return {
        "source": report.source,
        "summary": report.summary(),
        "changes": changes,
        "lossy": [note.as_dict() for note in report.lossy],
        "errors": report.errors,
        "warnings": report.warnings,
    }


def render_plan_json(report: Any) -> str:
    """The plan as indented JSON (decimals exact)."""
    return jsonio.dumps(plan_document(report), indent=2) + "\n"
