"""Harvest v2 response shapes for the store's raw objects.

Each function returns exactly the properties of the OpenAPI component schema (`Client`, `Project`,
`TimeEntry`, ...), nothing invented, so a migration that reads a field Harvest does not send fails
against the sandbox too. Nested references are `{id, name, ...}` objects or null.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from migrator.sandbox import attachments
from migrator.sandbox.store import OWNER_ID, Raw, Store

_STAMPS = ("created_at", "updated_at")


def _pick(raw: Raw, *keys: str) -> dict[str, Any]:
    return {key: raw.get(key) for key in keys}


def _display(kind: str, obj: Raw) -> str:
    """A user's full name or an object's `name`."""
    if kind == "users":
        return f"{obj.get('first_name', '')} {obj.get('last_name', '')}".strip()
    return str(obj.get("name", ""))


def _named(store: Store, kind: str, obj_id: Any, *extra: str) -> dict[str, Any] | None:
    """`{id, name, <extra>}` of another object (null when it is gone or never was)."""
    obj = store.lookup(kind, obj_id)
    if obj is None:
        return None
    return {"id": obj["id"], "name": _display(kind, obj)} | _pick(obj, *extra)


def _key(prefix: str, obj_id: int) -> str:
    # Harvest's statement and client keys are opaque hex strings: stable per object here.
    return hashlib.sha1(f"{prefix}:{obj_id}".encode()).hexdigest()


def _owner(store: Store) -> tuple[str, str]:
    owner = store.lookup("users", OWNER_ID) or {}
    return _display("users", owner), str(owner.get("email") or "")


def client(store: Store, raw: Raw) -> dict[str, Any]:
    return _pick(raw, "id", "name", "is_active", "address", "currency", *_STAMPS) | {
        "statement_key": _key("statement", raw["id"])
    }


def contact(store: Store, raw: Raw) -> dict[str, Any]:
    fields = ("id", "title", "first_name", "last_name", "email", "phone_office", "phone_mobile", "fax", *_STAMPS)
    return _pick(raw, *fields) | {"client": _named(store, "clients", raw.get("client_id"))}


def user(store: Store, raw: Raw) -> dict[str, Any]:
    fields = (
        "id", "first_name", "last_name", "email", "timezone", "has_access_to_all_future_projects", "is_contractor",
        "is_active", "weekly_capacity", "default_hourly_rate", "cost_rate", "roles", "access_roles", *_STAMPS,
    )  # fmt: skip
    return _pick(raw, *fields) | {"telephone": "", "avatar_url": None}


def task(store: Store, raw: Raw) -> dict[str, Any]:
    return _pick(raw, "id", "name", "billable_by_default", "default_hourly_rate", "is_default", "is_active", *_STAMPS)


def expense_category(store: Store, raw: Raw) -> dict[str, Any]:
    return _pick(raw, "id", "name", "unit_name", "unit_price", "is_active", *_STAMPS)


def invoice_item_category(store: Store, raw: Raw) -> dict[str, Any]:
    return _pick(raw, "id", "name", *_STAMPS) | {
        "use_as_service": bool(raw.get("use_as_service")),
        "use_as_expense": bool(raw.get("use_as_expense")),
    }


def estimate_item_category(store: Store, raw: Raw) -> dict[str, Any]:
    return _pick(raw, "id", "name", *_STAMPS)


def project(store: Store, raw: Raw) -> dict[str, Any]:
    fields = (
        "id", "name", "code", "is_active", "is_billable", "is_fixed_fee", "bill_by", "hourly_rate", "budget",
        "budget_by", "budget_is_monthly", "notify_when_over_budget", "over_budget_notification_percentage",
        "show_budget_to_all", "cost_budget", "cost_budget_include_expenses", "fee", "notes", "starts_on", "ends_on",
        *_STAMPS,
    )  # fmt: skip
    return _pick(raw, *fields) | {
        "client": _named(store, "clients", raw.get("client_id"), "currency"),
        "over_budget_notification_date": None,
    }


def user_assignment(store: Store, raw: Raw) -> dict[str, Any]:
    fields = ("id", "is_active", "is_project_manager", "use_default_rates", "hourly_rate", "budget", *_STAMPS)
    return _pick(raw, *fields) | {
        "project": _named(store, "projects", raw["project_id"], "code"),
        "user": _named(store, "users", raw["user_id"]),
    }


def task_assignment(store: Store, raw: Raw) -> dict[str, Any]:
    return _pick(raw, "id", "is_active", "billable", "hourly_rate", "budget", *_STAMPS) | {
        "project": _named(store, "projects", raw["project_id"], "code"),
        "task": _named(store, "tasks", raw["task_id"]),
    }


def _assignment(store: Store, kind: str, obj_id: Any) -> dict[str, Any] | None:
    obj = store.lookup(kind, obj_id)
    if obj is None:
        return None
    return user_assignment(store, obj) if kind == "user_assignments" else task_assignment(store, obj)


def _reference(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    keys = ("id", "group_id", "account_id", "permalink", "service")
    return _pick(value, *keys) | {"service_icon_url": None}


def time_entry(store: Store, raw: Raw) -> dict[str, Any]:
    client_id = (store.lookup("projects", raw["project_id"]) or {}).get("client_id")
    fields = (
        "id", "spent_date", "hours", "notes", "is_locked", "approval_status", "is_billed", "started_time",
        "ended_time", "is_running", "billable", *_STAMPS,
    )  # fmt: skip
    return _pick(raw, *fields) | {
        "user": _named(store, "users", raw["user_id"]),
        "user_assignment": _assignment(store, "user_assignments", raw.get("user_assignment_id")),
        "client": _named(store, "clients", client_id),
        "project": _named(store, "projects", raw["project_id"]),
        "task": _named(store, "tasks", raw["task_id"]),
        "task_assignment": _assignment(store, "task_assignments", raw.get("task_assignment_id")),
        "external_reference": _reference(raw.get("external_reference")),
        "invoice": None,
        "hours_without_timer": raw.get("hours"),
        "rounded_hours": raw.get("hours"),  # the account rounds nothing
        "locked_reason": None,
        "is_closed": False,
        "timer_started_at": None,
        "budgeted": False,
        "billable_rate": None,
        "cost_rate": None,
    }


def _category(store: Store, category_id: Any) -> dict[str, Any] | None:
    named = _named(store, "expense_categories", category_id, "unit_price", "unit_name")
    if named is not None and named["unit_price"] is not None:
        # The spec types this nested unit_price as a string (unlike the category's own number).
        named["unit_price"] = str(named["unit_price"])
    return named


def expense(store: Store, raw: Raw) -> dict[str, Any]:
    client_id = (store.lookup("projects", raw["project_id"]) or {}).get("client_id")
    fields = ("id", "notes", "units", "total_cost", "billable", "approval_status", "is_locked", "is_billed",
              "spent_date", *_STAMPS)  # fmt: skip
    return _pick(raw, *fields) | {
        "client": _named(store, "clients", client_id, "currency"),
        "project": _named(store, "projects", raw["project_id"], "code"),
        "expense_category": _category(store, raw["expense_category_id"]),
        "user": _named(store, "users", raw["user_id"]),
        "user_assignment": _assignment(store, "user_assignments", raw.get("user_assignment_id")),
        "receipt": attachments.view(store, raw),
        "invoice": None,
        "is_closed": False,
        "locked_reason": None,
    }


_DOCUMENT = (
    "id", "number", "purchase_order", "amount", "tax", "tax_amount", "tax2", "tax2_amount", "discount",
    "discount_amount", "subject", "notes", "currency", "state", "issue_date", "sent_at", *_STAMPS,
)  # fmt: skip
_LINE = ("id", "kind", "description", "quantity", "unit_price", "amount", "taxed", "taxed2")


def _document(store: Store, raw: Raw) -> dict[str, Any]:
    name, _email = _owner(store)
    return _pick(raw, *_DOCUMENT) | {
        "client": _named(store, "clients", raw["client_id"]),
        "creator": {"id": OWNER_ID, "name": name},
        "client_key": _key("client", raw["id"]),
    }


def invoice(store: Store, raw: Raw) -> dict[str, Any]:
    lines = [
        _pick(line, *_LINE) | {"project": _named(store, "projects", line.get("project_id"), "code")}
        for line in raw["line_items"]
    ]
    extra = ("due_amount", "due_date", "payment_term", "paid_at", "paid_date", "closed_at", "period_start",
             "period_end")  # fmt: skip
    estimate_id = raw.get("estimate_id")
    return (
        _document(store, raw)
        | _pick(raw, *extra)
        | {
            "line_items": lines,
            "payment_options": list(raw.get("payment_options") or []),
            "estimate": {"id": estimate_id} if estimate_id is not None else None,
            "retainer": None,
            "recurring_invoice_id": None,
        }
    )


def estimate(store: Store, raw: Raw) -> dict[str, Any]:
    lines = [_pick(line, *_LINE) for line in raw["line_items"]]
    return _document(store, raw) | _pick(raw, "accepted_at", "declined_at") | {"line_items": lines}


def invoice_payment(store: Store, raw: Raw) -> dict[str, Any]:
    name, email = _owner(store)
    return _pick(raw, "id", "amount", "paid_at", "paid_date", "notes", "transaction_id", *_STAMPS) | {
        "recorded_by": name,
        "recorded_by_email": email,
        "payment_gateway": {"id": None, "name": None},
    }


def _message(store: Store, raw: Raw) -> dict[str, Any]:
    name, email = _owner(store)
    recipients = [{"name": item.get("name"), "email": item.get("email")} for item in raw.get("recipients") or []]
    return _pick(raw, "id", "subject", "body", "send_me_a_copy", "event_type", *_STAMPS) | {
        "sent_by": name,
        "sent_by_email": email,
        "sent_from": name,
        "sent_from_email": email,
        "recipients": recipients,
    }


def invoice_message(store: Store, raw: Raw) -> dict[str, Any]:
    return _message(store, raw) | {
        "include_link_to_client_invoice": bool(raw.get("include_link_to_client_invoice")),
        "attach_pdf": bool(raw.get("attach_pdf")),
        "thank_you": bool(raw.get("thank_you")),
        "reminder": False,
        "send_reminder_on": None,
    }


def estimate_message(store: Store, raw: Raw) -> dict[str, Any]:
    return _message(store, raw)


RENDERERS: dict[str, Callable[[Store, Raw], dict[str, Any]]] = {
    "clients": client,
    "contacts": contact,
    "users": user,
    "tasks": task,
    "expense_categories": expense_category,
    "invoice_item_categories": invoice_item_category,
    "estimate_item_categories": estimate_item_category,
    "projects": project,
    "user_assignments": user_assignment,
    "task_assignments": task_assignment,
    "time_entries": time_entry,
    "expenses": expense,
    "estimates": estimate,
    "estimate_messages": estimate_message,
    "invoices": invoice,
    "invoice_payments": invoice_payment,
    "invoice_messages": invoice_message,
}


def render(store: Store, kind: str, raw: Raw) -> dict[str, Any]:
    """One object as Harvest v2 returns it (call under `store.lock`)."""
    return RENDERERS[kind](store, raw)


def company(store: Store, base_uri: str) -> dict[str, Any]:
    """GET /company: the account's settings; `wants_timestamp_timers` picks the time-entry variant."""
    return {
        "base_uri": base_uri,
        "full_domain": "sandbox.harvestapp.test",
        "name": "Migrator Sandbox",
        "is_active": True,
        "week_start_day": "Monday",
        "wants_timestamp_timers": store.timestamp_timers,
        "time_format": "decimal",
        "date_format": "%Y-%m-%d",
        "plan_type": "sandbox",
        "clock": "12h",
        "currency_code_display": "iso_code_before_amount",
        "currency_symbol_display": "symbol_before_amount",
        "decimal_symbol": ".",
        "thousands_separator": ",",
        "color_scheme": "orange",
        "weekly_capacity": store.weekly_capacity,
        "expense_feature": True,
        "invoice_feature": True,
        "estimate_feature": True,
        "approval_feature": False,
        "team_feature": False,
    }
