"""The resource registry: one entry per v2 kind. Load order, paths and natural keys live here only.

The planner, the loader, the verifier, rollback and the CLI all iterate this table. A new resource
is one entry here plus a mapping module, never a change to the CLI.

Natural keys answer "does this object already exist in the target?" without our ledger: they are
computed both from a payload (after references are resolved to v2 ids) and from a target object,
and the two must agree for the same object.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from migrator.kinds import KINDS, PLAN_KINDS

Key = Hashable | None
_MARKER = re.compile(r"\[migrator [^\]]+\]")


def _fold(value: Any) -> str:
    return str(value or "").strip().casefold()


def _nested_id(obj: dict[str, Any], name: str) -> Any:
    inner = obj.get(name)
    return inner.get("id") if isinstance(inner, dict) else obj.get(f"{name}_id")


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def marker(notes: Any) -> str | None:
    """The `[migrator …]` marker a mapping appends to expense notes (None when absent)."""
    found = _MARKER.findall(str(notes or ""))
    return found[-1] if found else None


@dataclass(frozen=True)
class Resource:
    """How one v2 kind is created, found, listed and ordered."""

    kind: str
    create_path: str  # may contain {project_id}, {invoice_id}, {estimate_id} (the PATH_FIELDS)
    list_path: str  # where existing target objects are listed (once per run)
    list_key: str  # the array's key in the list response
    depends_on: tuple[str, ...]
    payload_key: Callable[[dict[str, Any]], Key]
    target_key: Callable[[dict[str, Any]], Key]
    updatable: bool = True
    event: bool = False  # a state change (invoice/estimate message), idempotent by target state
    parent_field: str | None = None  # payload field that goes into the path
    # Has `is_active`: an archived source record is created active, receives its history, and is
    # archived by an `archives` step at the end of the batch (Harvest refuses history on archived things).
    archivable: bool = False
    step: bool = False  # a state change of an object that exists (`reactivations`, `archives`)

    def path_for(self, payload: dict[str, Any]) -> str:
        """The POST path for a resolved payload."""
        return self.create_path.format(**payload) if self.parent_field else self.create_path

    def item_path(self, payload_or_parent: dict[str, Any], v2_id: int) -> str:
        """The path of one existing object (PATCH, DELETE, GET)."""
        return f"{self.path_for(payload_or_parent)}/{v2_id}"


def _by_name(obj: dict[str, Any]) -> Key:
    return _fold(obj.get("name")) or None


def _contact_key(obj: dict[str, Any]) -> Key:
    return (
        _nested_id(obj, "client"),
        _fold(obj.get("first_name")),
        _fold(obj.get("last_name")),
        _fold(obj.get("email")),
    )


def _project_key(obj: dict[str, Any]) -> Key:
    code = str(obj.get("code") or "").strip()
    return (_nested_id(obj, "client"), ("code", code) if code else ("name", _fold(obj.get("name"))))


def _expense_key(obj: dict[str, Any]) -> Key:
    return (
        _nested_id(obj, "project"),
        str(obj.get("spent_date")),
        _money(obj.get("total_cost")),
        marker(obj.get("notes")),
    )


def _payment_key(obj: dict[str, Any]) -> Key:
    paid = obj.get("paid_date") or str(obj.get("paid_at") or "")[:10]
    return (obj.get("invoice_id"), str(paid), _money(obj.get("amount")))


def _external_reference(obj: dict[str, Any]) -> Key:
    reference = obj.get("external_reference") or {}
    return reference.get("id") if isinstance(reference, dict) else None


def _event_key(parent: str) -> Callable[[dict[str, Any]], Key]:
    def key(obj: dict[str, Any]) -> Key:
        return (obj.get(f"{parent}_id"), obj.get("event_type"))

    return key


def _number(obj: dict[str, Any]) -> Key:
    # Same number for another client is somebody else's invoice, never ours to adopt.
    number = str(obj.get("number") or "").strip()
    return (_nested_id(obj, "client"), number) if number else None


def _no_key(obj: dict[str, Any]) -> Key:
    return None


def _step(kind: str, depends_on: tuple[str, ...]) -> Resource:
    # A step PATCHes `is_active` on the object its payload's `object` ref names (see `migrator.load.archive`).
    return Resource(kind, "", "", "", depends_on, _no_key, _no_key, updatable=False, step=True)


_ENTRIES: tuple[Resource, ...] = (
    _step("reactivations", ()),
    Resource("clients", "/clients", "/clients", "clients", (), _by_name, _by_name, archivable=True),
    Resource("contacts", "/contacts", "/contacts", "contacts", ("clients",), _contact_key, _contact_key),
    Resource(
        "users",
        "/users",
        "/users",
        "users",
        (),
        lambda o: _fold(o.get("email")) or None,
        lambda o: _fold(o.get("email")) or None,
        archivable=True,
    ),
    Resource("tasks", "/tasks", "/tasks", "tasks", (), _by_name, _by_name, archivable=True),
    Resource(
        "expense_categories",
        "/expense_categories",
        "/expense_categories",
        "expense_categories",
        (),
        _by_name,
        _by_name,
        archivable=True,
    ),
    Resource(
        "invoice_item_categories",
        "/invoice_item_categories",
        "/invoice_item_categories",
        "invoice_item_categories",
        (),
        _by_name,
        _by_name,
    ),
    Resource(
        "estimate_item_categories",
        "/estimate_item_categories",
        "/estimate_item_categories",
        "estimate_item_categories",
        (),
        _by_name,
        _by_name,
    ),
    Resource(
        # After tasks and users: Harvest adds default tasks and "all future projects" users to every
        # new project, so creating those first makes the target's assignments deterministic.
        "projects",
        "/projects",
        "/projects",
        "projects",
        ("clients", "tasks", "users"),
        _project_key,
        _project_key,
        archivable=True,
    ),
    Resource(
        "user_assignments",
        "/projects/{project_id}/user_assignments",
        "/user_assignments",
        "user_assignments",
        ("projects", "users"),
        lambda p: (p.get("project_id"), p.get("user_id")),
        lambda o: (_nested_id(o, "project"), _nested_id(o, "user")),
        parent_field="project_id",
        archivable=True,
    ),
    Resource(
        "task_assignments",
        "/projects/{project_id}/task_assignments",
        "/task_assignments",
        "task_assignments",
        ("projects", "tasks"),
        lambda p: (p.get("project_id"), p.get("task_id")),
        lambda o: (_nested_id(o, "project"), _nested_id(o, "task")),
        parent_field="project_id",
        archivable=True,
    ),
    Resource(
        "time_entries",
        "/time_entries",
        "/time_entries",
        "time_entries",
        ("projects", "tasks", "users", "user_assignments", "task_assignments"),
        _external_reference,
        _external_reference,
    ),
    Resource(
        "expenses",
        "/expenses",
        "/expenses",
        "expenses",
        ("projects", "users", "expense_categories", "user_assignments"),
        lambda p: (p.get("project_id"), str(p.get("spent_date")), _money(p.get("total_cost")), marker(p.get("notes"))),
        _expense_key,
    ),
    Resource(
        "estimates", "/estimates", "/estimates", "estimates", ("clients", "estimate_item_categories"), _number, _number
    ),
    Resource(
        "estimate_messages",
        "/estimates/{estimate_id}/messages",
        "/estimates/{estimate_id}/messages",
        "estimate_messages",
        ("estimates",),
        _event_key("estimate"),
        _event_key("estimate"),
        updatable=False,
        event=True,
        parent_field="estimate_id",
    ),
    Resource(
        "invoices",
        "/invoices",
        "/invoices",
        "invoices",
        ("clients", "projects", "invoice_item_categories"),
        _number,
        _number,
    ),
    Resource(
        "invoice_payments",
        "/invoices/{invoice_id}/payments",
        "/invoices/{invoice_id}/payments",
        "invoice_payments",
        ("invoices", "invoice_messages"),
        _payment_key,
        _payment_key,
        updatable=False,
        parent_field="invoice_id",
    ),
    Resource(
        "invoice_messages",
        "/invoices/{invoice_id}/messages",
        "/invoices/{invoice_id}/messages",
        "invoice_messages",
        ("invoices",),
        _event_key("invoice"),
        _event_key("invoice"),
        updatable=False,
        event=True,
        parent_field="invoice_id",
    ),
    _step("archives", KINDS),
)

REGISTRY: dict[str, Resource] = {entry.kind: entry for entry in _ENTRIES}
assert tuple(REGISTRY) == PLAN_KINDS, "the registry must list every kind, in CONTRACT order, between the steps"
ARCHIVABLE: frozenset[str] = frozenset(kind for kind, entry in REGISTRY.items() if entry.archivable)


def load_order(kinds: Iterable[str] | None = None) -> list[str]:
    """Kinds in an order where each comes after what it depends on (a topological sort).

    Invoice payments depend on the "send" message, and "close" depends on the payments: those
    per-record orderings are carried by each planned object's `after` refs; kind order only has
    to put the message kind's *parents* first.
    """
    wanted = set(kinds if kinds is not None else PLAN_KINDS)
    order: list[str] = []
    visiting: set[str] = set()

    def visit(kind: str) -> None:
        if kind in order or kind not in REGISTRY:
            return
        if kind in visiting:
            return  # invoice_payments <-> invoice_messages: broken per record by `after`
        visiting.add(kind)
        for dependency in REGISTRY[kind].depends_on:
            visit(dependency)
        visiting.discard(kind)
        order.append(kind)

    for kind in PLAN_KINDS:
        visit(kind)
    return [kind for kind in order if kind in wanted]
