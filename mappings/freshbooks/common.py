"""Shared helpers for the FreshBooks mappings: references, lossy reporting, deleted records."""

from __future__ import annotations

from typing import Any

from migrator.errors import SourceError
from migrator.planned import MapContext, MapSink, more_unknown, ref, unknown_fields
from migrator.sources.export import SourceExport
from migrator.sources.freshbooks.records import ID_FIELD_NAMES, present
from migrator.sources.record import Origin, SourceRecord

SYSTEM = "freshbooks"
PLACEHOLDER_CLIENT = "placeholder"
PLACEHOLDER_NAME = "FreshBooks projects without a client"
# Present on every record and of no use in v2: reported once per kind, not per record.
BOOKKEEPING = frozenset({"updated", "folder", "username", "last_login", "number_of_logins", "signup_date"})


def user_ref(staff_id: str | None) -> str | None:
    return ref("users", staff_id) if staff_id else None


def report_dropped(sink: MapSink, kind: str, record: SourceRecord, mapped: set[str], seen_kinds: set[str]) -> None:
    """Every field with a value that the mapping did not carry over becomes a lossy note."""
    # Only fields the record actually carried (model_fields_set), minus those mapped: on the hot
    # path (time entries) that is nothing at all, so nothing is sorted or looked up.
    left = record.model_fields_set - mapped - _NOT_FIELDS
    for name in sorted(left):
        _report(sink, kind, record, name, getattr(record, name), seen_kinds)
    noted, rest = unknown_fields(record.extras)
    for name, value in noted:
        if name not in mapped:
            _report(sink, kind, record, name, value, seen_kinds)
    if rest:
        sink.lossy(kind, record.id, rest[0], more_unknown(rest))


_NOT_FIELDS = frozenset({"id", "origin", "extras"})


def _report(sink: MapSink, kind: str, record: SourceRecord, name: str, value: Any, seen_kinds: set[str]) -> None:
    if name in ID_FIELD_NAMES or not present(value):
        return
    if name in BOOKKEEPING:
        if (kind, name) not in seen_kinds:
            seen_kinds.add((kind, name))  # type: ignore[arg-type]
            sink.lossy(kind, "*", name, "no v2 field (bookkeeping present on every record; not migrated)")
        return
    sink.lossy(kind, record.id, name, f"no v2 field for {_short(value)}")


def _short(value: Any) -> str:
    text = str(value).replace("\n", " ")
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


def unreadable(export: SourceExport, sink: MapSink, ctx: MapContext, kind: str, error: SourceError) -> None:
    """A record that failed typing: invalid, unless it is in the deleted folder, which is skipped anyway
    (an unreadable field of a record nobody migrates must not stop the plan)."""
    raw = export.store.get(error.resource, error.record_id) if error.resource and error.record_id else None
    if raw is not None and raw.fields.get("folder") == "deleted" and not ctx.include_deleted:
        origin = Origin(SYSTEM, raw.resource, raw.id, raw.file, raw.line)
        reason = f"deleted in FreshBooks; not migrated (it also has an unreadable field: {error.describe()})"
        sink.skip(kind, raw.id, origin, reason)
        return
    sink.invalid_source(kind, error)


def skipped_as_deleted(sink: MapSink, ctx: MapContext, kind: str, record: Any) -> bool:
    """Records from the deleted folder are reported and not migrated unless asked."""
    if getattr(record, "folder", None) == "deleted" and not ctx.include_deleted:
        sink.skip(kind, record.id, record.origin, "deleted in FreshBooks; pass --include-deleted to migrate it")
        return True
    return False
