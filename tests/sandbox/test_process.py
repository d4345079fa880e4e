"""`SandboxProcess`: the sandbox in a process of its own, as the slow proofs and bench_scale use it."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from migrator.sandbox.process import SandboxProcess


def test_a_sandbox_process_serves_its_account_keeps_it_and_stops(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    with SandboxProcess(state) as sandbox:
        env = sandbox.env()
        headers = {
            "Authorization": f"Bearer {env['HARVEST_ACCESS_TOKEN']}",
            "Harvest-Account-Id": env["HARVEST_ACCOUNT_ID"],
            "User-Agent": "migrator tests",
        }
        created = httpx.post(f"{sandbox.url}/clients", json={"name": "Kept"}, headers=headers, timeout=10)
        assert created.status_code == 201, created.text
    assert sandbox.process.returncode in (0, -signal.SIGINT)  # stopped by SIGINT, not killed

    with SandboxProcess(state) as again:  # the same account, from its state file
        names = httpx.get(f"{again.url}/clients", headers=headers, timeout=10).json()["clients"]
        assert [client["name"] for client in names] == ["Kept"]


def _impostor(folder: Path) -> Path:
    """A `migrator` package in `folder` whose `python -m migrator` says so and exits."""
    package = folder / "migrator"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "__main__.py").write_text("print('impostor: not the migrator under test')\n", encoding="utf-8")
    return folder


def test_the_child_runs_the_same_migrator_as_its_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another `migrator` in the working directory (`-m` puts it first on sys.path) and on an inherited
    # PYTHONPATH: the child must still run this one, or a test of this tree would talk to another.
    monkeypatch.chdir(_impostor(tmp_path / "cwd"))
    monkeypatch.setenv("PYTHONPATH", str(_impostor(tmp_path / "elsewhere")))
    with SandboxProcess(tmp_path / "state.sqlite") as sandbox:
        assert sandbox.url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{sandbox.url.removesuffix('/v2')}/__sandbox/stats", timeout=10).status_code == 200
