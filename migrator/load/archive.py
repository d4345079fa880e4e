"""History first, archive last, at load time: what an archivable object looks like while its
history loads, and where a step (`reactivations`, `archives`, decided by `migrator.plan.steps`) is sent.
"""

from __future__ import annotations

from typing import Any

from migrator.kinds import ARCHIVABLE, REGISTRY
from migrator.planned import PlannedRecord, Ref


def for_load(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The body to send while loading: an archived object is created (or kept) active."""
    if payload.get("is_active") is False and kind in ARCHIVABLE:
        return payload | {"is_active": True}
    return payload


def object_kind(step: PlannedRecord) -> str:
    """The kind of the object a step changes."""
    parsed = Ref.parse(step.payload.get("object"))
    return parsed.kind if parsed else ""


def step_path(kind: str, resolved: dict[str, Any]) -> str:
    """The object's own path (`/projects/12`, `/projects/12/task_assignments/40`)."""
    return REGISTRY[kind].item_path(resolved, int(resolved["object"]))
