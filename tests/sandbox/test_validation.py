"""What the sandbox refuses, as Harvest does: a 422 with a Rails-style message, and nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.sandbox.helpers import Api, expense_body, time_entry

World = dict[str, int]
Body = Callable[[World], Any]


def _project(w: World, **fields: Any) -> dict[str, Any]:
    return {
        "client_id": w["client"],
        "name": "P2",
        "is_billable": True,
        "bill_by": "Project",
        "budget_by": "none",
    } | fields


def _line(**fields: Any) -> dict[str, Any]:
    return {"kind": "Service", "unit_price": Decimal("100"), "quantity": Decimal("1")} | fields


CREATE_CASES = [
    pytest.param("/clients", lambda w: [], "must be a JSON object", id="body-not-an-object"),
    pytest.param("/clients", lambda w: {}, "Name can't be blank", id="client-name-required"),
    pytest.param("/clients", lambda w: {"name": "   "}, "Name can't be blank", id="client-name-blank"),
    pytest.param("/clients", lambda w: {"name": 5}, "Name must be a string", id="client-name-type"),
    pytest.param("/clients", lambda w: {"name": "acme "}, "Name has already been taken", id="client-name-taken"),
    pytest.param("/clients", lambda w: {"name": "X", "currency": "euro"}, "Currency is not included", id="currency"),
    pytest.param(
        "/clients", lambda w: {"name": "X", "is_active": "yes"}, "Is active must be true or false", id="bool-type"
    ),
    pytest.param("/contacts", lambda w: {"first_name": "A"}, "Client can't be blank", id="contact-client-required"),
    pytest.param(
        "/contacts",
        lambda w: {"client_id": 999999, "first_name": "A"},
        "Client must exist",
        id="contact-client-unknown",
    ),
    pytest.param(
        "/contacts",
        lambda w: {"client_id": "@clients:1", "first_name": "A"},
        "Client must be an integer",
        id="reference-not-resolved",
    ),
    pytest.param(
        "/contacts",
        lambda w: {"client_id": w["project"], "first_name": "A"},
        "Client must exist",
        id="id-of-another-kind",
    ),
    pytest.param("/users", lambda w: {"first_name": "A", "last_name": "B"}, "Email can't be blank", id="user-email"),
    pytest.param(
        "/users",
        lambda w: {"first_name": "A", "last_name": "B", "email": "SAM@example.com"},
        "Email has already been taken",
        id="user-email-taken",
    ),
    pytest.param(
        "/users",
        lambda w: {"first_name": "A", "last_name": "B", "email": "not-an-email"},
        "Email is invalid",
        id="user-email-invalid",
    ),
    pytest.param(
        "/users",
        lambda w: {"first_name": "A", "last_name": "B", "email": "a@b.example", "access_roles": ["boss"]},
        "Access roles is not included",
        id="access-role",
    ),
    pytest.param(
        "/users",
        lambda w: {"first_name": "A", "last_name": "B", "email": "a@b.example", "weekly_capacity": "35h"},
        "Weekly capacity must be an integer",
        id="int-type",
    ),
    pytest.param("/tasks", lambda w: {"name": "T", "default_hourly_rate": "10"}, "must be a number", id="number-type"),
    pytest.param("/tasks", lambda w: {"name": "development"}, "Name has already been taken", id="task-name-taken"),
    pytest.param("/projects", lambda w: _project(w, bill_by=None), "Bill by can't be blank", id="project-bill-by"),
    pytest.param("/projects", lambda w: _project(w, bill_by="Hourly"), "Bill by is not included", id="enum"),
    pytest.param("/projects", lambda w: _project(w, starts_on="2021-02-30"), "Starts on must be a date", id="date"),
    pytest.param("/projects", lambda w: _project(w, client_id=999999), "Client must exist", id="project-client"),
    pytest.param(
        "/projects/{project}/user_assignments",
        lambda w: {"user_id": 999999},
        "User must exist",
        id="assign-unknown-user",
    ),
    pytest.param(
        "/projects/{project}/user_assignments",
        lambda w: {"user_id": 1},
        "already been assigned",
        id="assign-user-twice",
    ),
    pytest.param(
        "/projects/{project}/task_assignments",
        lambda w: {"task_id": w["task"]},
        "already been assigned",
        id="assign-task-twice",
    ),
    pytest.param(
        "/projects/{project}/task_assignments",
        lambda w: {"task_id": 999999},
        "Task must exist",
        id="assign-unknown-task",
    ),
    pytest.param(
        "/time_entries", lambda w: time_entry(w, spent_date=None), "Spent date can't be blank", id="time-spent-date"
    ),
    pytest.param(
        "/time_entries", lambda w: time_entry(w, project_id=999999), "Project must exist", id="time-unknown-project"
    ),
    pytest.param("/time_entries", lambda w: time_entry(w, task_id=999999), "Task must exist", id="time-unknown-task"),
    pytest.param("/time_entries", lambda w: time_entry(w, user_id=999999), "User must exist", id="time-unknown-user"),
    pytest.param("/time_entries", lambda w: time_entry(w, hours=None), "running timer", id="time-would-start-timer"),
    pytest.param(
        "/time_entries",
        lambda w: time_entry(w, hours=None, started_time="8:00am", ended_time="9:00am"),
        "running timer",
        id="time-clock-on-duration-account",
    ),
    pytest.param(
        "/time_entries",
        lambda w: time_entry(w, user_id=w["stranger"]),
        "User is not assigned",
        id="time-user-not-assigned",
    ),
    pytest.param(
        "/time_entries",
        lambda w: time_entry(w, task_id=w["loose_task"]),
        "Task is not assigned",
        id="time-task-not-assigned",
    ),
    pytest.param("/time_entries", lambda w: time_entry(w, hours=Decimal("-1")), "between 0 and 24", id="hours<0"),
    pytest.param("/time_entries", lambda w: time_entry(w, hours=Decimal("24.5")), "between 0 and 24", id="hours>24"),
    pytest.param("/time_entries", lambda w: time_entry(w, hours="1.5"), "Hours must be a number", id="hours-string"),
    pytest.param(
        "/time_entries",
        lambda w: time_entry(w, external_reference="x"),
        "External reference must be",
        id="external-reference-type",
    ),
    pytest.param(
        "/expenses",
        lambda w: expense_body(w, expense_category_id=999999),
        "Expense category must exist",
        id="expense-unknown-category",
    ),
    pytest.param(
        "/expenses", lambda w: expense_body(w, total_cost=None), "Total cost can't be blank", id="expense-cost"
    ),
    pytest.param(
        "/expenses",
        lambda w: expense_body(w, user_id=w["stranger"]),
        "User is not assigned",
        id="expense-user-not-assigned",
    ),
    pytest.param("/expenses", lambda w: expense_body(w, units=Decimal("1.5")), "Units must be an integer", id="units"),
    pytest.param("/invoices", lambda w: {"number": "9"}, "Client can't be blank", id="invoice-client"),
    pytest.param(
        "/invoices",
        lambda w: {"client_id": w["client"], "number": "1001"},
        "Number has already been taken",
        id="invoice-number-taken",
    ),
    pytest.param(
        "/invoices",
        lambda w: {"client_id": w["client"], "line_items": [_line(kind="Nope")]},
        "is not an existing invoice item category",
        id="invoice-line-kind",
    ),
    pytest.param(
        "/invoices",
        lambda w: {"client_id": w["client"], "line_items": [_line(unit_price=None)]},
        "Line items unit price can't be blank",
        id="invoice-line-price",
    ),
    pytest.param(
        "/invoices",
        lambda w: {"client_id": w["client"], "line_items": [_line(unit_price="ten")]},
        "Line items unit price must be a number",
        id="invoice-line-price-type",
    ),
    pytest.param(
        "/invoices",
        lambda w: {"client_id": w["client"], "line_items": [_line(project_id=999999)]},
        "Project must exist",
        id="invoice-line-project",
    ),
    pytest.param(
        "/invoices",
        lambda w: {"client_id": w["client"], "payment_term": "net 7"},
        "Payment term is not included",
        id="payment-term",
    ),
    pytest.param(
        "/invoices",
        lambda w: {"client_id": w["client"], "line_items_import": {"project_ids": [1]}},
        "not supported",
        id="line-items-import",
    ),
    pytest.param(
        "/estimates",
        lambda w: {"client_id": w["client"], "line_items": [_line(kind="Hosting")]},
        "is not an existing estimate item category",
        id="estimate-line-kind",
    ),
    pytest.param(
        "/estimates",
        lambda w: {"client_id": w["client"], "number": "E-1"},
        "Number has already been taken",
        id="estimate-number-taken",
    ),
    pytest.param(
        "/invoices/{invoice}/payments",
        lambda w: {"amount": Decimal("1"), "send_thank_you": False},
        "draft invoice",
        id="payment-on-draft",
    ),
    pytest.param(
        "/invoices/{invoice}/payments",
        lambda w: {"send_thank_you": False},
        "Amount can't be blank",
        id="payment-amount",
    ),
    pytest.param(
        "/invoices/{invoice}/messages",
        lambda w: {"subject": "Hi"},
        "Recipients can't be blank",
        id="email-without-recipients",
    ),
    pytest.param(
        "/invoices/{invoice}/messages",
        lambda w: {"event_type": "pay"},
        "Event type is not included",
        id="invoice-event-unknown",
    ),
    pytest.param(
        "/invoices/{invoice}/messages",
        lambda w: {"event_type": "close"},
        "Event type can't be close unless invoice is open",
        id="invoice-close-a-draft",
    ),
    pytest.param(
        "/invoices/{invoice}/messages",
        lambda w: {"recipients": [{"name": "No email"}]},
        "Recipients email is invalid",
        id="recipient-email",
    ),
    pytest.param(
        "/estimates/{estimate}/messages",
        lambda w: {"event_type": "accept"},
        "Event type can't be accept unless estimate is sent",
        id="estimate-accept-a-draft",
    ),
]


@pytest.mark.parametrize(("path", "body", "message"), CREATE_CASES)
def test_create_is_refused_with_harvest_message(api: Api, world: World, path: str, body: Body, message: str) -> None:
    before = api.sandbox.stats()
    assert message in api.refused("POST", path.format(**world), body(world))
    after = api.sandbox.stats()
    assert after["objects"] == before["objects"] and after["emails_sent"] == before["emails_sent"] == 0


UPDATE_CASES = [
    pytest.param("/clients/{client}", {"name": ""}, "Name can't be blank", id="required-cleared"),
    pytest.param("/clients/{client}", {"name": None}, "Name can't be blank", id="required-nulled"),
    pytest.param("/projects/{project}", {"client_id": 999999}, "Client must exist", id="project-client"),
    pytest.param(
        "/users/{stranger}", {"email": "owner@sandbox.example"}, "Email has already been taken", id="user-email-taken"
    ),
    pytest.param(
        "/invoices/{invoice}",
        {"line_items": [{"id": 1, "unit_price": Decimal(1)}]},
        "is not a line item of this invoice",
        id="line-of-another-invoice",
    ),
    pytest.param("/tasks/{loose_task}", {"name": "Development"}, "Name has already been taken", id="task-name"),
]


@pytest.mark.parametrize(("path", "body", "message"), UPDATE_CASES)
def test_update_is_refused_with_harvest_message(api: Api, world: World, path: str, body: Any, message: str) -> None:
    before = api.get(path.format(**world))
    assert message in api.refused("PATCH", path.format(**world), body)
    assert api.get(path.format(**world)) == before
