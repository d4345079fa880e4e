"""The v1 reader: resources detected from the root element, odd shapes, hostile and broken files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import migrator.sources.harvest_v1.reader as reader_module
from migrator.errors import SourceParseError, UnsafeXMLError
from migrator.sources.harvest_v1.reader import HarvestV1Reader

Write = Callable[[str, str], Path]


@pytest.mark.parametrize(
    ("root", "record", "resource"),
    [
        ("clients", "client", "clients"),
        ("contacts", "contact", "contacts"),
        ("users", "user", "users"),
        ("people", "person", "users"),
        ("projects", "project", "projects"),
        ("tasks", "task", "tasks"),
        ("user-assignments", "user-assignment", "user_assignments"),
        ("task-assignments", "task-assignment", "task_assignments"),
        ("day-entries", "day-entry", "day_entries"),
        ("day_entries", "day_entry", "day_entries"),
        ("expense-categories", "expense-category", "expense_categories"),
        ("expenses", "expense", "expenses"),
        ("invoices", "invoice", "invoices"),
        ("payments", "payment", "payments"),
        ("invoice-item-categories", "invoice-item-category", "invoice_item_categories"),
        ("invoice-messages", "invoice-message", "invoice_messages"),
        ("invoice-message", "invoice-message", "invoice_messages"),  # the buggy list root (§3.15)
    ],
)
def test_a_list_root_names_its_resource(
    write_xml: Write, read_file: Any, root: str, record: str, resource: str
) -> None:
    path = write_xml(
        "any-name.xml",
        f'<{root} type="array"><{record}><id type="integer">1</id></{record}>'
        f"<{record}><id>2</id><parent-id>9</parent-id></{record}></{root}>",
    )
    assert HarvestV1Reader().claims(root)
    records, warnings = read_file(path)
    found = [(r.resource, r.id, r.detail, r.line) for r in records]
    assert found == [(resource, "1", False, 2), (resource, "2", False, 2)]
    assert warnings == []


@pytest.mark.parametrize(
    ("record", "resource"),
    [("client", "clients"), ("person", "users"), ("day-entry", "day_entries"), ("invoice-message", "invoice_messages")],
)
def test_a_single_record_root_is_a_detail_record(write_xml: Write, read_file: Any, record: str, resource: str) -> None:
    body = f"<{record}>\n  <id>00042</id>\n  <updated-at>2013-01-01T00:00:00Z</updated-at>\n</{record}>"
    path = write_xml("one.xml", body)
    ((raw,), warnings) = read_file(path)
    assert (raw.resource, raw.id, raw.detail, raw.line, raw.updated_at) == (
        resource,
        "42",
        True,
        2,
        "2013-01-01T00:00:00Z",
    )
    assert warnings == []


def test_children_are_grouped_under_their_parent(write_xml: Write, read_file: Any) -> None:
    bodies = {
        "payments": "<payments><payment><id>1</id><invoice-id>9</invoice-id></payment></payments>",
        "invoice_messages": "<invoice-message><id>2</id><invoice-id>9</invoice-id></invoice-message>",
        "contacts": "<contacts><contact><id>3</id><client-id>8</client-id></contact></contacts>",
        "user_assignments": "<user-assignments><user-assignment><id>4</id><project-id>7</project-id></user-assignment>"
        "</user-assignments>",
        "task_assignments": "<task-assignment><id>5</id><project-id>007</project-id></task-assignment>",
    }
    parents = {}
    for resource, body in bodies.items():
        ((raw,), _warnings) = read_file(write_xml(f"{resource}.xml", body))
        parents[raw.resource] = raw.parent
    assert parents == {
        "payments": "9",
        "invoice_messages": "9",
        "contacts": "8",
        "user_assignments": "7",
        "task_assignments": "7",
    }


def test_the_daily_body_reads_only_its_day_entries(write_xml: Write, read_file: Any) -> None:
    path = write_xml(
        "d.xml",
        "<daily><for_day>Fri, 08 Mar 2013</for_day><day_entries><day_entry><id>1</id></day_entry>"
        "<day_entry><id>2</id></day_entry></day_entries><projects><project><id>9</id><tasks><task><id>3</id>"
        "</task></tasks></project></projects></daily>",
    )
    records, warnings = read_file(path)
    assert [(r.resource, r.id) for r in records] == [("day_entries", "1"), ("day_entries", "2")]
    assert warnings == []


def test_nested_elements_stay_nested(write_xml: Write, read_file: Any) -> None:
    path = write_xml(
        "n.xml",
        '<projects><project><id>1</id><tasks type="array"><task><id>3</id></task><task><id>4</id></task></tasks>'
        '<links type="array"/><client><id>5</id><name>A</name></client><note>a</note><note>b</note>'
        "</project></projects>",
    )
    ((raw,), _warnings) = read_file(path)
    assert raw.fields == {
        "id": "1",
        "tasks": [{"id": "3"}, {"id": "4"}],
        "links": [],
        "client": {"id": "5", "name": "A"},
        "note": "b",
    }


def test_an_empty_list_is_no_records_and_no_error(write_xml: Write, read_file: Any) -> None:
    assert read_file(write_xml("e.xml", '<nil-classes type="array"/>')) == ([], [])


def test_who_am_i_becomes_the_account_record(write_xml: Write, read_file: Any) -> None:
    path = write_xml(
        "w.xml",
        "<hash><company><clock>24h</clock><name>N</name></company>"
        '<user><id>7</id><timestamp-timers type="boolean">true</timestamp-timers></user></hash>',
    )
    ((raw,), warnings) = read_file(path)
    assert (raw.resource, raw.id, raw.detail) == ("account", "account", True)
    assert raw.fields["clock"] == "24h"
    assert raw.fields["timestamp_timers"] == "true"
    assert raw.fields["user_id"] == "7"
    assert warnings == []


def test_an_unknown_hash_body_is_skipped_with_a_warning(write_xml: Write, read_file: Any) -> None:
    records, (warning,) = read_file(write_xml("h.xml", "<hash><something>1</something></hash>"))
    assert records == []
    assert warning.message == "skipped: an unknown <hash> body holds no records to migrate"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            "<clients><client><name>x</name></client></clients>",
            "skipped <client>: the record has no id, so it cannot be keyed or reported",
            id="no-id",
        ),
        pytest.param(
            "<clients><client><id>abc</id></client></clients>",
            "skipped <client>: the record has an id that is not a whole number ('abc'), so it cannot be keyed",
            id="bad-id",
        ),
        pytest.param(
            "<expenses><for_week_start_day>2013-03-04</for_week_start_day></expenses>",
            "ignored <for_week_start_day>: not a record of expenses",
            id="weekly-expense-shell",
        ),
    ],
)
def test_what_cannot_be_a_record_is_a_warning_with_its_line(
    write_xml: Write, read_file: Any, body: str, message: str
) -> None:
    records, (warning,) = read_file(write_xml("w.xml", body))
    assert records == []
    assert message in warning.message
    assert warning.line == 2


@pytest.mark.parametrize("root", ["response", "request", "html", "invoice-list", "client_list"])
def test_foreign_roots_are_not_claimed(root: str) -> None:
    assert not HarvestV1Reader().claims(root)


def test_an_unknown_root_is_refused_with_file_and_line(write_xml: Write) -> None:
    path = write_xml("x.xml", "\n<estimates><estimate/></estimates>")
    with pytest.raises(SourceParseError) as caught:
        HarvestV1Reader().read(path, lambda r: None, lambda w: None)
    assert str(caught.value) == f"{path}:3: unknown root element <estimates>: not a Harvest v1 API response"


def test_a_doctype_with_entities_is_refused_with_file_and_line(write_xml: Write) -> None:
    path = write_xml(
        "bomb.xml",
        '<!DOCTYPE clients [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>\n<clients><client><id>1</id>'
        "<name>&b;</name></client></clients>",
    )
    emitted: list[object] = []
    with pytest.raises(UnsafeXMLError) as caught:
        HarvestV1Reader().read(path, emitted.append, lambda w: None)
    assert str(caught.value).startswith(f"{path}:2: refused: the DOCTYPE declares entities (a, b)")
    assert emitted == []


def test_a_truncated_file_fails_with_its_line_after_the_complete_records(write_xml: Write) -> None:
    path = write_xml(
        "cut.xml",
        "<clients>\n<client><id>1</id></client>\n<client><id>2</id></client>\n<client><id>3</id><name>Tru",
    )
    emitted: list[Any] = []
    with pytest.raises(SourceParseError) as caught:
        HarvestV1Reader().read(path, emitted.append, lambda w: None)
    assert [record.id for record in emitted] == ["1", "2"]
    assert caught.value.file == str(path)
    assert caught.value.line == 5
    assert str(caught.value).startswith(f"{path}:5: not well-formed XML")


def test_the_list_scan_keeps_only_a_batch_of_records_in_the_tree(tmp_path: Path) -> None:
    """Handled records are detached in batches: memory stays flat whatever the file size."""
    from migrator.sources.xmlsafe import XmlStream

    path = tmp_path / "big.xml"
    with path.open("w") as out:
        out.write('<day-entries type="array">')
        for index in range(5_000):
            out.write(f"<day-entry><id>{index + 1}</id><notes>{'x' * 50}</notes></day-entry>")
        out.write("</day-entries>")
    layout = reader_module._list_layout("day_entries", {})
    assert layout is not None
    held: list[int] = []
    for elem in XmlStream(path).records(reader_module._V1ListScan(layout, str(path), lambda w: None)):
        siblings_before = 0
        while (elem := elem.getprevious()) is not None:
            siblings_before += 1
        held.append(siblings_before)
    assert len(held) == 5_000
    assert max(held) < 256  # handled records never pile up: at most one batch stays attached
