"""A hardened, streaming XML reader: the one seam where lxml meets untrusted export files.

Exports come from anywhere, so every document is parsed with entity expansion, DTD loading and
network access off, and a document whose DOCTYPE declares entities or points at an external DTD
is refused outright (billion laughs, quadratic blowup, XXE, parameter entities). Elements are
streamed with `iterparse` and cleared once handled, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from migrator.errors import MalformedXMLError, SourceParseError, UnsafeXMLError

# libxml2 refuses single text nodes over 10 MB unless huge_tree is set; keeping that limit is a
# deliberate defence (a legitimate export never has a 10 MB text node).
_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    recover=False,
)


def display_name(path: Path) -> str:
    """How a file is named in reports and errors: its path, with any byte that is not UTF-8 written
    `\\xe9` (names from a Latin-1 zip), so printing or writing a report never fails on it."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def local_name(tag: object) -> str:
    """The element name without its namespace (FreshBooks uses http, https, none or misspelt)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _doctype_line(path: Path, root_line: int) -> int:
    """The line the DOCTYPE starts on (lxml does not say): found in the bytes before the root, for
    ASCII-compatible encodings; else the root's line."""
    try:
        with path.open("rb") as handle:
            data = handle.read(1 << 20)
    except OSError:
        return root_line
    at = data.find(b"<!DOCTYPE")
    return data.count(b"\n", 0, at) + 1 if at >= 0 else root_line


def _check_doctype(root: etree._Element, path: Path) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.system_url or docinfo.public_id:
        raise UnsafeXMLError(
            "refused: the DOCTYPE points at an external DTD "
            f"({docinfo.system_url or docinfo.public_id!r}); migrator never fetches DTDs",
            file=display_name(path),
            line=_doctype_line(path, root.sourceline or 1),
        )
    dtd = docinfo.internalDTD
    if dtd is not None:
        names = [entity.name for entity in dtd.iterentities()]
        if names:
            raise UnsafeXMLError(
                f"refused: the DOCTYPE declares entities ({', '.join(names[:5])}); "
                "entity expansion is never performed on export files",
                file=display_name(path),
                line=_doctype_line(path, root.sourceline or 1),
            )


class XmlStream:
    """Iterate `(event, element, depth)` over a file with the hardened parser.

    `depth` is 0 for the root. lxml errors become `SourceParseError` carrying the file and line;
    an unsafe DOCTYPE becomes `UnsafeXMLError` before any content is read.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root_name: str | None = None
        self.root_attrs: dict[str, str] = {}
        # Events deeper than this are not yielded: a reader that handles each record whole, at its end,
        # sets it to the record depth so the fields inside never cross the generator (the hot path).
        self.skip_below: int | None = None

    def events(self) -> Iterator[tuple[str, etree._Element, int]]:
        depth = -1
        with _located(self.path):
            context = etree.iterparse(os.fsencode(self.path), events=("start", "end"), **_PARSER_OPTIONS)
            for event, elem in context:
                if event == "start":
                    depth += 1
                    skip = self.skip_below
                    if skip is not None and depth > skip:
                        continue
                    if depth == 0:
                        _check_doctype(elem, self.path)
                        self.root_name = local_name(elem.tag)
                        self.root_attrs = {local_name(k): v for k, v in elem.attrib.items()}
                    yield event, elem, depth
                else:
                    skip = self.skip_below
                    if skip is None or depth <= skip:
                        yield event, elem, depth
                    depth -= 1

    def records(self, scan: ListScan) -> Iterator[etree._Element]:
        """The fast path for big list bodies: yield each record element of `scan`, at its end.

        Only the record elements cross into Python (libxml2 filters the rest by name), and they
        are released in batches, so a million-record list costs one event per record instead of
        one per field. Use it only for a document whose head (`sniff_head`) shows no DOCTYPE and
        a list layout; everything else goes through `events`.
        """
        patterns = sorted({f"{{*}}{name}" for name in scan.names})
        with _located(self.path):
            context = etree.iterparse(os.fsencode(self.path), events=("end",), tag=patterns, **_PARSER_OPTIONS)
            container: etree._Element | None = None
            held = 0  # records of `container` yielded and not yet released
            for _event, elem in context:
                parent = elem.getparent()
                if parent is not container:
                    if parent is None or not scan.is_container(parent):
                        continue  # a same-named element inside a record: part of that record
                    if container is not None:
                        scan.release(container, None, held)
                    container, held = parent, 0
                    scan.opened(parent)
                yield elem
                held += 1
                if held >= _RELEASE_EVERY:
                    scan.release(container, elem, held)
                    held = 0
            if container is not None:
                scan.release(container, None, held)
            scan.finished(context.root)


_ENTITY_LIMIT = re.compile(r"amplification|entity reference loop|entities? .*(?:too many|exceeded)", re.IGNORECASE)
_RELEASE_EVERY = 256  # records kept in the tree between two releases (memory vs per-record cost)


class ListScan:
    """What `XmlStream.records` looks for: record names, which parents hold records, and what to do
    with the rest (foreign elements beside the records, the root's other children).

    `sources.reader.RecordScan` implements the hooks for both source systems; the defaults accept nothing.
    """

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names  # local names of record elements

    def is_container(self, parent: etree._Element) -> bool:
        """True when `parent` holds records (rather than being a record that nests a same-named element)."""
        return False

    def opened(self, container: etree._Element) -> None:
        """A container's first record was reached (its attributes, e.g. paging, are readable)."""

    def foreign(self, elem: etree._Element) -> None:
        """A child of a container that is not a record."""

    def finished(self, root: etree._Element) -> None:
        """The document ended; `root` still holds every child of the root that was not released."""

    def release(self, container: etree._Element, last: etree._Element | None, held: int) -> None:
        """Detach the handled records of `container` (through `last`, or all when None); report any
        foreign element among them (rare, so found by counting instead of by looking at each child)."""
        end = len(container) if last is None else container.index(last) + 1
        if end != held:
            for child in container[:end]:
                if local_name(child.tag) not in self.names:
                    self.foreign(child)
        del container[:end]


def _syntax_error(exc: etree.XMLSyntaxError) -> tuple[int | None, str]:
    """The line and the one-line reason of a libxml2 error.

    Some errors reach the exception only as a generic "no element found" at line 0 (an undefined
    entity such as `&eacute;`); the parser's error log then holds the real one, as its last entry.
    """
    line, message = exc.lineno or None, str(exc.msg or exc).split(", line ")[0]
    if line is None:
        last = exc.error_log.last_error
        if last is not None and last.line:
            line, message = last.line, last.message
    return line, " ".join(message.split())  # libxml2 ends some messages with a newline


@contextmanager
def _located(path: Path) -> Iterator[None]:
    """lxml's errors as `SourceParseError` carrying the file and line."""
    try:
        yield
    except etree.XMLSyntaxError as exc:
        line, message = _syntax_error(exc)
        if _ENTITY_LIMIT.search(message):
            # libxml2 stopped an entity bomb itself (before our DOCTYPE check saw it): hostile, not broken.
            raise UnsafeXMLError(
                f"refused: entity expansion past libxml2's limit ({message}); entity expansion is never "
                "performed on export files",
                file=display_name(path),
                line=line,
            ) from exc
        raise MalformedXMLError(f"not well-formed XML: {message}", file=display_name(path), line=line) from exc
    except OSError as exc:
        raise SourceParseError(f"cannot read file: {exc.strerror or exc}", file=display_name(path)) from exc


def release(elem: etree._Element) -> None:
    """Free a handled element and the siblings before it, keeping memory flat while streaming."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


@dataclass(frozen=True, slots=True)
class Head:
    """What the start of a document says: its root, the root's attributes, its first child."""

    root: str
    attrs: dict[str, str]
    first_child: str | None  # local name of the root's first child element, if it starts soon after the root
    doctype: bool  # a DOCTYPE is present (such documents always take the checked, generic path)
    line: int  # where the root element starts


_CHUNK = 65536
_FIRST = 4096


def sniff_head(path: Path) -> Head | None:
    """The head of `path`, reading only as far as its root element (and a little beyond, for the
    root's first child); None if it is not XML-looking.

    Used to route a file to its source system, to skip non-XML files with a notice, and to choose
    the fast list scan, without parsing the whole file. A long comment or whitespace before the
    root is read through (comments are discarded as they go). Unsafe documents still fail later.
    """
    parser = etree.XMLPullParser(events=("start",), **_PARSER_OPTIONS)
    root: etree._Element | None = None
    first: etree._Element | None = None
    beyond = 0  # full chunks read after the root started
    size = _FIRST  # most heads are in the first few kilobytes: parsing a whole 64 KB chunk costs more
    try:
        with path.open("rb") as handle:
            while first is None and beyond < 2 and (chunk := handle.read(size)):
                parser.feed(chunk)
                for _event, elem in parser.read_events():
                    if root is None:
                        root = elem
                    elif elem.getparent() is root:
                        first = elem
                        break
                beyond += root is not None and size == _CHUNK
                size = _CHUNK
    except etree.XMLSyntaxError:
        pass  # what was read before the error still names the root; the full parse reports the error
    except OSError:
        return None
    if root is None:
        return None
    docinfo = root.getroottree().docinfo
    return Head(
        root=local_name(root.tag),
        attrs={local_name(k): v for k, v in root.attrib.items()},
        first_child=local_name(first.tag) if first is not None else None,
        doctype=bool(docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url),
        line=root.sourceline or 1,
    )
