"""`OUT/export.json`: what an export holds, for the people who keep it (docs/INTERFACE.md).

The system, the account's address (never a credential), when it started and finished, every
request with its file, byte count, sha256 and status, the records found per kind, the receipts
(saved, those the API could not give, with why, and how many expenses it says have none), and
anything worth knowing (a list that kept changing, an invoice deleted mid-export). It is rendered
from the journal at the end of every run, complete or not, and written atomically; source readers
skip it without a notice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.export import MANIFEST_NAME, PARTIAL_DIR
from migrator.export.durable import write_atomic
from migrator.export.journal import Journal
from migrator.export.receipts import why_missing

FORMAT = 1


@dataclass
class Contents:
    """What the journal says the export holds, summed over every run."""

    records: Counter[str] = field(default_factory=Counter)  # per v2 kind, from the counted answers
    files: int = 0
    bytes: int = 0
    receipts_saved: list[dict[str, Any]] = field(default_factory=list)
    receipts_missing: list[dict[str, Any]] = field(default_factory=list)
    receipts_none: int = 0  # expenses the API says have no receipt (FreshBooks: `receipt.get` fails 50010)

    @classmethod
    def of(cls, journal: Journal, kinds: Mapping[str, str]) -> Contents:
        contents = cls()
        for entry in journal.entries.values():
            if entry.get("file"):
                contents.files += 1
                contents.bytes += int(entry.get("bytes") or 0)
            if entry.get("counted", True):
                for resource, count in entry.get("records", {}).items():
                    contents.records[kinds.get(resource, resource)] += int(count)
            about = entry.get("about", {})
            expense = about.get("expense")
            if expense is None:
                continue
            if about.get("none"):
                contents.receipts_none += 1
                continue
            why = about.get("why") or why_missing(
                entry["status"], entry.get("media_type", ""), int(entry.get("bytes") or 0)
            )
            if why is None and entry.get("file"):
                contents.receipts_saved.append(
                    {
                        "expense": expense,
                        "file": entry["file"],
                        "bytes": entry["bytes"],
                        "sha256": entry["sha256"],
                        "content_type": entry.get("media_type", ""),
                    }  # fmt: skip
                )
            else:
                contents.receipts_missing.append({"expense": expense, "status": entry["status"], "why": why})
        contents.receipts_saved.sort(key=lambda item: int(item["expense"]))
        contents.receipts_missing.sort(key=lambda item: int(item["expense"]))
        return contents


def document(
    journal: Journal,
    contents: Contents,
    *,
    complete: bool,
    finished: str | None,
    notices: list[str],
    removed: list[str],
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict."""
    start = journal.start
    requests = [
        {
            "request": entry["key"],
            "file": entry.get("file"),
            "status": entry["status"],
            "content_type": entry.get("media_type", ""),
            "bytes": entry.get("bytes", 0),
            "sha256": entry.get("sha256"),
            "records": entry.get("records", {}),
        }
        for entry in sorted(journal.entries.values(), key=lambda item: (item.get("file") or "", item["key"]))
    ]
    return {
        "format": FORMAT,
        "system": start["system"],
        "url": start["url"],
        "account": start.get("identity", {}).get("account"),
        "exported_as": start.get("identity", {}).get("user"),
        "started": start["started"],
        "finished": finished,
        "complete": complete,
        "today": start["today"],
        "range": start.get("range"),
        "records": dict(sorted(contents.records.items())),
        "files": contents.files,
        "bytes": contents.bytes,
        "receipts": {
            "saved": contents.receipts_saved,
            "missing": contents.receipts_missing,
            "without": contents.receipts_none,
        },
        "notices": notices,
        "removed_by_refresh": removed,
        "runs": journal.runs,
        "requests": requests,
    }


def write(out: Path, manifest: dict[str, Any]) -> None:
    """Write `OUT/export.json` atomically."""
    data = (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    write_atomic(out / MANIFEST_NAME, data, scratch=out / PARTIAL_DIR)
