"""`migrator export`: a live legacy account into a folder of its API responses (docs/INTERFACE.md).

    from migrator.export import ExportSettings, run
    report = run(ExportSettings.for_sandbox("harvest-v1", Path("out")))
    print(report.records)          # per v2 kind, e.g. {"time_entries": 21, ...}

A response travels through these modules, one job each:

- `settings`: what to export and how (URL, credentials from the environment, rate budget), frozen.
- `fetch`: HTTP for every legacy API: one client-side budget shared by all threads, 503/429 +
  Retry-After honoured before any thread sends again, transient failures retried with backoff,
  bodies streamed to disk with their sha256; credentials only ever in headers.
- `check`: status, Content-Type, then the body through the same hardened reader as saved files;
  anything else is one typed error naming the request.
- `journal` and `durable`: each response is written atomically before it is journaled, so a run
  killed at any instant resumes by replaying the journal and repeating only what was in flight.
- `crawl`: the engine a system's crawl runs on (requests replayed or fetched, tasks on a pool).
- `base`: what a source system's exporter provides; `harvest_v1`: Harvest v1's crawl; `windows`:
  date windows sized to the data.
- `manifest`: `OUT/export.json`; `runner`: `run()`, the library entry point.

A second system plugs in with one `Exporter` subclass (its credentials, its identity check, its
crawl, how its error bodies read) named in its `migrator.systems` entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrator.export.report import ExportReport
    from migrator.export.settings import ExportSettings

MANIFEST_NAME = "export.json"  # the contract's manifest, at the top of OUT
JOURNAL_NAME = ".export-journal.jsonl"  # hidden: source readers skip it without a notice
PARTIAL_DIR = ".partial"  # responses being received; never read as a source (hidden)
PAGING_DIR = ".paging"  # list pages that only find ids; the records come from each record's own body

__all__ = ["JOURNAL_NAME", "MANIFEST_NAME", "ExportReport", "ExportSettings", "run"]


def run(settings: ExportSettings, *, progress: Any = None) -> ExportReport:
    """Export the account `settings` names into `settings.out` (see `migrator.export.runner.run`)."""
    from migrator.export.runner import run as run_export

    return run_export(settings, progress=progress)


def __getattr__(name: str) -> Any:
    # `from migrator.export import ExportSettings` without importing httpx for `migrator.sources`.
    if name == "ExportSettings":
        from migrator.export.settings import ExportSettings

        return ExportSettings
    if name == "ExportReport":
        from migrator.export.report import ExportReport

        return ExportReport
    raise AttributeError(name)
