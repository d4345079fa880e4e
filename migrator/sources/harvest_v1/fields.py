"""How Harvest v1 writes a record's fields (research §2); the loop itself is `sources.fields.FieldReader`.

Names lose their namespace and `-` becomes `_` (REST is dash-case, `/daily` snake_case); `nil="true"`
is None whatever the content; a leaf is its text, `""` when empty (empty is not nil in v1);
`type="array"` is a list; another nested element is a dict, and a repeated nested element a list of
dicts; a repeated leaf keeps its last value (doc samples repeat `created-at`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from lxml import etree

from migrator.sources.fields import FieldReader


class HarvestV1Fields(FieldReader):
    marker: ClassVar[str] = "nil"
    repeats_make_lists: ClassVar[bool] = True

    def spell(self, local: str) -> str:
        return local.replace("-", "_")

    def blank(self, elem: etree._Element, text: str | None) -> Any:
        if text == "":  # an empty CDATA section is text (a typed empty array is written without one)
            return text
        return [] if elem.get("type") == "array" else (text or "")

    def value(self, out: dict[str, Any], name: str, elem: etree._Element) -> Any:
        nil = elem.get("nil")
        if nil is not None and nil.strip().lower() == "true":
            return None  # `nil="true"` wins over any content (Rails writes `<x nil="true">0</x>` in places)
        if elem.get("type") == "array":  # its items' values (`out` and `name` play no part in a v1 value)
            return [self.value(out, name, child) for child in elem if self.name(child.tag)]
        if len(elem) == 0:
            text = elem.text
            return text if text is not None else ""
        return self.children(elem)
