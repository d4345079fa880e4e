"""Files that survive `kill -9` (and a power cut) whole or not at all.

A response is received into a temporary file and fsynced, then renamed into place and its folder
fsynced, and only then journaled: a file named in the journal is always complete, and a file that
is not named there is simply fetched again.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; its renames are durable enough for a resume
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def make_dirs(folder: Path) -> None:
    """Create `folder` and its missing parents, each made durable in its own parent."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        fsync_dir(created.parent)


def place(temp: Path, final: Path) -> None:
    """Move an fsynced temporary file to `final` (replacing any older version) durably."""
    make_dirs(final.parent)
    os.replace(temp, final)
    fsync_dir(final.parent)


def write_atomic(path: Path, data: bytes, *, scratch: Path | None = None) -> None:
    """Write `data` to `path` through an fsynced temporary file in `scratch` (default: beside it)."""
    folder = scratch or path.parent
    make_dirs(folder)
    temp = folder / f".tmp-{uuid.uuid4().hex}"
    try:
        with temp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        place(temp, path)
    finally:
        temp.unlink(missing_ok=True)
