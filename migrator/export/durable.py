"""Files that survive `kill -9` (and a power cut) whole or not at all.

A response is received into a temporary file and fsynced, then renamed into place, and only then
journaled (the journal is fsynced): a file named in the journal is complete, and a file that is
not named there, or not as the journal describes it, is simply fetched again.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any


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


def make_dirs(folder: Path, *, durable: bool = True) -> None:
    """Create `folder` and its missing parents (`durable`: each made durable in its own parent)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        if durable:
            fsync_dir(created.parent)


def place(temp: Path, final: Path) -> None:
    """Move an fsynced temporary file to `final` (replacing any older version).

    Folders are not fsynced here (it would double the disk flushes of an export): the journal line
    that follows is, and a resume checks every journaled file before trusting it, so a rename or a
    folder lost in a power cut only means that an answer is fetched again.
    """
    make_dirs(final.parent, durable=False)
    os.replace(temp, final)


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


def flush_file(handle: Any) -> None:
    """Make a written file's bytes durable (`fdatasync` where there is one: the data, not the times)."""
    handle.flush()
    getattr(os, "fdatasync", os.fsync)(handle.fileno())
