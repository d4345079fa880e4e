"""The engine a system's crawl runs on: each request replayed from the journal or fetched, kept, journaled.

A crawl is a deterministic function of the answers it gets: which request comes next depends
only on what earlier ones brought (ids, hints, record counts), and those facts are journaled with
each answer. So `Crawl.get` first looks the request up in the journal: a request answered by an
earlier run costs nothing (its facts come back from the journal, its file is checked for size),
and only what was in flight when a run died is sent again. A complete export replays without a
single request.

Work runs as tasks on a pool of `concurrency` threads (`spawn`), all sharing the fetcher's one
budget; a task never waits for another (it spawns what depends on it and returns), so the pool
cannot deadlock. The first error stops the crawl: running requests finish and are journaled,
nothing new is sent, and `run` raises that error.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from migrator.errors import ExportError, ExportFailBody
from migrator.export import PAGING_DIR, PARTIAL_DIR
from migrator.export.check import Checked, check_xml, is_xml
from migrator.export.durable import make_dirs, place, write_atomic
from migrator.export.fetch import Fetched, Fetcher, Request
from migrator.export.journal import Journal
from migrator.sources.record import RawRecord, SourceReader


class Collector(Protocol):
    """Draws the facts a crawl needs from one answer's records (made anew for every attempt).

    A collector may also define `read_by(reader)`, called once the reader has read the whole body,
    for what is not a record (FreshBooks' `page`/`pages`/`total` list attributes, which its reader
    notes in `reader.pages`).
    """

    def add(self, record: RawRecord) -> None: ...

    def result(self) -> dict[str, Any]: ...


def _read(
    fetched: Fetched, reader: SourceReader, collector: Collector | None, explain: Callable[[Fetched], ExportError]
) -> Checked:
    """The body through the system's reader, its records to the collector (and the reader after them)."""
    checked = check_xml(fetched, reader, collector.add if collector is not None else None, explain)
    read_by = getattr(collector, "read_by", None)
    if read_by is not None:
        read_by(reader)
    return checked


@dataclass(frozen=True)
class Got:
    """One answered request, fetched now or replayed from the journal."""

    key: str
    status: int
    file: str | None  # relative to OUT, `/`-separated; None when nothing was kept
    media_type: str
    records: dict[str, int]
    facts: dict[str, Any]
    replayed: bool
    about: dict[str, str] = field(default_factory=dict)  # what a file answer belongs to (a receipt's expense)
    fail: dict[str, str] | None = None  # a FreshBooks `status="fail"` taken as an answer: its code and error

    @classmethod
    def from_entry(cls, entry: dict[str, Any], *, replayed: bool) -> Got:
        return cls(
            entry["key"],
            entry["status"],
            entry.get("file"),
            entry.get("media_type", ""),
            entry.get("records", {}),
            entry.get("facts", {}),
            replayed,
            entry.get("about", {}),
            entry.get("fail"),
        )


@dataclass
class Peeked:
    """An answer read before the export folder may be written (who the credentials belong to)."""

    fetched: Fetched
    checked: Checked
    facts: dict[str, Any]
    body: bytes


@dataclass
class Progress:
    """What a progress display shows: requests sent and replayed, records per kind, bytes kept."""

    requests: int = 0
    replayed: int = 0
    retries: int = 0
    waits: int = 0
    files: int = 0
    bytes: int = 0
    records: Counter[str] = field(default_factory=Counter)
    done: bool = False


class Stopped(Exception):  # noqa: N818 - internal: a task ends because another one failed
    """The crawl is stopping after an error elsewhere: this task sends nothing more."""


def peek(
    fetcher: Fetcher,
    reader: Callable[[], SourceReader],
    request: Request,
    collector: Callable[[], Collector],
    explain: Callable[[Fetched], ExportError],
) -> Peeked:
    """Fetch and check one answer into memory, writing nothing into the export folder."""
    with tempfile.TemporaryDirectory(prefix="migrator-export-") as scratch:

        def check(fetched: Fetched) -> tuple[Checked, Collector]:
            collect = collector()
            return _read(fetched, reader(), collect, explain), collect

        fetched, result = fetcher.fetch(request, Path(scratch), check)
        if not 200 <= fetched.status < 300 or result is None:
            raise explain(fetched)
        checked, collect = result
        body = fetched.temp.read_bytes() if fetched.temp is not None else b""
        fetched.discard()
        return Peeked(fetched, checked, collect.result(), body)


class Crawl:
    """One run of a crawl over an export folder (see the module docstring)."""

    def __init__(
        self,
        *,
        out: Path,
        journal: Journal,
        fetcher: Fetcher,
        reader: Callable[[], SourceReader],
        kinds: dict[str, str],
        explain: Callable[[Fetched], ExportError],
        concurrency: int,
        receipts: bool = True,
        before_network: Callable[[], None] | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.out = out
        self.journal = journal
        self.fetcher = fetcher
        self.reader = reader
        self.kinds = kinds  # source resource -> the v2 kind its records are counted as
        self.explain = explain
        self.concurrency = concurrency
        self.receipts = receipts  # fetch receipt files (`--no-receipts` skips them)
        self.partial = out / PARTIAL_DIR
        self.notices: list[str] = []
        self.progress = Progress()
        self._before_network = before_network
        self._on_progress = progress
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._errors: list[BaseException] = []
        self._stop = threading.Event()
        self._live = before_network is None
        self._live_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._shown_at = 0.0
        self._kept: set[str] = set()  # keys journaled by `keep` in this run

    @property
    def today(self) -> str:
        """The last day of every date range, fixed when the export started (ISO)."""
        return str(self.journal.start["today"])

    # --- tasks --------------------------------------------------------------------------------------

    def run(self, root: Callable[[Crawl], None]) -> None:
        """Run `root(self)` and every task it spawns; raise the first error once all have stopped."""
        make_dirs(self.partial)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="export") as pool:
            self._pool = pool
            self.spawn(root, self)
            try:
                with self._idle:
                    while self._pending:
                        self._idle.wait()
            except BaseException:
                self._stop.set()  # Ctrl-C: running requests finish and are journaled, nothing new starts
                raise
            finally:
                self._pool = None
        self.progress.done = True
        self._show(force=True)
        if self._errors:
            raise self._errors[0]

    def spawn(self, task: Callable[..., Any], *args: Any) -> None:
        """Run `task(*args)` on the pool (never waits: a task hands on what depends on it)."""
        if self._stop.is_set():
            return
        with self._lock:
            self._pending += 1
        assert self._pool is not None, "spawn() outside run()"
        self._pool.submit(task, *args).add_done_callback(self._finished)

    def _finished(self, future: Future[Any]) -> None:
        error = future.exception()
        with self._idle:
            if error is not None and not isinstance(error, Stopped):
                self._errors.append(error)
                self._stop.set()
            self._pending -= 1
            if not self._pending:
                self._idle.notify_all()

    def notice(self, text: str) -> None:
        """Something the user should know about the export (shown at the end and in the manifest)."""
        with self._lock:
            if text not in self.notices:
                self.notices.append(text)

    # --- requests -----------------------------------------------------------------------------------

    def get(
        self,
        request: Request,
        file: str,
        *,
        collect: Callable[[], Collector] | None = None,
        counted: bool = True,
        allow: frozenset[int] = frozenset(),
        fails: frozenset[str] = frozenset(),
    ) -> Got:
        """An XML answer to `request`, kept as `file` (relative to OUT) and journaled, or replayed.

        `collect` draws the facts the crawl needs from its records; `counted`: its records count
        toward the export's totals (a list page that only finds ids does not); `allow`: statuses
        that are an answer, not an error (e.g. 404 where a record may have been deleted meanwhile);
        `fails`: FreshBooks `status="fail"` codes that are an answer likewise (50010, "not found",
        for a record deleted since it was listed): journaled with `Got.fail`, kept nowhere.
        """
        replayed = self._replay(request)
        if replayed is not None:
            return replayed
        self._go_live()

        def check(fetched: Fetched) -> tuple[Checked, Collector | None, dict[str, str] | None]:
            collector = collect() if collect is not None else None
            try:
                return _read(fetched, self.reader(), collector, self.explain), collector, None
            except ExportFailBody as failed:
                if failed.code not in fails:
                    raise
                return Checked(), None, {"code": failed.code, "error": failed.text}

        fetched, result = self.fetcher.fetch(request, self.partial, check)
        checked, collector, failed = result if result is not None else (Checked(), None, None)
        entry = self._entry(fetched, checked.records, counted)
        entry["facts"] = collector.result() if collector is not None else {}
        if checked.notices:
            entry["notices"] = checked.notices[:20]
        if failed is not None:
            fetched.discard()  # a failure is no record: nothing of it goes into OUT
            entry.update(file=None, fail=failed)
            return self._journal(entry, fetched)
        return self._keep(fetched, entry, file, allow)

    def get_file(
        self,
        request: Request,
        stem: str,
        extension: Callable[[str], str],
        *,
        allow: frozenset[int],
        about: dict[str, str] | None = None,
        judge: Callable[[Fetched], dict[str, str]] | None = None,
    ) -> Got:
        """A binary answer (a receipt) kept as `stem` + `extension(media type)`, as received, or replayed.

        An HTML or XML page where a file belongs is kept nowhere (it is no receipt); its `media_type`
        says so to the caller, and `judge` (given the page, before it is dropped) may say more in
        `about`: FreshBooks answers an expense without a receipt with a `status="fail"` body.
        """
        replayed = self._replay(request)
        if replayed is not None:
            return replayed
        self._go_live()
        fetched, _ = self.fetcher.fetch(request, self.partial)
        entry = self._entry(fetched, {}, counted=False)
        entry["about"] = about or {}
        html = fetched.media_type == "text/html" or is_xml(fetched.media_type)
        if 200 <= fetched.status < 300 and (html or fetched.size == 0):
            if judge is not None and fetched.size:
                entry["about"] = {**entry["about"], **judge(fetched)}
            fetched.discard()  # not a file: listed by the caller, never kept as a receipt
            entry["file"] = None
            return self._journal(entry, fetched)
        return self._keep(fetched, entry, stem + extension(fetched.media_type), allow)

    def keep(self, peeked: Peeked, file: str, *, counted: bool = True) -> Got:
        """Keep an answer read by `peek` (before the folder existed) as if fetched now."""
        with _writing(file):
            write_atomic(self.out / file, peeked.body, scratch=self.partial)
        entry = self._entry(peeked.fetched, peeked.checked.records, counted)
        entry.update(file=file, facts=peeked.facts)
        self._kept.add(entry["key"])
        return self._journal(entry, peeked.fetched)

    def set_aside(self, got: Got) -> None:
        """Move a kept answer under `.paging/` (same relative path), where source readers never look,
        and stop counting its records: a list page of a pass that a later, complete pass replaced.

        Idempotent, so a resume that replays the same decision does nothing twice; a kill between
        the rename and the journal line only means that page is fetched again next time.
        """
        entry = self.journal.entries.get(got.key)
        name = entry.get("file") if entry is not None else None
        if entry is None or not name or name.startswith(PAGING_DIR + "/"):
            return
        moved = f"{PAGING_DIR}/{name}"
        source = self.out / name
        if not source.is_file():
            return  # not there (a run killed mid-move): it is fetched again, then set aside again
        with _writing(moved):
            place(source, self.out / moved)
        record = {**entry, "file": moved, "counted": False}
        with _writing(self.journal.path.name):
            self.journal.append(record)
        if entry.get("counted", True):
            with self._lock:
                for resource, count in entry.get("records", {}).items():
                    self.progress.records[self.kinds.get(resource, resource)] -= count

    def fan_out(self, calls: list[Callable[[], Any]], then: Callable[[list[Any]], None]) -> None:
        """Run every call as its own task and `then(results)` (in the calls' order) once all have
        returned: a task that needs several answers hands them on instead of waiting for them (a
        waiting task could hold the pool's last thread). An error in a call stops the crawl, and
        `then` never runs."""
        if not calls:
            self.spawn(then, [])
            return
        results: list[Any] = [None] * len(calls)
        left = [len(calls)]
        lock = threading.Lock()

        def one(index: int) -> None:
            results[index] = calls[index]()
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:
                then(results)

        for index in range(len(calls)):
            self.spawn(one, index)

    def _replay(self, request: Request) -> Got | None:
        if self._stop.is_set():
            raise Stopped
        entry = self.journal.entries.get(request.key)
        if entry is None or not self._intact(entry):
            return None
        with self._lock:
            if request.key in self._kept:  # kept by this very run (`keep`): already counted
                return Got.from_entry(entry, replayed=False)
            self.progress.replayed += 1
            self._count(entry)
        self._show()
        return Got.from_entry(entry, replayed=True)

    def _intact(self, entry: dict[str, Any]) -> bool:
        """The journaled file is still there, whole (else the request is simply sent again)."""
        name = entry.get("file")
        if not name:
            return True
        try:
            return (self.out / name).stat().st_size == entry.get("bytes")
        except OSError:
            return False

    def _go_live(self) -> None:
        """Before this run's first request: the resume check (same account, still an administrator)."""
        if self._live:
            return
        with self._live_lock:
            if not self._live and self._before_network is not None:
                self._before_network()
            self._live = True
        if self._stop.is_set():
            raise Stopped

    def _entry(self, fetched: Fetched, records: Counter[str] | dict[str, int], counted: bool) -> dict[str, Any]:
        return {
            "type": "request",
            "key": fetched.request.key,
            "status": fetched.status,
            "media_type": fetched.media_type,
            "bytes": fetched.size,
            "sha256": fetched.sha256,
            "records": dict(records),
            "counted": counted,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    def _keep(self, fetched: Fetched, entry: dict[str, Any], file: str, allow: frozenset[int]) -> Got:
        if 200 <= fetched.status < 300:
            if fetched.temp is not None and fetched.size:
                with _writing(file):
                    place(fetched.temp, self.out / file)
                fetched.temp = None
                entry["file"] = file
            else:
                fetched.discard()  # an empty body: nothing to keep (an empty list)
                entry["file"] = None
        elif fetched.status in allow:
            entry["file"] = None
        else:
            raise self.explain(fetched)
        return self._journal(entry, fetched)

    def _journal(self, entry: dict[str, Any], fetched: Fetched) -> Got:
        with _writing(self.journal.path.name):
            self.journal.append(entry)
        with self._lock:
            self.progress.requests = self.fetcher.stats.requests
            self.progress.retries = self.fetcher.stats.retries
            self.progress.waits = self.fetcher.stats.waits
            self._count(entry)
        self._show()
        return Got.from_entry(entry, replayed=False)

    def _count(self, entry: dict[str, Any]) -> None:
        if entry.get("file"):
            self.progress.files += 1
            self.progress.bytes += int(entry.get("bytes") or 0)
        if entry.get("counted", True):
            for resource, count in entry.get("records", {}).items():
                self.progress.records[self.kinds.get(resource, resource)] += count

    def _show(self, *, force: bool = False) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self._shown_at < 0.1:  # a display needs no more than ten frames a second
            return
        self._shown_at = now
        with self._lock:
            snapshot = Progress(
                self.progress.requests,
                self.progress.replayed,
                self.progress.retries,
                self.progress.waits,
                self.progress.files,
                self.progress.bytes,
                Counter(self.progress.records),
                self.progress.done,
            )
        self._on_progress(snapshot)


@contextmanager
def _writing(what: str) -> Iterator[None]:
    """A full disk or a read-only folder as one line naming the file (what was kept before stays)."""
    try:
        yield
    except OSError as exc:
        raise ExportError(f"cannot write {what} into the export folder: {exc.strerror or exc}") from exc
