"""Harvest v2 response shapes for the sandbox's raw objects (see the OpenAPI component schemas)."""

from __future__ import annotations

from typing import Any

from migrator.harvest.sandbox.store import Store


def _named(store: Store, kind: str, obj_id: Any, *extra: str) -> dict[str, Any] | None:
    obj = store.objects[kind].get(obj_id) if obj_id is not None else None
    if obj is None:
        return None
    out = {"id": obj["id"], "name": _display_name(kind, obj)}
    for key in extra:
        out[key] = obj.get(key)
    return out


def _display_name(kind: str, obj: dict[str, Any]) -> str:
    if kind == "users":
        return f"{obj.get('first_name', '')} {obj.get('last_name', '')}".strip()
    return str(obj.get("name", ""))


def _stringify(obj: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if obj is not None and obj.get(key) is not None:
        obj[key] = str(obj[key])
    return obj


def _pick(raw: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: raw.get(key) for key in keys}


_STAMPS = ("created_at", "updated_at")


def render(store: Store, kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """One object as Harvest v2 returns it."""
    if kind == "clients":
        return _pick(raw, "id", "name", "is_active", "address", "currency", *_STAMPS) | {
            "statement_key": f"sk{raw['id']:08d}"
        }
    if kind == "contacts":
        return _pick(
            raw, "id", "title", "first_name", "last_name", "email", "phone_office", "phone_mobile", "fax", *_STAMPS
        ) | {"client": _named(store, "clients", raw.get("client_id"))}
    if kind == "users":
        return _pick(
            raw,
            "id",
            "first_name",
            "last_name",
            "email",
            "timezone",
            "has_access_to_all_future_projects",
            "is_contractor",
            "is_active",
            "weekly_capacity",
            "default_hourly_rate",
            "cost_rate",
            "roles",
            "access_roles",
            *_STAMPS,
        ) | {"telephone": "", "avatar_url": None, "permissions_claims": []}
    if kind == "tasks":
        return _pick(
            raw, "id", "name", "billable_by_default", "default_hourly_rate", "is_default", "is_active", *_STAMPS
        )
    if kind == "expense_categories":
        return _pick(raw, "id", "name", "unit_name", "unit_price", "is_active", *_STAMPS)
    if kind in ("invoice_item_categories", "estimate_item_categories"):
        return _pick(raw, "id", "name", *_STAMPS) | {
            "use_as_service": bool(raw.get("use_as_service")),
            "use_as_expense": bool(raw.get("use_as_expense")),
        }
    if kind == "projects":
        return _pick(
            raw,
            "id",
            "name",
            "code",
            "is_active",
            "is_billable",
            "is_fixed_fee",
            "bill_by",
            "budget",
            "budget_by",
            "budget_is_monthly",
            "notify_when_over_budget",
            "over_budget_notification_percentage",
            "show_budget_to_all",
            "starts_on",
            "ends_on",
            "notes",
            "cost_budget",
            "cost_budget_include_expenses",
            "hourly_rate",
            "fee",
            *_STAMPS,
        ) | {
            "client": _named(store, "clients", raw.get("client_id"), "currency"),
            "over_budget_notification_date": None,
        }
    if kind == "user_assignments":
        return _pick(
            raw, "id", "is_project_manager", "is_active", "use_default_rates", "budget", "hourly_rate", *_STAMPS
        ) | {
            "project": _named(store, "projects", raw["project_id"], "code"),
            "user": _named(store, "users", raw["user_id"]),
        }
    if kind == "task_assignments":
        return _pick(raw, "id", "billable", "is_active", "hourly_rate", "budget", *_STAMPS) | {
            "project": _named(store, "projects", raw["project_id"], "code"),
            "task": _named(store, "tasks", raw["task_id"]),
        }
    if kind == "time_entries":
        project = store.objects["projects"].get(raw["project_id"]) or {}
        return _pick(
            raw,
            "id",
            "spent_date",
            "hours",
            "notes",
            "is_running",
            "is_billed",
            "is_locked",
            "started_time",
            "ended_time",
            "external_reference",
            *_STAMPS,
        ) | {
            "hours_without_timer": raw.get("hours"),
            "rounded_hours": raw.get("hours"),
            "locked_reason": None,
            "is_closed": False,
            "timer_started_at": None,
            "billable": True,
            "budgeted": False,
            "billable_rate": None,
            "cost_rate": None,
            "invoice": None,
            "user": _named(store, "users", raw["user_id"]),
            "client": _named(store, "clients", project.get("client_id")),
            "project": _named(store, "projects", raw["project_id"]),
            "task": _named(store, "tasks", raw["task_id"]),
        }
    if kind == "expenses":
        project = store.objects["projects"].get(raw["project_id"]) or {}
        return _pick(raw, "id", "notes", "total_cost", "units", "spent_date", "billable", "is_billed", *_STAMPS) | {
            "is_closed": False,
            "is_locked": False,
            "locked_reason": None,
            "receipt": None,
            "invoice": None,
            "user": _named(store, "users", raw["user_id"]),
            "project": _named(store, "projects", raw["project_id"]),
            # The spec types this nested unit_price as a string (unlike the category's own decimal).
            "expense_category": _stringify(
                _named(store, "expense_categories", raw["expense_category_id"], "unit_price", "unit_name"),
                "unit_price",
            ),
            "client": _named(store, "clients", project.get("client_id"), "currency"),
        }
    if kind in ("invoices", "estimates"):
        lines = [
            _pick(line, "id", "kind", "description", "quantity", "unit_price", "amount", "taxed", "taxed2")
            | ({"project": _named(store, "projects", line.get("project_id"), "code")} if kind == "invoices" else {})
            for line in raw.get("line_items") or []
        ]
        common = _pick(
            raw,
            "id",
            "number",
            "purchase_order",
            "amount",
            "tax",
            "tax_amount",
            "tax2",
            "tax2_amount",
            "discount",
            "discount_amount",
            "subject",
            "notes",
            "currency",
            "state",
            "issue_date",
            "sent_at",
            *_STAMPS,
        ) | {
            "client_key": f"ck{raw['id']:038d}",
            "client": _named(store, "clients", raw["client_id"]),
            "creator": {"id": 1, "name": "Sandbox Owner"},
            "line_items": lines,
        }
        if kind == "estimates":
            return common | _pick(raw, "accepted_at", "declined_at")
        return (
            common
            | _pick(
                raw,
                "due_amount",
                "due_date",
                "payment_term",
                "paid_at",
                "paid_date",
                "closed_at",
                "period_start",
                "period_end",
            )
            | {
                "payment_options": raw.get("payment_options") or [],
                "recurring_invoice_id": None,
                "estimate": None,
                "retainer": None,
            }
        )
    if kind == "invoice_payments":
        return _pick(raw, "id", "amount", "paid_at", "paid_date", "notes", *_STAMPS) | {
            "recorded_by": "Sandbox Owner",
            "recorded_by_email": "owner@sandbox.example",
            "transaction_id": None,
            "payment_gateway": {"id": None, "name": None},
        }
    if kind in ("invoice_messages", "estimate_messages"):
        return _pick(raw, "id", "subject", "body", "send_me_a_copy", "event_type", *_STAMPS) | {
            "sent_by": "Sandbox Owner",
            "sent_by_email": "owner@sandbox.example",
            "sent_from": "Sandbox Owner",
            "sent_from_email": "owner@sandbox.example",
            "recipients": raw.get("recipients") or [],
            "include_link_to_client_invoice": False,
            "attach_pdf": bool(raw.get("attach_pdf")),
            "thank_you": bool(raw.get("thank_you")),
            "reminder": False,
            "send_reminder_on": None,
        }
    raise KeyError(kind)


def company(store: Store, base: str) -> dict[str, Any]:
    return {
        "base_uri": base,
        "full_domain": "sandbox.harvestapp.test",
        "name": "Migrator Sandbox",
        "is_active": True,
        "week_start_day": "Monday",
        "wants_timestamp_timers": store.timestamp_timers,
        "time_format": "hours_minutes",
        "date_format": "%Y-%m-%d",
        "plan_type": "sandbox",
        "clock": "12h",
        "currency_code_display": "iso_code",
        "currency_symbol_display": "symbol_before",
        "decimal_symbol": ".",
        "thousands_separator": ",",
        "color_scheme": "orange",
        "weekly_capacity": 126000,
        "expense_feature": True,
        "invoice_feature": True,
        "estimate_feature": True,
        "approval_feature": False,
        "team_feature": False,
    }
