"""Harvest v1 export -> Harvest v2 plan: one module per resource family, walked in dependency order.

Order matters for the facts one family hands the next (category names and prices, invalid
invoices), not for loading: the loader orders by the registry and each plan entry's refs.
"""

from __future__ import annotations

from collections.abc import Callable

from migrator.mappings.harvest_v1.clients import map_clients, map_contacts
from migrator.mappings.harvest_v1.context import V1Mapping
from migrator.mappings.harvest_v1.expenses import map_expenses
from migrator.mappings.harvest_v1.invoices import map_invoices
from migrator.mappings.harvest_v1.people import map_users
from migrator.mappings.harvest_v1.projects import map_projects, map_task_assignments, map_user_assignments
from migrator.mappings.harvest_v1.tasks import map_expense_categories, map_invoice_item_categories, map_tasks
from migrator.mappings.harvest_v1.time import map_time_entries
from migrator.planned import MapContext, MapSink
from migrator.sources.export import SourceExport
from migrator.sources.harvest_v1.records import Account

STEPS: tuple[Callable[[V1Mapping], None], ...] = (
    map_clients,
    map_contacts,
    map_users,
    map_tasks,
    map_expense_categories,
    map_invoice_item_categories,
    map_projects,
    map_user_assignments,
    map_task_assignments,
    map_time_entries,
    map_expenses,
    map_invoices,  # with payments and state events
)


def map_export(export: SourceExport, sink: MapSink, ctx: MapContext) -> None:
    """Map every record of a Harvest v1 export into `sink` (planned objects, lossy notes, errors)."""
    account = export.get("account", "account")
    m = V1Mapping(export, sink, ctx, account=account if isinstance(account, Account) else None)
    for step in STEPS:
        step(m)
