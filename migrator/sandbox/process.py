"""A sandbox in a process of its own: a client killed with SIGKILL leaves its requests to finish
there, as a real service would, and the operating system measures each side's memory apart.

    with SandboxProcess(Path("state.sqlite"), fault_rate=0.005) as sandbox:
        subprocess.run(["migrator", "run", "export", "--target", sandbox.url, ...], env=sandbox.env())

    with LegacySandboxProcess("harvest-v1", Path("export"), rate="5/1") as legacy:
        subprocess.run(["migrator", "export", "harvest-v1", "out", "--url", legacy.url], env=legacy.env())

    with LegacySandboxProcess("freshbooks", traps=["lying-pages"]) as legacy:  # its URL ends in /api/2.1/xml-in
        subprocess.run(["migrator", "export", "freshbooks", "out"], env=legacy.env())

Used by the slow proofs (`tests/reliability/test_at_scale.py`), the export tests and the benchmarks.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from migrator.errors import ConfigError

_HOME = str(Path(__file__).resolve().parents[2])  # where this `migrator` package is: the child runs the same


class ServerProcess:
    """`python -m migrator sandbox ARGS`, its URL read from its first line of output (`pattern`);
    stopped with SIGINT (killed after 30 s)."""

    def __init__(self, args: list[str], pattern: str) -> None:
        # The child imports the very `migrator` this process runs: its folder first on PYTHONPATH, and
        # `-P` so that `-m` does not put the working directory (another checkout, say) before it.
        path = os.pathsep.join(filter(None, (_HOME, os.environ.get("PYTHONPATH"))))
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", "migrator", "sandbox", *args],
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ | {"PYTHONPATH": path},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(pattern, line)
        if not found:
            self.close()
            raise ConfigError(f"the sandbox did not start: {line!r}")
        self.url = found.group(1)
        self.banner = line.rstrip("\n")

    def stats(self) -> dict[str, Any]:
        """`GET /__sandbox/stats` of the running sandbox."""
        parts = urlsplit(self.url)  # the server's root: the URL may end in /v2 or /api/2.1/xml-in
        root = f"{parts.scheme}://{parts.netloc}"
        with urllib.request.urlopen(f"{root}/__sandbox/stats", timeout=30) as answer:  # noqa: S310 - our own 127.0.0.1
            document: dict[str, Any] = json.load(answer)
        return document

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class SandboxProcess(ServerProcess):
    """The Harvest v2 sandbox: `migrator sandbox --port 0 --state STATE --rate RATE [--fault-rate F]`."""

    def __init__(self, state: Path, *, rate: str = "100000/1", fault_rate: float = 0.0) -> None:
        args = ["--port", "0", "--rate", rate, "--state", str(state)]
        if fault_rate:
            args += ["--fault-rate", str(fault_rate)]
        super().__init__(args, r"(http://\S+/v2)")

    @staticmethod
    def env() -> dict[str, str]:
        """This environment with the sandbox's credentials (and no other Harvest ones)."""
        from migrator.sandbox import ACCOUNT_ID, TOKEN

        clean = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_")}
        return clean | {"HARVEST_ACCESS_TOKEN": TOKEN, "HARVEST_ACCOUNT_ID": ACCOUNT_ID}

    def __enter__(self) -> SandboxProcess:
        return self


class LegacySandboxProcess(ServerProcess):
    """A legacy sandbox: `migrator sandbox --system SYSTEM [--from DIR] --rate RATE [--trap …]`."""

    def __init__(
        self,
        system: str,
        folder: Path | None = None,
        *,
        rate: str = "100000/1",
        traps: Iterable[str] = (),
        fault_rate: float = 0.0,
        page_size: int | None = None,
    ) -> None:
        self.system = system
        args = ["--system", system, "--port", "0", "--rate", rate]
        if page_size is not None:
            args += ["--page-size", str(page_size)]
        if folder is not None:
            args += ["--from", str(folder)]
        for trap in traps:
            args += ["--trap", trap]
        if fault_rate:
            args += ["--fault-rate", str(fault_rate)]
        super().__init__(args, r"listening on (http://\S+)")

    def env(self) -> dict[str, str]:
        """This environment with the sandbox's address and credentials (and no other legacy ones)."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("HARVEST_", "FRESHBOOKS_"))}
        if self.system == "harvest-v1":
            from migrator.sandbox.legacy import harvest_v1

            return clean | {"HARVEST_V1_URL": self.url, "HARVEST_V1_EMAIL": harvest_v1.EMAIL,
                            "HARVEST_V1_PASSWORD": harvest_v1.PASSWORD}  # fmt: skip
        if self.system == "freshbooks":
            from migrator.sandbox.legacy import freshbooks

            return clean | {"FRESHBOOKS_URL": self.url, "FRESHBOOKS_TOKEN": freshbooks.TOKEN}
        raise ConfigError(f"no sandbox credentials known for {self.system}")

    def __enter__(self) -> LegacySandboxProcess:
        return self
