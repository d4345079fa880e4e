"""Conventions a script and a terminal rely on: exit codes, colour, narrow encodings, verbose logs."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_plan_and_errors import TOKEN, migrator
from tests.working_tree import child_env, working_folder

ESC = "\x1b["


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("plan", "/nonexistent", "--offline"), id="missing-path"),
        pytest.param(("plan", "fixtures/harvest-v1", "--offlin"), id="unknown-option"),
        pytest.param(("run", "fixtures/harvest-v1", "--sandbox"), id="missing-required-option"),
        pytest.param(("plan", "fixtures/harvest-v1", "--format", "yaml"), id="bad-choice"),
        pytest.param(("frobnicate",), id="unknown-command"),
    ],
)
def test_a_usage_error_exits_1_never_2(args: tuple[str, ...]) -> None:
    done = migrator(*args)
    assert done.returncode == 1, done.stderr
    assert "Error:" in done.stderr and "Traceback" not in done.stderr


def on_a_terminal(*args: str, env: dict[str, str] | None = None) -> str:
    """Run migrator with stdout and stderr on a pseudo-terminal; return what it printed."""
    main, child = pty.openpty()
    full_env = child_env({k: v for k, v in os.environ.items() if k != "NO_COLOR"}, TERM="xterm-256color")
    full_env |= env or {}
    process = subprocess.Popen(
        [sys.executable, "-m", "migrator", *args], stdout=child, stderr=child, env=full_env, cwd=working_folder()
    )
    os.close(child)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_and_none_under_no_color_or_no_color_flag() -> None:
    plan = ("plan", "fixtures/harvest-v1", "--offline", "--create-users")
    assert ESC in on_a_terminal(*plan)  # the terminal really is one: colour by default
    assert ESC not in on_a_terminal(*plan, env={"NO_COLOR": "1"})
    assert ESC not in on_a_terminal(*plan, "--no-color")
    assert ESC in on_a_terminal(*plan, "--color", env={"NO_COLOR": "1"})  # asked for explicitly


def test_output_in_a_narrow_console_encoding_never_crashes() -> None:
    # cp1252 has no "←" (an assignment's label) nor "日本" (a client's address).
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "plan", "fixtures/harvest-v1", "fixtures/freshbooks", "--offline",
         "--create-users"],
        capture_output=True, encoding="cp1252", cwd=working_folder(), timeout=120,
        env=child_env(PYTHONIOENCODING="cp1252"),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "\\u2190" in done.stdout  # escaped, not fatal


def test_verbose_logs_retries_and_never_the_token(tmp_path: Path) -> None:
    from migrator.sandbox import Sandbox

    with Sandbox(rate=(5, 1.0), token=TOKEN) as sandbox:  # a tight limit: 429s and their waits
        env = {"HARVEST_ACCESS_TOKEN": TOKEN, "HARVEST_ACCOUNT_ID": sandbox.account_id}
        done = migrator("run", "fixtures/freshbooks/clients", "--batch", "v", "--target", sandbox.url,
                        "--ledger", str(tmp_path / "l.sqlite"), "--rate", "1000/1", "-v", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "throttled (429): every request waits" in done.stderr
    assert TOKEN not in done.stderr and TOKEN not in done.stdout


def test_a_plan_saved_against_a_fresh_sandbox_applies_to_the_fresh_sandbox_run_starts(tmp_path: Path) -> None:
    # `plan --sandbox` writes nothing, so `run` starts a new sandbox account: it must be the same
    # account (ids and timestamps), or every saved plan reads as stale.
    ledger, saved = str(tmp_path / "ledger.sqlite"), str(tmp_path / "plan.json")
    common = ("fixtures/harvest-v1", "--sandbox", "--create-users", "--ledger", ledger)
    planned = migrator("plan", *common, "--save-plan", saved)
    assert planned.returncode == 2, planned.stderr
    assert not (tmp_path / "ledger.sqlite.sandbox.sqlite").exists()  # the plan wrote nothing
    done = migrator("run", *common, "--plan", saved, "--batch", "pilot")
    assert done.returncode == 0, done.stderr
    assert "stale" not in done.stderr and "Batch pilot finished" in done.stdout
