"""Same seed, same bytes (and the same `Expected`); another seed, another account."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from migrator.generate import SYSTEMS, generate


def _digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_seed_gives_identical_bytes_and_another_seed_does_not(system: str, tmp_path: Path) -> None:
    first = generate(system, tmp_path / "a", entries=400, seed=7)
    again = generate(system, tmp_path / "b", entries=400, seed=7)
    other = generate(system, tmp_path / "c", entries=400, seed=8)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert first.as_dict() == again.as_dict() and first == again
    different = _digest(tmp_path / "c")
    assert different != _digest(tmp_path / "a")
    assert other.as_dict() != first.as_dict()
