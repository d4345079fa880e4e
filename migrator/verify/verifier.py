"""Post-run verification: re-read the target and compare it with what the source itself states.

The source column is the legacy system's own figures (`Planned.facts`: an invoice's amount and
due as v1 or FreshBooks computed them, hours as exported), never the payloads we sent, so a
mapping that lost money cannot verify green. For every kind: how many source records should
exist and how many the target holds at the v2 ids the ledger recorded. Per record: hours, invoice
amount, due and state, estimate amounts, payment amounts, the archived state of what we created,
and each migrated project's real assignment set (an assignment Harvest added by itself counts), each
assignment of ours active or inactive as the source says.
Money is compared per currency. Every difference names the record (`SYSTEM:KIND:SOURCE_ID`), the
field, both values, and the lossy note that explains it, if any.

It streams like planning: the source is read back from the plan store a kind at a time, the ledger
a batch of rows at a time, the target through the target index (kept in SQLite); what stays in
memory is bounded by the objects records refer to, never by the time entries and expenses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from migrator.harvest.invoice_math import cents, invoice_totals
from migrator.kinds import ARCHIVABLE, ASSIGNMENTS, KINDS, REGISTRY
from migrator.load.assignments import other_id
from migrator.load.identity import IdMap
from migrator.load.ledger import LOADED_STATES, Ledger, LedgerRow
from migrator.lossy import SEVERITIES, Lossy
from migrator.plan.planstore import PlanStore
from migrator.plan.target_index import TargetIndex
from migrator.planned import PlannedRecord, Ref
from migrator.verify.entries import EntryChecks, name_differences, source_hours

MONEY = ("invoice_amount", "invoice_due", "payments")
# Which lossy notes can explain a difference in a field (by the note's field name, or its prefix).
_EXPLAINS = {
    "amount": ("amount", "tax", "tax2", "discount", "lines", "csv_line_items", "quantity", "unit_price", "compound"),
    "due_amount": ("amount", "due_amount", "tax", "tax2", "discount", "lines", "csv_line_items", "state", "quantity"),
    "state": ("state", "status"),
    "hours": ("hours", "started_at", "started_time"),
    "receipt": ("receipt",),  # a receipt over the limit: its lossy note says it was not sent
    "present": (),  # a record the target lacks is explained only by the plan's reason it was invalid
}


def money(value: Decimal) -> str:
    """A decimal string with two places: the report's money and hours format."""
    return str(cents(value))


def record_name(item: PlannedRecord) -> str:
    """`harvest-v1:invoices:3001` (docs/INTERFACE.md "Conventions")."""
    return f"{item.origin.system}:{item.kind}:{item.source_id}"


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


@dataclass
class VerifyReport:
    """docs/INTERFACE.md `verify --format json`."""

    kinds: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, dict[str, Any]] = field(default_factory=dict)  # hours as text; receipts as counts
    money: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    differences: list[dict[str, Any]] = field(default_factory=list)
    rolled_back: dict[str, int] = field(default_factory=dict)  # batch -> its records a rollback deleted
    # Hours per month, person and project: {"by_month": {key: {"source": …, "target": …}}, …} (verify_entries)
    breakdown: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def explained(self) -> bool:
        """Every difference is explained by a lossy note (or the plan's reason for an invalid record)."""
        return all(diff.get("explained_by") for diff in self.differences)

    def exit_code(self, accept_explained: bool = False) -> int:
        """0 equal (or, with `accept_explained`, only explained differences), 2 differences."""
        return 0 if self.ok or (accept_explained and self.explained) else 2

    def document(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "kinds": self.kinds,
            "totals": self.totals,
            "money": self.money,
            "breakdown": self.breakdown,
            "differences": self.differences,
            "rolled_back": self.rolled_back,
        }


_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
_STATE = {True: "active", False: "archived"}


@dataclass(frozen=True, slots=True)
class _Held:
    """One assignment the target holds on a project: its id, the task's or person's name, its state."""

    v2_id: int
    name: str
    active: bool


class _Notes:
    """Lossy notes by record, to explain a difference."""

    def __init__(self, notes: Iterable[Lossy]) -> None:
        self._by_record: dict[tuple[str, str, str], list[Lossy]] = defaultdict(list)
        for note in notes:
            self._by_record[(note.system, note.kind, note.source_id)].append(note)

    def explain(self, item: PlannedRecord, field_name: str) -> str | None:
        wanted = _EXPLAINS.get(field_name, (field_name,))
        found = [
            note
            for note in self._by_record.get((item.origin.system, item.kind, item.source_id), [])
            if any(note.field == w or note.field.startswith(f"{w}.") for w in wanted)
        ]
        found.sort(key=lambda note: _RANK.get(note.severity, len(_RANK)))  # the note about money first
        return "; ".join(f"{note.field}: {note.note}" for note in found) or None


class _Verifier:
    def __init__(self, store: PlanStore, ledger: Ledger, target: TargetIndex, ids: IdMap) -> None:
        self.report = VerifyReport()
        self.store = store
        self.target = target
        self.ledger = ledger
        self.ids = ids
        self.notes = _Notes(store.lossy())
        # The objects other checks need, kept while streaming (none of them time entries or expenses).
        self.items: dict[str, list[PlannedRecord]] = defaultdict(list)
        self.rows: dict[tuple[str, str], LedgerRow] = {}
        self.by_ref: dict[tuple[str, str], PlannedRecord] = {}
        self.hours = [Decimal(0), Decimal(0)]
        self.entries = EntryChecks(self)  # hours per month/person/project; entries field by field

    # --- helpers ---------------------------------------------------------------------------------

    def v2(self, item: PlannedRecord) -> int | None:
        row = self.rows.get((item.origin.system, item.ref))
        return row.v2_id if row is not None and row.state in LOADED_STATES else None

    def v2_of(self, item: PlannedRecord, value: Any) -> int | None:
        if isinstance(value, int):
            return value
        return self.ids.get(item.origin.system, str(value)) if value is not None else None

    def differ(
        self,
        item: PlannedRecord,
        field_name: str,
        source: Any,
        target: Any,
        *,
        explained_by: str | None = None,
        v2_id: int | None = None,
    ) -> None:
        self.report.differences.append(
            {
                "kind": item.kind,
                "source": record_name(item),
                "target_id": v2_id if v2_id is not None else self.v2(item),
                "field": field_name,
                "source_value": source,
                "target_value": target,
                "explained_by": explained_by or self.notes.explain(item, field_name),
                "origin": item.origin.as_dict(),
            }
        )

    def obj(self, item: PlannedRecord) -> dict[str, Any] | None:
        v2_id = self.v2(item)
        if v2_id is None:
            return None
        entry = REGISTRY[item.kind]
        if entry.nested:
            parent = self.v2_of(item, item.payload.get(entry.parent_field or ""))
            found = [o for o in self.target.children(item.kind, parent) if int(o["id"]) == v2_id] if parent else []
            return found[0] if found else None
        return self.target.get(item.kind, v2_id)

    # --- the checks ------------------------------------------------------------------------------

    def run(self) -> VerifyReport:
        self._presence()
        self._archived_states()
        self._assignment_sets()
        self._billing()
        self._receipts()
        self.entries.finish()
        name_differences(self.report, self.store)
        return self.report

    def _presence(self) -> None:
        """Every record is at its v2 id; time entries keep their hours (streamed, kind by kind)."""
        for kind in KINDS:
            if REGISTRY[kind].event:
                continue  # state changes are verified through the invoice and estimate states
            source = found = 0
            batch: list[PlannedRecord] = []
            for _seq, item in self.store.planned_with_seq(kind):
                if item.status == "skipped":
                    continue
                batch.append(item)
                if len(batch) >= 500:
                    counted = self._present(kind, batch)
                    source, found, batch = source + len(batch), found + counted, []
            if batch:
                found += self._present(kind, batch)
                source += len(batch)
            self.report.kinds[kind] = {"source": source, "target": found}
        self.report.totals["hours"] = {"source": money(self.hours[0]), "target": money(self.hours[1])}

    def _present(self, kind: str, batch: list[PlannedRecord]) -> int:
        declared = REGISTRY[kind]
        rows: dict[tuple[str, str], LedgerRow] = {}
        for system in {item.origin.system for item in batch}:
            ids = [item.source_id for item in batch if item.origin.system == system]
            for read in self.ledger.get_many(system, kind, ids):
                rows[(system, str(Ref(kind, read.source_id)))] = read
        found = 0
        for item in batch:
            key = (item.origin.system, item.ref)
            row = rows.get(key)
            if row is not None:
                self.rows[key] = row
            mark = len(self.report.differences)
            obj = self._check_present(item, row)
            found += obj is not None
            if declared.hours:
                self._hours(item, obj)
            if declared.leaf:  # time entries and expenses, field by field
                self.entries.check(item, obj, self.report.differences[mark:])
            if declared.leaf:
                self.rows.pop(key, None)  # nothing refers to it: keep nothing of it
            else:
                self.items[kind].append(item)
                self.by_ref[key] = item
        return found

    def _check_present(self, item: PlannedRecord, row: LedgerRow | None) -> dict[str, Any] | None:
        v2_id = row.v2_id if row is not None and row.state in LOADED_STATES else None
        if item.status == "invalid":
            self.differ(item, "present", "in the source", "not loadable", explained_by=item.reason)
            return None
        if v2_id is None:
            if row is not None and row.state == "deleted":
                batches = self.report.rolled_back
                batches[row.batch] = batches.get(row.batch, 0) + 1
                self.differ(item, "present", "in the source", f"deleted by a rollback of batch {row.batch}")
                return None
            state = f"{row.state}: {row.last_error}" if row is not None and row.last_error else "never loaded"
            self.differ(item, "present", "in the source", row.state if row and not row.last_error else state)
            return None
        obj = self.obj(item)
        if obj is None:
            self.differ(item, "present", "in the source", "missing in the target", v2_id=v2_id)
        return obj

    def _hours(self, item: PlannedRecord, obj: dict[str, Any] | None) -> None:
        hours = source_hours(item)
        self.hours[0] += hours
        if obj is None:
            return
        target_hours = _dec(obj.get("hours"))
        self.hours[1] += target_hours
        if target_hours != hours:
            v2_id = int(obj["id"])
            self.differ(item, "hours", money(hours), money(target_hours), v2_id=v2_id)

    def _archived_states(self) -> None:
        """What we created ends as archived (or active) as the source; what we adopted keeps its own state.

        Assignments are checked with their project's set (`_assignment_sets`), where they are found."""
        for kind in sorted(ARCHIVABLE - set(ASSIGNMENTS)):
            for item in self.items.get(kind, []):
                row = self.rows.get((item.origin.system, item.ref))
                obj = self.obj(item)
                if obj is None or row is None or row.state == "adopted":
                    continue
                want = item.payload.get("is_active") is not False
                have = obj.get("is_active", True) is not False
                if want != have:
                    self.differ(item, "is_active", _STATE[want], _STATE[have])

    def _assignment_sets(self) -> None:
        """Each migrated project's real assignments equal the source's (exactly, for projects we created),
        each in the source's state: active, or inactive (a deactivated v1 assignment; a FreshBooks one
        only the history implies). An assignment we adopted keeps its own state."""
        wanted: dict[tuple[str, str], dict[str, dict[int, PlannedRecord]]] = defaultdict(lambda: defaultdict(dict))
        # Alphabetical (task before user assignments): the order reports have always listed them in.
        kinds = sorted(ASSIGNMENTS)
        for kind in kinds:
            declared = REGISTRY[kind]
            for item in self.items.get(kind, []):
                other_v2 = self.v2_of(item, item.payload.get(declared.other_field))
                if other_v2 is not None:
                    source_project = (item.origin.system, str(item.payload.get(declared.parent_field or "")))
                    wanted[source_project][kind].setdefault(other_v2, item)
        held: dict[int, dict[str, dict[int, _Held]]] = defaultdict(lambda: defaultdict(dict))
        for kind in kinds:
            for obj in self.target.all(kind):
                on = obj.get("project") or {}
                inner = obj.get(REGISTRY[kind].other_object) or {}
                active = obj.get("is_active", True) is not False
                held[int(on.get("id") or 0)][kind][other_id(kind, obj) or 0] = _Held(
                    int(obj["id"]), str(inner.get("name") or ""), active
                )
        for project in self.items.get("projects", []):
            v2_id, row = self.v2(project), self.rows.get((project.origin.system, project.ref))
            if v2_id is None or self.obj(project) is None or row is None:
                continue
            for kind in kinds:
                want, have = wanted[(project.origin.system, project.ref)][kind], held[v2_id][kind]
                missing = [record_name(want[i]) for i in sorted(set(want) - set(have))]
                # A project we adopted may hold assignments of its own; one we created holds only the source's.
                extra = [f"{have[i].name} (v2 {i})" for i in sorted(set(have) - set(want))]
                if row.state == "adopted":
                    extra = []
                if missing or extra:
                    source = f"{len(want)} assigned" + (f"; missing: {', '.join(missing)}" if missing else "")
                    target = f"{len(have)} assigned" + (f"; not in the source: {', '.join(extra)}" if extra else "")
                    self.differ(project, kind, source, target)
                for member in sorted(set(want) & set(have)):
                    self._assignment_state(want[member], have[member])

    def _assignment_state(self, item: PlannedRecord, held: _Held) -> None:
        """An assignment of ours is active or inactive as the source says (a difference names the assignment)."""
        row = self.rows.get((item.origin.system, item.ref))
        if row is None or row.state == "adopted":
            return  # it existed before the migration: it keeps its own state, as it was
        want = item.payload.get("is_active") is not False
        if want != held.active:
            self.differ(item, "is_active", _STATE[want], _STATE[held.active], v2_id=held.v2_id)

    def _receipts(self) -> None:
        """`totals.receipts`: expenses with a receipt file in the source, migrated expenses whose `receipt`
        is set in the target; a `receipt` difference for each file the target lacks or holds at another
        size (streamed like the presence check; the target's expenses come from the target index)."""
        source = target = 0

        def check(kind: str, items: list[PlannedRecord]) -> None:
            nonlocal source, target
            for system in {item.origin.system for item in items}:
                ids = [item.source_id for item in items if item.origin.system == system]
                rows = {row.source_id: row for row in self.ledger.get_many(system, kind, ids)}
                for item in (item for item in items if item.origin.system == system):
                    row = rows.get(item.source_id)
                    v2_id = row.v2_id if row is not None and row.state in LOADED_STATES else None
                    held = (self.target.get(kind, v2_id) or {}).get("receipt") if v2_id is not None else None
                    target += bool(held)
                    wanted = item.receipt
                    if wanted is None:
                        continue
                    source += 1
                    if v2_id is None:
                        continue  # not in the target at all: the presence check names it
                    shown = f"{wanted['file']} ({wanted['size']} bytes)"
                    if not held:
                        self.differ(item, "receipt", shown, "no receipt", v2_id=v2_id)
                    elif held.get("file_size") != wanted["size"]:
                        have = f"{held.get('file_name')} ({held.get('file_size')} bytes)"
                        self.differ(item, "receipt", shown, have, v2_id=v2_id)

        for kind in (name for name in KINDS if REGISTRY[name].receipts):
            batch: list[PlannedRecord] = []
            for _seq, item in self.store.planned_with_seq(kind):
                if item.status == "ok":
                    batch.append(item)
                if len(batch) >= 500:
                    check(kind, batch)
                    batch = []
            check(kind, batch)
        self.report.totals["receipts"] = {"source": source, "target": target}

    def _currency(self, item: PlannedRecord, obj: dict[str, Any] | None) -> str:
        stated = (item.facts or {}).get("currency") or item.payload.get("currency")
        if not stated:
            client = self.by_ref.get((item.origin.system, str(item.payload.get("client_id"))))
            stated = client.payload.get("currency") if client is not None else None
        if not stated and obj is not None:
            stated = obj.get("currency")
        return str(stated or "unknown")

    def _billing(self) -> None:
        sums: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: {name: [Decimal(0)] * 2 for name in MONEY})
        payments_of: dict[tuple[str, str], list[PlannedRecord]] = defaultdict(list)
        for payment in self.items.get("invoice_payments", []):
            payments_of[(payment.origin.system, str(payment.payload.get("invoice_id")))].append(payment)
        for invoice in self.items.get("invoices", []):
            obj = self.obj(invoice)
            currency = self._currency(invoice, obj)
            totals = sums[currency]
            facts = invoice.facts or {}
            computed = invoice_totals(
                invoice.payload.get("line_items") or [],
                tax=invoice.payload.get("tax"),
                tax2=invoice.payload.get("tax2"),
                discount=invoice.payload.get("discount"),
            ).amount
            amount = _dec(facts["amount"]) if facts.get("amount") is not None else computed
            payments = payments_of[(invoice.origin.system, invoice.ref)]
            paid = sum((_dec(p.payload.get("amount")) for p in payments if p.status == "ok"), Decimal(0))
            due = _dec(facts["due_amount"]) if facts.get("due_amount") is not None else amount - paid
            totals["invoice_amount"][0] += amount
            totals["invoice_due"][0] += due
            for payment in payments:
                totals["payments"][0] += _dec(payment.payload.get("amount"))
                paid_obj = self.obj(payment)
                if paid_obj is not None:
                    totals["payments"][1] += _dec(paid_obj.get("amount"))
                    if cents(_dec(paid_obj.get("amount"))) != cents(_dec(payment.payload.get("amount"))):
                        self.differ(
                            payment,
                            "amount",
                            money(_dec(payment.payload.get("amount"))),
                            money(_dec(paid_obj.get("amount"))),
                        )
            if obj is None:
                continue
            target_amount, target_due = _dec(obj.get("amount")), _dec(obj.get("due_amount"))
            totals["invoice_amount"][1] += target_amount
            totals["invoice_due"][1] += target_due
            checks: list[tuple[str, Any, Any]] = [
                ("amount", money(amount), money(target_amount)),
                ("due_amount", money(due), money(target_due)),
                ("currency", currency, str(obj.get("currency") or currency)),
            ]
            if facts.get("state"):
                checks.append(("state", facts["state"], obj.get("state")))
            for name, source_value, target_value in checks:
                if source_value != target_value:
                    self.differ(invoice, name, source_value, target_value)
        for estimate in self.items.get("estimates", []):
            obj, facts = self.obj(estimate), estimate.facts or {}
            if obj is None:
                continue
            if facts.get("amount") is not None and money(_dec(facts["amount"])) != money(_dec(obj.get("amount"))):
                self.differ(estimate, "amount", money(_dec(facts["amount"])), money(_dec(obj.get("amount"))))
            if facts.get("state") and facts["state"] != obj.get("state"):
                self.differ(estimate, "state", facts["state"], obj.get("state"))
        for currency in sorted(sums):
            self.report.money[currency] = {
                name: {"source": money(source), "target": money(target)}
                for name, (source, target) in sums[currency].items()
            }


def verify(store: PlanStore, *, ledger: Ledger, target: TargetIndex, ids: IdMap | None = None) -> VerifyReport:
    """Compare what the source states (as mapped into `store`; through the ledger's v2 ids) with the target.

    `ids`: the session's id map (a new one on `ledger` by default)."""
    return _Verifier(store, ledger, target, ids if ids is not None else IdMap(ledger)).run()
