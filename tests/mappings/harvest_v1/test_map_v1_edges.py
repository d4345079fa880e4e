"""Edge cases of the v1 mappings, each on a tiny export written for the case (real files, real staging)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import UnknownCurrency
from migrator.mappings.harvest_v1.currency import Resolved, resolve
from migrator.planned import MapSink

Write = Callable[[str, str], Path]
CSV = "kind,description,quantity,unit_price,amount,taxed,taxed2,project_id\n"


def _invoice(invoice_id: str, state: str, amount: str, *, csv: str | None = None, currency: str = "Euro - EUR") -> str:
    lines = csv if csv is not None else f"{CSV}Service,Work,1.00,{amount},{amount},false,false,\n"
    csv_xml = f"<csv-line-items>{lines}</csv-line-items>" if lines else ""
    return (
        f"<invoice><id>{invoice_id}</id><client-id>1</client-id><number>N{invoice_id}</number><state>{state}</state>"
        f"<amount>{amount}</amount><currency>{currency}</currency><issued-at>2013-01-01</issued-at>{csv_xml}</invoice>"
    )


def _payments(*rows: tuple[str, str, str]) -> str:
    body = "".join(
        f"<payment><id>{pid}</id><invoice-id>{inv}</invoice-id><amount>{amount}</amount>"
        f"<paid-at>2013-02-01T00:00:00Z</paid-at></payment>"
        for pid, inv, amount in rows
    )
    return f'<payments type="array">{body}</payments>'


def _refs(sink: MapSink) -> dict[str, Any]:
    return {p.ref: p for p in sink.planned}


def _note(sink: MapSink, kind: str, source_id: str, field: str) -> str:
    (note,) = [n.note for n in sink.lossy_notes if (n.kind, n.source_id, n.field) == (kind, source_id, field)]
    return note


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("United States Dollars - USD", Resolved("USD")),
        ("United States Dollar - USD", Resolved("USD")),
        ("EURO - EUR", Resolved("EUR")),
        ("Euro \u2013 eur", Resolved("EUR")),
        ("British Pound - GBP", Resolved("GBP")),
        ("Canada Dollars - CAD", Resolved("CAD")),
        ("Latvia Lati - LVL", Resolved("EUR", replaced="LVL")),
        ("Zambia Kwacha - ZMK", Resolved("ZMW", replaced="ZMK")),
        ("CHF", Resolved("CHF")),
    ],
)
def test_currency_display_names_resolve_to_iso(display: str, expected: Resolved) -> None:
    assert resolve(display) == expected


@pytest.mark.parametrize("display", ["Euro", "Bitcoin - XBT", "Dollars - ", ""])
def test_an_unknown_currency_is_refused(display: str) -> None:
    with pytest.raises(UnknownCurrency):
        resolve(display)


def test_paid_without_enough_payments_is_explained_with_figures(write_xml: Write, plan: Any) -> None:
    invoice = write_xml("i.xml", _invoice("10", "paid", "500.0"))
    payments = write_xml("p.xml", _payments(("20", "10", "300.0")))
    sink = plan([invoice, payments])
    assert _note(sink, "invoices", "10", "state") == (
        "v1 state 'paid' but payments total 300.0 (1 payment) of amount 500.00: "
        "the payments do not explain the v1 state; v2 will show 'open'"
    )
    assert "@invoice_messages:10:close" not in _refs(sink)


def test_closed_but_fully_paid_is_not_closed_again(write_xml: Write, plan: Any) -> None:
    invoice = write_xml("i.xml", _invoice("10", "closed", "500.0"))
    payments = write_xml("p.xml", _payments(("20", "10", "200.0"), ("21", "10", "300.0")))
    sink = plan([invoice, payments])
    refs = _refs(sink)
    assert "@invoice_messages:10:send" in refs
    assert "@invoice_messages:10:close" not in refs  # Harvest refuses to close a paid invoice
    assert _note(sink, "invoices", "10", "state").endswith(
        "the payments cover the amount, so there is nothing to write off; v2 will show 'paid'"
    )


def test_a_draft_with_payments_is_sent_so_the_money_is_not_lost(write_xml: Write, plan: Any) -> None:
    invoice = write_xml("i.xml", _invoice("10", "draft", "500.0"))
    payments = write_xml("p.xml", _payments(("20", "10", "100.0")))
    sink = plan([invoice, payments])
    refs = _refs(sink)
    assert refs["@invoice_payments:20"].after == ("@invoice_messages:10:send",)
    assert "marked as sent so its payments can be recorded" in _note(sink, "invoices", "10", "state")


def test_payments_without_a_loadable_invoice_are_invalid_with_the_reason(write_xml: Write, plan: Any) -> None:
    summary = write_xml("i.xml", f'<invoices type="array">{_invoice("10", "open", "500.0", csv="")}</invoices>')
    payments = write_xml("p.xml", _payments(("20", "10", "100.0"), ("21", "77", "5.0")))
    sink = plan([summary, payments])
    refs = _refs(sink)
    assert refs["@invoices:10"].status == "invalid"
    assert refs["@invoices:10"].reason == (
        "field 'csv_line_items': absent, but the amount is 500.0: only the list summary was exported; "
        "add the GET /invoices/10 body"
    )
    assert refs["@invoice_payments:20"].status == "invalid"
    assert refs["@invoice_payments:20"].reason.startswith("its invoice 10 is invalid (field 'csv_line_items'")
    assert refs["@invoice_payments:21"].reason == "its invoice 77 is not in the export"


def test_a_payment_that_fails_typing_is_invalid_and_named(write_xml: Write, plan: Any) -> None:
    invoice = write_xml("i.xml", _invoice("10", "open", "500.0"))
    payments = write_xml("p.xml", _payments(("20", "10", "1O0.0")))
    sink = plan([invoice, payments])
    payment = _refs(sink)["@invoice_payments:20"]
    assert payment.status == "invalid"
    assert payment.reason == f"{payments}:2 payments 20: field 'amount' '1O0.0' is not a decimal number"


def test_a_withdrawn_currency_moves_a_client_but_invalidates_an_invoice(write_xml: Write, plan: Any) -> None:
    client = write_xml(
        "c.xml", "<client><id>1</id><name>Riga SIA</name><currency>Latvia Lati - LVL</currency></client>"
    )
    invoice = write_xml("i.xml", _invoice("10", "draft", "50.0", currency="Latvia Lati - LVL"))
    sink = plan([client, invoice])
    refs = _refs(sink)
    assert refs["@clients:1"].payload["currency"] == "EUR"
    assert _note(sink, "clients", "1", "currency") == (
        "'Latvia Lati - LVL' is the withdrawn code LVL; sent its successor EUR"
    )
    assert refs["@invoices:10"].status == "invalid"
    assert refs["@invoices:10"].reason == (
        "field 'currency': 'Latvia Lati - LVL' is the withdrawn code LVL; Harvest v2 cannot hold amounts in it "
        "and converting them to EUR would change the money"
    )


def test_an_unknown_currency_is_lossy_and_invalid(write_xml: Write, plan: Any) -> None:
    client = write_xml("c.xml", "<client><id>1</id><name>X</name><currency>Galactic Credits</currency></client>")
    sink = plan([client])
    assert _refs(sink)["@clients:1"].status == "invalid"
    assert _note(sink, "clients", "1", "currency") == (
        "not migrated: 'Galactic Credits' has no ISO 4217 code after its last ' - '"
    )


def test_a_field_the_research_never_saw_is_reported_per_record(write_xml: Write, plan: Any) -> None:
    task = write_xml("t.xml", "<task><id>4</id><name>QA</name><color>teal</color></task>")
    sink = plan([task])
    assert _note(sink, "tasks", "4", "color") == "a v1 field this migrator does not know; not migrated: 'teal'"


@pytest.mark.parametrize(
    ("flags", "roles"),
    [
        ("<is-admin>true</is-admin><is-project-manager>true</is-project-manager>", ["administrator"]),
        ("<is-admin>false</is-admin><is-project-manager>true</is-project-manager>", ["manager"]),
        ("<is-admin>false</is-admin>", ["member"]),
        ("", None),
    ],
)
def test_user_access_roles_come_from_the_v1_flags(write_xml: Write, plan: Any, flags: str, roles: Any) -> None:
    user = write_xml(
        "u.xml",
        f"<user><id>1</id><email>a@b.example</email><first-name>A</first-name><last-name>B</last-name>{flags}"
        "<department>Design</department></user>",
    )
    payload = _refs(plan([user]))["@users:1"].payload
    assert payload.get("access_roles") == roles
    assert payload["roles"] == ["Design"]


def _entry(inner: str) -> str:
    return (
        '<day-entries type="array"><day-entry><id>5</id><project-id>1</project-id><task-id>2</task-id>'
        f"<user-id>3</user-id><spent-at>2013-01-02</spent-at>{inner}</day-entry></day-entries>"
    )


@pytest.mark.parametrize(
    ("inner", "times", "hours", "note"),
    [
        pytest.param(
            "<hours>2.5</hours><started-at>8:00am</started-at><ended-at>10:15am</ended-at>",
            ("8:00am", "10:15am"),
            None,
            "v1 hours 2.5 but 8:00am-10:15am is 2.25 h; v2 derives hours from the times",
            id="times-disagree-with-hours",
        ),
        pytest.param(
            "<hours>1.34</hours>",
            ("12:00am", "1:20am"),
            None,
            "times synthesised from 1.34 h: 12:00am-1:20am (1.33 h in v2; v1 had no times)",
            id="synthesised-and-rounded-to-the-minute",
        ),
        pytest.param(
            "<hours>2.0</hours><started-at>4:45pm</started-at><ended-at></ended-at>",
            ("4:45pm", "6:45pm"),
            None,
            "times synthesised from 2.0 h: 4:45pm-6:45pm (2.00 h in v2; v1 times were 4:45pm-none)",
            id="running-entry-keeps-its-start",
        ),
        pytest.param(
            "<hours>25.0</hours>",
            None,
            "25.0",
            "25.0 h do not fit one day as start and end times; sent as hours",
            id="more-than-a-day",
        ),
    ],
)
def test_timestamp_targets(write_xml: Write, plan: Any, inner: str, times: Any, hours: str | None, note: str) -> None:
    sink = plan([write_xml("e.xml", _entry(inner))], timestamp_timers=True)
    payload = _refs(sink)["@time_entries:5"].payload
    assert (payload.get("started_time"), payload.get("ended_time")) == (times or (None, None))
    assert (str(payload["hours"]) if "hours" in payload else None) == hours
    assert note in [n.note for n in sink.lossy_notes if n.source_id == "5"]


def test_a_running_timer_is_migrated_stopped_and_said_so(write_xml: Write, plan: Any) -> None:
    inner = "<hours>0.5</hours><timer-started-at>2013-01-02T09:00:00Z</timer-started-at>"
    sink = plan([write_xml("e.xml", _entry(inner))])
    assert str(_refs(sink)["@time_entries:5"].payload["hours"]) == "0.5"
    assert _note(sink, "time_entries", "5", "timer_started_at") == (
        "a timer was running at export (2013-01-02T09:00:00+00:00); migrated stopped at 0.5 h"
    )


def test_the_v1_account_clock_mode_is_compared_with_the_target(write_xml: Write, plan: Any) -> None:
    account = write_xml(
        "a.xml",
        '<hash><company><clock>24h</clock></company><user><timestamp-timers type="boolean">true'
        "</timestamp-timers></user></hash>",
    )
    sink = plan([account, write_xml("e.xml", _entry("<hours>1.0</hours>"))])
    assert _note(sink, "time_entries", "*", "timestamp_timers") == (
        "the v1 account tracked start and end times; the target tracks durations"
    )


@pytest.mark.parametrize("email", ["0", "jane at acme", "a@b@c"])
def test_a_contact_email_that_is_no_address_is_left_out_with_a_note(write_xml: Write, plan: Any, email: str) -> None:
    # v2 refuses such a contact ("Email is invalid"): the plan must not promise one it cannot load.
    clients = write_xml("c.xml", '<clients type="array"><client><id>1</id><name>Acme</name></client></clients>')
    contacts = write_xml(
        "k.xml",
        f'<contacts type="array"><contact><id>7</id><client-id>1</client-id><first-name>Jane</first-name>'
        f"<email>{email}</email></contact></contacts>",
    )
    sink = plan([clients, contacts])
    contact = _refs(sink)["@contacts:7"]
    assert contact.status == "ok" and "email" not in contact.payload
    assert _note(sink, "contacts", "7", "email") == f"{email!r} is not an e-mail address: left out (v2 refuses it)"
