"""FreshBooks categories and expenses -> v2 expense categories and expenses.

Category hierarchies are flattened to "Parent › Child". An expense keeps its vendor at the head of
its notes and ends with a marker line `[migrator freshbooks expense <id>]`, the key the loader uses
to find it again after an unknown outcome (v2 expenses have no external reference). Taxes on
expenses have no v2 field; an expense without a project cannot exist in v2 and is invalid. Expenses
are mapped before projects: the person who spent must be assigned to the project (`usage`).
Receipts: the file in a `receipts` folder beside the export goes with the expense. FreshBooks says
nothing about receipts in an expense (only `receipt.get` knows), so no file means no note.
"""

from __future__ import annotations

from migrator.errors import SourceError
from migrator.mappings.freshbooks.common import notes_of, skipped_as_deleted, unreadable, user_ref
from migrator.mappings.freshbooks.usage import HistoryUsage
from migrator.mappings.receipts import planned_receipt
from migrator.planned import MapContext, MapSink, Ref
from migrator.sources.export import SourceExport
from migrator.sources.freshbooks.records import Category, Expense


def map_categories(export: SourceExport, sink: MapSink, ctx: MapContext) -> None:
    categories = [c for c in export.typed("categories") if isinstance(c, Category)]
    names = {c.id: c.name for c in categories}
    for error in (c for c in export.typed("categories") if isinstance(c, SourceError)):
        sink.invalid_source("expense_categories", error)
    for category in categories:
        name = category.name
        if category.parent_id and names.get(category.parent_id):
            name = f"{names[category.parent_id]} › {category.name}"
            notes_of(sink, "expense_categories").note(
                category.id, "parent_id", f"v2 categories are flat: named {name!r}", severity="data"
            )
        sink.emit("expense_categories", category.id, {"name": name, "is_active": True}, category.origin)
        for tax in ("tax1", "tax2"):
            if getattr(category, tax) is not None:
                notes_of(sink, "expense_categories").note(
                    category.id, tax, "no v2 field for a category tax", severity="data"
                )
        notes_of(sink, "expense_categories").dropped(category, used={"name", "parent_id", "tax1", "tax2"})


def map_expenses(export: SourceExport, sink: MapSink, ctx: MapContext, usage: HistoryUsage) -> None:
    """Map every expense; count in `usage` the staff each project's expenses name (Harvest needs them assigned)."""
    for expense in export.typed("expenses"):
        if isinstance(expense, SourceError):
            unreadable(export, sink, ctx, "expenses", expense)
            continue
        assert isinstance(expense, Expense)
        if skipped_as_deleted(sink, ctx, "expenses", expense):
            continue
        if not expense.project_id:
            sink.invalid("expenses", expense.id, expense.origin, "no project: a Harvest v2 expense needs one")
            continue
        notes = "\n".join(
            part
            for part in (
                f"Vendor: {expense.vendor}" if expense.vendor else None,
                expense.notes,
                f"[migrator freshbooks expense {expense.id}]",
            )
            if part
        )
        data = {
            "project_id": str(Ref("projects", expense.project_id)),
            "expense_category_id": str(Ref("expense_categories", expense.category_id)) if expense.category_id else None,
            "user_id": user_ref(expense.staff_id),
            "spent_date": expense.date,
            "total_cost": expense.amount,
            "notes": notes,
            "billable": bool(expense.client_id),
        }
        if expense.staff_id:
            usage.expense(expense.project_id, expense.staff_id, expense.origin)
        receipt = planned_receipt(sink, ctx, "expenses", expense.id, export.receipt(expense.id))
        sink.emit("expenses", expense.id, data, expense.origin, receipt=receipt)
        if expense.vendor:
            notes_of(sink, "expenses").note(
                expense.id, "vendor", "no v2 field: written at the head of the notes", severity="data"
            )
        for prefix in ("tax1", "tax2"):
            if getattr(expense, f"{prefix}_amount") or getattr(expense, f"{prefix}_percent"):
                notes_of(sink, "expenses").note(
                    expense.id,
                    prefix,
                    f"expense tax {getattr(expense, f'{prefix}_name')} "
                    f"{getattr(expense, f'{prefix}_percent')}% has no v2 field",
                    severity="data",
                )
        notes_of(sink, "expenses").dropped(
            expense,
            used={
                "staff_id",
                "category_id",
                "project_id",
                "client_id",
                "amount",
                "vendor",
                "date",
                "notes",
                "folder",
                "tax1_name",
                "tax1_percent",
                "tax1_amount",
                "tax2_name",
                "tax2_percent",
                "tax2_amount",
            },
        )
