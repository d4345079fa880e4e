"""Typed FreshBooks Classic records. Every wire value is untyped text: meaning comes from the field.

Booleans are `1`/`0`; an empty element means "not set"; ids may be zero-padded (`00000079106`);
amounts carry any number of decimals; dates are `YYYY-MM-DD` or `YYYY-MM-DD 00:00:00`, and
`0000-00-00 00:00:00` means never. Invoice and estimate `number`s stay strings.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from migrator.sources.coerce import XBool, XDate, XDateTime, XDecimal, XId, XStr, XText
from migrator.sources.record import SourceRecord


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Contact(_Part):
    contact_id: XId = None
    username: XStr = None
    first_name: XStr = None
    last_name: XStr = None
    email: XStr = None
    phone1: XStr = None
    phone2: XStr = None


class Client(SourceRecord):
    resource: ClassVar[str] = "clients"
    first_name: XStr = None
    last_name: XStr = None
    organization: XStr = None
    email: XStr = None
    username: XStr = None
    work_phone: XStr = None
    home_phone: XStr = None
    mobile: XStr = None
    fax: XStr = None
    language: XStr = None
    currency_code: XStr = None
    notes: XText = None
    p_street1: XStr = None
    p_street2: XStr = None
    p_city: XStr = None
    p_state: XStr = None
    p_country: XStr = None
    p_code: XStr = None
    s_street1: XStr = None
    s_street2: XStr = None
    s_city: XStr = None
    s_state: XStr = None
    s_country: XStr = None
    s_code: XStr = None
    vat_name: XStr = None
    vat_number: XStr = None
    folder: XStr = None
    updated: XDateTime = None
    contacts: list[Contact] | None = None


class Staff(SourceRecord):
    resource: ClassVar[str] = "staff"
    username: XStr = None
    first_name: XStr = None
    last_name: XStr = None
    email: XStr = None
    business_phone: XStr = None
    mobile_phone: XStr = None
    rate: XDecimal = None
    last_login: XDateTime = None
    number_of_logins: XStr = None
    signup_date: XDateTime = None


class ProjectTask(_Part):
    task_id: XId = None
    rate: XDecimal = None


class ProjectStaff(_Part):
    staff_id: XId = None


class Project(SourceRecord):
    resource: ClassVar[str] = "projects"
    name: XStr = None
    description: XText = None
    rate: XDecimal = None
    bill_method: XStr = None
    client_id: XId = None
    hour_budget: XDecimal = None
    tasks: list[ProjectTask] | None = None
    staff: list[ProjectStaff] | None = None


class Task(SourceRecord):
    resource: ClassVar[str] = "tasks"
    name: XStr = None
    description: XText = None
    billable: XBool = None
    rate: XDecimal = None


class TimeEntry(SourceRecord):
    resource: ClassVar[str] = "time_entries"
    project_id: XId = None
    task_id: XId = None
    staff_id: XId = None
    hours: XDecimal = None
    date: XDate = None
    notes: XText = None
    billed: XBool = None


class Category(SourceRecord):
    resource: ClassVar[str] = "categories"
    name: XStr = None
    parent_id: XId = None
    tax1: XDecimal = None
    tax2: XDecimal = None


class Expense(SourceRecord):
    resource: ClassVar[str] = "expenses"
    staff_id: XId = None
    category_id: XId = None
    project_id: XId = None
    client_id: XId = None
    amount: XDecimal = None
    vendor: XStr = None
    date: XDate = None
    notes: XText = None
    status: XStr = None
    folder: XStr = None
    tax1_name: XStr = None
    tax1_percent: XDecimal = None
    tax1_amount: XDecimal = None
    tax2_name: XStr = None
    tax2_percent: XDecimal = None
    tax2_amount: XDecimal = None


class Item(SourceRecord):
    resource: ClassVar[str] = "items"
    name: XStr = None
    description: XText = None
    unit_cost: XDecimal = None
    quantity: XDecimal = None
    inventory: XDecimal = None
    folder: XStr = None


class Tax(SourceRecord):
    resource: ClassVar[str] = "taxes"
    name: XStr = None
    rate: XDecimal = None
    number: XStr = None
    compound: XBool = None


class Line(_Part):
    line_id: XId = None
    name: XStr = None
    description: XText = None
    unit_cost: XDecimal = None
    quantity: XDecimal = None
    amount: XDecimal = None
    tax1_name: XStr = None
    tax1_percent: XDecimal = None
    tax2_name: XStr = None
    tax2_percent: XDecimal = None
    type: XStr = None
    compound_tax: XBool = None


class _Billing(SourceRecord):
    client_id: XId = None
    number: XStr = None
    status: XStr = None
    date: XDate = None
    po_number: XStr = None
    discount: XDecimal = None
    notes: XText = None
    terms: XText = None
    currency_code: XStr = None
    language: XStr = None
    amount: XDecimal = None
    folder: XStr = None
    organization: XStr = None
    lines: list[Line] | None = None


class Invoice(_Billing):
    resource: ClassVar[str] = "invoices"
    amount_outstanding: XDecimal = None
    paid: XDecimal = None
    recurring_id: XId = None
    estimate_id: XId = None


class Estimate(_Billing):
    resource: ClassVar[str] = "estimates"


class Payment(SourceRecord):
    resource: ClassVar[str] = "payments"
    client_id: XId = None
    invoice_id: XId = None
    date: XDate = None
    amount: XDecimal = None
    currency_code: XStr = None
    type: XStr = None
    notes: XText = None
    updated: XDateTime = None


class Recurring(SourceRecord):
    resource: ClassVar[str] = "recurrings"
    client_id: XId = None
    frequency: XStr = None
    occurrences: XStr = None
    stopped: XBool = None
    amount: XDecimal = None


MODELS: dict[str, type[SourceRecord]] = {
    "clients": Client,
    "staff": Staff,
    "projects": Project,
    "tasks": Task,
    "time_entries": TimeEntry,
    "categories": Category,
    "expenses": Expense,
    "items": Item,
    "taxes": Tax,
    "invoices": Invoice,
    "estimates": Estimate,
    "payments": Payment,
    "recurrings": Recurring,
}

# Fields the reader keys records on: they are the record's id, not lossy data.
ID_FIELD_NAMES = frozenset(
    {
        "client_id",
        "staff_id",
        "project_id",
        "task_id",
        "time_entry_id",
        "category_id",
        "expense_id",
        "item_id",
        "tax_id",
        "invoice_id",
        "estimate_id",
        "payment_id",
        "recurring_id",
    }
)


def present(value: Any) -> bool:
    """A value worth reporting when it is dropped (not None, not empty)."""
    return value not in (None, "", [], {})
