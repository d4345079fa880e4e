"""`plan --lossy-csv F`: every lossy note as a spreadsheet row, money first, with its file and line."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from migrator.report.naming import ShortPaths

COLUMNS = ("severity", "record", "field", "note", "file", "line")


def write_lossy_csv(report: Any, path: Path) -> int:
    """Write the notes of `report` to `path` (UTF-8, one header row); return how many."""
    paths = ShortPaths(report.paths)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for note, file, line in report.store.lossy_located():
            record = f"{note.system}:{note.kind}:{note.source_id}"
            out.writerow((note.severity, record, note.field, note.note, paths.show(file or ""), line or ""))
            written += 1
    return written
