"""The crash campaign: `kill -9` a real `migrator run` inside its load, resume it, prove exactly once.

The run loads BOTH fixture accounts (`fixtures/harvest-v1` and `fixtures/freshbooks`: 117 records
to load, 6 skipped) into a real sandbox on 127.0.0.1 that adds a few milliseconds to every request.
Each attempt is killed after a seeded random number of ledger writes (intents and results) plus a
seeded random few milliseconds, so kills land inside the load while requests are in flight: between
an intent and its POST, during a POST, between an answer and its recorded v2 id. The next attempt is
the resume, and may be killed in turn. A campaign (a fresh target account and ledger) ends when an
attempt finishes; campaigns repeat until exactly the test's number of kill points have landed: 20
by default, 50 with `-m slow` (the first 20 of those are the default's).

After each campaign:
- zero duplicates and zero missing: the target holds exactly one object per planned record, carrying
  its payload, and nothing else (`assert_target_matches_plan`; object counts equal `EXPECTED`);
- the ledger equals the target: every done/adopted row points at an existing object, no row is left
  pending, no natural key appears twice;
- Harvest sent exactly the six invitations of the six created users, not one email more;
- `verify` is green, and one more `migrator run` changes nothing and its load sends 0 requests.

Over the whole campaign, at least half of the kills must have left an intent in doubt (a pending
ledger row), and resumes must have found some of those objects in the target: proof that the kills
hit the window between a POST and its recorded answer, where duplicates are born.

Cost: 50 kill points took 35-47 s on the 2-core CI machine alone, and up to 144 s beside the rest of
the suite on two workers; the default suite runs 20 (and 8 around the reactivated person) to stay
under 8 minutes, and `-m slow` runs the full 50 and 20:
    .venv/bin/python -m pytest -m slow tests/reliability/test_crash_campaign.py
"""

from __future__ import annotations

import random
import re
import sqlite3
import subprocess
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from migrator import api
from migrator.load.ledger import Ledger
from migrator.sandbox import Sandbox
from tests.accounts import PEOPLE, SOURCES, assert_exactly_one_object_per_record
from tests.checks import reconciliations, snapshot, target_spec
from tests.reliability.conftest import ledger_writes, migrator_args, migrator_env

KILLS = 20  # kill points in the whole campaign (the slow proof: FULL_KILLS)
FULL_KILLS = 50
SEED = 2026
LATENCY_MS = 4  # per request: a POST is in flight long enough for a kill to land inside it
MAX_WRITES_BEFORE_KILL = 60  # a full load is ~250 ledger writes: several kills per campaign
INVITATIONS = 6  # the users `--create-users` creates (Harvest emails each one once)
CLEO = "cleo@freelance.example"  # v1 person 703, who left: her history is on a deactivated assignment
WINDOW_KILLS = 8  # kill points of the campaign where she exists archived in the target beforehand
FULL_WINDOW_KILLS = 20


@dataclass
class Tally:
    """What the kills did: how many landed, and how many left an intent whose outcome was unknown."""

    kills: int = 0
    in_doubt: int = 0  # kills after which the ledger held a pending intent (killed between intent and result)
    reconciled: int = 0  # intents in doubt whose object a resume found in the target (so never sent again)


def pending_intents(ledger: Path) -> int:
    with closing(sqlite3.connect(ledger, timeout=5)) as db:
        return int(db.execute("SELECT count(*) FROM records WHERE state = 'pending'").fetchone()[0])


def run_command(sandbox: Sandbox, ledger: Path) -> tuple[list[str], dict[str, str]]:
    """The `migrator run` of both fixture accounts into `sandbox`, and its environment."""
    args = migrator_args("run", *SOURCES.paths, "--batch", "crash", "--ledger", ledger, "--target", sandbox.url,
                         "--create-users", "--rate", "1000/1", "--concurrency", "3")  # fmt: skip
    return args, migrator_env(sandbox.token, sandbox.account_id)


def attempt(args: list[str], env: dict[str, str], ledger: Path, chance: random.Random, *, kill: bool) -> bool:
    """Run once; with `kill`, kill -9 it after a seeded number of ledger writes. True if it was killed."""
    start = ledger_writes(ledger)
    writes, jitter = chance.randint(1, MAX_WRITES_BEFORE_KILL), chance.uniform(0.0, 0.02)
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while kill and process.poll() is None:
            if ledger_writes(ledger) - start >= writes:
                time.sleep(jitter)
                if process.poll() is None:
                    process.kill()  # SIGKILL: no cleanup, no flush, no goodbye
                    process.wait(timeout=30)
                    return True
            time.sleep(0.002)
        process.wait(timeout=120)
    finally:
        stderr = process.stderr.read().decode() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
    assert process.returncode == 0, stderr[-2000:]
    return False


def assert_exactly_once_and_idle(sandbox: Sandbox, ledger: Path, before: dict[str, set[int]], args: list[str],
                                 env: dict[str, str], invitations: int = INVITATIONS) -> None:  # fmt: skip
    """Everything the module docstring promises after a campaign."""
    assert_exactly_one_object_per_record(sandbox, ledger, before)
    with Ledger(ledger) as opened:
        assert [f"{r.kind} {r.source_id}" for r in opened.rows(state="pending")] == []
    assert sandbox.stats()["emails_sent"] == invitations
    assert api.verify(SOURCES, target=target_spec(sandbox), ledger_path=ledger).ok
    objects = snapshot(sandbox)
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    assert re.search(r"; 0 requests in ", again.stdout), again.stdout[-500:]
    assert snapshot(sandbox) == objects


def campaign(number: int, budget: int, tmp_path: Path, tally: Tally, *, people_who_left: bool = False) -> None:
    """One fresh account, killed up to `budget` times, then run to the end; everything checked.

    `people_who_left`: the target already holds the fixture people, Cleo archived (she left): she is
    adopted, reactivated for her history, and must end archived again, whatever the kills did.
    """
    chance = random.Random(SEED + number)
    ledger = tmp_path / f"ledger-{number}.sqlite"
    kills = 0
    with Sandbox(rate=None, latency_ms=LATENCY_MS) as sandbox:
        if people_who_left:
            for first, last, email in PEOPLE:
                sandbox.seed_user(first, last, email, is_active=email != CLEO)
        before = snapshot(sandbox)
        args, env = run_command(sandbox, ledger)
        while attempt(args, env, ledger, chance, kill=kills < budget):
            kills += 1
            tally.in_doubt += pending_intents(ledger) > 0
        assert_exactly_once_and_idle(sandbox, ledger, before, args, env, 0 if people_who_left else INVITATIONS)
        if people_who_left:
            (cleo,) = [user for user in sandbox.objects("users") if user["email"] == CLEO]
            assert cleo["is_active"] is False  # put back as it was
    tally.kills += kills
    tally.reconciled += reconciliations(ledger)


@pytest.mark.parametrize("kills", [KILLS, pytest.param(FULL_KILLS, marks=pytest.mark.slow)])
def test_kill_dash_nines_inside_the_load_each_resumed_exactly_once(tmp_path: Path, kills: int) -> None:
    tally, campaigns = Tally(), 0
    while tally.kills < kills:
        campaign(campaigns, kills - tally.kills, tmp_path, tally)
        campaigns += 1
        assert campaigns <= 20, f"only {tally.kills} kills landed in {campaigns} campaigns"
    assert tally.kills == kills
    # The kills really landed inside requests: most left an intent in doubt, and some of those POSTs had
    # reached Harvest before the kill (a resume found their objects and adopted them, sending nothing).
    assert tally.in_doubt >= kills // 2, tally
    assert tally.reconciled > 0, tally


@pytest.mark.parametrize("kills", [WINDOW_KILLS, pytest.param(FULL_WINDOW_KILLS, marks=pytest.mark.slow)])
def test_kills_around_a_reactivated_person_end_with_her_archived_again(tmp_path: Path, kills: int) -> None:
    """The reactivation window (reactivate -> her history -> archive again) survives kill -9 anywhere."""
    tally, campaigns = Tally(), 0
    while tally.kills < kills:
        campaign(100 + campaigns, kills - tally.kills, tmp_path, tally, people_who_left=True)
        campaigns += 1
        assert campaigns <= 10, f"only {tally.kills} kills landed in {campaigns} campaigns"
    assert tally.kills == kills
