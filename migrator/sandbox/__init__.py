"""The built-in Harvest v2 sandbox: a real HTTP server on 127.0.0.1 that behaves like Harvest
wherever a migration could notice (headers, validation, references, assignments, archives, invoice
and estimate states, payments, emails, paging, rate limit), plus latency and seeded faults.

    with Sandbox(rate=(100, 3.0), latency_ms=100) as sandbox:
        client = HarvestClient(TargetSettings(sandbox.url, SecretStr(sandbox.token), sandbox.account_id))

Modules: `store` (objects, ids, transactions) over `columns` (its SQLite layout: one table of
objects, indexed where rules and filters look), `schema` (request bodies), `directory`, `projects`,
`timesheets`, `billing`, `events` (business rules per family), `operations` (dispatch), `render`
(response shapes), `listing` (filters, pages), `throttle`, `faults`, `server` (HTTP); `process`
(`SandboxProcess`: the sandbox in a process of its own, for kill -9 proofs and benchmarks).

Archived things take no history, as in Harvest (so a migration creates active, loads the history,
archives last):
- no time entry or expense is created on, or moved by PATCH onto, an archived project, a project of
  an archived client, an archived task or expense category, for an archived user, or without an
  active user (and, for time, task) assignment: 422 "Project is archived", "Client is archived",
  "Task is archived", "Expense category is archived", "User is archived", "User (Task) is not
  assigned to this project";
- an entry whose project, client, task or user is archived is locked: DELETE is refused with the
  same message, while a PATCH that does not move it (notes, hours) still works, as for Harvest's
  administrators (the API docs name the project and task; Harvest's help adds the client and user);
- an archived user's first name, last name and email cannot change, unless the same PATCH
  reactivates the user;
- archiving things that carry history, creating archived things (`is_active: false`),
  reactivating, the `is_active` list filter and deleting archived things without history all work.

Receipts (`attachments`, `multipart`): an expense takes one `receipt` file in a multipart POST or
PATCH, its fields as typed text; the receipt is shown as `receipt {url, file_name, file_size,
content_type}`, served at its url to the same token, kept in the state file, refused over
`receipt_limit` (422), and every upload is counted per expense in the stats (`receipt_uploads`).

Deliberate deviations from Harvest, so that tests catch what a migration must never do:
- a time entry that would start a running timer (no `hours`; or no start and end time on a
  timestamp account) is refused with 422;
- every payment without `send_thank_you: false` counts as an email (Harvest: only the last one);
- `line_items_import` is refused (not simulated);
- multipart text fields must read as their type (`"true"`/`"false"`, whole numbers for integers):
  Rails would guess at `"yes"` or `"1.5"` units, a migration must send what it means.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from migrator.harvest.receipts import RECEIPT_LIMIT
from migrator.sandbox.directory import insert_user
from migrator.sandbox.faults import FAULT_KINDS, FaultInjector
from migrator.sandbox.render import render
from migrator.sandbox.server import listen
from migrator.sandbox.store import Store
from migrator.sandbox.throttle import RateWindow

__all__ = ["ACCOUNT_ID", "FAULT_KINDS", "TOKEN", "Sandbox", "serve"]

TOKEN = "sandbox-token"  # the sandbox's access token and account id unless told otherwise
ACCOUNT_ID = "1000001"


class Sandbox:
    """One Harvest v2 account served over HTTP; `start()` it in a thread or `serve()` it in the foreground."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str = TOKEN,
        account_id: str = ACCOUNT_ID,
        rate: tuple[int, float] | None = (100, 15.0),
        latency_ms: int = 0,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = FAULT_KINDS,
        fault_seed: int = 0,
        stall_seconds: float = 3.0,
        timestamp_timers: bool = False,
        state_path: str | Path | None = None,
        receipt_limit: int = RECEIPT_LIMIT,
    ) -> None:
        self.token = token
        self.account_id = account_id
        self.store = Store(timestamp_timers=timestamp_timers, state_path=Path(state_path) if state_path else None)
        self._server = listen(
            host,
            port,
            store=self.store,
            token=token,
            account_id=account_id,
            window=RateWindow(rate),
            faults=FaultInjector(fault_rate, tuple(fault_kinds), fault_seed),
            latency_ms=latency_ms,
            stall_seconds=stall_seconds,
            receipt_limit=receipt_limit,
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The API base, e.g. `http://127.0.0.1:54321/v2`."""
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}/v2"

    def start(self) -> Sandbox:
        """Serve in a daemon thread; returns at once (and returns the sandbox, for chaining)."""
        if self._thread is None:
            # A short poll interval keeps `stop()` quick (the default 0.5 s adds up over a test suite).
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="harvest-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and the state file (safe to call twice, or without `start`).

        An account without a state file stays readable through `stats()` and `objects()`.
        """
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        if self.store.state_path is not None:
            self.store.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- instruments -------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """The same dict as GET /__sandbox/stats: requests, rate_limited, faults_injected, emails_sent, objects,
        receipt_uploads (expense id -> receipts stored for it)."""
        return self._server.stats()

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every current object of `kind`, as the API would serialise it."""
        with self.store.session():
            return [render(self.store, kind, raw) for raw in self.store.all(kind)]

    def seed_user(self, first_name: str, last_name: str, email: str, **fields: Any) -> dict[str, Any]:
        """Pre-create a user as if invited long ago: no invitation email is counted."""
        with self.store.transaction():
            raw = insert_user(self.store, {"first_name": first_name, "last_name": last_name, "email": email} | fields)
            return render(self.store, "users", raw)

    def set_fault_rate(self, rate: float) -> None:
        """Change the share of /v2 requests that fail (0..1) while serving."""
        self._server.faults.set_rate(rate)

    def set_latency(self, latency_ms: int) -> None:
        """Change the delay added before answering each /v2 request while serving."""
        if latency_ms < 0:
            raise ValueError(f"latency must be >= 0 ms, got {latency_ms}")
        self._server.latency_ms = latency_ms


def serve(**options: Any) -> None:
    """Serve a sandbox in the foreground until Ctrl-C or SIGTERM (`migrator sandbox`).

    The first stdout line is exactly `Harvest v2 sandbox listening on http://HOST:PORT/v2`; the
    second says which token and account id to use. `options` are `Sandbox` keyword arguments.
    """
    sandbox = Sandbox(**options)
    print(f"Harvest v2 sandbox listening on {sandbox.url}", flush=True)
    print(
        f"Use token {sandbox.token} and account id {sandbox.account_id}; "
        f"stats at {sandbox.url.removesuffix('/v2')}/__sandbox/stats",
        flush=True,
    )

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)
    try:
        sandbox._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        print("sandbox stopped", file=sys.stderr, flush=True)
