"""Harvest's own assignments: what a new project already holds, made equal to the source.

When a project is created, Harvest assigns it every active task marked `is_default` and every
active user with `has_access_to_all_future_projects` (research harvest-v2.md §8). Right after
creating a project the loader reads both lists: an assignment the source has too is kept, and its
planned record takes it over without a request; one the source does not have is removed (the
project is new, so it is ours, and nothing was logged on it yet). The project's ledger row stays
`pending` (with its v2 id) until this is done, so a run killed in between settles it next time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from migrator.errors import NotFoundError
from migrator.kinds import REGISTRY, nested_id


@dataclass
class Settled:
    """What a new project held: assignments kept (the source has them) and removed (it does not)."""

    kept: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    removed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def other_id(kind: str, obj: dict[str, Any]) -> int | None:
    """The task or user id of an assignment as Harvest returns it (`{"task": {"id": 7}}`)."""
    value = nested_id(obj, REGISTRY[kind].other_object)
    return int(value) if value is not None else None


def settle_new_project(
    client: Any, project_id: int, wanted: Mapping[str, Iterable[int]], kinds: Iterable[str]
) -> Settled:
    """Keep the assignments (of `kinds`) of new project `project_id` whose task/user is in `wanted[kind]`;
    delete the rest."""
    settled = Settled()
    for kind in kinds:
        keep = set(wanted.get(kind, ()))
        path = REGISTRY[kind].create_path.format(project_id=project_id)
        for obj in client.list(path, REGISTRY[kind].list_key):
            if other_id(kind, obj) in keep:
                settled.kept.append((kind, obj))
                continue
            with contextlib.suppress(NotFoundError):  # gone already: an earlier attempt removed it
                client.delete(f"{path}/{obj['id']}")
            settled.removed.append((kind, obj))
    return settled


def describe_removed(kind: str, obj: dict[str, Any]) -> str:
    """`a default task 'Admin' (v2 12)`: what Harvest had added, for the ledger's events."""
    entry = REGISTRY[kind]
    held = obj.get(entry.other_object)
    inner: dict[str, Any] = held if isinstance(held, dict) else {}
    why = entry.auto_added.why if entry.auto_added else "an assignment"
    return f"{why} {inner.get('name')!r} (v2 {other_id(kind, obj)}), added by Harvest; not on the source project"
