"""The fast list scan reads exactly what the event-by-event reader reads.

Both readers take `XmlStream.records` for plain list bodies (where libxml2 filters elements by
name) and `XmlStream.events` for everything else. The event path is the reference: on every file
of both fixture accounts, every public sample and a set of awkward list documents (foreign
elements between records, same-named elements nested inside records, empty lists, a list followed
by other elements, more records than one release batch), both must emit the same records in the
same order, the same notices, and the same paging verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import SourceError
from migrator.sources.export import iter_files, looks_like_xml
from migrator.sources.freshbooks.reader import FreshBooksReader
from migrator.sources.harvest_v1.reader import HarvestV1Reader
from migrator.sources.record import RawRecord, SourceWarning
from migrator.sources.xmlsafe import sniff_head
from tests.conftest import REPO, external_samples

Reader = HarvestV1Reader | FreshBooksReader


def _outcome(reader: Reader, read: Callable[..., None], path: Path) -> dict[str, Any]:
    records: list[tuple[Any, ...]] = []
    warnings: list[tuple[int | None, str]] = []

    def emit(raw: RawRecord) -> None:
        records.append((raw.resource, raw.id, raw.fields, raw.file, raw.line, raw.detail, raw.updated_at, raw.parent))

    def warn(warning: SourceWarning) -> None:
        warnings.append((warning.line, warning.message))

    try:
        read(path, emit, warn)
        error = None
    except SourceError as exc:
        error = str(exc)
    late = [str(exc) for exc in reader.finish()]
    return {"records": records, "warnings": sorted(warnings), "error": error, "finish": late}


def _both(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    fast_reader, slow_reader = _reader_for(path), _reader_for(path)
    fast = _outcome(fast_reader, fast_reader.read, path)
    slow = _outcome(slow_reader, slow_reader._read_events, path)
    return fast, slow


def _reader_for(path: Path) -> Reader:
    head = sniff_head(path)
    return FreshBooksReader() if head is not None and head.root in ("response", "request") else HarvestV1Reader()


def _xml_files(folder: Path) -> list[Path]:
    return [path for path in iter_files([folder]) if looks_like_xml(path) and sniff_head(path) is not None]


@pytest.mark.parametrize("fixture", ["harvest-v1", "freshbooks"])
def test_every_fixture_file_reads_the_same_both_ways(fixture: str) -> None:
    files = _xml_files(REPO / "fixtures" / fixture)
    assert files
    for path in files:
        fast, slow = _both(path)
        assert fast == slow, path


@pytest.mark.parametrize("system", ["harvest-v1", "freshbooks-classic"])
def test_every_public_sample_reads_the_same_both_ways(system: str) -> None:
    folder = external_samples(system)
    for path in _xml_files(folder):
        fast, slow = _both(path)
        assert fast == slow, path


def _entries(count: int, *, start: int = 1) -> str:
    return "".join(
        f"<day-entry><id type='integer'>{index}</id><hours>1.5</hours><notes>n {index}</notes></day-entry>"
        for index in range(start, start + count)
    )


def _fb_entries(count: int) -> str:
    return "".join(
        f"<time_entry><time_entry_id>{index}</time_entry_id><hours>2</hours></time_entry>"
        for index in range(1, count + 1)
    )


FB = '<?xml version="1.0" encoding="utf-8"?>\n<response xmlns="http://www.freshbooks.com/api/" status="ok">'
AWKWARD = [
    pytest.param(f'<day-entries type="array">{_entries(700)}</day-entries>', 700, id="v1-more-than-one-batch"),
    pytest.param(
        f'<day-entries type="array">{_entries(300)}<timer>odd</timer>{_entries(300, start=301)}<x/></day-entries>',
        600,
        id="v1-foreign-elements-between-records",
    ),
    pytest.param('<day-entries type="array"><note>foreign</note></day-entries>', 0, id="v1-no-record-only-foreign"),
    pytest.param('<day-entries type="array"></day-entries>', 0, id="v1-empty-list"),
    pytest.param(
        '<day-entries type="array"><day-entry><id>1</id><day-entry><id>2</id></day-entry></day-entry></day-entries>',
        1,
        id="v1-same-name-nested-inside-a-record",
    ),
    pytest.param(
        '<invoice-message type="array"><invoice-message><id>5</id></invoice-message></invoice-message>',
        1,
        id="v1-singular-root-typed-array",
    ),
    pytest.param(
        '<clients type="array"><client><id>1</id><name>A &amp; B</name><details>x\ny</details></client></clients>',
        1,
        id="v1-clients-with-escapes",
    ),
    pytest.param(
        f'{FB}<time_entries page="1" per_page="700" pages="1" total="700">{_fb_entries(700)}</time_entries></response>',
        700,
        id="fb-more-than-one-batch",
    ),
    pytest.param(
        f'{FB}<time_entries page="1" per_page="25" pages="2" total="30">{_fb_entries(25)}</time_entries></response>',
        25,
        id="fb-a-page-is-missing",
    ),
    pytest.param(f'{FB}<time_entries page="1" total="0"></time_entries></response>', 0, id="fb-empty-list"),
    pytest.param(
        f'{FB}<projects page="1" per_page="10" pages="1" total="1"><project><project_id>3</project_id>'
        "<tasks><task><task_id>4</task_id></task></tasks></project><task><task_id>9</task_id></task>"
        "</projects></response>",
        1,
        id="fb-nested-tasks-and-a-stray-record-name",
    ),
    pytest.param(
        f'{FB}<clients page="1" per_page="10" pages="1" total="1"><client><client_id>1</client_id></client>'
        "</clients><client><client_id>2</client_id></client><currencies/><mystery>1</mystery></response>",
        2,
        id="fb-list-followed-by-other-elements",
    ),
]


@pytest.mark.parametrize(("body", "records"), AWKWARD)
def test_awkward_lists_read_the_same_both_ways(tmp_path: Path, body: str, records: int) -> None:
    path = tmp_path / "export.xml"
    path.write_text(body, encoding="utf-8")
    fast, slow = _both(path)
    assert fast == slow
    assert len(fast["records"]) == records
