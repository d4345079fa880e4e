"""Golden files: compared, never written, unless `UPDATE_GOLDEN=1` exactly.

A golden test that writes its own file when it is missing (or when `UPDATE_GOLDEN` is set to
anything, `0` included) passes whatever the code does. Here a missing golden fails and says how to
create it, a golden file that no document matches any longer fails (the code stopped producing
it), and only `UPDATE_GOLDEN=1` writes: review the diff like code.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path


def updating() -> bool:
    """True when the run was asked to rewrite the golden files (`UPDATE_GOLDEN=1`, nothing else)."""
    return os.environ.get("UPDATE_GOLDEN") == "1"


def _rerun() -> str:
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    return f"UPDATE_GOLDEN=1 .venv/bin/python -m pytest '{test}'" if test else "UPDATE_GOLDEN=1 pytest …"


def check_golden(path: Path, text: str) -> None:
    """`text` equals the golden file at `path` (written instead, under `UPDATE_GOLDEN=1`)."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no golden file {path}: create it with `{_rerun()}` and review it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs from what the code produces now: if that is intended, `{_rerun()}` and review the diff"
    )


def check_golden_folder(folder: Path, documents: Mapping[str, str], *, pattern: str = "*.json") -> None:
    """Each document (file name -> text) against its golden file in `folder`, and no golden file
    matching `pattern` without a document: a kind the code no longer produces fails."""
    for name, text in documents.items():
        check_golden(folder / name, text)
    assert_no_stale_golden(folder, documents, pattern=pattern)


def assert_no_stale_golden(folder: Path, expected: Iterable[str], *, pattern: str = "*.json") -> None:
    """Every golden file matching `pattern` in `folder` is one of `expected` (file names)."""
    stale = sorted({path.name for path in folder.glob(pattern)} - set(expected))
    assert stale == [], f"golden files nothing produces any more in {folder}: {stale} (delete them if intended)"
