"""Harvest v1 tasks, expense categories and invoice item categories: the account's vocabularies.

`deactivated` (archived) becomes `is_active = not deactivated`. Invoice item categories are keyed
by name in v2 (csv line items name their category), so the v1 id -> name map is kept for
invoices, which then load after the categories their lines use.
"""

from __future__ import annotations

from typing import Any

from migrator.mappings.harvest_v1.context import V1Mapping
from migrator.sources.harvest_v1.records import ExpenseCategory, InvoiceItemCategory, Task


def _active(deactivated: bool | None) -> bool | None:
    return None if deactivated is None else not deactivated


def map_tasks(m: V1Mapping) -> None:
    """Plan one v2 task per v1 task (an `is_default` task is added to every new v2 project)."""
    notes = m.notes("tasks")
    for task in m.records("tasks", "tasks", Task):
        data: dict[str, Any] = {
            "name": task.name,
            "billable_by_default": task.billable_by_default,
            "default_hourly_rate": task.default_hourly_rate,
            "is_default": task.is_default,
            "is_active": _active(task.deactivated),
        }
        notes.dropped(task, used={"name", "billable_by_default", "default_hourly_rate", "is_default", "deactivated"})
        m.sink.emit("tasks", task.id, data, task.origin)


def map_expense_categories(m: V1Mapping) -> None:
    """Plan one v2 expense category per v1 category; unit prices are kept for expenses."""
    notes = m.notes("expense_categories")
    for category in m.records("expense_categories", "expense_categories", ExpenseCategory):
        m.unit_prices[category.id] = category.unit_price
        data: dict[str, Any] = {
            "name": category.name,
            "unit_name": category.unit_name,
            "unit_price": category.unit_price,
            "is_active": _active(category.deactivated),
        }
        notes.dropped(category, used={"name", "unit_name", "unit_price", "deactivated"})
        m.sink.emit("expense_categories", category.id, data, category.origin)


def map_invoice_item_categories(m: V1Mapping) -> None:
    """Plan one v2 invoice item category per v1 category (v2 knows only the name)."""
    notes = m.notes("invoice_item_categories")
    why = {
        "use_as_service": "v2 item categories have no service flag (set in the v2 invoice settings)",
        "use_as_expense": "v2 item categories have no expense flag (set in the v2 invoice settings)",
    }
    for category in m.records("invoice_item_categories", "invoice_item_categories", InvoiceItemCategory):
        notes.dropped(category, used={"name"}, why=why)
        planned = m.sink.emit("invoice_item_categories", category.id, {"name": category.name}, category.origin)
        if planned.status == "ok" and category.name:
            m.item_categories.setdefault(category.name.casefold(), category.id)
