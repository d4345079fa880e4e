"""The staging store's merge rules: pages deduplicated, details win, conflicts reported."""

from __future__ import annotations

from migrator.sources.record import RawRecord
from migrator.sources.staging import StagingStore


def _raw(fields: dict[str, object], file: str, *, detail: bool = False, updated: str | None = None) -> RawRecord:
    return RawRecord("invoices", "9", dict(fields), file, 3, detail, updated, parent="1")


def test_the_same_record_on_two_pages_is_kept_once() -> None:
    with StagingStore() as store:
        store.add(_raw({"number": "1"}, "page1.xml"))
        store.add(_raw({"number": "1"}, "page2.xml"))
        assert store.count("invoices") == 1
        assert store.warnings == []
        assert [r.file for r in store.iter("invoices")] == ["page1.xml"]


def test_a_detail_supersedes_its_summary_silently_when_they_agree() -> None:
    with StagingStore() as store:
        store.add(_raw({"number": "1", "csv": "x"}, "detail.xml", detail=True))
        store.add(_raw({"number": "1"}, "list.xml"))
        (kept,) = list(store.iter("invoices"))
        assert kept.fields == {"number": "1", "csv": "x"}
        assert store.warnings == []


def test_a_disagreement_keeps_the_detail_and_is_reported() -> None:
    with StagingStore() as store:
        store.add(_raw({"number": "1", "amount": "10"}, "list.xml", updated="2013-01-01T00:00:00Z"))
        store.add(
            _raw({"number": "1", "amount": "12", "csv": "x"}, "detail.xml", detail=True, updated="2012-01-01T00:00:00Z")
        )
        (kept,) = list(store.iter("invoices"))
        assert kept.fields["amount"] == "12"
        (warning,) = store.warnings
        assert warning.message == (
            "two versions of invoices 9 differ in amount; kept detail.xml:3 (the detail record), ignored list.xml:3"
        )


def test_between_two_summaries_the_later_updated_at_wins() -> None:
    with StagingStore() as store:
        store.add(_raw({"amount": "12"}, "new.xml", updated="2013-01-01T00:00:00Z"))
        store.add(_raw({"amount": "10"}, "old.xml", updated="2012-01-01T00:00:00Z"))
        (kept,) = list(store.iter("invoices"))
        assert kept.fields["amount"] == "12"
        assert "the later updated-at" in store.warnings[0].message


def test_children_and_get() -> None:
    with StagingStore() as store:
        store.add(RawRecord("payments", "5", {"amount": "1"}, "p.xml", 1, parent="9"))
        store.add(RawRecord("payments", "6", {"amount": "2"}, "p.xml", 2, parent="8"))
        assert [r.id for r in store.children("payments", "9")] == ["5"]
        assert store.get("payments", "6").fields == {"amount": "2"}  # type: ignore[union-attr]
        assert store.get("payments", "7") is None
