"""FreshBooks Classic responses, whatever the files are called: the envelope and what it may hold.

A body is `<response status="ok">` holding a list (`<clients page= pages= total=>`) or one record
(`client.get` → `<client>`); names are matched without their namespace (http, https, none or
misspelt in the wild). `status="fail"` bodies are errors carrying FreshBooks' code and text; saved
*requests* (`<request method=…>`) are recognised and skipped. List paging is checked across all
files (`paging`): a missing page is an error. The reading itself is `sources.reader`.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from lxml import etree

from migrator.errors import SourceError, SourceFailResponse, SourceParseError
from migrator.sources.freshbooks.fields import FreshBooksFields
from migrator.sources.freshbooks.paging import PageBook
from migrator.sources.freshbooks.records import MODELS
from migrator.sources.layout import Layout, Records
from migrator.sources.reader import ExportReader, ReadingFile
from migrator.sources.record import SourceRecord
from migrator.sources.xmlsafe import Head, XmlStream, local_name

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


def _records(resource: str, name: str, *, detail: bool = False) -> Records:
    return Records(resource, frozenset({name}), ID_FIELDS[resource], PARENTS.get(resource), detail)


# Every ok body: lists and single records under `<response>`; its `<error>`/`<code>` say nothing more.
ENVELOPE = Layout(
    lists={element: _records(resource, record) for element, (record, resource) in LISTS.items()},
    singles={record: _records(resource, record, detail=True) for record, resource in SINGLES.items()},
    quiet=frozenset({"error", "code"}),
)


class FreshBooksReader(ExportReader):
    """Reads FreshBooks Classic XML responses (see the module docstring)."""

    system: ClassVar[str] = SYSTEM
    models: ClassVar[dict[str, type[SourceRecord]]] = MODELS
    fields: ClassVar[FreshBooksFields] = FreshBooksFields()
    updated_field: ClassVar[str] = "updated"

    def __init__(self) -> None:
        self.pages = PageBook()

    def claims(self, root_name: str) -> bool:
        return root_name in ("response", "request")

    def claims_head(self, head: Head) -> bool:
        # A FreshBooks request says which method it calls; a `<request>` without one is Harvest v1's.
        return head.root == "response" or (head.root == "request" and "method" in head.attrs)

    def list_layout(self, head: Head) -> Layout | None:
        ok = head.root == "response" and head.attrs.get("status", "").lower() == "ok"
        return ENVELOPE if ok and head.first_child in ENVELOPE.lists else None

    def layout(self, root: etree._Element, attrs: dict[str, str], file: ReadingFile) -> Layout | None:
        if local_name(root.tag) == "request":
            method = root.get("method", "?")
            file.warn(root.sourceline, f"skipped: a FreshBooks request ({method}), not a response")
            return None
        status = (root.get("status") or "").lower()
        if status == "fail":
            code, text = failure(file.path)
            raise SourceFailResponse(
                f'FreshBooks answered status="fail": code {code}: {text}',
                code=code,
                text=text,
                file=file.name,
                line=root.sourceline,
            )
        if status != "ok":
            raise SourceParseError(
                f'<response> without status="ok" (status={status!r})', file=file.name, line=root.sourceline
            )
        return ENVELOPE

    def list_opened(self, elem: etree._Element, records: Records, file: ReadingFile) -> None:
        self.pages.note(records.resource, elem, file)

    def other_opened(self, elem: etree._Element, layout: Layout, file: ReadingFile) -> None:
        name = local_name(elem.tag)
        if name in NOT_MIGRATED or name.rstrip("s") in NOT_MIGRATED:
            file.warn(elem.sourceline, f"not migrated: FreshBooks {name}")

    def other(self, elem: etree._Element, layout: Layout, file: ReadingFile) -> None:
        """A child of `<response>` that is no list and no record: a new id, or something unknown."""
        name = local_name(elem.tag)
        if name.endswith("_id") and not len(elem):
            file.warn(elem.sourceline, "no records (a create response)")
        elif name not in NOT_MIGRATED and name.rstrip("s") not in NOT_MIGRATED:
            file.warn(elem.sourceline, f"not migrated: unknown FreshBooks element <{name}>")

    def done(self, layout: Layout, children: int, file: ReadingFile) -> None:
        if children == 0:
            file.warn(1, "no records (an update or delete response)")

    def discard(self, file: str) -> None:
        self.pages.discard(file)

    def finish(self) -> list[SourceError]:
        return self.pages.missing()


def failure(path: Path) -> tuple[str, str]:
    """The code and error text of a `status="fail"` body (read with the hardened stream)."""
    code, text = "?", "no error text"
    for event, elem, depth in XmlStream(path).events():
        if event == "end" and depth == 1:
            # One line whatever the body holds: its text is echoed into our own one-line error.
            if local_name(elem.tag) == "code":
                code = " ".join((elem.text or "").split()) or "?"
            elif local_name(elem.tag) == "error":
                text = " ".join((elem.text or "").split()) or text
    return code, text
