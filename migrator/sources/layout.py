"""Where records sit in one document: the vocabulary a source system's reader uses to describe its bodies.

Both systems write a record as an element of a known name, and put it in one of three places: the
root itself (`<client>`), straight under the root (`<clients type="array"><client>`, a FreshBooks
`client.get` answer `<response><client>`), or inside a list element under the root (`<response>
<clients page=…><client>`, `/daily`'s `<daily><day_entries><day_entry>`). A `Layout` says which,
for the document at hand; the skeleton in `sources.reader` does the reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Records:
    """Record elements of one resource: their names, and how each is keyed."""

    resource: str
    names: frozenset[str]  # element names (as the system's `FieldReader.name` spells them)
    id_field: str
    parent_field: str | None = None  # a grouping key (`RawRecord.parent`): a payment's invoice
    detail: bool = False  # from a single-record body: supersedes a list summary of the same id
    renames: tuple[tuple[str, str], ...] = ()  # (wire name, the name the model uses)


@dataclass(frozen=True, slots=True)
class Layout:
    """The records of one document and what else it may hold (decided at its root)."""

    resource: str | None = None  # what the body is about, for notices
    root: Records | None = None  # the root element is one record
    # The root is a list of records. With `root` as well, the root's first child decides: one of
    # these names makes the root a list (the buggy `<invoice-message type="array">` list root).
    root_list: Records | None = None
    lists: Mapping[str, Records] = field(default_factory=dict)  # list elements under the root, by name
    singles: Mapping[str, Records] = field(default_factory=dict)  # single records under the root, by name
    quiet: frozenset[str] = frozenset()  # other children of the root that are not worth a notice

    @property
    def record_depth(self) -> int:
        """The deepest level that holds records: deeper events are never looked at one by one."""
        if self.lists:
            return 2
        return 1 if self.root_list is not None or self.singles else 0

    @property
    def scanned(self) -> list[Records]:
        """What a list scan looks for: the root list's records, or every list's."""
        return [self.root_list] if self.root_list is not None else list(self.lists.values())
