"""The ID-mapping ledger: one SQLite file per target account, mapping every source id to its v2 id.

It is the write-ahead log that makes loading exactly-once without idempotency keys:

1. before a POST, a `pending` intent row is committed (with the payload hash and the batch);
2. right after the response, the v2 id is committed and the row becomes `done`;
3. a `pending` row found later means the outcome is unknown: the loader reconciles it against the
   target by natural key before anything is re-sent.

Each step is its own transaction; WAL mode keeps readers and the single writer apart. Schema
changes are numbered migrations tracked in `PRAGMA user_version`.

An expense's receipt has its own little write-ahead log in the row's `receipt` column (JSON):
`{"sha256", "size", "file_name", "state"}` where `state` is `done` (the target holds this file),
`pending` (an upload whose outcome is unknown; `held` keeps what the target held before),
`rejected` (refused: too large, or by Harvest, with `error`) or `kept` (an adopted expense's own
receipt, never overwritten). The intent is committed before the upload, the outcome right after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from migrator import jsonio
from migrator.errors import LedgerError

STATES = ("pending", "done", "adopted", "rejected", "blocked", "invalid", "deleted", "archived", "pruned")
# The states of a record whose object is in the target: `done` (created by a batch of this ledger),
# `adopted` (it existed: never touched), `archived` (created, then archived by a rollback that could
# not delete it). `pending` is an intent whose outcome is unknown (a project: created, its automatic
# assignments not yet settled, with its v2 id). `pruned`: archived because a newer export no longer
# has the record (a cut-over's `run --prune archive`); `deleted`: removed by a rollback or a prune.
# `invalid`: the plan could not map or place it (why in `last_error`); like `rejected` and `blocked`
# it is a record the target does not hold, listed by `status --rejected`.
LOADED_STATES = frozenset({"done", "adopted", "archived"})
_LOADED_SQL = ", ".join(f"'{state}'" for state in sorted(LOADED_STATES))

_MIGRATIONS: tuple[str, ...] = (
    # 1: the initial schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE batches (
        name TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running'
    );
    CREATE TABLE records (
        system TEXT NOT NULL,
        kind TEXT NOT NULL,
        source_id TEXT NOT NULL,
        v2_id INTEGER,
        payload_hash TEXT,
        payload TEXT,
        batch TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (system, kind, source_id)
    );
    CREATE INDEX records_batch ON records (batch, kind, state);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        batch TEXT,
        system TEXT,
        kind TEXT,
        source_id TEXT,
        action TEXT NOT NULL,
        v2_id INTEGER,
        detail TEXT
    );
    """,
    # 2: where each record was last seen in the source (a cut-over reports records that left it)
    """
    ALTER TABLE records ADD COLUMN origin TEXT;
    """,
    # 3: an expense's receipt: its sha256, size and file name, and whether the target holds it
    """
    ALTER TABLE records ADD COLUMN receipt TEXT;
    """,
)
KEEP_RECEIPT: Any = object()  # `record_result(receipt=...)` default: leave the receipt column as it is


def payload_hash(payload: dict[str, Any]) -> str:
    """A stable hash of a payload (keys sorted, decimals exact)."""
    return Encoded(payload).hash


class Encoded:
    """A payload and its JSON, written once: the ledger's text and hash of it, and the body of any
    request made of its fields, all come from this one encoding (keys sorted, decimals exact).

    Why: a create wrote the same payload five times (the intent's hash and text, the request, the
    result's hash and text); at a million entries that is most of the loader's own CPU.
    """

    __slots__ = ("payload", "_fields", "text", "hash")

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self._fields = {key: jsonio.dumps(_sorted(payload[key])) for key in sorted(payload)}
        self.text = jsonio.object_text(self._fields.items())
        self.hash = hashlib.sha256(self.text.encode()).hexdigest()[:32]

    def body(self, body: dict[str, Any]) -> jsonio.JsonText:
        """`body` as JSON: a value that is this payload's own (the same object) is not written again."""
        fields = self._fields
        payload = self.payload
        return jsonio.JsonText(
            jsonio.object_text(
                (key, fields[key] if key in fields and value is payload[key] else jsonio.dumps(value))
                for key, value in body.items()
            )
        )

    @property
    def stored(self) -> dict[str, Any]:
        """The payload as the ledger gives it back (JSON: dates become strings, whole decimals ints)."""
        return jsonio.loads(self.text)  # type: ignore[no-any-return]


def _encoded(payload: dict[str, Any] | Encoded) -> Encoded:
    return payload if isinstance(payload, Encoded) else Encoded(payload)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def records_fingerprint(rows: Iterable[tuple[Any, ...]]) -> str:
    """The hash `Ledger.fingerprint` gives for these record rows (no rows: a ledger not created yet)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest()[:32]


# A plan made before the first run (no ledger file yet) must still match that run's new, empty ledger.
EMPTY_LEDGER_FINGERPRINT = records_fingerprint(())


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class LedgerRow:
    """One source record's fate in the target."""

    system: str
    kind: str
    source_id: str
    v2_id: int | None
    payload_hash: str | None
    payload: dict[str, Any] | None
    batch: str
    state: str
    attempts: int
    last_error: str | None
    created_at: str
    updated_at: str
    origin: str | None = None  # "file:line" where the record was last seen in the source
    receipt: dict[str, Any] | None = None  # an expense's receipt (see the module docstring)


class Ledger:
    """The ledger file. Thread-safe: one connection guarded by a lock (SQLite has one writer anyway)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open ledger {self.path}: {exc}") from exc

    # --- schema ------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(_MIGRATIONS):
            raise LedgerError(
                f"ledger {self.path} was written by a newer migrator (schema {version}); upgrade migrator"
            )
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            with self._tx():
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # --- transactions ------------------------------------------------------------------------------

    class _Tx:
        def __init__(self, ledger: Ledger) -> None:
            self.ledger = ledger

        def __enter__(self) -> sqlite3.Connection:
            self.ledger._lock.acquire()
            try:
                self.ledger._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                self.ledger._lock.release()
                raise LedgerError(f"ledger {self.ledger.path}: {exc}") from exc
            return self.ledger._db

        def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
            try:
                if exc_type is None:
                    try:
                        self.ledger._db.execute("COMMIT")
                    except sqlite3.Error as error:
                        self.ledger._db.execute("ROLLBACK")
                        raise LedgerError(
                            f"cannot write ledger {self.ledger.path}: {error} (disk full or read-only?)"
                        ) from error
                else:
                    self.ledger._db.execute("ROLLBACK")
            finally:
                self.ledger._lock.release()

    def _tx(self) -> Ledger._Tx:
        return Ledger._Tx(self)

    # --- target binding ----------------------------------------------------------------------------

    def bind_target(self, target: str, account_id: str) -> None:
        """Record the target on first use; refuse any other target afterwards.

        Call it only once a request to the target has succeeded with the credentials: a typo in the
        account id or an unreachable URL on the first run must not bind the ledger for good.
        """
        with self._tx() as db:
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if "target" not in rows:
                db.execute("INSERT INTO meta VALUES ('target', ?), ('account_id', ?)", (target, account_id))
                return
        self.check_target(target, account_id)

    def check_target(self, target: str, account_id: str) -> None:
        """Refuse a target other than the one this ledger is bound to (an unbound ledger takes any),
        saying how to start over safely."""
        bound = self.target()
        if bound is None or bound == (target, account_id):
            return
        loaded = self.loaded_count()
        if loaded:
            advice = (
                f"it maps {loaded} record(s) loaded into that account, so keep it (rollback and re-runs need it) "
                "and pass --ledger NEW.sqlite for the other account"
            )
        else:
            advice = (
                "it maps no loaded record yet, so it is safe to delete it (with the files beside it named "
                f"{self.path.name}.*) or to pass --ledger NEW.sqlite"
            )
        raise LedgerError(
            f"ledger {self.path} belongs to account {bound[1]} at {bound[0]}, not to account {account_id} at "
            f"{target}: {advice}"
        )

    def loaded_count(self) -> int:
        """How many records have an object in the target (loaded states)."""
        with self._lock:
            return int(self._db.execute(f"SELECT count(*) FROM records WHERE state IN ({_LOADED_SQL})").fetchone()[0])

    def target(self) -> tuple[str, str] | None:
        rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        return (rows["target"], rows["account_id"]) if "target" in rows else None

    # --- batches -----------------------------------------------------------------------------------

    def start_batch(self, name: str) -> bool:
        """Open batch `name`, or resume it. Returns True when it already existed (a resume)."""
        with self._tx() as db:
            existing = db.execute("SELECT status FROM batches WHERE name=?", (name,)).fetchone()
            if existing:
                db.execute("UPDATE batches SET status='running', finished_at=NULL WHERE name=?", (name,))
                return True
            db.execute("INSERT INTO batches (name, created_at) VALUES (?, ?)", (name, _now()))
            return False

    def finish_batch(self, name: str, status: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE batches SET status=?, finished_at=? WHERE name=?", (status, _now(), name))

    def batches(self) -> list[dict[str, Any]]:
        cursor = self._db.execute("SELECT name, created_at, finished_at, status FROM batches ORDER BY created_at")
        return [dict(zip(("name", "created_at", "finished_at", "status"), row, strict=True)) for row in cursor]

    def has_batch(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM batches WHERE name=?", (name,)).fetchone() is not None

    # --- records -----------------------------------------------------------------------------------

    _COLUMNS = (
        "system, kind, source_id, v2_id, payload_hash, payload, batch, state, attempts, last_error, "
        "created_at, updated_at, origin, receipt"
    )

    def _row(self, values: tuple[Any, ...]) -> LedgerRow:
        items = list(values)
        items[5] = jsonio.loads(items[5]) if items[5] else None
        items[13] = jsonio.loads(items[13]) if items[13] else None
        return LedgerRow(*items)

    def get(self, system: str, kind: str, source_id: str) -> LedgerRow | None:
        with self._lock:
            found = self._db.execute(
                f"SELECT {self._COLUMNS} FROM records WHERE system=? AND kind=? AND source_id=?",
                (system, kind, source_id),
            ).fetchone()
        return self._row(found) if found else None

    def get_many(self, system: str, kind: str, source_ids: list[str]) -> list[LedgerRow]:
        """The rows of these records that exist (one query per 500 ids)."""
        found: list[LedgerRow] = []
        for start in range(0, len(source_ids), 500):
            chunk = source_ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT {self._COLUMNS} FROM records WHERE system=? AND kind=? AND source_id IN ({marks})",
                    (system, kind, *chunk),
                ).fetchall()
            found.extend(self._row(values) for values in rows)
        return found

    def v2_ids(self, kind: str) -> set[int]:
        """v2 ids that rows of `kind` own (loaded states)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT v2_id FROM records WHERE kind=? AND v2_id IS NOT NULL AND state IN ({_LOADED_SQL})",
                (kind,),
            ).fetchall()
        return {v2_id for (v2_id,) in rows}

    def rows(
        self, *, batch: str | None = None, kind: str | None = None, state: str | None = None
    ) -> Iterator[LedgerRow]:
        clauses, args = [], []
        for column, value in (("batch", batch), ("kind", kind), ("state", state)):
            if value is not None:
                clauses.append(f"{column}=?")
                args.append(value)
        return self._stream(clauses, args)

    def _stream(self, clauses: list[str], args: list[Any]) -> Iterator[LedgerRow]:
        # Keyset pages of 1,000: a million rows are never in memory at once, and rows written while
        # the caller walks (a rollback recording each deletion) do not disturb the walk.
        last = 0
        while True:
            where = " AND ".join([*clauses, "rowid > ?"])
            with self._lock:
                found = self._db.execute(
                    f"SELECT rowid, {self._COLUMNS} FROM records WHERE {where} ORDER BY rowid LIMIT 1000",
                    (*args, last),
                ).fetchall()
            if not found:
                return
            last = found[-1][0]
            yield from (self._row(values[1:]) for values in found)

    def record_intent(
        self,
        system: str,
        kind: str,
        source_id: str,
        payload: dict[str, Any] | Encoded,
        batch: str,
        *,
        origin: str | None = None,
        receipt: dict[str, Any] | None = None,
    ) -> None:
        """Commit a `pending` intent BEFORE the request that creates the object (no v2 id known yet);
        `receipt`: the receipt file sent with it (a new object holds no other)."""
        now = _now()
        encoded = _encoded(payload)
        with self._tx() as db:
            db.execute(
                "INSERT INTO records (system, kind, source_id, payload_hash, payload, batch, state, attempts,"
                " created_at, updated_at, origin, receipt) VALUES (?,?,?,?,?,?, 'pending', 1, ?, ?, ?, ?)"
                " ON CONFLICT (system, kind, source_id) DO UPDATE SET state='pending', attempts=attempts+1,"
                " v2_id=NULL, payload_hash=excluded.payload_hash, payload=excluded.payload,"
                " updated_at=excluded.updated_at, origin=COALESCE(excluded.origin, origin), receipt=excluded.receipt",
                (system, kind, source_id, encoded.hash, encoded.text, batch, now, now, origin,
                 jsonio.dumps(receipt) if receipt else None),
            )  # fmt: skip

    def record_result(
        self,
        system: str,
        kind: str,
        source_id: str,
        *,
        state: str,
        v2_id: int | None,
        payload: dict[str, Any] | Encoded | None = None,
        batch: str,
        error: str | None = None,
        origin: str | None = None,
        receipt: dict[str, Any] | None = KEEP_RECEIPT,
    ) -> None:
        """Commit the outcome of a request (or of a reconciliation) right after it is known;
        `receipt`, when given, in the same transaction (None clears it)."""
        if state not in STATES:
            raise ValueError(state)
        now = _now()
        encoded = _encoded(payload) if payload is not None else None
        digest = encoded.hash if encoded is not None else None
        body = encoded.text if encoded is not None else None
        with self._tx() as db:
            db.execute(
                "INSERT INTO records (system, kind, source_id, v2_id, payload_hash, payload, batch, state,"
                " last_error, created_at, updated_at, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (system, kind, source_id) DO UPDATE SET state=excluded.state,"
                " v2_id=COALESCE(excluded.v2_id, v2_id), payload_hash=COALESCE(excluded.payload_hash, payload_hash),"
                " payload=COALESCE(excluded.payload, payload), last_error=excluded.last_error,"
                " updated_at=excluded.updated_at, origin=COALESCE(excluded.origin, origin)",
                (system, kind, source_id, v2_id, digest, body, batch, state, error, now, now, origin),
            )
            if receipt is not KEEP_RECEIPT:
                self._set_receipt(db, system, kind, source_id, receipt)
            db.execute(
                "INSERT INTO events (at, batch, system, kind, source_id, action, v2_id, detail)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (now, batch, system, kind, source_id, state, v2_id, error),
            )

    def note_invalid(self, rows: Iterable[tuple[str, str, str, str, str | None]], *, batch: str) -> None:
        """Remember records the plan found invalid — (system, kind, source_id, why, origin) — so that
        `status --rejected` lists them; one transaction. A row that knows better stays as it is: a
        loaded object (its older version is in the target) or an intent whose outcome is unknown."""
        now = _now()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO records (system, kind, source_id, batch, state, last_error, created_at, updated_at,"
                " origin) VALUES (?,?,?,?, 'invalid', ?,?,?,?) ON CONFLICT (system, kind, source_id) DO UPDATE SET"
                " state='invalid', batch=excluded.batch, last_error=excluded.last_error,"
                " updated_at=excluded.updated_at, origin=COALESCE(excluded.origin, origin)"
                " WHERE state IN ('rejected', 'blocked', 'invalid') AND v2_id IS NULL",
                ((system, kind, sid, batch, why, now, now, where) for system, kind, sid, why, where in rows),
            )

    def forget_not_loaded(self, keys: Iterable[tuple[str, str, str]]) -> None:
        """Drop the rows of records now deliberately left out (skipped) that only said why they did not
        load (no object, no intent in doubt); one transaction."""
        with self._tx() as db:
            db.executemany(
                "DELETE FROM records WHERE system=? AND kind=? AND source_id=? AND v2_id IS NULL"
                " AND state IN ('rejected', 'blocked', 'invalid')",
                keys,
            )

    @staticmethod
    def _set_receipt(
        db: sqlite3.Connection, system: str, kind: str, source_id: str, receipt: dict[str, Any] | None
    ) -> None:
        db.execute(
            "UPDATE records SET receipt=? WHERE system=? AND kind=? AND source_id=?",
            (jsonio.dumps(receipt) if receipt else None, system, kind, source_id),
        )

    def record_receipt(
        self, system: str, kind: str, source_id: str, receipt: dict[str, Any] | None, *, batch: str
    ) -> None:
        """Commit an expense's receipt state alone (an upload's intent before it, its outcome after it)."""
        with self._tx() as db:
            self._set_receipt(db, system, kind, source_id, receipt)
            db.execute(
                "INSERT INTO events (at, batch, system, kind, source_id, action, detail) VALUES (?,?,?,?,?,?,?)",
                (_now(), batch, system, kind, source_id, f"receipt-{(receipt or {}).get('state', 'none')}",
                 (receipt or {}).get("sha256")),
            )  # fmt: skip

    def receipt_rows(self, states: Iterable[str] = ("rejected", "pending")) -> Iterator[LedgerRow]:
        """Rows whose receipt is in one of `states` (a refused receipt, an upload in doubt)."""
        wanted = list(states)
        clauses = [f"json_extract(receipt, '$.state') IN ({', '.join('?' * len(wanted))})"]
        return self._stream(clauses, wanted)

    def log(
        self,
        batch: str | None,
        action: str,
        *,
        system: str = "",
        kind: str = "",
        source_id: str = "",
        v2_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Append an audit event (rollback deletions, reconciliations, warnings)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO events (at, batch, system, kind, source_id, action, v2_id, detail)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (_now(), batch, system, kind, source_id, action, v2_id, detail),
            )

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """batch -> kind -> state -> count."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        with self._lock:
            cursor = self._db.execute("SELECT batch, kind, state, count(*) FROM records GROUP BY batch, kind, state")
            for batch, kind, state, count in cursor:
                out.setdefault(batch, {}).setdefault(kind, {})[state] = count
        return out

    def fingerprint(self) -> str:
        """A hash of every record row: a saved plan is stale when this changes."""
        with self._lock:
            rows = self._db.execute(
                "SELECT system, kind, source_id, v2_id, payload_hash, state FROM records ORDER BY 1, 2, 3"
            )
            return records_fingerprint(rows)  # streamed: a ledger of a million rows is never held in memory

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LedgerLock:
    """An exclusive lock on a ledger for the duration of a run: a second process is refused.

    `filelock` (a well-kept library) locks the same way on Linux, macOS and Windows, where a
    hand-written `fcntl` lock does not exist; the holder's pid is written beside the lock, so the
    refusal can say who holds it.
    """

    def __init__(self, ledger_path: str | Path) -> None:
        self.path = Path(f"{ledger_path}.lock")
        self.holder = Path(f"{ledger_path}.lock.pid")
        self._lock = FileLock(self.path, timeout=0)

    def __enter__(self) -> LedgerLock:
        try:
            self._lock.acquire()
        except Timeout:
            try:
                holder = self.holder.read_text(encoding="utf-8").strip() or "another process"
            except OSError:
                holder = "another process"
            raise LedgerError(
                f"ledger {self.path.with_suffix('')} is in use by another migrator run ({holder}); "
                "wait for it to finish or stop it, then run again"
            ) from None
        self.holder.write_text(f"pid {os.getpid()}", encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock.is_locked:
            self.holder.unlink(missing_ok=True)  # nobody holds it now (the lock file itself stays: filelock's rule)
            self._lock.release()
