"""Stream Harvest v1 XML bodies into raw records, whatever the file is called.

The resource is read from the root element (research §2): `<clients type="array">` lists,
bare `<client>` single records, `<nil-classes type="array"/>` for an empty list, the `/daily`
body (`<daily><day_entries><day_entry>`), the `<timer>`/`<add>` replies that wrap one entry, and
`<hash>` account bodies. Records are built at their own depth and released at once, so a file of
a million entries is read in constant memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from migrator.errors import SourceError, SourceParseError
from migrator.sources.coerce import to_id
from migrator.sources.harvest_v1.fields import field_name, flatten
from migrator.sources.harvest_v1.records import MODELS
from migrator.sources.record import Emit, RawRecord, SourceRecord, SourceWarning
from migrator.sources.xmlsafe import ListScan, XmlStream, display_name, release, sniff_head

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
LIST_ROOTS: dict[str, str] = {
    "clients": "clients",
    "contacts": "contacts",
    "users": "users",
    "people": "users",
    "projects": "projects",
    "tasks": "tasks",
    "user_assignments": "user_assignments",
    "task_assignments": "task_assignments",
    "day_entries": "day_entries",
    "expense_categories": "expense_categories",
    "expenses": "expenses",
    "invoices": "invoices",
    "payments": "payments",
    "invoice_item_categories": "invoice_item_categories",
    "invoice_messages": "invoice_messages",
}
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


def normalise(name: str) -> str:
    """REST names are dash-case, `/daily` names snake_case: one spelling from here on."""
    return name.replace("-", "_")


@dataclass
class _Layout:
    """Where records sit in one document."""

    resource: str | None
    depth: int  # depth of the record elements (0: the root is the record)
    names: frozenset[str]
    detail: bool = False  # a single-record body: supersedes a list summary
    container: str | None = None  # /daily: records live under this element only


class HarvestV1Reader:
    """The `SourceReader` for Harvest v1 XML (see the module docstring for the shapes read)."""

    system: ClassVar[str] = SYSTEM
    models: ClassVar[dict[str, type[SourceRecord]]] = MODELS

    def claims(self, root_name: str) -> bool:
        """True for every root element Harvest v1 answers with (never FreshBooks' `request`/`response`)."""
        return normalise(root_name) in ROOTS

    def finish(self) -> list[SourceError]:
        """v1 lists carry no page count, so nothing can be checked across files."""
        return []

    def discard(self, file: str) -> None:
        """Nothing is kept per file."""

    def read(self, path: Any, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """Stream every record of `path` to `emit`; notices go to `warn`; a bad file raises `SourceError`."""
        path = Path(path)
        head = sniff_head(path)
        if head is not None and not head.doctype:
            layout = _list_layout(normalise(head.root), head.attrs)
            if layout is not None:
                self._read_list(path, layout, emit, warn)
                return
        self._read_events(path, emit, warn)

    def _read_list(self, path: Path, layout: _Layout, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """The fast path: a plain list body (`<day-entries type="array">`), records straight under the root."""
        file = display_name(path)
        for elem in XmlStream(path).records(_V1ListScan(layout, file, warn)):
            self._record(elem, layout, file, emit, warn)

    def _read_events(self, path: Path, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """Every other body (single records, `/daily`, `<hash>`, odd roots), event by event."""
        file = display_name(path)
        stream = XmlStream(path)
        layout: _Layout | None = None
        record_depth = 0
        probe = False  # a singular root: its first child decides whether it is a list after all
        for event, elem, depth in stream.events():
            if depth > record_depth:
                # Inside a record (the hot path: most events): it is handled whole at its end.
                if probe and depth == 1 and event == "start":
                    probe = False
                    if _name(elem) in layout.names:  # type: ignore[union-attr]
                        # The buggy `<invoice-message type="array">` list root (research §3.15) and its
                        # kin: a singular root whose children are records is a list.
                        layout.depth, layout.detail = 1, False  # type: ignore[union-attr]
                        record_depth = 1
                    stream.skip_below = record_depth
                continue
            if event == "start":
                if depth == 0:
                    layout = _layout_for(normalise(stream.root_name or ""), stream.root_attrs, file, elem)
                    record_depth = max(layout.depth, 0)
                    probe = layout.depth == 0 and layout.resource is not None
                    if not probe and layout.container is None:
                        stream.skip_below = record_depth
                continue
            assert layout is not None  # the root's start event always comes first
            if depth == layout.depth:
                self._record(elem, layout, file, emit, warn)
            elif depth == 0:
                self._root_end(elem, layout, file, emit, warn)
            else:  # a wrapper between the root and the records (/daily)
                name = _name(elem)
                if name != layout.container and name not in DAILY_CONTEXT:
                    message = f"ignored <{elem.tag}>: not a record of {layout.resource}"
                    warn(SourceWarning(file, elem.sourceline, message))
            release(elem)

    # --- records -----------------------------------------------------------------------------------

    def _record(
        self, elem: etree._Element, layout: _Layout, file: str, emit: Emit, warn: Callable[[SourceWarning], None]
    ) -> None:
        """One record element -> a `RawRecord` (the caller releases the element)."""
        name = _name(elem)
        if layout.container is not None:
            parent = elem.getparent()
            parent_name = _name(parent) if parent is not None else ""
            if parent_name != layout.container:
                if parent_name not in DAILY_CONTEXT:  # the /daily pick list is not data to migrate
                    warn(SourceWarning(file, elem.sourceline, f"ignored <{elem.tag}>: not a day entry"))
                return
        resource = layout.resource
        if resource is None or name not in layout.names:
            warn(SourceWarning(file, elem.sourceline, f"ignored <{elem.tag}>: not a record of {resource}"))
            return
        line = elem.sourceline
        fields = flatten(elem)
        for old, new in RENAMES.get(resource, {}).items():
            if old in fields:
                fields.setdefault(new, fields.pop(old))
        record_id = _id_of(fields.get("id"))
        if record_id is None:
            raw = fields.get("id")
            why = "has no id" if raw in (None, "") else f"has an id that is not a whole number ({raw!r})"
            message = f"skipped <{elem.tag}>: the record {why}, so it cannot be keyed or reported"
            warn(SourceWarning(file, line, message, resource=resource))
            return
        parent_field = PARENT_FIELDS.get(resource)
        emit(
            RawRecord(
                resource,
                record_id,
                fields,
                file,
                line,
                detail=layout.detail,
                updated_at=_text(fields.get("updated_at")),
                parent=_id_of(fields.get(parent_field)) if parent_field else None,
            )
        )

    def _root_end(
        self, elem: etree._Element, layout: _Layout, file: str, emit: Emit, warn: Callable[[SourceWarning], None]
    ) -> None:
        root = _name(elem)
        if root in ("hash", "request"):
            self._hash(elem, file, emit, warn)
        elif root == "nil_classes" and len(elem):
            warn(SourceWarning(file, elem.sourceline, "ignored the children of <nil-classes>: an empty list has none"))

    def _hash(self, elem: etree._Element, file: str, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        fields = flatten(elem)
        company, user = fields.get("company"), fields.get("user")
        if not isinstance(company, dict) and not isinstance(user, dict):
            what = "a rate-limit status" if set(fields) & RATE_LIMIT_FIELDS else "an unknown"
            message = f"skipped: {what} <{elem.tag}> body holds no records to migrate"
            warn(SourceWarning(file, elem.sourceline, message))
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
        }
        emit(RawRecord("account", "account", account, file, elem.sourceline, detail=True))


def _name(elem: etree._Element) -> str:
    tag = elem.tag
    return field_name(tag) if isinstance(tag, str) else ""


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _id_of(value: Any) -> str | None:
    try:
        return to_id(value) if isinstance(value, (str, int)) else None
    except ValueError:
        return None


def _list_layout(root: str, attrs: dict[str, str]) -> _Layout | None:
    """The layout of a plain list body (records straight under the root), else None."""
    if root in LIST_ROOTS:
        resource = LIST_ROOTS[root]
        return _Layout(resource, 1, RECORD_NAMES[resource])
    if root in SINGLE_ROOTS and attrs.get("type") == "array":
        resource = SINGLE_ROOTS[root]
        return _Layout(resource, 1, RECORD_NAMES[resource])
    return None


class _V1ListScan(ListScan):
    """Records are the root's children; any other child of the root is reported and ignored."""

    def __init__(self, layout: _Layout, file: str, warn: Callable[[SourceWarning], None]) -> None:
        # Both spellings: REST lists are dash-case, `/daily` snake_case.
        super().__init__(frozenset(spelt for name in layout.names for spelt in (name, name.replace("_", "-"))))
        self.layout, self.file, self.warn = layout, file, warn

    def is_container(self, parent: etree._Element) -> bool:
        return parent.getparent() is None

    def foreign(self, elem: etree._Element) -> None:
        message = f"ignored <{elem.tag}>: not a record of {self.layout.resource}"
        self.warn(SourceWarning(self.file, elem.sourceline, message))

    def finished(self, root: etree._Element) -> None:
        for child in root:  # left only when no record was found: a list of foreign elements
            if isinstance(child.tag, str):
                self.foreign(child)


def _layout_for(root: str, attrs: dict[str, str], file: str, elem: etree._Element) -> _Layout:
    listed = _list_layout(root, attrs)
    if listed is not None:
        return listed
    if root in SINGLE_ROOTS:
        return _Layout(SINGLE_ROOTS[root], 0, frozenset({root}), detail=True)
    if root == "daily":
        return _Layout("day_entries", 2, RECORD_NAMES["day_entries"], container="day_entries")
    if root in ENTRY_WRAPPERS:
        return _Layout("day_entries", 1, RECORD_NAMES["day_entries"])
    if root in ("nil_classes", "hash") or (root == "request" and "method" not in attrs):
        # Small bodies handled whole at the root's end. `<request>` is only read when `--from
        # harvest-v1` forces it (FreshBooks owns that root): the 2009 rate-limit status used it.
        return _Layout(None, -1, frozenset())
    if root == "html":
        message = "an HTML page (a saved error page such as Harvest's 404), not a Harvest v1 API response"
    else:
        message = f"unknown root element <{elem.tag}>: not a Harvest v1 API response"
    raise SourceParseError(message, file=file, line=elem.sourceline or 1)
