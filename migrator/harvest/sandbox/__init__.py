"""The built-in Harvest v2 sandbox: a real HTTP server on 127.0.0.1 that behaves like Harvest
wherever a migration could notice (headers, validation, references, invoice states, emails,
paging, rate limit), plus latency and seeded faults for the proofs.

    with Sandbox(rate=(100, 3.0), latency_ms=100) as sandbox:
        client = HarvestClient(TargetSettings(sandbox.url, SecretStr(sandbox.token), sandbox.account_id))

Deliberate deviation from Harvest: a time entry that would start a running timer (no hours, or no
start/end time on a timestamp account) is refused with 422 instead.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

from migrator.harvest.sandbox.faults import FAULT_KINDS, FaultInjector
from migrator.harvest.sandbox.render import render
from migrator.harvest.sandbox.server import RateWindow, SandboxServer
from migrator.harvest.sandbox.store import Store
from migrator.kinds import KINDS

__all__ = ["FAULT_KINDS", "Sandbox", "serve"]


class Sandbox:
    """A Harvest v2 account served over HTTP; start it in a thread or serve it in the foreground."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str = "sandbox-token",
        account_id: str = "1000001",
        rate: tuple[int, float] | None = (100, 15.0),
        latency_ms: int = 0,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = FAULT_KINDS,
        fault_seed: int = 0,
        stall_seconds: float = 3.0,
        timestamp_timers: bool = False,
        state_path: str | Path | None = None,
    ) -> None:
        self.token = token
        self.account_id = account_id
        self.latency_ms = latency_ms
        self.stall_seconds = stall_seconds
        self.window = RateWindow(rate)
        self.faults = FaultInjector(fault_rate, fault_kinds, fault_seed)
        self.store = Store(timestamp_timers=timestamp_timers, state_path=Path(state_path) if state_path else None)
        self.counter_lock = threading.Lock()
        self.requests = 0
        self.rate_limited = 0
        self._server = SandboxServer((host, port), self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v2"

    def start(self) -> Sandbox:
        """Serve in a daemon thread (returns at once)."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="harvest-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- instruments ---------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Requests, 429s, injected faults, emails Harvest would have sent, and objects per kind."""
        with self.store.lock:
            objects = {kind: len(self.store.objects[kind]) for kind in KINDS}
            emails = self.store.emails_sent
        return {
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "faults_injected": self.faults.injected,
            "emails_sent": emails,
            "objects": objects,
        }

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every object of `kind`, as the API would serialise it."""
        with self.store.lock:
            return [render(self.store, kind, raw) for raw in self.store.objects[kind].values()]

    def seed_user(self, first_name: str, last_name: str, email: str, **fields: Any) -> dict[str, Any]:
        """Pre-create a user as if invited long ago (no email counted)."""
        raw = self.store.seed_user({"first_name": first_name, "last_name": last_name, "email": email} | fields)
        return render(self.store, "users", raw)

    def set_fault_rate(self, rate: float) -> None:
        self.faults.rate = rate

    def set_latency(self, latency_ms: int) -> None:
        self.latency_ms = latency_ms


def serve(**options: Any) -> None:
    """Serve in the foreground until interrupted (`migrator sandbox`)."""
    sandbox = Sandbox(**options)
    print(f"Harvest v2 sandbox listening on {sandbox.url}", flush=True)
    print(
        f"token: {sandbox.token}  account id: {sandbox.account_id}  stats: "
        f"{sandbox.url.removesuffix('/v2')}/__sandbox/stats",
        flush=True,
    )

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        sandbox._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox._server.server_close()
        print("sandbox stopped", file=sys.stderr)
