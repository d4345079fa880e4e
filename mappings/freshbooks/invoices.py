"""FreshBooks invoices, estimates, payments, items and recurring profiles -> v2.

Lines: a Time line becomes kind "Service"; an Item line whose name is a FreshBooks item becomes
that item's name, and the item is planned as a v2 invoice item category (only items some line
uses); other Item lines become "Product". Name and description are joined into the v2 description.

Taxes: FreshBooks taxes each line; v2 has two invoice-level rates with per-line on/off flags. When
every taxed line agrees on its first (and second) rate, that rate becomes the invoice's `tax`
(`tax2`) and each line's `taxed` (`taxed2`) says whether it carried it. When lines disagree, the
rate covering the largest amount is kept, lines at other rates are sent untaxed, and the lossy
note gives the lines, their rates and the exact tax difference.

State replay (no email, ever): draft -> nothing; sent/viewed/disputed -> an event `send`;
partial/paid/auto-paid -> `send` then the payments (`send_thank_you: false`); retry/failed ->
`send`, noted. Payments without an invoice are credits: skipped and reported.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from mappings.freshbooks.common import report_dropped, skipped_as_deleted, unreadable
from migrator.errors import SourceError
from migrator.harvest.invoice_math import cents, invoice_totals
from migrator.mapping import MapContext, MapSink, ref
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


def _taxes(kind: str, record: Any, lines: list[Line], sink: MapSink) -> tuple[Any, Any, list[tuple[bool, bool]]]:
    """Invoice-level tax/tax2 and per-line flags (see the module docstring)."""
    chosen: list[Decimal | None] = []
    for slot in ("tax1", "tax2"):
        weights: dict[Decimal, Decimal] = {}
        for line in lines:
            rate = getattr(line, f"{slot}_percent")
            if rate:
                amount = line.amount or (line.unit_cost or Decimal(0)) * (line.quantity or Decimal(0))
                weights[rate] = weights.get(rate, Decimal(0)) + abs(amount)
        if not weights:
            chosen.append(None)
            continue
        rate = max(weights, key=lambda r: (weights[r], r))
        chosen.append(rate)
        others = [
            (index + 1, getattr(line, f"{slot}_percent"), line)
            for index, line in enumerate(lines)
            if getattr(line, f"{slot}_percent") and getattr(line, f"{slot}_percent") != rate
        ]
        if others:
            dropped = sum(
                (cents((other.amount or 0) * other_rate / 100) for _n, other_rate, other in others), Decimal(0)
            )
            described = ", ".join(f"line {n} at {other_rate}%" for n, other_rate, _other in others)
            sink.lossy(
                kind,
                record.id,
                slot,
                f"lines disagree on {slot}: kept {rate}% (largest amount); {described} sent untaxed; "
                f"the tax total is {dropped} lower than in FreshBooks",
            )
    flags = [
        (bool(chosen[0]) and line.tax1_percent == chosen[0], bool(chosen[1]) and line.tax2_percent == chosen[1])
        for line in lines
    ]
    return chosen[0], chosen[1], flags


def _lines(
    kind: str, record: Any, items: dict[str, Item], used: dict[str, Item], sink: MapSink, estimate: bool
) -> tuple[list[dict[str, Any]], Any, Any, list[str]]:
    lines = [line for line in record.lines or [] if isinstance(line, Line)]
    blank = [line for line in lines if not (line.name or line.description) and not line.amount and not line.unit_cost]
    if blank:
        sink.lossy(kind, record.id, "lines", f"{len(blank)} blank line(s) (no name, no amount) left out")
    lines = [line for line in lines if line not in blank]
    tax, tax2, flags = _taxes(kind, record, lines, sink)
    out, categories = [], []
    for index, (line, (taxed, taxed2)) in enumerate(zip(lines, flags, strict=True)):
        line_kind = _line_kind(line, items, used)
        categories.append(line_kind)
        description = " — ".join(part for part in (line.name, line.description) if part) or None
        quantity, unit_price = line.quantity if line.quantity is not None else Decimal(1), line.unit_cost or Decimal(0)
        if estimate and quantity != quantity.to_integral_value():
            sink.lossy(
                kind,
                record.id,
                f"lines.{index + 1}.quantity",
                f"v2 estimate quantities are whole numbers: {quantity} × {unit_price} sent as 1 × "
                f"{cents(quantity * unit_price)}",
            )
            quantity, unit_price = Decimal(1), cents(quantity * unit_price)
        if line.compound_tax:
            sink.lossy(kind, record.id, f"lines.{index + 1}.compound_tax", "compound tax has no v2 equivalent")
        out.append(
            {
                "kind": line_kind,
                "description": description,
                "quantity": int(quantity) if estimate else quantity,
                "unit_price": unit_price,
                "taxed": taxed,
                "taxed2": taxed2,
            }
        )
    return out, tax, tax2, categories


def _common(record: Any, lines: list[dict[str, Any]], tax: Any, tax2: Any) -> dict[str, Any]:
    notes = "\n\n".join(part for part in (record.notes, record.terms) if part) or None
    return {
        "client_id": ref("clients", record.client_id) if record.client_id else None,
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


def map_billing(export: SourceExport, sink: MapSink, ctx: MapContext, seen: set[str]) -> None:
    items = {str(item.name).casefold(): item for item in export.typed("items") if isinstance(item, Item) and item.name}
    used: dict[str, Item] = {}
    planned_invoices: dict[str, str] = {}
    deferred: list[tuple[str, Any, dict[str, Any], list[str]]] = []
    for kind, resource in (("invoices", "invoices"), ("estimates", "estimates")):
        for record in export.typed(resource):
            if isinstance(record, SourceError):
                unreadable(export, sink, ctx, kind, record)
                continue
            if skipped_as_deleted(sink, ctx, kind, record):
                continue
            lines, tax, tax2, categories = _lines(kind, record, items, used, sink, kind == "estimates")
            data = _common(record, lines, tax, tax2)
            if kind == "invoices":
                data["payment_term"] = "custom"
            deferred.append((kind, record, data, categories))
    for item in used.values():
        sink.emit("invoice_item_categories", item.id, {"name": item.name}, item.origin)
    for kind, record, data, categories in deferred:
        category_kind = "invoice_item_categories" if kind == "invoices" else "estimate_item_categories"
        after = tuple(sorted({ref(category_kind, item.id) for item in used.values() if item.name in categories}))
        if kind == "estimates":
            after = ()  # estimate categories are adopted by name (Service/Product exist in every account)
            for name in set(categories) - {"Service", "Product"}:
                sink.lossy(kind, record.id, "lines.kind", f"estimate item {name!r} sent as its own category name")
        sink.emit(kind, record.id, data, record.origin, after=after)
        _status(kind, record, data, sink)
        if kind == "invoices":
            planned_invoices[record.id] = str(record.status or "draft").lower()
        report_dropped(
            sink, kind, record, BILLING_MAPPED | {"language"} if not record.language else BILLING_MAPPED, seen
        )  # type: ignore[arg-type]
        if kind == "invoices" and record.amount is not None:
            expected = invoice_totals(
                data["line_items"], tax=data.get("tax"), tax2=data.get("tax2"), discount=data.get("discount")
            ).amount
            if cents(record.amount) != expected:
                sink.lossy(
                    kind,
                    record.id,
                    "amount",
                    f"FreshBooks total {cents(record.amount)}, Harvest will compute {expected}",
                )
    _payments(export, sink, planned_invoices)
    for recurring in export.typed("recurrings"):
        if isinstance(recurring, Recurring):
            sink.lossy(
                "invoices",
                f"recurring:{recurring.id}",
                "*",
                f"recurring profile (every {recurring.frequency}) has no v2 API: not migrated",
            )


def _status(kind: str, record: Any, data: dict[str, Any], sink: MapSink) -> None:
    status = str(record.status or "draft").lower()
    if kind == "estimates":
        if status == "draft":
            return
        sink.emit(
            "estimate_messages",
            f"{record.id}:send",
            {"estimate_id": ref("estimates", record.id), "event_type": "send"},
            record.origin,
        )
        if status in ("accepted", "declined"):
            event = "accept" if status == "accepted" else "decline"
            sink.emit(
                "estimate_messages",
                f"{record.id}:{event}",
                {"estimate_id": ref("estimates", record.id), "event_type": event},
                record.origin,
                after=(ref("estimate_messages", f"{record.id}:send"),),
            )
        elif status not in ("sent", "viewed"):
            sink.lossy(kind, record.id, "status", f"FreshBooks status {status!r} has no v2 state: left as sent")
        return
    if status == "draft":
        return
    if status not in SEND_STATES:
        sink.lossy(kind, record.id, "status", f"unknown FreshBooks status {status!r}: replayed as sent")
    if status in ("disputed", "retry", "failed"):
        sink.lossy(kind, record.id, "status", f"FreshBooks status {status!r} has no v2 state: replayed as sent (open)")
    sink.emit(
        "invoice_messages",
        f"{record.id}:send",
        {"invoice_id": ref("invoices", record.id), "event_type": "send"},
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
            "invoice_id": ref("invoices", payment.invoice_id),
            "amount": payment.amount,
            "paid_date": payment.date,
            "notes": notes,
        }
        sink.emit(
            "invoice_payments",
            payment.id,
            data,
            payment.origin,
            after=(ref("invoice_messages", f"{payment.invoice_id}:send"),),
        )
        by_invoice[payment.invoice_id].append(payment.id)
