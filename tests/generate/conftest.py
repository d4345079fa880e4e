"""Generated accounts shared by the tests of this folder: each (system, seed) is generated once and
planned once through the real CLI (`migrator plan OUT --offline --format json --create-users`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from migrator.generate import Expected, generate
from tests.conftest import REPO
from tests.working_tree import child_env

ENTRIES = 300
ACCOUNTS = [
    pytest.param(("harvest-v1", 0), id="v1-seed0"),
    pytest.param(("harvest-v1", 1), id="v1-seed1"),
    pytest.param(("freshbooks", 0), id="fb-seed0"),
    pytest.param(("freshbooks", 1), id="fb-seed1"),
]


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """A real command line, in a fresh interpreter, with no Harvest credentials around but `env`'s."""
    clean = child_env()
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=timeout, env=clean | (env or {}),
        cwd=cwd or REPO,
    )  # fmt: skip


@dataclass
class Generated:
    system: str
    seed: int
    path: Path
    expected: Expected
    plan: dict[str, Any]  # the `plan --format json` document
    returncode: int

    def name(self, kind: str, source_id: str) -> str:
        return f"{self.system}:{kind}:{source_id}"


@pytest.fixture(scope="session")
def account(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, int], Generated]:
    cache: dict[tuple[str, int], Generated] = {}

    def get(system: str, seed: int) -> Generated:
        if (system, seed) not in cache:
            root = tmp_path_factory.mktemp(f"{system}-{seed}")
            out = root / "export"
            expected = generate(system, out, entries=ENTRIES, seed=seed)
            done = run_cli(
                "migrator",
                "plan",
                str(out),
                "--offline",
                "--format",
                "json",
                "--create-users",
                "--ledger",
                str(root / "ledger.sqlite"),
            )
            plan = json.loads(done.stdout) if done.stdout.strip() else {"stderr": done.stderr}
            cache[(system, seed)] = Generated(system, seed, out, expected, plan, done.returncode)
        return cache[(system, seed)]

    return get
