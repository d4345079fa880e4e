"""Benchmark: a large account loaded into the sandbox over HTTP, and what one request costs in it.

    python bench/bench_sandbox.py [--objects 100000] [--small 1000] [--rounds 200] [--threads 4]

The sandbox runs in its own process, with a state file and no rate limit, as `migrator run ...
--sandbox` keeps it (a SQLite file beside the ledger). Four client threads POST, through kept-alive
connections, a realistic account: clients, tasks, users, projects with their task and user
assignments, then time entries (each with an external reference) up to `--objects` objects.
In the same run:
(a) the time for those creates, with the rate of each tenth (flat = the cost per write does not grow),
    and the same load without a state file (in-memory SQLite): what durability costs;
(b) the cost of one request at `--small` objects and at `--objects` objects: rounds of POST a time
    entry, GET it, find it by external_reference_id, PATCH it, GET the first 100 time entries of its
    project (a project has ~180 in both accounts), GET the project's user assignments, DELETE the
    entry (so the account keeps its size); the median round and the median of each request, one
    connection per account, rounds alternating between the two. Goal: within 1.5x.
(c) reopening the state file of the large account (what the next `migrator` command does).

`--sandbox-module migrator.harvest.sandbox`, run from an older checkout, measures the sandbox whose
store rewrote a JSON state file after every change (use a small `--objects` there: 4,000 took 52 s).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from results import report  # noqa: E402

from migrator import jsonio  # noqa: E402

HEADERS = {
    "Authorization": "Bearer sandbox-token",
    "Harvest-Account-Id": "1000001",
    "User-Agent": "migrator-bench (bench@example.com)",
    "Content-Type": "application/json",
}
# Children import this working tree, whatever is installed.
CHILD_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH")))))
SEEDED = 5  # a new account: its owner and two item categories of each kind


class Server:
    """`serve()` of a sandbox module in a child process; `url` once it listens."""

    def __init__(self, module: str, state: Path | None) -> None:
        options = f"port=0, rate=None, state_path={str(state)!r}" if state else "port=0, rate=None"
        code = f"from {module} import serve; serve({options})"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=CHILD_ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if "listening on" not in first:
            self.process.kill()
            raise SystemExit(f"the sandbox did not start: {first!r}")
        self.url = first.rsplit(" ", 1)[1].strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Caller:
    """One kept-alive connection; JSON through `jsonio` (decimals exact)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.prefix = parts.path
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)

    def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        data = None if body is None else jsonio.dumps(body).encode()
        self.connection.request(method, self.prefix + path, body=data, headers=HEADERS)
        answer = self.connection.getresponse()
        text = answer.read()
        if answer.status != status:
            raise SystemExit(f"{method} {path} -> {answer.status}: {text[:300]!r}")
        return jsonio.loads(text) if text else None

    def close(self) -> None:
        self.connection.close()


def in_parallel(url: str, threads: int, count: int, make: Callable[[Caller, int], Any]) -> list[Any]:
    """`make(caller, i)` for i in range(count), spread over `threads` kept-alive connections."""
    local = threading.local()
    callers: list[Caller] = []
    lock = threading.Lock()

    def run(index: int) -> Any:
        if not hasattr(local, "caller"):
            local.caller = Caller(url)
            with lock:
                callers.append(local.caller)
        return make(local.caller, index)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(run, range(count)))
    for caller in callers:
        caller.close()
    return results


def load(url: str, objects: int, threads: int, progress: bool) -> tuple[float, list[float], dict[str, Any]]:
    """Create an account of about `objects` objects; (seconds, objects/s per tenth, what was made)."""
    projects = max(5, objects // 200)
    clients, tasks, users, per_project = max(2, projects // 5), 10, 20, 5
    start = time.perf_counter()

    def post(path: str, body: Callable[[int], dict[str, Any]]) -> Callable[[Caller, int], int]:
        return lambda caller, i: int(caller.call("POST", path.format(i=i), body(i), 201)["id"])

    client_ids = in_parallel(url, threads, clients, post("/clients", lambda i: {"name": f"Client {i}"}))
    task_ids = in_parallel(url, threads, tasks, post("/tasks", lambda i: {"name": f"Task {i}"}))
    user_ids = in_parallel(
        url,
        threads,
        users,
        post("/users", lambda i: {"first_name": "U", "last_name": str(i), "email": f"u{i}@b.example"}),
    )
    project = {"is_billable": True, "bill_by": "Project", "budget_by": "none"}
    project_ids = in_parallel(
        url, threads, projects,
        post("/projects", lambda i: project | {"client_id": client_ids[i % clients], "name": f"Project {i}"}),
    )  # fmt: skip
    staff = {p: random.Random(p).sample(user_ids, per_project) for p in project_ids}

    def assign_task(caller: Caller, i: int) -> Any:
        path = f"/projects/{project_ids[i // tasks]}/task_assignments"
        return caller.call("POST", path, {"task_id": task_ids[i % tasks]}, 201)

    def assign_user(caller: Caller, i: int) -> Any:
        chosen = project_ids[i // per_project]
        path = f"/projects/{chosen}/user_assignments"
        return caller.call("POST", path, {"user_id": staff[chosen][i % per_project]}, 201)

    in_parallel(url, threads, projects * tasks, assign_task)
    in_parallel(url, threads, projects * per_project, assign_user)
    made = SEEDED + clients + tasks + users + projects * (1 + tasks + per_project)
    entries = max(0, objects - made)

    def entry(caller: Caller, i: int) -> Any:
        pick = random.Random(i)
        chosen = project_ids[pick.randrange(projects)]
        body = {
            "project_id": chosen, "task_id": pick.choice(task_ids), "user_id": pick.choice(staff[chosen]),
            "spent_date": f"20{pick.randrange(14, 25)}-{pick.randrange(1, 13):02d}-{pick.randrange(1, 29):02d}",
            "hours": Decimal(pick.randrange(1, 800)) / 100, "notes": f"Entry {i}",
            "external_reference": {"id": f"bench:{i}", "permalink": f"https://bench.example/{i}"},
        }  # fmt: skip
        return caller.call("POST", "/time_entries", body, 201)["id"]

    def shifted(base: int) -> Callable[[Caller, int], Any]:
        return lambda caller, i: entry(caller, base + i)

    rates: list[float] = []
    bounds = [entries * part // 10 for part in range(11)]
    for first, end in itertools.pairwise(bounds):
        began = time.perf_counter()
        in_parallel(url, threads, end - first, shifted(first))
        rates.append((end - first) / (time.perf_counter() - began))
        if progress:
            print(f"  {made + end:>9,} objects, {rates[-1]:,.0f} creates/s in this tenth", flush=True)
    world = {"projects": project_ids, "tasks": task_ids, "staff": staff, "objects": made + entries}
    return time.perf_counter() - start, rates, world


class Probe:
    """Rounds of seven requests on one connection; the median of each request and of a round, in µs."""

    NAMES = (
        "POST /time_entries",
        "GET /time_entries/{id}",
        "GET ?external_reference_id",
        "PATCH /time_entries/{id}",
        "GET ?project_id (first 100)",
        "GET a project's user assignments",
        "DELETE /time_entries/{id}",
    )

    def __init__(self, url: str, world: dict[str, Any]) -> None:
        self.caller = Caller(url)
        self.world = world
        self.times: dict[str, list[float]] = {name: [] for name in self.NAMES}
        self.rounds: list[float] = []

    def round(self, number: int) -> None:
        pick = random.Random(10**9 + number)
        project = pick.choice(self.world["projects"])
        body = {
            "project_id": project, "task_id": pick.choice(self.world["tasks"]),
            "user_id": pick.choice(self.world["staff"][project]), "spent_date": "2020-06-15",
            "hours": Decimal("1.25"), "external_reference": {"id": f"probe:{number}"},
        }  # fmt: skip
        steps: list[tuple[str, str, Any, int]] = [
            ("POST", "/time_entries", body, 201),
            ("GET", "/time_entries/{id}", None, 200),
            ("GET", f"/time_entries?external_reference_id=probe:{number}", None, 200),
            ("PATCH", "/time_entries/{id}", {"notes": "probed"}, 200),
            ("GET", f"/time_entries?project_id={project}&per_page=100", None, 200),
            ("GET", f"/projects/{project}/user_assignments", None, 200),
            ("DELETE", "/time_entries/{id}", None, 200),
        ]
        made: dict[str, Any] = {}
        began_round = time.perf_counter()
        for name, (method, path, payload, status) in zip(self.NAMES, steps, strict=True):
            began = time.perf_counter()
            answer = self.caller.call(method, path.format(id=made.get("id")), payload, status)
            self.times[name].append(time.perf_counter() - began)
            if method == "POST":
                made = answer
        self.rounds.append(time.perf_counter() - began_round)

    def medians(self) -> tuple[float, dict[str, float]]:
        steps = {name: statistics.median(spent) * 1e6 for name, spent in self.times.items()}
        return statistics.median(self.rounds) * 1e6, steps


def reopen(module: str, state: Path) -> float:
    """Seconds for a new process to open the state file and count the account."""
    code = (
        "import time; t = time.perf_counter(); "
        f"from {module}.store import Store; from pathlib import Path; "
        f"s = Store(state_path=Path({str(state)!r})); sum(s.counts().values()); print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=CHILD_ENV, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000, help="the small account of the per-request figure")
    parser.add_argument("--rounds", type=int, default=200, help="probe rounds at each size")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sandbox-module", default="migrator.sandbox", help=argparse.SUPPRESS)
    parser.add_argument("--no-baseline", action="store_true", help="skip the in-memory load")
    args = parser.parse_args()
    module = args.sandbox_module
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}; {args.objects:,} objects, "
        f"{args.threads} client threads, {module}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        small_server = Server(module, Path(tmp, "small.sandbox"))
        state = Path(tmp, "large.sandbox")
        server = Server(module, state)
        try:
            _, _, small = load(small_server.url, args.small, args.threads, progress=False)
            print(f"\n(a) {args.objects:,} creates over HTTP, with a state file:")
            seconds, rates, large = load(server.url, args.objects, args.threads, progress=True)
            # Rounds alternate between the two accounts, so that the host's load at any moment
            # weighs on both figures alike.
            probes = Probe(small_server.url, small), Probe(server.url, large)
            for number in range(args.rounds):
                for probe in probes:
                    probe.round(number)
            (small_round, small_steps), (large_round, large_steps) = (probe.medians() for probe in probes)
        finally:
            small_server.stop()
            server.stop()
        size = sum(path.stat().st_size for path in Path(tmp).glob("large.sandbox*"))
        opened = reopen(module, state)
        memory = None
        if not args.no_baseline:
            print(f"\n    the same {args.objects:,} creates without a state file (in-memory):")
            server = Server(module, None)
            try:
                memory, _, _ = load(server.url, args.objects, args.threads, progress=False)
            finally:
                server.stop()
    objects = large["objects"]
    print(
        f"\n    {objects:,} objects in {seconds:.1f} s ({objects / seconds:,.0f}/s); state file "
        f"{size / 2**20:.0f} MiB; each tenth: {', '.join(f'{rate:,.0f}' for rate in rates)} creates/s; "
        f"load average now {os.getloadavg()[0]:.1f}"
    )
    if memory is not None:
        print(
            f"    in memory: {memory:.1f} s ({objects / memory:,.0f}/s): the state file costs {seconds / memory:.2f}x"
        )
    print(f"\n(b) one request, median µs, at {small['objects']:,} and at {objects:,} objects:")
    for name in small_steps:
        print(f"    {name:<36} {small_steps[name]:>8,.0f} {large_steps[name]:>8,.0f}   "
              f"{large_steps[name] / small_steps[name]:.2f}x")  # fmt: skip
    ratio = large_round / small_round
    print(f"    {'a round of all seven':<36} {small_round:>8,.0f} {large_round:>8,.0f}   {ratio:.2f}x")
    print(f"\n(c) reopening the {objects:,}-object state file in a new process: {opened * 1000:.0f} ms")
    report(
        f"sandbox: {objects:,} creates over HTTP, state file ({args.threads} client threads)",
        ours=f"{seconds:.1f} s ({objects / seconds:,.0f}/s; tenths {min(rates):,.0f}-{max(rates):,.0f}/s)",
        baseline=f"in memory: {memory:.1f} s" if memory is not None else "-",
        ratio=f"{seconds / memory:.2f}x" if memory is not None else "-",
        goal="<= 60 s",
        met=seconds <= 60,
    )
    report(
        f"sandbox: one request at {small['objects']:,} vs {objects:,} objects (7-request round, median)",
        ours=f"{large_round / 7:,.0f} µs per request",
        baseline=f"at {small['objects']:,}: {small_round / 7:,.0f} µs",
        ratio=f"{ratio:.2f}x",
        goal="<= 1.5x",
        met=ratio <= 1.5,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
