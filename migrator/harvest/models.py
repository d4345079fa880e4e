"""Harvest v2 create and update payloads, one pydantic model per body (see harvest-v2-openapi.yaml).

Money, hours and percentages are `Decimal`; `migrator.jsonio.dumps` writes them as exact JSON
numbers. Ids of other objects are either a v2 integer id or, in a plan, a reference
`@kind:source_id` to an object the ledger will resolve (docs/INTERFACE.md, "plan --format json").
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

REF_PATTERN = r"^@[a-z_]+:[^\s]+$"
# What v2 takes as a person's or a contact's e-mail address (the spec's `format: email`).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"


def is_email_address(value: str) -> bool:
    """True when v2 takes `value` as an e-mail address (`EMAIL_PATTERN`)."""
    return re.match(EMAIL_PATTERN, value) is not None

Ref = Annotated[str, StringConstraints(pattern=REF_PATTERN)]
IdOrRef = int | Ref

BillBy = Literal["Project", "Tasks", "People", "none"]
BudgetBy = Literal["project", "project_cost", "task", "task_fees", "person", "none"]
PaymentTerm = Literal["upon receipt", "net 15", "net 30", "net 45", "net 60", "custom"]
InvoiceEvent = Literal["send", "close", "re-open", "draft"]
EstimateEvent = Literal["send", "accept", "decline", "re-open"]
AccessRole = Literal[
    "administrator",
    "manager",
    "member",
    "project_creator",
    "billable_rates_manager",
    "managed_projects_invoice_drafter",
    "managed_projects_invoice_manager",
    "client_and_task_manager",
    "time_and_expenses_manager",
    "estimates_manager",
]
Time12h = Annotated[str, StringConstraints(pattern=r"^(1[0-2]|0?[1-9]):[0-5]\d(am|pm)$|^([01]?\d|2[0-3]):[0-5]\d$")]


class Payload(BaseModel):
    """Base of every body: unknown fields are an error, `None` fields are left out of the JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def body(self) -> dict[str, Any]:
        """The JSON-ready dict (Decimal and date values kept; `jsonio.dumps` encodes them).

        Exactly `model_dump(mode="python", exclude_none=True)` (tests/harvest/test_models_contract.py
        holds them equal), built directly: payloads hold only scalars, lists and nested payloads, and
        this runs once for every planned object, a million times on a big export.
        """
        return {name: _plain(value) for name, value in self.__dict__.items() if value is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Payload):
        return value.body()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# --- clients and contacts --------------------------------------------------------------------------


class ClientCreate(Payload):
    name: str = Field(min_length=1)
    is_active: bool | None = None
    address: str | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


class ClientUpdate(ClientCreate):
    name: str | None = Field(default=None, min_length=1)  # type: ignore[assignment]


class ContactCreate(Payload):
    client_id: IdOrRef
    first_name: str = Field(min_length=1)
    title: str | None = None
    last_name: str | None = None
    email: str | None = Field(default=None, pattern=EMAIL_PATTERN)
    phone_office: str | None = None
    phone_mobile: str | None = None
    fax: str | None = None


class ContactUpdate(ContactCreate):
    client_id: IdOrRef | None = None  # type: ignore[assignment]
    first_name: str | None = Field(default=None, min_length=1)  # type: ignore[assignment]


# --- users, tasks, categories ----------------------------------------------------------------------


class UserCreate(Payload):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    email: str = Field(pattern=EMAIL_PATTERN)
    timezone: str | None = None
    has_access_to_all_future_projects: bool | None = None
    is_contractor: bool | None = None
    is_active: bool | None = None
    weekly_capacity: int | None = None
    default_hourly_rate: Decimal | None = None
    cost_rate: Decimal | None = None
    roles: list[str] | None = None
    access_roles: list[AccessRole] | None = None


class UserUpdate(Payload):
    """PATCH /users/{id}: no rates (those go through billable_rates / cost_rates)."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    timezone: str | None = None
    has_access_to_all_future_projects: bool | None = None
    is_contractor: bool | None = None
    is_active: bool | None = None
    weekly_capacity: int | None = None
    roles: list[str] | None = None
    access_roles: list[AccessRole] | None = None


class TaskCreate(Payload):
    name: str = Field(min_length=1)
    billable_by_default: bool | None = None
    default_hourly_rate: Decimal | None = None
    is_default: bool | None = None
    is_active: bool | None = None


class TaskUpdate(TaskCreate):
    name: str | None = Field(default=None, min_length=1)  # type: ignore[assignment]


class ExpenseCategoryCreate(Payload):
    name: str = Field(min_length=1)
    unit_name: str | None = None
    unit_price: Decimal | None = None
    is_active: bool | None = None


class ExpenseCategoryUpdate(ExpenseCategoryCreate):
    name: str | None = Field(default=None, min_length=1)  # type: ignore[assignment]


class ItemCategoryCreate(Payload):
    """Invoice and estimate item categories share one shape."""

    name: str = Field(min_length=1)


class ItemCategoryUpdate(Payload):
    name: str | None = Field(default=None, min_length=1)


# --- projects and assignments ----------------------------------------------------------------------


class ProjectCreate(Payload):
    client_id: IdOrRef
    name: str = Field(min_length=1)
    is_billable: bool
    bill_by: BillBy
    budget_by: BudgetBy
    code: str | None = None
    is_active: bool | None = None
    is_fixed_fee: bool | None = None
    hourly_rate: Decimal | None = None
    budget_is_monthly: bool | None = None
    budget: Decimal | None = None
    cost_budget: Decimal | None = None
    cost_budget_include_expenses: bool | None = None
    notify_when_over_budget: bool | None = None
    over_budget_notification_percentage: Decimal | None = None
    show_budget_to_all: bool | None = None
    fee: Decimal | None = None
    notes: str | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class ProjectUpdate(ProjectCreate):
    client_id: IdOrRef | None = None  # type: ignore[assignment]
    name: str | None = Field(default=None, min_length=1)  # type: ignore[assignment]
    is_billable: bool | None = None  # type: ignore[assignment]
    bill_by: BillBy | None = None  # type: ignore[assignment]
    budget_by: BudgetBy | None = None  # type: ignore[assignment]


class UserAssignmentCreate(Payload):
    """POST /projects/{project_id}/user_assignments; `project_id` goes into the path."""

    project_id: IdOrRef
    user_id: IdOrRef
    is_active: bool | None = None
    is_project_manager: bool | None = None
    use_default_rates: bool | None = None
    hourly_rate: Decimal | None = None
    budget: Decimal | None = None


class UserAssignmentUpdate(Payload):
    is_active: bool | None = None
    is_project_manager: bool | None = None
    use_default_rates: bool | None = None
    hourly_rate: Decimal | None = None
    budget: Decimal | None = None


class TaskAssignmentCreate(Payload):
    """POST /projects/{project_id}/task_assignments; `project_id` goes into the path."""

    project_id: IdOrRef
    task_id: IdOrRef
    is_active: bool | None = None
    billable: bool | None = None
    hourly_rate: Decimal | None = None
    budget: Decimal | None = None


class TaskAssignmentUpdate(Payload):
    is_active: bool | None = None
    billable: bool | None = None
    hourly_rate: Decimal | None = None
    budget: Decimal | None = None


# --- time and expenses -----------------------------------------------------------------------------


class ExternalReference(Payload):
    id: str
    group_id: str | None = None
    account_id: str | None = None
    permalink: str | None = None


class TimeEntryCreate(Payload):
    """Both create variants: `hours` (duration accounts) or `started_time` + `ended_time`.

    Exactly one variant is required: a body with neither would start a running timer in Harvest.
    """

    project_id: IdOrRef
    task_id: IdOrRef
    spent_date: dt.date
    user_id: IdOrRef | None = None
    hours: Decimal | None = Field(default=None, ge=0)
    started_time: Time12h | None = None
    ended_time: Time12h | None = None
    notes: str | None = None
    external_reference: ExternalReference | None = None

    def model_post_init(self, __context: Any) -> None:
        by_duration = self.hours is not None
        by_clock = self.started_time is not None and self.ended_time is not None
        if by_duration == by_clock:
            raise ValueError(
                "a time entry needs either hours or both started_time and ended_time "
                "(without them Harvest starts a running timer)"
            )


class TimeEntryUpdate(Payload):
    project_id: IdOrRef | None = None
    task_id: IdOrRef | None = None
    spent_date: dt.date | None = None
    hours: Decimal | None = Field(default=None, ge=0)
    started_time: Time12h | None = None
    ended_time: Time12h | None = None
    notes: str | None = None
    external_reference: ExternalReference | None = None


class ExpenseCreate(Payload):
    project_id: IdOrRef
    expense_category_id: IdOrRef
    spent_date: dt.date
    user_id: IdOrRef | None = None
    units: int | None = None
    total_cost: Decimal | None = None
    notes: str | None = None
    billable: bool | None = None


class ExpenseUpdate(Payload):
    project_id: IdOrRef | None = None
    expense_category_id: IdOrRef | None = None
    spent_date: dt.date | None = None
    units: int | None = None
    total_cost: Decimal | None = None
    notes: str | None = None
    billable: bool | None = None


# --- invoices and estimates ------------------------------------------------------------------------


class InvoiceLineItem(Payload):
    kind: str = Field(min_length=1)
    unit_price: Decimal
    project_id: IdOrRef | None = None
    description: str | None = None
    quantity: Decimal | None = None
    taxed: bool | None = None
    taxed2: bool | None = None


class InvoiceCreate(Payload):
    """A free-form invoice. Harvest creates it as a draft; state moves only through messages."""

    client_id: IdOrRef
    number: str | None = None
    purchase_order: str | None = None
    tax: Decimal | None = None
    tax2: Decimal | None = None
    discount: Decimal | None = None
    subject: str | None = None
    notes: str | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    issue_date: dt.date | None = None
    due_date: dt.date | None = None
    payment_term: PaymentTerm | None = None
    line_items: list[InvoiceLineItem] = Field(default_factory=list)


class InvoiceUpdate(InvoiceCreate):
    client_id: IdOrRef | None = None  # type: ignore[assignment]
    line_items: list[InvoiceLineItem] | None = None  # type: ignore[assignment]


class EstimateLineItem(Payload):
    kind: str = Field(min_length=1)
    unit_price: Decimal
    description: str | None = None
    quantity: int | None = None  # the v2 spec types estimate quantities as integers
    taxed: bool | None = None
    taxed2: bool | None = None


class EstimateCreate(Payload):
    client_id: IdOrRef
    number: str | None = None
    purchase_order: str | None = None
    tax: Decimal | None = None
    tax2: Decimal | None = None
    discount: Decimal | None = None
    subject: str | None = None
    notes: str | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    issue_date: dt.date | None = None
    line_items: list[EstimateLineItem] = Field(default_factory=list)


class EstimateUpdate(EstimateCreate):
    client_id: IdOrRef | None = None  # type: ignore[assignment]
    line_items: list[EstimateLineItem] | None = None  # type: ignore[assignment]


class InvoicePaymentCreate(Payload):
    """POST /invoices/{invoice_id}/payments. `send_thank_you` is always false: no email, ever."""

    invoice_id: IdOrRef
    amount: Decimal = Field(gt=0)
    paid_date: dt.date | None = None
    paid_at: AwareDatetime | None = None  # the spec's date-time is RFC 3339: the offset is mandatory
    notes: str | None = None
    send_thank_you: Literal[False] = False

    def model_post_init(self, __context: Any) -> None:
        if self.paid_date is not None and self.paid_at is not None:
            raise ValueError("a payment takes paid_date or paid_at, not both (Harvest v2 docs)")

    def body(self) -> dict[str, Any]:
        # exclude_none drops nothing we need; send_thank_you must always be present.
        data = super().body()
        data["send_thank_you"] = False
        return data


class InvoiceMessageEvent(Payload):
    """POST /invoices/{invoice_id}/messages with an `event_type`: a state change that emails nobody."""

    invoice_id: IdOrRef
    event_type: InvoiceEvent


class EstimateMessageEvent(Payload):
    """POST /estimates/{estimate_id}/messages with an `event_type`: a state change that emails nobody."""

    estimate_id: IdOrRef
    event_type: EstimateEvent
