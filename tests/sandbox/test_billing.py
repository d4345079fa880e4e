"""Invoices and estimates: totals, line items, the state machines, payments and due amounts, emails."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.sandbox.helpers import Api, base_world

D = Decimal


@pytest.fixture()
def client_id(api: Api) -> int:
    return int(api.post("/clients", {"name": "Acme", "currency": "EUR"})["id"])


def _invoice(api: Api, client_id: int, **fields: Any) -> dict[str, Any]:
    lines = [
        {"kind": "Service", "description": "Build", "quantity": D("3"), "unit_price": D("33.335"), "taxed": True},
        {"kind": "Product", "quantity": D("1.5"), "unit_price": D("20"), "taxed2": True},
    ]
    body = {"client_id": client_id, "number": "INV-1", "tax": D("10"), "tax2": D("5"), "discount": D("10")}
    return dict(api.post("/invoices", body | {"line_items": lines} | fields))


def test_invoice_amounts_are_computed_like_harvest(api: Api, client_id: int) -> None:
    invoice = _invoice(api, client_id, state="paid")
    # lines: 3 x 33.335 = 100.005 -> 100.01; 1.5 x 20 = 30.00; subtotal 130.01
    # discount 10% = 13.00; tax 10% of 100.01 x 0.9 = 9.00; tax2 5% of 30 x 0.9 = 1.35
    assert [line["amount"] for line in invoice["line_items"]] == [D("100.01"), D("30.00")]
    assert (invoice["discount_amount"], invoice["tax_amount"], invoice["tax2_amount"]) == (
        D("13.00"),
        D("9.00"),
        D("1.35"),
    )
    assert invoice["amount"] == invoice["due_amount"] == D("127.36")
    assert invoice["state"] == "draft"  # whatever the body says
    assert (invoice["currency"], invoice["payment_term"], invoice["sent_at"]) == ("EUR", "custom", None)
    assert invoice["client"] == {"id": client_id, "name": "Acme"} and invoice["creator"]["id"] == 1
    assert all(isinstance(line["id"], int) for line in invoice["line_items"])


def test_due_date_follows_the_payment_term(api: Api, client_id: int) -> None:
    body = {"client_id": client_id, "issue_date": "2021-01-31"}
    assert (
        api.post("/invoices", body | {"payment_term": "net 30", "due_date": "2021-01-01"})["due_date"] == "2021-03-02"
    )
    assert (
        api.post("/invoices", body | {"payment_term": "custom", "due_date": "2021-02-10"})["due_date"] == "2021-02-10"
    )
    assert api.post("/invoices", body | {"payment_term": "upon receipt"})["due_date"] == "2021-01-31"


def test_numbers_are_generated_when_omitted(api: Api, client_id: int) -> None:
    api.post("/invoices", {"client_id": client_id, "number": "41"})
    assert api.post("/invoices", {"client_id": client_id})["number"] == "42"
    assert api.post("/estimates", {"client_id": client_id})["number"] == "1"


def test_line_items_patch_updates_adds_and_destroys(api: Api, client_id: int) -> None:
    invoice = _invoice(api, client_id)
    first, second = invoice["line_items"]
    changed = api.patch(
        f"/invoices/{invoice['id']}",
        {
            "line_items": [
                {"id": first["id"], "quantity": D("1")},
                {"id": second["id"], "_destroy": True},
                {"kind": "Product", "unit_price": D("5")},
            ]
        },
    )
    assert [(line["id"] == first["id"], line["amount"]) for line in changed["line_items"]] == [
        (True, D("33.34")),
        (False, D("5.00")),
    ]
    # 33.34 + 5.00 = 38.34; discount 3.83; tax 10% of 33.34 x 0.9 = 3.00
    assert changed["amount"] == changed["due_amount"] == D("37.51")


def test_invoice_state_machine_and_payments(api: Api, client_id: int) -> None:
    invoice = _invoice(api, client_id)
    path = f"/invoices/{invoice['id']}"
    assert api.refused("POST", f"{path}/messages", {"event_type": "draft"}) == (
        "Event type can't be draft unless invoice is open"
    )
    message = api.post(f"{path}/messages", {"event_type": "send"})
    assert message["event_type"] == "send" and message["recipients"] == []
    opened = api.get(path)
    assert opened["state"] == "open" and opened["sent_at"].endswith("Z")
    assert api.refused("POST", f"{path}/messages", {"event_type": "send"}) == (
        "Event type can't be send unless invoice is a draft"
    )
    first = api.post(f"{path}/payments", {"amount": D("27.36"), "paid_date": "2021-02-01", "send_thank_you": False})
    assert (first["amount"], first["paid_date"], first["paid_at"]) == (D("27.36"), "2021-02-01", "2021-02-01T00:00:00Z")
    assert api.get(path)["due_amount"] == D("100.00")
    assert "more than the amount due" in api.refused("POST", f"{path}/payments", {"amount": D("100.01")})
    assert "not both" in api.refused(
        "POST", f"{path}/payments", {"amount": D("1"), "paid_date": "2021-02-02", "paid_at": "2021-02-02T10:00:00Z"}
    )
    last = api.post(
        f"{path}/payments", {"amount": D("100"), "paid_at": "2021-02-03T10:00:00Z", "send_thank_you": False}
    )
    paid = api.get(path)
    assert (paid["state"], paid["due_amount"], paid["paid_date"], paid["paid_at"]) == (
        "paid",
        D("0.00"),
        "2021-02-03",
        "2021-02-03T10:00:00Z",
    )
    assert [p["id"] for p in api.get(f"{path}/payments")["invoice_payments"]] == [last["id"], first["id"]]
    api.ok("DELETE", f"{path}/payments/{last['id']}")
    reopened = api.get(path)
    assert (reopened["state"], reopened["due_amount"], reopened["paid_at"]) == ("open", D("100.00"), None)
    assert "less than the payments" in api.refused("PATCH", path, {"discount": Decimal("100")})
    api.post(f"{path}/messages", {"event_type": "close"})
    closed = api.get(path)
    assert closed["state"] == "closed" and closed["closed_at"]
    assert "closed invoice" in api.refused("POST", f"{path}/payments", {"amount": D("1")})
    api.post(f"{path}/messages", {"event_type": "re-open"})
    api.post(f"{path}/messages", {"event_type": "draft"})
    assert api.get(path)["state"] == "draft"
    assert len(api.get(f"{path}/messages")["invoice_messages"]) == 4
    assert api.sandbox.stats()["emails_sent"] == 0  # events and thank-you-less payments email nobody


def test_estimate_state_machine(api: Api, client_id: int) -> None:
    estimate = api.post(
        "/estimates",
        {"client_id": client_id, "line_items": [{"kind": "Service", "quantity": D("2.5"), "unit_price": D("10")}]},
    )
    assert (estimate["state"], estimate["amount"], estimate["line_items"][0]["quantity"]) == (
        "draft",
        D("25.00"),
        D("2.5"),
    )
    path = f"/estimates/{estimate['id']}"
    assert api.refused("POST", f"{path}/messages", {"event_type": "accept"}) == (
        "Event type can't be accept unless estimate is sent"
    )
    for event, state in [("send", "sent"), ("decline", "declined"), ("re-open", "sent"), ("accept", "accepted")]:
        api.post(f"{path}/messages", {"event_type": event})
        assert api.get(path)["state"] == state
    accepted = api.get(path)
    assert accepted["accepted_at"] and accepted["declined_at"] is None and accepted["sent_at"]
    assert "unless estimate is sent" in api.refused("POST", f"{path}/messages", {"event_type": "decline"})


def test_emails_are_counted_where_harvest_would_send_them(api: Api) -> None:
    world = base_world(api)
    api.sandbox.seed_user("Old", "Timer", "old@example.com")
    assert api.sandbox.stats()["emails_sent"] == 0  # a seeded user was invited long ago
    api.post("/users", {"first_name": "New", "last_name": "Person", "email": "new@example.com"})
    assert api.sandbox.stats()["emails_sent"] == 1  # the invitation
    line = {"kind": "Service", "unit_price": D("10")}
    invoice = api.post("/invoices", {"client_id": world["client"], "line_items": [line]})
    api.post(f"/invoices/{invoice['id']}/messages", {"recipients": [{"name": "C", "email": "c@example.com"}]})
    assert api.get(f"/invoices/{invoice['id']}")["state"] == "open"  # emailing a draft sends it
    assert api.sandbox.stats()["emails_sent"] == 2
    api.post(f"/invoices/{invoice['id']}/payments", {"amount": D("1")})  # send_thank_you defaults to true
    api.post(f"/invoices/{invoice['id']}/payments", {"amount": D("1"), "send_thank_you": True})
    api.post(f"/invoices/{invoice['id']}/payments", {"amount": D("1"), "send_thank_you": False})
    assert api.sandbox.stats()["emails_sent"] == 4
    estimate = api.post("/estimates", {"client_id": world["client"]})
    api.post(f"/estimates/{estimate['id']}/messages", {"send_me_a_copy": True})
    assert api.sandbox.stats()["emails_sent"] == 5
    assert api.get(f"/estimates/{estimate['id']}")["state"] == "sent"
