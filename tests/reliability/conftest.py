"""Helpers shared by the reliability proofs: the real command line as a subprocess, the sandbox's
instrument read over HTTP, and the wording of a one-line CLI error.

Everything else comes from `tests/load`: the fixture accounts and their expected target
(`test_exactly_once`), and the exactly-once checks against the target (`conftest`).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from migrator.sandbox import Sandbox
from tests.conftest import REPO
from tests.working_tree import child_env


def migrator_args(*args: str | Path) -> list[str]:
    """`python -m migrator ARGS…` with this interpreter."""
    return [sys.executable, "-m", "migrator", *map(str, args)]


def migrator_env(token: str | None = None, account_id: str | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: ours without any HARVEST_* variable, plus the given credentials."""
    env = child_env()
    if token is not None:
        env["HARVEST_ACCESS_TOKEN"] = token
    if account_id is not None:
        env["HARVEST_ACCOUNT_ID"] = account_id
    return env


def migrator(
    *args: str | Path, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI to completion and capture its output."""
    return subprocess.run(
        migrator_args(*args), env=env, cwd=cwd or REPO, capture_output=True, text=True, timeout=timeout
    )


def ledger_writes(ledger: Path) -> int:
    """Intents plus results committed so far, read from outside the process that writes them."""
    if not ledger.exists():
        return 0
    try:
        with closing(sqlite3.connect(ledger, timeout=1)) as db:
            query = "SELECT (SELECT count(*) FROM events) + (SELECT coalesce(sum(attempts), 0) FROM records)"
            return int(db.execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # created but its schema not written yet


def sandbox_stats(sandbox: Sandbox) -> dict[str, Any]:
    """`GET /__sandbox/stats`, over HTTP like any outside observer (no auth needed)."""
    return httpx.get(sandbox.url.removesuffix("/v2") + "/__sandbox/stats", timeout=5).raise_for_status().json()  # type: ignore[no-any-return]


def assert_one_clean_error_line(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 1 with exactly one `Error: …` line on stderr naming each needle, and no traceback."""
    assert done.returncode == 1, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr[-2000:]
    assert "Traceback" not in done.stderr + done.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
