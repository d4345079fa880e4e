"""Helpers for the export tests: the Harvest v1 sandbox in-process or in a process of its own,
settings and environments that reach it, the real CLI as a subprocess, and plans to compare.

The sandbox's password here is distinctive on purpose: a test that finds it (or its Basic
encoding) in any output, file or log has found a leak.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrator import api
from migrator.config import RateLimit
from migrator.export.harvest_v1 import basic
from migrator.export.settings import ExportSettings
from migrator.report.plan_json import write_plan_json
from migrator.sandbox.legacy.harvest_v1 import EMAIL, HarvestV1Sandbox
from migrator.target import TargetSpec
from tests.conftest import REPO
from tests.working_tree import child_env

FIXTURES = REPO / "fixtures" / "harvest-v1"
PASSWORD = "Pa55-wörd-9f3c1e"  # distinctive: found anywhere, it leaked
SECRETS = (PASSWORD, base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode(), f"{EMAIL}:{PASSWORD}")


@pytest.fixture
def v1_sandbox() -> Iterator[HarvestV1Sandbox]:
    """The shipped fixture account served over HTTP on 127.0.0.1, no rate limit."""
    with HarvestV1Sandbox(FIXTURES, rate=None, password=PASSWORD) as sandbox:
        yield sandbox


def settings_for(sandbox: HarvestV1Sandbox, out: Path, **options: Any) -> ExportSettings:
    """Export settings that reach `sandbox` as its administrator, with a budget it never limits."""
    options.setdefault("rate", RateLimit(1000, 1.0))
    return ExportSettings(
        "harvest-v1", out, url=sandbox.url, credentials=basic(sandbox.email, sandbox.password), **options
    )


def export_env(url: str, *, email: str = EMAIL, password: str = PASSWORD) -> dict[str, str]:
    """A CLI subprocess's environment: this checkout first on the path, the v1 account's variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FRESHBOOKS_")}
    return child_env(base, HARVEST_V1_URL=url, HARVEST_V1_EMAIL=email, HARVEST_V1_PASSWORD=password)


def migrator(*args: str | Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real CLI, to completion."""
    return subprocess.run(
        [sys.executable, "-m", "migrator", *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout
    )


def plan_document(folder: Path, ledger: Path) -> dict[str, Any]:
    """`migrator plan FOLDER --offline --create-users --format json`, in-process."""
    options = api.SourceOptions((folder,))
    with api.plan(options, target=TargetSpec("offline"), ledger_path=ledger, create_users=True) as report:
        buffer = io.StringIO()
        write_plan_json(report, buffer.write)
    document: dict[str, Any] = json.loads(buffer.getvalue())
    return document


def changes(document: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """A plan's changes by record name, action and payload (where they came from left out)."""
    return sorted(
        (c["kind"], c.get("system") or "", c["source_id"], c["action"], json.dumps(c.get("payload"), sort_keys=True))
        for c in document["changes"]
    )


def assert_plans_alike(exported: dict[str, Any], expected: dict[str, Any]) -> None:
    """Same summary and the same changes by record name, action and payload."""
    assert exported["summary"] == expected["summary"]
    assert changes(exported) == changes(expected)


def assert_no_secret(*texts: str | bytes) -> None:
    for text in texts:
        data = text.encode() if isinstance(text, str) else text
        for secret in SECRETS:
            assert secret.encode() not in data, f"a credential leaked: {secret[:4]}…"


def folder_bytes(folder: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file under `folder` (hidden ones too: the journal, partial files, the paging folder)."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


@pytest.fixture(scope="session")
def fixture_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The plan of the shipped fixture folder itself: what every export of it must plan."""
    return plan_document(FIXTURES, tmp_path_factory.mktemp("plan") / "none.sqlite")
