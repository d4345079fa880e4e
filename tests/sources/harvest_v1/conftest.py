"""Helpers for the Harvest v1 source tests: our fixtures, the real samples, one-file reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from migrator.sources.harvest_v1.reader import HarvestV1Reader
from migrator.sources.record import RawRecord, SourceWarning

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "fixtures" / "harvest-v1"
EXTERNAL = REPO.parent / "shared" / "fixtures-external" / "harvest-v1"


ReadFile = Callable[[Path], tuple[list[RawRecord], list[SourceWarning]]]


def _read_file(path: Path) -> tuple[list[RawRecord], list[SourceWarning]]:
    records: list[RawRecord] = []
    warnings: list[SourceWarning] = []
    HarvestV1Reader().read(path, records.append, warnings.append)
    return records, warnings


@pytest.fixture
def read_file() -> ReadFile:
    """Everything the v1 reader emits for one file: (records, warnings)."""
    return _read_file


@pytest.fixture
def write_xml(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write `body` (with an XML declaration) to `tmp_path/name` and return the path."""

    def write(name: str, body: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + body, encoding="utf-8")
        return path

    return write
