"""Per-field coercion of v1 values, one case per quirk of research §6 (numbers in the ids)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import SourceError
from migrator.sources.harvest_v1.reader import HarvestV1Reader
from migrator.sources.record import type_record

UTC = dt.UTC


def _typed(write_xml: Callable[[str, str], Path], body: str) -> Any:
    path = write_xml("case.xml", body)
    records: list[Any] = []
    reader = HarvestV1Reader()
    reader.read(path, records.append, lambda warning: None)
    (record,) = records
    return type_record(reader.models[record.resource], record, reader.system)


def _entry(inner: str) -> str:
    return f'<day-entries type="array"><day-entry><id type="integer">7</id>{inner}</day-entry></day-entries>'


CASES = [
    # §6.2: yaml nil, NilClass with a value, dateTime spelling, unknown types decided per field
    pytest.param(
        '<clients><client><id>1</id><default-invoice-timeframe type="yaml" nil="true"></default-invoice-timeframe>'
        "</client></clients>",
        "default_invoice_timeframe",
        None,
        id="2-yaml-nil",
    ),
    pytest.param(
        _entry('<hours-with-timer type="NilClass">0.16</hours-with-timer>'),
        "hours_with_timer",
        Decimal("0.16"),
        id="2-NilClass-with-a-value",
    ),
    pytest.param(
        _entry('<created-at type="dateTime">2015-04-09T12:07:56Z</created-at>'),
        "created_at",
        dt.datetime(2015, 4, 9, 12, 7, 56, tzinfo=UTC),
        id="2-dateTime",
    ),
    # §6.3: untyped numbers (/daily ids) and float-typed hours, never a float
    pytest.param(
        "<daily><day_entries><day_entry><id>7</id><project_id>408960</project_id></day_entry></day_entries></daily>",
        "project_id",
        "408960",
        id="3-untyped-id",
    ),
    pytest.param(_entry('<hours type="float">1.34</hours>'), "hours", Decimal("1.34"), id="3-float-hours-as-decimal"),
    # §6.4: nil wins over content; empty is "no value" too
    pytest.param(
        '<invoices><invoice><id>7</id><tax2-amount type="decimal" nil="true">0</tax2-amount></invoice></invoices>',
        "tax2_amount",
        None,
        id="4-nil-with-content",
    ),
    pytest.param(_entry("<notes></notes>"), "notes", None, id="4-empty-notes"),
    pytest.param(_entry('<notes nil="true"/>'), "notes", None, id="4-nil-notes"),
    # §6.5: dash and underscore spellings meet in one field
    pytest.param(
        "<users><user><id>5</id><first_name>Jonah</first_name></user></users>",
        "first_name",
        "Jonah",
        id="5-snake-in-rest",
    ),
    pytest.param(_entry("<spent-at>2009-12-28</spent-at>"), "spent_at", dt.date(2009, 12, 28), id="5-dash"),
    # §6.6: the date-time spellings
    pytest.param(
        _entry("<created-at>Sat, 01 Aug 2009 02:19:00 +0000</created-at>"),
        "created_at",
        dt.datetime(2009, 8, 1, 2, 19, tzinfo=UTC),
        id="6-rfc2822",
    ),
    pytest.param(
        _entry("<updated-at>2010-04-02T01:34:59+00:00</updated-at>"),
        "updated_at",
        dt.datetime(2010, 4, 2, 1, 34, 59, tzinfo=UTC),
        id="6-offset",
    ),
    pytest.param(
        _entry("<updated-at>Sat Aug 01 23:06:55 +0000 2009</updated-at>"),
        "updated_at",
        dt.datetime(2009, 8, 1, 23, 6, 55, tzinfo=UTC),
        id="6-ruby-time-to-s",
    ),
    pytest.param(_entry("<spent-at>Wed, 18 Oct 2006</spent-at>"), "spent_at", dt.date(2006, 10, 18), id="6-for-day"),
    # §6.7: wall-clock times and an indented timer start
    pytest.param(_entry("<started-at>8:00am</started-at>"), "started_at", "8:00am", id="7-clock-12h"),
    pytest.param(_entry("<ended-at>16:45</ended-at>"), "ended_at", "4:45pm", id="7-clock-24h"),
    pytest.param(_entry("<ended-at></ended-at>"), "ended_at", None, id="7-clock-empty"),
    pytest.param(
        _entry('<timer-started-at type="datetime">\n    Wed, 18 Oct 2006 09:53:06 -0000\n  </timer-started-at>'),
        "timer_started_at",
        dt.datetime(2006, 10, 18, 9, 53, 6),  # RFC 2822 `-0000` means "zone unknown": naive
        id="7-indented-timer",
    ),
    # §6.8: the 2009 `<add>` reply wraps one entry
    pytest.param(
        '<add><day_entry><id>7</id><hours type="float">0.00</hours></day_entry></add>',
        "hours",
        Decimal("0.00"),
        id="8-add-root",
    ),
    # §6.9: the docs' name drift and repeated elements (the last wins)
    pytest.param(
        '<invoice><id>7</id><tax-amount2 type="decimal">1.5</tax-amount2></invoice>',
        "tax2_amount",
        Decimal("1.5"),
        id="9-tax-amount2",
    ),
    pytest.param(
        _entry("<updated-at>2008-03-05T22:50:44Z</updated-at><updated-at>2008-04-09T12:07:56Z</updated-at>"),
        "updated_at",
        dt.datetime(2008, 4, 9, 12, 7, 56, tzinfo=UTC),
        id="9-duplicate-last-wins",
    ),
    # §6.10: a list summary has no line items
    pytest.param("<invoices><invoice><id>7</id></invoice></invoices>", "csv_line_items", None, id="10-no-csv"),
    # §6.12/13: CR survives only when escaped; entities are decoded
    pytest.param(
        "<clients><client><id>1</id><details>65 Northridge Dr&#13;\nBuffalo, NY</details></client></clients>",
        "details",
        "65 Northridge Dr\r\nBuffalo, NY",
        id="12-escaped-cr",
    ),
    pytest.param(
        "<clients><client><id>1</id><name>Anchor Bar &amp; Grill</name></client></clients>",
        "name",
        "Anchor Bar & Grill",
        id="13-amp",
    ),
    pytest.param(
        "<invoice-messages><invoice-message><id>1</id><full-recipient-list>Jane &lt;j@x.org&gt;</full-recipient-list>"
        "</invoice-message></invoice-messages>",
        "full_recipient_list",
        "Jane <j@x.org>",
        id="13-lt-gt",
    ),
    # §6.15: ids are keys (leading zeros) and may be large; numbers are strings
    pytest.param(
        "<invoices><invoice><id>00000079106</id><number>20151058</number></invoice></invoices>",
        "id",
        "79106",
        id="15-id-leading-zeros",
    ),
    pytest.param(_entry('<user-id type="integer">5634451120</user-id>'), "user_id", "5634451120", id="15-big-id"),
    pytest.param(
        "<invoices><invoice><id>7</id><number>AB143</number></invoice></invoices>",
        "number",
        "AB143",
        id="15-number-is-text",
    ),
    # §6.17/18: booleans wrapped in whitespace, any case
    pytest.param(
        '<user><id>5</id><has-access-to-all-future-projects type="boolean">\n    false\n  '
        "</has-access-to-all-future-projects></user>",
        "has_access_to_all_future_projects",
        False,
        id="18-bool-whitespace",
    ),
    pytest.param(_entry('<is-billed type="boolean">TRUE</is-billed>'), "is_billed", True, id="18-bool-case"),
    # §6.21: the recurring generator leaves created-by-id nil
    pytest.param(
        '<invoice><id>7</id><created-by-id type="integer" nil="true"></created-by-id></invoice>',
        "created_by_id",
        None,
        id="21-created-by-nil",
    ),
]


@pytest.mark.parametrize(("body", "field", "expected"), CASES)
def test_a_v1_value_is_coerced_by_field(
    write_xml: Callable[[str, str], Path], body: str, field: str, expected: object
) -> None:
    record = _typed(write_xml, body)
    assert getattr(record, field) == expected
    assert type(getattr(record, field)) is type(expected)


def test_empty_and_nil_stay_distinct_in_the_raw_record(read_file: Any, write_xml: Callable[[str, str], Path]) -> None:
    path = write_xml("e.xml", _entry('<notes></notes><project-id nil="true">408960</project-id>'))
    ((record,), _warnings) = read_file(path)
    assert record.fields["notes"] == ""
    assert record.fields["project_id"] is None


def test_a_field_unknown_to_the_model_is_kept_as_an_extra(write_xml: Callable[[str, str], Path]) -> None:
    record = _typed(write_xml, _entry("<approval-status>submitted</approval-status>"))
    assert record.extras == {"approval_status": "submitted"}


@pytest.mark.parametrize(
    ("inner", "field", "message"),
    [
        pytest.param("<hours>1,5</hours>", "hours", "'1,5' is not a decimal number", id="decimal-comma"),
        pytest.param("<spent-at>2013-02-30</spent-at>", "spent_at", "is not a valid date", id="impossible-date"),
        pytest.param("<started-at>25:00</started-at>", "started_at", "is not a valid time of day", id="bad-clock"),
        pytest.param("<is-billed>maybe</is-billed>", "is_billed", "is not a boolean", id="bad-bool"),
    ],
)
def test_a_bad_value_names_file_line_record_and_field(
    write_xml: Callable[[str, str], Path], inner: str, field: str, message: str
) -> None:
    with pytest.raises(SourceError) as caught:
        _typed(write_xml, _entry(inner))
    error = caught.value
    assert (error.resource, error.record_id, error.field, error.line) == ("day_entries", "7", field, 2)
    assert message in str(error)
    assert str(error).startswith(f"{error.file}:2 day_entries 7: field '{field}'")
