"""Stream FreshBooks Classic responses into raw records, whatever the files are called.

A body is `<response status="ok">` holding a list (`<clients page= pages= total=>`) or one record
(`client.get` → `<client>`); names are matched without their namespace (http, https, none or
misspelt in the wild). `status="fail"` bodies are errors carrying FreshBooks' code and text; saved
*requests* (`<request method=…>`) are recognised and skipped. List paging is checked across all
files: a missing page is an error.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from migrator.errors import SourceError, SourceFailResponse, SourceParseError
from migrator.sources.coerce import to_id
from migrator.sources.freshbooks.records import MODELS
from migrator.sources.record import Emit, RawRecord, SourceRecord, SourceWarning
from migrator.sources.xmlsafe import XmlStream, local_name, release

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


def flatten(elem: etree._Element) -> Any:
    """Element -> text (None when empty) or nested dict/list; deprecated elements are dropped."""
    children = [child for child in elem if isinstance(child.tag, str) and "deprecated" not in child.attrib]
    if not children:
        text = elem.text
        return text if text is not None and text.strip() else None
    name = local_name(elem.tag)
    repeated = REPEATED.get(name)
    if repeated and all(local_name(child.tag) == repeated for child in children):
        return [flatten(child) for child in children]
    if repeated == "contact" and repeated not in {local_name(c.tag) for c in children}:
        return [{local_name(child.tag): flatten(child) for child in children}]  # 2015 docs: fields directly inside
    out: dict[str, Any] = {}
    for child in children:
        key = local_name(child.tag)
        if not len(child) and key != "credit":  # a leaf (most fields): no recursion on the hot path
            text = child.text
            out[key] = text if text is not None and text.strip() else None
            continue
        if key == "credit" and child.get("currency"):
            out.setdefault("credits", []).append({"currency": child.get("currency"), "amount": flatten(child)})
            continue
        out[key] = flatten(child)
    return out


class FreshBooksReader:
    """Reads FreshBooks Classic XML responses (see the module docstring)."""

    system: ClassVar[str] = SYSTEM
    models: ClassVar[dict[str, type[SourceRecord]]] = MODELS

    def __init__(self) -> None:
        # (resource, per_page, pages, total) -> {page: file}
        self._pages: dict[tuple[str, int, int, int], dict[int, str]] = defaultdict(dict)
        self._counts: dict[tuple[str, int, int, int], int] = defaultdict(int)

    def claims(self, root_name: str) -> bool:
        return root_name in ("response", "request")

    def read(self, path: Path, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        stream = XmlStream(path)
        file = str(path)
        list_resource: str | None = None
        list_key: tuple[str, int, int, int] | None = None
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
                    list_key = self._paging(list_resource, elem, file, warn)
                elif name in NOT_MIGRATED or name.rstrip("s") in NOT_MIGRATED:
                    warn(SourceWarning(file, elem.sourceline, f"not migrated: FreshBooks {name}"))
            elif depth == 1 and event == "end":
                name = local_name(elem.tag)
                if name in SINGLES and list_resource is None:
                    self._emit(SINGLES[name], elem, file, emit, warn, detail=True)
                elif name not in LISTS and name not in ("error", "code") and list_resource is None:
                    if name.endswith("_id") and not len(elem):
                        warn(SourceWarning(file, elem.sourceline, "no records (a create response)"))
                    elif name not in NOT_MIGRATED and name.rstrip("s") not in NOT_MIGRATED:
                        warn(SourceWarning(file, elem.sourceline, f"not migrated: unknown FreshBooks element <{name}>"))
                list_resource = None if name in LISTS else list_resource
                release(elem)
            elif depth == 2 and event == "end" and list_resource and local_name(elem.tag) == record_name:
                if self._emit(list_resource, elem, file, emit, warn, detail=False) and list_key:
                    self._counts[list_key] += 1
                release(elem)
        if children == 0:
            warn(SourceWarning(file, 1, "no records (an update or delete response)"))

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
            code, text = self._failure(Path(file))
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
                if local_name(elem.tag) == "code":
                    code = (elem.text or "?").strip()
                elif local_name(elem.tag) == "error":
                    text = (elem.text or "").strip() or text
        return code, text

    def _paging(
        self, resource: str, elem: etree._Element, file: str, warn: Callable[[SourceWarning], None]
    ) -> tuple[str, int, int, int] | None:
        try:
            page, pages = int(elem.get("page", "1")), int(elem.get("pages", "1"))
            per_page, total = int(elem.get("per_page", "0")), int(elem.get("total", "-1"))
        except ValueError:
            warn(SourceWarning(file, elem.sourceline, f"{resource}: unreadable paging attributes"))
            return None
        if per_page > 0 and total >= 0:
            expected = max(1, math.ceil(total / per_page))
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
        key = (resource, per_page, pages, total)
        self._pages[key][page] = file
        return key

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
        emit(RawRecord(resource, record_id, fields, file, elem.sourceline, detail, fields.get("updated"), parent))
        return True

    def finish(self) -> list[SourceError]:
        errors: list[SourceError] = []
        for (resource, per_page, pages, total), seen in sorted(self._pages.items()):
            missing = [page for page in range(1, pages + 1) if page not in seen]
            if missing:
                some = next(iter(seen.values()))
                listed = ", ".join(str(page) for page in missing[:10])
                errors.append(
                    SourceParseError(
                        f"{resource} list is incomplete: page {listed} of {pages} is missing "
                        f"(total {total}, per_page {per_page}); export the missing page, or pass --keep-going",
                        file=some,
                        line=1,
                        resource=resource,
                    )
                )
        return errors
