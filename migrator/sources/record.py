"""What a source reader produces: raw records with their origin, and the typed-record base.

Readers stay thin: they turn each XML record into a `RawRecord` (text values, nested lists for
nested elements) and hand it to the staging store. Typing happens once, when a record is read back
for mapping, through the pydantic model registered for its resource: coercion is per field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from migrator.errors import SourceError


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record came from: every report line about it points here."""

    system: str
    resource: str
    source_id: str
    file: str
    line: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line}

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(slots=True)
class RawRecord:
    """One record as read: untyped values, ready for merging.

    `detail` marks a record from a single-record (`.get`-style) body, which supersedes a list
    summary of the same id. `parent` is an optional grouping key (an invoice id for a payment, a
    client id for a contact) so mappings can fetch children without scanning.
    """

    resource: str
    id: str
    fields: dict[str, Any]
    file: str
    line: int | None
    detail: bool = False
    updated_at: str | None = None
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class SourceWarning:
    """Something a user should know that is neither an error nor a lossy mapping."""

    file: str
    line: int | None
    message: str
    resource: str | None = None
    record_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "line": self.line, "message": self.message}
        if self.resource:
            out["resource"] = self.resource
        if self.record_id:
            out["source_id"] = self.record_id
        return out


class SourceRecord(BaseModel):
    """Base of every typed source record: an id, its origin, unknown fields kept as a sidecar."""

    model_config = ConfigDict(frozen=True, extra="ignore", arbitrary_types_allowed=True)

    resource: ClassVar[str] = ""
    id: str
    origin: Origin
    extras: dict[str, Any] = {}


def type_record(model: type[SourceRecord], raw: RawRecord, system: str) -> SourceRecord:
    """Validate a raw record into its typed model; a bad field becomes a located `SourceError`."""
    origin = Origin(system, raw.resource, raw.id, raw.file, raw.line)
    known = model.model_fields
    data = {key: value for key, value in raw.fields.items() if key in known}
    # Fields the model does not know are kept, raw, so mappings can report them as lossy.
    data["extras"] = {key: value for key, value in raw.fields.items() if key not in known and value is not None}
    data["id"] = raw.id
    data["origin"] = origin
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise SourceError(
            message, file=raw.file, line=raw.line, resource=raw.resource, record_id=raw.id, field=field_name
        ) from exc


class Emit(Protocol):
    def __call__(self, record: RawRecord) -> None: ...


class SourceReader(Protocol):
    """One per source system: recognises its files and streams their records out."""

    system: ClassVar[str]
    models: ClassVar[dict[str, type[SourceRecord]]]

    def claims(self, root_name: str) -> bool:
        """True when a document whose root element is `root_name` belongs to this system."""
        ...

    def claims_head(self, head: Any) -> bool:
        """True when a document with this head (`xmlsafe.Head`: root name and attributes) belongs here."""
        ...

    def read(self, path: Any, emit: Emit, warn: Callable[[SourceWarning], None]) -> None:
        """Stream every record of `path` to `emit`; raise `SourceError` for a bad file."""
        ...

    def finish(self) -> list[SourceError]:
        """Checks that need every file (e.g. a missing list page); called once after the last file."""
        ...

    def discard(self, file: str) -> None:
        """Forget what `file` told the reader (it failed part-way and contributes nothing)."""
        ...


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    system: str | None = None
    records: int = 0
    skipped: str | None = None
    error: SourceError | None = None
    resources: set[str] = field(default_factory=set)
