"""Rules for what moves invoice and estimate states: messages (events or emails) and payments.

Emails Harvest would send are counted in `Store.emails_sent`:
- a message *without* `event_type` (it emails its recipients, or the sender with `send_me_a_copy`);
- a payment unless `send_thank_you` is `false`. Harvest itself sends the thank-you only when the
  payment completes the invoice; the sandbox counts every payment without the flag, because a
  loader that forgets it would email someone as soon as a source invoice is paid off.
"""

from __future__ import annotations

from decimal import Decimal

from migrator.sandbox.billing import settle
from migrator.sandbox.money import cents_of
from migrator.sandbox.store import KindRules, Raw, SandboxError, Store, now, today

# event -> (states it may start from, state it leads to)
INVOICE_EVENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "send": (("draft",), "open"),
    "close": (("open",), "closed"),
    "re-open": (("closed",), "open"),
    "draft": (("open",), "draft"),
}
ESTIMATE_EVENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "send": (("draft",), "sent"),
    "accept": (("sent",), "accepted"),
    "decline": (("sent",), "declined"),
    "re-open": (("accepted", "declined"), "sent"),
}

_MESSAGE_DEFAULTS: Raw = {"recipients": [], "subject": None, "body": None, "send_me_a_copy": False, "event_type": None}


def _precondition(noun: str, event: str, before: tuple[str, ...]) -> str:
    # Harvest's own wording: "Event type can't be send unless invoice is a draft".
    states = " or ".join("a draft" if state == "draft" else state for state in before)
    return f"Event type can't be {event} unless {noun} is {states}"


def _email(store: Store, data: Raw) -> None:
    """A message without `event_type` is an email: it needs someone to send it to."""
    if not data.get("recipients") and not data.get("send_me_a_copy"):
        raise SandboxError(422, "Recipients can't be blank")
    store.emails_sent += 1


def create_invoice_message(store: Store, data: Raw) -> Raw:
    """An event (send, close, re-open, draft) or an email that also marks a draft as sent."""
    invoice = store.get("invoices", data["invoice_id"])
    event = data.get("event_type")
    if event is None:
        _email(store, data)
        if invoice["state"] == "draft":
            invoice.update(state="open", sent_at=now())
    else:
        if event not in INVOICE_EVENTS:
            raise SandboxError(422, "Event type is not included in the list")
        before, after = INVOICE_EVENTS[event]
        if invoice["state"] not in before:
            raise SandboxError(422, _precondition("invoice", event, before))
        invoice["state"] = after
        if event == "send":
            invoice["sent_at"] = now()
        elif event == "close":
            invoice["closed_at"] = now()
        elif event == "re-open":
            invoice["closed_at"] = None
        elif event == "draft":
            invoice["sent_at"] = None
    store.touch(invoice)
    return store.insert("invoice_messages", _MESSAGE_DEFAULTS | data)


def create_estimate_message(store: Store, data: Raw) -> Raw:
    """An event (send, accept, decline, re-open) or an email that also marks a draft as sent."""
    estimate = store.get("estimates", data["estimate_id"])
    event = data.get("event_type")
    if event is None:
        _email(store, data)
        if estimate["state"] == "draft":
            estimate.update(state="sent", sent_at=now())
    else:
        if event not in ESTIMATE_EVENTS:
            raise SandboxError(422, "Event type is not included in the list")
        before, after = ESTIMATE_EVENTS[event]
        if estimate["state"] not in before:
            raise SandboxError(422, _precondition("estimate", event, before))
        estimate["state"] = after
        if event == "send":
            estimate["sent_at"] = now()
        elif event in ("accept", "decline"):
            estimate[f"{after}_at"] = now()
        else:
            estimate.update(accepted_at=None, declined_at=None)
    store.touch(estimate)
    return store.insert("estimate_messages", _MESSAGE_DEFAULTS | data)


def create_payment(store: Store, data: Raw) -> Raw:
    """A payment on a sent (open) invoice, never more than what is due; the last one makes it paid."""
    invoice = store.get("invoices", data["invoice_id"])
    if invoice["state"] in ("draft", "closed"):
        raise SandboxError(422, f"Payments can't be recorded on a {invoice['state']} invoice")
    if data.get("paid_at") is not None and data.get("paid_date") is not None:
        raise SandboxError(422, "Pass either paid at or paid date, but not both")
    amount = Decimal(data["amount"])
    if amount <= 0:
        raise SandboxError(422, "Amount must be greater than 0")
    if amount > Decimal(invoice["due_amount"]):
        raise SandboxError(422, f"Amount can't be more than the amount due ({invoice['due_amount']})")
    if data.get("send_thank_you") is not False:
        store.emails_sent += 1
    paid_at = data.get("paid_at")
    paid_date = data.get("paid_date") or (str(paid_at)[:10] if paid_at else today())
    stamp = paid_at or f"{paid_date}T00:00:00Z"
    payment = data | {"amount": cents_of(amount), "paid_date": paid_date, "paid_at": stamp}
    payment = {"notes": None, "transaction_id": None} | payment
    payment.pop("send_thank_you", None)
    raw = store.insert("invoice_payments", payment)
    settle(store, invoice)
    store.touch(invoice)
    return raw


def delete_payment(store: Store, raw: Raw) -> None:
    """Deleting a payment gives the amount back to `due_amount` (and a paid invoice is open again)."""
    invoice = store.lookup("invoices", raw["invoice_id"])
    store.remove("invoice_payments", raw["id"])
    if invoice is not None:
        settle(store, invoice)
        store.touch(invoice)


RULES: dict[str, KindRules] = {
    "invoice_messages": KindRules(create=create_invoice_message, parent=("invoices", "invoice_id")),
    "estimate_messages": KindRules(create=create_estimate_message, parent=("estimates", "estimate_id")),
    "invoice_payments": KindRules(create=create_payment, delete=delete_payment, parent=("invoices", "invoice_id")),
}
