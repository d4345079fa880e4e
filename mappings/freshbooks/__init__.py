"""FreshBooks Classic -> Harvest v2, one module per record family, walked in dependency order."""

from __future__ import annotations

from mappings.freshbooks.clients import map_clients
from mappings.freshbooks.expenses import map_categories, map_expenses
from mappings.freshbooks.invoices import map_billing
from mappings.freshbooks.projects import map_projects, map_tasks
from mappings.freshbooks.staff import map_staff
from mappings.freshbooks.time import map_time
from mappings.freshbooks.usage import HistoryUsage
from migrator.planned import MapContext, MapSink
from migrator.sources.export import SourceExport


def map_export(export: SourceExport, sink: MapSink, ctx: MapContext) -> None:
    """Map every FreshBooks record of `export` into `sink`."""
    seen: set[str] = set()
    archived_clients = map_clients(export, sink, ctx, seen)
    map_staff(export, sink, ctx, seen)
    task_rates = map_tasks(export, sink, ctx, seen)
    map_categories(export, sink, ctx, seen)
    # History before projects: the time entries and expenses count the assignments they imply.
    usage = HistoryUsage()
    map_time(export, sink, ctx, seen, usage)
    map_expenses(export, sink, ctx, seen, usage)
    map_projects(export, sink, ctx, seen, task_rates, usage, archived_clients)
    map_billing(export, sink, ctx, seen)
