"""FreshBooks staff -> v2 users. The loader adopts existing users by e-mail; creating one (which makes
Harvest e-mail an invitation) only happens with `--create-users`."""

from __future__ import annotations

from migrator.errors import SourceError
from migrator.mappings.freshbooks.common import notes_of
from migrator.planned import MapContext, MapSink
from migrator.sources.export import SourceExport
from migrator.sources.freshbooks.records import Staff

MAPPED = {"first_name", "last_name", "email", "rate"}


def map_staff(export: SourceExport, sink: MapSink, ctx: MapContext) -> None:
    for staff in export.typed("staff"):
        if isinstance(staff, SourceError):
            sink.invalid_source("users", staff)
            continue
        assert isinstance(staff, Staff)
        data = {
            "first_name": staff.first_name or (staff.email or "").split("@")[0],
            "last_name": staff.last_name or "-",
            "email": staff.email,
            "default_hourly_rate": staff.rate,
            "access_roles": ["administrator"] if staff.id == "1" else ["member"],
        }
        if not staff.last_name:
            notes_of(sink, "users").note(staff.id, "last_name", "empty; v2 requires one: '-' is sent", severity="data")
        if staff.id == "1":
            notes_of(sink, "users").note(
                staff.id,
                "staff_id",
                "staff 1 is the FreshBooks account owner: planned as administrator",
                severity="data",
            )
        sink.emit("users", staff.id, data, staff.origin)
        for phone in ("business_phone", "mobile_phone"):
            if getattr(staff, phone):
                notes_of(sink, "users").note(staff.id, phone, "no v2 field on users", severity="data")
        notes_of(sink, "users").dropped(staff, used=MAPPED | {"business_phone", "mobile_phone"})
