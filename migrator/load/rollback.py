"""Rollback: remove what one batch created, in reverse dependency order, resumably.

Only rows the batch *created* (`done`) are touched; `adopted` objects existed before and are never
deleted. Each deletion is recorded in the ledger as it happens (`deleted`), so an interrupted
rollback resumes and a second rollback does nothing. Where deleting would destroy data the batch
did not create — a project, user or task that now carries other time or expenses — the object is
archived (`is_active: false`) instead, and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.errors import NotFoundError, RejectedError
from migrator.load.ledger import Ledger, LedgerRow
from migrator.load.registry import REGISTRY, load_order

# Deleting these would cascade into, or be refused because of, objects another batch may own.
_GUARDED = {"projects": "project_id", "users": "user_id", "tasks": "task_id"}
_ARCHIVABLE = {"projects", "users", "tasks", "clients", "user_assignments", "task_assignments"}


@dataclass
class RollbackResult:
    deleted: dict[str, int] = field(default_factory=dict)
    archived: list[str] = field(default_factory=list)
    already_gone: int = 0

    @property
    def total(self) -> int:
        return sum(self.deleted.values()) + len(self.archived)


def _owned_ids(ledger: Ledger, batch: str, kind: str) -> set[int]:
    return {row.v2_id for row in ledger.rows(batch=batch, kind=kind) if row.v2_id is not None and row.state == "done"}


def _foreign_history(client: Any, ledger: Ledger, batch: str, row: LedgerRow) -> int:
    """How many time entries and expenses on this object the batch did not create."""
    param = _GUARDED[row.kind]
    foreign = 0
    for kind in ("time_entries", "expenses"):
        owned = _owned_ids(ledger, batch, kind)
        for obj in client.list(REGISTRY[kind].list_path, REGISTRY[kind].list_key, {param: row.v2_id}):
            if int(obj["id"]) not in owned:
                foreign += 1
    return foreign


def _path(row: LedgerRow) -> str:
    entry = REGISTRY[row.kind]
    return entry.item_path(row.payload or {}, int(row.v2_id or 0))


def rollback(*, client: Any, ledger: Ledger, batch: str) -> RollbackResult:
    """Delete (or archive) every object `batch` created, children first."""
    result = RollbackResult()
    for kind in reversed(load_order()):
        for row in list(ledger.rows(batch=batch, kind=kind, state="done")):
            if row.v2_id is None:
                continue
            if kind in _GUARDED and _foreign_history(client, ledger, batch, row):
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
                if kind not in _ARCHIVABLE:
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
    ledger.log(batch, "rollback", detail=f"deleted {sum(result.deleted.values())}, archived {len(result.archived)}")
    return result
