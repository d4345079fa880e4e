"""Rules for invoices and estimates: numbers, line items, totals, due dates and due amounts.

Their *states* move only through messages and payments (`events.py`); whatever `state` a body
carries is ignored, as Harvest ignores it. The arithmetic is the sandbox's own (`money.py`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from migrator.sandbox.columns import folded
from migrator.sandbox.money import document_totals, due_amount, line_amount
from migrator.sandbox.store import KindRules, Raw, SandboxError, Store, today

CATEGORY_KIND = {"invoices": "invoice_item_categories", "estimates": "estimate_item_categories"}
_CATEGORY_NAME = {"invoices": "invoice item category", "estimates": "estimate item category"}
_TERM_DAYS = {"upon receipt": 0, "net 15": 15, "net 30": 30, "net 45": 45, "net 60": 60}


def _category_named(store: Store, kind: str, name: str) -> bool:
    # Exactly this name (the index holds it folded: few candidates, compared as they are).
    return any(str(category["name"]) == name for category in store.find(kind, name_key=folded(name)))


def _line(store: Store, kind: str, line: Raw, line_id: int) -> Raw:
    """One checked line item with its amount (quantity x unit price, to the cent)."""
    if not str(line.get("kind") or "").strip():
        raise SandboxError(422, "Line items kind can't be blank")
    if not _category_named(store, CATEGORY_KIND[kind], str(line["kind"])):
        raise SandboxError(422, f"Line items kind '{line['kind']}' is not an existing {_CATEGORY_NAME[kind]}")
    if line.get("unit_price") is None:
        raise SandboxError(422, "Line items unit price can't be blank")
    out: Raw = {"id": line_id, "description": None, "taxed": False, "taxed2": False}
    out |= {key: value for key, value in line.items() if key not in ("id", "_destroy", "amount")}
    if kind == "estimates":
        out.pop("project_id", None)  # estimate lines belong to no project
    elif out.get("project_id") is not None:
        store.ref("projects", out["project_id"], "project_id")
    # Estimates: the spec types quantity as an integer, but Harvest shows fractional quantities; accept numbers.
    out["quantity"] = Decimal(1) if out.get("quantity") is None else out["quantity"]
    out["amount"] = line_amount(out["quantity"], out["unit_price"])
    return out


def new_lines(store: Store, kind: str, lines: list[Raw]) -> list[Raw]:
    """Line items of a POST body."""
    return [_line(store, kind, line, store.new_id()) for line in lines]


def merged_lines(store: Store, kind: str, current: list[Raw], changes: list[Raw]) -> list[Raw]:
    """Harvest's PATCH semantics: a line with `id` is updated (or `_destroy`ed), one without is added."""
    lines = {line["id"]: dict(line) for line in current}
    added: list[Raw] = []
    for change in changes:
        if change.get("id") is None:
            added.append(change)
        elif change["id"] not in lines:
            raise SandboxError(422, f"Line items id {change['id']} is not a line item of this {kind[:-1]}")
        elif change.get("_destroy"):
            del lines[change["id"]]
        else:
            lines[change["id"]] = _line(store, kind, lines[change["id"]] | change, change["id"])
    return list(lines.values()) + new_lines(store, kind, added)


def _numbered(store: Store, kind: str, data: Raw, own_id: int | None = None) -> None:
    """Numbers are unique per kind; an omitted one is generated (the highest number + 1)."""
    number = str(data.get("number") or "").strip()
    if not number:
        highest = store.highest_number(kind, exclude=own_id)
        if highest is None:  # no number is all digits: count the others
            highest = store.count(kind) - (own_id is not None)
        data["number"] = str(highest + 1)
    elif store.exists(kind, number=number, exclude=own_id):
        raise SandboxError(422, "Number has already been taken")


def _totals(raw: Raw) -> None:
    totals = document_totals(raw["line_items"], tax=raw.get("tax"), tax2=raw.get("tax2"), discount=raw.get("discount"))
    raw.update(
        amount=totals.amount,
        tax_amount=totals.tax_amount,
        tax2_amount=totals.tax2_amount,
        discount_amount=totals.discount_amount,
    )


def _due_date(raw: Raw) -> None:
    """`due_date` is honoured only for `custom` terms; other terms count days from the issue date."""
    days = _TERM_DAYS.get(str(raw.get("payment_term")))
    if days is not None:
        raw["due_date"] = (dt.date.fromisoformat(raw["issue_date"]) + dt.timedelta(days=days)).isoformat()
    elif raw.get("due_date") is None:
        raw["due_date"] = raw["issue_date"]


def settle(store: Store, invoice: Raw) -> None:
    """Recompute `due_amount`, and move open <-> paid when payments (stop) cover the amount."""
    due = due_amount(invoice["amount"], (p["amount"] for p in store.find("invoice_payments", invoice_id=invoice["id"])))
    if due < 0:
        raise SandboxError(422, "Amount can't be less than the payments already recorded")
    invoice["due_amount"] = due
    if invoice["state"] == "paid" and due > 0:
        invoice.update(state="open", paid_at=None, paid_date=None)
    elif invoice["state"] == "open" and due == 0 and store.find("invoice_payments", invoice_id=invoice["id"]):
        last = max(store.find("invoice_payments", invoice_id=invoice["id"]), key=lambda p: p["id"])
        invoice.update(state="paid", paid_at=last.get("paid_at"), paid_date=last.get("paid_date"))


def _document(store: Store, kind: str, data: Raw) -> Raw:
    """What invoices and estimates share on creation."""
    client = store.ref("clients", data["client_id"], "client_id")
    _numbered(store, kind, data)
    raw: Raw = {"currency": client.get("currency", "USD"), "issue_date": today(), "sent_at": None} | data
    raw["line_items"] = new_lines(store, kind, data.get("line_items") or [])
    _totals(raw)
    return raw


def create_invoice(store: Store, data: Raw) -> Raw:
    """A free-form invoice, always a draft (Harvest ignores any `state` in the body)."""
    if "line_items_import" in data:
        # Sandbox limitation, not Harvest's: building lines from tracked time is not simulated.
        raise SandboxError(422, "Line items import is not supported by the sandbox (send line_items)")
    if data.get("estimate_id") is not None:
        store.ref("estimates", data["estimate_id"], "estimate_id")
    if data.get("retainer_id") is not None:
        raise SandboxError(422, "Retainer must exist")  # the sandbox account has no retainers
    raw: Raw = {"payment_term": "custom", "payment_options": []}
    raw |= _document(store, "invoices", data)
    raw.update(state="draft", paid_at=None, paid_date=None, closed_at=None, due_amount=raw["amount"])
    _due_date(raw)
    return store.insert("invoices", raw)


def create_estimate(store: Store, data: Raw) -> Raw:
    """An estimate, always a draft."""
    raw = _document(store, "estimates", data)
    raw.update(state="draft", accepted_at=None, declined_at=None)
    return store.insert("estimates", raw)


def _update_document(store: Store, kind: str, raw: Raw, data: Raw) -> Raw:
    changed: dict[str, Any] = dict(data)
    if "client_id" in changed:
        store.ref("clients", changed["client_id"], "client_id")
    if "number" in changed:
        _numbered(store, kind, changed, raw["id"])
    if changed.get("line_items") is not None:
        changed["line_items"] = merged_lines(store, kind, raw["line_items"], changed["line_items"])
    elif "line_items" in changed:
        del changed["line_items"]
    document = raw | changed
    _totals(document)
    return document


def update_invoice(store: Store, raw: Raw, data: Raw) -> None:
    if data.get("estimate_id") is not None:
        store.ref("estimates", data["estimate_id"], "estimate_id")
    document = _update_document(store, "invoices", raw, data)
    _due_date(document)
    settle(store, document)  # before raw changes: a refused PATCH leaves the invoice as it was
    raw.update(document)


def update_estimate(store: Store, raw: Raw, data: Raw) -> None:
    raw.update(_update_document(store, "estimates", raw, data))


def delete_invoice(store: Store, raw: Raw) -> None:
    for kind in ("invoice_payments", "invoice_messages"):
        for obj in store.find(kind, invoice_id=raw["id"]):
            store.remove(kind, obj["id"])


def delete_estimate(store: Store, raw: Raw) -> None:
    for obj in store.find("estimate_messages", estimate_id=raw["id"]):
        store.remove("estimate_messages", obj["id"])


RULES: dict[str, KindRules] = {
    "invoices": KindRules(create=create_invoice, update=update_invoice, delete=delete_invoice),
    "estimates": KindRules(create=create_estimate, update=update_estimate, delete=delete_estimate),
}
