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

# Steps that change the state of an object that exists, planned beside the objects (history first,
# archive last): an archived object receives its history while active, then is archived at the end.
STEPS: tuple[str, ...] = ("reactivations", "archives")

# What plans, the ledger and reports list, in load order: reactivations run before anything else,
# archives after everything else.
PLAN_KINDS: tuple[str, ...] = ("reactivations", *KINDS, "archives")

ACTIONS: tuple[str, ...] = ("create", "update", "unchanged", "adopt", "invalid", "skipped")


_INDEX = {kind: index for index, kind in enumerate(PLAN_KINDS)}


def kind_index(kind: str) -> int:
    """Position of `kind` in load order (unknown kinds sort last)."""
    return _INDEX.get(kind, len(PLAN_KINDS))
