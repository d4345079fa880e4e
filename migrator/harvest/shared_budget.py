"""Harvest's rate limit shared by every migrator process that talks to one account.

Harvest counts requests per account (100 per 15 s), whoever sends them; a client-side limiter only
knows its own process. `plan` then `run` back to back (or a `plan` while a `run` loads) would
each think the whole budget is theirs, and the second draws a 429 and a 15-second stall. Harvest
documents no header that says how much of the budget is left (research harvest-v2.md §Rate
limits: the `X-RateLimit-*` headers some claim are unverified — the client still honours them
when present), so the processes tell each other: every request holds a row in one small SQLite
file, keyed by the target account, from its send until `seconds` after its response (the same rule
as `ratelimit.SlidingWindowLimiter`). A process grants itself a slot only while fewer than
`requests` rows are live. The file holds request times and process ids — no data, no credentials —
and lives in the system's temporary folder, so it follows no project folder around.

A process killed mid-request leaves a row with no end: it counts for `STALE_SECONDS`, then is
forgotten. If the file cannot be used (a read-only temp folder), the budget is kept per process,
as before, and `-v` says why.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from migrator.harvest.ratelimit import LimiterStats, SlidingWindowLimiter

log = logging.getLogger(__name__)

STALE_SECONDS = 120.0  # an unanswered request older than this belonged to a process that died
_POLL = 0.05  # every live slot is in flight somewhere: ask again this soon


def budget_path(base_url: str, account_id: str) -> Path:
    """Where the processes talking to this account share its budget."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}|{account_id}".encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"migrator-budget-{digest}.sqlite"


class SharedBudget:
    """The rows of one account's budget file (wall-clock times: processes share no monotonic clock)."""

    def __init__(self, path: Path, requests: int, seconds: float, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.requests = requests
        self.seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")  # a lost row after a power cut costs one early request
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS slots (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, sent REAL NOT NULL,"
            " free_at REAL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS slots_free ON slots (free_at)")
        self._db.execute("CREATE TABLE IF NOT EXISTS pause (one INTEGER PRIMARY KEY CHECK (one = 1), until REAL)")

    def take(self) -> tuple[int | None, float]:
        """(slot id, 0) if a slot was free and is now held, else (None, seconds to wait before asking again)."""
        now = self._clock()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "DELETE FROM slots WHERE free_at <= ? OR (free_at IS NULL AND sent <= ?)",
                    (now, now - STALE_SECONDS),
                )
                paused = self._db.execute("SELECT until FROM pause WHERE one = 1").fetchone()
                if paused and paused[0] is not None and paused[0] > now:
                    return None, paused[0] - now
                live, first_free = self._db.execute("SELECT count(*), min(free_at) FROM slots").fetchone()
                if live >= self.requests:
                    return None, (first_free - now) if first_free is not None else _POLL
                cursor = self._db.execute("INSERT INTO slots (pid, sent) VALUES (?, ?)", (os.getpid(), now))
                return cursor.lastrowid, 0.0
            finally:
                self._db.execute("COMMIT")

    def give_back(self, slot: int) -> None:
        """The response arrived: the slot is free again `seconds` from now."""
        with self._lock:
            self._db.execute("UPDATE slots SET free_at = ? WHERE id = ?", (self._clock() + self.seconds, slot))

    def pause(self, seconds: float) -> None:
        """Grant nothing to anyone for `seconds` (Harvest answered 429: somebody overspent)."""
        until = self._clock() + seconds
        with self._lock:
            self._db.execute(
                "INSERT INTO pause (one, until) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET until ="
                " max(coalesce(until, 0), excluded.until)",
                (until,),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SharedLimiter:
    """A `SlidingWindowLimiter` for this process's threads, plus the account's budget file for the
    other processes. Same interface: `slot()`, `acquire()`/`release()`, `pause()`, `stats`."""

    def __init__(self, local: SlidingWindowLimiter, budget: SharedBudget, sleep: Callable[[float], None] = time.sleep):
        self.local = local
        self.budget = budget
        self._sleep = sleep
        self._held = threading.local()

    @property
    def stats(self) -> LimiterStats:
        return self.local.stats

    @property
    def requests(self) -> int:
        return self.local.requests

    @property
    def seconds(self) -> float:
        return self.local.seconds

    def acquire(self) -> float:
        waited = self.local.acquire()
        while True:
            slot, wait = self.budget.take()
            if slot is not None:
                break
            log.info("waiting %.2fs for the account's request budget (shared with other migrator processes)", wait)
            self._sleep(wait)
            waited += wait
            self.local.stats.waited_seconds += wait
        self._stack().append(slot)
        return waited

    def release(self, end_time: float | None = None) -> None:
        stack = self._stack()
        if stack:
            self.budget.give_back(stack.pop())
        self.local.release(end_time)

    @contextmanager
    def slot(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def pause(self, seconds: float) -> None:
        self.local.pause(seconds)
        self.budget.pause(seconds)

    def close(self) -> None:
        self.budget.close()

    def _stack(self) -> list[int]:
        stack: list[int] | None = getattr(self._held, "slots", None)
        if stack is None:
            stack = self._held.slots = []
        return stack


def shared_limiter(
    local: SlidingWindowLimiter, path: Path, sleep: Callable[[float], None] = time.sleep
) -> SlidingWindowLimiter | SharedLimiter:
    """`local` joined to the budget file at `path`; `local` alone if the file cannot be used."""
    try:
        budget = SharedBudget(path, local.requests, local.seconds)
    except sqlite3.Error as exc:
        log.info("cannot share the request budget through %s (%s): this process keeps its own", path, exc)
        return local
    return SharedLimiter(local, budget, sleep)
