"""The reading skeleton both source systems share: choose a path, find the records, key them, emit them.

A source system's reader (`harvest_v1.reader`, `freshbooks.reader`) subclasses `ExportReader` and
contributes only what is its own: a `FieldReader` (how it writes fields), the `Layout` of each body
it answers with (decided from the root), and a few hooks for what is not a record (notices, paging,
account bodies). Everything else happens here, one way for both:

- **The path.** A list body whose head (`sniff_head`) shows no DOCTYPE is scanned with
  `XmlStream.records`: libxml2 filters the record elements by name, so a million-record list costs
  one Python event per record instead of one per field. Every other body is walked event by event
  with `XmlStream.events`, which checks the DOCTYPE first; it is also the reference the scan is held
  equal to (tests/sources/test_list_scan.py).
- **The walk.** Records are handled whole at their end; events deeper than the records are never
  seen one by one; each handled element is released, so memory stays flat whatever the file size.
- **A record.** Its fields, id, grouping key and updated-at become a `RawRecord`; a record that
  cannot be keyed is a notice naming its line, never an error.

Parse and safety errors come out of `xmlsafe` as `SourceError`s carrying the file and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from migrator.errors import SourceError
from migrator.sources.coerce import to_id
from migrator.sources.fields import FieldReader
from migrator.sources.layout import Layout, Records
from migrator.sources.record import Emit, RawRecord, SourceRecord, SourceWarning
from migrator.sources.xmlsafe import Head, ListScan, XmlStream, display_name, local_name, release, sniff_head


@dataclass(slots=True)
class ReadingFile:
    """One file being read: its path, its name in reports, and where its records and notices go."""

    path: Path
    name: str
    emit: Emit
    notify: Callable[[SourceWarning], None]

    def warn(self, line: int | None, message: str, resource: str | None = None) -> None:
        self.notify(SourceWarning(self.name, line, message, resource=resource))


class ExportReader:
    """Reads one source system's export files into raw records (a `SourceReader`; see the module docstring).

    A subclass sets the class attributes and `layout`, and overrides the hooks it needs; the hooks'
    defaults say and do nothing.
    """

    system: ClassVar[str]
    models: ClassVar[dict[str, type[SourceRecord]]]
    fields: ClassVar[FieldReader]
    updated_field: ClassVar[str]  # the field whose text orders two versions of a record

    # --- what a source system says ------------------------------------------------------------------

    def claims(self, root_name: str) -> bool:
        """True when a document whose root element is `root_name` belongs to this system."""
        raise NotImplementedError

    def claims_head(self, head: Head) -> bool:
        """True when a document with this head belongs to this system (by default: by its root's name;
        a system sharing a root name with another tells them apart by the root's attributes)."""
        return self.claims(head.root)

    def layout(self, root: etree._Element, attrs: dict[str, str], file: ReadingFile) -> Layout | None:
        """Where the records of a document sit, from its root (`attrs`: the root's attributes by local
        name); None skips the rest of the file; a body that cannot be read raises `SourceError`."""
        raise NotImplementedError

    def list_layout(self, head: Head) -> Layout | None:
        """The layout of a plain list body, judging from its head (never called for a DOCTYPE); None
        sends the file through the event walk."""
        return None

    def spellings(self, name: str) -> tuple[str, ...]:
        """The local names a record element called `name` may have on the wire (for the list scan)."""
        return (name,)

    def missing_id(self, elem: etree._Element, records: Records, value: Any) -> str:
        """The notice for a record whose id field holds `value`, which is not an id."""
        return f"skipped a {records.resource} record without a valid {records.id_field}"

    def list_opened(self, elem: etree._Element, records: Records, file: ReadingFile) -> None:
        """A list element under the root starts (its attributes, e.g. paging, are readable)."""

    def other_opened(self, elem: etree._Element, layout: Layout, file: ReadingFile) -> None:
        """A child of the root that is no list, no record and not quiet starts."""

    def other(self, elem: etree._Element, layout: Layout, file: ReadingFile) -> None:
        """The same child, complete."""

    def foreign(self, elem: etree._Element, records: Records, file: ReadingFile) -> None:
        """An element among the records of a list that is not one of them."""

    def stray(self, elem: etree._Element, layout: Layout, file: ReadingFile) -> None:
        """An element at list-record depth under a child of the root that is no list and not quiet."""

    def root_end(self, root: etree._Element, layout: Layout, file: ReadingFile) -> None:
        """The root ends (when it is not itself a record); small bodies are read whole here."""

    def done(self, layout: Layout, children: int, file: ReadingFile) -> None:
        """The document was read to its end; `children`: how many elements the root had."""

    def finish(self) -> list[SourceError]:
        """Checks that need every file (e.g. a missing list page); called once after the last file."""
        return []

    def discard(self, file: str) -> None:
        """Forget what `file` told the reader (it failed part-way and contributes nothing)."""

    # --- the skeleton -----------------------------------------------------------------------------------

    def read(self, path: Any, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """Stream every record of `path` to `emit`; notices go to `warn`; a bad file raises `SourceError`."""
        path = Path(path)
        head = sniff_head(path)
        layout = self.list_layout(head) if head is not None and not head.doctype else None
        if layout is not None:
            self._read_list(path, layout, emit, warn)
        else:
            self._read_events(path, emit, warn)

    def _read_list(self, path: Path, layout: Layout, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """The fast path for list bodies (see the module docstring)."""
        file = ReadingFile(path, display_name(path), emit, warn)
        scan = RecordScan(self, layout, file)
        name_of = self.fields.name
        for elem in XmlStream(path).records(scan):
            records = scan.current
            if name_of(elem.tag) in records.names:
                self._record(records, elem, file)
            else:  # a record name of another list, or of the same list nested a level down
                self.foreign(elem, records, file)

    def _read_events(self, path: Any, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """Every body, event by event (the reference the list scan is held equal to)."""
        path = Path(path)
        file = ReadingFile(path, display_name(path), emit, warn)
        stream = XmlStream(path)
        name_of = self.fields.name
        layout: Layout | None = None
        root_record = root_list = current = None  # `current`: the list element being read
        probing = False  # the root's first child decides whether the root is a record or a list
        children = 0
        for event, elem, depth in stream.events():
            if event == "start":
                if depth == 0:
                    layout = self.layout(elem, stream.root_attrs, file)
                    if layout is None:
                        return
                    root_record, root_list = layout.root, layout.root_list
                    probing = root_record is not None and root_list is not None
                    if not probing:
                        stream.skip_below = layout.record_depth
                elif depth == 1:
                    assert layout is not None  # the root's start event always comes first
                    children += 1
                    name = name_of(elem.tag)
                    if probing:
                        probing = False
                        if name in root_list.names:  # type: ignore[union-attr]
                            root_record = None
                        else:
                            root_list = None
                        stream.skip_below = 0 if root_list is None else 1
                    if root_record is None and root_list is None:
                        if name in layout.lists:
                            current = layout.lists[name]
                            self.list_opened(elem, current, file)
                        elif name not in layout.singles and name not in layout.quiet:
                            self.other_opened(elem, layout, file)
                continue
            assert layout is not None
            if depth == 2:
                if current is not None:
                    if name_of(elem.tag) in current.names:
                        self._record(current, elem, file)
                    else:
                        self.foreign(elem, current, file)
                else:
                    parent = name_of(elem.getparent().tag)  # type: ignore[union-attr]
                    if parent in layout.singles:
                        continue  # a field of a single record, read with it at its end
                    if parent not in layout.quiet:
                        self.stray(elem, layout, file)
            elif depth == 1:
                name = name_of(elem.tag)
                if root_list is not None:
                    if name in root_list.names:
                        self._record(root_list, elem, file)
                    else:
                        self.foreign(elem, root_list, file)
                elif name in layout.lists:
                    current = None
                elif name in layout.singles:
                    self._record(layout.singles[name], elem, file)
                elif name not in layout.quiet:
                    self.other(elem, layout, file)
            elif root_record is not None:
                self._record(root_record, elem, file)
            else:
                self.root_end(elem, layout, file)
            release(elem)
        if layout is not None:
            self.done(layout, children, file)

    def _record(self, records: Records, elem: etree._Element, file: ReadingFile) -> None:
        """One record element -> a `RawRecord` (the caller releases the element)."""
        fields = self.fields.record(elem)
        line = elem.sourceline
        if type(fields) is not dict:
            file.warn(line, f"skipped an empty <{local_name(elem.tag)}> element", records.resource)
            return
        for old, new in records.renames:  # name drift between the docs and real responses
            if old in fields:
                fields.setdefault(new, fields.pop(old))
        value = fields.get(records.id_field)
        record_id = _id_of(value)
        if record_id is None:
            file.warn(line, self.missing_id(elem, records, value), records.resource)
            return
        parent = records.parent_field
        file.emit(
            RawRecord(
                records.resource,
                record_id,
                fields,
                file.name,
                line,
                records.detail,
                _text(fields.get(self.updated_field)),
                _id_of(fields.get(parent)) if parent else None,
            )
        )


class RecordScan(ListScan):
    """What `XmlStream.records` looks for in a list body, and the rest of the body handled as the
    event walk handles it (foreign elements, list elements without records, the root's other children)."""

    def __init__(self, reader: ExportReader, layout: Layout, file: ReadingFile) -> None:
        names = {name for records in layout.scanned for name in records.names}
        super().__init__(frozenset(spelling for name in names for spelling in reader.spellings(name)))
        self.reader, self.layout, self.file = reader, layout, file
        self.name = reader.fields.name
        self.current: Records = layout.root_list or next(iter(layout.lists.values()))
        self.opened_lists: set[etree._Element] = set()

    def is_container(self, parent: etree._Element) -> bool:
        above = parent.getparent()
        if self.layout.root_list is not None:
            return above is None
        return self.name(parent.tag) in self.layout.lists and above is not None and above.getparent() is None

    def opened(self, container: etree._Element) -> None:
        if self.layout.root_list is None:
            self.current = self.layout.lists[self.name(container.tag)]
            self.opened_lists.add(container)
            self.reader.list_opened(container, self.current, self.file)

    def foreign(self, elem: etree._Element) -> None:
        self.reader.foreign(elem, self.current, self.file)

    def finished(self, root: etree._Element) -> None:
        reader, layout, file = self.reader, self.layout, self.file
        if layout.root_list is not None:
            for child in root:  # left only when no record was found: a list of foreign elements
                if isinstance(child.tag, str):
                    reader.foreign(child, layout.root_list, file)
        else:
            for child in root:  # the root's other children, handled at the end
                name = self.name(child.tag)
                if name in layout.lists:
                    if child not in self.opened_lists:  # a list without records still has its paging
                        reader.list_opened(child, layout.lists[name], file)
                elif name in layout.singles:
                    reader._record(layout.singles[name], child, file)
                elif name and name not in layout.quiet:
                    reader.other_opened(child, layout, file)
                    reader.other(child, layout, file)
        reader.root_end(root, layout, file)
        reader.done(layout, len(root), file)


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _id_of(value: Any) -> str | None:
    try:
        return to_id(value) if isinstance(value, (str, int)) else None
    except ValueError:
        return None
