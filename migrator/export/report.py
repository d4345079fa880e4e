"""What `migrator export` did: the report object `run()` returns and `--format json` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any


@dataclass
class ExportReport:
    """One export run: what OUT now holds (over every run) and what this run sent."""

    system: str
    out: Path
    source: str  # the account's address, or which sandbox (never a credential)
    account: str
    user: str
    complete: bool
    started: str
    finished: str | None
    today: str
    resumed: bool
    requests: int  # sent over the network by this run, retries included
    replayed: int  # answered from the journal (earlier runs): no request
    retries: int
    throttled: int  # answers asking to wait (503/429 + Retry-After)
    waits: int  # waits for Retry-After (every thread held)
    waited_seconds: float
    failures: int  # transient failures retried
    files: int
    bytes: int
    records: dict[str, int]  # per v2 kind
    receipts_saved: int
    receipts_bytes: int
    receipts_missing: list[dict[str, Any]] = field(default_factory=list)
    receipts_none: int = 0  # expenses the API says have no receipt (asked because nothing else says)
    notices: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files of an earlier export `--refresh` removed
    seconds: float = 0.0

    @property
    def record_total(self) -> int:
        return sum(self.records.values())

    def document(self) -> dict[str, Any]:
        """`export --format json`: figures for scripts (seconds as exact decimals, never floats)."""
        return {
            "system": self.system,
            "out": str(self.out),
            "source": self.source,
            "account": self.account,
            "exported_as": self.user,
            "complete": self.complete,
            "resumed": self.resumed,
            "started": self.started,
            "finished": self.finished,
            "today": self.today,
            "requests": self.requests,
            "replayed": self.replayed,
            "retries": self.retries,
            "throttled": self.throttled,
            "waits": self.waits,
            "waited_seconds": Decimal(f"{self.waited_seconds:.3f}"),
            "failures": self.failures,
            "files": self.files,
            "bytes": self.bytes,
            "records": self.records,
            "receipts": {
                "saved": self.receipts_saved,
                "bytes": self.receipts_bytes,
                "missing": self.receipts_missing,
                "without": self.receipts_none,
            },
            "notices": self.notices,
            "removed": self.removed,
            "seconds": Decimal(f"{self.seconds:.3f}"),
        }
