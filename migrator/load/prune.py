"""`run --prune`: act on the records a newer export no longer has (`migrator.plan.orphans` finds them).

Only the ones we created are touched (objects that existed before the migration, `adopted`, never):

- `delete`: children first; an object that now carries history another batch or a person made
  (a project, a person, a task) is archived instead, never destroyed;
- `archive`: archivable objects (clients, projects, people, tasks, categories, assignments) are
  archived; what cannot be archived (a time entry, an invoice) is left and listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.errors import NotFoundError, RejectedError
from migrator.kinds import ARCHIVABLE, LEAVES, REGISTRY, kind_index, kind_of_field, load_order, nested_id
from migrator.load.ledger import Ledger
from migrator.plan.orphans import PRUNE_MODES, Orphan


@dataclass
class PruneResult:
    deleted: dict[str, int] = field(default_factory=dict)
    archived: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


def _path(ledger: Ledger, orphan: Orphan) -> str:
    row = ledger.get(orphan.system, orphan.kind, orphan.source_id)
    payload = (row.payload if row is not None else None) or {}
    return REGISTRY[orphan.kind].item_path(payload, int(orphan.v2_id or 0))


def _has_history(client: Any, orphan: Orphan) -> bool:
    param = REGISTRY[orphan.kind].guarded_by
    for kind in LEAVES:
        for _obj in client.list(REGISTRY[kind].list_path, REGISTRY[kind].list_key, {param: orphan.v2_id}):
            return True
    return False


def _lock_fields(kind: str) -> list[tuple[str, str]]:
    """(field, kind) of the archivable objects one of `kind` sits on: its top-level references."""
    found = []
    for path in REGISTRY[kind].ref_fields:
        parent = kind_of_field(path[0]) if len(path) == 1 else None
        if parent in ARCHIVABLE:
            found.append((path[0], str(parent)))
    return found


def _sits_on(kind: str, obj: dict[str, Any]) -> set[tuple[str, int]]:
    """(kind, v2 id) of the archivable objects `obj` sits on (a payload as sent holds `project_id: 12`,
    the target's answer `project: {"id": 12}`). Archived, they lock it."""
    found: set[tuple[str, int]] = set()
    for field_name, parent in _lock_fields(kind):
        value = nested_id(obj, field_name.removesuffix("_id"))
        if isinstance(value, int):
            found.add((parent, value))
    return found


def _reopen(orphans: list[Orphan], client: Any, ledger: Ledger) -> list[tuple[str, int]]:
    """Reactivate what locks the orphaned entries we are about to delete (what they sit on, and what that
    sits on: a project's client); return what to archive again."""
    parents: set[tuple[str, int]] = set()
    for orphan in orphans:
        if orphan.ours and REGISTRY[orphan.kind].leaf:
            row = ledger.get(orphan.system, orphan.kind, orphan.source_id)
            parents |= _sits_on(orphan.kind, (row.payload if row is not None else None) or {})
    for kind, v2_id in sorted(parents):
        if not _lock_fields(kind):
            continue  # sits on nothing archivable: nothing to read
        try:
            parents |= _sits_on(kind, client.get(REGISTRY[kind].item_path({}, v2_id)))
        except NotFoundError:
            continue
    reopened: list[tuple[str, int]] = []
    for kind, v2_id in sorted(parents, key=lambda item: (kind_index(item[0]), item[1])):  # a client before its projects
        path = REGISTRY[kind].item_path({}, v2_id)
        try:
            if client.get(path).get("is_active", True) is False:
                client.patch(path, {"is_active": True})
                reopened.append((kind, v2_id))
        except NotFoundError:
            continue
    return reopened


def _close(reopened: list[tuple[str, int]], client: Any) -> None:
    for kind, v2_id in reversed(reopened):  # projects before their client
        try:
            client.patch(REGISTRY[kind].item_path({}, v2_id), {"is_active": False})
        except NotFoundError:
            continue  # pruned meanwhile


def prune(orphans: list[Orphan], *, client: Any, ledger: Ledger, batch: str, mode: str) -> PruneResult:
    """Act on the orphans we created (see the module docstring), children first; each step recorded.

    Entries sitting on archived things are locked in Harvest: what locks them is reactivated for the
    prune and archived again afterwards (unless it was pruned itself)."""
    if mode not in PRUNE_MODES:
        raise ValueError(mode)
    reopened = _reopen(orphans, client, ledger) if mode == "delete" else []
    try:
        return _prune(orphans, client=client, ledger=ledger, batch=batch, mode=mode)
    finally:
        _close(reopened, client)


def _prune(orphans: list[Orphan], *, client: Any, ledger: Ledger, batch: str, mode: str) -> PruneResult:
    result = PruneResult()
    order = {kind: index for index, kind in enumerate(reversed(load_order()))}
    for orphan in sorted((o for o in orphans if o.ours), key=lambda o: order.get(o.kind, 0)):
        archive = mode == "archive" or (REGISTRY[orphan.kind].guarded_by is not None and _has_history(client, orphan))
        if archive and orphan.kind not in ARCHIVABLE:
            result.left.append(f"{orphan.record}: cannot be archived")
            continue
        try:
            if archive:
                client.patch(_path(ledger, orphan), {"is_active": False})
            else:
                client.delete(_path(ledger, orphan))
        except NotFoundError:
            pass  # gone already
        except RejectedError as exc:
            result.left.append(f"{orphan.record}: {exc.message}")
            continue
        state = "pruned" if archive else "deleted"
        why = "no longer in the source: " + ("archived" if archive else "deleted") + f" by batch {batch}"
        ledger.record_result(orphan.system, orphan.kind, orphan.source_id, state=state, v2_id=orphan.v2_id,
                             batch=batch, error=why)  # fmt: skip
        if archive:
            result.archived.append(orphan.record)
        else:
            result.deleted[orphan.kind] = result.deleted.get(orphan.kind, 0) + 1
    return result
