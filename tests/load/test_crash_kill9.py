"""The crash campaign: `kill -9` a real `migrator run` at seeded random instants, resume, compare.

Four campaigns on a fresh sandbox each, five kills per campaign (20 kill points), each followed by a
resume; after the final uninterrupted run the target must hold exactly the planned objects — no
duplicate, nothing missing — and every ledger row must point at an object that exists.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrator import api
from migrator.harvest.sandbox import Sandbox
from tests.conftest import REPO
from tests.load.test_exactly_once import EXPECTED, SOURCES, _spec, assert_ledger_matches_target

CAMPAIGNS = 4
KILLS_PER_CAMPAIGN = 5


def _command(sandbox: Sandbox, ledger: Path) -> tuple[list[str], dict[str, str]]:
    args = [sys.executable, "-m", "migrator", "run", *map(str, SOURCES.paths), "--batch", "crash",
            "--ledger", str(ledger), "--target", sandbox.url, "--create-users", "--rate", "1000/1",
            "--concurrency", "3"]
    env = os.environ | {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id,
                        "PYTHONPATH": str(REPO)}
    return args, env


@pytest.mark.parametrize("campaign", range(CAMPAIGNS))
def test_kill_dash_nine_at_random_instants_then_resume(campaign: int, tmp_path: Path) -> None:
    chance = random.Random(1000 + campaign)
    ledger = tmp_path / "ledger.sqlite"
    kills = 0
    with Sandbox(rate=None, latency_ms=25) as sandbox:
        args, env = _command(sandbox, ledger)
        while kills < KILLS_PER_CAMPAIGN:
            process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(chance.uniform(0.7, 2.5))  # after start-up, somewhere inside the load
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=60)
            if process.returncode == 0:
                break  # finished before the kill: the campaign is over early
        final = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr[-2000:]
        assert kills >= 1
        assert sandbox.stats()["objects"] == EXPECTED
        assert_ledger_matches_target(sandbox, ledger)
        assert api.verify(SOURCES, target=_spec(sandbox), ledger_path=ledger).ok
        again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0 and "0 requests" in again.stdout
