"""Helpers for the FreshBooks export tests: the FreshBooks sandbox on the shipped fixture account,
settings and environments that reach it, the plan of the fixture folder to compare with, and what
a FreshBooks request asked (from the sandbox's request log).

The token here is distinctive on purpose: a test that finds it (or its Basic encoding) in any
output, file or log has found a leak.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrator.config import RateLimit
from migrator.export.freshbooks import token_credentials
from migrator.export.settings import ExportSettings
from migrator.sandbox.legacy.freshbooks import FreshBooksSandbox
from tests.conftest import REPO
from tests.export.conftest import plan_document
from tests.working_tree import child_env

FB_FIXTURES = REPO / "fixtures" / "freshbooks"
TOKEN = "fb-T0ken-9c41-wörd"  # distinctive: found anywhere, it leaked
SECRETS = (TOKEN, base64.b64encode(f"{TOKEN}:X".encode()).decode(), f"{TOKEN}:X")


@pytest.fixture
def fb_sandbox() -> Iterator[FreshBooksSandbox]:
    """The shipped FreshBooks fixture account served over HTTP on 127.0.0.1, no rate limit."""
    with FreshBooksSandbox(FB_FIXTURES, rate=None, token=TOKEN) as sandbox:
        yield sandbox


def fb_settings(sandbox: FreshBooksSandbox, out: Path, **options: Any) -> ExportSettings:
    """Export settings that reach `sandbox` with its token, with a budget it never limits."""
    options.setdefault("rate", RateLimit(1000, 1.0))
    return ExportSettings("freshbooks", out, url=sandbox.url, credentials=token_credentials(sandbox.token), **options)


def fb_env(url: str, *, token: str = TOKEN) -> dict[str, str]:
    """A CLI subprocess's environment: this checkout first on the path, the FreshBooks variables only."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FRESHBOOKS_")}
    return child_env(base, FRESHBOOKS_URL=url, FRESHBOOKS_TOKEN=token)


def calls(sandbox: FreshBooksSandbox, method: str | None = None) -> list[str]:
    """What each request asked, in arrival order (`client.list page=1 per_page=100`), optionally
    only those of one method."""
    asked = [entry.get("call", "") for entry in sandbox.stats()["log"]]
    return [call for call in asked if method is None or call.split(" ", 1)[0] == method]


def receipts_of(document: dict[str, Any]) -> list[tuple[str, Any, Any, Any, Any]]:
    """A plan's receipts by expense: size, sha256, type, and whether it uploads."""
    return sorted(
        (c["source_id"], r["size"], r["sha256"], r["content_type"], r["upload"])
        for c in document["changes"]
        if (r := c.get("receipt"))
    )


def lossy_of(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return sorted((n["kind"], n["source_id"], n["field"], n["note"]) for n in document["lossy"])


@pytest.fixture(scope="session")
def fb_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The plan of the shipped FreshBooks fixture folder itself: what every export of it must plan."""
    return plan_document(FB_FIXTURES, tmp_path_factory.mktemp("fb-plan") / "none.sqlite")
