"""Post-run verification: re-read the target and compare it with the source through the ledger.

For every kind: how many source objects should exist and how many the target really holds at the
v2 ids the ledger recorded. Then the figures an accountant signs: hours (in total, per project and
per user), invoice amounts, due amounts and states, and payment sums, all to the cent. Every
difference names the source record and its v2 id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from migrator.harvest.invoice_math import cents, invoice_totals
from migrator.kinds import KINDS
from migrator.load.ledger import Ledger
from migrator.load.registry import REGISTRY
from migrator.mapping import Planned, parse_ref

LOADED = ("done", "adopted")


def money(value: Decimal) -> str:
    """A decimal string with two places: the report's money and hours format."""
    return str(cents(value))


def _hours(payload: dict[str, Any]) -> Decimal:
    if payload.get("hours") is not None:
        return Decimal(str(payload["hours"]))
    return Decimal(0)


@dataclass
class VerifyReport:
    """CONTRACT.md `verify --format json`, plus per-group detail in `differences`."""

    kinds: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, dict[str, str]] = field(default_factory=dict)
    differences: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def document(self) -> dict[str, Any]:
        return {"ok": self.ok, "kinds": self.kinds, "totals": self.totals, "differences": self.differences}


class _Target:
    """The target's objects, read once per kind (nested kinds per parent id)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._cache: dict[str, dict[int, dict[str, Any]]] = {}

    def objects(self, kind: str, parents: Iterable[int] = ()) -> dict[int, dict[str, Any]]:
        if kind in self._cache:
            return self._cache[kind]
        entry = REGISTRY[kind]
        found: dict[int, dict[str, Any]] = {}
        if "{" in entry.list_path:
            for parent in sorted(set(parents)):
                path = entry.list_path.format(**{entry.parent_field or "id": parent})
                for obj in self.client.list(path, entry.list_key):
                    found[int(obj["id"])] = obj | {f"{(entry.parent_field or '')}": parent}
        else:
            for obj in self.client.list(entry.list_path, entry.list_key):
                found[int(obj["id"])] = obj
        self._cache[kind] = found
        return found


def verify(planned: Iterable[Planned], *, ledger: Ledger, client: Any) -> VerifyReport:
    """Compare the mapped source (through the ledger) with what the target holds now."""
    report = VerifyReport()
    target = _Target(client)
    expected: dict[str, list[Planned]] = defaultdict(list)
    for item in planned:
        if item.status == "ok":
            expected[item.kind].append(item)
    v2_ids: dict[tuple[str, str, str], int] = {}
    for kind in KINDS:
        for item in expected.get(kind, []):
            row = ledger.get(item.origin.system, kind, item.source_id)
            if row is not None and row.state in LOADED and row.v2_id is not None:
                v2_ids[(item.origin.system, kind, item.source_id)] = row.v2_id

    def v2(item: Planned) -> int | None:
        return v2_ids.get((item.origin.system, item.kind, item.source_id))

    def resolve(item: Planned, value: Any) -> int | None:
        parsed = parse_ref(value)
        if parsed is None:
            return value if isinstance(value, int) else None
        return v2_ids.get((item.origin.system, parsed[0], parsed[1]))

    present: dict[str, dict[int, dict[str, Any]]] = {}
    for kind in KINDS:
        items = expected.get(kind, [])
        if REGISTRY[kind].event:
            continue  # state changes are verified through the invoice and estimate states below
        parents = [p for p in (resolve(i, i.payload.get(REGISTRY[kind].parent_field or "")) for i in items) if p]
        objects = target.objects(kind, parents) if items else {}
        present[kind] = objects
        found = 0
        for item in items:
            v2_id = v2(item)
            if v2_id is None:
                report.differences.append(_diff(item, None, "ledger", "loaded", "never loaded (no done row)"))
            elif v2_id not in objects:
                report.differences.append(_diff(item, v2_id, "target", "present", "missing in the target"))
            else:
                found += 1
        report.kinds[kind] = {"source": len(items), "target": found}
    _hours_check(report, expected.get("time_entries", []), present.get("time_entries", {}), v2, resolve, v2_ids)
    _invoice_check(report, expected, present, v2, resolve)
    return report


def _diff(item: Planned, v2_id: int | None, field_name: str, source: Any, target: Any) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "source_id": item.source_id,
        "target_id": v2_id,
        "field": field_name,
        "source": source,
        "target": target,
        "origin": item.origin.as_dict(),
    }


def _hours_check(
    report: VerifyReport,
    entries: list[Planned],
    objects: dict[int, dict[str, Any]],
    v2: Any,
    resolve: Any,
    v2_ids: dict[tuple[str, str, str], int],
) -> None:
    source_total = target_total = Decimal(0)
    by_project: dict[Any, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    by_user: dict[Any, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for item in entries:
        hours = _hours(item.payload)
        source_total += hours
        project, user = item.payload.get("project_id"), item.payload.get("user_id", "(token user)")
        by_project[project][0] += hours
        by_user[user][0] += hours
        obj = objects.get(v2(item) or -1)
        if obj is None:
            continue
        target_hours = Decimal(str(obj.get("hours") or 0))
        target_total += target_hours
        by_project[project][1] += target_hours
        by_user[user][1] += target_hours
        if target_hours != hours:
            report.differences.append(_diff(item, v2(item), "hours", money(hours), money(target_hours)))
    report.totals["hours"] = {"source": money(source_total), "target": money(target_total)}
    for label, groups in (("hours per project", by_project), ("hours per user", by_user)):
        for key, (source, target) in groups.items():
            if source != target:
                report.differences.append(
                    {
                        "kind": "time_entries",
                        "field": label,
                        "group": key,
                        "source": money(source),
                        "target": money(target),
                    }
                )


def _invoice_check(
    report: VerifyReport,
    expected: dict[str, list[Planned]],
    present: dict[str, dict[int, dict[str, Any]]],
    v2: Any,
    resolve: Any,
) -> None:
    payments_by_invoice: dict[str, list[Planned]] = defaultdict(list)
    for payment in expected.get("invoice_payments", []):
        parsed = parse_ref(payment.payload.get("invoice_id"))
        if parsed:
            payments_by_invoice[parsed[1]].append(payment)
    events: dict[str, set[str]] = defaultdict(set)
    for message in expected.get("invoice_messages", []):
        parsed = parse_ref(message.payload.get("invoice_id"))
        if parsed:
            events[parsed[1]].add(str(message.payload.get("event_type")))
    sums = {
        "invoice_amount": [Decimal(0), Decimal(0)],
        "invoice_due": [Decimal(0), Decimal(0)],
        "payments": [Decimal(0), Decimal(0)],
    }
    invoices = present.get("invoices", {})
    payments = present.get("invoice_payments", {})
    for invoice in expected.get("invoices", []):
        payload = invoice.payload
        amount = invoice_totals(
            payload.get("line_items") or [],
            tax=payload.get("tax"),
            tax2=payload.get("tax2"),
            discount=payload.get("discount"),
        ).amount
        paid = sum((Decimal(str(p.payload["amount"])) for p in payments_by_invoice[invoice.source_id]), Decimal(0))
        state = "draft"
        if "send" in events[invoice.source_id]:
            state = "paid" if paid >= amount and amount > 0 else "open"
        if "close" in events[invoice.source_id] and state != "paid":
            state = "closed"
        sums["invoice_amount"][0] += amount
        sums["invoice_due"][0] += amount - paid
        obj = invoices.get(v2(invoice) or -1)
        if obj is None:
            continue
        target_amount = Decimal(str(obj.get("amount") or 0))
        target_due = Decimal(str(obj.get("due_amount") or 0))
        sums["invoice_amount"][1] += target_amount
        sums["invoice_due"][1] += target_due
        for name, source_value, target_value in (
            ("amount", money(amount), money(target_amount)),
            ("due_amount", money(amount - paid), money(target_due)),
            ("state", state, obj.get("state")),
        ):
            if source_value != target_value:
                report.differences.append(_diff(invoice, v2(invoice), name, source_value, target_value))
    for payment in expected.get("invoice_payments", []):
        amount = Decimal(str(payment.payload["amount"]))
        sums["payments"][0] += amount
        obj = payments.get(v2(payment) or -1)
        if obj is not None:
            target_amount = Decimal(str(obj.get("amount") or 0))
            sums["payments"][1] += target_amount
            if target_amount != amount:
                report.differences.append(_diff(payment, v2(payment), "amount", money(amount), money(target_amount)))
    for name, (source, target) in sums.items():
        report.totals[name] = {"source": money(source), "target": money(target)}
