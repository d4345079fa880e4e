"""FreshBooks list paging checked across files: a page nobody exported is an error.

Every `.list` answer says which page it is (`<clients page="2" per_page="25" pages="4" total="80">`).
Pages of one listing are recognised by their resource, page size, page count and total, so two
exports of the same list taken at different times are checked separately.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

from lxml import etree

from migrator.errors import SourceError, SourceParseError
from migrator.sources.reader import ReadingFile

PageKey = tuple[str, int, int, int]  # (resource, per_page, pages, total)


@dataclass(frozen=True, slots=True)
class PageMark:
    """A list element's paging attributes as the body stated them (`migrator export` checks them)."""

    resource: str
    page: int
    per_page: int
    pages: int
    total: int


class PageBook:
    """Which page of which list each file holds; `missing` reports the pages nobody exported."""

    def __init__(self) -> None:
        self._pages: dict[PageKey, dict[int, str]] = defaultdict(dict)  # -> {page: file}
        self.marks: list[PageMark] = []  # every list element noted, attributes as stated

    def note(self, resource: str, elem: etree._Element, file: ReadingFile) -> None:
        """Note the page that list element `elem` is; odd paging attributes are a notice."""
        try:
            page, pages = int(elem.get("page", "1")), int(elem.get("pages", "1"))
            per_page, total = int(elem.get("per_page", "0")), int(elem.get("total", "-1"))
        except ValueError:
            file.warn(elem.sourceline, f"{resource}: unreadable paging attributes")
            return
        self.marks.append(PageMark(resource, page, per_page, pages, total))
        if per_page > 0 and total >= 0:
            expected = max(1, -(-total // per_page))
            if pages != expected:
                file.warn(
                    elem.sourceline,
                    f"{resource}: pages={pages} disagrees with total={total} "
                    f"at per_page={per_page}; trusting {expected} pages",
                )
                pages = expected
        self._pages[(resource, per_page, pages, total)][page] = file.name

    def discard(self, file: str) -> None:
        """A page from a file that failed part-way counts as not exported."""
        for pages in self._pages.values():
            for page in [page for page, holder in pages.items() if holder == file]:
                del pages[page]

    def missing(self) -> list[SourceError]:
        """One error per listing with pages nobody exported."""
        errors: list[SourceError] = []
        for (resource, per_page, pages, total), seen in sorted(self._pages.items()):
            if not seen:
                continue  # only pages from files that failed: those files are reported already
            # Counted, not listed: a hostile `pages="999999999"` must not build a billion-page list.
            absent = pages - sum(1 for page in seen if 1 <= page <= pages)
            if absent > 0:
                some = next(iter(seen.values()))
                first = list(itertools.islice((page for page in range(1, pages + 1) if page not in seen), 10))
                listed = ", ".join(str(page) for page in first)
                if absent > len(first):
                    listed += f" and {absent - len(first):,} more"
                what, verb = ("page", "is") if absent == 1 else ("pages", "are")
                errors.append(
                    SourceParseError(
                        f"{resource} list is incomplete: {what} {listed} of {pages:,} {verb} missing "
                        f"(total {total}, per_page {per_page}); export the missing {what}, or pass --keep-going",
                        file=some,
                        line=1,
                        resource=resource,
                    )
                )
        return errors
