"""The `--map` overrides file: what a person migrating a real account must be able to say.

    [people]              # a source person -> the email of the target user who is that person
    "harvest-v1:users:501003" = "priya.nair@newco.example"   # adopted by that email, never invited
    "old.address@acme.example" = "new.address@acme.example"  # or keyed by the source email

    [rename]              # the v2 name a source record gets (clients, tasks, projects, expense_categories)
    "freshbooks:tasks:7" = "Design"                          # two records renamed alike become one object

    [skip]                # not migrated, nor anything that depends on them
    records = ["harvest-v1:clients:3401004"]
    kinds = ["expenses"]

    [only]                # a pilot or a cut-over window
    since = 2015-01-01    # dated records (time entries, expenses, invoices, estimates, payments) on or after
    until = 2015-12-31    # ... and on or before
    clients = ["harvest-v1:clients:3401001"]   # these clients and everything that depends on them

Records are named `SYSTEM:KIND:SOURCE_ID` (docs/INTERFACE.md). The file is read and checked before
anything else happens: an unknown table or key, a bad value, or a record the source does not have
is one error naming the file and the key. Rules apply as records are mapped (people, rename, skip,
dates: `apply`) and, for a pilot's clients, over the mapped plan (`restrict`). Every record a rule
changed says so in the plan.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.errors import MapFileError
from migrator.kinds import KINDS, REGISTRY, load_order
from migrator.planned import Planned, Ref
from migrator.systems import NAMES

SYSTEMS = NAMES  # the source systems a record name may start with
RENAMABLE = tuple(kind for kind in KINDS if REGISTRY[kind].renamable)
_NAME = re.compile(r"^(?P<system>[a-z0-9-]+):(?P<kind>[a-z_]+):(?P<id>.+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_TABLES = {"people": None, "rename": None, "skip": {"records", "kinds"}, "only": {"since", "until", "clients"}}


def record_name(system: str, kind: str, source_id: str) -> str:
    """`harvest-v1:users:501003`."""
    return f"{system}:{kind}:{source_id.lstrip('0') or '0'}"


@dataclass(frozen=True)
class Overrides:
    """A parsed and checked `--map` file."""

    path: Path
    people: dict[str, str] = field(default_factory=dict)  # record name -> target email
    people_by_email: dict[str, str] = field(default_factory=dict)  # source email (casefolded) -> target email
    rename: dict[str, str] = field(default_factory=dict)  # record name -> v2 name
    skip_records: frozenset[str] = frozenset()
    skip_kinds: frozenset[str] = frozenset()
    since: dt.date | None = None
    until: dt.date | None = None
    clients: frozenset[str] = frozenset()
    seen_emails: set[str] = field(default_factory=set)  # the source people's own emails, as mapped
    pinned: set[str] = field(default_factory=set)  # record names of the people the file maps

    # --- reading ---------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> Overrides:
        """Read and check `path` (MapFileError naming the file and the key)."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise MapFileError(f"map file {path}: cannot read it: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise MapFileError(f"map file {path}: not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise MapFileError(_toml_error(path, exc)) from exc
        return cls._parse(path, data)

    @classmethod
    def _parse(cls, path: Path, data: dict[str, Any]) -> Overrides:
        def fail(key: str, why: str) -> MapFileError:
            return MapFileError(f"map file {path}: {key}: {why}")

        for table, value in data.items():
            if table not in _TABLES:
                raise fail(f"[{table}]", f"unknown table (the map knows {', '.join(f'[{t}]' for t in _TABLES)})")
            if not isinstance(value, dict):
                raise fail(table, "must be a table, [" + table + "]")
            allowed = _TABLES[table]
            for key in value:
                if allowed is not None and key not in allowed:
                    raise fail(f"[{table}] {key}", f"unknown key (the table knows {', '.join(sorted(allowed))})")
        people, by_email = cls._people(data.get("people", {}), fail)
        rename = cls._rename(data.get("rename", {}), fail)
        skip = data.get("skip", {})
        only = data.get("only", {})
        skip_records = frozenset(cls._names(skip.get("records", []), "[skip] records", fail))
        skip_kinds = cls._kinds(skip.get("kinds", []), fail)
        clients = frozenset(cls._names(only.get("clients", []), "[only] clients", fail, kind="clients"))
        since, until = (cls._date(only.get(name), f"[only] {name}", fail) for name in ("since", "until"))
        if since and until and since > until:
            raise fail("[only] since", f"{since} is after until {until}: the window holds no day")
        return cls(path, people, by_email, rename, skip_records, skip_kinds, since, until, clients)

    @staticmethod
    def _people(table: dict[str, Any], fail: Any) -> tuple[dict[str, str], dict[str, str]]:
        people: dict[str, str] = {}
        by_email: dict[str, str] = {}
        for key, value in table.items():
            where = f'[people] "{key}"'
            if not isinstance(value, str) or not _EMAIL.match(value.strip()):
                raise fail(where, f"{value!r} is not an email address")
            if _NAME.match(key):
                Overrides._check_name(key, where, fail, kind="users")
                people[Overrides._normal(key)] = value.strip()
            elif _EMAIL.match(key):
                by_email[key.strip().casefold()] = value.strip()
            else:
                raise fail(where, "neither a record name (SYSTEM:users:ID) nor an email address")
        return people, by_email

    @staticmethod
    def _rename(table: dict[str, Any], fail: Any) -> dict[str, str]:
        rename: dict[str, str] = {}
        for key, value in table.items():
            where = f'[rename] "{key}"'
            kind = Overrides._check_name(key, where, fail)
            if kind not in RENAMABLE:
                raise fail(where, f"{kind} cannot be renamed (only {', '.join(RENAMABLE)})")
            if not isinstance(value, str) or not value.strip():
                raise fail(where, f"{value!r} is not a name")
            rename[Overrides._normal(key)] = value.strip()
        return rename

    @staticmethod
    def _names(value: Any, where: str, fail: Any, *, kind: str | None = None) -> list[str]:
        if not isinstance(value, list):
            raise fail(where, 'must be a list of record names, e.g. ["harvest-v1:clients:42"]')
        names = []
        for item in value:
            if not isinstance(item, str):
                raise fail(where, f"{item!r} is not a record name")
            Overrides._check_name(item, where, fail, kind=kind)
            names.append(Overrides._normal(item))
        return names

    @staticmethod
    def _kinds(value: Any, fail: Any) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail("[skip] kinds", 'must be a list of kinds, e.g. ["expenses"]')
        unknown = [item for item in value if item not in KINDS]
        if unknown:
            raise fail("[skip] kinds", f"unknown kind {unknown[0]!r} (kinds: {', '.join(KINDS)})")
        return frozenset(value)

    @staticmethod
    def _date(value: Any, where: str, fail: Any) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise fail(where, f"{value!r} is not a date (write it as 2015-01-01, without quotes)")
        return value

    @staticmethod
    def _check_name(name: str, where: str, fail: Any, *, kind: str | None = None) -> str:
        found = _NAME.match(name)
        if not found:
            raise fail(where, f"{name!r} is not a record name SYSTEM:KIND:SOURCE_ID")
        if found["system"] not in SYSTEMS:
            raise fail(where, f"{name!r}: unknown system {found['system']!r} (systems: {', '.join(SYSTEMS)})")
        if found["kind"] not in KINDS:
            raise fail(where, f"{name!r}: unknown kind {found['kind']!r}")
        if kind is not None and found["kind"] != kind:
            raise fail(where, f"{name!r} is not one of the {kind}")
        return found["kind"]

    @staticmethod
    def _normal(name: str) -> str:
        found = _NAME.match(name)
        assert found is not None
        return record_name(found["system"], found["kind"], found["id"])

    # --- checking names against the source -------------------------------------------------------

    def named(self) -> Iterable[tuple[str, str]]:
        """(key as written in the file, record name) of every record the file names."""
        for name in self.people:
            yield f'[people] "{name}"', name
        for name in self.rename:
            yield f'[rename] "{name}"', name
        for name in sorted(self.skip_records):
            yield "[skip] records", name
        for name in sorted(self.clients):
            yield "[only] clients", name

    def check_source(self, has: Any) -> None:
        """Refuse a record name the source does not have (`has(system, kind, source_id)`) or a source
        email no source person has (once the records were mapped through `apply`)."""
        for key, name in self.named():
            system, kind, source_id = name.split(":", 2)
            if not has(system, kind, source_id):
                raise MapFileError(f"map file {self.path}: {key}: {name} is not in the source")
        for email in self.people_by_email:
            if email not in self.seen_emails:
                raise MapFileError(f'map file {self.path}: [people] "{email}": no source person has this email')

    # --- applying --------------------------------------------------------------------------------

    def apply(self, planned: Planned) -> Planned:
        """A mapped record as the map file says: renamed, mapped to a person, or skipped."""
        name = record_name(planned.origin.system, planned.kind, planned.source_id)
        why = self._skip(planned, name)
        if why is not None:
            planned.status, planned.reason = "skipped", why
            return planned
        if planned.status != "ok":
            return planned
        if name in self.rename:
            old, new = planned.payload.get("name"), self.rename[name]
            planned.payload = planned.payload | {"name": new}
            planned.reason = f"renamed by the map file: {old!r} -> {new!r}"
        if REGISTRY[planned.kind].invites:  # a person: the map may say who they are in the target
            self.seen_emails.add(str(planned.payload.get("email") or "").strip().casefold())
            email = self.person(planned)
            if email is not None:
                self.pinned.add(name)
                old = planned.payload.get("email")
                planned.payload = planned.payload | {"email": email}
                planned.reason = f"mapped by the map file: {old} is {email} in the target (adopted, never invited)"
        return planned

    def names_person(self, planned: Any) -> bool:
        """Does the file say who this (mapped) source person is in the target?"""
        return record_name(planned.system, planned.kind, planned.source_id) in self.pinned

    def person(self, planned: Planned) -> str | None:
        """The target email the map gives a source person, if any (a person the file names twice,
        by record and by email, with two different addresses is a `MapFileError`)."""
        name = record_name(planned.origin.system, planned.kind, planned.source_id)
        email = str(planned.payload.get("email") or "").strip().casefold()
        by_name, by_email = self.people.get(name), self.people_by_email.get(email) if email else None
        if by_name and by_email and by_name.casefold() != by_email.casefold():
            raise MapFileError(
                f'map file {self.path}: [people] "{name}" and "{email}" are the same person, mapped to two '
                f"addresses ({by_name} and {by_email}): keep one"
            )
        return by_name or by_email

    def _skip(self, planned: Planned, name: str) -> str | None:
        if name in self.skip_records:
            return f"skipped by the map file {self.path.name} ([skip] records)"
        if planned.kind in self.skip_kinds:
            return f"skipped by the map file {self.path.name} ([skip] kinds: {planned.kind})"
        field_name = REGISTRY[planned.kind].dated
        if field_name and (self.since or self.until) and planned.status == "ok":
            day = _day(planned.payload.get(field_name))
            if day is not None and ((self.since and day < self.since) or (self.until and day > self.until)):
                window = f"{self.since or '…'} to {self.until or '…'}"
                return f"outside the window of the map file {self.path.name} ([only] {window}: {day})"
        return None


_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)\s*$")


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """A TOML error as a person reads it: the file, line, key and value, and what is wrong with them.

    The parser stops at `2015-13-01` with "Expected newline…": a value that is not a valid date
    (nor anything else TOML knows) is by far the likeliest cause, so the message says so."""
    text = str(exc)
    found = _POSITION.search(text)
    if not found:
        return f"map file {path}: not valid TOML: {text}"
    number = int(found["line"])
    why = text[: found.start()]
    try:
        line = path.read_text(encoding="utf-8").splitlines()[number - 1].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        line = ""
    key, equals, value = line.partition("=")
    value = value.split("#", 1)[0].strip()
    if equals and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}.*", value):
        return f"map file {path}:{number}: {key.strip()}: {value} is not a date (write it as 2015-01-31, no quotes)"
    shown = f" ({line})" if line else ""
    return f"map file {path}:{number}: not valid TOML{shown}: {why}"


def restrict(overrides: Overrides, store: Any) -> int:
    """`[only] clients`: skip every mapped record that neither depends on those clients nor is needed
    by one that does (the people, tasks and categories their history uses). Returns how many.

    One walk over the plan store in load order finds what depends on the clients (dependencies come
    before dependents), a second adds what those need; the rest is marked skipped, with the reason.
    """
    if not overrides.clients:
        return 0
    kinds = pilot_order()
    named = (name.split(":", 2) for name in overrides.clients)
    chosen = {(system, str(Ref(kind, source_id))) for system, kind, source_id in named}
    keep: set[int] = set()
    needed: set[tuple[str, str]] = set()
    for kind in kinds:
        for seq, system, source_id, refs in store.pilot_rows(kind):
            ref = str(Ref(kind, source_id))
            if (system, ref) in chosen or any((system, r) in chosen for r in refs):
                keep.add(seq)
                chosen.add((system, ref))
                needed.update((system, r) for r in refs)
    # What the pilot's records use (a person, a task, a project of another client on an invoice line),
    # and what those use in turn.
    grown = True
    while grown:
        grown = False
        for kind in kinds:
            for seq, system, source_id, refs in store.pilot_rows(kind):
                if seq not in keep and (system, str(Ref(kind, source_id))) in needed:
                    keep.add(seq)
                    fresh = {(system, r) for r in refs} - needed
                    grown = grown or bool(fresh)
                    needed.update(fresh)
    names = ", ".join(sorted(overrides.clients))
    return int(
        store.skip_all_but(keep, f"outside the pilot of the map file {overrides.path.name} ([only] clients {names})")
    )


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def pilot_order() -> list[str]:
    """Kinds in load order, for the pilot's walk over the mapped plan."""
    return [kind for kind in load_order() if kind in KINDS]
