"""Contract checks on every payload the v1 mappings produce: the v2 OpenAPI request schema, no floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from migrator.planned import MapSink
from tests import openapi
from tests.conftest import SHARED, external_samples

EXTERNAL = SHARED / "fixtures-external" / "harvest-v1"


def _floats(value: Any, where: str = "") -> list[str]:
    if isinstance(value, float):
        return [where]
    if isinstance(value, dict):
        return [hit for key, item in value.items() for hit in _floats(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [hit for index, item in enumerate(value) for hit in _floats(item, f"{where}[{index}]")]
    return []


@pytest.mark.parametrize("mode", ["duration", "timestamp_timers"])
def test_every_payload_validates_against_the_v2_request_schema(
    fixture_plan: MapSink, fixture_plan_timestamps: MapSink, mode: str
) -> None:
    sink = fixture_plan if mode == "duration" else fixture_plan_timestamps
    problems: list[str] = []
    checked = 0
    for item in sink.planned:
        if item.status != "ok":
            continue
        problems += [
            f"{item.kind} {item.source_id}: {p}" for p in openapi.planned_body_problems(item.kind, item.payload)
        ]
        checked += 1
    assert problems == []
    assert checked == sum(1 for p in sink.planned if p.status == "ok")


def test_no_float_anywhere_in_a_payload(fixture_plan: MapSink, fixture_plan_timestamps: MapSink) -> None:
    for sink in (fixture_plan, fixture_plan_timestamps):
        for item in sink.planned:
            assert _floats(item.payload) == [], f"{item.kind} {item.source_id}"
    assert isinstance(fixture_plan.planned[0].payload, dict)
    money = [p.payload["total_cost"] for p in fixture_plan.planned if p.kind == "expenses"]
    assert all(isinstance(value, Decimal) for value in money)


def test_the_real_samples_map_without_an_exception(plan: Any) -> None:
    """Real 2009-2012 bodies (inconsistent ids, list summaries) map into valid or invalid plans, never a crash."""
    external_samples("harvest-v1")
    sink = plan([EXTERNAL], keep_going=True)
    invoices = [p for p in sink.planned if p.kind == "invoices"]
    assert len(invoices) == 38
    # Only one fundinggates invoice and one doc example were exported with their line items.
    assert sorted(p.source_id for p in invoices if p.status == "ok") == ["1421", "1882548"]
    assert all("only the list summary was exported" in (p.reason or "") for p in invoices if p.status != "ok")
    assert sum(1 for p in sink.planned if p.kind == "clients" and p.status == "ok") == 118
