"""Every sandbox response validates against the spec's response schemas (a shape Harvest would send)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.harvest.sandbox import Sandbox
from tests.conftest import client_for
from tests.load.test_exactly_once import SOURCES, run
from tests.openapi import response_schema, validate

LISTS = {
    "clients": "/clients",
    "contacts": "/contacts",
    "users": "/users",
    "tasks": "/tasks",
    "expense_categories": "/expense_categories",
    "invoice_item_categories": "/invoice_item_categories",
    "estimate_item_categories": "/estimate_item_categories",
    "projects": "/projects",
    "user_assignments": "/user_assignments",
    "task_assignments": "/task_assignments",
    "time_entries": "/time_entries",
    "expenses": "/expenses",
    "estimates": "/estimates",
    "invoices": "/invoices",
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with Sandbox(rate=None) as sandbox:
        assert run(sandbox, Path(tmp_path_factory.mktemp("l")) / "l.sqlite", options=SOURCES).exit_code == 0
        yield sandbox


@pytest.mark.parametrize("kind", sorted(LISTS))
def test_list_responses_match_the_spec(loaded: Sandbox, kind: str) -> None:
    body = client_for(loaded).get(LISTS[kind])
    assert body[kind], f"no {kind} to check"
    assert validate(body, response_schema("get", LISTS[kind])) == []


def test_nested_and_single_responses_match_the_spec(loaded: Sandbox) -> None:
    client = client_for(loaded)
    invoice = next(i for i in client.list("/invoices", "invoices") if i["state"] == "paid")
    assert validate(client.get(f"/invoices/{invoice['id']}"), response_schema("get", "/invoices/{invoiceId}")) == []
    payments = client.get(f"/invoices/{invoice['id']}/payments")
    assert validate(payments, response_schema("get", "/invoices/{invoiceId}/payments")) == []
    messages = client.get(f"/invoices/{invoice['id']}/messages")
    assert validate(messages, response_schema("get", "/invoices/{invoiceId}/messages")) == []
    assert validate(client.me(), response_schema("get", "/users/me")) == []
    assert validate(client.company(), response_schema("get", "/company")) == []
