"""The plan of fixtures/harvest-v1: exact counts, state replay order, and what the lossy notes say."""

from __future__ import annotations

from collections import Counter

import pytest

from migrator.planned import MapSink, Planned

PLANNED = {
    ("clients", "ok"): 3,
    ("contacts", "ok"): 2,
    ("users", "ok"): 3,
    ("tasks", "ok"): 4,
    ("expense_categories", "ok"): 3,
    ("invoice_item_categories", "ok"): 2,
    ("projects", "ok"): 4,  # 904: archived, with history (fixtures/harvest-v1/archive/)
    ("user_assignments", "ok"): 7,
    ("task_assignments", "ok"): 7,
    ("time_entries", "ok"): 13,
    ("expenses", "ok"): 5,
    ("invoices", "ok"): 5,
    ("invoice_payments", "ok"): 4,
    ("invoice_messages", "ok"): 5,  # 4 send events + 1 close event
    ("invoice_messages", "skipped"): 4,  # the v1 e-mails, never replayed
}
LOSSY = {
    "clients": 11,
    "contacts": 2,
    "users": 16,
    "tasks": 2,
    "expense_categories": 2,
    "invoice_item_categories": 6,
    "projects": 7,
    "user_assignments": 2,
    "task_assignments": 2,
    "time_entries": 11,
    "expenses": 6,
    "invoices": 26,
    "invoice_payments": 11,
    "invoice_messages": 5,
}


def _by_ref(sink: MapSink) -> dict[str, Planned]:
    return {item.ref: item for item in sink.planned}


def _notes(sink: MapSink, kind: str, source_id: str) -> dict[str, str]:
    return {n.field: n.note for n in sink.lossy_notes if n.kind == kind and n.source_id == source_id}


def test_exact_counts_per_kind(fixture_plan: MapSink) -> None:
    assert Counter((p.kind, p.status) for p in fixture_plan.planned) == PLANNED
    assert Counter(n.kind for n in fixture_plan.lossy_notes) == LOSSY
    assert fixture_plan.errors == []


def test_source_ids_are_unique_per_kind(fixture_plan: MapSink) -> None:
    refs = [p.ref for p in fixture_plan.planned]
    assert len(refs) == len(set(refs))


def test_a_draft_invoice_replays_nothing(fixture_plan: MapSink) -> None:
    planned = _by_ref(fixture_plan)
    assert "@invoice_messages:3001:send" not in planned
    assert planned["@invoices:3001"].depends_on() == [
        "@clients:501",
        "@projects:901",
        "@invoice_item_categories:1401",
        "@invoice_item_categories:1402",
    ]


@pytest.mark.parametrize("invoice", ["3002", "3003", "3004", "3005"])
def test_a_sent_invoice_is_sent_by_event_before_its_payments(fixture_plan: MapSink, invoice: str) -> None:
    planned = _by_ref(fixture_plan)
    send = planned[f"@invoice_messages:{invoice}:send"]
    assert send.payload == {"invoice_id": f"@invoices:{invoice}", "event_type": "send"}
    assert send.depends_on() == [f"@invoices:{invoice}"]
    payments = [
        p
        for p in fixture_plan.planned
        if p.kind == "invoice_payments" and p.payload["invoice_id"] == send.payload["invoice_id"]
    ]
    for payment in payments:
        assert payment.after == (send.ref,)
        assert payment.payload["send_thank_you"] is False


def test_payments_keep_their_date_and_amount(fixture_plan: MapSink) -> None:
    planned = _by_ref(fixture_plan)
    assert [
        (str(p.payload["paid_date"]), str(p.payload["amount"]))
        for p in fixture_plan.planned
        if p.kind == "invoice_payments"
    ] == [
        ("2013-03-20", "400.0"),
        ("2013-03-25", "300.0"),
        ("2013-04-02", "353.25"),
        ("2013-02-20", "100.0"),
    ]
    assert planned["@invoice_payments:4002"].payload["notes"] == "Wire, first instalment"


def test_a_closed_invoice_is_closed_after_its_send_and_all_its_payments(fixture_plan: MapSink) -> None:
    planned = _by_ref(fixture_plan)
    close = planned["@invoice_messages:3005:close"]
    assert close.payload == {"invoice_id": "@invoices:3005", "event_type": "close"}
    assert close.after == ("@invoice_messages:3005:send", "@invoice_payments:4004")
    order = [p.ref for p in fixture_plan.planned]
    assert order.index("@invoices:3005") < order.index("@invoice_messages:3005:send")
    assert order.index("@invoice_payments:4004") < order.index("@invoice_messages:3005:close")


def test_lossy_notes_name_the_changed_and_dropped_values(fixture_plan: MapSink) -> None:
    sink = fixture_plan
    assert _notes(sink, "clients", "501")["details"] == (
        "line breaks CR LF normalised to LF: '65 Northridge Dr\\r\\nBuffalo, NY 14221'"
    )
    assert _notes(sink, "clients", "502") == {"highrise_id": "the Highrise link has no Harvest v2 field: '568902'"}
    shared = _notes(sink, "clients", "*")
    assert shared["created_at"] == "creation timestamps are set by Harvest v2 when the object is created"
    currency = [n.note for n in sink.lossy_notes if n.kind == "clients" and n.field == "currency"]
    assert currency == [
        "v1 display name 'United States Dollars - USD' sent as its ISO code 'USD'",
        "v1 display name 'Euro - EUR' sent as its ISO code 'EUR'",
        "v1 display name 'United States Dollar - USD' sent as its ISO code 'USD'",
    ]
    assert _notes(sink, "users", "701")["telephone"] == "v2 users have no writable telephone field: '716-555-0199'"
    assert _notes(sink, "projects", "902")["bill_by"] == "'people' sent as 'People' (v2 spelling)"
    assert _notes(sink, "time_entries", "2004") == {
        "started_at": "times 8:00am-10:15am not sent: the target tracks durations (2.25 h sent)"
    }
    assert _notes(sink, "time_entries", "2006") == {
        "is_billed": "billed in v1; v2 marks entries billed only through invoices built from time",
        "is_closed": "approved (closed) in v1; v2 approval cannot be set through the API",
    }
    assert _notes(sink, "expenses", "1303") == {
        "units": "10.5 units are not whole (v2 units are integers); total_cost sent"
    }
    # Money first: v1 billed 99.97 for the line where v2 would round 1.333 x 75.00 to 99.98.
    assert {k: v for k, v in _notes(sink, "invoices", "3002").items() if k not in ("client_key", "created_by_id")} == {
        "csv_line_items": "row 2: v1 billed 1.333 × 75.00 = 99.97, which v2 would round to 99.98: "
        "sent as 1 × 99.97, with '1.333 × 75.00' in the description",
        "period_start": "v2 sets an invoice period only for invoices imported from tracked time: 2013-03-01",
        "period_end": "v2 sets an invoice period only for invoices imported from tracked time: 2013-03-12",
        "due_at_human_format": "'net 15' sent as 'custom' with due_date 2013-03-27 "
        "(v2 honours a due date only with custom terms)",
    }
    assert _notes(sink, "invoices", "3003")["state"] == (
        "v1 'partial' has no v2 state: v2 shows 'open' with 500.00 due "
        "(payments total 400.0 (1 payment) of amount 900.00)"
    )
    assert _notes(sink, "invoice_payments", "4002")["paid_at"] == (
        "2013-03-25T15:30:00+00:00: the time of day is dropped, paid_date is 2013-03-25"
    )


def test_each_v1_message_is_one_skipped_entry_with_one_note(fixture_plan: MapSink) -> None:
    skipped = [p for p in fixture_plan.planned if p.kind == "invoice_messages" and p.status == "skipped"]
    assert sorted(p.source_id for p in skipped) == ["5001", "5002", "5003", "5004"]
    notes = [n for n in fixture_plan.lossy_notes if n.kind == "invoice_messages" and n.source_id != "*"]
    assert len(notes) == 4
    (thanks,) = [n for n in notes if n.source_id == "5003"]
    assert thanks.note == (
        "v1 thank-you message on invoice 3004 sent 2013-04-02T09:01:00+00:00 by Ada Lindqvist to "
        "'Jane Doe <jane.doe@anchorbar.example>' not replayed: a v2 message without event_type emails its "
        "recipients (the state is replayed with events)"
    )


def test_bookkeeping_is_reported_once_per_kind(fixture_plan: MapSink) -> None:
    created = Counter(n.kind for n in fixture_plan.lossy_notes if n.field == "created_at")
    assert set(created.values()) == {1}
    assert all(n.source_id == "*" for n in fixture_plan.lossy_notes if n.field in ("created_at", "updated_at"))


def test_time_entries_always_carry_explicit_hours_and_their_anchor(fixture_plan: MapSink) -> None:
    entries = {p.source_id: p.payload for p in fixture_plan.planned if p.kind == "time_entries"}
    assert str(entries["2003"]["hours"]) == "0.0"  # a 0-hour entry: never a running timer
    assert all("hours" in payload and "started_time" not in payload for payload in entries.values())
    assert entries["2011"]["external_reference"] == {"id": "harvest-v1:day_entry:2011", "group_id": "migrator"}


def test_timestamp_targets_get_start_and_end_times(fixture_plan_timestamps: MapSink) -> None:
    entries = {p.source_id: p.payload for p in fixture_plan_timestamps.planned if p.kind == "time_entries"}
    assert (entries["2004"]["started_time"], entries["2004"]["ended_time"]) == ("8:00am", "10:15am")
    assert (entries["2003"]["started_time"], entries["2003"]["ended_time"]) == ("12:00am", "12:00am")
    assert all("hours" not in payload for payload in entries.values())
    notes = _notes(fixture_plan_timestamps, "time_entries", "2011")
    assert notes["started_at"] == "times synthesised from 2.5 h: 12:00am-2:30am (2.50 h in v2; v1 had no times)"


def test_expense_notes_end_with_the_reconciliation_marker(fixture_plan: MapSink) -> None:
    expenses = {p.source_id: p.payload for p in fixture_plan.planned if p.kind == "expenses"}
    assert expenses["1301"]["notes"] == "Train to Buffalo for the kickoff\n[migrator harvest-v1 expense 1301]"
    assert expenses["1303"]["notes"] == "[migrator harvest-v1 expense 1303]"
    assert (expenses["1302"]["units"], str(expenses["1302"]["total_cost"])) == (42, "23.1")
    assert "units" not in expenses["1303"]
