"""What the target already holds, read once per kind and indexed by natural key and by v2 id.

Planning 100,000 records costs one list read per kind, never one request per record. Kinds whose
list is nested under a parent (an invoice's payments and messages) are read per parent, and only
for parents that existed before this run: a parent created in this run has no children yet, so
there is nothing to read.

Reconciliation after an unknown outcome needs a read *newer than the POST in doubt*: `refresh`
re-reads a kind only if its last read started before a given instant, so when several POSTs of
one kind fail close together, one read answers all of them.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from migrator.errors import AuthError
from migrator.load.registry import REGISTRY


def nested(kind: str) -> bool:
    """Is `kind` listed per parent (e.g. `/invoices/{invoice_id}/payments`) rather than account-wide?"""
    return "{" in REGISTRY[kind].list_path


class TargetIndex:
    """A lazily loaded, thread-safe picture of the target account for one run.

    `client` is a `HarvestClient` (anything with `list`, `get`, `me`, `company`); None is an empty
    target that never sends a request (`offline()`). Create one per run, after taking the ledger
    lock: every read through it is then newer than any POST an earlier run left pending.
    """

    def __init__(self, client: Any | None) -> None:
        self.client = client
        self.created = time.monotonic()
        self._lock = threading.RLock()
        self._by_id: dict[str, dict[int, dict[str, Any]]] = {}
        self._by_key: dict[str, dict[Hashable, list[int]]] = {}
        self._read_at: dict[str, float] = {}  # kind -> monotonic time its last read started
        self._children: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._company: dict[str, Any] | None = None
        self.me: dict[str, Any] | None = None  # the token's user, once `check_access` ran

    @classmethod
    def offline(cls) -> TargetIndex:
        """An empty target that never sends a request (`plan --offline`)."""
        return cls(None)

    @property
    def online(self) -> bool:
        return self.client is not None

    # --- account -------------------------------------------------------------------------------

    @property
    def timestamp_timers(self) -> bool:
        """Does the account track time by start and end time? (`GET /company`, once per run)"""
        if self.client is None:
            return False
        with self._lock:
            if self._company is None:
                self._company = self.client.company()
            return bool(self._company.get("wants_timestamp_timers"))

    def check_access(self) -> dict[str, Any]:
        """Refuse to load unless the token's user is an administrator; return that user (`GET /users/me`).

        Why: only administrators see every client, project and assignment and may log time for
        other people; with a lesser token the plan would miss objects and create duplicates.
        """
        if self.client is None:
            return {}
        with self._lock:
            if self.me is None:
                self.me = self.client.me()
            me = self.me
        if "administrator" not in (me.get("access_roles") or []):
            roles = ", ".join(me.get("access_roles") or []) or "no access roles"
            raise AuthError(
                f"the access token belongs to {me.get('email') or 'user ' + str(me.get('id'))} ({roles}), "
                "who is not an administrator of this Harvest account: migrator needs an administrator's "
                "personal access token to see and create everything"
            )
        return me

    # --- kinds listed account-wide -------------------------------------------------------------

    def _read(self, kind: str) -> None:
        """(Re)read one account-wide kind and rebuild its indexes. Caller holds the lock."""
        started = time.monotonic()
        objects: dict[int, dict[str, Any]] = {}
        entry = REGISTRY[kind]
        if self.client is not None:
            for obj in self.client.list(entry.list_path, entry.list_key):
                objects[int(obj["id"])] = obj
        index: dict[Hashable, list[int]] = defaultdict(list)
        for obj_id, obj in objects.items():
            key = entry.target_key(obj)
            if key is not None:
                index[key].append(obj_id)
        self._by_id[kind] = objects
        self._by_key[kind] = index
        self._read_at[kind] = started

    def _ensure(self, kind: str) -> None:
        if kind not in self._by_id:
            self._read(kind)

    def refresh(self, kind: str, *, since: float) -> None:
        """Make sure `kind` was read after the monotonic instant `since` (re-read it if not)."""
        with self._lock:
            if self._read_at.get(kind, float("-inf")) < since:
                self._read(kind)

    def find(self, kind: str, key: Hashable) -> list[dict[str, Any]]:
        """Objects of account-wide `kind` whose natural key is `key`."""
        with self._lock:
            self._ensure(kind)
            return [self._by_id[kind][obj_id] for obj_id in self._by_key[kind].get(key, [])]

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Every object of account-wide `kind`."""
        with self._lock:
            self._ensure(kind)
            return list(self._by_id[kind].values())

    def get(self, kind: str, obj_id: int) -> dict[str, Any] | None:
        """One object of account-wide `kind` by v2 id (None if absent)."""
        with self._lock:
            self._ensure(kind)
            return self._by_id[kind].get(obj_id)

    def exists(self, kind: str, obj_id: int) -> bool | None:
        """Does object `obj_id` exist? None when unknowable cheaply (offline, or a nested kind)."""
        if self.client is None or nested(kind):
            return None
        return self.get(kind, obj_id) is not None

    def add(self, kind: str, obj: dict[str, Any], parent: int | None = None) -> None:
        """Record an object this run created, so later lookups see it without a new read."""
        entry = REGISTRY[kind]
        with self._lock:
            if parent is not None and nested(kind):
                if (kind, parent) in self._children:
                    self._children[(kind, parent)].append(obj | {entry.parent_field or "": parent})
                return
            if kind not in self._by_id:
                return  # never read: the first read will see it
            obj_id = int(obj["id"])
            if obj_id in self._by_id[kind]:
                return
            self._by_id[kind][obj_id] = obj
            key = entry.target_key(obj)
            if key is not None:
                self._by_key[kind].setdefault(key, []).append(obj_id)

    def patch_local(self, kind: str, obj_id: int, fields: dict[str, Any]) -> None:
        """Record a change this run made to an object (e.g. reactivated), if the kind was read."""
        with self._lock:
            obj = self._by_id.get(kind, {}).get(obj_id)
            if obj is not None:
                self._by_id[kind][obj_id] = obj | fields

    def may_auto_assign(self, kind: str) -> bool:
        """Could Harvest add a `kind` assignment to a new project by itself right now?

        Harvest assigns every active task marked `is_default` and every active user with access to
        all future projects. When the account has none, a new project's assignments need no read.
        """
        source, flag = {"task_assignments": ("tasks", "is_default"), "user_assignments": (
            "users", "has_access_to_all_future_projects")}[kind]
        if self.client is None:
            return False
        with self._lock:
            self._ensure(source)
            return any(obj.get(flag) and obj.get("is_active", True) is not False for obj in self._by_id[source].values())

    # --- kinds listed per parent ---------------------------------------------------------------

    def children(self, kind: str, parent: int, *, fresh: bool = False) -> list[dict[str, Any]]:
        """Objects of nested `kind` under one parent, each with the parent's id added (for natural keys)."""
        entry = REGISTRY[kind]
        field = entry.parent_field or "parent_id"
        with self._lock:
            if fresh or (kind, parent) not in self._children:
                found: list[dict[str, Any]] = []
                if self.client is not None:
                    path = entry.list_path.format(**{field: parent})
                    found = [obj | {field: parent} for obj in self.client.list(path, entry.list_key)]
                self._children[(kind, parent)] = found
            return list(self._children[(kind, parent)])

    # --- staleness -----------------------------------------------------------------------------

    def fingerprint(self) -> str:
        """Ids and `updated_at` of every object read so far: a saved plan is stale when this changes."""
        digest = hashlib.sha256()
        with self._lock:
            for kind in sorted(self._by_id):
                for obj_id in sorted(self._by_id[kind]):
                    digest.update(f"{kind}:{obj_id}:{self._by_id[kind][obj_id].get('updated_at')}\n".encode())
            for kind, parent in sorted(self._children):
                for obj in self._children[(kind, parent)]:
                    digest.update(f"{kind}@{parent}:{obj.get('id')}:{obj.get('updated_at')}\n".encode())
        return digest.hexdigest()[:32]

    def kinds_read(self) -> list[str]:
        """Account-wide kinds read so far (in reading order)."""
        with self._lock:
            return list(self._by_id)
