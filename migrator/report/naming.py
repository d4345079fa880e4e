"""How reports name things for people: plain values, objects by their names, short file paths.

- A diff shows `100.0 -> 105.5` and `'Old' -> 'New'`, never `Decimal('100.0')`.
- A reference (`@projects:901`) reads as the object's own label ("Website Redesign"), looked up in
  the plan store once and remembered.
- A file is shown relative to the source folder(s) given on the command line, so a plan line stays
  readable however deep the export lies.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from migrator import jsonio
from migrator.kinds import REGISTRY, describe
from migrator.planned import Ref


def plain(value: Any) -> str:
    """A value as a person reads it in a diff."""
    if isinstance(value, Decimal):
        return jsonio.decimal_text(value)
    if isinstance(value, str):
        return repr(value)
    return jsonio.dumps(value)


def plural(count: int, noun: str) -> str:
    """`1 file`, `2 files` (nouns whose plural adds an s)."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def clip(text: str, width: int) -> str:
    """At most `width` characters, cut at a word with `…` (never mid-word when a word boundary is near)."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space >= width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:–-") + "…"


class Namer:
    """References -> the labels of the objects they name, within one source system."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._known: dict[tuple[str, str], str] = {}

    def for_system(self, system: str) -> Any:
        def name(value: Any) -> str:
            ref = Ref.parse(value)
            if ref is None:
                return str(value)
            key = (system, str(ref))
            if key not in self._known:
                planned = self.store.find(system, ref.kind, ref.source_id)
                label = _short(ref.kind, planned.payload, name) if planned is not None else ""
                self._known[key] = label or f"{ref.kind} {ref.source_id}"
            return self._known[key]

        return name


class ShortPaths:
    """File paths relative to the source folders given (their common parent when several)."""

    def __init__(self, sources: Iterable[Path]) -> None:
        folders = [str(path if path.is_dir() else path.parent) for path in sources]
        if len({os.path.isabs(folder) for folder in folders}) > 1:
            folders = [os.path.abspath(folder) for folder in folders]  # one absolute, one relative: compare alike
        try:
            self.base = os.path.commonpath(folders) if folders else ""
        except ValueError:  # folders on two drives (Windows): no common parent
            self.base = ""

    def show(self, file: str) -> str:
        if not self.base or not file:
            return file
        try:
            shown = os.path.relpath(file, self.base)
        except ValueError:  # another drive (Windows)
            return file
        return file if shown.startswith("..") else shown

    def where(self, origin: Any) -> str:
        file = self.show(origin.file)
        return f"{file}:{origin.line}" if origin.line is not None else file

    def text(self, message: str) -> str:
        """A warning with every path under the source folders shortened, as plan lines show them."""
        if not self.base or self.base == os.sep:
            return message
        return message.replace(self.base.rstrip(os.sep) + os.sep, "")


def _short(kind: str, payload: dict[str, Any], name: Callable[[Any], str]) -> str:
    """A name to show inside another object's label: a person without their email; what it names
    by name too (an archive step's assignment reads "Data Pipeline ← Cleo Baptiste")."""
    title = REGISTRY[kind].title
    return title(payload) if title is not None else describe(kind, payload, name)
