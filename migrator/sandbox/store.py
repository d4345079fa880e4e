"""The sandbox account's memory: objects in SQLite, ids from one counter, the lock, transactions.

Objects are kept *raw* (foreign keys as ids, money as exact decimals) and rendered to Harvest's
response shapes by `render.py`. Business rules live in the family modules (`directory.py`,
`projects.py`, `timesheets.py`, `billing.py`, `events.py`); this module only stores, finds and
persists. A rule that changes an object it read says so with `touch(raw)`, which writes it back.

Why SQLite (`columns.py` has the layout): a write costs one row, its index entries and the account
row, and every lookup the rules and the list filters make is an index seek, so the cost of a request
does not grow with the account. The JSON file this replaces was rewritten whole after every change
(4,000 creates: 52 s with it, 1.6 s without). An append-only journal would make writes cheap too,
but every lookup would still need the whole account in memory, loaded at each start.

Each request is one transaction (`operations.py`), committed *before* the HTTP response is written:
a `commit_drop` fault really did commit, also for the next process that opens the file; a request
refused half-way is rolled back. The file runs in WAL mode with `synchronous=OFF`: a commit is
handed to the operating system before the answer leaves, so it survives the death of any process
(the client the tests kill, or the sandbox itself) but not an OS crash or a power cut, which no test
simulates and a throwaway test account does not need. `synchronous=NORMAL` adds an fsync at every
WAL checkpoint, taken with the store's lock held: measured here, a commit then cost 2.3x the wall
time (258 against 111 µs). Without a state file the account is an in-memory SQLite database.

Reads within a request share one dict per object (a `session`), and the last `CACHE_SIZE` objects
read stay decoded for the next requests, as long as no other connection has written the file
(`PRAGMA data_version`); a rollback forgets them all.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from migrator.errors import ConfigError
from migrator.kinds import KINDS
from migrator.sandbox import columns
from migrator.sandbox.columns import Raw

# The account owner: the token's user (GET /users/me), an administrator, always id 1.
OWNER_ID = 1
OWNER = {
    "first_name": "Sandbox",
    "last_name": "Owner",
    "email": "owner@sandbox.example",
    "timezone": "Eastern Time (US & Canada)",
    "has_access_to_all_future_projects": False,
    "is_contractor": False,
    "is_active": True,
    "weekly_capacity": 126000,
    "default_hourly_rate": Decimal(0),
    "cost_rate": Decimal(0),
    "roles": [],
    "access_roles": ["administrator"],
}

__all__ = ["OWNER", "OWNER_ID", "KindRules", "Raw", "SandboxError", "Store", "human", "now", "today"]


class SandboxError(Exception):
    """An HTTP error answer: the status and Harvest's `message` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def now() -> str:
    """The current time as Harvest writes datetimes (ISO 8601, UTC, `Z`)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Every new sandbox account is the same account, down to its timestamps: a plan saved against a
# fresh `--sandbox` (which writes nothing) still applies to the fresh sandbox `run` starts.
ACCOUNT_CREATED = "2020-01-01T00:00:00Z"


def today() -> str:
    """Today's date as `YYYY-MM-DD`."""
    return dt.date.today().isoformat()


def human(field_name: str) -> str:
    """`client_id` -> `Client`, `spent_date` -> `Spent date` (Rails-style messages)."""
    return field_name.removesuffix("_id").replace("_", " ").capitalize()


@dataclass(frozen=True)
class KindRules:
    """The business rules of one kind, looked up by `operations.py`.

    `create(store, data)` inserts and returns the raw object (default: insert `defaults | data`);
    `update(store, raw, data)` checks and applies a PATCH to `raw` (default: `raw.update(data)`);
    `delete(store, raw)` refuses (SandboxError) or cascades before the object is removed.
    `parent` names the path field of nested kinds (`project_id` for assignments, ...).
    """

    defaults: Mapping[str, Any] = field(default_factory=dict)
    create: Callable[[Store, Raw], Raw] | None = None
    update: Callable[[Store, Raw, Raw], None] | None = None
    delete: Callable[[Store, Raw], None] | None = None
    parent: tuple[str, str] | None = None  # (parent kind, field), e.g. ("projects", "project_id")
    unique_name: bool = False  # Harvest refuses a second client/task/category with the same name


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


CACHE_SIZE = 10_000  # decoded objects kept between requests (a few MB)
RECEIPT_BLOCK = 1 << 20  # bytes of a receipt written or read at a time


class Store:
    """One Harvest account's objects. Every read and write happens under `lock` (re-entrant).

    Writes outside `transaction()` are each their own transaction; `operations.py` wraps a whole
    request in one, so a refused request (a `SandboxError` half-way) leaves the account as it was.
    Inside a `session()` (the server opens one per request) or a transaction, reading an object
    twice gives the same dict, as a dict of dicts would: what a rule changed is what the response
    renders, and an object is decoded once however often a page mentions it. Outside one, every
    read is a fresh dict from the file (instruments, tests, another process's view).
    """

    def __init__(self, *, timestamp_timers: bool = False, state_path: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.state_path = state_path
        self.timestamp_timers = timestamp_timers
        self.weekly_capacity = 126000
        self.next_id = 1
        self.emails_sent = 0
        self.closed = False
        self.base_url = ""  # http://HOST:PORT, where receipts are served (set by the server)
        self._counts = dict.fromkeys(KINDS, 0)
        self._version: int | None = None  # `PRAGMA data_version` when the account row was last read
        self._depth = 0  # transactions open (nested ones join the outermost)
        self._sessions = 0
        # Decoded objects by id, most recently used last: the identity map of the open session, kept
        # (up to CACHE_SIZE) for the next ones while no other connection writes the file.
        self._cache: dict[int, tuple[str, Raw]] = {}
        self._db = self._open(state_path)
        if self._db.execute("SELECT 1 FROM account").fetchone() is None:
            self._seed()
        else:
            self._read_account()

    # --- the file ----------------------------------------------------------------------------------

    @staticmethod
    def _open(path: Path | None) -> sqlite3.Connection:
        # One connection shared by the server's threads, always under `lock`; autocommit mode, with
        # explicit BEGIN/COMMIT in `transaction()`.
        db = None
        try:
            db = sqlite3.connect(
                ":memory:" if path is None else path, isolation_level=None, check_same_thread=False, timeout=10
            )
            if path is not None:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = OFF")
            db.execute("PRAGMA cache_size = -65536")  # 64 MiB of pages (changed ones, mostly)
            db.execute("PRAGMA mmap_size = 1073741824")  # reads straight from the OS cache, up to 1 GiB
            db.executescript(columns.SCHEMA)
            found = db.execute("SELECT version FROM account").fetchone()
        except sqlite3.DatabaseError as exc:
            if db is not None:
                db.close()
            raise ConfigError(f"{path}: not a sandbox state file ({exc}); give a new path or delete it") from exc
        if found is not None and found[0] != columns.VERSION:
            db.close()
            raise ConfigError(f"{path}: a sandbox state file of version {found[0]}, not {columns.VERSION}; delete it")
        return db

    def _seed(self) -> None:
        """A new Harvest account: its owner and the two default item categories of each kind."""
        with self.transaction():
            account = self._account()
            self._db.execute(
                "INSERT INTO account VALUES (1, ?, ?, ?, ?, ?, ?)",
                (columns.VERSION, *account[:4], json.dumps(account[4])),
            )
            self.insert("users", dict(OWNER), at=ACCOUNT_CREATED)
            for kind in ("invoice_item_categories", "estimate_item_categories"):
                for name in ("Service", "Product"):
                    default = {"name": name, "use_as_service": name == "Service", "use_as_expense": False}
                    self.insert(kind, default, at=ACCOUNT_CREATED)

    def _account(self) -> tuple[Any, ...]:
        return self.next_id, self.emails_sent, self.timestamp_timers, self.weekly_capacity, dict(self._counts)

    def _read_account(self) -> None:
        """Read the account row again (and forget cached objects) if another connection committed since."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return
        self._cache.clear()
        found = self._db.execute(
            "SELECT next_id, emails_sent, timestamp_timers, weekly_capacity, counts FROM account"
        ).fetchone()
        if found is None:
            return  # a new file, being seeded
        self.next_id, self.emails_sent, self.weekly_capacity = int(found[0]), int(found[1]), int(found[3])
        self.timestamp_timers = bool(found[2])
        self._counts = dict.fromkeys(KINDS, 0) | columns.decode(found[4])
        self._version = version

    @contextmanager
    def session(self) -> Iterator[None]:
        """Hold the lock; until the end, reading an object twice gives the same dict."""
        with self.lock:
            if self.closed:  # e.g. a kept-alive connection still talking after `Sandbox.stop()`
                raise SandboxError(503, "The sandbox has stopped")
            if not self._sessions:
                self._read_account()
            self._sessions += 1
            try:
                yield
            finally:
                self._sessions -= 1
                if not self._sessions:
                    while len(self._cache) > CACHE_SIZE:
                        del self._cache[next(iter(self._cache))]  # the least recently used

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A session whose writes are committed together at the end, or none if it raises.

        The counter, the settings and the counts (`next_id`, `emails_sent`, `timestamp_timers`,
        `weekly_capacity`) are read at the start (another process may share the file) and written
        with the commit when they changed. Nested calls join the outer transaction.
        """
        with self.session():
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                self._read_account()
                before = self._account()
                yield
                after = self._account()
                if after != before:
                    self._db.execute(
                        "UPDATE account SET next_id = ?, emails_sent = ?, timestamp_timers = ?, weekly_capacity = ?, "
                        "counts = ?",
                        (*after[:4], json.dumps(after[4])),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._cache.clear()  # objects a rule changed before refusing are not what the file holds
                self._version = None
                self._read_account()
                raise
            finally:
                self._depth = 0

    def close(self) -> None:
        """Close the database (a state file is checkpointed: no -wal or -shm file is left)."""
        with self.lock:
            self.closed = True
            self._db.close()

    # --- writes ------------------------------------------------------------------------------------

    def new_id(self) -> int:
        """The next id. One counter for every kind, so an id of the wrong kind never resolves."""
        with self.lock:
            value = self.next_id
            self.next_id += 1
            return value

    def insert(self, kind: str, raw: Raw, *, at: str | None = None) -> Raw:
        """Store a new object with a fresh id and timestamps (`at`, default now); return it."""
        with self.transaction():
            raw = dict(raw)
            raw["id"] = self.new_id()
            raw["created_at"] = raw["updated_at"] = at or now()
            self._db.execute(columns.INSERT, (raw["id"], kind, *columns.row(kind, raw)))
            self._counts[kind] += 1
            self._cache[raw["id"]] = (kind, raw)
            return raw

    # Kept for tests/load/test_exactly_once.py, which seeds an object directly; new code: `insert`.
    _insert = insert

    def remove(self, kind: str, obj_id: int) -> None:
        """Forget one object (no rules: callers have checked them)."""
        with self.transaction():
            if self._db.execute("DELETE FROM objects WHERE id = ? AND kind = ?", (obj_id, kind)).rowcount:
                self._counts[kind] -= 1
            self._cache.pop(obj_id, None)

    def touch(self, raw: Raw) -> None:
        """Save a changed object, marked as changed now (`updated_at`)."""
        with self.transaction():
            found = self._db.execute("SELECT kind FROM objects WHERE id = ?", (raw["id"],)).fetchone()
            if found is None:
                raise KeyError(f"object {raw['id']} is not in the store")
            raw["updated_at"] = now()
            self._db.execute(columns.UPDATE, (*columns.row(found[0], raw), raw["id"], found[0]))
            self._cache[raw["id"]] = (found[0], raw)

    # --- reads -------------------------------------------------------------------------------------

    def _cached(self, obj_id: int) -> tuple[str, Raw] | None:
        """(kind, object) from the cache, in a session only (outside one, another process may write)."""
        if not self._sessions:
            return None
        found = self._cache.pop(obj_id, None)
        if found is not None:
            self._cache[obj_id] = found  # now the most recently used
        return found

    def _known(self, kind: str, obj_id: int, body: str) -> Raw:
        """The session's dict for this object, or `body` decoded (and cached in a session)."""
        cached = self._cached(obj_id)
        if cached is not None:
            return cached[1]
        raw: Raw = columns.decode(body)
        if self._sessions:
            self._cache[obj_id] = (kind, raw)
        return raw

    def lookup(self, kind: str, obj_id: Any) -> Raw | None:
        """The object of `kind` with this id, or None."""
        if not _is_id(obj_id):
            return None
        with self.lock:
            cached = self._cached(obj_id)
            if cached is not None:
                return cached[1] if cached[0] == kind else None
            found = self._db.execute("SELECT body FROM objects WHERE id = ? AND kind = ?", (obj_id, kind)).fetchone()
            return self._known(kind, obj_id, found[0]) if found is not None else None

    def get(self, kind: str, obj_id: int) -> Raw:
        """The object, or a 404."""
        found = self.lookup(kind, obj_id)
        if found is None:
            raise SandboxError(404, "Not found")
        return found

    def ref(self, kind: str, obj_id: Any, field_name: str) -> Raw:
        """The object a body field refers to, or a 422 naming the field (e.g. "Client must exist")."""
        found = self.lookup(kind, obj_id)
        if found is None:
            raise SandboxError(422, f"{human(field_name)} must exist")
        return found

    @staticmethod
    def _where(kind: str, match: Mapping[str, Any], exclude: int | None) -> tuple[str, list[Any]]:
        parts: list[str] = ["kind = ?"]
        args: list[Any] = [kind]
        for name, value in match.items():
            sql, values = columns.condition(name, value)
            parts.append(sql)
            args += values
        if exclude is not None:
            parts.append("id != ?")
            args.append(exclude)
        return " AND ".join(parts), args

    def find(self, kind: str, *, exclude: int | None = None, **match: Any) -> list[Raw]:
        """Objects of `kind` (by id) whose columns equal every `match` value (see `columns.COLUMNS`)."""
        where, args = self._where(kind, match, exclude)
        with self.lock:
            rows = self._db.execute(f"SELECT id, body FROM objects WHERE {where} ORDER BY id", args).fetchall()
            return [self._known(kind, obj_id, body) for obj_id, body in rows]

    def exists(self, kind: str, *, exclude: int | None = None, **match: Any) -> bool:
        """Whether `find` would find anything (it stops at the first)."""
        where, args = self._where(kind, match, exclude)
        with self.lock:
            return self._db.execute(f"SELECT 1 FROM objects WHERE {where} LIMIT 1", args).fetchone() is not None

    def ids(self, kind: str, **match: Any) -> list[int]:
        """The ids `find` would find, without reading the objects."""
        where, args = self._where(kind, match, None)
        with self.lock:
            return [int(obj_id) for (obj_id,) in self._db.execute(f"SELECT id FROM objects WHERE {where}", args)]

    def highest_number(self, kind: str, *, exclude: int | None = None) -> int | None:
        """The highest all-digits `number` of `kind` (invoices, estimates), or None."""
        with self.lock:
            rows = self._db.execute(
                "SELECT id, number_value FROM objects WHERE kind = ? AND number_value IS NOT NULL "
                "ORDER BY number_value DESC LIMIT 2",
                (kind,),
            ).fetchall()
        return next((int(value) for obj_id, value in rows if obj_id != exclude), None)

    def all(self, kind: str) -> list[Raw]:
        """Every object of `kind`, by id (instruments and tests; the API pages with `page`)."""
        with self.lock:
            rows = self._db.execute("SELECT id, body FROM objects WHERE kind = ? ORDER BY id", (kind,)).fetchall()
            return [self._known(kind, obj_id, body) for obj_id, body in rows]

    def page(
        self, kind: str, where: Sequence[str], args: Sequence[Any], *, limit: int, offset: int = 0,
        before: tuple[str, int] | None = None, seek: bool = False,
    ) -> list[tuple[str, Raw]]:  # fmt: skip
        """(sort key, object) of one page of `kind` in Harvest's order (newest first), in SQL.

        `where` are SQL conditions on the columns, with `args` for their `?`; `before` is the
        (sort key, id) of the previous page's last object (a cursor), else `offset` rows are skipped.
        Without `seek` the page is read along the list-order index (kind, sort_key, id): LIMIT rows
        and no sort. With `seek` (a condition is an equality on an indexed column) the order is
        written `+sort_key`, which SQLite cannot take from that index, so it finds the rows through
        the condition's index and sorts only those (it would otherwise walk the whole kind in order).
        """
        key, last = ("+sort_key", "+id") if seek else ("sort_key", "id")
        conditions, values = ["kind = ?", *where], [kind, *args]
        if before is not None:
            conditions.append(f"({key}, {last}) < (?, ?)")
            values += before
        sql = (
            f"SELECT id, sort_key, body FROM objects WHERE {' AND '.join(conditions)} "
            f"ORDER BY {key} DESC, {last} DESC LIMIT ? OFFSET ?"
        )
        with self.lock:
            rows = self._db.execute(sql, (*values, limit, 0 if before is not None else offset)).fetchall()
            return [(sort_key, self._known(kind, obj_id, body)) for obj_id, sort_key, body in rows]

    def count(self, kind: str, where: Sequence[str] = (), args: Sequence[Any] = ()) -> int:
        """How many objects of `kind` meet `where` (without conditions: the kept count, no scan)."""
        with self.lock:
            if not where:
                return self._counts[kind]
            sql = f"SELECT count(*) FROM objects WHERE kind = ? AND {' AND '.join(where)}"
            return int(self._db.execute(sql, (kind, *args)).fetchone()[0])

    def counts(self) -> dict[str, int]:
        """How many objects of each kind exist (every kind of `migrator.kinds.KINDS`).

        Also brings `emails_sent` and the settings up to date with the file (another process may write it).
        """
        with self.lock:
            if not self.closed:
                self._read_account()
            return dict(self._counts)

    # --- receipt files (see `columns`) -------------------------------------------------------------

    def put_receipt(self, expense_id: int, meta: Mapping[str, Any], data: IO[bytes], size: int) -> None:
        """Store an expense's receipt (replacing any), its bytes copied from `data` in blocks; count the upload."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO receipts VALUES (?, ?, ?, ?, ?, zeroblob(?))",
                (expense_id, meta["file_name"], meta["content_type"], size, meta["sha256"], size),
            )
            if size:
                with self._db.blobopen("receipts", "data", expense_id) as blob:
                    while block := data.read(RECEIPT_BLOCK):
                        blob.write(block)
            self._db.execute(
                "INSERT INTO receipt_uploads VALUES (?, 1)"
                " ON CONFLICT (expense_id) DO UPDATE SET uploads = uploads + 1",
                (expense_id,),
            )

    def drop_receipt(self, expense_id: int) -> None:
        """Forget an expense's receipt file (deleted with `delete_receipt`, or with its expense)."""
        with self.transaction():
            self._db.execute("DELETE FROM receipts WHERE expense_id = ?", (expense_id,))

    def receipt_blocks(self, expense_id: int) -> Iterator[bytes]:
        """The bytes of an expense's receipt, block by block (the lock is held per block, not throughout)."""
        offset = 0
        while True:
            with self.lock:
                found = self._db.execute("SELECT size FROM receipts WHERE expense_id = ?", (expense_id,)).fetchone()
                if found is None or offset >= found[0]:
                    return
                with self._db.blobopen("receipts", "data", expense_id, readonly=True) as blob:
                    blob.seek(offset)
                    block = blob.read(RECEIPT_BLOCK)
            offset += len(block)
            yield block

    def receipt_uploads(self) -> dict[str, int]:
        """Receipts stored so far per expense id (replacements included): the exactly-once instrument."""
        with self.lock:
            rows = self._db.execute("SELECT expense_id, uploads FROM receipt_uploads ORDER BY expense_id").fetchall()
        return {str(expense_id): int(uploads) for expense_id, uploads in rows}

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call `callback` with every SQL statement the store runs (None stops): tests count them."""
        with self.lock:
            self._db.set_trace_callback(callback)
