"""No email, ever: a migration into an account whose people already exist sends nobody anything.

Harvest emails people when a user is created (an invitation), when an invoice or estimate message
has no `event_type`, and when a payment is recorded without `send_thank_you: false`. The sandbox
counts each of those in `emails_sent` (read here from `/__sandbox/stats`).

The fixture people are seeded into the target first (as an administrator would invite them before
migrating), then both fixture accounts are migrated in full without `--create-users`:

- through the real CLI (`migrator run`, then `verify`, then a second `run`), on a calm target;
- through the library, with an outcome-unknown fault (502 after applying, dropped answer, stall)
  on 40 % of the requests from the moment invoices exist, so payments and state messages are
  reconciled (found in the target) or sent again.

Both runs replay the source's invoice and estimate history (sent, paid, closed, accepted): that
replay is checked to have happened, and `emails_sent` is 0 after every step.
The crash campaign (`test_crash_campaign.py`) adds the same proof under `kill -9`: with
`--create-users` it expects exactly the six invitations and not one email more.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from migrator.load.loader import LoadEvent
from migrator.sandbox import Sandbox
from tests.accounts import PEOPLE, SOURCES, planned_records, run_through_faults, seed_people
from tests.checks import assert_ledger_matches_target, assert_target_matches_plan, snapshot
from tests.reliability.conftest import migrator, migrator_env, sandbox_stats

UNKNOWN_OUTCOMES = ("commit_502", "commit_drop", "stall")
REPLAY_KINDS = ("invoice_payments", "invoice_messages", "estimate_messages")
# High enough that some of the ~17 replay POSTs surely fail (0.6 ** 17 < 0.0002), low enough to converge.
REPLAY_FAULT_RATE = 0.4


def assert_history_replayed_without_email(sandbox: Sandbox) -> None:
    """Invoices and estimates carry their source states, reached by events only; nobody was emailed."""
    invoices = {invoice["state"] for invoice in sandbox.objects("invoices")}
    estimates = {estimate["state"] for estimate in sandbox.objects("estimates")}
    assert {"open", "paid", "closed"} <= invoices, invoices
    assert {"sent", "accepted"} <= estimates, estimates
    messages = sandbox.objects("invoice_messages") + sandbox.objects("estimate_messages")
    assert messages and all(message["event_type"] for message in messages)
    assert len(sandbox.objects("invoice_payments")) > 0
    stats = sandbox_stats(sandbox)
    assert stats["objects"]["users"] == 1 + len(PEOPLE)  # the owner and the seeded people: all adopted
    assert stats["emails_sent"] == 0


def test_a_full_migration_through_the_cli_emails_nobody(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    with Sandbox(rate=None) as sandbox:
        seed_people(sandbox)
        before = snapshot(sandbox)
        env = migrator_env(sandbox.token, sandbox.account_id)
        target = ("--ledger", ledger, "--target", sandbox.url, "--rate", "1000/1")
        run = migrator("run", *SOURCES.paths, "--batch", "people-first", *target, env=env)
        assert run.returncode == 0, run.stderr[-2000:]
        assert re.search(r"^  users +6 adopted$", run.stdout, re.MULTILINE), run.stdout[-3000:]
        assert_history_replayed_without_email(sandbox)
        assert_target_matches_plan(sandbox, ledger, planned_records(), before)
        verify = migrator("verify", *SOURCES.paths, *target, env=env)
        assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-2000:]
        again = migrator("run", *SOURCES.paths, "--batch", "people-first", *target, env=env)
        assert again.returncode == 0 and "; 0 requests in " in again.stdout, again.stdout[-500:]
        assert sandbox_stats(sandbox)["emails_sent"] == 0


def billing_reconciliations(ledger: Path) -> int:
    """Payments and state messages whose POST outcome was unknown and that were found in the target."""
    with closing(sqlite3.connect(ledger)) as db:
        query = "SELECT count(*) FROM events WHERE action = 'reconciled' AND kind IN (?, ?, ?)"
        return int(db.execute(query, REPLAY_KINDS).fetchone()[0])


@pytest.mark.parametrize("fault", UNKNOWN_OUTCOMES)
def test_a_replay_reconciled_after_unknown_outcomes_emails_nobody(fault: str, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    with Sandbox(rate=None, fault_kinds=(fault,), fault_seed=5, stall_seconds=0.6) as sandbox:
        seed_people(sandbox)
        before = snapshot(sandbox)

        def storm_the_replay(event: LoadEvent) -> None:
            # Faults start once invoices exist, so they land on the payments and state messages.
            if event.kind == "invoices":
                sandbox.set_fault_rate(REPLAY_FAULT_RATE)

        assert run_through_faults(sandbox, ledger, create_users=False, progress=storm_the_replay) is not None
        assert sandbox_stats(sandbox)["faults_injected"] > 0
        assert billing_reconciliations(ledger) > 0  # some replay POSTs were applied without us knowing
        assert_history_replayed_without_email(sandbox)
        assert_ledger_matches_target(sandbox, ledger)
        assert_target_matches_plan(sandbox, ledger, planned_records(), before)
