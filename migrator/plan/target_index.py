"""What the target already holds, read once per kind and indexed by natural key and by v2 id.

Planning 100,000 records costs one list read per kind, never one request per record. The objects
read are kept in SQLite (a private temporary database), not in memory, so a target holding a
million time entries is indexed in flat memory: for a kind no record refers to (time entries,
expenses) only the id, natural key, `updated_at` and the few fields its kind declares (`slim`).
Kinds whose list is nested under a parent (an invoice's payments and messages) are read per
parent, and only for parents that existed before this run: a parent created in this run has no
children yet, so there is nothing to read.

Reconciliation after an unknown outcome needs a read *newer than the POST in doubt*: `refresh`
re-reads a kind only if its last read started before a given instant, so when several POSTs of
one kind fail close together, one read answers all of them.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Hashable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from migrator import jsonio
from migrator.errors import AuthError
from migrator.kinds import REGISTRY

_BATCH = 2000


def key_text(key: Hashable) -> str:
    """A natural key as one comparable text: equal keys (1.5 and 1.50 included) give equal texts."""
    return repr(_normal(key))


def _normal(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_normal(item) for item in value)
    if isinstance(value, Decimal):
        return ("d", str(value.normalize()))
    return value


class TargetIndex:
    """A lazily read, thread-safe picture of the target account for one run.

    `client` is a `HarvestClient` (anything with `list`, `get`, `me`, `company`); None is an empty
    target that never sends a request (`offline()`). Create one per run, after taking the ledger
    lock: every read through it is then newer than any POST an earlier run left pending.
    """

    def __init__(self, client: Any | None) -> None:
        self.client = client
        self.created = time.monotonic()
        self._lock = threading.RLock()
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(
            """
            CREATE TABLE objects (kind TEXT NOT NULL, id INTEGER NOT NULL, parent INTEGER, key TEXT,
                                  updated_at TEXT, body TEXT, PRIMARY KEY (kind, id));
            CREATE INDEX objects_key ON objects (kind, key, id);
            CREATE INDEX objects_parent ON objects (kind, parent, id);
            """
        )
        self._read_at: dict[str, float] = {}  # kind -> monotonic time its last read started
        self._children: set[tuple[str, int]] = set()  # (kind, parent) read
        self._company: dict[str, Any] | None = None
        self.me: dict[str, Any] | None = None  # the token's user, once `check_access` ran

    @classmethod
    def offline(cls) -> TargetIndex:
        """An empty target that never sends a request (`plan --offline`)."""
        return cls(None)

    @property
    def online(self) -> bool:
        return self.client is not None

    def close(self) -> None:
        with self._lock:
            self._db.close()

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

    def token_user(self) -> dict[str, Any]:
        """The token's user (`GET /users/me`, once per run): Harvest books work sent without a person to them."""
        if self.client is None:
            return {}
        with self._lock:
            if self.me is None:
                self.me = self.client.me()
            return self.me

    # --- storing what was read -----------------------------------------------------------------

    def _row(self, kind: str, obj: dict[str, Any], parent: int | None) -> tuple[Any, ...]:
        entry = REGISTRY[kind]
        key = entry.target_key(obj if parent is None else obj | {entry.parent_field or "": parent})
        kept = {name: obj[name] for name in entry.slim if name in obj} | {"id": obj["id"]} if entry.leaf else obj
        body = jsonio.dumps(kept)
        return (kind, int(obj["id"]), parent, None if key is None else key_text(key), obj.get("updated_at"), body)

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?)", rows)
        self._db.execute("COMMIT")

    def _store(self, kind: str, objects: Iterable[dict[str, Any]], parent: int | None = None) -> None:
        rows: list[tuple[Any, ...]] = []
        for obj in objects:
            rows.append(self._row(kind, obj, parent))
            if len(rows) >= _BATCH:
                self._insert(rows)
                rows = []
        if rows:
            self._insert(rows)

    @staticmethod
    def _body(row: tuple[Any, ...]) -> dict[str, Any]:
        obj_id, parent, body = row
        obj: dict[str, Any] = jsonio.loads(body) if body else {"id": obj_id}
        return obj

    # --- kinds listed account-wide -------------------------------------------------------------

    def _read(self, kind: str) -> None:
        """(Re)read one account-wide kind. Caller holds the lock."""
        started = time.monotonic()
        entry = REGISTRY[kind]
        self._db.execute("DELETE FROM objects WHERE kind = ? AND parent IS NULL", (kind,))
        if self.client is not None:
            self._store(kind, self.client.list(entry.list_path, entry.list_key))
        self._read_at[kind] = started

    def _ensure(self, kind: str) -> None:
        if kind not in self._read_at:
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
            rows = self._db.execute(
                "SELECT id, parent, body FROM objects WHERE kind = ? AND key = ? AND parent IS NULL ORDER BY id",
                (kind, key_text(key)),
            ).fetchall()
        return [self._body(row) for row in rows]

    def count(self, kind: str) -> int:
        """How many objects of account-wide `kind` the target holds."""
        with self._lock:
            self._ensure(kind)
            return int(self._db.execute("SELECT count(*) FROM objects WHERE kind = ?", (kind,)).fetchone()[0])

    def all(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every object of account-wide `kind`."""
        with self._lock:
            self._ensure(kind)
            rows = self._db.execute(
                "SELECT id, parent, body FROM objects WHERE kind = ? ORDER BY id", (kind,)
            ).fetchall()
        return (self._body(row) for row in rows)

    def get(self, kind: str, obj_id: int) -> dict[str, Any] | None:
        """One object of account-wide `kind` by v2 id (None if absent)."""
        with self._lock:
            self._ensure(kind)
            row = self._db.execute(
                "SELECT id, parent, body FROM objects WHERE kind = ? AND id = ?", (kind, obj_id)
            ).fetchone()
        return self._body(row) if row else None

    def exists(self, kind: str, obj_id: int) -> bool | None:
        """Does object `obj_id` exist? None when unknowable cheaply (offline, or a nested kind)."""
        if self.client is None or REGISTRY[kind].nested:
            return None
        with self._lock:
            self._ensure(kind)
            row = self._db.execute("SELECT 1 FROM objects WHERE kind = ? AND id = ?", (kind, obj_id)).fetchone()
        return row is not None

    def add(self, kind: str, obj: dict[str, Any], parent: int | None = None) -> None:
        """Record an object this run created, so later lookups see it without a new read."""
        entry = REGISTRY[kind]
        with self._lock:
            if entry.nested:
                if parent is not None and (kind, parent) in self._children:
                    self._store(kind, [obj], parent)
                return
            if kind in self._read_at:  # never read: the first read will see it
                self._db.execute("INSERT OR IGNORE INTO objects VALUES (?, ?, ?, ?, ?, ?)", self._row(kind, obj, None))

    def patch_local(self, kind: str, obj_id: int, fields: dict[str, Any]) -> None:
        """Record a change this run made to an object (e.g. reactivated), if the kind was read."""
        with self._lock:
            obj = self.get(kind, obj_id) if kind in self._read_at else None
            if obj is not None:
                self._db.execute(
                    "UPDATE objects SET body = ? WHERE kind = ? AND id = ?", (jsonio.dumps(obj | fields), kind, obj_id)
                )

    def may_auto_assign(self, kind: str) -> bool:
        """Could Harvest add a `kind` assignment to a new project by itself right now?

        Harvest assigns every active task marked `is_default` and every active user with access to
        all future projects. When the account has none, a new project's assignments need no read.
        """
        auto = REGISTRY[kind].auto_added
        if self.client is None or auto is None:
            return False
        return any(obj.get(auto.flag) and obj.get("is_active", True) is not False for obj in self.all(auto.source))

    # --- kinds listed per parent ---------------------------------------------------------------

    def children(self, kind: str, parent: int, *, fresh: bool = False) -> list[dict[str, Any]]:
        """Objects of nested `kind` under one parent, each with the parent's id added (for natural keys)."""
        entry = REGISTRY[kind]
        field = entry.parent_field or "parent_id"
        with self._lock:
            if fresh or (kind, parent) not in self._children:
                self._db.execute("DELETE FROM objects WHERE kind = ? AND parent = ?", (kind, parent))
                if self.client is not None:
                    path = entry.list_path.format(**{field: parent})
                    self._store(kind, self.client.list(path, entry.list_key), parent)
                self._children.add((kind, parent))
            rows = self._db.execute(
                "SELECT id, parent, body FROM objects WHERE kind = ? AND parent = ? ORDER BY id", (kind, parent)
            ).fetchall()
        return [self._body(row) | {field: parent} for row in rows]

    # --- staleness -----------------------------------------------------------------------------

    def fingerprint(self) -> str:
        """Ids and `updated_at` of every object read so far: a saved plan is stale when this changes."""
        digest = hashlib.sha256()
        with self._lock:
            for kind, obj_id, updated in self._db.execute(
                "SELECT kind, id, updated_at FROM objects WHERE parent IS NULL ORDER BY kind, id"
            ):
                digest.update(f"{kind}:{obj_id}:{updated}\n".encode())
            for kind, parent, obj_id, updated in self._db.execute(
                "SELECT kind, parent, id, updated_at FROM objects WHERE parent IS NOT NULL ORDER BY kind, parent, id"
            ):
                digest.update(f"{kind}@{parent}:{obj_id}:{updated}\n".encode())
        return digest.hexdigest()[:32]
