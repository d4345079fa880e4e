"""The staging store: merged source records on disk (SQLite), so memory stays flat.

A real export can hold millions of time entries; the store keeps each record once, keyed by
(resource, id), and applies the merge rules as records arrive:

- the same record seen twice with the same content (overlapping pages) is kept once;
- a detail record (a single-record body, e.g. an invoice with its line items) supersedes a list
  summary of the same id;
- two versions that disagree: the detail wins, else the later `updated_at`, else the later file;
  the conflict is reported as a warning naming both places.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from migrator.sources.coerce import to_datetime
from migrator.sources.record import RawRecord, SourceWarning

_SCHEMA = """
CREATE TABLE records (
    resource TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    parent TEXT,
    detail INTEGER NOT NULL,
    updated_at TEXT,
    digest TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER,
    fields TEXT NOT NULL,
    PRIMARY KEY (resource, id)
) WITHOUT ROWID;
CREATE INDEX records_parent ON records (resource, parent);
"""


def _digest(fields: dict[str, Any]) -> tuple[str, str]:
    # The hot path stores the text only; equality is decided on a conflict, which is rare.
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")), ""


def _sort_time(value: str | None) -> float | None:
    try:
        moment = to_datetime(value)
    except ValueError:
        return None
    return moment.timestamp() if moment is not None and moment.tzinfo else None


class StagingStore:
    """Merged raw records of one source system, in a temporary SQLite file."""

    def __init__(self, directory: str | Path | None = None) -> None:
        handle, name = tempfile.mkstemp(prefix="migrator-staging-", suffix=".sqlite", dir=directory)
        os.close(handle)
        self.path = Path(name)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # A scratch file: durability buys nothing here, speed does.
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN")
        self._seq = 0
        self.warnings: list[SourceWarning] = []
        self.duplicates = 0

    # --- writing -----------------------------------------------------------------------------------

    def add(self, record: RawRecord) -> None:
        """Merge one raw record into the store (see the module docstring for the rules)."""
        text, digest = _digest(record.fields)
        self._seq += 1
        row = (
            record.resource,
            record.id,
            self._seq,
            record.parent,
            int(record.detail),
            record.updated_at,
            digest,
            record.file,
            record.line,
            text,
        )
        cursor = self._db.execute("INSERT OR IGNORE INTO records VALUES (?,?,?,?,?,?,?,?,?,?)", row)
        if cursor.rowcount == 0:
            self._merge(record, row)

    def _merge(self, record: RawRecord, row: tuple[Any, ...]) -> None:
        old = self._db.execute(
            "SELECT detail, updated_at, digest, file, line, fields FROM records WHERE resource=? AND id=?",
            (record.resource, record.id),
        ).fetchone()
        old_detail, old_updated, old_digest, old_file, old_line, old_text = old
        self.duplicates += 1
        old_fields = json.loads(old_text)
        if old_fields == record.fields:
            return  # the same record on two pages
        # A summary is a subset of its detail: no conflict when the shared fields agree.
        shared = set(old_fields) & set(record.fields)
        agree = all(old_fields[key] == record.fields[key] for key in shared)
        new_wins, reason = self._new_wins(bool(old_detail), old_updated, record)
        if not agree:
            kept = f"{record.file}:{record.line}" if new_wins else f"{old_file}:{old_line}"
            dropped = f"{old_file}:{old_line}" if new_wins else f"{record.file}:{record.line}"
            differing = sorted(key for key in shared if old_fields[key] != record.fields[key])
            self.warnings.append(
                SourceWarning(
                    file=record.file,
                    line=record.line,
                    resource=record.resource,
                    record_id=record.id,
                    message=(
                        f"two versions of {record.resource} {record.id} differ in "
                        f"{', '.join(differing[:6])}; kept {kept} ({reason}), ignored {dropped}"
                    ),
                )
            )
        if new_wins:
            self._db.execute(
                "UPDATE records SET seq=?, parent=?, detail=?, updated_at=?, digest=?, file=?, line=?, fields=?"
                " WHERE resource=? AND id=?",
                (*row[2:], record.resource, record.id),
            )

    @staticmethod
    def _new_wins(old_detail: bool, old_updated: str | None, new: RawRecord) -> tuple[bool, str]:
        if new.detail != old_detail:
            return new.detail, "the detail record"
        old_time, new_time = _sort_time(old_updated), _sort_time(new.updated_at)
        if old_time is not None and new_time is not None and old_time != new_time:
            return new_time > old_time, "the later updated-at"
        return True, "the later file"

    def seal(self) -> None:
        """Finish writing; the store is read-only afterwards."""
        if self._db.in_transaction:
            self._db.execute("COMMIT")

    # --- reading -----------------------------------------------------------------------------------

    def _rows(self, sql: str, args: tuple[Any, ...]) -> Iterator[RawRecord]:
        self.seal()
        cursor = self._db.execute(sql, args)
        while batch := cursor.fetchmany(2000):
            for resource, rid, parent, detail, updated, file, line, text in batch:
                yield RawRecord(resource, rid, json.loads(text), file, line, bool(detail), updated, parent)

    _COLUMNS = "resource, id, parent, detail, updated_at, file, line, fields"

    def iter(self, resource: str) -> Iterator[RawRecord]:
        """Every record of `resource`, in the order first seen."""
        return self._rows(f"SELECT {self._COLUMNS} FROM records WHERE resource=? ORDER BY seq", (resource,))

    def children(self, resource: str, parent: str) -> list[RawRecord]:
        """Records of `resource` whose `parent` key is `parent` (e.g. payments of an invoice)."""
        sql = f"SELECT {self._COLUMNS} FROM records WHERE resource=? AND parent=? ORDER BY seq"
        return list(self._rows(sql, (resource, parent)))

    def get(self, resource: str, record_id: str) -> RawRecord | None:
        sql = f"SELECT {self._COLUMNS} FROM records WHERE resource=? AND id=?"
        return next(self._rows(sql, (resource, record_id)), None)

    def count(self, resource: str | None = None) -> int:
        self.seal()
        if resource is None:
            return int(self._db.execute("SELECT count(*) FROM records").fetchone()[0])
        return int(self._db.execute("SELECT count(*) FROM records WHERE resource=?", (resource,)).fetchone()[0])

    def resources(self) -> list[str]:
        self.seal()
        return [row[0] for row in self._db.execute("SELECT DISTINCT resource FROM records ORDER BY resource")]

    def close(self) -> None:
        self._db.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> StagingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
