"""At scale (slow): `kill -9` and a faulty server during a 100,000-entry load, then the same proofs.

    python -m pytest -m slow tests/reliability/test_at_scale.py     # ~10 min per source system

The default suite proves exactly-once on the fixture accounts (the crash campaign: 50 kills; the
fault suites: every fault kind). This proves the same on an account the size the scale rebuild is
for: a generated export (`migrator.generate`, the traps of the end-to-end suite: people who left,
archived clients and projects with history, Harvest's own assignments, three currencies, …) of
100,000 time entries, loaded by the real CLI into a sandbox in its own process, its rate limit
lifted and `FAULT_RATE` of its requests faulted (500s, 502s and dropped connections after the
commit, stalls). The `run` is killed with SIGKILL at `KILLS` seeded moments and resumed each time;
the last attempt must finish. Then, exactly as in the end-to-end suite:

- the target is the expected account: every kind's count, every project's exact assignment set,
  what ends archived, hours in total and per project, money per currency;
- `verify` is green but for the differences the generator expects, each explained;
- one more `run` sends 0 requests.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from migrator.generate import generate
from migrator.sandbox.process import SandboxProcess
from migrator.target import sandbox_state_path
from tests.e2e.test_generated_accounts import (
    Account,
    assert_target_is_the_expected_account,
    assert_verified,
    requests_of,
)
from tests.working_tree import child_env, working_folder

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

ENTRIES = 100_000
KILLS = 5
SEED = 12
FAULT_RATE = 0.005
RUN = ("--batch", "history", "--create-users", "--concurrency", "8")


@pytest.fixture(params=["harvest-v1", "freshbooks"])
def account(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Account]:
    export, ledger = tmp_path / "export", tmp_path / "ledger.sqlite"
    expected = generate(request.param, export, entries=ENTRIES, seed=SEED)
    with SandboxProcess(sandbox_state_path(ledger), fault_rate=FAULT_RATE) as sandbox:
        target = ("--target", sandbox.url, "--rate", "100000/1")
        yield Account(request.param, export, ledger, expected, target, sandbox.env(), timeout=1800)


def _run_killed(account: Account, after: float) -> bool:
    """Start `migrator run`, SIGKILL it after `after` seconds; True if it was still running."""
    args = [sys.executable, "-m", "migrator", "run", str(account.export), "--ledger", str(account.ledger),
            *account.target_args, *RUN]  # fmt: skip
    env = child_env(**(account.env or {}))
    quiet = subprocess.DEVNULL
    process = subprocess.Popen(args, stdout=quiet, stderr=quiet, cwd=working_folder(), env=env)
    time.sleep(after)
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def test_a_large_account_killed_and_faulted_loads_exactly_once(account: Account) -> None:
    rng = random.Random(SEED)
    landed = sum(_run_killed(account, rng.uniform(3, 45)) for _kill in range(KILLS))
    assert landed == KILLS  # each kill hit a run that was still loading

    code, out, err = account.cli("run", *RUN)
    assert code == 0, out[-3000:] + err  # finished: nothing rejected, nothing blocked
    assert_target_is_the_expected_account(account)
    assert_verified(account)

    code, out, _err = account.cli("run", *RUN)
    assert code == 0 and requests_of(out) == 0, out[-800:]
