"""The sandbox account's memory: objects by kind, ids, the lock, and the optional JSON state file.

Objects are kept *raw* (foreign keys as ids, money as `Decimal`) and rendered to Harvest's response
shapes by `render.py`. Business rules live in the family modules (`directory.py`, `projects.py`,
`timesheets.py`, `billing.py`); this module only stores, finds and persists.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from migrator import jsonio
from migrator.kinds import KINDS

# The account owner: the token's user (GET /users/me), an administrator, always id 1.
OWNER_ID = 1
OWNER = {
    "first_name": "Sandbox",
    "last_name": "Owner",
    "email": "owner@sandbox.example",
    "timezone": "Eastern Time (US & Canada)",
    "has_access_to_all_future_projects": False,
    "is_contractor": False,
    "is_active": True,
    "weekly_capacity": 126000,
    "default_hourly_rate": Decimal(0),
    "cost_rate": Decimal(0),
    "roles": [],
    "access_roles": ["administrator"],
}
STATE_VERSION = 1

Raw = dict[str, Any]


class SandboxError(Exception):
    """An HTTP error answer: the status and Harvest's `message` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def now() -> str:
    """The current time as Harvest writes datetimes (ISO 8601, UTC, `Z`)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> str:
    """Today's date as `YYYY-MM-DD`."""
    return dt.date.today().isoformat()


def human(field_name: str) -> str:
    """`client_id` -> `Client`, `spent_date` -> `Spent date` (Rails-style messages)."""
    return field_name.removesuffix("_id").replace("_", " ").capitalize()


@dataclass(frozen=True)
class KindRules:
    """The business rules of one kind, looked up by `operations.py`.

    `create(store, data)` inserts and returns the raw object (default: insert `defaults | data`);
    `update(store, raw, data)` checks and applies a PATCH (default: `raw.update(data)`);
    `delete(store, raw)` refuses (SandboxError) or cascades before the object is removed.
    `parent` names the path field of nested kinds (`project_id` for assignments, ...).
    """

    defaults: Mapping[str, Any] = field(default_factory=dict)
    create: Callable[[Store, Raw], Raw] | None = None
    update: Callable[[Store, Raw, Raw], None] | None = None
    delete: Callable[[Store, Raw], None] | None = None
    parent: tuple[str, str] | None = None  # (parent kind, field), e.g. ("projects", "project_id")
    unique_name: bool = False  # Harvest refuses a second client/task/category with the same name


class Store:
    """One Harvest account's objects. Every read and write happens under `lock` (re-entrant)."""

    def __init__(self, *, timestamp_timers: bool = False, state_path: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.state_path = state_path
        self.timestamp_timers = timestamp_timers
        self.weekly_capacity = 126000
        self.objects: dict[str, dict[int, Raw]] = {kind: {} for kind in KINDS}
        self.next_id = 1
        self.emails_sent = 0
        if state_path is not None and state_path.exists():
            self._load(state_path)
        else:
            self._seed()

    # --- state -------------------------------------------------------------------------------------

    def _seed(self) -> None:
        """A new Harvest account: its owner and the two default item categories of each kind."""
        self.insert("users", dict(OWNER))
        for kind in ("invoice_item_categories", "estimate_item_categories"):
            for name in ("Service", "Product"):
                self.insert(kind, {"name": name, "use_as_service": name == "Service", "use_as_expense": False})

    def _load(self, path: Path) -> None:
        data = jsonio.loads(path.read_text(encoding="utf-8"))
        self.next_id = int(data["next_id"])
        self.emails_sent = int(data.get("emails_sent", 0))
        self.timestamp_timers = bool(data.get("timestamp_timers", self.timestamp_timers))
        self.weekly_capacity = int(data.get("weekly_capacity", self.weekly_capacity))
        for kind in KINDS:
            self.objects[kind] = {int(obj["id"]): obj for obj in data["objects"].get(kind, [])}

    def save(self) -> None:
        """Write the state file atomically (temp file + `os.replace`), if there is one.

        Called under the lock after every mutation and *before* the response is written, so a
        `commit_drop` fault really did commit, even for the next process that loads the file.
        """
        if self.state_path is None:
            return
        data = {
            "version": STATE_VERSION,
            "next_id": self.next_id,
            "emails_sent": self.emails_sent,
            "timestamp_timers": self.timestamp_timers,
            "weekly_capacity": self.weekly_capacity,
            "objects": {kind: list(objs.values()) for kind, objs in self.objects.items()},
        }
        temp = self.state_path.with_name(f"{self.state_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temp.write_text(jsonio.dumps(data), encoding="utf-8")
        os.replace(temp, self.state_path)

    # --- writes ------------------------------------------------------------------------------------

    def new_id(self) -> int:
        """The next id. One counter for every kind, so an id of the wrong kind never resolves."""
        value = self.next_id
        self.next_id += 1
        return value

    def insert(self, kind: str, raw: Raw) -> Raw:
        """Store a new object with a fresh id and timestamps; return it."""
        raw = dict(raw)
        raw["id"] = self.new_id()
        raw["created_at"] = raw["updated_at"] = now()
        self.objects[kind][raw["id"]] = raw
        return raw

    # Kept for tests/load/test_exactly_once.py, which seeds an object directly; new code: `insert`.
    _insert = insert

    def remove(self, kind: str, obj_id: int) -> None:
        """Forget one object (no rules: callers have checked them)."""
        self.objects[kind].pop(obj_id, None)

    @staticmethod
    def touch(raw: Raw) -> None:
        """Mark an object as changed now (`updated_at`)."""
        raw["updated_at"] = now()

    # --- reads -------------------------------------------------------------------------------------

    def get(self, kind: str, obj_id: int) -> Raw:
        """The object, or a 404."""
        found = self.objects[kind].get(obj_id)
        if found is None:
            raise SandboxError(404, "Not found")
        return found

    def ref(self, kind: str, obj_id: Any, field_name: str) -> Raw:
        """The object a body field refers to, or a 422 naming the field (e.g. "Client must exist")."""
        found = self.objects[kind].get(obj_id) if isinstance(obj_id, int) and not isinstance(obj_id, bool) else None
        if found is None:
            raise SandboxError(422, f"{human(field_name)} must exist")
        return found

    def find(self, kind: str, **match: Any) -> list[Raw]:
        """Objects of `kind` whose fields equal every `match` value."""
        return [obj for obj in self.objects[kind].values() if all(obj.get(k) == v for k, v in match.items())]

    def counts(self) -> dict[str, int]:
        """How many objects of each kind exist (every kind of `migrator.kinds.KINDS`)."""
        return {kind: len(self.objects[kind]) for kind in KINDS}

    def display_name(self, kind: str, obj_id: Any) -> str | None:
        """A user's full name or an object's `name` (None when it does not exist)."""
        obj = self.objects[kind].get(obj_id)
        if obj is None:
            return None
        if kind == "users":
            return f"{obj.get('first_name', '')} {obj.get('last_name', '')}".strip()
        return str(obj.get("name", ""))
