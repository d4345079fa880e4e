"""FreshBooks Classic -> Harvest v2, one module per record family, walked in dependency order."""

from __future__ import annotations

from migrator.mappings.freshbooks.clients import map_clients
from migrator.mappings.freshbooks.expenses import map_categories, map_expenses
from migrator.mappings.freshbooks.invoices import map_billing
from migrator.mappings.freshbooks.projects import map_projects, map_tasks
from migrator.mappings.freshbooks.staff import map_staff
from migrator.mappings.freshbooks.time import map_time
from migrator.mappings.freshbooks.usage import HistoryUsage
from migrator.planned import MapContext, MapSink
from migrator.sources.export import SourceExport


def map_export(export: SourceExport, sink: MapSink, ctx: MapContext) -> None:
    """Map every FreshBooks record of `export` into `sink`."""
    archived_clients = map_clients(export, sink, ctx)
    map_staff(export, sink, ctx)
    task_rates = map_tasks(export, sink, ctx)
    map_categories(export, sink, ctx)
    # History before projects: the time entries and expenses count the assignments they imply.
    usage = HistoryUsage()
    map_time(export, sink, ctx, usage)
    map_expenses(export, sink, ctx, usage)
    map_projects(export, sink, ctx, task_rates, usage, archived_clients)
    map_billing(export, sink, ctx)
