"""The crash campaign: `kill -9` a real `migrator run` inside its load, resume, and compare with the plan.

Each attempt is killed after a seeded random number of ledger writes (intents and results) plus a
seeded random few milliseconds, so every kill lands while requests are in flight: between an
intent and its POST, during a POST, between an answer and its recorded id. Attempts repeat until
one finishes; campaigns (a fresh account each) repeat until at least 20 kills have landed. After
each campaign the target must hold exactly one object per planned record, carrying its payload,
the ledger must agree with it, verify must be green, and one more run must send 0 requests.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from migrator import api
from migrator.harvest.sandbox import Sandbox
from migrator.mapping import MapContext, Planned
from tests.conftest import REPO
from tests.load.conftest import assert_target_matches_plan, snapshot
from tests.load.test_exactly_once import EXPECTED, SOURCES, _spec

KILLS = 20
SEED = 2026


def ledger_writes(ledger: Path) -> int:
    """Intents plus results committed so far, read from outside the running process."""
    if not ledger.exists():
        return 0
    try:
        with closing(sqlite3.connect(ledger, timeout=1)) as db:
            query = "SELECT (SELECT count(*) FROM events) + (SELECT coalesce(sum(attempts), 0) FROM records)"
            return int(db.execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # created but not yet migrated


def command(sandbox: Sandbox, ledger: Path) -> tuple[list[str], dict[str, str]]:
    args = [sys.executable, "-m", "migrator", "run", *map(str, SOURCES.paths), "--batch", "crash",
            "--ledger", str(ledger), "--target", sandbox.url, "--create-users", "--rate", "1000/1",
            "--concurrency", "3"]  # fmt: skip
    env = os.environ | {
        "HARVEST_ACCESS_TOKEN": sandbox.token,
        "HARVEST_ACCOUNT_ID": sandbox.account_id,
        "PYTHONPATH": str(REPO),
    }
    return args, env


def attempt(args: list[str], env: dict[str, str], ledger: Path, chance: random.Random) -> bool:
    """Run once; kill -9 it after a random number of ledger writes. True if killed, False if it finished."""
    start, writes, jitter = ledger_writes(ledger), chance.randint(1, 60), chance.uniform(0.0, 0.02)
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while process.poll() is None:
            if ledger_writes(ledger) - start >= writes:
                time.sleep(jitter)
                if process.poll() is None:
                    process.kill()  # SIGKILL: no cleanup, no flush, no goodbye
                    process.wait(timeout=30)
                    return True
            time.sleep(0.002)
    finally:
        stderr = process.stderr.read().decode() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
    assert process.returncode == 0, stderr[-2000:]
    return False


def planned_records() -> list[Planned]:
    exports, sink = api.read_and_map(SOURCES, MapContext())
    for export in exports:
        export.close()
    return sink.planned


def campaign(number: int, tmp_path: Path) -> int:
    """One fresh account, killed until a run finishes; everything checked. Returns the kills."""
    chance = random.Random(SEED + number)
    ledger = tmp_path / f"ledger-{number}.sqlite"
    kills = 0
    with Sandbox(rate=None, latency_ms=15) as sandbox:
        before = snapshot(sandbox)
        args, env = command(sandbox, ledger)
        while attempt(args, env, ledger, chance):
            kills += 1
            assert kills < 60, "the load never finished"
        assert sandbox.stats()["objects"] == EXPECTED
        assert_target_matches_plan(sandbox, ledger, planned_records(), before)
        assert api.verify(SOURCES, target=_spec(sandbox), ledger_path=ledger).ok
        again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0 and " 0 requests" in again.stdout, again.stdout[-500:]
    return kills


def test_kill_dash_nine_inside_the_load_then_resume(tmp_path: Path) -> None:
    kills, campaigns = 0, 0
    while kills < KILLS:
        kills += campaign(campaigns, tmp_path)
        campaigns += 1
        assert campaigns <= 8, f"only {kills} kills in {campaigns} campaigns"
