"""One v1 record element -> its raw `fields` dict (the reader's hot path).

Rules (research §2): names lose their namespace and `-` becomes `_`; `nil="true"` is None whatever
the content; a leaf is its text, `""` when empty (empty is not nil in v1); `type="array"` is a
list; another nested element is a dict, and a repeated nested element a list of dicts; a repeated
leaf keeps its last value (doc samples repeat `created-at`).

This reads the lxml element directly instead of going through `xmlsafe.to_node`: on a million-entry
export the intermediate `XNode` tree cost ~25 us per record, nearly half of the whole read, for
the same result.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

_NAMES: dict[str, str] = {}  # raw tag -> normalised name; v1 has a few hundred distinct tags


def field_name(tag: object) -> str:
    """`{ns}due-at` -> `due_at` (cached: the same few tags repeat on every record); "" for a non-element."""
    if not isinstance(tag, str):
        return ""  # comments and processing instructions are removed by the parser; belt and braces
    name = _NAMES.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1].replace("-", "_")
        if len(_NAMES) < 10_000:  # a hostile file with endless distinct tags must not grow it forever
            _NAMES[tag] = name
    return name


def _is_nil(elem: etree._Element) -> bool:
    nil = elem.get("nil")
    return nil is not None and nil.strip().lower() == "true"


def flatten(elem: etree._Element) -> dict[str, Any]:
    """A record element's children as a dict of raw values (see the module docstring)."""
    out: dict[str, Any] = {}
    repeated: set[str] | None = None
    names = _NAMES
    for child in elem:
        tag = child.tag
        name = names.get(tag) or field_name(tag)  # type: ignore[arg-type]
        if not name:
            continue
        nested = len(child) > 0
        if nested or child.get("nil") is not None:
            value: Any = value_of(child)
        else:
            # The common leaf, inlined: this runs ~13 times per record. An empty array is the
            # only leaf whose `type` matters, and it has no text (or only whitespace).
            value = text = child.text
            if text is None or text.isspace():
                value = [] if child.get("type") == "array" else (text or "")
        if repeated is not None and name in repeated:
            out[name].append(value)
        elif nested and name in out:
            out[name] = [out[name], value]
            repeated = repeated or set()
            repeated.add(name)
        else:
            out[name] = value
    return out


def value_of(elem: etree._Element) -> Any:
    """The raw value of one element (None, text, list or dict)."""
    if _is_nil(elem):
        return None
    if elem.get("type") == "array":
        return [value_of(child) for child in elem if field_name(child.tag)]
    if len(elem) == 0:
        text = elem.text
        return text if text is not None else ""
    return flatten(elem)
