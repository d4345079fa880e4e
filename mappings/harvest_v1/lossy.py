"""Lossy reporting for Harvest v1 mappings: every value without a v2 place is named, none is dropped.

Policy (one place, so every mapping module applies it the same way):
- a field with a value and no v2 place -> one note per record: `field`, why, and the value;
- bookkeeping present on every record (created_at, updated_at, cache_version) and values v2
  derives itself (totals, denormalised names, UI preferences) -> one note per kind, source id "*",
  so a report of 100,000 entries stays readable;
- a value that had to change (currency name, state, line endings) -> a note naming old and new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from migrator.planned import MapSink, more_unknown, unknown_fields
from migrator.sources.record import SourceRecord

BOOKKEEPING: dict[str, str] = {
    "created_at": "creation timestamps are set by Harvest v2 when the object is created",
    "updated_at": "update timestamps are set by Harvest v2",
    "cache_version": "a v1 cache counter with no meaning outside v1",
}
_SKIP = frozenset({"id", "origin", "extras"})


def show(value: Any, limit: int = 120) -> str:
    """A value as a report shows it: decimals and dates exact, text quoted and shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Decimal, int)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


_ORDERS: dict[type[SourceRecord], dict[str, int]] = {}


def _order(model: type[SourceRecord]) -> dict[str, int]:
    order = _ORDERS.get(model)
    if order is None:
        order = _ORDERS[model] = {name: index for index, name in enumerate(model.model_fields)}
    return order


class KindNotes:
    """Lossy notes of one v2 kind; `once` notes are deduplicated for the whole export."""

    def __init__(self, sink: MapSink, kind: str) -> None:
        self.sink = sink
        self.kind = kind
        self._seen: set[tuple[str, str]] = set()

    def note(self, source_id: str, field: str, note: str) -> None:
        """A per-record note."""
        self.sink.lossy(self.kind, source_id, field, note)

    def once(self, field: str, note: str, *, key: str = "") -> None:
        """A note reported once per kind (source id "*"); `key` separates distinct values of a field."""
        if (field, key) not in self._seen:
            self._seen.add((field, key))
            self.sink.lossy(self.kind, "*", field, note)

    def rest(
        self,
        record: SourceRecord,
        *,
        used: Iterable[str],
        once: Mapping[str, str] | None = None,
        why: Mapping[str, str] | None = None,
    ) -> None:
        """Report every field of `record` that has a value and was not `used` by the mapping.

        `once` maps fields reported once per kind (derived values, preferences) to their note;
        `why` gives a specific reason for a per-record field (default: "no Harvest v2 field").
        """
        used_set = used if isinstance(used, (set, frozenset)) else set(used)
        once = once or {}
        why = why or {}
        # Only fields the export carried can hold a value (type_record passes just those); in
        # declaration order, so reports and golden files are stable.
        order = _order(type(record))
        present = sorted(
            (name for name in record.model_fields_set if name not in used_set and name not in _SKIP),
            key=order.__getitem__,
        )
        for name in present:
            value = getattr(record, name)
            if value is None:
                continue
            if name in BOOKKEEPING:
                self.once(name, BOOKKEEPING[name])
            elif name in once:
                self.once(name, once[name])
            else:
                self.note(record.id, name, f"{why.get(name, 'no Harvest v2 field')}: {show(value)}")
        noted, rest = unknown_fields(record.extras)
        for name, value in noted:
            self.note(record.id, name, f"a v1 field this migrator does not know; not migrated: {show(value)}")
        if rest:
            self.note(record.id, rest[0], more_unknown(rest))
