"""Reconciliation: is the object of a record whose POST outcome is unknown already in the target?

Harvest has no idempotency keys, so a POST that may have reached Harvest (timeout, 5xx, dropped
connection, or a crash between our intent and its answer) is never sent again blindly: we look
for the object first, by the record's natural key, in a read newer than the POST in doubt.

- time entries: `GET /time_entries?external_reference_id=…`, the anchor the mapping sets;
- objects under a parent (payments, assignments): the parent's list;
- contacts, projects, expenses, invoices, estimates: the list scoped by client or project;
- small account-wide kinds (clients, tasks, users, categories): the whole list, re-read at most
  once for all POSTs in doubt that came before the read;
- state events (send, close…): the parent's `state`, re-read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from migrator.errors import CannotTell
from migrator.kinds import REGISTRY
from migrator.load.invoices import event_applied
from migrator.load.ledger import Ledger
from migrator.plan.planner import describe_match
from migrator.plan.target_index import TargetIndex
from migrator.planned import PlannedRecord


@dataclass(frozen=True)
class Found:
    """The record's object is in the target (`v2_id` None for a state event: it has no object of its own)."""

    v2_id: int | None
    how: str
    obj: dict[str, Any] | None = None


class Reconciler:
    """Looks records up in the target; thread-safe."""

    def __init__(self, client: Any, target: TargetIndex, ledger: Ledger) -> None:
        self.client = client
        self.target = target
        self.ledger = ledger
        self._lock = threading.Lock()
        self._claimed: dict[str, set[int]] = {}

    def claim(self, kind: str, v2_id: int | None) -> None:
        """Note that a ledger row now owns `v2_id` (so no other record of `kind` adopts it)."""
        if v2_id is not None and REGISTRY[kind].many_per_key:
            with self._lock:
                self._owned(kind).add(v2_id)

    def _owned(self, kind: str) -> set[int]:
        # Caller holds the lock. Read once per kind per run, then kept current by `claim`.
        if kind not in self._claimed:
            self._claimed[kind] = self.ledger.v2_ids(kind)
        return self._claimed[kind]

    def find(self, planned: PlannedRecord, resolved: dict[str, Any], *, since: float) -> Found | None:
        """The record's object if the target has exactly one; None if it has none.

        `since` is a monotonic instant no later than the POST in doubt: a cached read older than
        that cannot prove anything. Raises `CannotTell` with a message for the report otherwise.
        """
        kind = planned.kind
        entry = REGISTRY[kind]
        if entry.event_of:
            parent_kind = entry.event_of
            parent = self.client.get(f"/{parent_kind}/{resolved[entry.parent_field or '']}")
            event, state = str(resolved.get("event_type")), parent.get("state")
            if event_applied(event, state):
                return Found(None, f"the target {parent_kind[:-1]} is already {state}")
            return None
        key = entry.payload_key(resolved)
        if key is None:
            raise CannotTell(f"the payload has no {kind} natural key to look it up by; check the target by hand")
        parent_extra = {entry.parent_field: resolved[entry.parent_field]} if entry.parent_field else {}
        matches = [
            obj for obj in self._candidates(kind, resolved, key, since) if entry.target_key(obj | parent_extra) == key
        ]
        if entry.many_per_key:
            with self._lock:
                owned = self._owned(kind)
                matches = [obj for obj in matches if int(obj["id"]) not in owned]
        if len(matches) > 1:
            ids = ", ".join(str(obj["id"]) for obj in matches[:5])
            raise CannotTell(
                f"{len(matches)} matching objects in the target ({describe_match(kind, key)}; ids {ids}), "
                "refusing to guess: keep the right one in Harvest, delete the others, then run again"
            )
        return Found(int(matches[0]["id"]), describe_match(kind, key), matches[0]) if matches else None

    def _candidates(self, kind: str, resolved: dict[str, Any], key: Any, since: float) -> list[dict[str, Any]]:
        entry = REGISTRY[kind]
        if entry.lookup_param:  # a list filter that finds it by its natural key
            return list(self.client.list(entry.list_path, entry.list_key, {entry.lookup_param: key}))
        if entry.parent_field:
            parent = resolved[entry.parent_field]
            if entry.nested:
                return self.target.children(kind, parent, fresh=True)
            return list(self.client.list(entry.create_path.format(**resolved), entry.list_key))
        scope = entry.scope
        if scope is not None and resolved.get(scope) is not None:
            return list(self.client.list(entry.list_path, entry.list_key, {scope: resolved[scope]}))
        self.target.refresh(kind, since=since)
        return self.target.find(kind, key)
