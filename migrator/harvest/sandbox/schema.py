"""What the sandbox accepts: field types and required fields per create body (from the OpenAPI spec)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

# type codes: str, int, num (JSON number), bool, date (YYYY-MM-DD), list, obj
FIELDS: dict[str, dict[str, str]] = {
    "clients": {"name": "str", "is_active": "bool", "address": "str", "currency": "str"},
    "contacts": {
        "client_id": "int",
        "title": "str",
        "first_name": "str",
        "last_name": "str",
        "email": "str",
        "phone_office": "str",
        "phone_mobile": "str",
        "fax": "str",
    },
    "users": {
        "first_name": "str",
        "last_name": "str",
        "email": "str",
        "timezone": "str",
        "has_access_to_all_future_projects": "bool",
        "is_contractor": "bool",
        "is_active": "bool",
        "weekly_capacity": "int",
        "default_hourly_rate": "num",
        "cost_rate": "num",
        "roles": "list",
        "access_roles": "list",
    },
    "tasks": {
        "name": "str",
        "billable_by_default": "bool",
        "default_hourly_rate": "num",
        "is_default": "bool",
        "is_active": "bool",
    },
    "expense_categories": {"name": "str", "unit_name": "str", "unit_price": "num", "is_active": "bool"},
    "invoice_item_categories": {"name": "str"},
    "estimate_item_categories": {"name": "str"},
    "projects": {
        "client_id": "int",
        "name": "str",
        "code": "str",
        "is_active": "bool",
        "is_billable": "bool",
        "is_fixed_fee": "bool",
        "bill_by": "str",
        "hourly_rate": "num",
        "budget_by": "str",
        "budget_is_monthly": "bool",
        "budget": "num",
        "cost_budget": "num",
        "cost_budget_include_expenses": "bool",
        "notify_when_over_budget": "bool",
        "over_budget_notification_percentage": "num",
        "show_budget_to_all": "bool",
        "fee": "num",
        "notes": "str",
        "starts_on": "date",
        "ends_on": "date",
    },
    "user_assignments": {
        "user_id": "int",
        "is_active": "bool",
        "is_project_manager": "bool",
        "use_default_rates": "bool",
        "hourly_rate": "num",
        "budget": "num",
    },
    "task_assignments": {
        "task_id": "int",
        "is_active": "bool",
        "billable": "bool",
        "hourly_rate": "num",
        "budget": "num",
    },
    "time_entries": {
        "user_id": "int",
        "project_id": "int",
        "task_id": "int",
        "spent_date": "date",
        "started_time": "str",
        "ended_time": "str",
        "notes": "str",
        "external_reference": "obj",
        "hours": "num",
    },
    "expenses": {
        "user_id": "int",
        "project_id": "int",
        "expense_category_id": "int",
        "spent_date": "date",
        "units": "int",
        "total_cost": "num",
        "notes": "str",
        "billable": "bool",
        "receipt": "str",
    },
    "estimates": {
        "client_id": "int",
        "number": "str",
        "purchase_order": "str",
        "tax": "num",
        "tax2": "num",
        "discount": "num",
        "subject": "str",
        "notes": "str",
        "currency": "str",
        "issue_date": "date",
        "line_items": "list",
    },
    "invoices": {
        "client_id": "int",
        "retainer_id": "int",
        "estimate_id": "int",
        "number": "str",
        "purchase_order": "str",
        "tax": "num",
        "tax2": "num",
        "discount": "num",
        "subject": "str",
        "notes": "str",
        "currency": "str",
        "issue_date": "date",
        "due_date": "date",
        "payment_term": "str",
        "payment_options": "list",
        "line_items": "list",
        "line_items_import": "obj",
    },
    "invoice_payments": {
        "amount": "num",
        "paid_at": "str",
        "paid_date": "date",
        "notes": "str",
        "send_thank_you": "bool",
    },
    "invoice_messages": {
        "event_type": "str",
        "recipients": "list",
        "subject": "str",
        "body": "str",
        "include_link_to_client_invoice": "bool",
        "attach_pdf": "bool",
        "send_me_a_copy": "bool",
        "thank_you": "bool",
    },
    "estimate_messages": {
        "event_type": "str",
        "recipients": "list",
        "subject": "str",
        "body": "str",
        "send_me_a_copy": "bool",
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "clients": ("name",),
    "contacts": ("client_id", "first_name"),
    "users": ("first_name", "last_name", "email"),
    "tasks": ("name",),
    "expense_categories": ("name",),
    "invoice_item_categories": ("name",),
    "estimate_item_categories": ("name",),
    "projects": ("client_id", "name", "is_billable", "bill_by", "budget_by"),
    "user_assignments": ("user_id",),
    "task_assignments": ("task_id",),
    "time_entries": ("project_id", "task_id", "spent_date"),
    "expenses": ("project_id", "expense_category_id", "spent_date"),
    "estimates": ("client_id",),
    "invoices": ("client_id",),
    "invoice_payments": ("amount",),
    "invoice_messages": (),
    "estimate_messages": (),
}

ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("projects", "bill_by"): ("Project", "Tasks", "People", "none"),
    ("projects", "budget_by"): ("project", "project_cost", "task", "task_fees", "person", "none"),
    ("invoices", "payment_term"): ("upon receipt", "net 15", "net 30", "net 45", "net 60", "custom"),
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def human(field: str) -> str:
    """`client_id` -> `Client` (Rails-style messages: "Client can't be blank")."""
    return field.removesuffix("_id").replace("_", " ").capitalize()


def _type_ok(code: str, value: Any) -> bool:
    if code == "str":
        return isinstance(value, str)
    if code == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if code == "num":
        return isinstance(value, (int, Decimal)) and not isinstance(value, bool)
    if code == "bool":
        return isinstance(value, bool)
    if code == "date":
        return isinstance(value, str) and bool(_DATE.match(value))
    if code == "list":
        return isinstance(value, list)
    if code == "obj":
        return isinstance(value, dict)
    return False


_TYPE_NAMES = {
    "str": "a string",
    "int": "an integer",
    "num": "a number",
    "bool": "true or false",
    "date": "a date (YYYY-MM-DD)",
    "list": "an array",
    "obj": "an object",
}


def check_body(kind: str, body: Any, *, create: bool) -> str | None:
    """The first problem with a request body (Harvest's 422 message), or None."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object"
    fields = FIELDS[kind]
    if create:
        for name in REQUIRED[kind]:
            value = body.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                return f"{human(name)} can't be blank"
    for name, value in body.items():
        code = fields.get(name)
        if code is None or value is None:
            continue  # Harvest ignores parameters it does not know
        if not _type_ok(code, value):
            return f"{human(name)} must be {_TYPE_NAMES[code]}"
        allowed = ENUMS.get((kind, name))
        if allowed and value not in allowed:
            return f"{human(name)} is not included in the list ({', '.join(allowed)})"
    return None
