"""`SandboxProcess`: the sandbox in a process of its own, as the slow proofs and bench_scale use it."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

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
