"""The sandbox in a process of its own: a client killed with SIGKILL leaves its requests to finish
there, as a real Harvest would, and the operating system measures each side's memory apart.

    with SandboxProcess(Path("state.sqlite"), fault_rate=0.005) as sandbox:
        subprocess.run(["migrator", "run", "export", "--target", sandbox.url, ...], env=sandbox.env())

Used by the slow proofs (`tests/reliability/test_at_scale.py`) and `bench/bench_scale.py`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from migrator.errors import ConfigError
from migrator.sandbox import ACCOUNT_ID, TOKEN

_URL = re.compile(r"(http://\S+/v2)")
_HOME = str(Path(__file__).resolve().parents[2])  # where this `migrator` package is: the child runs the same


class SandboxProcess:
    """`python -m migrator sandbox --port 0 --state STATE --rate RATE [--fault-rate F]`, its URL read
    from its first line of output; stopped with SIGINT (killed after 30 s)."""

    def __init__(self, state: Path, *, rate: str = "100000/1", fault_rate: float = 0.0) -> None:
        args = ["--port", "0", "--rate", rate, "--state", str(state)]
        if fault_rate:
            args += ["--fault-rate", str(fault_rate)]
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
        found = _URL.search(line)
        if not found:
            self.close()
            raise ConfigError(f"the sandbox did not start: {line!r}")
        self.url = found.group(1)

    @staticmethod
    def env() -> dict[str, str]:
        """This environment with the sandbox's credentials (and no other Harvest ones)."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_")}
        return clean | {"HARVEST_ACCESS_TOKEN": TOKEN, "HARVEST_ACCOUNT_ID": ACCOUNT_ID}

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
