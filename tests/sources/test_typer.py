"""The fast typer gives exactly what pydantic validation gives: same values, same types, same errors.

`RecordTyper` skips pydantic's per-field machinery for clean scalar fields; `type_record` is the
reference. Both are run on every record of both fixture accounts and of the public samples, and on
generated field values, and must agree on every field (value, exact type and text form, so
`Decimal("1.50")` is not taken for `Decimal("1.5")`), on `model_fields_set`, on the extras and, for
a bad value, on the whole error message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.errors import SourceError
from migrator.sources.export import read_exports
from migrator.sources.freshbooks.records import MODELS as FB_MODELS
from migrator.sources.harvest_v1.records import MODELS as V1_MODELS
from migrator.sources.record import RawRecord, SourceRecord, type_record
from migrator.sources.typer import RecordTyper
from tests.conftest import REPO, external_samples


def _fields(record: SourceRecord) -> dict[str, tuple[type, str]]:
    return {name: (type(value), repr(value)) for name, value in record.__dict__.items()}


def _assert_same(raw: RawRecord, model: type[SourceRecord], system: str) -> bool:
    """Type `raw` both ways and compare; True when the fast typer did not need pydantic."""
    try:
        expected: SourceRecord | SourceError = type_record(model, raw, system)
    except SourceError as exc:
        expected = exc
    typer = RecordTyper(model, system)
    try:
        got: SourceRecord | SourceError = typer(raw.id, raw.fields, raw.file, raw.line)
    except SourceError as exc:
        got = exc
    if isinstance(expected, SourceError):
        assert isinstance(got, SourceError)
        assert str(got) == str(expected)
        return False
    assert isinstance(got, model)
    assert _fields(got) == _fields(expected)
    assert list(got.__dict__) == list(expected.__dict__)
    assert got.model_fields_set == expected.model_fields_set
    assert got == expected
    assert got.model_dump() == expected.model_dump()
    return True


def _staged(paths: list[Path]) -> Iterator[tuple[RawRecord, str, type[SourceRecord]]]:
    for export in read_exports(paths, keep_going=True):
        models = export.reader.models
        try:
            for resource in export.store.resources():
                for raw in export.store.iter(resource):
                    yield raw, export.system, models[resource]
        finally:
            export.close()


@pytest.mark.parametrize("fixture", ["harvest-v1", "freshbooks"])
def test_every_fixture_record_types_identically(fixture: str) -> None:
    records = list(_staged([REPO / "fixtures" / fixture]))
    assert len(records) > 30
    fast = sum(_assert_same(raw, model, system) for raw, system, model in records)
    assert fast > len(records) * 0.8  # the shortcut is the common path, not the exception


@pytest.mark.parametrize("system", ["harvest-v1", "freshbooks-classic"])
def test_every_public_sample_record_types_identically(system: str) -> None:
    folder = external_samples(system)
    records = list(_staged([folder]))
    assert records
    for raw, source, model in records:
        _assert_same(raw, model, source)


# --- generated values ----------------------------------------------------------------------------

_TEXTS = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "", " ", "0", "1", "true", "FALSE", "yes", "n", "-7", "+3", "00000079106", "12.50", "1e3", "NaN",
            "Infinity", "-0.00", "2013-02-28", "2013-2-3", "2013-02-30", "0000-00-00 00:00:00", "2014-01-02 00:00:00",
            "2008-02-05T21:00:32Z", "Sat, 01 Aug 2009 02:19:00 +0000", "Sat Aug 01 23:06:55 +0000 2009",
            "20110101", "8:00am", "16:45", "13:00pm", "١٢", "½", "\t12\n",
        ]
    ),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.text(max_size=3), max_size=2),
)


@st.composite
def _raw_records(draw: st.DrawFn) -> tuple[RawRecord, type[SourceRecord], str]:
    system, models = draw(st.sampled_from([("harvest-v1", V1_MODELS), ("freshbooks", FB_MODELS)]))
    resource = draw(st.sampled_from(sorted(models)))
    model = models[resource]
    names = sorted(set(model.model_fields) - {"origin", "extras"}) + ["unknown_field", "id"]
    fields: dict[str, Any] = draw(st.dictionaries(st.sampled_from(names), _TEXTS, max_size=8))
    return RawRecord(resource, "42", fields, "export.xml", 7), model, system


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_raw_records())
def test_generated_records_type_identically(case: tuple[RawRecord, type[SourceRecord], str]) -> None:
    raw, model, system = case
    _assert_same(raw, model, system)


def test_the_shortcut_keeps_decimal_text_and_exact_types() -> None:
    raw = RawRecord("day_entries", "9", {"hours": "1.50", "spent_at": "2013-02-03", "is_closed": "true"}, "f.xml", 3)
    entry = RecordTyper(V1_MODELS["day_entries"], "harvest-v1")(raw.id, raw.fields, raw.file, raw.line)
    assert str(entry.hours) == "1.50" and type(entry.hours) is Decimal  # type: ignore[attr-defined]
    assert entry.spent_at == dt.date(2013, 2, 3)  # type: ignore[attr-defined]
    assert entry.is_closed is True  # type: ignore[attr-defined]
    assert entry.model_fields_set == {"id", "origin", "extras", "hours", "spent_at", "is_closed"}
    assert entry.origin.where() == "f.xml:3"


def test_a_bad_value_is_the_same_located_error() -> None:
    raw = RawRecord("day_entries", "9", {"hours": "two"}, "exports/d.xml", 12)
    with pytest.raises(SourceError) as caught:
        RecordTyper(V1_MODELS["day_entries"], "harvest-v1")(raw.id, raw.fields, raw.file, raw.line)
    assert str(caught.value) == "exports/d.xml:12 day_entries 9: field 'hours' 'two' is not a decimal number"
