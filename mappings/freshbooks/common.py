"""Shared helpers for the FreshBooks mappings: references, how lossy notes are worded, deleted records."""

from __future__ import annotations

from typing import Any

from migrator.errors import SourceError
from migrator.lossy import KindNotes, Reason, Wording
from migrator.planned import MapContext, MapSink, Ref
from migrator.sources.export import SourceExport
from migrator.sources.freshbooks.records import ID_FIELD_NAMES, present
from migrator.sources.record import Origin

SYSTEM = "freshbooks"
PLACEHOLDER_CLIENT = "placeholder"
PLACEHOLDER_NAME = "FreshBooks projects without a client"
# Present on every record and of no use in v2: reported once per kind, not per record.
BOOKKEEPING = frozenset({"updated", "folder", "username", "last_login", "number_of_logins", "signup_date"})


def user_ref(staff_id: str | None) -> str | None:
    return str(Ref("users", staff_id)) if staff_id else None


def _short(value: Any) -> str:
    text = str(value).replace("\n", " ")
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


WORDING = Wording(
    no_place=lambda value, why: f"{why}: {_short(value)}" if why else f"no v2 field for {_short(value)}",
    unknown=lambda value: f"no v2 field for {_short(value)}",
    bookkeeping={
        name: Reason("no v2 field (bookkeeping present on every record; not migrated)", "cosmetic")
        for name in BOOKKEEPING
    },
    worth=lambda name, value: name not in ID_FIELD_NAMES and present(value),
    declared_order=False,
)


def notes_of(sink: MapSink, kind: str) -> KindNotes:
    """The lossy notes of `kind` (`migrator.lossy`), worded as FreshBooks mappings word them."""
    return sink.notes(kind, WORDING)


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
