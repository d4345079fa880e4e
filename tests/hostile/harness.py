"""Drive the real `migrator` command line on hostile input, with bounded time, memory and no network.

Every case runs `python -m migrator plan …` in a child process:

- **time**: the child is killed after `TIMEOUT_S` (30 s); a kill fails the test.
- **memory**: the child runs under `RLIMIT_AS` = 1 GiB (a hard cap, so a runaway never takes the
  shared machine down) and its peak RSS, read with `os.wait4`, must stay under `PEAK_RSS_MIB`
  (256 MiB). Why 256: a plan of our whole fixture account peaks at ~55 MiB; libxml2 caps any one
  text node at 10 MB; a streaming reader should hold at most a few copies of that over its baseline.
  Entity expansion (GBs), whole-file DOM building of a big file, or a runaway allocation all blow
  far past it, while nothing legitimate in this corpus comes near.
- **network**: an audit hook installed through a generated `sitecustomize` logs every Python-level
  `socket.connect`/`getaddrinfo`/… of the child; the log must stay empty. (libxml2 fetches in C, past
  the audit hook: the entity/DTD cases point at `HttpTrap`, a live server that counts requests.)
- **output**: stdout/stderr go to files; `RLIMIT_FSIZE` (256 MiB) bounds what the child can write.
- **the code under test**: the child imports this working tree, never an installed copy (the
  repository root follows the guard folder on `PYTHONPATH`, and `-P` keeps the child's working
  directory off `sys.path`); the same `sitecustomize` writes, as the child exits, the folder each
  of `migrator` and `migrator.mappings` was imported from, and every result must name the repository's.
"""

from __future__ import annotations

import http.server
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator import jsonio
from tests.working_tree import REPO

TIMEOUT_S = 30.0
MEMORY_CAP = 1 << 30  # RLIMIT_AS of the child
FILE_CAP = 256 << 20  # RLIMIT_FSIZE of the child
PEAK_RSS_MIB = 256

SITECUSTOMIZE = '''\
"""Test-only: log every Python-level network call of this process to $MIGRATOR_TEST_NET_LOG, and
where `migrator` and `migrator.mappings` were imported from to $MIGRATOR_TEST_ORIGIN_LOG as it exits."""
import atexit
import os
import sys

_ORIGIN = os.environ.get("MIGRATOR_TEST_ORIGIN_LOG")

if _ORIGIN:
    def _origin(_log=_ORIGIN):
        with open(_log, "w", encoding="utf-8") as handle:
            for name in ("migrator", "migrator.mappings"):
                module = sys.modules.get(name)
                if module is not None:
                    handle.write(f"{name} {os.path.dirname(os.path.abspath(module.__file__))}\\n")

    atexit.register(_origin)

_LOG = os.environ.get("MIGRATOR_TEST_NET_LOG")
_EVENTS = frozenset({
    "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
    "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg", "urllib.Request", "http.client.connect",
})

if _LOG:
    def _hook(event, args, _log=_LOG, _events=_EVENTS):
        if event in _events:
            with open(_log, "a", encoding="utf-8") as handle:
                handle.write(f"{event} {args!r}\\n")

    sys.addaudithook(_hook)
'''


@dataclass
class CliResult:
    """What one `migrator` child did."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    peak_rss_mib: float
    network: list[str]
    imported_from: dict[str, str] = field(default_factory=dict)  # package -> folder, as the child exited
    timed_out: bool = False

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> dict[str, Any]:
        """The `plan --format json` document (numbers with a fraction as `Decimal`)."""
        document: dict[str, Any] = jsonio.loads(self.stdout)
        return document

    def describe(self) -> str:
        return (
            f"migrator {' '.join(self.args)} -> exit {self.returncode} in {self.elapsed:.2f} s, "
            f"peak RSS {self.peak_rss_mib:.0f} MiB\n--- stderr ---\n{self.stderr[-3000:]}\n"
            f"--- stdout ---\n{self.stdout[:1500]}"
        )


def _limit_child() -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_CAP, FILE_CAP))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@dataclass
class Cli:
    """Runs `python -m migrator` with the guard `sitecustomize` on its path."""

    guard_dir: Path
    scratch: Path
    results: list[CliResult] = field(default_factory=list)

    def __call__(self, *args: str, cwd: Path, timeout: float = TIMEOUT_S) -> CliResult:
        fd_out, out_name = tempfile.mkstemp(dir=self.scratch, suffix=".out")
        fd_err, err_name = tempfile.mkstemp(dir=self.scratch, suffix=".err")
        fd_net, net_name = tempfile.mkstemp(dir=self.scratch, suffix=".net")
        fd_origin, origin_name = tempfile.mkstemp(dir=self.scratch, suffix=".origin")
        os.close(fd_net)
        os.close(fd_origin)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HARVEST_", "PYTHON"))}
        env |= {
            "PYTHONPATH": os.pathsep.join((str(self.guard_dir), str(REPO))),
            "MIGRATOR_TEST_NET_LOG": net_name,
            "MIGRATOR_TEST_ORIGIN_LOG": origin_name,
        }
        started = time.monotonic()
        timed_out = False
        with os.fdopen(fd_out, "w+b") as out, os.fdopen(fd_err, "w+b") as err:
            proc = subprocess.Popen(
                [sys.executable, "-P", "-m", "migrator", *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=_limit_child,  # noqa: PLW1509 - limits must apply before the child starts
            )
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - started > timeout:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    timed_out = True
                    break
                time.sleep(0.005)
            elapsed = time.monotonic() - started
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode("utf-8", "replace")
            stderr = err.read().decode("utf-8", "replace")
        network = Path(net_name).read_text(encoding="utf-8").splitlines()
        origins = Path(origin_name).read_text(encoding="utf-8").splitlines()
        for name in (out_name, err_name, net_name, origin_name):
            os.unlink(name)
        result = CliResult(
            args=tuple(args),
            returncode=proc.returncode,
            stdout=stdout,
            stderr=stderr,
            elapsed=elapsed,
            peak_rss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
            network=network,
            imported_from=dict(line.split(" ", 1) for line in origins),
            timed_out=timed_out,
        )
        self.results.append(result)
        if not timed_out:  # a killed child reports nothing; `assert_well_behaved` fails it anyway
            assert_ran_the_working_tree(result)
        log = os.environ.get("MIGRATOR_HOSTILE_LOG")  # optional: one line per run, for timing reports
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(
                    f"{os.environ.get('PYTEST_CURRENT_TEST', '?').split(' ')[0]}\t{result.returncode}\t"
                    f"{result.elapsed:.2f}\t{result.peak_rss_mib:.0f}\n"
                )
        return result

    def plan(self, *sources: str | Path, cwd: Path, extra: tuple[str, ...] = ()) -> CliResult:
        """`migrator plan SOURCE… --offline --format json [extra…]`, then the checks every case shares."""
        result = self("plan", *(str(s) for s in sources), "--offline", "--format", "json", *extra, cwd=cwd)
        assert_well_behaved(result)
        return result


def assert_well_behaved(result: CliResult) -> None:
    """What must hold for any input at all: bounded, quiet on the network, no traceback."""
    assert not result.timed_out, f"killed after {TIMEOUT_S} s\n{result.describe()}"
    assert result.elapsed < TIMEOUT_S
    assert "Traceback" not in result.output, result.describe()
    assert result.returncode in (0, 1, 2), result.describe()
    assert result.network == [], f"network calls: {result.network}\n{result.describe()}"
    assert result.peak_rss_mib < PEAK_RSS_MIB, result.describe()


def assert_ran_the_working_tree(result: CliResult) -> None:
    """The child imported `migrator` (and `migrator.mappings`, if it got that far) from this repository."""
    assert "migrator" in result.imported_from, f"the child did not report its migrator\n{result.describe()}"
    for package, folder in result.imported_from.items():
        assert Path(folder) == REPO.joinpath(*package.split(".")), f"{package} imported from {folder}, not from {REPO}"


ERROR_LINE = re.compile(r"^Error: (?P<file>.+?):(?P<line>\d+):? (?P<why>.+)$")


def assert_refused(result: CliResult, file: str | Path, *, why: str, line: int | tuple[int, ...] | None = None) -> int:
    """Exit 1, nothing on stdout, and one stderr line `Error: FILE:LINE… WHY`. Returns the line."""
    assert result.returncode == 1, result.describe()
    assert result.stdout == "", result.describe()
    text = result.stderr.strip()
    assert len(text.splitlines()) == 1, f"not one line:\n{result.describe()}"
    match = ERROR_LINE.match(text)
    assert match, f"no 'Error: file:line why' form:\n{result.describe()}"
    assert match["file"] == str(file), result.describe()
    assert re.search(why, match["why"], re.IGNORECASE), f"{why!r} not in {match['why']!r}"
    found = int(match["line"])
    if line is not None:
        assert found in ((line,) if isinstance(line, int) else line), f"line {found}, expected {line}: {text}"
    return found


def nonzero_summary(document: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The plan summary without the zeros: `{"clients": {"create": 3}}`."""
    return {
        kind: {action: n for action, n in counts.items() if n}
        for kind, counts in document["summary"].items()
        if any(counts.values())
    }


def write_guard(directory: Path) -> Path:
    """The `sitecustomize` that logs network calls (see the module docstring)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return directory


class HttpTrap:
    """A real HTTP server on 127.0.0.1 that answers any GET with a DTD and counts every request.

    Entity and DTD cases point their URLs here; the parser must never call it.
    """

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                hits.append(self.path)
                body = b'<!ENTITY trapped "FETCHED-FROM-THE-NETWORK">'
                self.send_response(200)
                self.send_header("Content-Type", "application/xml-dtd")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HttpTrap:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
