"""Cut-over: records the ledger holds that a newer export no longer has.

Re-runnable batches are how a cut-over works: history now, the delta on cut-over day. A record
deleted in the source since the last batch would otherwise be invisible: its object stays in the
target and nothing says so. A plan over the newer export lists every such record (`orphaned`,
with the batch that loaded it and where it was last seen in the source) and what `run --prune`
will do with it (`migrator.load.prune` acts on the ones we created).

Only objects of the source systems in this export are considered, and objects that existed before
the migration (`adopted`) are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from migrator.kinds import ARCHIVABLE, KINDS, REGISTRY
from migrator.load.ledger import Ledger, LedgerRow

PRUNE_MODES = ("archive", "delete")
_OURS = ("done", "archived")


@dataclass(frozen=True)
class Orphan:
    """A ledger record the source no longer has."""

    system: str
    kind: str
    source_id: str
    v2_id: int | None
    state: str
    batch: str
    last_seen: str | None

    @property
    def record(self) -> str:
        return f"{self.system}:{self.kind}:{self.source_id}"

    @property
    def ours(self) -> bool:
        return self.state in _OURS

    def as_dict(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "system": self.system,
            "kind": self.kind,
            "source_id": self.source_id,
            "target_id": self.v2_id,
            "state": self.state,
            "batch": self.batch,
            "last_seen": self.last_seen,
        }


def find_orphans(ledger: Ledger, store: Any, systems: Iterable[str]) -> list[Orphan]:
    """Loaded records of `systems` whose source record the plan store does not have (objects only)."""
    wanted = set(systems)
    orphans: list[Orphan] = []
    for kind in KINDS:
        entry = REGISTRY[kind]
        if entry.event:
            continue  # a state change has no object of its own to prune
        batch: list[LedgerRow] = []
        for row in ledger.rows(kind=kind):
            if row.system in wanted and row.state in (*_OURS, "adopted") and row.v2_id is not None:
                batch.append(row)
            if len(batch) >= 500:
                orphans += _missing(store, batch)
                batch = []
        orphans += _missing(store, batch)
    return orphans


def _missing(store: Any, rows: list[LedgerRow]) -> list[Orphan]:
    if not rows:
        return []
    present = store.present({(row.system, row.kind, row.source_id) for row in rows})
    return [
        Orphan(row.system, row.kind, row.source_id, row.v2_id, row.state, row.batch, row.origin)
        for row in rows
        if (row.system, row.kind, row.source_id) not in present
    ]


def planned_action(orphan: Orphan, mode: str | None) -> str:
    """What `run --prune MODE` will do with an orphan (for the plan)."""
    if not orphan.ours:
        return "left (it existed before the migration)"
    if mode is None:
        return "left (pass --prune archive|delete to act on it)"
    if mode == "archive":
        return "archive" if orphan.kind in ARCHIVABLE else "left (cannot be archived; --prune delete removes it)"
    return "delete (archive if it carries other history)" if REGISTRY[orphan.kind].guarded_by else "delete"
