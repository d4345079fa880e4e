"""Shared test settings: where the repository and the read-only `../shared` folder are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`slow` proofs (minutes each, gigabytes of XML) run only when asked for: `pytest -m slow`."""
    if "slow" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="a slow proof: run with -m slow (README: Reliability)")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this clone (CI and developer machines have it)")
    return SHARED


@pytest.fixture()
def sandbox():  # type: ignore[no-untyped-def]
    """A fresh Harvest v2 sandbox on 127.0.0.1 with a generous rate limit."""
    from migrator.sandbox import Sandbox

    with Sandbox(rate=(1000, 1.0)) as running:
        yield running


def client_for(sandbox, **settings):  # type: ignore[no-untyped-def]
    """A real HarvestClient talking to `sandbox` over HTTP."""
    from pydantic import SecretStr

    from migrator.config import RateLimit, TargetSettings
    from migrator.harvest.client import HarvestClient

    rate = settings.pop("rate", RateLimit(1000, 1.0))
    account_id = settings.pop("account_id", sandbox.account_id)
    return HarvestClient(TargetSettings(sandbox.url, SecretStr(sandbox.token), account_id, rate=rate, **settings))
