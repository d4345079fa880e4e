"""Every child process a test starts imports this working tree, never an installed copy.

`python -m migrator` puts its working directory first on `sys.path` and the installed package
after it, so a child started from anywhere but the repository root would test whatever `pip
install` last copied into site-packages: local edits would go untested until a reinstall. A test
starts children with `child_env()`, which puts the repository root first on `PYTHONPATH`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def child_env(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """`base` (default: this process's environment) without `HARVEST_*` credentials, the repository
    root first on `PYTHONPATH` (what was there stays after it), then `extra` on top."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("HARVEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), env.get("PYTHONPATH"))))
    return env | extra


def working_folder() -> Path:
    """A fresh folder for a child to run in, never the checkout: the README's quick start leaves a
    default ledger (./migrator-ledger.sqlite) and demo/ in the checkout, and a child started there
    would read them. The folder links `fixtures` to the shipped fixture accounts, so arguments such
    as `fixtures/harvest-v1` mean what they mean at the repository root."""
    folder = Path(tempfile.mkdtemp(prefix="migrator-child-"))
    (folder / "fixtures").symlink_to(REPO / "fixtures", target_is_directory=True)
    return folder
