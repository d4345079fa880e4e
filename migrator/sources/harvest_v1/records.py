"""Typed Harvest v1 records: one pydantic model per resource, coerced field by field.

Field names are the wire names with `-` turned into `_` (REST and `/daily` spellings meet here).
Every field listed in `shared/research/harvest-v1.md` §3 is declared, so a value only lands in
`extras` when Harvest sent something the research never saw; mappings report those as lossy.
Types come from what a field *means* (`XDecimal` for money and hours, `XClock` for `8:00am`),
because the wire's `type=` attribute lies (`NilClass` with a value, `float` hours, untyped ids).
"""

from __future__ import annotations

from typing import ClassVar

from migrator.sources.coerce import XBool, XClock, XDate, XDateTime, XDecimal, XId, XInt, XStr, XText
from migrator.sources.record import SourceRecord


class _V1Record(SourceRecord):
    """Bookkeeping present on (almost) every v1 record."""

    created_at: XDateTime = None
    updated_at: XDateTime = None
    cache_version: XInt = None


class Account(SourceRecord):
    """`GET /account/who_am_i` (`<hash>`): the settings that change how other records read."""

    resource: ClassVar[str] = "account"
    clock: XStr = None  # 12h | 24h: how started_at / ended_at are written
    timestamp_timers: XBool = None  # the source account tracked time by start and end
    time_format: XStr = None
    decimal_symbol: XStr = None
    thousands_separator: XStr = None
    week_start_day: XStr = None
    company_name: XStr = None
    base_uri: XStr = None
    user_id: XId = None
    user_email: XStr = None
    user_timezone: XStr = None
    user_admin: XBool = None
    user_first_name: XStr = None
    user_last_name: XStr = None
    company_active: XBool = None


class Client(_V1Record):
    resource: ClassVar[str] = "clients"
    name: XStr = None
    active: XBool = None
    currency: XStr = None
    currency_symbol: XStr = None
    details: XText = None
    highrise_id: XId = None
    default_invoice_timeframe: XStr = None
    last_invoice_kind: XStr = None
    statement_key: XStr = None


class Contact(_V1Record):
    resource: ClassVar[str] = "contacts"
    client_id: XId = None
    title: XStr = None
    first_name: XStr = None
    last_name: XStr = None
    email: XStr = None
    phone_office: XStr = None
    phone_mobile: XStr = None
    fax: XStr = None


class User(_V1Record):
    resource: ClassVar[str] = "users"
    email: XStr = None
    first_name: XStr = None
    last_name: XStr = None
    telephone: XStr = None
    department: XStr = None
    timezone: XStr = None
    is_active: XBool = None
    is_admin: XBool = None
    is_project_manager: XBool = None
    is_contractor: XBool = None
    has_access_to_all_future_projects: XBool = None
    default_hourly_rate: XDecimal = None
    cost_rate: XDecimal = None
    weekly_capacity: XInt = None
    # Defaults and identities that v2 has no place for.
    default_expense_category_id: XId = None
    default_expense_project_id: XId = None
    default_task_id: XId = None
    default_time_project_id: XId = None
    identity_url: XStr = None
    identity_account_id: XId = None
    identity_user_id: XId = None
    opensocial_identifier: XStr = None
    twitter_username: XStr = None
    avatar_url: XStr = None
    # UI preferences (research §4: they need no migration).
    duplicate_timesheet_wants_notes: XBool = None
    email_after_submit: XBool = None
    first_timer: XBool = None
    password_change_required: XBool = None
    preferred_approval_screen: XStr = None
    preferred_entry_method: XStr = None
    preferred_project_status_reports_screen: XStr = None
    wants_newsletter: XBool = None
    wants_timesheet_duplication: XBool = None
    wants_weekly_digest: XBool = None
    weekly_digest_sent_on: XDate = None
    timesheet_duplicated_at: XDateTime = None


class Task(_V1Record):
    resource: ClassVar[str] = "tasks"
    name: XStr = None
    billable_by_default: XBool = None
    deactivated: XBool = None
    default_hourly_rate: XDecimal = None
    is_default: XBool = None


class Project(_V1Record):
    resource: ClassVar[str] = "projects"
    client_id: XId = None
    name: XStr = None
    code: XStr = None
    active: XBool = None
    billable: XBool = None
    bill_by: XStr = None
    hourly_rate: XDecimal = None
    budget_by: XStr = None
    budget: XDecimal = None
    cost_budget: XDecimal = None
    cost_budget_include_expenses: XBool = None
    notify_when_over_budget: XBool = None
    over_budget_notification_percentage: XDecimal = None
    over_budget_notified_at: XDate = None
    show_budget_to_all: XBool = None
    starts_on: XDate = None
    ends_on: XDate = None
    notes: XText = None
    is_fixed_fee: XBool = None
    fee: XDecimal = None
    estimate: XDecimal = None
    estimate_by: XStr = None
    hint_earliest_record_at: XDate = None
    hint_latest_record_at: XDate = None
    # Pre-2013 fields.
    fees: XStr = None
    basecamp_id: XId = None
    highrise_deal_id: XId = None
    active_task_assignments_count: XInt = None
    active_user_assignments_count: XInt = None


class TaskAssignment(_V1Record):
    resource: ClassVar[str] = "task_assignments"
    project_id: XId = None
    task_id: XId = None
    billable: XBool = None
    deactivated: XBool = None
    budget: XDecimal = None
    hourly_rate: XDecimal = None
    estimate: XDecimal = None


class UserAssignment(_V1Record):
    resource: ClassVar[str] = "user_assignments"
    project_id: XId = None
    user_id: XId = None
    deactivated: XBool = None
    hourly_rate: XDecimal = None
    is_project_manager: XBool = None
    budget: XDecimal = None
    estimate: XDecimal = None


class DayEntry(_V1Record):
    """A report `<day-entry>` or a `/daily` `<day_entry>` (names normalised, so one model)."""

    resource: ClassVar[str] = "day_entries"
    spent_at: XDate = None
    user_id: XId = None
    project_id: XId = None  # untyped text in /daily: coerced all the same
    task_id: XId = None
    hours: XDecimal = None  # `type="float"` in /daily: read as Decimal, never float
    notes: XText = None
    started_at: XClock = None
    ended_at: XClock = None
    timer_started_at: XDateTime = None
    is_billed: XBool = None
    is_closed: XBool = None
    adjustment_record: XBool = None
    billable: XBool = None
    billable_rate: XDecimal = None
    cost_rate: XDecimal = None
    hours_with_timer: XDecimal = None  # `type="NilClass"` with a value: the value wins
    hours_without_timer: XDecimal = None
    # /daily denormalises the names; the ids are what count.
    client: XStr = None
    project: XStr = None
    task: XStr = None


class ExpenseCategory(_V1Record):
    resource: ClassVar[str] = "expense_categories"
    name: XStr = None
    unit_name: XStr = None
    unit_price: XDecimal = None
    deactivated: XBool = None


class Expense(_V1Record):
    resource: ClassVar[str] = "expenses"
    user_id: XId = None
    project_id: XId = None
    expense_category_id: XId = None
    spent_at: XDate = None
    total_cost: XDecimal = None
    units: XDecimal = None
    notes: XText = None
    billable: XBool = None
    is_closed: XBool = None
    is_billed: XBool = None
    is_locked: XBool = None
    locked_reason: XStr = None
    invoice_id: XId = None  # 0 when not invoiced (v1 JSON)
    has_receipt: XBool = None
    receipt_url: XStr = None
    company_id: XId = None


class InvoiceItemCategory(_V1Record):
    resource: ClassVar[str] = "invoice_item_categories"
    name: XStr = None
    use_as_expense: XBool = None
    use_as_service: XBool = None


class Invoice(_V1Record):
    resource: ClassVar[str] = "invoices"
    client_id: XId = None
    number: XStr = None
    state: XStr = None
    amount: XDecimal = None
    due_amount: XDecimal = None
    currency: XStr = None
    issued_at: XDate = None
    due_at: XDate = None
    due_at_human_format: XStr = None
    subject: XText = None
    notes: XText = None
    purchase_order: XStr = None
    tax: XDecimal = None  # percent
    tax2: XDecimal = None  # percent
    tax_amount: XDecimal = None
    tax2_amount: XDecimal = None  # the docs' `tax-amount2` is renamed to this by the reader
    discount: XDecimal = None  # percent
    discount_amount: XDecimal = None
    period_start: XDate = None
    period_end: XDate = None
    client_key: XStr = None
    client_name: XStr = None
    created_by_id: XId = None
    estimate_id: XId = None
    recurring_invoice_id: XId = None
    retainer_id: XId = None
    kind: XStr = None  # write-only in v1, but accepted if an export carries it
    csv_line_items: XText = None  # parsed by `csv_lines` in the mapping, where a bad row is reported


class Payment(_V1Record):
    resource: ClassVar[str] = "payments"
    invoice_id: XId = None
    amount: XDecimal = None
    paid_at: XDateTime = None
    notes: XText = None
    recorded_by: XStr = None
    recorded_by_email: XStr = None
    authorization: XStr = None
    pay_pal_transaction_id: XStr = None
    payment_gateway_id: XId = None


class InvoiceMessage(_V1Record):
    resource: ClassVar[str] = "invoice_messages"
    invoice_id: XId = None
    body: XText = None
    subject: XText = None
    sent_by: XStr = None
    sent_by_email: XStr = None
    sent_from: XStr = None
    sent_from_email: XStr = None
    full_recipient_list: XText = None
    send_me_a_copy: XBool = None
    thank_you: XBool = None
    include_pay_pal_link: XBool = None
    send_reminder_on: XDate = None


MODELS: dict[str, type[SourceRecord]] = {
    model.resource: model
    for model in (
        Account,
        Client,
        Contact,
        User,
        Task,
        Project,
        TaskAssignment,
        UserAssignment,
        DayEntry,
        ExpenseCategory,
        Expense,
        InvoiceItemCategory,
        Invoice,
        Payment,
        InvoiceMessage,
    )
}
