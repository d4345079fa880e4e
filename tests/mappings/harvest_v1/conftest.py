"""Helpers for the Harvest v1 mapping tests: read + map through the real seams (files, staging, sink)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from migrator.mappings.harvest_v1 import map_export
from migrator.planned import MapContext, MapSink
from migrator.sources.export import read_exports

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "harvest-v1"
Plan = Callable[..., MapSink]


def plan_paths(paths: Sequence[Path], *, timestamp_timers: bool = False, keep_going: bool = False) -> MapSink:
    """read_exports + map_export into a fresh sink (the exports are closed afterwards)."""
    exports = read_exports(list(paths), keep_going=keep_going)
    sink = MapSink()
    try:
        for export in exports:
            map_export(export, sink, MapContext(timestamp_timers=timestamp_timers))
    finally:
        for export in exports:
            export.close()
    return sink


@pytest.fixture(scope="session")
def fixture_plan() -> MapSink:
    """The plan of fixtures/harvest-v1 for a duration-mode target (read once per session)."""
    return plan_paths([FIXTURES])


@pytest.fixture(scope="session")
def fixture_plan_timestamps() -> MapSink:
    """The plan of fixtures/harvest-v1 for a timestamp-timer target."""
    return plan_paths([FIXTURES], timestamp_timers=True)


@pytest.fixture
def plan() -> Plan:
    """`plan(paths, timestamp_timers=False)` -> the MapSink of those files."""
    return plan_paths
