"""The FreshBooks Classic reader on every public sample and on the quirks of the format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from migrator.errors import SourceError, SourceFailResponse
from migrator.sources import read_exports
from migrator.sources.freshbooks.reader import FreshBooksReader
from migrator.sources.record import RawRecord, SourceWarning, type_record
from tests.conftest import REPO, SHARED, SKIP_NO_SHARED

EXTERNAL = SHARED / "fixtures-external" / "freshbooks-classic"
SAMPLES = [
    pytest.param(path, id=str(path.relative_to(EXTERNAL)))
    for path in (sorted(EXTERNAL.rglob("*.xml")) if EXTERNAL.is_dir() else [])
] or [pytest.param(None, id="no-samples", marks=pytest.mark.skip(reason=SKIP_NO_SHARED))]


def read_one(path: Path) -> tuple[list[RawRecord], list[SourceWarning]]:
    records: list[RawRecord] = []
    warnings: list[SourceWarning] = []
    FreshBooksReader().read(path, records.append, warnings.append)
    return records, warnings


@pytest.mark.parametrize("path", SAMPLES)
def test_every_public_sample_parses_or_is_refused_for_a_stated_reason(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        records, warnings = read_one(path)
    except SourceFailResponse as failure:
        assert 'status="fail"' in text
        assert "code" in str(failure) and str(path) in str(failure)
        return
    if re.search(r"<request[\s>]", text):
        assert any("a FreshBooks request" in w.message for w in warnings) and not records
        return
    for record in records:  # every record is typed without error
        type_record(FreshBooksReader.models[record.resource], record, "freshbooks")
    assert records or warnings, "a response must yield records or say why it has none"


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + body)
    return path


def test_namespace_variants_and_zero_padded_ids(tmp_path: Path) -> None:
    for index, ns in enumerate(['xmlns="http://www.freshbooks.com/api/"', 'xmlns="https://www.freshbooks.com/api/"',
                                "", 'xmlns="http://www.freshboos.com/api/"']):
        path = write(tmp_path, f"c{index}.xml", f'<response {ns} status="ok"><client><client_id>00000079106'
                     "</client_id><organization>X</organization></client></response>")
        records, _ = read_one(path)
        assert [(r.resource, r.id, r.detail) for r in records] == [("clients", "79106", True)]


def test_deprecated_elements_are_ignored_and_single_lines_stay_lists(tmp_path: Path) -> None:
    path = write(tmp_path, "i.xml", '<response status="ok"><invoice><invoice_id>5</invoice_id>'
                 '<credit currency="USD" deprecated="true">9</credit><lines><line><line_id>1</line_id>'
                 "<amount>4</amount></line></lines></invoice></response>")
    (record,), _ = read_one(path)
    assert "credit" not in record.fields
    assert record.fields["lines"] == [{"line_id": "1", "amount": "4"}]


def test_a_missing_list_page_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "p1.xml", '<response status="ok"><clients page="1" per_page="1" pages="3" total="3">'
          "<client><client_id>1</client_id></client></clients></response>")
    write(tmp_path, "p3.xml", '<response status="ok"><clients page="3" per_page="1" pages="3" total="3">'
          "<client><client_id>3</client_id></client></clients></response>")
    with pytest.raises(SourceError, match="clients list is incomplete: page 2 of 3 is missing"):
        read_exports([tmp_path])
    (export,) = read_exports([tmp_path], keep_going=True)
    assert [str(e) for e in export.errors][0].endswith("page 2 of 3 is missing (total 3, per_page 1); "
                                                       "export the missing page, or pass --keep-going")
    assert export.store.count("clients") == 2


def test_empty_items_and_create_responses_are_warned_not_recorded(tmp_path: Path) -> None:
    path = write(tmp_path, "e.xml", '<response status="ok"><projects page="1" per_page="2" pages="1" total="1">'
                 "<project>\n</project><project><project_id>4</project_id></project></projects></response>")
    records, warnings = read_one(path)
    assert [r.id for r in records] == ["4"]
    assert any("skipped an empty <project>" in w.message for w in warnings)
    created = write(tmp_path, "c.xml", '<response status="ok"><client_id>4422</client_id></response>')
    assert read_one(created)[0] == []


def test_the_fixture_account_merges_the_detail_over_its_summary() -> None:
    (export,) = read_exports([REPO / "fixtures" / "freshbooks"])
    invoice = export.get("invoices", "102")
    assert invoice is not None and len(invoice.lines) == 3  # type: ignore[attr-defined]
    client = export.get("clients", "12")
    assert client is not None and client.home_phone == "+81 3 0000 0000"  # type: ignore[attr-defined]
    assert export.store.count("time_entries") == 8
    export.close()


def test_a_nested_updated_element_is_not_a_timestamp(tmp_path: Path) -> None:
    # `<updated>` with elements inside used to reach the staging store as a dict: a traceback
    # (sqlite3 cannot bind it) instead of a record whose `updated` field fails to type.
    path = write(tmp_path, "u.xml", '<response status="ok"><client><client_id>1</client_id>'
                 "<updated><x>1</x></updated></client></response>")
    (record,), _ = read_one(path)
    assert record.updated_at is None and record.fields["updated"] == {"x": "1"}
    (export,) = read_exports([path])
    assert export.store.count("clients") == 1
    export.close()


@pytest.mark.parametrize(
    ("credits", "kept"),
    [
        pytest.param("<credits>5</credits>", "5", id="text"),
        pytest.param("<credits><a>1</a><b>2</b></credits>", {"a": "1", "b": "2"}, id="elements"),
    ],
)
def test_a_credit_with_a_currency_after_a_credits_element_keeps_both(
    tmp_path: Path, credits: str, kept: object
) -> None:
    # A `<credit currency=…>` beside a `<credits>` that is text or mixed used to be a traceback.
    path = write(tmp_path, "c.xml", f'<response status="ok"><client><client_id>1</client_id>{credits}'
                 '<credit currency="USD">9</credit></client></response>')
    (record,), _ = read_one(path)
    assert record.fields["credits"] == [kept, {"currency": "USD", "amount": "9"}]
