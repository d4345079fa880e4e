"""The Harvest v2 kinds every report lists, in dependency order (CONTRACT.md, "Kinds")."""

from __future__ import annotations

# CONTRACT.md fixes the first fifteen and their order; estimate item categories and estimate
# messages are our additions (estimates need a category per line kind and a state replay).
KINDS: tuple[str, ...] = (
    "clients",
    "contacts",
    "users",
    "tasks",
    "expense_categories",
    "invoice_item_categories",
    "estimate_item_categories",
    "projects",
    "user_assignments",
    "task_assignments",
    "time_entries",
    "expenses",
    "estimates",
    "estimate_messages",
    "invoices",
    "invoice_payments",
    "invoice_messages",
)

ACTIONS: tuple[str, ...] = ("create", "update", "unchanged", "adopt", "invalid", "skipped")


def kind_index(kind: str) -> int:
    """Position of `kind` in dependency order (unknown kinds sort last)."""
    try:
        return KINDS.index(kind)
    except ValueError:
        return len(KINDS)
