"""Contract checks on every payload the v1 mappings produce: the v2 OpenAPI request schema, no floats."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from migrator import jsonio
from migrator.kinds import PATH_FIELDS
from migrator.planned import MapSink, parse_ref
from tests import openapi
from tests.conftest import SHARED, external_samples

EXTERNAL = SHARED / "fixtures-external" / "harvest-v1"
# kind -> (method, path template) of its create request in the v2 OpenAPI description
CREATE = {
    "clients": ("post", "/clients"),
    "contacts": ("post", "/contacts"),
    "users": ("post", "/users"),
    "tasks": ("post", "/tasks"),
    "expense_categories": ("post", "/expense_categories"),
    "invoice_item_categories": ("post", "/invoice_item_categories"),
    "projects": ("post", "/projects"),
    "user_assignments": ("post", "/projects/{projectId}/user_assignments"),
    "task_assignments": ("post", "/projects/{projectId}/task_assignments"),
    "time_entries": ("post", "/time_entries"),
    "expenses": ("post", "/expenses"),
    "invoices": ("post", "/invoices"),
    "invoice_payments": ("post", "/invoices/{invoiceId}/payments"),
    "invoice_messages": ("post", "/invoices/{invoiceId}/messages"),
}


def _resolved(value: Any, ids: dict[str, int]) -> Any:
    """The payload as the loader sends it: every `@kind:id` ref replaced by an integer id."""
    if isinstance(value, str) and parse_ref(value):
        return ids.setdefault(value, 1000 + len(ids))
    if isinstance(value, dict):
        return {key: _resolved(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, ids) for item in value]
    return value


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
    ids: dict[str, int] = {}
    problems: list[str] = []
    checked = 0
    for item in sink.planned:
        if item.status != "ok":
            continue
        method, template = CREATE[item.kind]
        body = _resolved(item.payload, ids)
        body.pop(PATH_FIELDS.get(item.kind, ""), None)
        body = json.loads(jsonio.dumps(body))  # what goes over the wire
        for message in openapi.validate(body, openapi.request_schema(method, template), forbid_unknown=True):
            problems.append(f"{item.kind} {item.source_id}: {message}")
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
