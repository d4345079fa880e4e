"""FreshBooks time entries -> v2 time entries (always with explicit hours: never a running timer).

Entries are mapped before projects: on the way, the tasks and staff that log time on each project
are counted (`usage.HistoryUsage`), so the projects can imply the assignments Harvest needs without
a second pass over what may be a million entries.
"""

from __future__ import annotations

from migrator.errors import SourceError
from migrator.mappings.clock import span_for
from migrator.mappings.freshbooks.common import notes_of, user_ref
from migrator.mappings.freshbooks.usage import HistoryUsage
from migrator.planned import MapContext, MapSink, Ref
from migrator.sources.export import SourceExport
from migrator.sources.freshbooks.records import TimeEntry


def map_time(export: SourceExport, sink: MapSink, ctx: MapContext, usage: HistoryUsage) -> None:
    """Map every time entry; count in `usage` the tasks and staff each project's entries name."""
    for entry in export.typed("time_entries"):
        if isinstance(entry, SourceError):
            sink.invalid_source("time_entries", entry)
            continue
        assert isinstance(entry, TimeEntry)
        if not entry.project_id or not entry.task_id:
            # Nothing to place in Harvest, so nothing to assign for it either.
            sink.invalid("time_entries", entry.id, entry.origin, "no project or task: Harvest needs both")
            continue
        usage.time_entry(entry.project_id, entry.task_id, entry.staff_id, entry.origin)
        data: dict[str, object] = {
            "project_id": str(Ref("projects", entry.project_id)),
            "task_id": str(Ref("tasks", entry.task_id)),
            "user_id": user_ref(entry.staff_id),
            "spent_date": entry.date,
            "notes": entry.notes,
            "external_reference": {"id": f"freshbooks:time_entry:{entry.id}", "group_id": "migrator"},
        }
        if entry.hours is not None and entry.hours < 0:
            sink.invalid("time_entries", entry.id, entry.origin, f"field 'hours': {entry.hours} is negative")
            continue
        if ctx.timestamp_timers and entry.hours is not None:
            # FreshBooks records durations only: a span from midnight keeps the hours.
            span = span_for(entry.hours)
            if span.started is None:
                data["hours"] = entry.hours
                notes_of(sink, "time_entries").note(
                    entry.id, "hours", f"{entry.hours} h do not fit one day; sent as hours", severity="hours"
                )
            else:
                data["started_time"], data["ended_time"] = span.started, span.ended
                notes_of(sink, "time_entries").note(
                    entry.id,
                    "hours",
                    f"the target tracks start/end times: {entry.hours} h sent as {span.started}–{span.ended}",
                    severity="hours",
                )
        else:
            data["hours"] = entry.hours  # None: the payload model refuses it (no hours would start a timer)
        if entry.billed:
            notes_of(sink, "time_entries").note(
                entry.id, "billed", "billed in FreshBooks; v2 cannot mark imported time billed", severity="data"
            )
        facts = {"hours": entry.hours} if data.get("hours") != entry.hours else None  # as exported, for `verify`
        sink.emit("time_entries", entry.id, data, entry.origin, facts=facts)
        notes_of(sink, "time_entries").dropped(
            entry, used={"project_id", "task_id", "staff_id", "hours", "date", "notes", "billed"}
        )
