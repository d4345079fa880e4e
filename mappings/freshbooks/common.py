"""Shared helpers for the FreshBooks mappings: references, lossy reporting, deleted records."""

from __future__ import annotations

from typing import Any

from migrator.mapping import MapContext, MapSink, ref
from migrator.sources.freshbooks.records import ID_FIELD_NAMES, present
from migrator.sources.record import SourceRecord

SYSTEM = "freshbooks"
PLACEHOLDER_CLIENT = "placeholder"
PLACEHOLDER_NAME = "FreshBooks projects without a client"
# Present on every record and of no use in v2: reported once per kind, not per record.
BOOKKEEPING = frozenset({"updated", "folder", "username", "last_login", "number_of_logins", "signup_date"})


def user_ref(staff_id: str | None) -> str | None:
    return ref("users", staff_id) if staff_id else None


def report_dropped(sink: MapSink, kind: str, record: SourceRecord, mapped: set[str], seen_kinds: set[str]) -> None:
    """Every field with a value that the mapping did not carry over becomes a lossy note."""
    # Only fields the record actually carried (model_fields_set): cheap on the hot path.
    data = {name: getattr(record, name) for name in sorted(record.model_fields_set - {"id", "origin", "extras"})}
    for name, value in {**data, **record.extras}.items():
        if name in mapped or name in ID_FIELD_NAMES or not present(value):
            continue
        if name in BOOKKEEPING:
            if (kind, name) not in seen_kinds:
                seen_kinds.add((kind, name))  # type: ignore[arg-type]
                sink.lossy(kind, "*", name, "no v2 field (bookkeeping present on every record; not migrated)")
            continue
        sink.lossy(kind, record.id, name, f"no v2 field for {_short(value)}")


def _short(value: Any) -> str:
    text = str(value).replace("\n", " ")
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


def skipped_as_deleted(sink: MapSink, ctx: MapContext, kind: str, record: Any) -> bool:
    """Records from the deleted folder are reported and not migrated unless asked."""
    if getattr(record, "folder", None) == "deleted" and not ctx.include_deleted:
        sink.skip(kind, record.id, record.origin, "deleted in FreshBooks; pass --include-deleted to migrate it")
        return True
    return False
