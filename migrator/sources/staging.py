"""The staging store: merged source records on disk (SQLite), so memory stays flat.

A real export can hold millions of time entries; the store keeps each record once, keyed by
(resource, id), and applies the merge rules:

- the same record seen twice with the same content (overlapping pages) is kept once;
- a detail record (a single-record body, e.g. an invoice with its line items) supersedes a list
  summary of the same id;
- two versions that disagree: the detail wins, else the later `updated_at`, else the later file;
  the conflict is reported as a warning naming both places.

Writing is the hot path of a read, so it is append-only: one rowid table per resource (rows come
back in the order they were read, without a sort), fields serialised with `marshal` (the values
are only text, None, lists and dicts; this file is private to the process), rows inserted in
batches. Repeats are found once, when the store is first read (`settle`), by an index on the id;
they are rare, so merging them in Python costs nothing on the common path.
"""

from __future__ import annotations

import marshal
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from migrator.sources.coerce import to_datetime
from migrator.sources.receipts import ReceiptFile
from migrator.sources.record import RawRecord, SourceWarning

_BATCH = 2000  # rows buffered per resource before one executemany
_RESOURCE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")  # resource names become table names
_COLUMNS = "seq, id, parent, detail, updated_at, file, line, fields"

# (seq, id, parent, detail, updated_at, file index, line, marshalled fields)
Row = tuple[int, str, str | None, int, str | None, int, int | None, bytes]
# What `rows` yields: (id, parent, detail, updated_at, file, line, fields)
StagedRow = tuple[str, str | None, bool, str | None, str, int | None, dict[str, Any]]


def _sort_time(value: str | None) -> float | None:
    try:
        moment = to_datetime(value)
    except ValueError:
        return None
    return moment.timestamp() if moment is not None and moment.tzinfo else None


class StagingStore:
    """Merged raw records of one source system, in a private temporary SQLite database."""

    def __init__(self) -> None:
        # SQLite's private temporary database (an empty file name): on disk once it outgrows its cache,
        # in $SQLITE_TMPDIR or the system's temporary folder, and unlinked as it is created, so a run
        # that is killed leaves no staging file behind.
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        # A scratch file: durability buys nothing here, speed does.
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        # Receipt files found beside the export, one per expense id (`migrator.sources.receipts`): kept
        # here, not in memory, as an old account can hold a receipt for most of its expenses.
        self._db.execute(
            "CREATE TABLE receipt_files (id TEXT PRIMARY KEY, path BLOB NOT NULL, shown TEXT NOT NULL,"
            " size INTEGER NOT NULL, sha256 TEXT NOT NULL, content_type TEXT NOT NULL)"
        )
        self._db.execute("BEGIN")
        self._seq = 0
        self._files: dict[str, int] = {}
        self._file_names: list[str] = []
        self._pending: dict[str, list[Row]] = {}
        self._tables: set[str] = set()
        self._dirty: set[str] = set()  # resources written since the last settle
        self._parent_index: set[str] = set()
        self._warnings: list[tuple[int, SourceWarning]] = []
        self.duplicates = 0

    # --- writing -----------------------------------------------------------------------------------

    def add(self, record: RawRecord) -> None:
        """Stage one raw record; repeats are merged when the store is first read (see the module doc)."""
        resource = record.resource
        pending = self._pending.get(resource)
        if pending is None:
            pending = self._open_table(resource)
        file_index = self._files.get(record.file)
        if file_index is None:
            file_index = self._files[record.file] = len(self._file_names)
            self._file_names.append(record.file)
        self._seq += 1
        pending.append(
            (
                self._seq,
                record.id,
                record.parent,
                1 if record.detail else 0,
                record.updated_at,
                file_index,
                record.line,
                marshal.dumps(record.fields),
            )
        )
        if len(pending) >= _BATCH:
            self._flush(resource)

    def _open_table(self, resource: str) -> list[Row]:
        if not _RESOURCE.match(resource):
            raise ValueError(f"not a resource name: {resource!r}")
        if resource not in self._tables:
            self._db.execute(
                f"CREATE TABLE r_{resource} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, parent TEXT,"
                " detail INTEGER NOT NULL, updated_at TEXT, file INTEGER NOT NULL, line INTEGER, fields BLOB NOT NULL)"
            )
            self._tables.add(resource)
        pending: list[Row] = []
        self._pending[resource] = pending
        return pending

    def _flush(self, resource: str) -> None:
        rows = self._pending.get(resource)
        if rows:
            self._db.executemany(f"INSERT INTO r_{resource} VALUES (?,?,?,?,?,?,?,?)", rows)
            rows.clear()
            self._dirty.add(resource)

    def discard(self, file: str) -> int:
        """Drop every record staged from `file` (a file that failed part-way contributes nothing).

        Called before the store is read, so the merge never saw them. Returns how many were dropped.
        """
        index = self._files.get(file)
        if index is None:
            return 0
        dropped = 0
        for resource, rows in self._pending.items():
            kept = [row for row in rows if row[5] != index]
            dropped += len(rows) - len(kept)
            rows[:] = kept
            dropped += self._db.execute(f"DELETE FROM r_{resource} WHERE file=?", (index,)).rowcount
        return dropped

    def settle(self) -> None:
        """Write what is buffered and merge repeated ids; reading calls it, so callers rarely need to."""
        for resource in list(self._pending):
            self._flush(resource)
        for resource in sorted(self._dirty):
            self._db.execute(f"CREATE INDEX IF NOT EXISTS r_{resource}_id ON r_{resource} (id)")
            repeated = self._db.execute(f"SELECT id FROM r_{resource} GROUP BY id HAVING count(*) > 1").fetchall()
            for (record_id,) in repeated:
                self._merge(resource, record_id)
        self._dirty.clear()
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._db.execute("BEGIN")

    def _merge(self, resource: str, record_id: str) -> None:
        """Fold every version of one id, in the order read, into the one that wins; delete the rest."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM r_{resource} WHERE id=? ORDER BY seq", (record_id,)).fetchall()
        kept = rows[0]
        kept_fields = marshal.loads(kept[7])
        for row in rows[1:]:
            self.duplicates += 1
            fields = marshal.loads(row[7])
            if fields == kept_fields:
                loser = row  # the same record on two pages: the first stays
            else:
                new_wins, reason = self._new_wins(bool(kept[3]), kept[4], bool(row[3]), row[4])
                # A summary is a subset of its detail: no conflict when the shared fields agree.
                shared = set(kept_fields) & set(fields)
                differing = sorted(key for key in shared if kept_fields[key] != fields[key])
                if differing:
                    winner, loser = (row, kept) if new_wins else (kept, row)
                    warning = self._conflict(resource, record_id, row, winner, loser, differing, reason)
                    self._warnings.append((row[0], warning))
                if new_wins:
                    loser, kept, kept_fields = kept, row, fields
                else:
                    loser = row
            self._db.execute(f"DELETE FROM r_{resource} WHERE seq=?", (loser[0],))

    def _conflict(
        self, resource: str, record_id: str, new: Row, winner: Row, loser: Row, differing: list[str], reason: str
    ) -> SourceWarning:
        return SourceWarning(
            file=self._file_names[new[5]],
            line=new[6],
            resource=resource,
            record_id=record_id,
            message=(
                f"two versions of {resource} {record_id} differ in {', '.join(differing[:6])}; "
                f"kept {self._where(winner)} ({reason}), ignored {self._where(loser)}"
            ),
        )

    def _where(self, row: Row) -> str:
        return f"{self._file_names[row[5]]}:{row[6]}"

    @staticmethod
    def _new_wins(
        old_detail: bool, old_updated: str | None, new_detail: bool, new_updated: str | None
    ) -> tuple[bool, str]:
        if new_detail != old_detail:
            return new_detail, "the detail record"
        old_time, new_time = _sort_time(old_updated), _sort_time(new_updated)
        if old_time is not None and new_time is not None and old_time != new_time:
            return new_time > old_time, "the later updated-at"
        return True, "the later file"

    @property
    def warnings(self) -> list[SourceWarning]:
        """Conflicts between versions of a record, in the order the later version was read."""
        self._settle_if_needed()
        return [warning for _seq, warning in sorted(self._warnings, key=lambda item: item[0])]

    # --- receipt files -----------------------------------------------------------------------------

    def add_receipt(self, receipt: ReceiptFile) -> str | None:
        """Keep one expense's receipt file; if that expense has one already, keep it and return its name."""
        found = self._db.execute("SELECT shown FROM receipt_files WHERE id=?", (receipt.source_id,)).fetchone()
        if found is not None:
            return str(found[0])
        self._db.execute(
            "INSERT INTO receipt_files VALUES (?,?,?,?,?,?)",
            (receipt.source_id, os.fsencode(receipt.path), receipt.shown, receipt.size, receipt.sha256,
             receipt.content_type),
        )  # fmt: skip
        return None

    def drop_receipt(self, source_id: str) -> None:
        """Forget an expense's receipt file (two files claimed it: neither is used)."""
        self._db.execute("DELETE FROM receipt_files WHERE id=?", (source_id,))

    @staticmethod
    def _receipt(row: tuple[Any, ...]) -> ReceiptFile:
        source_id, path, shown, size, sha256, content_type = row
        return ReceiptFile(source_id, Path(os.fsdecode(path)), shown, int(size), sha256, content_type)

    def receipt(self, source_id: str) -> ReceiptFile | None:
        """The receipt file of the expense with this source id (zero padding ignored), or None."""
        row = self._db.execute(
            "SELECT id, path, shown, size, sha256, content_type FROM receipt_files WHERE id=?",
            (source_id.lstrip("0") or "0",),
        ).fetchone()
        return self._receipt(row) if row is not None else None

    def receipts(self) -> Iterator[ReceiptFile]:
        """Every receipt file kept, by expense id."""
        cursor = self._db.execute("SELECT id, path, shown, size, sha256, content_type FROM receipt_files ORDER BY id")
        while batch := cursor.fetchmany(_BATCH):
            yield from (self._receipt(row) for row in batch)

    # --- reading -----------------------------------------------------------------------------------

    def _settle_if_needed(self) -> None:
        if self._dirty or any(self._pending.values()):
            self.settle()

    def rows(self, resource: str) -> Iterator[StagedRow]:
        """Every record of `resource` in the order read, as plain tuples (the mapping hot path)."""
        self._settle_if_needed()
        if resource not in self._tables:
            return
        names, loads = self._file_names, marshal.loads
        cursor = self._db.execute(
            f"SELECT id, parent, detail, updated_at, file, line, fields FROM r_{resource} ORDER BY seq"
        )
        while batch := cursor.fetchmany(_BATCH):
            for record_id, parent, detail, updated, file, line, blob in batch:
                yield record_id, parent, bool(detail), updated, names[file], line, loads(blob)

    def _records(self, resource: str, where: str, args: tuple[Any, ...]) -> Iterator[RawRecord]:
        self._settle_if_needed()
        if resource not in self._tables:
            return
        cursor = self._db.execute(f"SELECT {_COLUMNS} FROM r_{resource} WHERE {where} ORDER BY seq", args)
        for _seq, record_id, parent, detail, updated, file, line, blob in cursor.fetchall():
            fields = marshal.loads(blob)
            yield RawRecord(resource, record_id, fields, self._file_names[file], line, bool(detail), updated, parent)

    def iter(self, resource: str) -> Iterator[RawRecord]:
        """Every record of `resource`, in the order read."""
        for record_id, parent, detail, updated, file, line, fields in self.rows(resource):
            yield RawRecord(resource, record_id, fields, file, line, detail, updated, parent)

    def children(self, resource: str, parent: str) -> list[RawRecord]:
        """Records of `resource` whose `parent` key is `parent` (e.g. payments of an invoice)."""
        if resource in self._tables and resource not in self._parent_index:
            # Built on first use: most resources are never looked up by parent.
            self._db.execute(f"CREATE INDEX IF NOT EXISTS r_{resource}_parent ON r_{resource} (parent)")
            self._parent_index.add(resource)
        return list(self._records(resource, "parent=?", (parent,)))

    def get(self, resource: str, record_id: str) -> RawRecord | None:
        return next(self._records(resource, "id=?", (record_id,)), None)

    def count(self, resource: str | None = None) -> int:
        self._settle_if_needed()
        tables = sorted(self._tables) if resource is None else [resource] if resource in self._tables else []
        return sum(int(self._db.execute(f"SELECT count(*) FROM r_{name}").fetchone()[0]) for name in tables)

    def resources(self) -> list[str]:
        self._settle_if_needed()
        return sorted(name for name in self._tables if self.count(name))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StagingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
