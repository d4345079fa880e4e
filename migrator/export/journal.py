"""The export's journal, `OUT/.export-journal.jsonl`: what a resume replays.

One JSON object per line, appended and fsynced after the file it names is in place:

- `start`: the system, where the account is (`source`, and the `url` shown), who the export runs
  as, "today" (fixed by the first run, so a resume on another day asks for the same windows), and
  after `--refresh` the files the earlier export had (removed at the end unless produced again);
- `request`: one answered request: its key, file, status, size, sha256, records per resource,
  and the facts the crawl drew from it (ids, hints, counts), so a replay needs no file read;
- `run`: the counters of one run; `done`: the export finished (and whether with receipts).

A line cut short by a kill is dropped on load; any other damage is an error, never guessed at.
The file name starts with a dot, so source readers skip it like any hidden file.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from migrator.errors import ConfigError
from migrator.export import JOURNAL_NAME
from migrator.export.durable import fsync_dir, make_dirs, write_atomic

VERSION = 1


class Journal:
    """An open journal: the start record, the latest entry per request key, appends thread-safe."""

    def __init__(
        self,
        path: Path,
        start: dict[str, Any],
        entries: dict[str, dict[str, Any]],
        done: dict[str, Any] | None,
        runs: list[dict[str, Any]] | None = None,
    ) -> None:
        self.path = path
        self.start = start
        self.entries = entries
        self.done = done
        self.runs = runs or []
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._written = self._synced = 0  # lines appended, and lines known to be on disk
        self._handle = path.open("ab")

    # --- opening ------------------------------------------------------------------------------------

    @classmethod
    def load(cls, out: Path) -> Journal | None:
        """The journal of the export in `out`, or None when there is none yet."""
        path = out / JOURNAL_NAME
        if not path.is_file():
            return None
        start: dict[str, Any] | None = None
        entries: dict[str, dict[str, Any]] = {}
        done: dict[str, Any] | None = None
        runs: list[dict[str, Any]] = []
        for number, record in _records(path):
            kind = record.get("type")
            if number == 1:
                if kind != "start" or record.get("version") != VERSION:
                    raise ConfigError(
                        f"{path} is not a journal this version of migrator can resume; export into a new folder"
                    )
                start = record
            elif kind == "request":
                entries[record["key"]] = record
                done = None  # a request after `done`: a later run added to the export
            elif kind == "done":
                done = record
            elif kind == "run":
                runs.append(record)
        if start is None:
            raise ConfigError(f"{path} is empty: remove it (and the folder's other files) and export again")
        return cls(path, start, entries, done, runs)

    @classmethod
    def create(cls, out: Path, start: dict[str, Any]) -> Journal:
        """A new journal holding only `start` (atomically replacing any older one: `--refresh`)."""
        make_dirs(out)
        record = {"type": "start", "version": VERSION, **start}
        write_atomic(out / JOURNAL_NAME, _line(record))
        return cls(out / JOURNAL_NAME, record, {}, None)

    # --- writing ------------------------------------------------------------------------------------

    def append(self, record: dict[str, Any]) -> None:
        """Append one record (the caller has already put its file in place) and have it fsynced.

        Group commit: one thread at a time fsyncs, covering every line written before it started;
        a thread that finds an fsync under way leaves its line to the next one (or to `close`)
        instead of queueing behind it. A line is only ever written after its file is complete, so
        whatever a crash keeps of the journal names complete files; a line it loses is an answer
        fetched again.
        """
        data = _line(record)
        with self._lock:
            self._handle.write(data)
            self._handle.flush()
            self._written += 1
            if record.get("type") == "request":
                self.entries[record["key"]] = record
            elif record.get("type") == "done":
                self.done = record
            elif record.get("type") == "run":
                self.runs.append(record)
        self.sync(wait=record.get("type") != "request")

    def sync(self, *, wait: bool = True) -> None:
        """fsync what was written (`wait=False`: unless another thread is doing it right now)."""
        if not self._sync_lock.acquire(blocking=wait):
            return
        try:
            with self._lock:
                covered = self._written
            if self._synced < covered:
                os.fsync(self._handle.fileno())
                self._synced = covered
        finally:
            self._sync_lock.release()

    def files(self) -> set[str]:
        """Every file the journal's requests put in OUT (relative, `/`-separated)."""
        return {entry["file"] for entry in self.entries.values() if entry.get("file")}

    def close(self) -> None:
        if self._handle.closed:
            return
        self.sync()
        with self._lock:
            self._handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The journal's records; a last line cut short by a kill is cut off the file too."""
    data = path.read_bytes()
    complete = data.rfind(b"\n") + 1
    if complete < len(data):
        with path.open("r+b") as handle:
            handle.truncate(complete)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_dir(path.parent)
    for number, raw in enumerate(data[:complete].splitlines(), start=1):
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            raise ConfigError(f"{path} is damaged at line {number}: export into a new folder")
        yield number, record


class ExportLock:
    """One export run at a time per folder: a second one would interleave the same journal.

    `filelock`, as the ledger's lock: the same on Linux, macOS and Windows; the holder's pid is
    written beside it so the refusal can say who holds it. Both files are hidden from readers.
    """

    def __init__(self, out: Path) -> None:
        self.path = out / ".export.lock"
        self.holder = out / ".export.lock.pid"
        self._lock = FileLock(self.path, timeout=0)

    def acquire(self) -> ExportLock:
        try:
            self._lock.acquire()
        except Timeout:
            try:
                holder = self.holder.read_text(encoding="utf-8").strip() or "another process"
            except OSError:
                holder = "another process"
            raise ConfigError(
                f"{self.path.parent} is being exported by another migrator run ({holder}); wait for it to finish"
            ) from None
        self.holder.write_text(f"pid {os.getpid()}", encoding="utf-8")
        return self

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()
