"""What a source system's exporter provides to the shared machinery (`runner`, `crawl`, `fetch`).

A system plugs into `migrator export` with one `Exporter` subclass, named in its
`migrator.systems` entry:

- `credentials(env)`: its credentials from the environment (the only place it reads them), and
  `sandbox_credentials(sandbox)` for its built-in sandbox;
- `identify(peek)`: who the credentials belong to, fetched before anything is written; it refuses
  anyone who cannot see the whole account (an export with them would silently miss records); the
  answers that said so are kept as the export's first files;
- `crawl(crawl)`: the requests, as tasks on `Crawl` (each replayed from the journal or fetched);
- `explain(fetched)`: its error answers in words (an HTML 404, a JSON 401, a `status="fail"` body);
- `headers`, `kinds`, `default_rate`, `example_url`: its defaults and how its resources count;
  `endpoint(url)`: the address requests go to, from the one a person gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from migrator.errors import ExportError
from migrator.export.crawl import Collector, Crawl, Peeked
from migrator.export.fetch import Fetched, Request
from migrator.export.settings import Credentials

Peek = Callable[[Request, Callable[[], Collector]], Peeked]
Kept = tuple[Peeked, str]  # an answer read before the folder existed, and the file it is kept as


@dataclass(frozen=True)
class Identity:
    """Who an export runs as, in which account: checked before anything is written, and again
    before a resumed run sends anything (same account, still allowed to see everything)."""

    account: str  # how output names the account, e.g. "Northwind Studio (https://northwind.harvestapp.com)"
    account_key: str  # what identifies the account across runs
    user: str  # e.g. "Ada Lindqvist (user 701)"

    def as_dict(self) -> dict[str, str]:
        return {"account": self.account, "account_key": self.account_key, "user": self.user}


class Exporter:
    """One source system's export (see the module docstring); subclasses fill in every hook."""

    system: ClassVar[str]
    example_url: ClassVar[str]
    default_rate: ClassVar[str] = "100/15"
    headers: ClassVar[Mapping[str, str]] = {"Accept": "application/xml"}
    kinds: ClassVar[Mapping[str, str]] = {}  # source resource -> the v2 kind its records count as

    def credentials(self, env: Mapping[str, str]) -> Credentials:
        raise NotImplementedError

    def sandbox_credentials(self, sandbox: Any) -> Credentials:
        raise NotImplementedError

    def identify(self, peek: Peek, credentials: Credentials) -> tuple[Identity, list[Kept]]:
        """Who the credentials belong to (refusing anyone who cannot see everything), and the
        answers that say so with the files they are kept as."""
        raise NotImplementedError

    def endpoint(self, url: str) -> str:
        """The address requests go to, from the account's address as given (checked, no secret)."""
        return url


def whole_number(record_id: str) -> str:
    """An id as it goes into a request (a path or a body): digits only, as the readers key records."""
    if not record_id.isdigit() or not record_id.isascii() or len(record_id) > 19:
        raise ExportError(f"refusing a record id that is not a whole number: {record_id[:30]!r}")
    return record_id

    def crawl(self, crawl: Crawl) -> None:
        raise NotImplementedError

    def explain(self, fetched: Fetched) -> ExportError:
        raise NotImplementedError
