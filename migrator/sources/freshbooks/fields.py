"""How FreshBooks Classic writes a record's fields; the loop itself is `sources.fields.FieldReader`.

Names are matched without their namespace; every value is text, and an empty element means "not
set" (None). Elements marked `deprecated` are dropped. Containers whose children repeat (`<lines>`,
`<contacts>`, `<tasks>`, `<staff>`, `<credits>`) are lists even with one child (ruby-freshbooks #8),
and the 2015 docs' `<contacts>` holding a contact's fields directly is a one-contact list. A
`<credit currency=…>` beside the fields (the older client layout) is collected under `credits`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lxml import etree

from migrator.sources.fields import OMIT, FieldReader

# Containers whose children repeat: container -> child.
CONTAINERS: dict[str, str] = {
    "contacts": "contact",
    "lines": "line",
    "tasks": "task",
    "staff": "staff",
    "credits": "credit",
}


class FreshBooksFields(FieldReader):
    marker: ClassVar[str] = "deprecated"
    special: ClassVar[frozenset[str]] = frozenset({"credit"})

    def value(self, out: dict[str, Any], name: str, elem: etree._Element) -> Any:
        if elem.get("deprecated") is not None:
            return OMIT
        if name == "credit" and elem.get("currency"):
            credits = out.get("credits")
            if not isinstance(credits, list):  # beside a `<credits>` that is text or mixed: keep both
                credits = out["credits"] = [] if credits is None else [credits]
            credits.append({"currency": elem.get("currency"), "amount": self.flatten(elem)})
            return OMIT
        return self.flatten(elem)

    def flatten(self, elem: etree._Element) -> Any:
        """Element -> text (None when empty) or nested dict/list; deprecated elements are dropped."""
        repeated = CONTAINERS.get(self.name(elem.tag))
        if repeated is not None:
            return self._container(elem, repeated)
        out = self.children(elem)
        if not out and not self._kept(elem):
            text = elem.text
            return text if text and not text.isspace() else None
        return out

    record = flatten  # a record with no fields is its text (or None): the reader skips it as empty

    def _kept(self, elem: etree._Element) -> list[etree._Element]:
        """Child elements that count (not deprecated)."""
        return [child for child in elem if self.name(child.tag) and child.get("deprecated") is None]

    def _container(self, elem: etree._Element, repeated: str) -> Any:
        """`<contacts>`, `<lines>`, `<tasks>`…: a list even with one child (ruby-freshbooks #8)."""
        children = self._kept(elem)
        if not children:
            text = elem.text
            return text if text and not text.isspace() else None
        names = {self.name(child.tag) for child in children}
        if names == {repeated}:
            return [self.flatten(child) for child in children]
        if repeated == "contact" and repeated not in names:  # the 2015 docs: a contact's fields directly inside
            return [{self.name(child.tag): self.flatten(child) for child in children}]
        return self.children(children)
