"""What Harvest v1 mapping modules share while one export is walked.

The walk is ordered (clients before projects before entries before invoices), so facts learnt
early are kept here for later kinds: the account's clock, category names and unit prices, which
invoices turned out invalid. Everything else stays in the staging store, read one record at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from migrator.lossy import KindNotes
from migrator.mappings.harvest_v1.lossy import WORDING
from migrator.planned import MapContext, MapSink
from migrator.sources.export import SourceExport
from migrator.sources.harvest_v1.records import Account
from migrator.sources.record import SourceRecord

SYSTEM = "harvest-v1"
R = TypeVar("R", bound=SourceRecord)


@dataclass
class V1Mapping:
    """State of one `map_export` call."""

    export: SourceExport
    sink: MapSink
    ctx: MapContext
    account: Account | None = None
    item_categories: dict[str, str] = field(default_factory=dict)  # casefolded name -> v1 id
    unit_prices: dict[str, Decimal | None] = field(default_factory=dict)  # expense category id -> price
    invalid_invoices: dict[str, str] = field(default_factory=dict)  # v1 invoice id -> why
    skipped_invoices: dict[str, str] = field(default_factory=dict)  # v1 invoice id -> why (the map file)
    # Payments and messages planned through their invoice; the rest are reported as orphans.
    handled_payments: set[str] = field(default_factory=set)
    handled_messages: set[str] = field(default_factory=set)

    def notes(self, kind: str) -> KindNotes:
        """The lossy notes of `kind` (`migrator.lossy`), worded as Harvest v1 words them."""
        return self.sink.notes(kind, WORDING)

    def children(self, resource: str, parent: str, model: type[R]) -> list[R]:
        """Typed records of `resource` grouped under `parent` (records that fail typing are left out
        here; the orphan pass of `replay` reports them)."""
        return [record for record in self.export.children(resource, parent) if isinstance(record, model)]

    def records(self, resource: str, kind: str, model: type[R]) -> Iterator[R]:
        """Typed records of `resource`; a record that fails typing is planned invalid as `kind`."""
        for item in self.export.typed(resource):
            if isinstance(item, model):
                yield item
            elif isinstance(item, Exception):
                self.sink.invalid_source(kind, item)
