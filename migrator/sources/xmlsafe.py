"""A hardened, streaming XML reader: the one seam where lxml meets untrusted export files.

Exports come from anywhere, so every document is parsed with entity expansion, DTD loading and
network access off, and a document whose DOCTYPE declares entities or points at an external DTD
is refused outright (billion laughs, quadratic blowup, XXE, parameter entities). Elements are
streamed with `iterparse` and cleared once handled, so memory stays flat whatever the file size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from migrator.errors import SourceParseError, UnsafeXMLError

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


def local_name(tag: object) -> str:
    """The element name without its namespace (FreshBooks uses http, https, none or misspelt)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


@dataclass(slots=True)
class XNode:
    """A small, detached copy of one record element: name, attributes, text, children, line."""

    name: str
    line: int | None
    attrs: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    children: list[XNode] = field(default_factory=list)

    def child(self, name: str) -> XNode | None:
        """The first child called `name`, or None."""
        for node in self.children:
            if node.name == name:
                return node
        return None

    def all(self, name: str) -> list[XNode]:
        """Every child called `name`, in document order."""
        return [node for node in self.children if node.name == name]

    @property
    def is_nil(self) -> bool:
        """`nil="true"` wins over any content (Rails writes `<x nil="true">0</x>` in places)."""
        return self.attrs.get("nil", "").strip().lower() == "true"

    @property
    def is_leaf(self) -> bool:
        return not self.children


def to_node(elem: etree._Element, *, normalise: bool = False) -> XNode:
    """Copy `elem` and its subtree into an `XNode` (names local; `-` -> `_` when `normalise`)."""
    name = local_name(elem.tag)
    if normalise:
        name = name.replace("-", "_")
    attrs = {local_name(k): v for k, v in elem.attrib.items()}
    node = XNode(name=name, line=elem.sourceline, attrs=attrs, text=elem.text)
    for child in elem:
        if isinstance(child.tag, str):  # skip entity references and other non-elements
            node.children.append(to_node(child, normalise=normalise))
    return node


def _check_doctype(root: etree._Element, path: Path) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.system_url or docinfo.public_id:
        raise UnsafeXMLError(
            "refused: the DOCTYPE points at an external DTD "
            f"({docinfo.system_url or docinfo.public_id!r}); migrator never fetches DTDs",
            file=str(path),
            line=1,
        )
    dtd = docinfo.internalDTD
    if dtd is not None:
        names = [entity.name for entity in dtd.iterentities()]
        if names:
            raise UnsafeXMLError(
                f"refused: the DOCTYPE declares entities ({', '.join(names[:5])}); "
                "entity expansion is never performed on export files",
                file=str(path),
                line=1,
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
        try:
            context = etree.iterparse(str(self.path), events=("start", "end"), **_PARSER_OPTIONS)
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
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if exc.lineno else None
            message = str(exc.msg or exc).split(", line ")[0]
            raise SourceParseError(f"not well-formed XML: {message}", file=str(self.path), line=line) from exc
        except OSError as exc:
            raise SourceParseError(f"cannot read file: {exc.strerror or exc}", file=str(self.path)) from exc


def release(elem: etree._Element) -> None:
    """Free a handled element and the siblings before it, keeping memory flat while streaming."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def sniff_root(path: Path, limit: int = 65536) -> str | None:
    """The root element's local name, read from the first bytes only; None if not XML-looking.

    Used to route a file to its source system and to skip non-XML files with a notice, without
    parsing the whole file. Unsafe documents still fail later, in `XmlStream`.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(limit)
    except OSError:
        return None
    if not head.strip():
        return None
    parser = etree.XMLPullParser(events=("start",), **_PARSER_OPTIONS)
    try:
        parser.feed(head)
        for _event, elem in parser.read_events():
            return local_name(elem.tag)
    except etree.XMLSyntaxError:
        return None
    return None
