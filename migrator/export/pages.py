"""Paged lists read to their end and re-checked until they hold what they say (FreshBooks Classic,
`../shared/research/freshbooks-classic.md` §4).

FreshBooks pages every `.list` (`<page>`, `<per_page>` at most 100) and states `page`, `per_page`,
`pages` and `total` on the list element. None of that is trusted blindly: `pages` was seen wrong
in real bodies (`pages="10" total="2"`), and records move between pages when the account changes
while it is read. So a `Listing` is read in *passes*:

- **A pass** asks for page 1 with `per_page` 100 (the same on every page, as FreshBooks asks),
  then the pages the stated `total` implies, a chunk at a time on the crawl's pool (a 1,000-page
  list is not read one request after another), and goes on while the last page is full or the
  pass holds fewer ids than the latest `total`. It ends at an empty page, at a page that only
  repeats ids the pass has (a server that answers its last page again), or at a short page once
  the total is reached. `pages` is never needed.
- **A pass is complete** when every page stated the same `total`, no id came twice, and the ids
  collected equal that total. The first complete pass is the list. Otherwise the list is read
  again (at most `MAX_PASSES` times): a pass that holds exactly the ids of the pass before is
  stable (the total itself is wrong, and the export says so); after `MAX_PASSES` the last pass
  is taken, and the export says what the passes disagreed on.
- **Only the accepted pass is a source.** The pages of every other pass are set aside under
  `.paging/` (responses as received, kept for the record, never read by `plan`), so a list read
  twice is not migrated twice and a record deleted between two passes is not migrated from a
  stale page; the ids an earlier pass had and the accepted one lacks are named in a notice.

Every decision is a function of the journaled page facts, so a resumed export replays the same
passes without a request and sets aside the same pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from migrator.errors import ExportError
from migrator.export.crawl import Crawl, Got
from migrator.export.fetch import Request
from migrator.sources.record import RawRecord, SourceReader

MAX_PER_PAGE = 100  # FreshBooks' maximum: "more than 100 behaves as 100"
MAX_PASSES = 4  # the first pass and up to three re-checks
CHUNK = 32  # pages asked for at once (on the pool) beyond the page in hand
MAX_PAGES = 200_000  # 20 million records: beyond that a server inventing pages is refused
SHOWN_IDS = 10  # ids named in a notice before "and N more"


def request_body(method: str, params: Sequence[tuple[str, str]] = ()) -> bytes:
    """A FreshBooks request: `<request method="client.list"><page>1</page>…</request>`."""
    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in params)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<request method="{method}">{inner}</request>\n'.encode()


@dataclass(frozen=True)
class Listing:
    """One list as FreshBooks answers it: a `.list` method, in a folder or not."""

    method: str  # `client.list`
    resource: str  # the reader's name for its records: `clients`
    where: str  # its pages' folder in OUT: `clients`, `clients/deleted`
    folder: str | None = None  # `deleted`: FreshBooks' deleted folder (None: active and archived)

    @property
    def name(self) -> str:
        return f"{self.method} (deleted folder)" if self.folder else self.method

    def request(self, number: int, page: int) -> Request:
        params = [("page", str(page)), ("per_page", str(MAX_PER_PAGE))]
        if self.folder:
            params.append(("folder", self.folder))
        label = " ".join(
            part for part in (self.method, self.folder, f"pass {number}" if number > 1 else "", f"page {page}") if part
        )
        return Request("POST", "", body=request_body(self.method, params), label=label)

    def file(self, number: int, page: int) -> str:
        passed = f"/pass-{number}" if number > 1 else ""
        return f"{self.where}{passed}/page-{page:04d}.xml"


class PageFacts:
    """One list page: its ids in order, the ids `follow` picks (summaries to fetch whole), and
    the paging attributes as stated (read from the reader's page book once the body is read)."""

    def __init__(self, resource: str, follow: Callable[[RawRecord], bool] | None) -> None:
        self.resource = resource
        self.follow = follow
        self.ids: list[str] = []
        self.picked: list[str] = []
        self.stated: dict[str, int] = {}

    def add(self, record: RawRecord) -> None:
        if record.resource == self.resource:
            self.ids.append(record.id)
            if self.follow is not None and self.follow(record):
                self.picked.append(record.id)

    def read_by(self, reader: SourceReader) -> None:
        book = getattr(reader, "pages", None)
        for mark in getattr(book, "marks", ()):
            if mark.resource == self.resource:
                stated = {"page": mark.page, "per_page": mark.per_page, "pages": mark.pages, "total": mark.total}
                # An attribute that is absent reads as 0 or -1 in the page book: not stated.
                self.stated = {name: value for name, value in stated.items() if value >= (0 if name == "total" else 1)}
                return

    def result(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"ids": self.ids, **self.stated}
        if self.picked:
            facts["picked"] = self.picked
        return facts


@dataclass
class Pass:
    """One pass over a list: its pages in order, and what they add up to."""

    number: int
    pages: list[Got] = field(default_factory=list)

    def ids(self) -> list[str]:
        return [record_id for got in self.pages for record_id in got.facts.get("ids", [])]

    def unique(self) -> set[str]:
        return set(self.ids())

    def totals(self) -> set[int]:
        return {int(got.facts["total"]) for got in self.pages if "total" in got.facts}

    def total(self) -> int | None:
        """The latest page's stated total (the list as it was when the pass ended)."""
        for got in reversed(self.pages):
            if "total" in got.facts:
                return int(got.facts["total"])
        return None

    def repeats(self) -> int:
        """Ids that came twice, a page that only repeats earlier ids at the end aside (a server
        answering its last page again beyond the end)."""
        pages = self.pages
        if len(pages) > 1 and _repeats_only(pages[-1], pages[:-1]):
            pages = pages[:-1]
        ids = [record_id for got in pages for record_id in got.facts.get("ids", [])]
        return len(ids) - len(set(ids))

    def complete(self) -> bool:
        totals = self.totals()
        return len(totals) == 1 and self.repeats() == 0 and len(self.unique()) == next(iter(totals))

    def picked(self) -> list[str]:
        seen: dict[str, None] = {}
        for got in self.pages:
            for record_id in got.facts.get("picked", []):
                seen.setdefault(record_id)
        return list(seen)


def _repeats_only(got: Got, before: Sequence[Got]) -> bool:
    ids = got.facts.get("ids", [])
    if not ids:
        return False
    earlier = {record_id for page in before for record_id in page.facts.get("ids", [])}
    return all(record_id in earlier for record_id in ids)


def _per_page(got: Got) -> int:
    stated = int(got.facts.get("per_page") or 0)
    return stated if 0 < stated <= MAX_PER_PAGE else MAX_PER_PAGE


@dataclass(frozen=True)
class Accepted:
    """The pass that is the list: its ids (in order, once each) and those `follow` picked."""

    listing: Listing
    ids: list[str]
    picked: list[str]


class ListingRun:
    """Reads one `Listing` on a crawl (see the module docstring) and hands the accepted pass to `then`.

    Tasks never wait: each step fetches its pages with `Crawl.fan_out` and continues in the task
    that finishes last.
    """

    def __init__(
        self,
        crawl: Crawl,
        listing: Listing,
        then: Callable[[Accepted], None] | None = None,
        *,
        follow: Callable[[RawRecord], bool] | None = None,
    ) -> None:
        self.crawl = crawl
        self.listing = listing
        self.then = then
        self.follow = follow
        self.passes: list[Pass] = []

    def start(self) -> None:
        self._pass(1)

    # --- one pass -----------------------------------------------------------------------------------

    def _page(self, number: int, page: int) -> Got:
        listing, follow = self.listing, self.follow
        return self.crawl.get(
            listing.request(number, page),
            listing.file(number, page),
            collect=lambda: PageFacts(listing.resource, follow),
        )

    def _pass(self, number: int) -> None:
        current = Pass(number)
        self.passes.append(current)
        self._more(current, [self._page(number, 1)], next_page=2)

    def _more(self, current: Pass, gots: list[Got], next_page: int) -> None:
        """Add the pages just fetched; ask for the next chunk, or close the pass."""
        current.pages.extend(gots)
        count = self._next_chunk(current, next_page)
        if count == 0:
            self._closed(current)
            return
        if next_page + count - 1 > MAX_PAGES:
            raise ExportError(
                f"{self.listing.name} goes on past {MAX_PAGES:,} pages: refusing a list that never ends",
                request=self.listing.request(current.number, next_page).shown,
            )
        pages = range(next_page, next_page + count)
        self.crawl.fan_out(
            [lambda page=page: self._page(current.number, page) for page in pages],  # type: ignore[misc]
            lambda more: self._more(current, more, next_page + count),
        )

    def _next_chunk(self, current: Pass, next_page: int) -> int:
        """How many pages to ask for next (0: the pass has reached the end of the list)."""
        last = current.pages[-1]
        ids = last.facts.get("ids", [])
        if not ids or (len(current.pages) > 1 and _repeats_only(last, current.pages[:-1])):
            return 0  # an empty page, or the last page answered again: the end
        per_page = _per_page(last)
        total = current.total()
        held = len(current.unique())
        if len(ids) < per_page and (total is None or held >= total):
            return 0  # a short page, and the list holds what it says
        # Full, or short of the total: more may follow. The stated total says how many pages.
        implied = -(-total // per_page) if total is not None else 0
        return max(1, min(implied - (next_page - 1), CHUNK))

    # --- passes -------------------------------------------------------------------------------------

    def _closed(self, current: Pass) -> None:
        before = self.passes[-2] if len(self.passes) > 1 else None
        if current.complete():
            self._accept(current, "complete")
        elif before is not None and current.unique() == before.unique() and len(current.totals()) == 1:
            self._accept(current, "stable")
        elif current.number >= MAX_PASSES:
            self._accept(current, "unsettled")
        else:
            self._pass(current.number + 1)

    def _accept(self, accepted: Pass, how: str) -> None:
        for other in self.passes:
            if other is not accepted:
                for got in other.pages:
                    self.crawl.set_aside(got)
        held = accepted.unique()
        name = self.listing.name
        total = accepted.total()
        if how == "complete" and accepted.number > 1:
            self.crawl.notice(
                f"{name} changed while it was read: read {accepted.number} times, until a pass held exactly "
                f"its stated total ({total:,})"
            )
        elif how == "stable":
            self.crawl.notice(
                f"{name} states a total of {total:,} but holds {_records(len(held))}, the same on two passes in "
                "a row: its total is wrong; what it holds is exported"
            )
        elif how == "unsettled":
            self.crawl.notice(
                f"{name} kept changing while it was read: none of {MAX_PASSES} passes held exactly its stated "
                f"total; the last ({_records(len(held))}, total {total if total is not None else '?'}) is exported; "
                "export again with --refresh when the account is quiet"
            )
        gone = sorted({i for other in self.passes for i in other.unique()} - held, key=_numeric)
        if gone:
            self.crawl.notice(
                f"{name}: {some_ids(gone)} listed by an earlier pass, then gone (deleted or moved to another folder "
                "meanwhile): not exported from this list"
            )
        if self.then is not None:
            ordered = list(dict.fromkeys(accepted.ids()))
            self.then(Accepted(self.listing, ordered, accepted.picked()))


def _records(count: int) -> str:
    return f"{count:,} record" + ("" if count == 1 else "s")


def _numeric(record_id: str) -> tuple[int, str]:
    return (int(record_id), record_id) if record_id.isdigit() else (0, record_id)


def some_ids(ids: Sequence[str]) -> str:
    """`record 104 was`, `records 104, 105 were` (the first `SHOWN_IDS`, then how many more)."""
    shown = ", ".join(ids[:SHOWN_IDS])
    more = f" and {len(ids) - SHOWN_IDS:,} more" if len(ids) > SHOWN_IDS else ""
    noun = "record" if len(ids) == 1 else "records"
    verb = "was" if len(ids) == 1 else "were"
    return f"{noun} {shown}{more} {verb}"
