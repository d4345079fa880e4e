"""An account that changes, or misleads, while it is exported: invoices shifting between pages, hints
narrower than the data, and `--refresh` after the account lost records. Nothing is lost, nothing
stale stays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lxml import etree

from migrator import api
from migrator.sandbox.legacy.harvest_v1 import HarvestV1Sandbox
from tests.export.conftest import FIXTURES, PASSWORD, assert_plans_alike, plan_document, settings_for


def _planned_ids(document: dict[str, Any], kind: str) -> set[str]:
    return {c["source_id"] for c in document["changes"] if c["kind"] == kind}


def test_invoices_shifting_between_pages_are_all_exported_and_the_deleted_one_is_named(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # Five invoices, two a page: page 1 is [3005, 3004]. After it is served, 3005 is deleted (3003 moves up
    # to page 1, which was read already); after page 2, invoice 3006 is created (on page 1 again).
    with HarvestV1Sandbox(FIXTURES, rate=None, password=PASSWORD, traps=["shifting-pages"], page_size=2) as sandbox:
        report = api.export(settings_for(sandbox, out))
        now = {str(i) for i in sandbox.store.ids("invoices")}
        pages = [e["path"] for e in sandbox.stats()["log"] if e["path"].startswith("/invoices?page=")]

    assert now == {"3001", "3002", "3003", "3004", "3006"}
    plan = plan_document(out, tmp_path / "none.sqlite")
    assert _planned_ids(plan, "invoices") == now  # none lost (3003, 3006) and the deleted one not migrated
    assert report.records["invoices"] == 5
    assert report.notices == ["invoice 3005 was deleted during the export (listed, then gone): not exported"]
    # Pass 1 missed 3003 and 3006, pass 2 found them, pass 3 found nothing new: settled.
    assert pages == ["/invoices?page=1", "/invoices?page=2", "/invoices?page=3"] * 3
    manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert manifest["notices"] == report.notices


def test_hints_narrower_than_the_data_lose_nothing(tmp_path: Path, fixture_plan: dict[str, Any]) -> None:
    out = tmp_path / "out"
    with HarvestV1Sandbox(FIXTURES, rate=None, password=PASSWORD, traps=["narrow-hints"]) as sandbox:
        report = api.export(settings_for(sandbox, out))

    projects = etree.parse(str(out / "projects.xml")).getroot()
    for project in projects:  # the trap was live: every hint is one day, inside the project's records
        assert project.findtext("hint-earliest-record-at") == project.findtext("hint-latest-record-at")
    assert report.records["time_entries"] == 13 and report.records["expenses"] == 5
    assert_plans_alike(plan_document(out, tmp_path / "none.sqlite"), fixture_plan)


def test_refresh_fetches_again_and_removes_what_the_account_no_longer_has(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with HarvestV1Sandbox(FIXTURES, rate=None, password=PASSWORD) as sandbox:
        first = api.export(settings_for(sandbox, out))
        # The account loses invoice 3005 (its payment and message go with it).
        sandbox.store.delete("invoices", 3005)
        sandbox.store.delete_children(("payments", "invoice_messages"), 3005)
        unchanged = api.export(settings_for(sandbox, out))
        refreshed = api.export(settings_for(sandbox, out, refresh=True))

    assert unchanged.requests == 0  # without --refresh a complete export is not asked again
    assert refreshed.requests == first.requests - 3  # no detail, payments or messages for 3005
    assert refreshed.removed == ["invoices/3005.xml", "invoices/3005/messages.xml", "invoices/3005/payments.xml"]
    assert not (out / "invoices" / "3005").exists() and not (out / "invoices" / "3005.xml").exists()
    plan = plan_document(out, tmp_path / "none.sqlite")
    assert _planned_ids(plan, "invoices") == {"3001", "3002", "3003", "3004"}
    assert refreshed.records["invoices"] == 4 and refreshed.records["invoice_payments"] == 3
    manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert manifest["removed_by_refresh"] == refreshed.removed
    assert not any(r["file"] and "3005" in r["file"] for r in manifest["requests"])
