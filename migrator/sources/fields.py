"""One record element -> its raw `fields` dict: the loop both source systems share (the reader's hot path).

Every record of a million-entry export passes through `FieldReader.children`, so it reads the lxml
element directly (an intermediate node tree cost ~25 us per record, nearly half the whole read) and
handles the common child, a plain leaf with text, inline. What differs between the systems is small
and declared by a subclass: how a tag becomes a field name, what a leaf without text is worth, which
attribute or names need a closer look, and the value of everything that is not a plain leaf.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Final

from lxml import etree

OMIT: Final = object()  # `FieldReader.value` returns it for an element it dropped or filed under another name

_MAX_CACHED_TAGS = 10_000  # a hostile file with endless distinct tags must not grow the name cache forever


class FieldReader:
    """The fields of one source system's record elements (subclass per system; see the module docstring)."""

    # A leaf carrying this attribute goes to `value` (Harvest v1 `nil`, FreshBooks `deprecated`).
    marker: ClassVar[str]
    # Names whose elements always go to `value`, even as plain leaves.
    special: ClassVar[frozenset[str]] = frozenset()
    # A nested element met again turns its field into the list of every occurrence (later ones of
    # that name, leaves too, join the list); otherwise the last one wins.
    repeats_make_lists: ClassVar[bool] = False

    def __init__(self) -> None:
        self._names: dict[object, str] = {}  # raw tag -> field name; a few hundred distinct tags per export
        # What `children` needs, fetched once: it runs for every record and nested element.
        self._loop = (self._names, self.name, self.value, self.marker, self.special, self.blank)

    def spell(self, local: str) -> str:
        """A tag's local name (namespace removed) as a field name."""
        return local

    def blank(self, elem: etree._Element, text: str | None) -> Any:
        """The value of a plain leaf whose text is None, empty or whitespace."""
        return None

    def value(self, out: dict[str, Any], name: str, elem: etree._Element) -> Any:
        """The value of `elem` when it is not a plain leaf (it is nested, marked or special); `OMIT`
        when the element is dropped or already put in `out` under another name."""
        raise NotImplementedError

    def name(self, tag: object) -> str:
        """`{ns}due-at` -> the system's field name, cached (the same few tags repeat on every record);
        "" for what is not an element (comments and processing instructions are removed by the parser;
        belt and braces)."""
        name = self._names.get(tag)
        if name is None:
            name = self.spell(tag.rsplit("}", 1)[-1]) if isinstance(tag, str) else ""
            # Special names stay out of the cache: `children` takes a cache miss as "look closer".
            if name and name not in self.special and len(self._names) < _MAX_CACHED_TAGS:
                self._names[tag] = name
        return name

    def children(self, elem: Iterable[etree._Element]) -> dict[str, Any]:
        """The named children of `elem` (an element or a list of elements) as a dict of raw values."""
        out: dict[str, Any] = {}
        lists: set[str] | None = None  # fields a repeated nested element turned into lists
        names, name_of, value_of, marker, special, blank = self._loop
        for child in elem:
            name = names.get(child.tag)
            if name is not None and not len(child) and child.get(marker) is None:
                # The common leaf, inlined: this runs for nearly every field of every record.
                text = child.text
                if lists is None:
                    out[name] = text if text and not text.isspace() else blank(child, text)
                    continue
                value = text if text and not text.isspace() else blank(child, text)
                nested = False
            else:  # a tag not cached yet, a special name, not an element, a nested or a marked element
                if name is None:
                    name = name_of(child.tag)
                    if not name:
                        continue
                nested = len(child) > 0
                if nested or child.get(marker) is not None or name in special:
                    value = value_of(out, name, child)
                    if value is OMIT:
                        continue
                else:
                    text = child.text
                    value = text if text and not text.isspace() else blank(child, text)
            if lists is not None and name in lists:
                out[name].append(value)
            elif nested and name in out and self.repeats_make_lists:
                out[name] = [out[name], value]
                lists = lists or set()
                lists.add(name)
            else:
                out[name] = value
        return out

    record = children  # a system may answer something else for a record element with no fields
