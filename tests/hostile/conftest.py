"""Fixtures for the hostile-input corpus: the guarded CLI runner, an HTTP trap, a secret file."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.harness import Cli, HttpTrap, write_guard

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture(scope="session")
def _guard_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_guard(tmp_path_factory.mktemp("guard"))


@pytest.fixture
def cli(_guard_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """Runs `python -m migrator`; capture files live outside the test's `tmp_path` (the sources)."""
    return Cli(_guard_dir, tmp_path_factory.mktemp("capture"))


@pytest.fixture
def trap() -> Iterator[HttpTrap]:
    """A live HTTP server on 127.0.0.1 counting requests; every test using it ends with zero."""
    with HttpTrap() as server:
        yield server
    assert server.hits == [], f"the parser fetched {server.hits} over the network"


@dataclass(frozen=True)
class Secret:
    path: Path
    marker: str


@pytest.fixture
def secret(tmp_path_factory: pytest.TempPathFactory) -> Secret:
    """A local file holding a unique marker: XXE cases point at it; the marker must never be output.

    It lives outside the test's source folder so only an entity could bring it in.
    """
    marker = f"TOP-SECRET-{uuid.uuid4().hex}"
    path = tmp_path_factory.mktemp("private") / "credentials.txt"
    path.write_text(f"{marker}\nroot:x:0:0:root:/root:/bin/sh\n", encoding="utf-8")
    return Secret(path, marker)


@pytest.fixture
def corpus() -> Path:
    return CORPUS
