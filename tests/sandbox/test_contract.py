"""Every kind's answers (GET one, GET list, POST) validate against the OpenAPI response schemas.

`forbid_unknown=True`: the sandbox must not invent fields either, or a migration could come to read a
field real Harvest never sends. Checked against the committed contract facts (tests/contract/).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from migrator.kinds import KINDS
from migrator.sandbox import Sandbox
from tests import openapi
from tests.load.test_exactly_once import SOURCES, run
from tests.sandbox.helpers import Api, base_world, time_entry

D = Decimal


@pytest.fixture(scope="module")
def account() -> Iterator[tuple[Api, dict[str, int]]]:
    """One sandbox holding at least one object of every kind, each field filled where it can be."""
    with Sandbox(rate=None) as sandbox:
        api = Api(sandbox)
        ids = base_world(api)
        project = ids["project"]
        ids["contact"] = api.post(
            "/contacts",
            {
                "client_id": ids["client"],
                "first_name": "Ann",
                "last_name": "Lee",
                "email": "ann@example.com",
                "title": "CFO",
            },
        )["id"]
        ids["user"] = api.post(
            "/users",
            {
                "first_name": "Ben",
                "last_name": "Ode",
                "email": "ben@example.com",
                "roles": ["Design"],
                "access_roles": ["member"],
            },
        )["id"]
        ids["user_assignment"] = api.post(f"/projects/{project}/user_assignments", {"user_id": ids["user"]})["id"]
        ids["task_assignment"] = api.get(f"/projects/{project}/task_assignments")["task_assignments"][0]["id"]
        ids["time_entry"] = api.post(
            "/time_entries",
            time_entry(
                ids,
                external_reference={
                    "id": "x:1",
                    "group_id": "g",
                    "account_id": "a",
                    "permalink": "https://x.example/1",
                },
            ),
        )["id"]
        ids["expense"] = api.post(
            "/expenses",
            {
                "project_id": project,
                "expense_category_id": ids["category"],
                "spent_date": "2021-01-02",
                "total_cost": D("9.99"),
            },
        )["id"]
        ids["invoice_item_category"] = api.get("/invoice_item_categories")["invoice_item_categories"][0]["id"]
        ids["estimate_item_category"] = api.get("/estimate_item_categories")["estimate_item_categories"][0]["id"]
        line = {"kind": "Service", "unit_price": D("100"), "quantity": D("2"), "taxed": True, "description": "Work"}
        ids["invoice"] = api.post(
            "/invoices",
            {"client_id": ids["client"], "number": "1", "tax": D("10"), "line_items": [line | {"project_id": project}]},
        )["id"]
        ids["invoice_message"] = api.post(f"/invoices/{ids['invoice']}/messages", {"event_type": "send"})["id"]
        ids["invoice_payment"] = api.post(
            f"/invoices/{ids['invoice']}/payments",
            {"amount": D("20"), "paid_date": "2021-02-01", "notes": "part", "send_thank_you": False},
        )["id"]
        ids["estimate"] = api.post("/estimates", {"client_id": ids["client"], "line_items": [line]})["id"]
        ids["estimate_message"] = api.post(f"/estimates/{ids['estimate']}/messages", {"event_type": "send"})["id"]
        yield api, ids
        api.close()


# kind -> (list path template, item path template or None when the spec has no GET one)
PATHS: dict[str, tuple[str, str | None]] = {
    "clients": ("/clients", "/clients/{clientId}"),
    "contacts": ("/contacts", "/contacts/{contactId}"),
    "users": ("/users", "/users/{userId}"),
    "tasks": ("/tasks", "/tasks/{taskId}"),
    "expense_categories": ("/expense_categories", "/expense_categories/{expenseCategoryId}"),
    "invoice_item_categories": ("/invoice_item_categories", "/invoice_item_categories/{invoiceItemCategoryId}"),
    "estimate_item_categories": ("/estimate_item_categories", "/estimate_item_categories/{estimateItemCategoryId}"),
    "projects": ("/projects", "/projects/{projectId}"),
    "user_assignments": (
        "/projects/{projectId}/user_assignments",
        "/projects/{projectId}/user_assignments/{userAssignmentId}",
    ),
    "task_assignments": (
        "/projects/{projectId}/task_assignments",
        "/projects/{projectId}/task_assignments/{taskAssignmentId}",
    ),
    "time_entries": ("/time_entries", "/time_entries/{timeEntryId}"),
    "expenses": ("/expenses", "/expenses/{expenseId}"),
    "estimates": ("/estimates", "/estimates/{estimateId}"),
    "estimate_messages": ("/estimates/{estimateId}/messages", None),
    "invoices": ("/invoices", "/invoices/{invoiceId}"),
    "invoice_payments": ("/invoices/{invoiceId}/payments", None),
    "invoice_messages": ("/invoices/{invoiceId}/messages", None),
}
assert list(PATHS) == list(KINDS)

_PLACEHOLDERS = {
    "clientId": "client",
    "contactId": "contact",
    "userId": "user",
    "taskId": "task",
    "expenseCategoryId": "category",
    "invoiceItemCategoryId": "invoice_item_category",
    "estimateItemCategoryId": "estimate_item_category",
    "projectId": "project",
    "userAssignmentId": "user_assignment",
    "taskAssignmentId": "task_assignment",
    "timeEntryId": "time_entry",
    "expenseId": "expense",
    "estimateId": "estimate",
    "invoiceId": "invoice",
}
_ITEM_ID = {
    "estimate_messages": "estimate_message",
    "invoice_payments": "invoice_payment",
    "invoice_messages": "invoice_message",
}


def _concrete(template: str, ids: dict[str, int]) -> str:
    return template.format(**{name: ids[key] for name, key in _PLACEHOLDERS.items()})


def _check(instance: Any, schema: dict[str, Any]) -> None:
    errors = openapi.validate(instance, schema, forbid_unknown=True)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("kind", KINDS)
def test_list_matches_the_spec(account: tuple[Api, dict[str, int]], kind: str) -> None:
    api, ids = account
    template = PATHS[kind][0]
    page = api.get(_concrete(template, ids), per_page=1)
    assert page[kind], f"the account has no {kind}"
    _check(page, openapi.response_schema("GET", template, 200))


@pytest.mark.parametrize("kind", KINDS)
def test_get_one_matches_the_spec(account: tuple[Api, dict[str, int]], kind: str) -> None:
    api, ids = account
    list_template, item_template = PATHS[kind]
    if item_template is None:
        # The spec documents no GET for one payment or message: check ours against the POST answer's schema.
        path = f"{_concrete(list_template, ids)}/{ids[_ITEM_ID[kind]]}"
        _check(api.get(path), openapi.response_schema("POST", list_template, 201))
    else:
        _check(api.get(_concrete(item_template, ids)), openapi.response_schema("GET", item_template, 200))
        _check(api.get(_concrete(item_template, ids)), openapi.response_schema("PATCH", item_template, 200))


@pytest.mark.parametrize(
    ("path", "template"),
    [
        pytest.param("/users/me", "/users/me", id="users-me"),
        pytest.param("/company", "/company", id="company"),
        pytest.param("/user_assignments", "/user_assignments", id="account-wide-user-assignments"),
        pytest.param("/task_assignments", "/task_assignments", id="account-wide-task-assignments"),
    ],
)
def test_account_level_reads_match_the_spec(account: tuple[Api, dict[str, int]], path: str, template: str) -> None:
    api, _ids = account
    _check(api.get(path), openapi.response_schema("GET", template, 200))


def test_create_answers_match_the_spec(account: tuple[Api, dict[str, int]]) -> None:
    api, ids = account
    made = api.post("/clients", {"name": "Contract check"})
    _check(made, openapi.response_schema("POST", "/clients", 201))
    entry = api.post("/time_entries", time_entry(ids, spent_date="2021-05-05"))
    _check(entry, openapi.response_schema("POST", "/time_entries", 201))


def test_a_migrated_account_matches_the_spec(tmp_path: Path) -> None:
    """Realistic data: both fixture accounts loaded by the real loader, every list read back."""
    with Sandbox(rate=None) as sandbox:
        assert run(sandbox, tmp_path / "ledger.sqlite", options=SOURCES).exit_code == 0
        api = Api(sandbox)
        invoice = next(i for i in api.get("/invoices")["invoices"] if i["state"] == "paid")
        ids = {
            "project": api.get("/projects")["projects"][0]["id"],
            "invoice": invoice["id"],
            "estimate": api.get("/estimates")["estimates"][0]["id"],
        }
        for kind, (template, _item) in PATHS.items():
            path = template.format(projectId=ids["project"], invoiceId=ids["invoice"], estimateId=ids["estimate"])
            page = api.get(path)
            assert page[kind], f"the migrated account has no {kind} at {path}"
            _check(page, openapi.response_schema("GET", template, 200))
        api.close()
