"""The crash campaign: `kill -9` a real `migrator run` at seeded random instants, resume, compare.

Campaigns on a fresh sandbox each, up to five kills per campaign, until at least 20 kills have landed
inside a running load; each kill is followed by a resume, and after the final uninterrupted run the
target must hold exactly the planned objects — no duplicate, nothing missing — every ledger row must
point at an object that exists, verify must be green, and a further run must send 0 requests.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from migrator import api
from migrator.harvest.sandbox import Sandbox
from tests.conftest import REPO
from tests.load.test_exactly_once import EXPECTED, SOURCES, _spec, assert_ledger_matches_target

CAMPAIGNS = 4
KILLS_PER_CAMPAIGN = 5


def _command(sandbox: Sandbox, ledger: Path) -> tuple[list[str], dict[str, str]]:
    args = [
        sys.executable,
        "-m",
        "migrator",
        "run",
        *map(str, SOURCES.paths),
        "--batch",
        "crash",
        "--ledger",
        str(ledger),
        "--target",
        sandbox.url,
        "--create-users",
        "--rate",
        "1000/1",
        "--concurrency",
        "3",
    ]
    env = os.environ | {
        "HARVEST_ACCESS_TOKEN": sandbox.token,
        "HARVEST_ACCOUNT_ID": sandbox.account_id,
        "PYTHONPATH": str(REPO),
    }
    return args, env


def _campaign(seed: int, tmp_path: Path) -> int:
    """One fresh account: kill -9 up to five times mid-load, resume, then check everything. Returns the kills."""
    chance = random.Random(1000 + seed)
    ledger = tmp_path / f"ledger-{seed}.sqlite"
    kills = 0
    with Sandbox(rate=None, latency_ms=60) as sandbox:  # a load of ~3 s: kills land inside it
        args, env = _command(sandbox, ledger)
        while kills < KILLS_PER_CAMPAIGN:
            process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(chance.uniform(0.7, 2.5))  # after start-up, somewhere inside the load
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=60)
            if process.returncode == 0:
                break  # the load finished before this kill: the campaign ends here
        final = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr[-2000:]
        assert sandbox.stats()["objects"] == EXPECTED
        assert_ledger_matches_target(sandbox, ledger)
        assert api.verify(SOURCES, target=_spec(sandbox), ledger_path=ledger).ok
        again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0 and "0 requests" in again.stdout
    return kills


def test_kill_dash_nine_at_random_instants_then_resume(tmp_path: Path) -> None:
    """Campaigns until at least 20 kills landed inside a load (bounded), each one fully checked."""
    total, campaigns = 0, 0
    while total < CAMPAIGNS * KILLS_PER_CAMPAIGN and campaigns < 10:
        total += _campaign(campaigns, tmp_path)
        campaigns += 1
    assert total >= CAMPAIGNS * KILLS_PER_CAMPAIGN, f"only {total} kill points in {campaigns} campaigns"
