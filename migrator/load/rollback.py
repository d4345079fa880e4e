"""Rollback: remove what one batch created, in reverse dependency order, resumably.

Only rows the batch *created* (`done`) are touched; `adopted` objects existed before and are never
deleted. Each deletion is recorded in the ledger as it happens (`deleted`), so an interrupted
rollback resumes and a second rollback does nothing. Where deleting would destroy data the batch
did not create — a project, user or task that now carries other time or expenses — the object is
archived (`is_active: false`) instead, and the report says so.

The batch's archived states are undone first: Harvest deletes no time entry on an archived project
or task, so what the batch archived is made active again before its history is removed, and what
was archived before the batch (a person who left, reactivated for the load) is archived again at
the end, as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.errors import NotFoundError, RejectedError
from migrator.kinds import ARCHIVABLE, LEAVES, REGISTRY, STEPS, load_order
from migrator.load.ledger import Ledger, LedgerRow


@dataclass
class RollbackResult:
    deleted: dict[str, int] = field(default_factory=dict)
    archived: list[str] = field(default_factory=list)
    already_gone: int = 0

    @property
    def total(self) -> int:
        return sum(self.deleted.values()) + len(self.archived)


def _foreign_history(client: Any, row: LedgerRow) -> bool:
    """Does this object carry time entries or expenses the batch did not create?

    Rollback removes children first: by the time a project, person or task comes up, the batch's
    own entries are gone, so any entry still listed on it is somebody else's (or one Harvest
    refused to delete): the object must be archived, not deleted.
    """
    param = REGISTRY[row.kind].guarded_by
    for kind in LEAVES:
        for _obj in client.list(REGISTRY[kind].list_path, REGISTRY[kind].list_key, {param: row.v2_id}):
            return True
    return False


def _path(row: LedgerRow) -> str:
    entry = REGISTRY[row.kind]
    return entry.item_path(row.payload or {}, int(row.v2_id or 0))


def _object(row: LedgerRow) -> tuple[str, str, int | None]:
    """A step row's object: (kind, source id, v2 id)."""
    kind, _, source_id = row.source_id.partition(":")
    return kind, source_id, row.v2_id


def _set_active(client: Any, ledger: Ledger, row: LedgerRow, active: bool) -> bool:
    """PATCH `is_active` on a step row's object; False when it is gone."""
    kind, source_id, v2_id = _object(row)
    target = ledger.get(row.system, kind, source_id)
    if target is None or (v2_id := v2_id or target.v2_id) is None:
        return False  # (a pending step row, a write-ahead intent, has no v2 id of its own)
    try:
        client.patch(REGISTRY[kind].item_path(target.payload or {}, v2_id), {"is_active": active})
    except NotFoundError:
        return False
    return True


def _reopen(client: Any, ledger: Ledger, batch: str) -> list[LedgerRow]:
    """Undo the batch's archived states before its history goes; return the objects to archive again.

    Nothing is written here (PATCHing active twice is harmless): the step rows are closed by
    `_close` at the very end, so a rollback interrupted in between still knows what to restore.
    """
    restore: list[LedgerRow] = []
    reactivated = {row.source_id for row in ledger.rows(batch=batch, kind="reactivations", state="done")}
    # An archive row belongs to the batch that first archived the object; a later batch that reopened
    # it for new history (its reactivation row) archived it again: both are this batch's to undo.
    for row in ledger.rows(kind="archives"):
        if row.batch != batch and row.source_id not in reactivated:
            continue
        if row.state == "done":
            _set_active(client, ledger, row, True)
        if row.state == "pending" or (row.state == "done" and row.source_id in reactivated):
            restore.append(row)  # archived before this batch reactivated it for its history
    return restore


def _close(client: Any, ledger: Ledger, batch: str, restore: list[LedgerRow], result: RollbackResult) -> None:
    """Archive again what was archived before the batch; mark the batch's steps undone."""
    for row in restore:
        kind, source_id, v2_id = _object(row)
        if _set_active(client, ledger, row, False):
            result.archived.append(f"{kind} {source_id} (v2 {v2_id}): archived again, as before the batch")
    for kind in STEPS:
        for row in list(ledger.rows(batch=batch, kind=kind)):
            if row.state in ("done", "pending"):
                ledger.record_result(row.system, kind, row.source_id, state="deleted", v2_id=row.v2_id, batch=batch)


def rollback(*, client: Any, ledger: Ledger, batch: str) -> RollbackResult:
    """Delete (or archive) every object `batch` created, children first."""
    result = RollbackResult()
    restore = _reopen(client, ledger, batch)
    for kind in reversed(load_order()):
        if REGISTRY[kind].step:
            continue
        for row in ledger.rows(batch=batch, kind=kind, state="done"):
            if row.v2_id is None:
                continue
            if REGISTRY[kind].guarded_by and _foreign_history(client, row):
                client.patch(_path(row), {"is_active": False})
                ledger.record_result(
                    row.system,
                    kind,
                    row.source_id,
                    state="archived",
                    v2_id=row.v2_id,
                    batch=batch,
                    error="archived: it carries time or expenses this batch did not create",
                )
                result.archived.append(f"{kind} {row.source_id} (v2 {row.v2_id})")
                continue
            try:
                client.delete(_path(row))
            except NotFoundError:
                result.already_gone += 1
            except RejectedError as exc:
                if kind not in ARCHIVABLE:
                    raise
                client.patch(_path(row), {"is_active": False})
                ledger.record_result(
                    row.system,
                    kind,
                    row.source_id,
                    state="archived",
                    v2_id=row.v2_id,
                    batch=batch,
                    error=f"archived: Harvest refused the deletion ({exc.message})",
                )
                result.archived.append(f"{kind} {row.source_id} (v2 {row.v2_id}): {exc.message}")
                continue
            ledger.record_result(row.system, kind, row.source_id, state="deleted", v2_id=row.v2_id, batch=batch)
            result.deleted[kind] = result.deleted.get(kind, 0) + 1
    _close(client, ledger, batch, restore, result)
    ledger.log(batch, "rollback", detail=f"deleted {sum(result.deleted.values())}, archived {len(result.archived)}")
    return result
