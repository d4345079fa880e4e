"""Rules for the account's directory: clients, contacts, users, tasks and categories."""

from __future__ import annotations

from decimal import Decimal

from migrator.sandbox.columns import folded
from migrator.sandbox.store import OWNER_ID, KindRules, Raw, SandboxError, Store, human


def _email_taken(store: Store, email: str, own_id: int | None = None) -> None:
    if store.exists("users", email_key=folded(email), exclude=own_id):
        raise SandboxError(422, "Email has already been taken")


def insert_user(store: Store, data: Raw) -> Raw:
    """A user with Harvest's defaults (no email counted: see `create_user`)."""
    _email_taken(store, data["email"])
    defaults = {
        "is_active": True,
        "weekly_capacity": store.weekly_capacity,
        "default_hourly_rate": Decimal(0),
        "cost_rate": Decimal(0),
        "roles": [],
        "access_roles": ["member"],
        "has_access_to_all_future_projects": False,
        "is_contractor": False,
        "timezone": "Eastern Time (US & Canada)",
    }
    return store.insert("users", defaults | data)


def create_user(store: Store, data: Raw) -> Raw:
    """POST /users: Harvest creates the user *and emails an invitation*, so count it."""
    raw = insert_user(store, data)
    store.emails_sent += 1
    return raw


# Harvest's docs: these "can't be updated if the user is inactive".
_FROZEN_WHILE_INACTIVE = ("first_name", "last_name", "email")


def update_user(store: Store, raw: Raw, data: Raw) -> None:
    """PATCH /users/{id}: an archived user's name and email stay as they are.

    Archiving and reactivating (`is_active`) always work; a PATCH that reactivates may also change
    the name and email, one that archives may not (the user must be active once the PATCH applies).
    """
    if not (raw | data).get("is_active", True):
        for name in _FROZEN_WHILE_INACTIVE:
            if name in data and data[name] != raw.get(name):
                raise SandboxError(422, f"{human(name)} can't be updated if the user is inactive")
    if "email" in data:
        _email_taken(store, data["email"], raw["id"])
    raw.update(data)


def delete_user(store: Store, raw: Raw) -> None:
    if raw["id"] == OWNER_ID:
        raise SandboxError(422, "The account owner can't be deleted")
    if store.exists("time_entries", user_id=raw["id"]) or store.exists("expenses", user_id=raw["id"]):
        raise SandboxError(422, "User has time entries or expenses and can't be deleted")
    for assignment in store.find("user_assignments", user_id=raw["id"]):
        store.remove("user_assignments", assignment["id"])


def create_contact(store: Store, data: Raw) -> Raw:
    store.ref("clients", data["client_id"], "client_id")
    return store.insert("contacts", data)


def update_contact(store: Store, raw: Raw, data: Raw) -> None:
    if "client_id" in data:
        store.ref("clients", data["client_id"], "client_id")
    raw.update(data)


def delete_client(store: Store, raw: Raw) -> None:
    if any(store.exists(kind, client_id=raw["id"]) for kind in ("projects", "invoices", "estimates")):
        raise SandboxError(422, "Client has projects, invoices or estimates and can't be deleted")
    for contact in store.find("contacts", client_id=raw["id"]):
        store.remove("contacts", contact["id"])  # a client's contacts go with it


def delete_task(store: Store, raw: Raw) -> None:
    if store.exists("time_entries", task_id=raw["id"]):
        raise SandboxError(422, "Task has time entries and can't be deleted")
    for assignment in store.find("task_assignments", task_id=raw["id"]):
        store.remove("task_assignments", assignment["id"])


def delete_expense_category(store: Store, raw: Raw) -> None:
    if store.exists("expenses", expense_category_id=raw["id"]):
        raise SandboxError(422, "Expense category has expenses and can't be deleted")


def _item_category_rules() -> KindRules:
    return KindRules(defaults={"use_as_service": False, "use_as_expense": False}, unique_name=True)


RULES: dict[str, KindRules] = {
    # Currency defaults to the company's (USD here); invoices then default to the client's.
    "clients": KindRules(defaults={"is_active": True, "currency": "USD"}, delete=delete_client, unique_name=True),
    "contacts": KindRules(create=create_contact, update=update_contact),
    "users": KindRules(create=create_user, update=update_user, delete=delete_user),
    "tasks": KindRules(
        defaults={
            "billable_by_default": True,
            "default_hourly_rate": Decimal(0),
            "is_default": False,
            "is_active": True,
        },
        delete=delete_task,
        unique_name=True,
    ),
    "expense_categories": KindRules(defaults={"is_active": True}, delete=delete_expense_category, unique_name=True),
    "invoice_item_categories": _item_category_rules(),
    "estimate_item_categories": _item_category_rules(),
}
