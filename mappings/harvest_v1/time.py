"""Harvest v1 day entries (reports and `/daily`) -> v2 `time_entries`.

Every entry carries `external_reference.id = harvest-v1:day_entry:<id>`, the anchor the loader
finds it by. Duration accounts get `hours` only, always explicit (a 0-hour entry sends `hours: 0`;
a body without hours would start a running timer). Timestamp accounts get `started_time` and
`ended_time`: the v1 times when the entry has both, otherwise times synthesised from the hours,
starting at 12:00am so any duration up to 23:59 fits the day. Synthesised or altered times are
reported with the exact figures; v2 then derives `hours` from them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from migrator.lossy import KindNotes, Reason
from migrator.mappings.clock import clock_minutes, hours_of, span_for
from migrator.mappings.harvest_v1.context import V1Mapping
from migrator.mappings.harvest_v1.lossy import show
from migrator.planned import Ref
from migrator.sources.harvest_v1.records import DayEntry

KIND = "time_entries"
USED = {
    "spent_at",
    "user_id",
    "project_id",
    "task_id",
    "hours",
    "notes",
    "started_at",
    "ended_at",
    "timer_started_at",
    "is_billed",
    "is_closed",
    "adjustment_record",
}
ONCE: dict[str, str | Reason] = {
    "client": "/daily repeats the client name; the v2 entry links the project instead",
    "project": "/daily repeats the project name; the v2 entry links the project by id",
    "task": "/daily repeats the task name; the v2 entry links the task by id",
    "hours_with_timer": Reason("derived by Harvest from the hours and a running timer", "cosmetic"),
    "hours_without_timer": Reason("derived by Harvest from the hours and a running timer", "cosmetic"),
}
WHY = {
    "billable": Reason("v2 derives billable from the project's task assignment", "cosmetic"),
    "billable_rate": Reason("v2 derives the billable rate from the project's current rates", "cosmetic"),
    "cost_rate": Reason("v2 derives the cost rate from the user's current cost rate", "cosmetic"),
}


def external_reference(entry_id: str) -> dict[str, str]:
    """The loader's idempotency anchor for one entry (research harvest-v2 §3.8)."""
    return {"id": f"harvest-v1:day_entry:{entry_id}", "group_id": "migrator"}


def _timestamp_fields(entry: DayEntry, data: dict[str, Any], notes: KindNotes) -> None:
    """Fill `started_time`/`ended_time` (or fall back to `hours`) for a timestamp-timer target."""
    if entry.started_at and entry.ended_at:
        start, end = clock_minutes(entry.started_at), clock_minutes(entry.ended_at)
        if end >= start:
            data["started_time"], data["ended_time"] = entry.started_at, entry.ended_at
            derived = hours_of(end - start)
            if entry.hours is not None and abs(derived - entry.hours) >= Decimal("0.01"):
                notes.note(
                    entry.id,
                    "hours",
                    f"v1 hours {entry.hours} but {entry.started_at}-{entry.ended_at} is {derived} h; "
                    "v2 derives hours from the times",
                    severity="hours",
                )
            return
    if entry.hours is None:
        return  # neither variant: the payload model refuses it with a clear reason
    span = span_for(entry.hours, clock_minutes(entry.started_at) if entry.started_at else 0)
    if span.started is None:
        data["hours"] = entry.hours
        notes.note(
            entry.id,
            "hours",
            f"{entry.hours} h do not fit one day as start and end times; sent as hours",
            severity="hours",
        )
        return
    data["started_time"], data["ended_time"] = span.started, span.ended
    had = (
        f"v1 times were {entry.started_at or 'none'}-{entry.ended_at or 'none'}"
        if entry.started_at or entry.ended_at
        else "v1 had no times"
    )
    notes.note(
        entry.id,
        "started_at",
        f"times synthesised from {entry.hours} h: {span.started}-{span.ended} "
        f"({hours_of(span.minutes)} h in v2; {had})",
        severity="data",
    )


def map_time_entries(m: V1Mapping) -> None:
    """Plan one v2 time entry per v1 day entry."""
    notes = m.notes(KIND)
    timestamps = m.ctx.timestamp_timers
    if m.account is not None and m.account.timestamp_timers is not None and m.account.timestamp_timers != timestamps:
        source = "start and end times" if m.account.timestamp_timers else "durations"
        target = "start and end times" if timestamps else "durations"
        notes.once("timestamp_timers", f"the v1 account tracked {source}; the target tracks {target}", severity="data")
    for entry in m.records("day_entries", KIND, DayEntry):
        data: dict[str, Any] = {
            "project_id": str(Ref("projects", entry.project_id)) if entry.project_id else None,
            "task_id": str(Ref("tasks", entry.task_id)) if entry.task_id else None,
            "user_id": str(Ref("users", entry.user_id)) if entry.user_id else None,
            "spent_date": entry.spent_at,
            "notes": entry.notes,
            "external_reference": external_reference(entry.id),
        }
        if entry.hours is not None and entry.hours < 0:
            m.sink.invalid(KIND, entry.id, entry.origin, f"field 'hours': {entry.hours} is negative")
            continue
        if timestamps:
            _timestamp_fields(entry, data, notes)
        else:
            data["hours"] = entry.hours  # explicit, 0 included: never a running timer
            if entry.started_at or entry.ended_at:
                notes.note(
                    entry.id,
                    "started_at",
                    f"times {entry.started_at or '-'}-{entry.ended_at or '-'} not sent: "
                    f"the target tracks durations ({entry.hours} h sent)",
                    severity="data",
                )
        _flags(entry, notes)
        notes.dropped(entry, used=USED, once=ONCE, why=WHY)
        # Hours as exported, for `verify`, where the payload does not carry them (start and end times).
        facts = {"hours": entry.hours} if data.get("hours") != entry.hours else None
        m.sink.emit(KIND, entry.id, data, entry.origin, facts=facts)


def _flags(entry: DayEntry, notes: KindNotes) -> None:
    """v1 states v2 cannot be told through its API (false is v2's default, so only true is lost)."""
    if entry.is_billed:
        notes.note(
            entry.id,
            "is_billed",
            "billed in v1; v2 marks entries billed only through invoices built from time",
            severity="data",
        )
    if entry.is_closed:
        notes.note(
            entry.id, "is_closed", "approved (closed) in v1; v2 approval cannot be set through the API", severity="data"
        )
    if entry.adjustment_record:
        notes.note(
            entry.id, "adjustment_record", "a v1 approval adjustment record; migrated as a plain entry", severity="data"
        )
    if entry.timer_started_at is not None:
        notes.note(
            entry.id,
            "timer_started_at",
            f"a timer was running at export ({show(entry.timer_started_at)}); migrated stopped at {entry.hours} h",
            severity="data",
        )
