"""Stream FreshBooks Classic responses into raw records, whatever the files are called.

A body is `<response status="ok">` holding a list (`<clients page= pages= total=>`) or one record
(`client.get` → `<client>`); names are matched without their namespace (http, https, none or
misspelt in the wild). `status="fail"` bodies are errors carrying FreshBooks' code and text; saved
*requests* (`<request method=…>`) are recognised and skipped. List paging is checked across all
files: a missing page is an error.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from migrator.errors import SourceError, SourceFailResponse, SourceParseError
from migrator.sources.coerce import to_id
from migrator.sources.freshbooks.records import MODELS
from migrator.sources.record import Emit, RawRecord, SourceRecord, SourceWarning
from migrator.sources.xmlsafe import ListScan, XmlStream, display_name, local_name, release, sniff_head

SYSTEM = "freshbooks"

# list element -> (record element, canonical resource)
LISTS: dict[str, tuple[str, str]] = {
    "clients": ("client", "clients"),
    "staff_members": ("member", "staff"),
    "projects": ("project", "projects"),
    "tasks": ("task", "tasks"),
    "time_entries": ("time_entry", "time_entries"),
    "categories": ("category", "categories"),
    "expenses": ("expense", "expenses"),
    "items": ("item", "items"),
    "taxes": ("tax", "taxes"),
    "invoices": ("invoice", "invoices"),
    "estimates": ("estimate", "estimates"),
    "payments": ("payment", "payments"),
    "recurrings": ("recurring", "recurrings"),
}
SINGLES: dict[str, str] = {record: resource for record, resource in LISTS.values()} | {"staff": "staff"}
ID_FIELDS: dict[str, str] = {
    "clients": "client_id",
    "staff": "staff_id",
    "projects": "project_id",
    "tasks": "task_id",
    "time_entries": "time_entry_id",
    "categories": "category_id",
    "expenses": "expense_id",
    "items": "item_id",
    "taxes": "tax_id",
    "invoices": "invoice_id",
    "estimates": "estimate_id",
    "payments": "payment_id",
    "recurrings": "recurring_id",
}
PARENTS: dict[str, str] = {"payments": "invoice_id", "time_entries": "project_id"}
NOT_MIGRATED = {"currencies", "languages", "gateways", "callbacks", "contractors", "system", "api"}
# Containers whose children repeat (a single child must still be a list: ruby-freshbooks #8).
REPEATED = {"contacts": "contact", "lines": "line", "tasks": "task", "staff": "staff", "credits": "credit"}


_NAMES: dict[str, str] = {}  # raw tag -> local name; a few dozen distinct tags per export


def _name(tag: object) -> str:
    """`{ns}hours` -> `hours`, cached (the hot path meets the same tags on every record); "" if not an element."""
    if not isinstance(tag, str):
        return ""
    name = _NAMES.get(tag)
    if name is None:
        name = local_name(tag)
        if len(_NAMES) < 10_000:  # a hostile file with endless distinct tags must not grow it forever
            _NAMES[tag] = name
    return name


def flatten(elem: etree._Element) -> Any:
    """Element -> text (None when empty) or nested dict/list; deprecated elements are dropped."""
    repeated = REPEATED.get(_name(elem.tag))
    if repeated is not None:
        return _flatten_container(elem, repeated)
    out = _fields(elem)
    if not out and not _kept(elem):
        text = elem.text
        return text if text is not None and text.strip() else None
    return out


def _fields(children: Iterable[etree._Element]) -> dict[str, Any]:
    """Named children as a dict (the hot path: a record's leaves, without recursion)."""
    out: dict[str, Any] = {}
    names = _NAMES
    for child in children:
        tag = child.tag
        key = names.get(tag) or _name(tag)  # type: ignore[arg-type]
        if not key or child.get("deprecated") is not None:
            continue
        if not len(child) and key != "credit":
            text = child.text
            out[key] = text if text is not None and text.strip() else None
        elif key == "credit" and child.get("currency"):
            credits = out.get("credits")
            if not isinstance(credits, list):  # beside a `<credits>` that is text or mixed: keep both
                credits = out["credits"] = [] if credits is None else [credits]
            credits.append({"currency": child.get("currency"), "amount": flatten(child)})
        else:
            out[key] = flatten(child)
    return out


def _kept(elem: etree._Element) -> list[etree._Element]:
    """Child elements that count (not deprecated)."""
    return [child for child in elem if _name(child.tag) and child.get("deprecated") is None]


def _flatten_container(elem: etree._Element, repeated: str) -> Any:
    """`<contacts>`, `<lines>`, `<tasks>`…: a list even with one child (ruby-freshbooks #8)."""
    children = _kept(elem)
    if not children:
        text = elem.text
        return text if text is not None and text.strip() else None
    names = {_name(child.tag) for child in children}
    if names == {repeated}:
        return [flatten(child) for child in children]
    if repeated == "contact" and repeated not in names:
        return [{_name(child.tag): flatten(child) for child in children}]  # 2015 docs: fields directly inside
    return _fields(children)


PageKey = tuple[str, int, int, int]  # (resource, per_page, pages, total)


class FreshBooksReader:
    """Reads FreshBooks Classic XML responses (see the module docstring)."""

    system: ClassVar[str] = SYSTEM
    models: ClassVar[dict[str, type[SourceRecord]]] = MODELS

    def __init__(self) -> None:
        self._pages: dict[PageKey, dict[int, str]] = defaultdict(dict)  # -> {page: file}

    def claims(self, root_name: str) -> bool:
        return root_name in ("response", "request")

    def read(self, path: Path, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        path = Path(path)
        head = sniff_head(path)
        if (
            head is not None
            and not head.doctype
            and head.root == "response"
            and head.attrs.get("status", "").lower() == "ok"
            and head.first_child in LISTS
        ):
            self._read_list(path, emit, warn)
        else:
            self._read_events(path, emit, warn)

    def _read_list(self, path: Path, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """The fast path: a `.list` response, records two levels down (`response/clients/client`)."""
        file = display_name(path)
        scan = _ListScan(self, file, emit, warn)
        for elem in XmlStream(path).records(scan):
            if local_name(elem.tag) == scan.record_name:  # other names in a list are ignored, as below
                self._emit(scan.resource, elem, file, emit, warn, detail=False)

    def _read_events(self, path: Path, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """Every other body (`.get` records, create/update answers, failures, saved requests)."""
        stream = XmlStream(path)
        file = display_name(path)
        list_resource: str | None = None
        record_name: str | None = None
        children = 0
        for event, elem, depth in stream.events():
            if depth == 0 and event == "start":
                self._check_root(stream, elem, file, warn)
                if local_name(elem.tag) == "request":
                    return
                stream.skip_below = 2  # records are handled whole at their end: skip the events inside
            elif depth == 1 and event == "start":
                children += 1
                name = local_name(elem.tag)
                if name in LISTS:
                    record_name, list_resource = LISTS[name]
                    self._paging(list_resource, elem, file, warn)
                else:
                    self._not_migrated(elem, file, warn)
            elif depth == 1 and event == "end":
                if local_name(elem.tag) in LISTS:
                    list_resource = None
                else:
                    self._top_level(elem, file, emit, warn)
                release(elem)
            elif depth == 2 and event == "end" and list_resource and local_name(elem.tag) == record_name:
                self._emit(list_resource, elem, file, emit, warn, detail=False)
                release(elem)
        if children == 0:
            warn(SourceWarning(file, 1, "no records (an update or delete response)"))

    @staticmethod
    def _not_migrated(elem: etree._Element, file: str, warn: Callable[[SourceWarning], None]) -> None:
        name = local_name(elem.tag)
        if name in NOT_MIGRATED or name.rstrip("s") in NOT_MIGRATED:
            warn(SourceWarning(file, elem.sourceline, f"not migrated: FreshBooks {name}"))

    def _top_level(self, elem: etree._Element, file: str, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """A child of `<response>` that is not a list: one record (`.get`), a new id, or something unknown."""
        name = local_name(elem.tag)
        if name in SINGLES:
            self._emit(SINGLES[name], elem, file, emit, warn, detail=True)
        elif name not in ("error", "code"):
            if name.endswith("_id") and not len(elem):
                warn(SourceWarning(file, elem.sourceline, "no records (a create response)"))
            elif name not in NOT_MIGRATED and name.rstrip("s") not in NOT_MIGRATED:
                warn(SourceWarning(file, elem.sourceline, f"not migrated: unknown FreshBooks element <{name}>"))

    def _check_root(
        self, stream: XmlStream, root: etree._Element, file: str, warn: Callable[[SourceWarning], None]
    ) -> None:
        name = local_name(root.tag)
        if name == "request":
            method = root.get("method", "?")
            warn(SourceWarning(file, root.sourceline, f"skipped: a FreshBooks request ({method}), not a response"))
            return
        status = (root.get("status") or "").lower()
        if status == "fail":
            code, text = self._failure(stream.path)
            raise SourceFailResponse(
                f'FreshBooks answered status="fail": code {code}: {text}', file=file, line=root.sourceline
            )
        if status != "ok":
            raise SourceParseError(
                f'<response> without status="ok" (status={status!r})', file=file, line=root.sourceline
            )

    @staticmethod
    def _failure(path: Path) -> tuple[str, str]:
        code, text = "?", "no error text"
        for event, elem, depth in XmlStream(path).events():
            if event == "end" and depth == 1:
                # One line whatever the body holds: its text is echoed into our own one-line error.
                if local_name(elem.tag) == "code":
                    code = " ".join((elem.text or "").split()) or "?"
                elif local_name(elem.tag) == "error":
                    text = " ".join((elem.text or "").split()) or text
        return code, text

    def _paging(self, resource: str, elem: etree._Element, file: str, warn: Callable[[SourceWarning], None]) -> None:
        """Note which page of which list this file holds; `finish` reports the pages nobody exported."""
        try:
            page, pages = int(elem.get("page", "1")), int(elem.get("pages", "1"))
            per_page, total = int(elem.get("per_page", "0")), int(elem.get("total", "-1"))
        except ValueError:
            warn(SourceWarning(file, elem.sourceline, f"{resource}: unreadable paging attributes"))
            return
        if per_page > 0 and total >= 0:
            expected = max(1, -(-total // per_page))
            if pages != expected:
                warn(
                    SourceWarning(
                        file,
                        elem.sourceline,
                        f"{resource}: pages={pages} disagrees with total={total} "
                        f"at per_page={per_page}; trusting {expected} pages",
                    )
                )
                pages = expected
        self._pages[(resource, per_page, pages, total)][page] = file

    def _emit(
        self,
        resource: str,
        elem: etree._Element,
        file: str,
        emit: Emit,
        warn: Callable[[SourceWarning], None],
        *,
        detail: bool,
    ) -> bool:
        fields = flatten(elem)
        if not isinstance(fields, dict):
            warn(
                SourceWarning(
                    file, elem.sourceline, f"skipped an empty <{local_name(elem.tag)}> element", resource=resource
                )
            )
            return False
        id_field = ID_FIELDS[resource]
        try:
            record_id = to_id(fields.get(id_field))
        except ValueError:
            record_id = None
        if record_id is None:
            warn(
                SourceWarning(
                    file, elem.sourceline, f"skipped a {resource} record without a valid {id_field}", resource=resource
                )
            )
            return False
        parent_field = PARENTS.get(resource)
        parent = None
        if parent_field and fields.get(parent_field):
            try:
                parent = to_id(fields[parent_field])
            except ValueError:
                parent = None
        updated = fields.get("updated")  # text only: a nested `<updated>` is a field that fails to type, not a key
        updated_at = (updated.strip() or None) if isinstance(updated, str) else None
        emit(RawRecord(resource, record_id, fields, file, elem.sourceline, detail, updated_at, parent))
        return True

    def discard(self, file: str) -> None:
        """A page from a file that failed part-way counts as not exported."""
        for pages in self._pages.values():
            for page in [page for page, holder in pages.items() if holder == file]:
                del pages[page]

    def finish(self) -> list[SourceError]:
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


class _ListScan(ListScan):
    """Records are children of a list element (`<clients page=…>`) straight under `<response>`."""

    def __init__(
        self, reader: FreshBooksReader, file: str, emit: Emit, warn: Callable[[SourceWarning], None]
    ) -> None:
        super().__init__(frozenset(record for record, _resource in LISTS.values()))
        self.reader, self.file, self.emit, self.warn = reader, file, emit, warn
        self.record_name: str | None = None
        self.resource = ""
        self.lists: set[etree._Element] = set()

    def is_container(self, parent: etree._Element) -> bool:
        above = parent.getparent()
        return local_name(parent.tag) in LISTS and above is not None and above.getparent() is None

    def opened(self, container: etree._Element) -> None:
        self.record_name, self.resource = LISTS[local_name(container.tag)]
        self.reader._paging(self.resource, container, self.file, self.warn)
        self.lists.add(container)

    def finished(self, root: etree._Element) -> None:
        """The root's other children, as the event path handles them (an empty list still counts as a page)."""
        for child in root:
            name = local_name(child.tag)
            if name in LISTS:
                if child not in self.lists:
                    self.reader._paging(LISTS[name][1], child, self.file, self.warn)
            elif name:
                self.reader._not_migrated(child, self.file, self.warn)
                self.reader._top_level(child, self.file, self.emit, self.warn)
