"""A legacy sandbox's account: every record of a folder of saved responses, indexed in SQLite on disk.

The folder is read with the system's own `SourceReader` over the hardened stream (`xmlsafe`), so
the sandbox sees exactly the records a plan of the folder sees: the same layouts, the same keys,
the same merge (a record's detail body supersedes its list summary; otherwise the later
`updated-at`, else the later file). Each record keeps its element as written (attributes, `nil`,
escapes), so answers carry the folder's bytes, not a re-rendering of parsed values.

One table, keyed by (resource, id), with four generic columns the system fills in to answer its
endpoints without a scan: `parent` (a project, an invoice, a client), `owner` (a person), `day`
(ISO, for date windows) and `state` (FreshBooks' folder: active, archived or deleted). It lives in
SQLite's private temporary file: a generated 100,000-entry account is served without holding it
in memory.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from migrator.sources.coerce import to_datetime
from migrator.sources.export import iter_files, looks_like_xml
from migrator.sources.record import RawRecord
from migrator.sources.xmlsafe import sniff_head

_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Columns:
    """Where a record is found: its grouping (`parent`, `owner`), its `day` (ISO) and its `state`
    (a folder), when it has them."""

    parent: str | None = None
    owner: str | None = None
    day: str | None = None
    state: str | None = None


Indexer = Callable[[RawRecord], Columns]
Rewrite = Callable[[str, bytes], tuple[bytes, bytes | None]]  # (resource, element) -> (body, list summary or None)


def _stamp(value: str | None) -> float | None:
    try:
        moment = to_datetime(value)
    except ValueError:
        return None
    return moment.timestamp() if moment is not None and moment.tzinfo else None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def capturing(reader_class: type) -> type:
    """`reader_class` that also tells which element it is turning into a record (`current`)."""

    class Capturing(reader_class):  # type: ignore[misc, valid-type]
        current: etree._Element | None = None

        def _record(self, records: Any, elem: etree._Element, file: Any) -> None:
            self.current = elem
            try:
                super()._record(records, elem, file)
            finally:
                self.current = None

        def root_end(self, root: etree._Element, layout: Any, file: Any) -> None:
            self.current = root  # a record made of the whole body (Harvest v1's `<hash>` account)
            try:
                super().root_end(root, layout, file)
            finally:
                self.current = None

    return Capturing


class RecordStore:
    """Merged records of one folder, answerable by id, by grouping and by date window; thread-safe."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE records (resource TEXT NOT NULL, id INTEGER NOT NULL, parent INTEGER, owner INTEGER,"
            " day TEXT, detail INTEGER NOT NULL, stamp REAL, seq INTEGER NOT NULL, body BLOB NOT NULL, summary BLOB,"
            " state TEXT, PRIMARY KEY (resource, id))"
        )
        self.lock = threading.RLock()
        self.changes = 0  # bumped by every change after loading: what a cache of answers keys on
        self._seq = 0
        self.skipped: list[str] = []  # files of the folder that are not this system's

    # --- loading ------------------------------------------------------------------------------------

    def load(self, folder: Path, reader_class: type, index: Indexer, rewrite: Rewrite) -> None:
        """Read every file of `folder` that `reader_class` claims; merge and index its records."""
        reader = capturing(reader_class)()
        rows: list[tuple[Any, ...]] = []

        def emit(record: RawRecord) -> None:
            element = reader.current
            if element is None:
                return
            raw = etree.tostring(element, encoding="utf-8", xml_declaration=False, with_tail=False)
            body, summary = rewrite(record.resource, raw)
            columns = index(record)
            self._seq += 1
            rows.append(
                (
                    record.resource,
                    int(record.id) if record.id.isdigit() else self._seq,
                    _int(columns.parent),
                    _int(columns.owner),
                    columns.day,
                    int(record.detail),
                    _stamp(record.updated_at),
                    self._seq,
                    body,
                    summary,
                    columns.state,
                )  # fmt: skip
            )
            if len(rows) >= _BATCH:
                self._upsert(rows)

        self._db.execute("BEGIN")
        for path in iter_files([folder]):
            head = sniff_head(path) if looks_like_xml(path) else None
            if head is None or not reader.claims_head(head):
                self.skipped.append(str(path.relative_to(folder)))
                continue
            reader.read(path, emit, lambda _notice: None)
        self._upsert(rows)
        for columns in ("parent, day", "owner, day", "day", "state, day"):
            name = columns.replace(", ", "_")
            self._db.execute(f"CREATE INDEX records_{name} ON records (resource, {columns}, id)")
        self._db.execute("COMMIT")

    def _upsert(self, rows: list[tuple[Any, ...]]) -> None:
        # The merge of `sources.staging`: a detail beats a summary; else the later updated-at; else the later file.
        self._db.executemany(
            "INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (resource, id) DO UPDATE SET"
            " parent=excluded.parent, owner=excluded.owner, day=excluded.day, detail=excluded.detail,"
            " stamp=excluded.stamp, seq=excluded.seq, body=excluded.body, summary=excluded.summary,"
            " state=excluded.state"
            " WHERE NOT (excluded.detail < records.detail OR (excluded.detail = records.detail"
            " AND excluded.stamp IS NOT NULL AND records.stamp IS NOT NULL AND excluded.stamp < records.stamp))",
            rows,
        )
        rows.clear()

    # --- reading ------------------------------------------------------------------------------------

    def get(self, resource: str, record_id: int) -> bytes | None:
        with self.lock:
            row = self._db.execute(
                "SELECT body FROM records WHERE resource=? AND id=?", (resource, record_id)
            ).fetchone()
        return row[0] if row else None

    def select(
        self,
        resource: str,
        *,
        parent: int | None = None,
        owner: int | None = None,
        days: tuple[str, str] | None = None,
        states: tuple[str, ...] | None = None,
        summaries: bool = False,
        newest_first: bool = False,
        by_day: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[bytes]:
        """Bodies (or list summaries) of `resource`, filtered by grouping, day window (both days
        included) and state (a record without one counts as `active`)."""
        where, args = self._where(resource, parent, owner, days, states)
        order = "id DESC" if newest_first else ("day, id" if days is not None or by_day else "id")
        selected = "coalesce(summary, body)" if summaries else "body"
        sql = f"SELECT {selected} FROM records WHERE {' AND '.join(where)} ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args.extend([limit, offset])
        with self.lock:
            return [row[0] for row in self._db.execute(sql, args)]

    def page(
        self,
        resource: str,
        *,
        states: tuple[str, ...] | None = None,
        days: tuple[str, str] | None = None,
        newest_first: bool = False,
        by_day: bool = False,
        limit: int,
        offset: int = 0,
        after: tuple[Any, ...] | None = None,
    ) -> tuple[list[bytes], tuple[Any, ...] | None]:
        """A page of bodies as `select` gives it, and the sort key of its last record: the next page
        asked `after` that key costs an index seek, where an OFFSET is walked row by row (the last
        page of a 100,000-entry list cost 10 ms)."""
        where, args = self._where(resource, None, None, days, states)
        dated = days is not None or by_day
        order = "id DESC" if newest_first else ("day, id" if dated else "id")
        if after is not None:
            if newest_first:
                where.append("id < ?")
            elif dated:
                where.append("(day, id) > (?, ?)")  # a row value: SQLite seeks the index to it
            else:
                where.append("id > ?")
            args.extend(after)
            offset = 0
        sql = f"SELECT body, day, id FROM records WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ? OFFSET ?"
        with self.lock:
            rows = self._db.execute(sql, [*args, limit, offset]).fetchall()
        if not rows:
            return [], None
        _body, day, last = rows[-1]
        key: tuple[Any, ...] | None = (last,) if not dated else ((day, last) if day is not None else None)
        return [row[0] for row in rows], key

    def count(
        self,
        resource: str,
        *,
        parent: int | None = None,
        owner: int | None = None,
        days: tuple[str, str] | None = None,
        states: tuple[str, ...] | None = None,
    ) -> int:
        """How many records `select` with the same filters gives."""
        where, args = self._where(resource, parent, owner, days, states)
        with self.lock:
            row = self._db.execute(f"SELECT count(*) FROM records WHERE {' AND '.join(where)}", args).fetchone()
        return int(row[0])

    @staticmethod
    def _where(
        resource: str,
        parent: int | None,
        owner: int | None,
        days: tuple[str, str] | None,
        states: tuple[str, ...] | None,
    ) -> tuple[list[str], list[Any]]:
        where: list[str] = ["resource=?"]
        args: list[Any] = [resource]
        for column, value in (("parent", parent), ("owner", owner)):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        if days is not None:
            where.append("day BETWEEN ? AND ?")
            args.extend(days)
        if states is not None:
            where.append(f"coalesce(state, 'active') IN ({','.join('?' * len(states))})")
            args.extend(states)
        return where, args

    def state(self, resource: str, record_id: int) -> str | None:
        """A record's state (None when it has none, or when there is no such record)."""
        with self.lock:
            row = self._db.execute(
                "SELECT state FROM records WHERE resource=? AND id=?", (resource, record_id)
            ).fetchone()
        return row[0] if row else None

    def ids(self, resource: str) -> list[int]:
        with self.lock:
            return [
                row[0] for row in self._db.execute("SELECT id FROM records WHERE resource=? ORDER BY id", (resource,))
            ]

    def day_range(self, resources: tuple[str, ...], parent: int) -> tuple[str, str] | None:
        """The first and last day of the records of `resources` under `parent`, or None."""
        marks = ",".join("?" * len(resources))
        with self.lock:
            low, high = self._db.execute(
                f"SELECT min(day), max(day) FROM records WHERE resource IN ({marks}) AND parent=?", (*resources, parent)
            ).fetchone()
        return (low, high) if low else None

    def counts(self) -> dict[str, int]:
        with self.lock:
            rows = self._db.execute("SELECT resource, count(*) FROM records GROUP BY resource ORDER BY resource")
            return {resource: count for resource, count in rows}

    # --- changing (traps that change the account while it is read) -----------------------------------

    def put(self, resource: str, record_id: int, body: bytes, summary: bytes | None, columns: Columns) -> None:
        with self.lock:
            self.changes += 1
            self._seq += 1
            self._db.execute(
                "INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,1,NULL,?,?,?,?)",
                (
                    resource,
                    record_id,
                    _int(columns.parent),
                    _int(columns.owner),
                    columns.day,
                    self._seq,
                    body,
                    summary,
                    columns.state,
                ),
            )

    def delete(self, resource: str, record_id: int) -> None:
        with self.lock:
            self.changes += 1
            self._db.execute("DELETE FROM records WHERE resource=? AND id=?", (resource, record_id))

    def delete_children(self, resources: tuple[str, ...], parent: int) -> None:
        marks = ",".join("?" * len(resources))
        with self.lock:
            self.changes += 1
            self._db.execute(f"DELETE FROM records WHERE resource IN ({marks}) AND parent=?", (*resources, parent))

    def close(self) -> None:
        with self.lock:
            self._db.close()
