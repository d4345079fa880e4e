"""What mappings produce: planned v2 objects, lossy notes and invalid records; and references.

A mapping module turns typed source records into `Planned` objects through a `MapSink`. The sink
is the one seam between mapping code and pydantic: it validates each payload against the v2 create
model and turns a validation failure into an `invalid` plan entry that names the field, so a
payload Harvest would reject never reaches the loader. The sink hands each object on (to the plan
store, which keeps a big export on disk) or, by default, keeps them in lists; lossy notes reach it
through `sink.notes(kind)`, the one way to add one (`migrator.lossy`).

A payload names another planned object by reference, `@kind:source_id` (docs/INTERFACE.md): the planner
and the loader replace it by the v2 id the ledger records. `Ref` is that reference as a value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

from pydantic import ValidationError

from migrator.errors import SourceError
from migrator.harvest.receipts import RECEIPT_LIMIT
from migrator.kinds import REGISTRY
from migrator.lossy import KindNotes, Lossy, Wording
from migrator.sources.record import Origin

Status = Literal["ok", "invalid", "skipped"]


class Ref(NamedTuple):
    """A planned object named by its v2 kind and source id. `str(ref)` is its payload form, written
    here and nowhere else (`@clients:17`); `Ref.parse` is the one parser."""

    kind: str
    source_id: str

    @classmethod
    def parse(cls, value: object) -> Ref | None:
        """`"@clients:17"` -> `Ref("clients", "17")`; anything else -> None."""
        if isinstance(value, str) and value.startswith("@") and ":" in value:
            kind, _, source_id = value[1:].partition(":")
            return cls(kind, source_id)
        return None

    def __str__(self) -> str:
        return f"@{self.kind}:{self.source_id}"


@dataclass(slots=True)
class Planned:
    """One v2 object the source maps to, before comparison with the ledger and target."""

    kind: str
    source_id: str
    payload: dict[str, Any]
    origin: Origin
    status: Status = "ok"
    # Why it is invalid or skipped; on an `ok` one, why it is planned so (the mapping's or the map file's word).
    reason: str | None = None
    after: tuple[str, ...] = ()  # refs that must be loaded first besides those inside the payload
    # The source's own stated figures `verify` compares the target with (an invoice's amount and
    # due as the legacy system computed them, hours as exported), where they may differ from the payload.
    facts: dict[str, Any] | None = None
    # An expense's receipt file (`ReceiptFile.as_dict()`, plus `refused` when it cannot be sent): it
    # travels beside the payload, never inside it, and is uploaded with the expense (multipart).
    receipt: dict[str, Any] | None = None

    @property
    def ref(self) -> str:
        return str(Ref(self.kind, self.source_id))

    @property
    def system(self) -> str:
        return self.origin.system

    def depends_on(self) -> list[str]:
        """Refs to load before this object: those in the payload (its kind's reference fields) plus `after`."""
        seen = dict.fromkeys([*REGISTRY[self.kind].refs(self.payload), *self.after])
        seen.pop(self.ref, None)
        return list(seen)


class PlannedRecord(Protocol):
    """What planning, loading and verifying read of a planned object: a `Planned`, or a row of the
    plan store standing in for one (`StoredPlanned`, which parses its payload only when asked)."""

    kind: str
    source_id: str
    reason: str | None
    after: tuple[str, ...]

    @property
    def status(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def facts(self) -> dict[str, Any] | None: ...
    @property
    def receipt(self) -> dict[str, Any] | None: ...
    @property
    def origin(self) -> Origin: ...
    @property
    def ref(self) -> str: ...
    @property
    def system(self) -> str: ...
    def depends_on(self) -> list[str]: ...


@dataclass(frozen=True)
class MapContext:
    """Choices that change payloads; built at the CLI edge."""

    timestamp_timers: bool = False  # the target company tracks time by start/end
    include_deleted: bool = False  # migrate FreshBooks records from the deleted folder too
    receipt_limit: int = RECEIPT_LIMIT  # bytes: a larger receipt file is not sent (`migrator.harvest.receipts`)


@dataclass
class MapSink:
    """Collects mapping output. Callbacks let the planner stream instead of holding everything."""

    on_planned: Callable[[Planned], object] | None = None
    on_lossy: Callable[[Lossy], None] | None = None
    on_error: Callable[[dict[str, Any]], None] | None = None
    system: str = ""  # the source system being mapped (set by `mappings.map_all`), named in lossy notes
    overrides: Any = None  # the `--map` file (`migrator.overrides.Overrides`), applied to each record
    planned: list[Planned] = field(default_factory=list)
    lossy_notes: list[Lossy] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    _notes: dict[tuple[str, str], KindNotes] = field(default_factory=dict)

    def notes(self, kind: str, wording: Wording | None = None) -> KindNotes:
        """The one way to add a lossy note about `kind` (see `migrator.lossy`); `wording`: how this
        source system words the fields a mapping did not carry over (for `KindNotes.dropped`)."""
        key = (self.system, kind)
        notes = self._notes.get(key)
        if notes is None:
            notes = self._notes[key] = KindNotes(kind, self.system, self._lossy, wording)
        elif wording is not None and notes.wording is None:
            notes.wording = wording
        return notes

    def _lossy(self, note: Lossy) -> None:
        if self.on_lossy is not None:
            self.on_lossy(note)
        else:
            self.lossy_notes.append(note)

    def _error(self, error: dict[str, Any]) -> None:
        if self.on_error is not None:
            self.on_error(error)
        else:
            self.errors.append(error)

    def _put(self, item: Planned) -> Planned:
        if self.overrides is not None:
            item = self.overrides.apply(item)
        if self.on_planned is not None:
            self.on_planned(item)
        else:
            self.planned.append(item)
        return item

    def emit(
        self,
        kind: str,
        source_id: str,
        data: dict[str, Any],
        origin: Origin,
        *,
        after: tuple[str, ...] = (),
        facts: dict[str, Any] | None = None,
        receipt: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> Planned:
        """Validate `data` as a `kind` create payload and plan it (or plan it `invalid`).

        `facts`: the source's own figures for `verify` (see `Planned.facts`); `receipt`: an expense's
        receipt file (see `Planned.receipt`); `reason`: why the mapping planned it so, said on its plan
        entry (an assignment only the history implies)."""
        try:
            payload = REGISTRY[kind].create_model.model_validate(data).body()  # type: ignore[union-attr]
        except ValidationError as exc:
            problem = exc.errors()[0]
            field_name = ".".join(str(part) for part in problem["loc"]) or "payload"
            message = problem["msg"].removeprefix("Value error, ")
            return self.invalid(kind, source_id, origin, f"field '{field_name}': {message}", data=data)
        return self._put(
            Planned(kind, source_id, payload, origin, reason=reason, after=after, facts=facts, receipt=receipt)
        )

    def invalid(
        self,
        kind: str,
        source_id: str,
        origin: Origin,
        reason: str,
        *,
        data: dict[str, Any] | None = None,
        facts: dict[str, Any] | None = None,
    ) -> Planned:
        """Plan a record that cannot be loaded; the reason also goes to the report's errors
        (unless the map file skips it: deliberately left out, it is no error)."""
        planned = self._put(
            Planned(kind, source_id, dict(data or {}), origin, status="invalid", reason=reason, facts=facts)
        )
        if planned.status == "invalid":
            self._error(
                {
                    "file": origin.file,
                    "line": origin.line,
                    "kind": kind,
                    "source_id": source_id,
                    "message": f"{origin.where()} {origin.resource} {origin.source_id}: {reason}",
                }
            )
        return planned

    def invalid_source(self, kind: str, error: SourceError) -> Planned:
        """A source record that failed typing becomes an invalid plan entry for `kind`."""
        origin = Origin(self.system, error.resource or "", error.record_id or "?", error.file or "", error.line)
        reason = error.describe()
        planned = self._put(Planned(kind, error.record_id or "?", {}, origin, status="invalid", reason=reason))
        if planned.status == "invalid":
            self._error(error.as_dict() | {"kind": kind})
        return planned

    def skip(
        self, kind: str, source_id: str, origin: Origin, reason: str, *, data: dict[str, Any] | None = None
    ) -> Planned:
        """Plan a record deliberately not migrated; the reason is recorded as a lossy note."""
        self.notes(kind).note(source_id, "*", reason, severity="data")
        return self._put(Planned(kind, source_id, dict(data or {}), origin, status="skipped", reason=reason))

    def left_out(self, kind: str, source_id: str, origin: Origin, reason: str) -> Planned:
        """Plan a record left out on purpose by the user (the map file), not for lack of a v2 place."""
        return self._put(Planned(kind, source_id, {}, origin, status="skipped", reason=reason))
