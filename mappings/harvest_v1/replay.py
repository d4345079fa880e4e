"""Replay a v1 invoice's state in v2 with events that email nobody (research harvest-v2 §3.11).

v1 `state` is read-only and driven by messages and payments; v2 is the same. So per invoice:
draft -> nothing; open/partial/paid -> a `send` event ("<inv>:send"), then each payment
(`after` the send, `send_thank_you: false`); closed -> send, payments, then a `close` event
("<inv>:close") `after` all of them. The state v2 will then show is predicted from v2's own
arithmetic, and any difference from v1 is noted with the exact figures. v1 messages are history:
replaying one would email the client, so each is skipped with one note naming what it was.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from migrator.errors import SourceError
from migrator.mappings.harvest_v1.context import V1Mapping
from migrator.mappings.harvest_v1.lossy import show
from migrator.planned import Ref
from migrator.sources.harvest_v1.records import Invoice, InvoiceMessage, Payment

PAYMENTS = "invoice_payments"
MESSAGES = "invoice_messages"
V2_STATE = {"draft": "draft", "open": "open", "partial": "open", "paid": "paid", "closed": "closed"}
_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
PAYMENT_USED = {"invoice_id", "amount", "paid_at", "notes"}
PAYMENT_WHY = {
    "recorded_by": "v2 records the migrating user as the recorder",
    "recorded_by_email": "v2 records the migrating user as the recorder",
    "authorization": "payment gateway data cannot be migrated",
    "pay_pal_transaction_id": "payment gateway data cannot be migrated",
    "payment_gateway_id": "payment gateway data cannot be migrated",
}


def _paid_order(payment: Payment) -> tuple[dt.datetime, int]:
    return payment.paid_at or _EPOCH, int(payment.id)


def _plan_payment(m: V1Mapping, invoice: Invoice, payment: Payment, send: str) -> bool:
    """Plan one payment after the send event; True when it will load."""
    notes = m.notes(PAYMENTS)
    m.handled_payments.add(payment.id)
    paid_at = payment.paid_at
    if paid_at is None:
        notes.note(payment.id, "paid_at", "v1 payment has no date; v2 will record the load date", severity="data")
    elif paid_at.timetz().replace(tzinfo=None) != dt.time(0):
        notes.note(
            payment.id,
            "paid_at",
            f"{show(paid_at)}: the time of day is dropped, paid_date is {paid_at.date()}",
            severity="data",
        )
    data: dict[str, Any] = {
        "invoice_id": str(Ref("invoices", invoice.id)),
        "amount": payment.amount,
        "paid_date": paid_at.date() if paid_at else None,
        "notes": payment.notes,
        "send_thank_you": False,  # the model forces it too: a migration never emails a client
    }
    notes.dropped(payment, used=PAYMENT_USED, why=PAYMENT_WHY)
    return m.sink.emit(PAYMENTS, payment.id, data, payment.origin, after=(send,)).status == "ok"


def _event(m: V1Mapping, invoice: Invoice, event: str, after: tuple[str, ...] = ()) -> str:
    source_id = f"{invoice.id}:{event}"
    m.notes(MESSAGES).once(
        "event_type",
        "state events are stamped with the load time in v2 (sent_at, closed_at); v1 dates are not kept",
        severity="data",
    )
    data = {"invoice_id": str(Ref("invoices", invoice.id)), "event_type": event}
    return m.sink.emit(MESSAGES, source_id, data, invoice.origin, after=after).ref


def replay_state(m: V1Mapping, invoice: Invoice, amount: Decimal) -> None:
    """Plan the events and payments that bring a v2 copy of `invoice` (total `amount`) to its v1 state."""
    notes = m.notes("invoices")
    state = (invoice.state or "draft").strip().lower()
    if state not in V2_STATE:
        notes.note(
            invoice.id,
            "state",
            f"unknown v1 state {invoice.state!r}; no state replayed beyond payments",
            severity="data",
        )
    payments = sorted(m.children("payments", invoice.id, Payment), key=_paid_order)
    loaded: list[str] = []
    paid = Decimal(0)
    predicted = "draft"
    if state in ("open", "partial", "paid", "closed") or payments:
        send = _event(m, invoice, "send")
        predicted = "open"
        for payment in payments:
            if _plan_payment(m, invoice, payment, send):
                loaded.append(str(Ref(PAYMENTS, payment.id)))
                paid += payment.amount or 0
        if paid >= amount and amount > 0:
            predicted = "paid"
        if state == "closed" and predicted != "paid":
            _event(m, invoice, "close", after=(send, *loaded))
            predicted = "closed"
    _explain(m, invoice, state, predicted, amount, paid, len(payments))
    _history(m, invoice)


def _explain(
    m: V1Mapping, invoice: Invoice, state: str, predicted: str, amount: Decimal, paid: Decimal, n: int
) -> None:
    notes = m.notes("invoices")
    expected = V2_STATE.get(state)
    due = amount - paid
    figures = f"payments total {paid} ({n} payment{'s' if n != 1 else ''}) of amount {amount}"
    if invoice.amount is not None and invoice.amount != amount:
        figures += f" (v1 amount {invoice.amount})"
    if expected is None:
        return
    if predicted != expected:
        if state == "draft":
            why = "marked as sent so its payments can be recorded"
        elif state == "closed":
            why = "the payments cover the amount, so there is nothing to write off"
        else:
            why = "the payments do not explain the v1 state"
        notes.note(
            invoice.id, "state", f"v1 state {state!r} but {figures}: {why}; v2 will show {predicted!r}", severity="data"
        )
    elif state == "partial":
        notes.note(
            invoice.id,
            "state",
            f"v1 'partial' has no v2 state: v2 shows 'open' with {due} due ({figures})",
            severity="data",
        )
    if invoice.due_amount is not None and predicted != "closed" and invoice.due_amount != due:
        notes.note(
            invoice.id, "due_amount", f"v1 due_amount {invoice.due_amount}, v2 will compute {due}", severity="money"
        )


def _history(m: V1Mapping, invoice: Invoice) -> None:
    for message in m.children(MESSAGES, invoice.id, InvoiceMessage):
        _skip_message(m, message, f"invoice {invoice.id}")


def _skip_message(m: V1Mapping, message: InvoiceMessage, where: str) -> None:
    m.handled_messages.add(message.id)
    sent = show(message.created_at) if message.created_at else "an unknown date"
    recipients = show(message.full_recipient_list) if message.full_recipient_list else "no recipients"
    kind = "thank-you message" if message.thank_you else "message"
    reason = (
        f"v1 {kind} on {where} sent {sent} by {message.sent_by or '?'} to {recipients} not replayed: "
        "a v2 message without event_type emails its recipients (the state is replayed with events)"
    )
    m.sink.skip(MESSAGES, message.id, message.origin, reason)


def report_orphans(m: V1Mapping) -> None:
    """Payments and messages not planned through a valid invoice of this export: invalid or skipped."""
    for item in m.export.typed("payments"):
        if isinstance(item, SourceError):
            m.sink.invalid_source(PAYMENTS, item)
        elif isinstance(item, Payment) and item.id not in m.handled_payments:
            invoice_id = item.invoice_id or "?"
            if invoice_id in m.skipped_invoices:
                m.sink.left_out(PAYMENTS, item.id, item.origin, f"its invoice {invoice_id} is skipped "
                                f"({m.skipped_invoices[invoice_id]})")  # fmt: skip
                continue
            why = m.invalid_invoices.get(invoice_id)
            reason = f"its invoice {invoice_id} is " + (f"invalid ({why})" if why else "not in the export")
            m.sink.invalid(PAYMENTS, item.id, item.origin, reason)
    for item in m.export.typed(MESSAGES):
        if isinstance(item, SourceError):
            m.sink.invalid_source(MESSAGES, item)
        elif isinstance(item, InvoiceMessage) and item.id not in m.handled_messages:
            _skip_message(m, item, f"invoice {item.invoice_id or '?'}")
