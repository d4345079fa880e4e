"""FreshBooks mappings: golden payloads per kind and the documented decisions."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from migrator import jsonio
from migrator.harvest.invoice_math import invoice_totals
from migrator.mappings import map_all
from migrator.mappings.freshbooks.usage import Implied
from migrator.planned import MapContext, MapSink
from migrator.sources import read_exports
from migrator.sources.record import Origin
from tests.conftest import REPO
from tests.golden import check_golden_folder
from tests.openapi import planned_body_problems

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def mapped() -> MapSink:
    exports = read_exports([REPO / "fixtures" / "freshbooks"])
    sink = MapSink()
    map_all(exports, sink, MapContext())
    for export in exports:
        export.close()
    return sink


def by_kind(sink: MapSink) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for planned in sink.planned:
        out[planned.kind].append({"source_id": planned.source_id, "status": planned.status,
                                  "payload": planned.payload, "after": list(planned.after)})
    return out


def test_golden_payloads_per_kind(mapped: MapSink) -> None:
    """One golden file per kind the mapping emits; a kind with a golden file that it no longer emits fails."""
    documents = {f"{kind}.json": jsonio.dumps(items, indent=2) + "\n" for kind, items in by_kind(mapped).items()}
    check_golden_folder(GOLDEN, documents)


def test_mixed_tax_rates_are_exact_in_v2(mapped: MapSink) -> None:
    """Invoice 102: lines at 20 % and 10 % with a 10 % discount, FreshBooks total 569.70."""
    invoice = next(p for p in mapped.planned if p.kind == "invoices" and p.source_id == "102")
    payload = invoice.payload
    assert (payload["tax"], payload["tax2"]) == (Decimal("20"), Decimal("10"))
    assert [(line["taxed"], line["taxed2"], line["kind"]) for line in payload["line_items"]] == [
        (True, False, "Service"),
        (False, True, "Domain"),
    ]
    lines, tax, tax2 = payload["line_items"], payload["tax"], payload["tax2"]
    totals = invoice_totals(lines, tax=tax, tax2=tax2, discount=payload["discount"])
    assert totals.amount == Decimal("569.70")
    notes = {n.field: n.note for n in mapped.lossy_notes if n.kind == "invoices" and n.source_id == "102"}
    assert "tax" not in notes and "amount" not in notes
    assert notes["lines.tax_names"] == "no v2 field for tax names: 'TVA' 20%, 'TVA réduite' 10%"


def test_a_project_without_a_client_gets_the_placeholder_client(mapped: MapSink) -> None:
    placeholder = [p for p in mapped.planned if p.kind == "clients" and p.source_id == "placeholder"]
    assert [p.payload["name"] for p in placeholder] == ["FreshBooks projects without a client"]
    project = next(p for p in mapped.planned if p.kind == "projects" and p.source_id == "43")
    assert project.payload["client_id"] == "@clients:placeholder"
    assert project.payload["bill_by"] == "Project" and project.payload["hourly_rate"] == Decimal("75")


def test_deleted_clients_and_credits_are_skipped_with_a_reason(mapped: MapSink) -> None:
    skipped = {(p.kind, p.source_id): p.reason for p in mapped.planned if p.status == "skipped"}
    assert skipped == {
        ("clients", "19"): "deleted in FreshBooks; pass --include-deleted to migrate it",
        ("invoice_payments", "203"): "a credit of 50.00 without an invoice: v2 has no client credits",
    }


def test_state_replay_orders_payments_after_send_and_never_emails(mapped: MapSink) -> None:
    payment = next(p for p in mapped.planned if p.kind == "invoice_payments" and p.source_id == "201")
    assert payment.after == ("@invoice_messages:101:send",)
    assert payment.payload["send_thank_you"] is False
    events = sorted((p.kind, p.source_id, p.payload["event_type"]) for p in mapped.planned if "messages" in p.kind)
    assert events == [("estimate_messages", "111:accept", "accept"), ("estimate_messages", "111:send", "send"),
                      ("estimate_messages", "112:send", "send"), ("invoice_messages", "101:send", "send"),
                      ("invoice_messages", "102:send", "send"), ("invoice_messages", "103:send", "send")]


def test_implied_assignments_cover_every_time_entry(mapped: MapSink) -> None:
    users = {p.source_id for p in mapped.planned if p.kind == "user_assignments"}
    tasks = {p.source_id for p in mapped.planned if p.kind == "task_assignments"}
    for entry in (p for p in mapped.planned if p.kind == "time_entries"):
        project = entry.payload["project_id"].split(":")[1]
        assert f"{project}:{entry.payload['user_id'].split(':')[1]}" in users
        assert f"{project}:{entry.payload['task_id'].split(':')[1]}" in tasks


def test_an_assignment_the_project_does_not_list_is_planned_inactive_where_its_history_is(mapped: MapSink) -> None:
    """FreshBooks lists a project's staff and tasks as they are today: one only the history names is
    inactive, found at its first time entry (never the project's line), and says why."""
    planned = {(p.kind, p.source_id): p for p in mapped.planned if p.kind.endswith("_assignments")}
    implied = {key: p for key, p in planned.items() if p.payload["is_active"] is False}
    assert sorted(implied) == [
        ("task_assignments", "44:31"),
        ("user_assignments", "41:3"),
        ("user_assignments", "42:2"),
        ("user_assignments", "44:3"),
    ]
    priya = implied[("user_assignments", "41:3")]
    assert (priya.origin.file.endswith("work/time_entries-2.xml"), priya.origin.line) == (True, 6)
    assert priya.reason == "implied by 1 time entry, not on the project in FreshBooks"
    listed = planned[("user_assignments", "41:1")]
    assert (listed.origin.file.endswith("work/projects.xml"), listed.origin.line, listed.reason) == (True, 4, None)
    assert not [n for n in mapped.lossy_notes if n.kind.endswith("_assignments")]  # nothing is lost any more


@pytest.mark.parametrize(
    ("time_entries", "expenses", "words"),
    [
        pytest.param(1, 0, "implied by 1 time entry", id="one-entry"),
        pytest.param(1_250, 0, "implied by 1,250 time entries", id="entries"),
        pytest.param(0, 1, "implied by 1 expense", id="one-expense"),
        pytest.param(3, 2, "implied by 3 time entries and 2 expenses", id="both"),
    ],
)
def test_an_implied_assignment_says_how_much_history_implies_it(time_entries: int, expenses: int, words: str) -> None:
    origin = Origin("freshbooks", "time_entries", "1", "t.xml", 1)
    implied = Implied(origin, time_entries=time_entries, expenses=expenses)
    assert implied.reason() == f"{words}, not on the project in FreshBooks"


def test_fractional_estimate_quantities_are_folded_and_noted(mapped: MapSink) -> None:
    estimate = next(p for p in mapped.planned if p.kind == "estimates" and p.source_id == "111")
    assert estimate.payload["line_items"][0]["quantity"] == 1
    assert estimate.payload["line_items"][0]["unit_price"] == Decimal("250.00")
    assert any(n.field == "lines.1.quantity" for n in mapped.lossy_notes if n.source_id == "111")


def test_no_float_anywhere(mapped: MapSink) -> None:
    json.loads(jsonio.dumps([p.payload for p in mapped.planned]))  # jsonio refuses floats


def test_every_payload_validates_against_the_openapi_spec(mapped: MapSink) -> None:
    checked = 0
    for planned in mapped.planned:
        if planned.status != "ok":
            continue
        problems = planned_body_problems(planned.kind, planned.payload)
        assert problems == [], f"{planned.kind} {planned.source_id}: {problems}"
        checked += 1
    assert checked == 62


@pytest.mark.parametrize("email", ["0", "jane at acme"])
def test_a_contact_email_that_is_no_address_is_left_out_with_a_note(email: str) -> None:
    # v2 refuses such a contact ("Email is invalid"): the plan must not promise one it cannot load.
    from tests.property.pipeline import run_pipeline

    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n<response status="ok"><clients page="1" per_page="25" pages="1" '
        'total="1"><client><client_id>3</client_id><organization>Acme</organization><contacts><contact>'
        f"<contact_id>22</contact_id><first_name>Jane</first_name><email>{email}</email></contact></contacts>"
        "</client></clients></response>\n"
    )
    sink = run_pipeline({"clients.xml": body}, MapContext()).sink
    assert sink is not None
    (contact,) = [p for p in sink.planned if p.kind == "contacts"]
    assert contact.status == "ok" and "email" not in contact.payload
    notes = [n.note for n in sink.lossy_notes if (n.kind, n.field) == ("contacts", "email")]
    assert notes == [f"{email!r} is not an e-mail address: left out (v2 refuses it)"]
