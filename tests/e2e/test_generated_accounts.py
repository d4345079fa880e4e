"""Accounts shaped like ten-year-old ones, through the real CLI, into the sandbox and back out.

For each source system a generated export (`migrator.generate`: people who left with history on a
deactivated assignment — in FreshBooks on no project's staff list, their assignment implied by
their history, like a task taken off a project — archived clients and projects with history,
retired tasks and expense categories, default tasks and all-future-projects people, three
currencies, partial payments, write-offs, one, two and three tax rates, credits, deleted-folder
records…) goes through:

    plan → run → verify → run again → rollback → run again → verify → cut-over batch → verify → run again

and after each step the target is compared with what the generator says a correct migration
leaves (`Expected`, computed from its own model, never from the mapping code): every kind's count,
every project's exact assignment set, what ends archived (each assignment active or inactive),
hours in total and per project, money per currency (where v2 cannot hold an amount, exactly the
stated difference), nothing rejected, 0 requests on a re-run, nothing of ours left after a
rollback. The cut-over batch runs over a newer export (`newer_export.py`) where one inactive
assignment is active again and one active one is inactive now.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from migrator.generate import Expected, generate
from migrator.generate.expected import assignment_name
from migrator.kinds import KINDS
from migrator.sandbox.render import render
from migrator.sandbox.store import OWNER, Store
from migrator.target import sandbox_state_path
from tests.e2e import newer_export
from tests.generate.conftest import run_cli

ENTRIES = 300
SEEDED_CATEGORIES = {"Service", "Product"}  # every new Harvest account has these, of both item kinds
ASSIGNMENT_KINDS = {"task_assignments": "task", "user_assignments": "user"}
NOTE_FIELD = re.compile(r"(?:^|; )([a-z][a-z0-9_.*]*): ")  # the field each "field: note" of explained_by starts with


@dataclass
class Account:
    """A generated export, its expectation, and the ledger (and sandbox state beside it) it loads with."""

    system: str
    export: Path
    ledger: Path
    expected: Expected
    target_args: tuple[str, ...] = ("--sandbox",)  # or `--target URL` of a sandbox in its own process
    env: dict[str, str] | None = None  # its credentials
    timeout: float = 300  # seconds per command

    def cli(self, command: str, *args: str) -> tuple[int, str, str]:
        ledger = ("--ledger", str(self.ledger))
        source = (str(self.export),) if command in ("plan", "run", "verify") else ()
        target = self.target_args
        done = run_cli("migrator", command, *source, *ledger, *target, *args, env=self.env, timeout=self.timeout)
        return done.returncode, done.stdout, done.stderr

    def target(self) -> dict[str, list[dict[str, Any]]]:
        """Every object of the sandbox account, as Harvest's API shows it."""
        store = Store(state_path=sandbox_state_path(self.ledger))
        try:
            return {kind: [render(store, kind, raw) for raw in store.all(kind)] for kind in KINDS}
        finally:
            store.close()


@pytest.fixture(params=["harvest-v1", "freshbooks"])
def account(request: pytest.FixtureRequest, tmp_path: Path) -> Account:
    export = tmp_path / "export"
    expected = generate(request.param, export, entries=ENTRIES, seed=0)
    return Account(request.param, export, tmp_path / "ledger.sqlite", expected)


def requests_of(stdout: str) -> int:
    found = re.search(r"; (\d+) requests in ", stdout)
    assert found, stdout[-800:]
    return int(found.group(1))


def _ours(target: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The target without what a new account holds by itself (its owner, the seeded item categories)."""
    seeded = {
        "users": lambda obj: obj["email"] == OWNER["email"],
        "invoice_item_categories": lambda obj: obj["name"] in SEEDED_CATEGORIES,
        "estimate_item_categories": lambda obj: obj["name"] in SEEDED_CATEGORIES,
    }
    return {kind: [o for o in objs if not seeded.get(kind, lambda _o: False)(o)] for kind, objs in target.items()}


def assert_target_is_the_expected_account(account: Account) -> None:
    """The target, read back, equals what the generator says a correct migration leaves."""
    expected, target = account.expected, account.target()
    ours = _ours(target)
    for kind, count in expected.counts.items():
        if kind in expected.item_categories:
            continue  # a source category named Service or Product is the account's own: checked by name below
        assert len(ours[kind]) == count, f"{kind}: {len(ours[kind])} in the target, {count} expected"
    for kind, names in expected.item_categories.items():
        assert len(names) == expected.counts[kind], kind
        assert sorted(o["name"] for o in target[kind]) == sorted(SEEDED_CATEGORIES | names), kind
    emails = {user["id"]: user["email"] for user in target["users"]}
    held: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for kind, member in ASSIGNMENT_KINDS.items():
        for obj in target[kind]:
            name = obj[member]["name"] if member == "task" else emails[obj[member]["id"]]
            held[obj["project"]["name"]][0 if member == "task" else 1].add(name)
    # Exactly the source's assignments: none of those Harvest added by itself remains.
    assert {p: (frozenset(t), frozenset(u)) for p, (t, u) in held.items()} == dict(expected.assignments)
    archived: dict[str, set[str]] = {kind: set() for kind in expected.inactive}
    names = {"users": "email"}
    for kind in ("clients", "projects", "tasks", "expense_categories", "users"):
        archived[kind] = {o[names.get(kind, "name")] for o in ours[kind] if o.get("is_active") is False}
    for kind, member in ASSIGNMENT_KINDS.items():
        archived[kind] = {
            assignment_name(o["project"]["name"], o[member]["name"] if member == "task" else emails[o[member]["id"]])
            for o in target[kind]
            if o.get("is_active") is False
        }
    assert archived == {kind: set(found) for kind, found in expected.inactive.items()}
    hours: dict[str, Decimal] = defaultdict(Decimal)
    for entry in target["time_entries"]:
        hours[entry["project"]["name"]] += Decimal(str(entry["hours"]))
    assert sum(hours.values(), Decimal(0)) == expected.hours
    assert dict(hours) == dict(expected.hours_by_project)
    money: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for invoice in target["invoices"]:
        figures = money[invoice["currency"]]
        figures["invoice_amount"] += Decimal(str(invoice["amount"]))
        figures["invoice_due"] += Decimal(str(invoice["due_amount"]))
    for currency, paid in _payments_per_currency(account).items():  # a payment has its invoice's currency
        money[currency]["payments"] += paid
    # Where v2 cannot hold an invoice's amount, the target differs by exactly the stated difference.
    for name, lossy in expected.lossy_money.items():
        if ":invoices:" in name:
            money[lossy.currency]["invoice_amount"] += lossy.difference
            money[lossy.currency]["invoice_due"] += lossy.difference
    assert {c: dict(f) for c, f in money.items()} == {c: dict(f) for c, f in expected.money.items()}


def _payments_per_currency(account: Account) -> dict[str, Decimal]:
    store = Store(state_path=sandbox_state_path(account.ledger))
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for payment in store.all("invoice_payments"):
        invoice = store.get("invoices", payment["invoice_id"])
        paid[str(invoice["currency"])] += Decimal(str(payment["amount"]))
    store.close()
    return dict(paid)


def assert_verified(account: Account, *, accept_explained: bool = True) -> None:
    """`verify` exits 0, or 2 with only the differences the generator expects, each explained (and 0 with
    `--accept-explained`, unless told not to ask: a second verify costs seconds)."""
    code, out, err = account.cli("verify", "--format", "json")
    assert code in (0, 2), err
    report = json.loads(out)
    explained = {d["source"] for d in report["differences"]}
    assert all(d["explained_by"] for d in report["differences"]), report["differences"]
    for difference in report["differences"]:  # the notes about money come first, as the generator expects
        expected = account.expected.lossy_money[difference["source"]].explained_by
        fields = NOTE_FIELD.findall(difference["explained_by"])
        assert sorted(fields[: len(expected)]) == sorted(expected), difference
    invoices = {name for name in account.expected.lossy_money if ":invoices:" in name or ":estimates:" in name}
    assert explained == invoices, report["differences"]
    assert code == (2 if invoices else 0)
    if accept_explained:
        assert account.cli("verify", "--accept-explained")[0] == 0
    assert report["totals"]["hours"] == {"source": str(account.expected.hours), "target": str(account.expected.hours)}


def test_a_generated_account_loads_verifies_reruns_rolls_back_and_loads_again(account: Account) -> None:
    code, out, err = account.cli("plan", "--format", "json", "--create-users")
    assert code == 2, err
    plan = json.loads(out)
    assert plan["errors"] == []
    assert not [c for c in plan["changes"] if c["action"] == "invalid"]
    assert plan["summary"]["archives"]["create"] > 0  # archived things with history are in every account

    code, out, err = account.cli("run", "--batch", "history", "--create-users")
    assert code == 0, out[-3000:] + err  # nothing rejected, nothing blocked
    assert_target_is_the_expected_account(account)
    assert_verified(account)

    code, out, _err = account.cli("run", "--batch", "history", "--create-users")
    assert code == 0 and requests_of(out) == 0, out[-800:]

    code, out, err = account.cli("rollback", "--batch", "history")
    assert code == 0, err
    left = {kind: len(objs) for kind, objs in _ours(account.target()).items() if objs}
    assert left == {}, f"left in the target after rollback: {left}"

    code, out, err = account.cli("run", "--batch", "history", "--create-users")
    assert code == 0, out[-3000:] + err
    assert_target_is_the_expected_account(account)
    assert_verified(account, accept_explained=False)  # asked once above

    assert_a_cut_over_changes_assignment_states_both_ways(account)


def assert_a_cut_over_changes_assignment_states_both_ways(account: Account) -> None:
    """A cut-over batch over a newer export where one assignment the first batch archived is active
    again, and one it left active is inactive now: each ends as the newer export says."""
    back, off = newer_export.choose(account.system, account.target(), account.ledger)
    newer = account.export.with_name("newer-export")
    newer_export.write(account.system, account.export, newer, (back, off))
    inactive = dict(account.expected.inactive)
    for flip in (back, off):
        names = set(inactive[flip.kind])
        inactive[flip.kind] = frozenset(names - {flip.name} if flip.active else names | {flip.name})
    cutover = replace(account, export=newer, expected=replace(account.expected, inactive=inactive))

    code, out, err = cutover.cli("run", "--batch", "cutover", "--create-users", "--format", "json")
    assert code == 0, out[-3000:] + err
    sent = {
        kind: states
        for kind, counted in json.loads(out)["counts"].items()
        if (states := {state: n for state, n in counted.items() if state not in ("unchanged", "skipped")})
    }
    assert sent == {
        **{kind: {"updated": n} for kind, n in Counter((back.kind, off.kind)).items()},
        "archives": {"done": 1},  # the one taken off, after its history, as ever
    }
    assert_target_is_the_expected_account(cutover)
    assert_verified(cutover, accept_explained=False)
    code, out, _err = cutover.cli("run", "--batch", "cutover", "--create-users")
    assert code == 0 and requests_of(out) == 0, out[-800:]
