"""Harvest v1 invoices -> v2 free-form `invoices` (their state is replayed by `replay`).

Line items come from the detail body's `csv-line-items`; a list summary has none, so an invoice
with an amount but no lines is invalid (its money would vanish) and says which body to add.
The due date is kept exactly: v2 honours `due_date` only with `payment_term: custom`, so every
invoice with a due date is sent as custom and a named v1 term ("net 30") is noted. v2 recomputes
every total from the lines: a line whose v1 amount v2's rounding would not reproduce is sent as
1 x that amount (the money is kept; quantity and price move into its description, noted), and a
v1 total it still will not reproduce is noted with both numbers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from migrator.errors import SourceError
from migrator.harvest.invoice_math import InvoiceTotals, cents, invoice_totals
from migrator.lossy import KindNotes, Reason
from migrator.mappings.harvest_v1.clients import currency_code, normalise_text
from migrator.mappings.harvest_v1.context import V1Mapping
from migrator.mappings.harvest_v1.lossy import show
from migrator.mappings.harvest_v1.replay import V2_STATE, replay_state, report_orphans
from migrator.planned import Ref
from migrator.sources.harvest_v1.csv_lines import LineItem, parse_line_items
from migrator.sources.harvest_v1.records import Invoice

KIND = "invoices"
TERMS = ("upon receipt", "net 15", "net 30", "net 45", "net 60", "custom")
USED = {
    "client_id",
    "number",
    "state",
    "amount",
    "currency",
    "issued_at",
    "due_at",
    "due_at_human_format",
    "subject",
    "notes",
    "purchase_order",
    "tax",
    "tax2",
    "discount",
    "csv_line_items",
}
_DERIVED = "recomputed by Harvest v2 from the line items, taxes, discount and payments"
ONCE: dict[str, str | Reason] = {
    "due_amount": Reason(_DERIVED, "cosmetic"),
    "tax_amount": Reason(_DERIVED, "cosmetic"),
    "tax2_amount": Reason(_DERIVED, "cosmetic"),
    "discount_amount": Reason(_DERIVED, "cosmetic"),
    "client_name": "v2 shows the linked client's name",
}
WHY = {
    "client_key": "the public invoice link cannot be kept (v2 issues a new client key)",
    "created_by_id": "v2 records the migrating user as the creator",
    "recurring_invoice_id": "v1 recurring profiles are not exported by the v1 API",
    "retainer_id": "v1 retainers are not exported by the v1 API",
    "estimate_id": "v1 had no estimates API, so the estimate is not in the export",
    "period_start": "v2 sets an invoice period only for invoices imported from tracked time",
    "period_end": "v2 sets an invoice period only for invoices imported from tracked time",
    "kind": "migrated invoices are free-form",
}


def payment_term(human: str | None) -> str | None:
    """`"due upon receipt"` -> `"upon receipt"`, `"NET 30"` -> `"net 30"` (None when blank)."""
    if human is None:
        return None
    return human.strip().lower().removeprefix("due ").strip() or None


def _line(item: LineItem, invoice_id: str, notes: KindNotes) -> dict[str, Any]:
    """One v2 line. Money first: where v2's rounding of quantity x price would not give v1's own line
    amount, the line is sent as 1 x that amount, the quantity and price kept in its description."""
    quantity, unit_price, description = item.quantity, item.unit_price, item.description
    computed = cents((quantity if quantity is not None else Decimal(1)) * unit_price)
    if item.amount is not None and cents(item.amount) != computed:
        detail = f"{quantity if quantity is not None else 1} × {unit_price}"
        notes.note(
            invoice_id,
            "csv_line_items",
            f"row {item.row}: v1 billed {detail} = {item.amount}, which v2 would round to {computed}: "
            f"sent as 1 × {item.amount}, with '{detail}' in the description",
            severity="data",
        )
        quantity, unit_price = Decimal(1), item.amount
        description = f"{description} ({detail})" if description else f"({detail})"
    return {
        "kind": item.kind,
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "taxed": item.taxed,
        "taxed2": item.taxed2,
        "project_id": str(Ref("projects", item.project_id)) if item.project_id else None,
    }


def _check_amounts(invoice: Invoice, totals: InvoiceTotals, notes: KindNotes) -> None:
    """Note a v1 total that v2's arithmetic (round each line, then percentages) will not reproduce."""
    if invoice.amount is not None and cents(invoice.amount) != totals.amount:
        notes.note(
            invoice.id,
            "amount",
            f"v1 amount {invoice.amount}, v2 will compute {totals.amount} (subtotal {totals.subtotal}, "
            f"discount {totals.discount_amount}, tax {totals.tax_amount}, tax2 {totals.tax2_amount})",
            severity="money",
        )


def _terms(invoice: Invoice, data: dict[str, Any], notes: KindNotes) -> None:
    term = payment_term(invoice.due_at_human_format)
    if invoice.due_at is not None:
        data["payment_term"], data["due_date"] = "custom", invoice.due_at
        if term not in (None, "custom"):
            notes.note(
                invoice.id,
                "due_at_human_format",
                f"{invoice.due_at_human_format!r} sent as 'custom' with due_date {invoice.due_at} "
                "(v2 honours a due date only with custom terms)",
                severity="data",
            )
    elif term in TERMS:
        data["payment_term"] = term
    elif term is not None:
        notes.note(
            invoice.id,
            "due_at_human_format",
            f"{invoice.due_at_human_format!r} is no v2 term; v2 default used",
            severity="data",
        )


def map_invoice(m: V1Mapping, invoice: Invoice) -> None:
    """Plan one invoice and replay its state (send, payments, close)."""
    notes = m.notes(KIND)
    try:
        items = parse_line_items(
            invoice.csv_line_items, invoice_id=invoice.id, file=invoice.origin.file, line=invoice.origin.line
        )
    except SourceError as exc:
        reason = f"field 'csv_line_items': {exc.message}"
        m.invalid_invoices[invoice.id] = reason
        m.sink.invalid(KIND, invoice.id, invoice.origin, reason)
        return
    if not items and invoice.amount:
        reason = (
            f"field 'csv_line_items': absent, but the amount is {invoice.amount}: only the list summary was "
            f"exported; add the GET /invoices/{invoice.id} body"
        )
        m.invalid_invoices[invoice.id] = reason
        m.sink.invalid(KIND, invoice.id, invoice.origin, reason)
        return
    code, invalid = currency_code(invoice.currency, notes, invoice.id, allow_successor=False)
    subject, subject_changed = normalise_text(invoice.subject)
    text, notes_changed = normalise_text(invoice.notes)
    for name, changed, value in (
        ("subject", subject_changed, invoice.subject),
        ("notes", notes_changed, invoice.notes),
    ):
        if changed:
            notes.note(invoice.id, name, f"line breaks CR LF normalised to LF: {show(value)}", severity="cosmetic")
    lines = [_line(item, invoice.id, notes) for item in items]
    data: dict[str, Any] = {
        "client_id": str(Ref("clients", invoice.client_id)) if invoice.client_id else None,
        "number": invoice.number,
        "purchase_order": invoice.purchase_order,
        "tax": invoice.tax,
        "tax2": invoice.tax2,
        "discount": invoice.discount,
        "subject": subject,
        "notes": text,
        "currency": code,
        "issue_date": invoice.issued_at,
        "line_items": lines,
    }
    _terms(invoice, data, notes)
    if invoice.number is None:
        notes.note(invoice.id, "number", "v1 invoice has no number; v2 will generate one", severity="data")
    totals = invoice_totals(lines, tax=invoice.tax, tax2=invoice.tax2, discount=invoice.discount)
    _check_amounts(invoice, totals, notes)
    notes.dropped(invoice, used=USED, once=ONCE, why=WHY)
    # Item categories are matched by name in v2: load the ones this invoice's lines use first.
    after = tuple(
        dict.fromkeys(
            str(Ref("invoice_item_categories", m.item_categories[item.kind.casefold()]))
            for item in items
            if item.kind.casefold() in m.item_categories
        )
    )
    # What v1 itself stated, for `verify` (not what v2 will compute from the lines).
    facts = {
        "amount": invoice.amount if invoice.amount is not None else totals.amount,
        "due_amount": invoice.due_amount,
        "currency": code,
        "state": V2_STATE.get((invoice.state or "draft").strip().lower()),
    }
    if invalid:
        planned = m.sink.invalid(KIND, invoice.id, invoice.origin, invalid, data=data, facts=facts)
    else:
        planned = m.sink.emit(KIND, invoice.id, data, invoice.origin, after=after, facts=facts)
    if planned.status == "skipped":  # left out by the map file: its payments and messages are too
        m.skipped_invoices[invoice.id] = planned.reason or "skipped"
        return
    if planned.status != "ok":
        m.invalid_invoices[invoice.id] = planned.reason or "invalid"
        return
    replay_state(m, invoice, totals.amount)


def map_invoices(m: V1Mapping) -> None:
    """Plan every invoice with its state replay, then report payments and messages left over."""
    for item in m.export.typed("invoices"):
        if isinstance(item, Invoice):
            map_invoice(m, item)
        elif isinstance(item, SourceError):
            m.invalid_invoices[item.record_id or "?"] = item.describe()
            m.sink.invalid_source(KIND, item)
    report_orphans(m)
