"""What the target already holds, read once per kind and indexed by natural key.

Planning 100,000 records costs one list read per kind, not one request per record. Nested lists
(payments of an invoice) are read per parent, and only for parents that already existed: a parent
created in this run has no children yet.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from migrator.errors import AuthError
from migrator.load.registry import REGISTRY


class TargetIndex:
    """Lazily loaded, thread-safe index of target objects by kind, natural key and v2 id."""

    def __init__(self, client: Any | None) -> None:
        self.client = client
        self._lock = threading.RLock()
        self._by_id: dict[str, dict[int, dict[str, Any]]] = {}
        self._by_key: dict[str, dict[Hashable, list[int]]] = {}
        self._children: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._company: dict[str, Any] | None = None
        self.fresh: set[str] = set()  # kinds re-read during this run (reconciliation reads once per kind)

    @classmethod
    def offline(cls) -> TargetIndex:
        """An empty target that never sends a request (`plan --offline`)."""
        return cls(None)

    @property
    def online(self) -> bool:
        return self.client is not None

    @property
    def timestamp_timers(self) -> bool:
        """Does the account track time by start and end time? (read once from /company)"""
        if self.client is None:
            return False
        if self._company is None:
            self._company = self.client.company()
        return bool(self._company.get("wants_timestamp_timers"))

    def check_access(self) -> None:
        """Refuse to load unless the token's user is an administrator (others cannot see everything)."""
        if self.client is None:
            return
        me = self.client.me()
        if "administrator" not in (me.get("access_roles") or []):
            raise AuthError(
                f"the token belongs to {me.get('email')}, who is not an administrator of this account; "
                "use an administrator's personal access token"
            )

    # --- kinds listed account-wide -------------------------------------------------------------

    def _ensure(self, kind: str) -> None:
        if kind in self._by_id:
            return
        objects: dict[int, dict[str, Any]] = {}
        entry = REGISTRY[kind]
        if self.client is not None and "{" not in entry.list_path:
            for obj in self.client.list(entry.list_path, entry.list_key):
                objects[int(obj["id"])] = obj
        self._by_id[kind] = objects
        index: dict[Hashable, list[int]] = defaultdict(list)
        for obj_id, obj in objects.items():
            key = entry.target_key(obj)
            if key is not None:
                index[key].append(obj_id)
        self._by_key[kind] = index

    def refresh(self, kind: str) -> None:
        """Re-read a kind (once per run) before reconciling an unknown outcome."""
        with self._lock:
            if kind in self.fresh:
                return
            self._by_id.pop(kind, None)
            self._by_key.pop(kind, None)
            self._ensure(kind)
            self.fresh.add(kind)

    def find(self, kind: str, key: Hashable) -> list[dict[str, Any]]:
        """Target objects of `kind` whose natural key is `key`."""
        with self._lock:
            self._ensure(kind)
            return [self._by_id[kind][obj_id] for obj_id in self._by_key[kind].get(key, [])]

    def exists(self, kind: str, obj_id: int) -> bool | None:
        """Whether object `obj_id` exists (None when the kind is not listed account-wide)."""
        if self.client is None:
            return None
        if "{" in REGISTRY[kind].list_path:
            return None
        with self._lock:
            self._ensure(kind)
            return obj_id in self._by_id[kind]

    def get(self, kind: str, obj_id: int) -> dict[str, Any] | None:
        with self._lock:
            self._ensure(kind)
            return self._by_id[kind].get(obj_id)

    def add(self, kind: str, obj: dict[str, Any], parent: int | None = None) -> None:
        """Record an object this run created, so later lookups see it without a new read."""
        with self._lock:
            entry = REGISTRY[kind]
            if parent is not None:
                self._children.setdefault((kind, parent), []).append(obj)
                return
            if kind not in self._by_id:
                return  # never read: nothing to keep consistent
            self._by_id[kind][int(obj["id"])] = obj
            key = entry.target_key(obj)
            if key is not None:
                self._by_key[kind].setdefault(key, []).append(int(obj["id"]))

    # --- kinds listed per parent ---------------------------------------------------------------

    def children(self, kind: str, parent: int, *, fresh: bool = False) -> list[dict[str, Any]]:
        """Objects of a nested kind under one parent (e.g. an invoice's payments)."""
        with self._lock:
            if fresh or (kind, parent) not in self._children:
                entry = REGISTRY[kind]
                found: list[dict[str, Any]] = []
                if self.client is not None:
                    path = entry.list_path.format(**{entry.parent_field or "id": parent})
                    found = [obj | {entry.parent_field or "": parent} for obj in self.client.list(path, entry.list_key)]
                self._children[(kind, parent)] = found
            return list(self._children[(kind, parent)])

    def fingerprint(self) -> str:
        """Object ids and update stamps of every kind read so far (saved plans compare it)."""
        import hashlib

        digest = hashlib.sha256()
        with self._lock:
            for kind in sorted(self._by_id):
                for obj_id in sorted(self._by_id[kind]):
                    digest.update(f"{kind}:{obj_id}:{self._by_id[kind][obj_id].get('updated_at')}".encode())
        return digest.hexdigest()[:32]
