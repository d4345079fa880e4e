"""Lossy notes: every value a mapping could not carry over exactly, said once, with what it touches.

A mapping adds a note one way, through the `KindNotes` of its kind (`sink.notes(kind)`):

- `note(source_id, field, text, severity=…)`: one record's value had no v2 place, or had to change;
- `once(field, text, severity=…)`: the same for every record of the kind (bookkeeping present on
  every record, values Harvest derives itself), said once per export so a report of 100,000 entries
  stays readable;
- `dropped(record, used=…)`: every field the record carried and the mapping did not use, worded as
  its source system words them (`Wording`), the fields this migrator does not know included.

The severity is declared where the note is made, never guessed from its text: `money` (an amount
will differ from what the source states), `hours` (logged time will), `data` (a value is not carried
over) or `cosmetic` (spelling, line breaks, values Harvest derives itself). Reports list money first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from migrator.sources.record import SourceRecord

Severity = Literal["money", "hours", "data", "cosmetic"]
SEVERITIES: tuple[Severity, ...] = ("money", "hours", "data", "cosmetic")  # a reviewer's order
UNKNOWN_FIELDS_NOTED = 25  # per record; beyond, one note lists the rest by name (a hostile record has thousands)
_NOT_FIELDS = frozenset({"id", "origin", "extras"})


@dataclass(frozen=True, slots=True)
class Lossy:
    """A value that could not be carried over exactly (docs/INTERFACE.md `lossy` entries)."""

    kind: str
    source_id: str
    field: str
    note: str
    system: str = ""
    severity: Severity = "data"

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "source_id": self.source_id,
            "field": self.field,
            "note": self.note,
            "system": self.system,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class Reason:
    """A note's text with its severity, for tables of notes (`{"due_amount": Reason("…", "cosmetic")}`);
    a plain string in such a table is a `data` note."""

    text: str
    severity: Severity = "data"


def _reason(value: str | Reason) -> Reason:
    return value if isinstance(value, Reason) else Reason(value)


@dataclass(frozen=True)
class Wording:
    """How one source system words the notes on fields a mapping did not carry over.

    `no_place(value, why)`: a known field without a v2 place (`why`: the mapping's reason, if it gave
    one); `unknown(value)`: a field this migrator does not know; `bookkeeping`: fields present on every
    record, each said once per kind; `worth(name, value)`: whether a field's value is worth a note at
    all; `declared_order`: fields in the model's order (else by name).
    """

    no_place: Callable[[Any, str | None], str]
    unknown: Callable[[Any], str]
    bookkeeping: Mapping[str, Reason]
    worth: Callable[[str, Any], bool]
    declared_order: bool


_ORDERS: dict[type, dict[str, int]] = {}


def _declared(model: type[SourceRecord]) -> dict[str, int]:
    order = _ORDERS.get(model)
    if order is None:
        order = _ORDERS[model] = {name: index for index, name in enumerate(model.model_fields)}
    return order


class KindNotes:
    """The lossy notes of one v2 kind in one export (see the module docstring). `emit` takes each note
    (the sink's); `once` notes are unique per kind and export."""

    def __init__(self, kind: str, system: str, emit: Callable[[Lossy], None], wording: Wording | None) -> None:
        self.kind = kind
        self.system = system
        self._emit = emit
        self.wording = wording
        self._seen: set[tuple[str, str]] = set()

    def note(self, source_id: str, field: str, text: str, *, severity: Severity) -> None:
        """One record's value that v2 cannot hold, or that had to change."""
        self._emit(Lossy(self.kind, source_id, field, text, self.system, severity))

    def once(self, field: str, text: str, *, severity: Severity, key: str = "") -> None:
        """A note said once for the kind (source id "*"); `key` tells distinct values of a field apart."""
        if (field, key) not in self._seen:
            self._seen.add((field, key))
            self._emit(Lossy(self.kind, "*", field, text, self.system, severity))

    def dropped(
        self,
        record: SourceRecord,
        *,
        used: Iterable[str],
        once: Mapping[str, str | Reason] | None = None,
        why: Mapping[str, str | Reason] | None = None,
    ) -> None:
        """A note for every field `record` carried with a value that the mapping did not `use`.

        `once`: fields said once per kind (derived values, preferences), with their note; `why`: the
        mapping's reason for a field, said per record (else the system's own "no v2 field").
        """
        wording = self.wording
        assert wording is not None, f"{self.kind}: dropped fields need the source system's wording"
        used_set = used if isinstance(used, (set, frozenset)) else set(used)
        # Only fields the export carried can hold a value (`type_record` passes just those): on the hot
        # path (time entries) that is nothing at all, so nothing is sorted or looked up.
        left = record.model_fields_set - used_set - _NOT_FIELDS
        if not left and not record.extras:
            return
        order = _declared(type(record))
        names = sorted(left, key=order.__getitem__) if wording.declared_order else sorted(left)
        for name in names:
            self._field(record, name, getattr(record, name), wording, once or {}, why or {}, known=True)
        extras = list(record.extras.items())
        for name, value in extras[:UNKNOWN_FIELDS_NOTED]:
            if name not in used_set:  # a field the model does not declare that the mapping read anyway
                self._field(record, name, value, wording, {}, {}, known=False)
        rest = [name for name, _value in extras[UNKNOWN_FIELDS_NOTED:]]
        if rest:
            shown = ", ".join(rest[:10]) + (", …" if len(rest) > 10 else "")
            text = f"{len(rest)} more fields this migrator does not know; not migrated: {shown}"
            self.note(record.id, rest[0], text, severity="data")

    def _field(
        self,
        record: SourceRecord,
        name: str,
        value: Any,
        wording: Wording,
        once: Mapping[str, str | Reason],
        why: Mapping[str, str | Reason],
        *,
        known: bool,
    ) -> None:
        if not wording.worth(name, value):
            return
        if name in wording.bookkeeping or name in once:
            said = wording.bookkeeping.get(name) or _reason(once[name])
            self.once(name, said.text, severity=said.severity)
        elif not known:
            self.note(record.id, name, wording.unknown(value), severity="data")
        elif name in why:
            reason = _reason(why[name])
            self.note(record.id, name, wording.no_place(value, reason.text), severity=reason.severity)
        else:
            self.note(record.id, name, wording.no_place(value, None), severity="data")
