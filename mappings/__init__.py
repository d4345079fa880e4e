"""Mappings from legacy source records to Harvest v2 payloads, one package per source system.

Each system package exposes `map_export(export, sink, ctx)`, which walks its resources in
dependency order and emits planned v2 objects, lossy notes and invalid records into `sink`.
"""

from __future__ import annotations

from collections.abc import Callable

from migrator.planned import MapContext, MapSink
from migrator.sources.export import SourceExport
from migrator.sources.gcmode import bulk_gc

MapFunction = Callable[[SourceExport, MapSink, MapContext], None]


def mapper_for(system: str) -> MapFunction:
    """The `map_export` function of a source system (declared in `migrator.systems`)."""
    from migrator.systems import SYSTEMS

    return SYSTEMS[system].mapper()


def map_all(exports: list[SourceExport], sink: MapSink, ctx: MapContext) -> None:
    """Map every export into one sink."""
    with bulk_gc():
        for export in exports:
            sink.system = export.system
            mapper_for(export.system)(export, sink, ctx)
