"""Merging our fixture account: pages deduplicated, details supersede summaries, conflicts reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.sources.export import SourceExport, read_exports

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "harvest-v1"


@pytest.fixture(scope="module")
def export() -> Iterator[SourceExport]:
    (result,) = read_exports([FIXTURES])
    yield result
    result.close()


def test_every_file_is_read_and_routed_by_its_root(export: SourceExport) -> None:
    assert export.system == "harvest-v1"
    assert len(export.files) == 36
    assert all(report.error is None for report in export.files)
    assert export.errors == []
    assert {resource: export.store.count(resource) for resource in export.store.resources()} == {
        "account": 1,
        "clients": 3,
        "contacts": 2,
        "day_entries": 13,
        "expense_categories": 3,
        "expenses": 5,
        "invoice_item_categories": 2,
        "invoice_messages": 4,
        "invoices": 5,
        "payments": 4,
        "projects": 4,
        "task_assignments": 7,
        "tasks": 4,
        "user_assignments": 7,
        "users": 3,
    }


def test_the_entry_on_both_pages_is_kept_once(export: SourceExport) -> None:
    pages = [r for r in export.files if Path(r.path).name in ("entries-p1.xml", "entries-page2.xml")]
    assert sorted(r.records for r in pages) == [5, 6]  # 2006 is on both
    (entry,) = [r for r in export.store.iter("day_entries") if r.id == "2006"]
    assert entry.file.endswith("entries-p1.xml")  # the first copy stays; the second was identical
    assert not any("day_entries 2006" in w.message for w in export.warnings)


def test_the_daily_body_joins_the_report_pages(export: SourceExport) -> None:
    daily = {r.id: r for r in export.store.iter("day_entries") if r.file.endswith("daily-0308.xml")}
    assert sorted(daily) == ["2011", "2012"]
    assert daily["2011"].fields["created_at"] == "Fri, 08 Mar 2013 17:02:11 +0000"


def test_a_detail_body_supersedes_its_list_summary(export: SourceExport) -> None:
    invoice = export.store.get("invoices", "3001")
    assert invoice is not None
    assert invoice.detail
    assert invoice.file.endswith("billing/detail/3001.xml")
    assert invoice.fields["csv_line_items"].startswith("kind,description,quantity")
    assert not any("invoices 3001" in w.message for w in export.warnings)


def test_a_summary_that_disagrees_with_its_detail_is_reported(export: SourceExport) -> None:
    (warning,) = [w for w in export.warnings if w.record_id == "3004"]
    assert warning.message == (
        "two versions of invoices 3004 differ in due_amount, state, updated_at; "
        f"kept {FIXTURES}/billing/detail/3004-get.xml:2 (the detail record), "
        f"ignored {FIXTURES}/billing/invoices-page1.xml:93"
    )
    kept = export.store.get("invoices", "3004")
    assert kept is not None and kept.fields["state"] == "paid"


def test_payments_and_messages_are_found_by_invoice(export: SourceExport) -> None:
    assert [p.id for p in export.children("payments", "3004")] == ["4002", "4003"]
    assert sorted(m.id for m in export.children("invoice_messages", "3004")) == ["5002", "5003"]
    assert [c.id for c in export.children("contacts", "502")] == ["602"]
