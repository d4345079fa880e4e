"""FreshBooks invoices, estimates, payments, items and recurring profiles -> v2.

Lines: a Time line becomes kind "Service"; an Item line whose name is a FreshBooks item becomes
that item's name, and the item is planned as a v2 invoice item category and/or estimate item
category (only items some invoice / estimate line uses: v2 keeps the two lists apart); other Item
lines become "Product". Name and description are joined into the v2 description. Money first: a
line whose stated amount v2's rounding of quantity x price would not reproduce is sent as 1 x that
amount, with the quantity and price kept in its description (noted).

Taxes (`taxes.py`): FreshBooks taxes each line with up to two rates; v2 has two non-compound
invoice-level rates, `tax` and `tax2`, with per-line flags `taxed` / `taxed2`. A document whose
lines use at most two distinct rates is sent exactly (a compound tax2 as its exact non-compound
equivalent, noted), unless one line charges a rate twice beside another rate; otherwise the pair
covering the largest tax amount is kept and the note gives the lines and rates left out and the tax
difference to the cent. Tax names have no v2 field: one note per document.

State replay (no email, ever): draft -> nothing; sent/viewed/disputed -> an event `send`;
partial/paid/auto-paid -> `send` then the payments (`send_thank_you: false`); retry/failed ->
`send`, noted. Payments without an invoice are credits: skipped and reported.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from migrator.errors import SourceError
from migrator.harvest.invoice_math import cents, invoice_totals
from migrator.mappings.freshbooks.common import notes_of, skipped_as_deleted, unreadable
from migrator.mappings.freshbooks.taxes import map_taxes
from migrator.planned import MapContext, MapSink, Ref
from migrator.sources.export import SourceExport
from migrator.sources.freshbooks.records import Item, Line, Payment, Recurring

SEND_STATES = {"sent", "viewed", "disputed", "partial", "paid", "auto-paid", "retry", "failed"}
BILLING_MAPPED = {
    "client_id",
    "number",
    "status",
    "date",
    "po_number",
    "discount",
    "notes",
    "terms",
    "currency_code",
    "amount",
    "folder",
    "lines",
    "amount_outstanding",
    "paid",
    "organization",
}


def _line_kind(line: Line, items: dict[str, Item], used: dict[str, Item]) -> str:
    if (line.type or "").lower() == "time":
        return "Service"
    item = items.get((line.name or "").casefold())
    if item is not None:
        used[item.id] = item
        return str(item.name)
    return "Product"


def _lines(
    kind: str, record: Any, items: dict[str, Item], used: dict[str, Item], sink: MapSink, estimate: bool
) -> tuple[list[dict[str, Any]], Any, Any, list[str]]:
    lines = [line for line in record.lines or [] if isinstance(line, Line)]
    blank = [line for line in lines if not (line.name or line.description) and not line.amount and not line.unit_cost]
    if blank:
        notes_of(sink, kind).note(
            record.id, "lines", f"{len(blank)} blank line(s) (no name, no amount) left out", severity="data"
        )
    lines = [line for line in lines if line not in blank]
    out, categories = [], []
    for index, line in enumerate(lines):
        line_kind = _line_kind(line, items, used)
        categories.append(line_kind)
        description = " — ".join(part for part in (line.name, line.description) if part) or None
        quantity, unit_price = line.quantity if line.quantity is not None else Decimal(1), line.unit_cost or Decimal(0)
        if estimate and quantity != quantity.to_integral_value():
            notes_of(sink, kind).note(
                record.id,
                f"lines.{index + 1}.quantity",
                f"v2 estimate quantities are whole numbers: {quantity} × {unit_price} sent as 1 × "
                f"{cents(quantity * unit_price)}",
                severity="data",
            )
            quantity, unit_price = Decimal(1), cents(quantity * unit_price)
        elif line.amount is not None and cents(line.amount) != cents(quantity * unit_price):
            # Money first: v2 would compute another line amount from quantity x price (its rounding).
            detail = f"{quantity} × {unit_price}"
            notes_of(sink, kind).note(
                record.id,
                f"lines.{index + 1}.quantity",
                f"FreshBooks billed {detail} = {line.amount}, which v2 would compute as "
                f"{cents(quantity * unit_price)}: sent as 1 × {line.amount}, with '{detail}' in the description",
                severity="data",
            )
            quantity, unit_price = Decimal(1), line.amount
            description = f"{description} ({detail})" if description else f"({detail})"
        out.append(
            {
                "kind": line_kind,
                "description": description,
                "quantity": int(quantity) if estimate else quantity,
                "unit_price": unit_price,
                "taxed": False,  # set by `map_taxes`, which needs every line's amount
                "taxed2": False,
            }
        )
    tax, tax2 = map_taxes(kind, record, lines, out, sink)
    return out, tax, tax2, categories


def _common(record: Any, lines: list[dict[str, Any]], tax: Any, tax2: Any) -> dict[str, Any]:
    notes = "\n\n".join(part for part in (record.notes, record.terms) if part) or None
    return {
        "client_id": str(Ref("clients", record.client_id)) if record.client_id else None,
        "number": record.number,
        "purchase_order": record.po_number,
        "tax": tax,
        "tax2": tax2,
        "discount": record.discount or None,
        "notes": notes,
        "currency": (record.currency_code or "").upper() or None,
        "issue_date": record.date,
        "line_items": lines,
    }


def map_billing(export: SourceExport, sink: MapSink, ctx: MapContext) -> None:
    items = {str(item.name).casefold(): item for item in export.typed("items") if isinstance(item, Item) and item.name}
    # The items some line uses, per document kind: each becomes an item category of that kind
    # (invoices and estimates have separate category lists in v2), loaded before the documents.
    used: dict[str, dict[str, Item]] = {"invoices": {}, "estimates": {}}
    category_kind = {"invoices": "invoice_item_categories", "estimates": "estimate_item_categories"}
    planned_invoices: dict[str, str] = {}
    deferred: list[tuple[str, Any, dict[str, Any], list[str]]] = []
    for kind, resource in (("invoices", "invoices"), ("estimates", "estimates")):
        for record in export.typed(resource):
            if isinstance(record, SourceError):
                unreadable(export, sink, ctx, kind, record)
                continue
            if skipped_as_deleted(sink, ctx, kind, record):
                continue
            lines, tax, tax2, categories = _lines(kind, record, items, used[kind], sink, kind == "estimates")
            data = _common(record, lines, tax, tax2)
            if kind == "invoices":
                data["payment_term"] = "custom"
            deferred.append((kind, record, data, categories))
    for kind, items_used in used.items():
        for item in items_used.values():
            sink.emit(category_kind[kind], item.id, {"name": item.name}, item.origin)
    for kind, record, data, categories in deferred:
        after = tuple(
            sorted({str(Ref(category_kind[kind], item.id)) for item in used[kind].values() if item.name in categories})
        )
        sink.emit(kind, record.id, data, record.origin, after=after, facts=_facts(kind, record, data))
        _status(kind, record, data, sink)
        if kind == "invoices":
            planned_invoices[record.id] = str(record.status or "draft").lower()
        notes_of(sink, kind).dropped(
            record, used=BILLING_MAPPED | {"language"} if not record.language else BILLING_MAPPED
        )
        if record.amount is not None:  # an estimate's total too: `verify` compares both with the source's
            expected = invoice_totals(
                data["line_items"], tax=data.get("tax"), tax2=data.get("tax2"), discount=data.get("discount")
            ).amount
            if cents(record.amount) != expected:
                notes_of(sink, kind).note(
                    record.id,
                    "amount",
                    f"FreshBooks total {cents(record.amount)}, Harvest will compute {expected}",
                    severity="money",
                )
    _payments(export, sink, planned_invoices)
    for recurring in export.typed("recurrings"):
        if isinstance(recurring, Recurring):
            notes_of(sink, "invoices").note(
                f"recurring:{recurring.id}",
                "*",
                f"recurring profile (every {recurring.frequency}) has no v2 API: not migrated",
                severity="data",
            )


# FreshBooks status -> the v2 state that represents it (what `verify` expects the target to show).
V2_STATE = {
    "invoices": {"draft": "draft", "paid": "paid", "auto-paid": "paid"},  # anything else sent: open
    "estimates": {"draft": "draft", "accepted": "accepted", "declined": "declined"},  # else sent
}


def _facts(kind: str, record: Any, data: dict[str, Any]) -> dict[str, Any]:
    """What FreshBooks itself stated, for `verify`: amount, outstanding amount, currency, state."""
    status = str(record.status or "draft").lower()
    facts: dict[str, Any] = {
        "amount": record.amount,
        "currency": data.get("currency"),
        "state": V2_STATE[kind].get(status, "open" if kind == "invoices" else "sent"),
    }
    if kind == "invoices":
        facts["due_amount"] = getattr(record, "amount_outstanding", None)
    return facts


def _status(kind: str, record: Any, data: dict[str, Any], sink: MapSink) -> None:
    status = str(record.status or "draft").lower()
    if kind == "estimates":
        if status == "draft":
            return
        sink.emit(
            "estimate_messages",
            f"{record.id}:send",
            {"estimate_id": str(Ref("estimates", record.id)), "event_type": "send"},
            record.origin,
        )
        if status in ("accepted", "declined"):
            event = "accept" if status == "accepted" else "decline"
            sink.emit(
                "estimate_messages",
                f"{record.id}:{event}",
                {"estimate_id": str(Ref("estimates", record.id)), "event_type": event},
                record.origin,
                after=(str(Ref("estimate_messages", f"{record.id}:send")),),
            )
        elif status not in ("sent", "viewed"):
            notes_of(sink, kind).note(
                record.id, "status", f"FreshBooks status {status!r} has no v2 state: left as sent", severity="data"
            )
        return
    if status == "draft":
        return
    if status not in SEND_STATES:
        notes_of(sink, kind).note(
            record.id, "status", f"unknown FreshBooks status {status!r}: replayed as sent", severity="data"
        )
    if status in ("disputed", "retry", "failed"):
        notes_of(sink, kind).note(
            record.id,
            "status",
            f"FreshBooks status {status!r} has no v2 state: replayed as sent (open)",
            severity="data",
        )
    sink.emit(
        "invoice_messages",
        f"{record.id}:send",
        {"invoice_id": str(Ref("invoices", record.id)), "event_type": "send"},
        record.origin,
    )


def _payments(export: SourceExport, sink: MapSink, invoices: dict[str, str]) -> None:
    by_invoice: dict[str, list[str]] = defaultdict(list)
    for payment in export.typed("payments"):
        if isinstance(payment, SourceError):
            sink.invalid_source("invoice_payments", payment)
            continue
        assert isinstance(payment, Payment)
        if not payment.invoice_id:
            sink.skip(
                "invoice_payments",
                payment.id,
                payment.origin,
                f"a credit of {payment.amount} without an invoice: v2 has no client credits",
            )
            continue
        if payment.invoice_id not in invoices:
            sink.invalid(
                "invoice_payments",
                payment.id,
                payment.origin,
                f"its invoice {payment.invoice_id} is not in the source (or not migrated)",
            )
            continue
        if invoices[payment.invoice_id] == "draft":
            sink.invalid(
                "invoice_payments",
                payment.id,
                payment.origin,
                f"invoice {payment.invoice_id} is a draft: v2 records payments only on sent invoices",
            )
            continue
        notes = " — ".join(part for part in (payment.type, payment.notes) if part) or None
        data = {
            "invoice_id": str(Ref("invoices", payment.invoice_id)),
            "amount": payment.amount,
            "paid_date": payment.date,
            "notes": notes,
        }
        sink.emit(
            "invoice_payments",
            payment.id,
            data,
            payment.origin,
            after=(str(Ref("invoice_messages", f"{payment.invoice_id}:send")),),
        )
        by_invoice[payment.invoice_id].append(payment.id)
