"""Writing export files: escaping, typed Harvest v1 fields, FreshBooks paged `<response>` lists.

Files are written as the real APIs answered (see the research notes and our fixtures): v1 lists
`<plural type="array">` with `type=`/`nil=` attributes and dash-case names; FreshBooks
`<response status="ok">` bodies, one page per file, with `page`, `per_page`, `pages`, `total`.
Output is UTF-8 with LF line ends, byte-identical for a seed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TextIO

XML_DECLARATION_V1 = '<?xml version="1.0" encoding="UTF-8"?>\n'
XML_DECLARATION_FB = '<?xml version="1.0" encoding="utf-8"?>\n'
FRESHBOOKS_NS = "http://www.freshbooks.com/api/"


def esc(text: str) -> str:
    """Text content escaped; a CR is written `&#13;` so it survives parsing (XML folds CR LF)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def ruby_decimal(value: Decimal) -> str:
    """How v1 printed decimals: `120.0`, `3212.96`, `8.875` (never an exponent)."""
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def plain_decimal(value: Decimal) -> str:
    """FreshBooks' untyped numbers: `1488.00` for money is written by the caller; rates as `9.975`."""
    text = format(value.normalize(), "f")
    return text


class Folder:
    """The export folder; counts the files it opens."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0

    def open(self, relative: str) -> TextIO:
        """Open `relative` for writing (folders created), counted."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self.files += 1
        return path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20)

    def write(self, relative: str, text: str) -> None:
        """Write a whole small file."""
        with self.open(relative) as handle:
            handle.write(text)


# --- Harvest v1 --------------------------------------------------------------------------------

V1Value = str | bool | int | Decimal | dt.date | dt.datetime | None


def v1(name: str, value: V1Value, kind: str | None = None) -> str:
    """One v1 element: `<name type="kind">value</name>`, `nil="true"` for None.

    `kind` is the wire `type=` (integer, decimal, boolean, date, datetime); strings have none.
    """
    typed = f' type="{kind}"' if kind else ""
    if value is None:
        return f'<{name}{typed} nil="true"></{name}>'
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Decimal):
        text = ruby_decimal(value)
    elif isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, int):
        text = str(value)
    else:
        text = esc(value)
    return f"<{name}{typed}>{text}</{name}>"


def v1_record(tag: str, fields: list[str], indent: str = "  ") -> str:
    """One v1 record element from its field elements."""
    inner = f"\n{indent}  ".join(fields)
    return f"{indent}<{tag}>\n{indent}  {inner}\n{indent}</{tag}>\n"


def v1_list(root: str, records: list[str]) -> str:
    """A whole v1 list body; `<nil-classes type="array"/>` when empty, as Rails answered."""
    if not records:
        return f'{XML_DECLARATION_V1}<nil-classes type="array"/>\n'
    return f'{XML_DECLARATION_V1}<{root} type="array">\n{"".join(records)}</{root}>\n'


# --- FreshBooks ----------------------------------------------------------------------------------

FbValue = str | bool | int | Decimal | dt.date | None


def fb(name: str, value: FbValue) -> str:
    """One FreshBooks element: untyped text, `<name/>` when unset, booleans 1/0."""
    if value is None or value == "":
        return f"<{name}/>"
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, Decimal):
        text = plain_decimal(value)
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, int):
        text = str(value)
    else:
        text = esc(value)
    return f"<{name}>{text}</{name}>"


def fb_money(value: Decimal) -> str:
    """Money as FreshBooks writes it: two decimals."""
    return f"{value:.2f}"


class PagedList:
    """One FreshBooks `.list` written page by page, one `<response>` per file.

    `total` must be known up front (the attributes open every page); `close` checks it was met.
    """

    def __init__(self, folder: Folder, path_stem: str, list_name: str, total: int, per_page: int) -> None:
        if not 1 <= per_page <= 100:
            raise ValueError("FreshBooks pages hold 1 to 100 records")
        self.folder, self.stem, self.list_name = folder, path_stem, list_name
        self.total, self.per_page = total, per_page
        self.pages = max(1, -(-total // per_page))
        self.width = max(3, len(str(self.pages)))
        self.written = 0
        self._handle: TextIO | None = None
        self._page = 0

    def add(self, record: str) -> None:
        """Append one record, closing the page when it is full."""
        if self.written >= self.total:
            raise ValueError(f"{self.list_name}: more records than the stated total {self.total}")
        if self._handle is None:
            self._open()
        assert self._handle is not None
        self._handle.write(record)
        self.written += 1
        if self.written % self.per_page == 0:
            self._close_page()

    def close(self) -> None:
        """Close the last page; the records written must match the stated total."""
        if self.written != self.total:
            raise ValueError(f"{self.list_name}: {self.written} records written, {self.total} stated")
        if self._page == 0:  # an empty list is still one (empty) page
            self._open()
        self._close_page()

    def _open(self) -> None:
        self._page += 1
        self._handle = self.folder.open(f"{self.stem}-p{self._page:0{self.width}d}.xml")
        self._handle.write(
            f'{XML_DECLARATION_FB}<response xmlns="{FRESHBOOKS_NS}" status="ok">\n'
            f'  <{self.list_name} page="{self._page}" per_page="{self.per_page}" '
            f'pages="{self.pages}" total="{self.total}">\n'
        )

    def _close_page(self) -> None:
        if self._handle is not None:
            self._handle.write(f"  </{self.list_name}>\n</response>\n")
            self._handle.close()
            self._handle = None


def write_paged(folder: Folder, path_stem: str, list_name: str, records: list[str], per_page: int) -> None:
    """A list whose records are all at hand."""
    pages = PagedList(folder, path_stem, list_name, len(records), per_page)
    for record in records:
        pages.add(record)
    pages.close()
