"""`run()`: one export run, fresh or resumed, from the identity check to the manifest.

1. **Where from**: the live account of the settings, or the system's legacy sandbox started
   in-process on its shipped fixture account (`--sandbox`, no credentials).
2. **The folder**: a new or empty folder starts a fresh export; a folder with a journal resumes
   it (same system, same account, or refused); anything else is refused untouched.
3. **Who**: a fresh export (or `--refresh`) asks who the credentials belong to first and refuses
   anyone who cannot see everything, before anything is written. A resume asks again before its
   first request, so a resume with other credentials cannot mix accounts or miss records; a
   complete export sends nothing at all.
4. **The crawl** (`crawl.Crawl`, the system's `Exporter.crawl`), then, once complete, the files
   an earlier export had that this one no longer produces are removed (`--refresh`: OUT holds
   exactly the current account), and `done` is journaled.
5. **The manifest** is written whatever happened; an error is raised after it, so what was
   fetched stays described and the next run resumes.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.errors import ConfigError
from migrator.export import JOURNAL_NAME, MANIFEST_NAME, PARTIAL_DIR
from migrator.export import manifest as manifests
from migrator.export.crawl import Collector, Crawl, Peeked, Progress, peek
from migrator.export.durable import fsync_dir
from migrator.export.fetch import Fetcher, ReadRetryPolicy, Request
from migrator.export.journal import ExportLock, Journal
from migrator.export.report import ExportReport
from migrator.export.settings import Credentials, ExportSettings
from migrator.systems import SourceSystem
from migrator.systems import system as source_system


@dataclass(frozen=True)
class _Account:
    url: str  # where requests go
    credentials: Credentials
    source: str  # what identifies the account across runs (the address, or the sandbox's folder)
    shown: str  # how output names it


def run(settings: ExportSettings, *, progress: Callable[[Progress], None] | None = None) -> ExportReport:
    """Export the account `settings` names into `settings.out` (see the module docstring).

    Returns the report of a complete export; raises `MigratorError` (one line, naming the request)
    when it cannot finish: what was fetched stays, and running it again resumes.
    """
    declared = source_system(settings.system)
    exporter = declared.load_exporter()
    began = time.monotonic()
    out = Path(settings.out)
    lock = ExportLock(out)
    with _account(settings, declared, exporter) as account, _released(lock):
        journal = _open_folder(out, settings, account, lock)
        fetcher = Fetcher(
            account.url,
            account.credentials,
            rate=settings.rate,
            headers=exporter.headers,
            user_agent=settings.user_agent,
            concurrency=settings.concurrency,
            timeout=settings.timeout,
            policy=ReadRetryPolicy(max_retries=settings.max_retries, backoff_max=settings.backoff_max),
        )

        def peek_one(request: Request, collector: Callable[[], Collector]) -> Peeked:
            return peek(fetcher, declared.load_reader, request, collector, exporter.explain)

        try:
            resumed = journal is not None and not settings.refresh
            first: list[tuple[Peeked, str]] = []
            if not resumed:
                identity, first = exporter.identify(peek_one, account.credentials)
                previous: set[str] = set()
                if journal is not None:  # --refresh: remember what the earlier export held
                    previous = journal.files() | set(journal.start.get("previous_files", []))
                    journal.close()
                start: dict[str, Any] = {
                    "system": declared.name,
                    "source": account.source,
                    "url": account.shown,
                    "today": (settings.today or dt.date.today()).isoformat(),
                    "started": _now(),
                    "identity": identity.as_dict(),
                    "previous_files": sorted(previous),
                }
                date_range = getattr(exporter, "date_range", None)
                if date_range is not None:
                    start["range"] = {"from": date_range[0].isoformat(), "to": date_range[1].isoformat()}
                journal = Journal.create(out, start)
                if not lock.held:
                    lock.acquire()
            assert journal is not None

            def check_again() -> None:
                identity, _answers = exporter.identify(peek_one, account.credentials)
                known = journal.start.get("identity", {})
                if identity.account_key != known.get("account_key"):
                    raise ConfigError(
                        f"{out} holds an export of {known.get('account')}; these credentials reach "
                        f"{identity.account}: export into a new folder"
                    )

            crawl = Crawl(
                out=out,
                journal=journal,
                fetcher=fetcher,
                reader=declared.load_reader,
                kinds=dict(exporter.kinds),
                explain=exporter.explain,
                concurrency=settings.concurrency,
                receipts=settings.receipts,
                before_network=check_again if resumed else None,
                progress=progress,
            )
            return _crawl(crawl, exporter, journal, first, settings, account, resumed, began)
        finally:
            fetcher.close()
            if journal is not None:
                journal.close()
            if lock.held:
                shutil.rmtree(out / PARTIAL_DIR, ignore_errors=True)


def _crawl(
    crawl: Crawl,
    exporter: Any,
    journal: Journal,
    first: list[tuple[Peeked, str]],
    settings: ExportSettings,
    account: _Account,
    resumed: bool,
    began: float,
) -> ExportReport:
    """Run the crawl, finish or record the failure, write the manifest; raise the failure last."""
    out = crawl.out
    error: BaseException | None = None
    removed: list[str] = []
    try:
        if first:
            (out / PARTIAL_DIR).mkdir(parents=True, exist_ok=True)
        for peeked, file in first:
            crawl.keep(peeked, file, counted=False)
        crawl.run(exporter.crawl)
    except BaseException as exc:  # noqa: BLE001 - recorded in the journal and the manifest, then raised as it is
        error = exc
    finished = None
    if error is None:
        removed = _remove_stale(out, journal)
        finished = _now()
        journal.append({"type": "done", "finished": finished, "receipts": settings.receipts})
    stats = crawl.fetcher.stats
    seconds = time.monotonic() - began
    journal.append(
        {
            "type": "run",
            "started": _iso(time.time() - seconds),
            "finished": _now(),
            "complete": error is None,
            "requests": stats.requests,
            "retries": stats.retries,
            "waits": stats.waits,
            "waited_seconds": round(stats.waited_seconds, 3),
            "error": str(error) if error else None,
        }  # fmt: skip
    )
    contents = manifests.Contents.of(journal, exporter.kinds)
    manifests.write(
        out,
        manifests.document(
            journal, contents, complete=error is None, finished=finished, notices=crawl.notices, removed=removed
        ),  # fmt: skip
    )
    if error is not None:
        raise error
    identity = journal.start.get("identity", {})
    return ExportReport(
        system=journal.start["system"],
        out=out,
        source=account.shown,
        account=identity.get("account", ""),
        user=identity.get("user", ""),
        complete=True,
        started=journal.start["started"],
        finished=finished,
        today=journal.start["today"],
        resumed=resumed,
        requests=stats.requests,
        replayed=crawl.progress.replayed,
        retries=stats.retries,
        throttled=stats.throttled,
        waits=stats.waits,
        waited_seconds=stats.waited_seconds,
        failures=stats.failures,
        files=contents.files,
        bytes=contents.bytes,
        records=dict(sorted(contents.records.items())),
        receipts_saved=len(contents.receipts_saved),
        receipts_bytes=sum(int(item["bytes"]) for item in contents.receipts_saved),
        receipts_missing=contents.receipts_missing,
        receipts_none=contents.receipts_none,
        notices=list(crawl.notices),
        removed=removed,
        seconds=time.monotonic() - began,
    )


@contextmanager
def _released(lock: ExportLock) -> Iterator[None]:
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _account(settings: ExportSettings, declared: SourceSystem, exporter: Any) -> Iterator[_Account]:
    """The live account of the settings, or the system's sandbox, started in-process, for the run."""
    if not settings.sandbox:
        if settings.url is None or settings.credentials is None:
            raise ConfigError(f"an export needs the {declared.label} account's address and credentials, or --sandbox")
        yield _Account(settings.url, settings.credentials, settings.url, settings.url)
        return
    folder = (settings.sandbox_folder or declared.fixtures_path()).resolve()
    with declared.sandbox_class()(folder) as sandbox:
        shown = f"the {declared.label} sandbox serving {folder}"
        yield _Account(sandbox.url, exporter.sandbox_credentials(sandbox), f"sandbox:{folder}", shown)


def _open_folder(out: Path, settings: ExportSettings, account: _Account, lock: ExportLock) -> Journal | None:
    """The journal of the export in `out`, None for a new or empty folder; anything else is refused.

    An existing export is locked for this run first, and what a killed run was receiving is dropped."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file: export into a folder (new or empty, or an earlier export to resume)")
    if out.is_dir() and (out / JOURNAL_NAME).exists():
        lock.acquire()
        shutil.rmtree(out / PARTIAL_DIR, ignore_errors=True)
    journal = Journal.load(out) if out.is_dir() else None
    if journal is None:
        if out.is_dir() and any(out.iterdir()):
            raise ConfigError(
                f"{out} is not empty and holds no export to resume: export into a new or empty folder "
                "(nothing in it was touched)"
            )
        return None
    start = journal.start
    if start.get("system") != settings.system or start.get("source") != account.source:
        journal.close()
        raise ConfigError(
            f"{out} holds an export of {start.get('system')} from {start.get('url')}, not of {settings.system} "
            f"from {account.shown}: export into a new folder"
        )
    return journal


def _remove_stale(out: Path, journal: Journal) -> list[str]:
    """Remove the files of an earlier export that this one did not produce (after `--refresh`)."""
    previous = set(journal.start.get("previous_files", []))
    stale = sorted(previous - journal.files() - {MANIFEST_NAME, JOURNAL_NAME})
    removed: list[str] = []
    root = out.resolve()
    for name in stale:
        path = (out / name).resolve()
        if root not in path.parents:  # a journal names files inside OUT only; never follow anything else
            continue
        if path.is_file():
            path.unlink()
            removed.append(name)
            folder = path.parent
            while folder != root and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
            fsync_dir(folder)
    return removed


def _now() -> str:
    return _iso(time.time())


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
