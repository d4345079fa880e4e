"""The real planner on generated accounts agrees with what the generator says a migration must produce.

`Expected` is computed from the generator's own model by the documented rules; the plan comes
from the real CLI (reader, staging, mappings, planner). Counts, skipped records, assignments,
archived objects, hours and money must agree exactly; only `lossy_money` records may differ in
amount, and then by exactly the stated difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from migrator.generate.expected import COUNTED_KINDS, MONEY_FIGURES, assignment_name
from migrator.harvest.invoice_math import invoice_totals
from migrator.kinds import STEPS
from tests.generate.conftest import ACCOUNTS, Generated

# Where the plan and a correct migration part ways today, on purpose-built evidence. Each entry is
# asserted to still differ exactly so: fix the mapping, and this test says to remove the entry.
Lookup = Callable[[str, int], Generated]


def _changes(generated: Generated, kind: str, action: str = "create") -> list[dict[str, Any]]:
    return [c for c in generated.plan["changes"] if c["kind"] == kind and c["action"] == action]


def _names(generated: Generated) -> dict[str, str]:
    """`@kind:id` -> the v2 name (or e-mail) the plan gives that object."""
    names = {}
    for change in generated.plan["changes"]:
        payload = change.get("payload") or {}
        label = payload.get("email") if change["kind"] == "users" else payload.get("name")
        if label is not None:
            names[f"@{change['kind']}:{change['source_id']}"] = label
    return names


@pytest.fixture(params=ACCOUNTS)
def generated(request: pytest.FixtureRequest, account: Lookup) -> Generated:
    system, seed = request.param
    return account(system, seed)


def test_the_plan_reads_every_file_and_plans_every_record_without_an_error(generated: Generated) -> None:
    assert generated.returncode == 2, generated.plan
    assert generated.plan["errors"] == []
    assert generated.plan["source"]["system"] == generated.system
    invalid = {kind: counts["invalid"] for kind, counts in generated.plan["summary"].items() if counts["invalid"]}
    assert invalid == {}


def test_create_counts_per_kind_equal_the_expected_counts(generated: Generated) -> None:
    planned = {kind: generated.plan["summary"][kind]["create"] for kind in COUNTED_KINDS}
    expected = dict(generated.expected.counts)
    assert planned == expected
    assert planned["time_entries"] == generated.expected.entries


def test_records_skipped_on_purpose_are_exactly_the_expected_ones(generated: Generated) -> None:
    skipped = {generated.name(c["kind"], c["source_id"]) for c in generated.plan["changes"] if c["action"] == "skipped"}
    assert skipped == set(generated.expected.skipped)
    assert generated.expected.skipped  # every account skips something on purpose


def test_hours_in_total_and_per_project_equal_the_source(generated: Generated) -> None:
    names = _names(generated)
    by_project: dict[str, Decimal] = defaultdict(Decimal)
    for change in _changes(generated, "time_entries"):
        by_project[names[change["payload"]["project_id"]]] += Decimal(str(change["payload"]["hours"]))
    assert sum(by_project.values(), Decimal(0)) == generated.expected.hours
    expected = {name: hours for name, hours in generated.expected.hours_by_project.items() if hours}
    assert dict(by_project) == expected


def test_invoice_money_per_currency_equals_the_source_except_the_stated_lossy_differences(generated: Generated) -> None:
    system, lossy = generated.system, generated.expected.lossy_money
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(MONEY_FIGURES, Decimal(0)))
    payments: dict[str, Decimal] = defaultdict(Decimal)
    for change in _changes(generated, "invoice_payments"):
        payments[change["payload"]["invoice_id"]] += Decimal(str(change["payload"]["amount"]))
    seen_lossy = set()
    for kind in ("invoices", "estimates"):
        for change in _changes(generated, kind):
            payload, name = change["payload"], generated.name(kind, change["source_id"])
            v2 = invoice_totals(
                payload["line_items"],
                tax=payload.get("tax"),
                tax2=payload.get("tax2"),
                discount=payload.get("discount"),
            ).amount
            source = v2
            if name in lossy:
                seen_lossy.add(name)
                assert v2 == lossy[name].v2_amount, name
                assert lossy[name].currency == payload["currency"]
                source = v2 + lossy[name].difference
            if kind == "invoices":
                figures = sums[payload["currency"]]
                paid = payments[f"@invoices:{change['source_id']}"]
                figures["invoice_amount"] += source
                figures["invoice_due"] += source - paid
                figures["payments"] += paid
    assert seen_lossy == set(lossy)
    assert {currency: dict(figures) for currency, figures in sums.items()} == {
        currency: dict(figures) for currency, figures in generated.expected.money.items()
    }
    assert {"USD", "EUR", "CAD"} <= set(generated.expected.money)
    if system == "freshbooks":
        kinds = {name.split(":")[1] for name in lossy}
        assert kinds == {"invoices", "estimates"}


def test_assignments_per_project_are_exactly_the_expected_ones(generated: Generated) -> None:
    names = _names(generated)
    held: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for change in _changes(generated, "task_assignments"):
        held[names[change["payload"]["project_id"]]][0].add(names[change["payload"]["task_id"]])
    for change in _changes(generated, "user_assignments"):
        held[names[change["payload"]["project_id"]]][1].add(names[change["payload"]["user_id"]])
    planned = {project: (frozenset(tasks), frozenset(users)) for project, (tasks, users) in held.items()}
    assert planned == dict(generated.expected.assignments)


def test_what_ends_archived_is_exactly_the_expected_set(generated: Generated) -> None:
    names = _names(generated)
    archived: dict[str, set[str]] = {kind: set() for kind in generated.expected.inactive}
    steps = {c["source_id"] for c in _changes(generated, "archives")}
    for change in generated.plan["changes"]:
        payload, kind = change.get("payload") or {}, change["kind"]
        if change["action"] != "create" or payload.get("is_active") is not False or kind in STEPS:
            continue
        # Created active (its history loads first), archived by a step at the end of the batch.
        assert f"{kind}:{change['source_id']}" in steps, change
        if kind in ("task_assignments", "user_assignments"):
            member = payload["task_id"] if kind == "task_assignments" else payload["user_id"]
            archived[kind].add(assignment_name(names[payload["project_id"]], names[member]))
        else:
            archived[kind].add(names[f"@{kind}:{change['source_id']}"])
    assert archived == {kind: set(names_) for kind, names_ in generated.expected.inactive.items()}
