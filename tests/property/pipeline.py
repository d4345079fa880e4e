"""Run the library pipeline (read → map → payload) on generated files and check what must always hold.

`run_pipeline` writes the files to a fresh temporary folder, reads them with
`migrator.sources.export.read_exports` and maps them with `mappings.map_all` into a `MapSink`, as
`migrator.api.read_and_map` does. Any exception that is not a `MigratorError` propagates and fails
the test: that is the first property. `check_sink` states the rest for every plan entry.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from migrator.errors import MigratorError, SourceError
from migrator.mappings import map_all
from migrator.planned import MapContext, MapSink, Planned
from tests.openapi import planned_body_problems

# The round trips' settings: CI is deterministic (the same examples on every run, no example database).
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass
class Outcome:
    """What the pipeline produced: a sink, or the `MigratorError` that stopped it."""

    sink: MapSink | None
    error: MigratorError | None
    files: set[str]

    def entries(self, kind: str, source_id: str) -> list[Planned]:
        assert self.sink is not None
        return [p for p in self.sink.planned if p.kind == kind and p.source_id == source_id]

    def one(self, kind: str, source_id: str) -> Planned:
        found = self.entries(kind, source_id)
        assert len(found) == 1, f"{kind} {source_id}: {len(found)} plan entries: {found}"
        return found[0]


@contextmanager
def _folder(files: Mapping[str, str | bytes]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="migrator-prop-") as name:
        root = Path(name) / "export"
        root.mkdir()
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)
        yield root


def run_pipeline(files: Mapping[str, str | bytes], ctx: MapContext) -> Outcome:
    from migrator.sources.export import read_exports

    with _folder(files) as root:
        names = {str(root / relative) for relative in files}
        try:
            exports = read_exports([root])
        except MigratorError as exc:  # allowed to escape; anything else fails the test
            return Outcome(None, exc, names)
        try:
            sink = MapSink()
            try:
                map_all(exports, sink, ctx)
            except MigratorError as exc:
                return Outcome(None, exc, names)
        finally:
            for export in exports:
                export.close()
        return Outcome(sink, None, names)


def walk(value: Any, path: str = "payload") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


def check_sink(outcome: Outcome) -> None:
    """Every entry is ok (a v2 create request body the spec accepts, no float) or invalid/skipped with a reason;
    every invalid entry is also an error naming one of our files and a line."""
    if outcome.error is not None:
        # Generated documents are well-formed, so a file-level stop must at least be located.
        error = outcome.error
        assert str(error).strip()
        if isinstance(error, SourceError):
            assert error.file in outcome.files, error
        return
    sink = outcome.sink
    assert sink is not None
    for planned in sink.planned:
        assert planned.status in ("ok", "invalid", "skipped"), planned
        if planned.status != "ok":
            assert isinstance(planned.reason, str) and planned.reason.strip(), planned
            continue
        for where, item in walk(planned.payload):
            assert not isinstance(item, float), f"float at {where} in {planned.kind} {planned.source_id}"
            if isinstance(item, Decimal):
                assert item.is_finite(), f"{where} = {item}"
        # `MapSink.emit` already validated the payload against our own model; the contract is the
        # independent check: the OpenAPI request schema, as the loader sends it.
        problems = planned_body_problems(planned.kind, planned.payload)
        assert problems == [], f"{planned.kind} {planned.source_id}: {problems}"
    for planned in sink.planned:
        if planned.status == "invalid":
            located = [
                e for e in sink.errors if e.get("kind") == planned.kind and e.get("source_id") == planned.source_id
            ]
            assert located, f"invalid {planned.kind} {planned.source_id} is not under errors"
            for entry in located:
                assert entry["file"] in outcome.files, entry
                assert isinstance(entry["line"], int) and entry["line"] >= 1, entry


def same_decimal(actual: Any, expected: Decimal) -> bool:
    """Equal, and the very same digits and exponent (7.50 stays 7.50): nothing was rounded or re-typed.

    Zero is only compared by value (`0.00000` may become `0`: the mappings treat a zero price as unset).
    """
    if not isinstance(actual, Decimal) or actual != expected:
        return False
    return expected == 0 or actual.as_tuple() == expected.as_tuple()


def clock_minutes(text: str) -> int:
    """`12:00am` -> 0, `1:30pm` -> 810 (v2's 12-hour form, as the mappings write it)."""
    clock, meridiem = text[:-2], text[-2:]
    hour, minute = (int(part) for part in clock.split(":"))
    return (hour % 12 + (12 if meridiem == "pm" else 0)) * 60 + minute


def as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
