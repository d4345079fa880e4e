"""Harvest v1 XML bodies, whatever the file is called: which root holds which records (research §2).

The resource is read from the root element: `<clients type="array">` lists, bare `<client>` single
records, `<nil-classes type="array"/>` for an empty list, the `/daily` body
(`<daily><day_entries><day_entry>`), the `<timer>`/`<add>` replies that wrap one entry, and `<hash>`
account bodies. The reading itself (list scan, event walk, keying, release) is `sources.reader`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from migrator.errors import SourceParseError
from migrator.sources.harvest_v1.fields import HarvestV1Fields
from migrator.sources.harvest_v1.records import MODELS
from migrator.sources.layout import Layout, Records
from migrator.sources.reader import ExportReader, ReadingFile, RecordScan
from migrator.sources.record import RawRecord, SourceRecord, SourceWarning
from migrator.sources.xmlsafe import Head

SYSTEM = "harvest-v1"

# Canonical resource -> the record element names it may use (normalised, `-` -> `_`).
RECORD_NAMES: dict[str, frozenset[str]] = {
    "clients": frozenset({"client"}),
    "contacts": frozenset({"contact"}),
    "users": frozenset({"user", "person"}),
    "projects": frozenset({"project"}),
    "tasks": frozenset({"task"}),
    "user_assignments": frozenset({"user_assignment"}),
    "task_assignments": frozenset({"task_assignment"}),
    "day_entries": frozenset({"day_entry"}),
    "expense_categories": frozenset({"expense_category"}),
    "expenses": frozenset({"expense"}),
    "invoices": frozenset({"invoice"}),
    "payments": frozenset({"payment"}),
    "invoice_item_categories": frozenset({"invoice_item_category"}),
    "invoice_messages": frozenset({"invoice_message"}),
}
LIST_ROOTS: dict[str, str] = {resource: resource for resource in RECORD_NAMES} | {"people": "users"}
SINGLE_ROOTS: dict[str, str] = {name: resource for resource, names in RECORD_NAMES.items() for name in names}
# `/daily/show` and `/daily/timer` answer `<timer>`, `/daily/add` and `/daily/update` answer `<add>` (2009).
ENTRY_WRAPPERS = frozenset({"timer", "add"})
OTHER_ROOTS = frozenset({"daily", "nil_classes", "hash"})
ROOTS = frozenset(LIST_ROOTS) | frozenset(SINGLE_ROOTS) | ENTRY_WRAPPERS | OTHER_ROOTS

# Grouping keys so mappings can fetch children without scanning (RawRecord.parent).
PARENT_FIELDS: dict[str, str] = {
    "payments": "invoice_id",
    "invoice_messages": "invoice_id",
    "contacts": "client_id",
    "user_assignments": "project_id",
    "task_assignments": "project_id",
}
# Name drift between the docs and real responses (research §6.9): the real name wins.
RENAMES: dict[str, dict[str, str]] = {"invoices": {"tax_amount2": "tax2_amount"}}
# Children of a /daily body that are not records: the day, and the project/task pick list.
DAILY_CONTEXT = frozenset({"for_day", "projects"})
RATE_LIMIT_FIELDS = frozenset({"count", "max_calls", "timeframe_limit", "lockout_seconds", "last_access_at"})


def _records(resource: str, names: frozenset[str] | None = None, *, detail: bool = False) -> Records:
    renames = tuple(RENAMES.get(resource, {}).items())
    return Records(resource, names or RECORD_NAMES[resource], "id", PARENT_FIELDS.get(resource), detail, renames)


LISTS: dict[str, Layout] = {resource: Layout(resource, root_list=_records(resource)) for resource in RECORD_NAMES}
DAILY = Layout("day_entries", lists={"day_entries": _records("day_entries")}, quiet=DAILY_CONTEXT)
ENTRY_WRAPPER = Layout("day_entries", root_list=_records("day_entries"))
WHOLE = Layout()  # `<hash>`, `<nil-classes>`, the 2009 `<request>`: small bodies read whole at the root's end


def _list_layout(root: str, attrs: dict[str, str]) -> Layout | None:
    """The layout of a plain list body (records straight under the root), else None."""
    if root in LIST_ROOTS:
        return LISTS[LIST_ROOTS[root]]
    if root in SINGLE_ROOTS and attrs.get("type") == "array":
        return LISTS[SINGLE_ROOTS[root]]
    return None


class HarvestV1Reader(ExportReader):
    """The `SourceReader` for Harvest v1 XML (see the module docstring for the shapes read)."""

    system: ClassVar[str] = SYSTEM
    models: ClassVar[dict[str, type[SourceRecord]]] = MODELS
    fields: ClassVar[HarvestV1Fields] = HarvestV1Fields()
    updated_field: ClassVar[str] = "updated_at"

    def claims(self, root_name: str) -> bool:
        """True for every root element Harvest v1 answers with (never FreshBooks' `request`/`response`)."""
        return self.fields.spell(root_name) in ROOTS

    def claims_head(self, head: Head) -> bool:
        # `<request>` is FreshBooks' unless it lacks `method=`: Harvest v1's 2009 rate-limit status used it.
        if head.root == "request":
            return "method" not in head.attrs
        return self.claims(head.root)

    def spellings(self, name: str) -> tuple[str, ...]:
        return (name, name.replace("_", "-"))  # REST lists are dash-case, `/daily` snake_case

    def list_layout(self, head: Head) -> Layout | None:
        return _list_layout(self.fields.spell(head.root), head.attrs)

    def layout(self, root: etree._Element, attrs: dict[str, str], file: ReadingFile) -> Layout | None:
        name = self.fields.name(root.tag)
        listed = _list_layout(name, attrs)
        if listed is not None:
            return listed
        if name in SINGLE_ROOTS:
            resource, names = SINGLE_ROOTS[name], frozenset({name})
            # A singular root whose children are records is a list after all: the buggy
            # `<invoice-message type="array">` list root (research §3.15) and its kin.
            return Layout(resource, root=_records(resource, names, detail=True), root_list=_records(resource, names))
        if name == "daily":
            return DAILY
        if name in ENTRY_WRAPPERS:
            return ENTRY_WRAPPER
        if name in ("nil_classes", "hash") or (name == "request" and "method" not in attrs):
            # `<request>` is only read when `--from harvest-v1` forces it (FreshBooks owns that root):
            # the 2009 rate-limit status used it.
            return WHOLE
        if name == "html":
            message = "an HTML page (a saved error page such as Harvest's 404), not a Harvest v1 API response"
        else:
            message = f"unknown root element <{root.tag}>: not a Harvest v1 API response"
        raise SourceParseError(message, file=file.name, line=root.sourceline or 1)

    def missing_id(self, elem: etree._Element, records: Records, value: Any) -> str:
        why = "has no id" if value in (None, "") else f"has an id that is not a whole number ({value!r})"
        return f"skipped <{elem.tag}>: the record {why}, so it cannot be keyed or reported"

    def foreign(self, elem: etree._Element, records: Records, file: ReadingFile) -> None:
        file.warn(elem.sourceline, f"ignored <{elem.tag}>: not a record of {records.resource}")

    def other(self, elem: etree._Element, layout: Layout, file: ReadingFile) -> None:
        file.warn(elem.sourceline, f"ignored <{elem.tag}>: not a record of {layout.resource}")

    def stray(self, elem: etree._Element, layout: Layout, file: ReadingFile) -> None:
        file.warn(elem.sourceline, f"ignored <{elem.tag}>: not a day entry")

    def root_end(self, root: etree._Element, layout: Layout, file: ReadingFile) -> None:
        name = self.fields.name(root.tag)
        if name in ("hash", "request"):
            self._account(root, file)
        elif name == "nil_classes" and len(root):
            file.warn(root.sourceline, "ignored the children of <nil-classes>: an empty list has none")

    def _account(self, root: etree._Element, file: ReadingFile) -> None:
        """`GET /account/who_am_i`: the settings that change how other records read."""
        fields = self.fields.children(root)
        company, user = fields.get("company"), fields.get("user")
        if not isinstance(company, dict) and not isinstance(user, dict):
            what = "a rate-limit status" if set(fields) & RATE_LIMIT_FIELDS else "an unknown"
            file.warn(root.sourceline, f"skipped: {what} <{root.tag}> body holds no records to migrate")
            return
        company = company if isinstance(company, dict) else {}
        user = user if isinstance(user, dict) else {}
        account = {
            "clock": company.get("clock"),
            "time_format": company.get("time_format"),
            "decimal_symbol": company.get("decimal_symbol"),
            "thousands_separator": company.get("thousands_separator"),
            "week_start_day": company.get("week_start_day"),
            "company_name": company.get("name"),
            "base_uri": company.get("base_uri"),
            "timestamp_timers": user.get("timestamp_timers"),
            "user_id": user.get("id"),
            "user_email": user.get("email"),
            "user_timezone": user.get("timezone"),
            # Who the export ran as: `migrator export` refuses anyone but an administrator.
            "user_admin": user.get("admin"),
            "user_first_name": user.get("first_name"),
            "user_last_name": user.get("last_name"),
            "company_active": company.get("active"),
        }
        file.emit(RawRecord("account", "account", account, file.name, root.sourceline, detail=True))


class _V1ListScan(RecordScan):
    """The scan of one Harvest v1 list body on its own, for driving `XmlStream.records` directly
    (the memory test does); `HarvestV1Reader.read` builds the same scan itself."""

    def __init__(self, layout: Layout, file: str, warn: Callable[[SourceWarning], None]) -> None:
        super().__init__(HarvestV1Reader(), layout, ReadingFile(Path(file), file, lambda _record: None, warn))
