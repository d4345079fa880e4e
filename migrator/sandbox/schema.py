"""What the sandbox accepts in a POST or PATCH body: fields, JSON types, required fields, enums.

Taken from the request bodies of `shared/specs/harvest-v2-openapi.yaml`. Like Harvest, a parameter
the endpoint does not know is ignored (dropped here, so it is never stored either); a known one of
the wrong JSON type, a missing required one, or a value outside an enum is a 422 with a Rails-style
message ("Name can't be blank").

A `multipart/form-data` body (how Harvest takes an expense with its receipt) carries every field as
text: `from_form` reads each by the field's type (`"12"` an integer, `"12.50"` a number, `"true"`/
`"false"` or `"1"`/`"0"` a boolean, `YYYY-MM-DD` a date, an empty text null) and refuses what does
not read as that type with the same 422 a JSON body gets. Deliberately strict where Rails would
guess (`"yes"`, `"1.5"` units): a migration must send exactly what it means.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from migrator.sandbox.store import SandboxError, human

# Type codes: str, int, num (JSON number), bool, date, datetime, strs (array of strings),
# ref (external_reference), lines (line items), recipients (message recipients).
_INVOICE_BASE = {
    "client_id": "int", "number": "str", "purchase_order": "str", "tax": "num", "tax2": "num",
    "discount": "num", "subject": "str", "notes": "str", "currency": "str", "issue_date": "date",
    "line_items": "lines",
}  # fmt: skip
_ASSIGNMENT = {"is_active": "bool", "hourly_rate": "num", "budget": "num"}

CREATE: dict[str, dict[str, str]] = {
    "clients": {"name": "str", "is_active": "bool", "address": "str", "currency": "str"},
    "contacts": {
        "client_id": "int", "title": "str", "first_name": "str", "last_name": "str", "email": "str",
        "phone_office": "str", "phone_mobile": "str", "fax": "str",
    },
    "users": {
        "first_name": "str", "last_name": "str", "email": "str", "timezone": "str",
        "has_access_to_all_future_projects": "bool", "is_contractor": "bool", "is_active": "bool",
        "weekly_capacity": "int", "default_hourly_rate": "num", "cost_rate": "num", "roles": "strs",
        "access_roles": "strs",
    },
    "tasks": {
        "name": "str", "billable_by_default": "bool", "default_hourly_rate": "num", "is_default": "bool",
        "is_active": "bool",
    },
    "expense_categories": {"name": "str", "unit_name": "str", "unit_price": "num", "is_active": "bool"},
    "invoice_item_categories": {"name": "str"},
    "estimate_item_categories": {"name": "str"},
    "projects": {
        "client_id": "int", "name": "str", "code": "str", "is_active": "bool", "is_billable": "bool",
        "is_fixed_fee": "bool", "bill_by": "str", "hourly_rate": "num", "budget_by": "str",
        "budget_is_monthly": "bool", "budget": "num", "cost_budget": "num",
        "cost_budget_include_expenses": "bool", "notify_when_over_budget": "bool",
        "over_budget_notification_percentage": "num", "show_budget_to_all": "bool", "fee": "num",
        "notes": "str", "starts_on": "date", "ends_on": "date",
    },
    "user_assignments": {"user_id": "int", "is_project_manager": "bool", "use_default_rates": "bool"} | _ASSIGNMENT,
    "task_assignments": {"task_id": "int", "billable": "bool"} | _ASSIGNMENT,
    "time_entries": {
        "user_id": "int", "project_id": "int", "task_id": "int", "spent_date": "date", "started_time": "str",
        "ended_time": "str", "notes": "str", "external_reference": "ref", "hours": "num",
    },
    "expenses": {
        "user_id": "int", "project_id": "int", "expense_category_id": "int", "spent_date": "date",
        "units": "int", "total_cost": "num", "notes": "str", "billable": "bool",
    },
    "estimates": dict(_INVOICE_BASE),
    "invoices": _INVOICE_BASE | {
        "retainer_id": "int", "estimate_id": "int", "due_date": "date", "payment_term": "str",
        "payment_options": "strs", "line_items_import": "obj",
    },
    "invoice_payments": {
        "amount": "num", "paid_at": "datetime", "paid_date": "date", "notes": "str", "send_thank_you": "bool",
    },
    "invoice_messages": {
        "event_type": "str", "recipients": "recipients", "subject": "str", "body": "str",
        "include_link_to_client_invoice": "bool", "attach_pdf": "bool", "send_me_a_copy": "bool",
        "thank_you": "bool",
    },
    "estimate_messages": {
        "event_type": "str", "recipients": "recipients", "subject": "str", "body": "str", "send_me_a_copy": "bool",
    },
}  # fmt: skip


def _without(kind: str, *names: str) -> dict[str, str]:
    return {name: code for name, code in CREATE[kind].items() if name not in names}


# PATCH bodies (spec): mostly the create fields; what cannot change after creation is left out.
UPDATE: dict[str, dict[str, str]] = {kind: dict(fields) for kind, fields in CREATE.items()} | {
    "users": _without("users", "default_hourly_rate", "cost_rate"),  # rates have their own endpoints
    "user_assignments": _without("user_assignments", "user_id"),
    "task_assignments": _without("task_assignments", "task_id"),
    "time_entries": _without("time_entries", "user_id"),
    "expenses": _without("expenses", "user_id"),
    "invoices": _without("invoices", "line_items_import"),
}
UPDATE["expenses"]["delete_receipt"] = "bool"
for _events in ("invoice_payments", "invoice_messages", "estimate_messages"):
    del UPDATE[_events]  # append-only: Harvest has no PATCH for them
FILE_FIELDS = {"expenses": "receipt"}  # the one file a kind takes (multipart only)

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

ENUMS: dict[str, tuple[str, ...]] = {
    "bill_by": ("Project", "Tasks", "People", "none"),
    "budget_by": ("project", "project_cost", "task", "task_fees", "person", "none"),
    "payment_term": ("upon receipt", "net 15", "net 30", "net 45", "net 60", "custom"),
    "access_roles": (
        "administrator", "manager", "member", "project_creator", "billable_rates_manager",
        "managed_projects_invoice_drafter", "managed_projects_invoice_manager", "client_and_task_manager",
        "time_and_expenses_manager", "estimates_manager",
    ),
    "payment_options": ("ach", "credit_card", "paypal"),
}  # fmt: skip

LINE_FIELDS = {
    "id": "int", "_destroy": "bool", "project_id": "int", "kind": "str", "description": "str",
    "quantity": "num", "unit_price": "num", "taxed": "bool", "taxed2": "bool",
}  # fmt: skip
REFERENCE_FIELDS = {"id": "str", "group_id": "str", "account_id": "str", "permalink": "str"}
RECIPIENT_FIELDS = {"name": "str", "email": "str"}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TYPE_NAMES = {
    "str": "a string", "int": "an integer", "num": "a number", "bool": "true or false",
    "date": "a date (YYYY-MM-DD)", "datetime": "an ISO 8601 datetime", "strs": "an array of strings",
    "ref": "an object", "obj": "an object", "lines": "an array of objects", "recipients": "an array of objects",
}  # fmt: skip


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _type_ok(code: str, value: Any) -> bool:
    checks = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "num": lambda v: isinstance(v, (int, Decimal)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "date": _is_date,
        "datetime": _is_datetime,
        "strs": lambda v: isinstance(v, list) and all(isinstance(item, str) for item in v),
        "ref": lambda v: isinstance(v, dict),
        "obj": lambda v: isinstance(v, dict),
        "lines": lambda v: isinstance(v, list) and all(isinstance(item, dict) for item in v),
        "recipients": lambda v: isinstance(v, list) and all(isinstance(item, dict) for item in v),
    }
    return bool(checks[code](value))


def _check_fields(fields: dict[str, str], body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Known fields of `body` with their types checked; unknown ones dropped."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        code = fields.get(name)
        if code is None:
            continue  # Harvest ignores parameters it does not know
        label = f"{prefix}{human(name).lower()}" if prefix else human(name)
        if value is not None and not _type_ok(code, value):
            raise SandboxError(422, f"{label} must be {_TYPE_NAMES[code]}")
        allowed = ENUMS.get(name)
        if allowed and value is not None:
            for item in value if isinstance(value, list) else [value]:
                if item not in allowed:
                    raise SandboxError(422, f"{label} is not included in the list")
        if code == "lines" and value is not None:
            value = [_check_fields(LINE_FIELDS, line, "Line items ") for line in value]
        elif code == "ref" and value is not None:
            value = _check_fields(REFERENCE_FIELDS, value, "External reference ")
        elif code == "recipients" and value is not None:
            value = [_check_fields(RECIPIENT_FIELDS, item, "Recipients ") for item in value]
            for item in value:
                if not _EMAIL.match(str(item.get("email") or "")):
                    raise SandboxError(422, "Recipients email is invalid")
        out[name] = value
    return out


_INT_TEXT = re.compile(r"^[+-]?\d+$")
_NUM_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_BOOL_TEXT = {"true": True, "1": True, "false": False, "0": False}


class _NotText(Exception):
    """A field whose type has no text form (an array or an object)."""


def _from_text(code: str, text: str) -> Any:
    """A form field's text as a JSON value of type `code`. Text that does not read as that type is
    returned as is, so the type check refuses it with the message a JSON body gets."""
    value = text.strip()
    if value == "":
        return None
    if code == "str":
        return text
    if code == "int":
        return int(value) if _INT_TEXT.match(value) else value
    if code == "num":
        return Decimal(value) if _NUM_TEXT.match(value) else value
    if code == "bool":
        return _BOOL_TEXT.get(value.lower(), value)
    if code in ("date", "datetime"):
        return value
    raise _NotText(code)


def from_form(kind: str, fields: dict[str, str], *, create: bool) -> dict[str, Any]:
    """A multipart body's text fields as a JSON body (see the module docstring); unknown names dropped."""
    known = (CREATE if create else UPDATE).get(kind)
    if known is None:
        raise SandboxError(404, "Not found")
    body: dict[str, Any] = {}
    for name, text in fields.items():
        code = known.get(name)
        if code is None:
            continue
        try:
            body[name] = _from_text(code, text)
        except _NotText:
            raise SandboxError(422, f"{human(name)} cannot be sent as a form field: send JSON") from None
    return body


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean(kind: str, body: Any, *, create: bool) -> dict[str, Any]:
    """The body's known fields, checked; raise a 422 `SandboxError` with Harvest's message.

    On create, `null` fields are dropped (as if absent). On update they are kept: a PATCH with
    `null` clears an optional field, and a required one cannot be cleared ("can't be blank").
    """
    if not isinstance(body, dict):
        raise SandboxError(422, "The request body must be a JSON object")
    fields = (CREATE if create else UPDATE).get(kind)
    if fields is None:
        raise SandboxError(404, "Not found")
    if FILE_FIELDS.get(kind) in body:
        raise SandboxError(422, f"{human(FILE_FIELDS[kind])} must be a file sent as multipart/form-data")
    data = _check_fields(fields, body)
    for name in REQUIRED[kind]:
        if (create or name in data) and _blank(data.get(name)):
            raise SandboxError(422, f"{human(name)} can't be blank")
    if isinstance(data.get("currency"), str) and not _CURRENCY.match(data["currency"]):
        raise SandboxError(422, "Currency is not included in the list")
    if kind in ("users", "contacts") and data.get("email") is not None and not _EMAIL.match(data["email"]):
        raise SandboxError(422, "Email is invalid")
    return {name: value for name, value in data.items() if value is not None} if create else data
