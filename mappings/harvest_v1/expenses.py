"""Harvest v1 expenses -> v2 `expenses`.

v2 expenses have no external reference, so the notes end with a marker line
`[migrator harvest-v1 expense <id>]` that the loader reconciles by (registry `marker`).
Units: v2 takes whole `units` for unit-priced categories (mileage) and derives the cost from the
category's price. Units are sent only when they are whole and units x price reproduces v1's
total; otherwise the v1 `total_cost` is sent alone, because the money must not change.
Receipts: the file in a `receipts` folder beside the export goes with the expense; one that v1
says exists (`has-receipt`) but that no folder holds is a lossy note naming the file expected.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from migrator.harvest.invoice_math import cents
from migrator.lossy import KindNotes
from migrator.mappings.harvest_v1.context import V1Mapping
from migrator.mappings.receipts import FIELD as RECEIPT
from migrator.mappings.receipts import planned_receipt
from migrator.planned import Ref
from migrator.sources.harvest_v1.records import Expense

KIND = "expenses"
USED = {
    "user_id",
    "project_id",
    "expense_category_id",
    "spent_at",
    "total_cost",
    "units",
    "notes",
    "billable",
    "is_closed",
    "is_billed",
    "is_locked",
    "has_receipt",
    "receipt_url",
    "invoice_id",
}
ONCE = {"company_id": "the v1 account id; the target account is chosen by the run"}
WHY = {"locked_reason": "v2 sets its own lock reason"}


def marker(expense_id: str) -> str:
    """The reconciliation marker appended to an expense's notes, on its own line."""
    return f"[migrator harvest-v1 expense {expense_id}]"


def with_marker(notes: str | None, expense_id: str) -> str:
    """`notes` + a newline + the marker (the marker alone when there are no notes)."""
    tag = marker(expense_id)
    return f"{notes.rstrip()}\n{tag}" if notes and notes.strip() else tag


def _units(expense: Expense, price: Decimal | None, notes: KindNotes) -> int | None:
    """Whole units to send beside the total, or None (noting what v1 had)."""
    units = expense.units
    if units is None or price is None:
        if units is not None:
            notes.note(
                expense.id,
                "units",
                f"{units} units but the category has no unit price; total_cost sent",
                severity="data",
            )
        return None
    if units != units.to_integral_value():
        notes.note(
            expense.id,
            "units",
            f"{units} units are not whole (v2 units are integers); total_cost sent",
            severity="data",
        )
        return None
    if expense.total_cost is not None and cents(units * price) != cents(expense.total_cost):
        notes.note(
            expense.id,
            "units",
            f"{units} x {price} = {cents(units * price)} differs from v1 total_cost {expense.total_cost}; "
            "total_cost sent without units",
            severity="data",
        )
        return None
    return int(units)


def map_expenses(m: V1Mapping) -> None:
    """Plan one v2 expense per v1 expense."""
    notes = m.notes(KIND)
    for expense in m.records("expenses", KIND, Expense):
        price = m.unit_prices.get(expense.expense_category_id or "")
        data: dict[str, Any] = {
            "project_id": str(Ref("projects", expense.project_id)) if expense.project_id else None,
            "expense_category_id": (
                str(Ref("expense_categories", expense.expense_category_id)) if expense.expense_category_id else None
            ),
            "user_id": str(Ref("users", expense.user_id)) if expense.user_id else None,
            "spent_date": expense.spent_at,
            "total_cost": expense.total_cost,
            "units": _units(expense, price, notes),
            "notes": with_marker(expense.notes, expense.id),
            "billable": expense.billable,
        }
        notes.once(
            "notes",
            "each expense's notes end with a '[migrator harvest-v1 expense <id>]' line for reconciliation",
            severity="data",
        )
        _flags(expense, notes)
        notes.dropped(expense, used=USED, once=ONCE, why=WHY)
        receipt = planned_receipt(m.sink, m.ctx, KIND, expense.id, m.export.receipt(expense.id))
        if receipt is None and (expense.has_receipt or expense.receipt_url):
            where = f" ({expense.receipt_url})" if expense.receipt_url else ""
            notes.note(
                expense.id,
                RECEIPT,
                f"v1 has a receipt{where} but no file receipts/{expense.id}.* lies beside the export: not migrated "
                "(`migrator export` fetches receipts, or put the file in a receipts folder)",
                severity="data",
            )
        m.sink.emit(KIND, expense.id, data, expense.origin, receipt=receipt)


def _flags(expense: Expense, notes: KindNotes) -> None:
    """v1 states v2 cannot take through its API (false is v2's default)."""
    if expense.is_billed or (expense.invoice_id not in (None, "0")):
        invoice = f" on invoice {expense.invoice_id}" if expense.invoice_id not in (None, "0") else ""
        notes.note(
            expense.id, "is_billed", f"billed in v1{invoice}; migrated unbilled (free-form invoices)", severity="data"
        )
    if expense.is_closed or expense.is_locked:
        notes.note(
            expense.id, "is_closed", "approved/locked in v1; v2 approval cannot be set through the API", severity="data"
        )
