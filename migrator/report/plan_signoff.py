"""What a plan asks the person who signs it off to agree to, gathered in one pass over the plan store.

Every plan format (text, markdown, JSON, HTML) shows the same facts, so they are collected here once:

- **invitations**: every person `run` will create; Harvest emails each one an invitation, and
  there is no way around it (the text plan used to warn only for people who left);
- **people the map file names** (`[people]`): who a source person is in the target;
- **skipped and invalid records**, each with why, and **what a map-file rule changed**, counted
  per rule;
- **hours and money per client**, money per currency: a client's hours, what its invoices
  state and what was paid, with total rows per currency (sums across currencies mean nothing).

One stream over the plan store, in load order; per-record lists keep the first `limit` records and
count the rest, so a plan of a million entries is summarised in flat memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from migrator.harvest.invoice_math import cents, invoice_totals
from migrator.kinds import KINDS, REGISTRY, STEPS, describe
from migrator.report.naming import Namer, ShortPaths, plain

LIMIT = 200  # records listed per section of a plan report before "and N more"
EXAMPLES = 3
UNKNOWN_CURRENCY = "account default"  # a client without a currency: Harvest gives it the account's


def record_name(planned: Any) -> str:
    """`harvest-v1:users:703` (docs/INTERFACE.md "Conventions")."""
    return f"{planned.system}:{planned.kind}:{planned.source_id}"


@dataclass
class Listed:
    """One record in a sign-off list: its name, what a person calls it, where it was read, why."""

    record: str
    label: str
    where: str
    why: str

    def as_dict(self) -> dict[str, str]:
        return {"record": self.record, "name": self.label, "where": self.where, "why": self.why}


@dataclass
class Cut:
    """The first `limit` records of a list, and how many there are in all."""

    limit: int = LIMIT
    shown: list[Any] = field(default_factory=list)
    total: int = 0

    def add(self, item: Any) -> None:
        self.total += 1
        if len(self.shown) < self.limit:
            self.shown.append(item)

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


@dataclass
class Invitation:
    """A person `run` creates in the target: Harvest emails them an invitation."""

    record: str
    name: str
    email: str
    left: bool  # archived in the source (a person who left), created for their history

    def as_dict(self) -> dict[str, Any]:
        return {"record": self.record, "name": self.name, "email": self.email, "left": self.left}


@dataclass
class PersonMapped:
    """A source person the map file names: adopted by that address, never invited."""

    record: str
    name: str
    email: str
    action: str
    why: str


@dataclass
class ClientRow:
    """Hours and money of one client in one currency."""

    client: str
    currency: str
    hours: Decimal = Decimal(0)
    invoiced: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)


@dataclass
class SignOff:
    """Everything a plan report shows beyond its per-kind counts."""

    invitations: list[Invitation] = field(default_factory=list)
    people: list[PersonMapped] = field(default_factory=list)
    invalid: Cut = field(default_factory=Cut)
    skipped: Cut = field(default_factory=Cut)
    updates: Cut = field(default_factory=Cut)
    steps: Cut = field(default_factory=Cut)
    map_rules: dict[str, Cut] = field(default_factory=dict)  # rule -> the records it changed
    clients: list[ClientRow] = field(default_factory=list)

    def currency_totals(self) -> list[ClientRow]:
        """One total row per currency (hours of that currency's clients, its invoices and payments)."""
        totals: dict[str, ClientRow] = {}
        for row in self.clients:
            total = totals.setdefault(row.currency, ClientRow("total", row.currency))
            total.hours += row.hours
            total.invoiced += row.invoiced
            total.paid += row.paid
        return [totals[currency] for currency in sorted(totals)]

    def total_hours(self) -> Decimal:
        """Hours of every client (hours add up across currencies; money never does)."""
        return sum((row.hours for row in self.clients), Decimal(0))


_RULE = re.compile(r"\((\[[a-z]+\][^:)]*(?::\s*[a-z_]+)?)")


def map_rule(reason: str | None) -> str | None:
    """The map-file rule a plan entry's reason names (`[skip] records`, `[only] 2013-03-01 to …`,
    `[rename]`, `[people]`), or None when no rule changed the record."""
    if not reason or "the map file" not in reason:
        return None
    if "renamed by the map file" in reason:
        return "[rename]"
    if "mapped by the map file" in reason or "the map file names" in reason:
        return "[people]"
    found = _RULE.search(reason)
    return found.group(1).strip() if found else "the map file"


class _Clients:
    """Hours and money per client and currency, streamed (projects and invoices kept by reference)."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], str] = {}
        self.currency: dict[tuple[str, str], str] = {}
        self.project_client: dict[tuple[str, str], str] = {}
        self.invoice: dict[tuple[str, str], tuple[str, str]] = {}  # invoice -> (client ref, currency)
        self.rows: dict[tuple[str, str, str], ClientRow] = {}

    def row(self, system: str, client: str, currency: str) -> ClientRow:
        key = (system, client, currency)
        if key not in self.rows:
            name = self.names.get((system, client)) or (f"client {client.partition(':')[2]}" if client else "(none)")
            self.rows[key] = ClientRow(name, currency)
        return self.rows[key]

    def add(self, planned: Any) -> None:
        # Kind branch, on purpose: the sign-off's per-client figures are what five kinds mean to a bookkeeper
        # (a client's name and currency, a project's client, hours, money invoiced, money paid); one table of
        # handlers reads better than five attributes of the kind declaration no other stage would read.
        handlers = {
            "clients": self._client,
            "projects": self._project,
            "time_entries": self._time,
            "invoices": self._invoice,
            "invoice_payments": self._payment,
        }
        handler = handlers.get(planned.kind)
        if handler is not None:
            handler(planned.system, planned.ref, planned.payload)

    def _client(self, system: str, ref: str, payload: dict[str, Any]) -> None:
        self.names[(system, ref)] = str(payload.get("name") or ref.partition(":")[2])
        self.currency[(system, ref)] = str(payload.get("currency") or UNKNOWN_CURRENCY)

    def _project(self, system: str, ref: str, payload: dict[str, Any]) -> None:
        self.project_client[(system, ref)] = str(payload.get("client_id") or "")

    def _time(self, system: str, ref: str, payload: dict[str, Any]) -> None:
        if payload.get("hours") is None:
            return
        client = self.project_client.get((system, str(payload.get("project_id"))), "")
        self.row(system, client, self.currency.get((system, client), UNKNOWN_CURRENCY)).hours += Decimal(
            str(payload["hours"])
        )

    def _invoice(self, system: str, ref: str, payload: dict[str, Any]) -> None:
        client = str(payload.get("client_id") or "")
        currency = str(payload.get("currency") or self.currency.get((system, client), UNKNOWN_CURRENCY))
        self.invoice[(system, ref)] = (client, currency)
        amount = invoice_totals(
            payload.get("line_items") or [],
            tax=payload.get("tax"),
            tax2=payload.get("tax2"),
            discount=payload.get("discount"),
        ).amount
        self.row(system, client, currency).invoiced += amount

    def _payment(self, system: str, ref: str, payload: dict[str, Any]) -> None:
        client, currency = self.invoice.get((system, str(payload.get("invoice_id"))), ("", UNKNOWN_CURRENCY))
        self.row(system, client, currency).paid += Decimal(str(payload.get("amount") or 0))

    def result(self) -> list[ClientRow]:
        rows = [row for row in self.rows.values() if row.hours or row.invoiced or row.paid]
        for row in rows:
            row.invoiced, row.paid = cents(row.invoiced), cents(row.paid)
        return sorted(rows, key=lambda row: (row.client.casefold(), row.currency))


def collect(report: Any, *, limit: int = LIMIT) -> SignOff:
    """One pass over the plan store: what the plan asks its reader to agree to (see the module doc)."""
    namer, paths = Namer(report.store), ShortPaths(report.paths)
    found = SignOff(invalid=Cut(limit), skipped=Cut(limit), updates=Cut(limit), steps=Cut(limit))
    clients = _Clients()
    for entry in report.plan.entries:
        planned, action = entry.planned, entry.action
        if action not in ("invalid", "skipped"):
            clients.add(planned)
        reason = entry.reason or planned.reason or ""
        if action in ("invalid", "skipped", "update") or (planned.kind in STEPS and action == "create"):
            label = describe(planned.kind, planned.payload, namer.for_system(planned.system))
            listed = Listed(record_name(planned), label, paths.where(planned.origin), reason)
            if action == "update":
                listed.why = "; ".join(f"{name}: {plain(old)} → {plain(new)}" for name, (old, new) in
                                       (entry.diff or {}).items())  # fmt: skip
            lists = {"invalid": found.invalid, "skipped": found.skipped, "update": found.updates}
            (found.steps if planned.kind in STEPS else lists[action]).add(listed)
        if REGISTRY[planned.kind].invites:  # a person: invited, or mapped by the map file
            _person(found, entry, reason)
        rule = map_rule(reason)
        if rule is not None:
            label = describe(planned.kind, planned.payload, namer.for_system(planned.system))
            found.map_rules.setdefault(rule, Cut(EXAMPLES)).add(
                Listed(record_name(planned), label, paths.where(planned.origin), reason)
            )
    found.clients = clients.result()
    return found


def invitations(report: Any) -> list[Invitation]:
    """Every person the plan creates (Harvest emails each an invitation), read from the plan store alone."""
    found = SignOff()
    for kind in (name for name in KINDS if REGISTRY[name].invites):
        for entry in report.store.entries(kind=kind, actions=("create",)):
            _person(found, entry, entry.reason or "")
    return found.invitations


def _person(found: SignOff, entry: Any, reason: str) -> None:
    planned = entry.planned
    payload = planned.payload
    name = f"{payload.get('first_name') or ''} {payload.get('last_name') or ''}".strip() or planned.source_id
    email = str(payload.get("email") or "")
    if entry.action == "create":
        found.invitations.append(Invitation(record_name(planned), name, email, payload.get("is_active") is False))
    if map_rule(reason) == "[people]":
        found.people.append(PersonMapped(record_name(planned), name, email, entry.action, reason))


def invitation_line(invitation: Invitation) -> str:
    """`Cleo Baptiste <cleo@freelance.example> (harvest-v1:users:703), who left`."""
    left = ", who left (created for their history)" if invitation.left else ""
    return f"{invitation.name} <{invitation.email}> ({invitation.record}){left}"
