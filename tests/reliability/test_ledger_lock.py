"""One run per ledger: while a real `migrator run` holds the ledger, a second process is refused.

The first process migrates both fixture accounts into a sandbox slowed to 25 ms a request, one
request at a time, so its load lasts seconds. Once it holds the lock (its pid is beside the lock file)
and has written to the ledger, every command of `CONTENDERS` is started as another real process
on the same ledger, side by side. Each must:

- exit 1 with exactly one line on stderr, `Error: ledger … is in use by another migrator run
  (pid N); wait for it to finish or stop it, then run again`, naming the first process's pid;
- print no traceback and nothing on stdout, and leave no trace in the ledger (no batch of its own).

The first process is still running when all of them have been refused; it then finishes normally
(exit 0) and the target holds exactly one object per planned record, the ledger equal to it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from migrator import api
from migrator.sandbox import Sandbox
from tests.accounts import SOURCES, assert_exactly_one_object_per_record
from tests.checks import snapshot
from tests.reliability.conftest import (
    assert_one_clean_error_line,
    ledger_writes,
    migrator,
    migrator_args,
    migrator_env,
)

# Started side by side while the first run holds the ledger (each also gets the first run's --ledger/--target).
CONTENDERS: dict[str, tuple[str | Path, ...]] = {
    "the same run again": ("run", *SOURCES.paths, "--batch", "locked", "--create-users"),
    "a run of another batch": ("run", *SOURCES.paths, "--batch", "another", "--create-users"),
    "a rollback of the running batch": ("rollback", "--batch", "locked"),
}


def wait_until_inside_the_load(first: subprocess.Popen[str], ledger: Path, timeout: float = 30) -> None:
    """Until the first process holds the lock and has committed ledger writes."""
    lock = ledger.with_name(ledger.name + ".lock.pid")  # who holds the lock, written once it is held
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and first.poll() is None:
        holder = lock.read_text().strip() if lock.exists() else ""
        if holder == f"pid {first.pid}" and ledger_writes(ledger) > 0:
            return
        time.sleep(0.01)
    raise AssertionError(f"the first run never got inside its load (exit {first.poll()})")


def test_a_second_process_is_refused_while_the_first_run_holds_the_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    with Sandbox(rate=None, latency_ms=25) as sandbox:
        before = snapshot(sandbox)
        env = migrator_env(sandbox.token, sandbox.account_id)
        target = ("--ledger", ledger, "--target", sandbox.url, "--rate", "1000/1")
        first_args = migrator_args("run", *SOURCES.paths, "--batch", "locked", "--create-users", *target,
                                   "--concurrency", "1")  # fmt: skip
        first = subprocess.Popen(first_args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until_inside_the_load(first, ledger)
            with ThreadPoolExecutor(len(CONTENDERS)) as pool:
                refused = {name: pool.submit(migrator, *args, *target, env=env) for name, args in CONTENDERS.items()}
            still_running = first.poll() is None
            stdout, stderr = first.communicate(timeout=120)
        finally:
            if first.poll() is None:
                first.kill()
        for name, future in refused.items():
            done = future.result()
            assert_one_clean_error_line(done, "is in use by another migrator run", f"(pid {first.pid})", str(ledger))
            assert "wait for it to finish or stop it, then run again" in done.stderr, name
            assert done.stdout == "", name
        assert still_running, "the first run ended before every contender was refused: nothing was proved"
        assert first.returncode == 0, stderr[-2000:]
        assert "Batch locked finished" in stdout
        assert [batch["name"] for batch in api.status(ledger)["batches"]] == ["locked"]
        assert_exactly_one_object_per_record(sandbox, ledger, before)


def test_run_and_rollback_work_where_fcntl_does_not_exist(tmp_path: Path) -> None:
    """On Windows there is no `fcntl`: the ledger lock must not need it (filelock picks what exists)."""
    ledger = tmp_path / "ledger.sqlite"
    without_fcntl = (
        "import sys; sys.modules['fcntl'] = None\n"  # `import fcntl` now fails, as on Windows
        "from migrator.cli import main; sys.argv = ['migrator', *sys.argv[1:]]; main()"
    )
    with Sandbox(rate=None) as sandbox:
        env = migrator_env(sandbox.token, sandbox.account_id)
        target = ("--ledger", str(ledger), "--target", sandbox.url, "--rate", "1000/1")
        for args in (("run", str(SOURCES.paths[1]), "--batch", "w", "--create-users"), ("rollback", "--batch", "w")):
            done = subprocess.run(
                [sys.executable, "-c", without_fcntl, *args, *target], env=env, capture_output=True, text=True,
                timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr[-2000:]
            assert "Traceback" not in done.stderr
