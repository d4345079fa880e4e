"""POST, PATCH and DELETE on the store: check the body, apply the kind's rules, commit.

One table (`RULES`, merged from the family modules) decides what each kind does. Each request is one
store transaction, committed before the server answers; a refused request (422) is rolled back, so
it leaves the account as it was (and the rules still check before they change anything).
"""

from __future__ import annotations

from typing import Any

from migrator.kinds import KINDS
from migrator.sandbox import attachments, billing, directory, events, projects, timesheets
from migrator.sandbox.columns import folded
from migrator.sandbox.multipart import FilePart
from migrator.sandbox.schema import clean
from migrator.sandbox.store import KindRules, Raw, SandboxError, Store

RULES: dict[str, KindRules] = directory.RULES | projects.RULES | timesheets.RULES | billing.RULES | events.RULES
assert set(RULES) == set(KINDS), "every kind needs its rules"


def _unique_name(store: Store, kind: str, data: Raw, own_id: int | None = None) -> None:
    """Harvest refuses a second client, task or category with the same name."""
    if not RULES[kind].unique_name or not isinstance(data.get("name"), str):
        return
    if store.exists(kind, name_key=folded(data["name"]), exclude=own_id):
        raise SandboxError(422, "Name has already been taken")


def create(store: Store, kind: str, body: Any, parent: int | None = None, *, upload: FilePart | None = None) -> Raw:
    """Apply a POST (for nested kinds `parent` is the id in the path); return the raw object.

    `upload`: an expense's receipt file (multipart), stored with the expense in one transaction."""
    rules = RULES[kind]
    with store.transaction():
        if rules.parent is not None:
            store.get(rules.parent[0], parent if parent is not None else 0)  # a missing parent is a 404
        data = clean(kind, body, create=True)
        if rules.parent is not None:
            data[rules.parent[1]] = parent
        _unique_name(store, kind, data)
        if upload is not None:
            data["receipt"] = attachments.meta(upload)
        raw = rules.create(store, data) if rules.create else store.insert(kind, dict(rules.defaults) | data)
        if upload is not None:
            attachments.store_upload(store, raw["id"], upload)
        return raw


def update(store: Store, kind: str, obj_id: int, body: Any, *, upload: FilePart | None = None) -> Raw:
    """Apply a PATCH: only the fields given change; `null` clears an optional field.

    `delete_receipt: true` removes an expense's receipt; `upload` (multipart) replaces it."""
    rules = RULES[kind]
    with store.transaction():
        raw = store.get(kind, obj_id)
        data = clean(kind, body, create=False)
        _unique_name(store, kind, data, obj_id)
        if data.pop("delete_receipt", None):
            store.drop_receipt(obj_id)
            data["receipt"] = None
        if upload is not None:
            data["receipt"] = attachments.meta(upload)
        if rules.update is not None:
            rules.update(store, raw, data)
        else:
            raw.update(data)
        store.touch(raw)
        if upload is not None:
            attachments.store_upload(store, obj_id, upload)
        return raw


def delete(store: Store, kind: str, obj_id: int) -> None:
    """Apply a DELETE, refused (422) where Harvest refuses it, cascading where Harvest cascades."""
    rules = RULES[kind]
    with store.transaction():
        raw = store.get(kind, obj_id)
        if rules.delete is not None:
            rules.delete(store, raw)
        store.remove(kind, obj_id)


def set_company(store: Store, body: Any) -> None:
    """PATCH /company: only `wants_timestamp_timers` and `weekly_capacity` can change."""
    if not isinstance(body, dict):
        raise SandboxError(422, "The request body must be a JSON object")
    with store.transaction():
        timers, capacity = body.get("wants_timestamp_timers"), body.get("weekly_capacity")
        if timers is not None and not isinstance(timers, bool):
            raise SandboxError(422, "Wants timestamp timers must be true or false")
        if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool)):
            raise SandboxError(422, "Weekly capacity must be an integer")
        if timers is not None:
            store.timestamp_timers = timers
        if capacity is not None:
            store.weekly_capacity = capacity
