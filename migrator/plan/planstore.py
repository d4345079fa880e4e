"""The plan store: mapped objects, lossy notes, errors and the plan's decisions, on disk.

A million-record export is planned in flat memory: mappings write each planned object here as it
is made (in batches), the planner reads them back one kind at a time and writes one decision row
per object, reports are rendered from these tables as a stream, and the loader pulls the rows it
must send in load order. SQLite's private temporary database holds it by default (deleted when it
is closed, so a killed run leaves nothing behind); `save` copies it to a file.

Tables: `planned` (what mappings produced, in mapping order: `seq`), `entries` (the decision for
each planned row: action, target id, diff, reason, and the `lane` it loads in), `lossy`, `errors`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator import jsonio
from migrator.kinds import ACTIONS, PLAN_KINDS
from migrator.lossy import SEVERITIES, Lossy
from migrator.planned import MapSink, Planned, PlannedRecord, Ref
from migrator.sources.record import Origin

BATCH = 2000
_SEP = "\x1f"  # between refs in one column: XML text can hold no control character

_SCHEMA = """
CREATE TABLE planned (
    seq INTEGER PRIMARY KEY,
    system TEXT NOT NULL, kind TEXT NOT NULL, source_id TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT,
    payload TEXT NOT NULL, refs TEXT NOT NULL, after TEXT, facts TEXT,
    resource TEXT, record_id TEXT, file TEXT, line INTEGER, receipt TEXT
);
CREATE INDEX planned_kind ON planned (kind, seq);
CREATE INDEX planned_ref ON planned (system, kind, source_id);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY REFERENCES planned (seq),
    lane INTEGER NOT NULL,
    action TEXT NOT NULL, target_id INTEGER, diff TEXT, reason TEXT, same_as TEXT, ours INTEGER NOT NULL
);
CREATE INDEX entries_lane ON entries (lane, action, seq);
CREATE TABLE lossy (seq INTEGER PRIMARY KEY, system TEXT, kind TEXT, source_id TEXT, field TEXT, note TEXT,
                    severity TEXT);
CREATE TABLE errors (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
"""


@dataclass
class PlanEntry:
    """What will happen to one planned object, and why."""

    planned: PlannedRecord  # a `StoredPlanned` when read back from the store
    action: str
    target_id: int | None = None
    diff: dict[str, list[Any]] | None = None
    reason: str | None = None
    same_as: str | None = None  # "system|@kind:id": adopt the object that other entry creates (same natural key)
    # The object is ours: created by a batch of this ledger (or by an earlier attempt whose answer was
    # lost, found again). Ours take the source's archived state and are removed by rollback.
    ours: bool = False
    seq: int | None = None  # the planned row, once stored


class StoredPlanned:
    """A planned object as stored, standing in for `Planned`: its payload and facts are parsed only
    when asked for. Deciding a million new time entries never parses one."""

    __slots__ = (
        "_row", "_payload", "_facts", "_receipt", "kind", "source_id", "status", "reason", "after", "refs", "system"
    )  # fmt: skip

    def __init__(self, row: tuple[Any, ...]) -> None:
        self._row = row
        _seq, self.system, self.kind, self.source_id, self.status, self.reason, _payload, refs, after = row[:9]
        self.refs: tuple[str, ...] = tuple(refs.split(_SEP)) if refs else ()
        self.after: tuple[str, ...] = tuple(after.split(_SEP)) if after else ()
        self._payload: dict[str, Any] | None = None
        self._facts: Any = _UNSET
        self._receipt: Any = _UNSET

    @property
    def payload(self) -> dict[str, Any]:
        if self._payload is None:
            self._payload = jsonio.loads(self._row[6])
        return self._payload

    @property
    def payload_text(self) -> str:
        return str(self._row[6])

    @property
    def facts(self) -> dict[str, Any] | None:
        if self._facts is _UNSET:
            self._facts = jsonio.loads(self._row[9]) if self._row[9] else None
        return self._facts  # type: ignore[no-any-return]

    @property
    def receipt(self) -> dict[str, Any] | None:
        if self._receipt is _UNSET:
            self._receipt = jsonio.loads(self._row[14]) if self._row[14] else None
        return self._receipt  # type: ignore[no-any-return]

    @property
    def origin(self) -> Origin:
        row = self._row
        return Origin(row[1], row[10] or "", row[11] or row[3], row[12] or "", row[13])

    @property
    def ref(self) -> str:
        return str(Ref(self.kind, self.source_id))

    def depends_on(self) -> list[str]:
        return list(self.refs)


_UNSET = object()


def _planned(row: tuple[Any, ...]) -> Planned:
    _seq, system, kind, source_id, status, reason, payload, _refs, after, facts, resource, record_id, file, line = row[
        :14
    ]
    planned = Planned(
        kind,
        source_id,
        jsonio.loads(payload),
        Origin(system, resource or "", record_id or source_id, file or "", line),
        status,
        reason,
        tuple(after.split(_SEP)) if after else (),
        jsonio.loads(facts) if facts else None,
        jsonio.loads(row[14]) if row[14] else None,
    )
    return planned


_PLANNED_COLUMNS = (
    "p.seq, p.system, p.kind, p.source_id, p.status, p.reason, p.payload, p.refs, p.after, p.facts, "
    "p.resource, p.record_id, p.file, p.line, p.receipt"
)
_PLANNED_WIDTH = 15  # columns of `_PLANNED_COLUMNS`; the entry's own columns follow them
_ENTRY_COLUMNS = "e.action, e.target_id, e.diff, e.reason, e.same_as, e.ours"


def _entry(row: tuple[Any, ...]) -> PlanEntry:
    planned: Any = StoredPlanned(row[:_PLANNED_WIDTH])
    action, target_id, diff, reason, same_as, ours = row[_PLANNED_WIDTH:]
    return PlanEntry(
        planned, action, target_id, jsonio.loads(diff) if diff else None, reason, same_as, bool(ours), row[0]
    )


def uploads(action: str, diff: dict[str, Any] | None) -> bool:
    """Does an entry with a (sendable) receipt upload it? A create does; an update or adoption when its
    diff names the receipt."""
    return action == "create" or (action in ("update", "adopt") and diff is not None and "receipt" in diff)


class PlanStore:
    """One plan's tables (see the module docstring). Thread-safe: one connection behind a lock."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._db = sqlite3.connect(str(path) if path else "", check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=OFF" if path is None else "PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name='planned'").fetchone():
            self._db.executescript(_SCHEMA)
        self._planned: list[tuple[Any, ...]] = []
        self._lossy: list[tuple[Any, ...]] = []
        self._seq = int(self._db.execute("SELECT coalesce(max(seq), 0) FROM planned").fetchone()[0])

    # --- what mappings produce -------------------------------------------------------------------

    def sink(self) -> MapSink:
        """A sink that writes here instead of keeping lists."""
        return MapSink(on_planned=self.add, on_lossy=self.add_lossy, on_error=self.add_error)

    def add(self, planned: Planned) -> int:
        """Store one planned object (buffered); return its `seq`."""
        self._seq += 1
        origin = planned.origin
        self._planned.append(
            (
                self._seq,
                origin.system,
                planned.kind,
                planned.source_id,
                planned.status,
                planned.reason,
                jsonio.dumps(planned.payload),
                _SEP.join(planned.depends_on()),
                _SEP.join(planned.after) if planned.after else None,
                jsonio.dumps(planned.facts) if planned.facts else None,
                origin.resource,
                origin.source_id,
                origin.file,
                origin.line,
                jsonio.dumps(planned.receipt) if planned.receipt else None,
            )
        )
        if len(self._planned) >= BATCH:
            self.flush()
        return self._seq

    def add_lossy(self, note: Lossy) -> None:
        self._lossy.append((note.system, note.kind, note.source_id, note.field, note.note, note.severity))
        if len(self._lossy) >= BATCH:
            self.flush()

    def add_error(self, error: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute("INSERT INTO errors (body) VALUES (?)", (jsonio.dumps(error),))

    def flush(self) -> None:
        """Write what is buffered."""
        with self._lock:
            if self._planned:
                self._db.execute("BEGIN")
                self._db.executemany(f"INSERT INTO planned VALUES ({', '.join('?' * _PLANNED_WIDTH)})", self._planned)
                self._db.execute("COMMIT")
                self._planned.clear()
            if self._lossy:
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT INTO lossy (system, kind, source_id, field, note, severity) VALUES (?, ?, ?, ?, ?, ?)",
                    self._lossy,
                )
                self._db.execute("COMMIT")
                self._lossy.clear()

    # --- reading what was planned ----------------------------------------------------------------

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Stream a query's rows in batches (the lock is held per batch, not for the whole walk)."""
        self.flush()
        with self._lock:
            cursor = self._db.execute(sql, tuple(args))
        while True:
            with self._lock:
                rows = cursor.fetchmany(BATCH)
            if not rows:
                return
            yield from rows

    def planned(self, kind: str | None = None) -> Iterator[Planned]:
        """Planned objects in mapping order (of one kind, or all)."""
        where, args = ("WHERE p.kind = ?", (kind,)) if kind else ("", ())
        return (
            _planned(row) for row in self._rows(f"SELECT {_PLANNED_COLUMNS} FROM planned p {where} ORDER BY seq", args)
        )

    def planned_with_seq(self, kind: str) -> Iterator[tuple[int, StoredPlanned]]:
        """(seq, planned object, parsed on demand) of one kind, in mapping order."""
        sql = f"SELECT {_PLANNED_COLUMNS} FROM planned p WHERE p.kind = ? ORDER BY seq"
        return ((row[0], StoredPlanned(row)) for row in self._rows(sql, (kind,)))

    def pilot_rows(self, kind: str) -> Iterator[tuple[int, str, str, tuple[str, ...]]]:
        """(seq, system, source_id, refs) of one kind's records still to be loaded (not skipped)."""
        rows = self._rows("SELECT seq, system, source_id, refs FROM planned WHERE kind = ? AND status != 'skipped' "
                          "ORDER BY seq", (kind,))  # fmt: skip
        return (
            (seq, system, source_id, tuple(refs.split(_SEP)) if refs else ()) for seq, system, source_id, refs in rows
        )

    def skip_all_but(self, keep: set[int], reason: str) -> int:
        """Mark every record not in `keep` (and not skipped yet) skipped, with `reason`; how many."""
        self.flush()
        with self._lock:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (seq INTEGER PRIMARY KEY)")
            self._db.execute("DELETE FROM keep")
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO keep VALUES (?)", ((seq,) for seq in keep))
            changed = self._db.execute(
                "UPDATE planned SET status = 'skipped', reason = ? WHERE status != 'skipped' "
                "AND seq NOT IN (SELECT seq FROM keep)",
                (reason,),
            ).rowcount
            self._db.execute("COMMIT")
        return int(changed)

    def skip_dependents(self, kinds: Iterable[str]) -> int:
        """Mark skipped every record that depends on a skipped one, as the planner decides it ("depends
        on skipped clients 503"), walking `kinds` in load order; how many. So whatever reads the mapped
        records (verify, with or without a map file) leaves out what plan and run leave out."""
        self.flush()
        with self._lock:
            rows = self._db.execute("SELECT system, kind, source_id FROM planned WHERE status = 'skipped'").fetchall()
        skipped = {(system, str(Ref(kind, source_id))) for system, kind, source_id in rows}
        if not skipped:
            return 0
        marked: list[tuple[str, int]] = []
        for kind in kinds:
            for seq, system, source_id, refs in self.pilot_rows(kind):
                cause = next((Ref.parse(ref) for ref in refs if (system, ref) in skipped), None)
                if cause is not None:
                    marked.append((f"depends on skipped {cause.kind} {cause.source_id}", seq))
                    skipped.add((system, str(Ref(kind, source_id))))
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("UPDATE planned SET status = 'skipped', reason = ? WHERE seq = ?", marked)
            self._db.execute("COMMIT")
        return len(marked)

    def has(self, system: str, kind: str, source_id: str) -> bool:
        """Does the source hold this record (zero padding aside)?"""
        self.flush()
        with self._lock:
            rows = self._db.execute(
                "SELECT source_id FROM planned WHERE system = ? AND kind = ? AND (source_id = ? OR "
                "ltrim(source_id, '0') = ?)",
                (system, kind, source_id, source_id.lstrip("0")),
            ).fetchall()
        return bool(rows)

    def find(self, system: str, kind: str, source_id: str) -> StoredPlanned | None:
        """A planned record by its name (the first, if the source repeats it)."""
        self.flush()
        with self._lock:
            row = self._db.execute(
                f"SELECT {_PLANNED_COLUMNS} FROM planned p"
                " WHERE system = ? AND kind = ? AND source_id = ? ORDER BY seq",
                (system, kind, source_id),
            ).fetchone()
        return StoredPlanned(row) if row else None

    def present(self, names: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        """Which of these (system, kind, source_id) the plan holds."""
        self.flush()
        found: set[tuple[str, str, str]] = set()
        with self._lock:
            for name in names:
                if self._db.execute(
                    "SELECT 1 FROM planned WHERE system = ? AND kind = ? AND source_id = ? LIMIT 1", name
                ).fetchone():
                    found.add(name)
        return found

    def systems(self) -> set[str]:
        """The source systems the plan holds records of."""
        self.flush()
        with self._lock:
            return {system for (system,) in self._db.execute("SELECT DISTINCT system FROM planned")}

    def count(self, kind: str | None = None) -> int:
        self.flush()
        where, args = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        with self._lock:
            return int(self._db.execute(f"SELECT count(*) FROM planned {where}", args).fetchone()[0])

    def lossy(self, *, by_severity: bool = False) -> Iterator[Lossy]:
        """Lossy notes, by kind in load order, then as written (`by_severity`: money first, then hours,
        data, cosmetic)."""
        return (Lossy(*row[:6]) for row in self._lossy_rows(by_severity, located=False))

    def _lossy_rows(self, by_severity: bool, *, located: bool) -> Iterator[tuple[Any, ...]]:
        rank = " ".join(f"WHEN '{kind}' THEN {index}" for index, kind in enumerate(PLAN_KINDS))
        severity = " ".join(f"WHEN '{name}' THEN {index}" for index, name in enumerate(SEVERITIES))
        first = f"CASE severity {severity} END, " if by_severity else ""
        where = (
            "NULL, NULL"
            if not located
            else (
                "(SELECT p.file FROM planned p WHERE p.system = l.system AND p.kind = l.kind"
                " AND p.source_id = l.source_id ORDER BY p.seq LIMIT 1),"
                " (SELECT p.line FROM planned p WHERE p.system = l.system AND p.kind = l.kind"
                " AND p.source_id = l.source_id ORDER BY p.seq LIMIT 1)"
            )
        )
        return self._rows(
            f"SELECT kind, source_id, field, note, system, severity, {where} FROM lossy l "
            f"ORDER BY {first}CASE kind {rank} END, seq"
        )

    def lossy_located(self) -> Iterator[tuple[Lossy, str | None, int | None]]:
        """Lossy notes, money first, each with the file and line of its record (None for a kind-wide note)."""
        return ((Lossy(*row[:6]), row[6], row[7]) for row in self._lossy_rows(True, located=True))

    def lossy_severities(self) -> dict[str, int]:
        """How many notes of each severity (every severity, zeros included)."""
        self.flush()
        with self._lock:
            counts = dict(self._db.execute("SELECT severity, count(*) FROM lossy GROUP BY severity").fetchall())
        return {name: int(counts.get(name, 0)) for name in SEVERITIES}

    def lossy_kinds(self) -> list[str]:
        self.flush()
        with self._lock:
            return sorted(kind for (kind,) in self._db.execute("SELECT DISTINCT kind FROM lossy"))

    def errors(self) -> list[dict[str, Any]]:
        with self._lock:
            return [jsonio.loads(body) for (body,) in self._db.execute("SELECT body FROM errors ORDER BY seq")]

    # --- decisions -------------------------------------------------------------------------------

    def decide(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Store decisions: (seq, lane, action, target_id, diff, reason, same_as, ours), in batches."""
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._decide(batch)
                batch = []
        if batch:
            self._decide(batch)

    def _decide(self, batch: list[tuple[Any, ...]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            self._db.execute("COMMIT")

    def entries(self, *, kind: str | None = None, actions: Iterable[str] | None = None) -> Iterator[PlanEntry]:
        """Decided entries in load order (lane, then mapping order)."""
        clauses, args = [], []
        if kind:
            clauses.append("p.kind = ?")
            args.append(kind)
        if actions is not None:
            wanted = list(actions)
            clauses.append(f"e.action IN ({', '.join('?' * len(wanted))})")
            args.extend(wanted)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = (
            f"SELECT {_PLANNED_COLUMNS}, {_ENTRY_COLUMNS} FROM entries e JOIN planned p ON p.seq = e.seq "
            f"{where} ORDER BY e.lane, e.seq"
        )
        return (_entry(row) for row in self._rows(sql, args))

    def lane_work(self, lane: int) -> Iterator[PlanEntry]:
        """The entries of one lane that cost requests (create, update, adopt), same-key adoptions last."""
        sql = (
            f"SELECT {_PLANNED_COLUMNS}, {_ENTRY_COLUMNS} FROM entries e JOIN planned p ON p.seq = e.seq "
            "WHERE e.lane = ? AND e.action IN ('create', 'update', 'adopt') ORDER BY e.same_as IS NOT NULL, e.seq"
        )
        return (_entry(row) for row in self._rows(sql, (lane,)))

    def summary(self) -> dict[str, dict[str, int]]:
        """{kind: {action: n}} for every kind and every action, zeros included."""
        with self._lock:
            counts = Counter(
                {
                    (kind, action): n
                    for kind, action, n in self._db.execute(
                        "SELECT p.kind, e.action, count(*) FROM entries e JOIN planned p ON p.seq = e.seq "
                        "GROUP BY p.kind, e.action"
                    )
                }
            )
        return {kind: {action: counts.get((kind, action), 0) for action in ACTIONS} for kind in PLAN_KINDS}

    def receipts(self) -> dict[str, dict[str, int]]:
        """Receipt files per kind: `upload` (count) and `bytes` to send, `unchanged` (already in the
        target, or not to be sent), `refused` (over the limit); only kinds with a receipt, streamed."""
        found: dict[str, dict[str, int]] = {}
        sql = (
            "SELECT p.kind, e.action, e.diff, p.receipt FROM entries e JOIN planned p ON p.seq = e.seq "
            "WHERE p.receipt IS NOT NULL AND e.action NOT IN ('invalid', 'skipped')"
        )
        for kind, action, diff, text in self._rows(sql):
            receipt = jsonio.loads(text)
            counts = found.setdefault(kind, {"upload": 0, "bytes": 0, "unchanged": 0, "refused": 0})
            if receipt.get("refused"):
                counts["refused"] += 1
            elif uploads(action, jsonio.loads(diff) if diff else None):
                counts["upload"] += 1
                counts["bytes"] += int(receipt["size"])
            else:
                counts["unchanged"] += 1
        return found

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> PlanStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
