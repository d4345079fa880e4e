"""The sandbox's HTTP face: routes under /v2, headers and auth, rate limit, latency, faults, stats.

A `ThreadingHTTPServer` speaking HTTP/1.1 with keep-alive. Every /v2 request goes through, in order:
User-Agent and token checks, the rate window (at arrival), the latency sleep, the fault draw, then the
route. The instrument endpoints under /__sandbox/ need no auth and never fail on purpose.

A `multipart/form-data` body (an expense with its receipt) is read as a stream (`multipart.py`): its
file goes to disk, never whole into memory. Receipts are served at `/expenses/{id}/receipt` (outside
/v2, like Harvest's receipt urls), to the account's token, block by block.
"""

from __future__ import annotations

import contextlib
import math
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from migrator import jsonio
from migrator.errors import ConfigError
from migrator.harvest.receipts import RECEIPT_LIMIT
from migrator.kinds import KINDS
from migrator.sandbox import attachments, operations
from migrator.sandbox.faults import FaultInjector
from migrator.sandbox.listing import page_of
from migrator.sandbox.multipart import Form, is_multipart, read_form
from migrator.sandbox.render import company, render
from migrator.sandbox.schema import from_form
from migrator.sandbox.store import OWNER_ID, SandboxError, Store
from migrator.sandbox.throttle import RateWindow

# Collections at /v2/<kind>; the two assignment kinds are read-only there (created per project).
TOP_LEVEL = frozenset(KINDS) - {"invoice_payments", "invoice_messages", "estimate_messages"}
READ_ONLY_TOP = frozenset({"user_assignments", "task_assignments"})
# /v2/<parent>/<id>/<child> -> (kind, field holding the parent id)
NESTED = {
    ("projects", "user_assignments"): ("user_assignments", "project_id"),
    ("projects", "task_assignments"): ("task_assignments", "project_id"),
    ("invoices", "payments"): ("invoice_payments", "invoice_id"),
    ("invoices", "messages"): ("invoice_messages", "invoice_id"),
    ("estimates", "messages"): ("estimate_messages", "estimate_id"),
}


class SandboxServer(ThreadingHTTPServer):
    """The server and everything its handlers share: the account, the limits, the counters."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        *,
        store: Store,
        token: str,
        account_id: str,
        window: RateWindow,
        faults: FaultInjector,
        latency_ms: int,
        stall_seconds: float,
        receipt_limit: int = RECEIPT_LIMIT,
    ) -> None:
        super().__init__(address, Handler)
        self.store = store
        self.receipt_limit = receipt_limit
        host, port = self.socket.getsockname()[:2]
        store.base_url = f"http://{host}:{port}"
        self.token = token
        self.account_id = account_id
        self.window = window
        self.faults = faults
        self.latency_ms = latency_ms
        self.stall_seconds = stall_seconds
        self._counter_lock = threading.Lock()
        self.requests = 0
        self.rate_limited = 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Print a handler's unexpected exception, but not a client that went away mid-connection.

        Clients killed mid-run (the crash campaign's `kill -9`) or giving up after their timeout reset
        their connections: routine for a test target, and not worth a traceback on stderr.
        """
        if isinstance(sys.exc_info()[1], ConnectionError):  # reset, broken pipe, aborted
            return
        super().handle_error(request, client_address)

    def count(self, *, throttled: bool = False) -> None:
        """Count one /v2 request (and whether it was answered 429)."""
        with self._counter_lock:
            self.requests += 1
            self.rate_limited += int(throttled)

    def stats(self) -> dict[str, Any]:
        """The instrument: requests, 429s, injected faults, emails Harvest would send, objects per kind."""
        with self.store.lock:
            objects, emails = self.store.counts(), self.store.emails_sent
        with self._counter_lock:
            requests, limited = self.requests, self.rate_limited
        return {
            "requests": requests,
            "rate_limited": limited,
            "faults_injected": self.faults.injected,
            "emails_sent": emails,
            "objects": objects,
            "receipt_uploads": self.store.receipt_uploads(),
        }

    def all_objects(self) -> dict[str, list[dict[str, Any]]]:
        """Every object of every kind, rendered as the API would (GET /__sandbox/objects)."""
        store = self.store
        with store.session():
            return {kind: [render(store, kind, raw) for raw in store.all(kind)] for kind in KINDS}


def listen(host: str, port: int, **options: Any) -> SandboxServer:
    """A `SandboxServer` bound to `host:port`; a port in use (or a host not of this machine) is a
    `ConfigError` that says what to do, never a traceback."""
    try:
        return SandboxServer((host, port), **options)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"cannot serve on {host}:{port}: {reason.lower()}; choose another --port (0 picks a free one)"
        ) from exc


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keeps it open between requests (Content-Length on every answer)."""

    protocol_version = "HTTP/1.1"
    # Headers and body are buffered and leave in one write (`_send` flushes): a separate write for the
    # headers would wake the client twice per answer. TCP_NODELAY stays on for answers larger than the
    # buffer: otherwise Nagle plus the client's delayed ACK would add ~40 ms to them.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass  # quiet: tests and `migrator sandbox` read stats, not access logs

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def do_PUT(self) -> None:  # noqa: N802 - Harvest has no PUT; answer like an unknown route
        self._dispatch("PUT")

    # --- plumbing ----------------------------------------------------------------------------------

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = b"" if payload is None else jsonio.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout during a stall)

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True  # the body's end is unknown: this connection cannot be reused
            return b""
        return self.rfile.read(length) if length else b""

    def _base(self) -> str:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return f"http://{host}"

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        try:
            multipart = method in ("POST", "PATCH") and is_multipart(self.headers.get("Content-Type"))
            body = self._form() if multipart else None
        except SandboxError as exc:  # the body was drained: answer, keep the connection
            self._send(exc.status, {"message": exc.message})
            return
        raw_body = self._read_body() if body is None else b""  # always drained: the connection stays usable
        try:
            if url.path.startswith("/__sandbox/"):
                self._instrument(method, url.path)
            elif url.path == "/v2" or url.path.startswith("/v2/"):
                self._v2(method, url.path.removeprefix("/v2"), dict(parse_qsl(url.query)), body or raw_body)
            elif method == "GET" and _receipt_path(url.path) is not None:
                self._receipt(_receipt_path(url.path) or 0)
            else:
                self._send(404, {"message": "Not found"})
        finally:
            if body is not None:
                body.close()

    def _form(self) -> Form:
        """A multipart body, read as a stream (a 400 if malformed; the connection closes if its end is unknown)."""
        try:
            length = int(self.headers.get("Content-Length") or -1)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise SandboxError(411, "A multipart/form-data body needs a Content-Length")
        content_type = self.headers.get("Content-Type") or ""
        return read_form(self.rfile, length, content_type, file_limit=self.server.receipt_limit)

    def _receipt(self, expense_id: int) -> None:
        """GET /expenses/{id}/receipt: the receipt's bytes, to the account's token only."""
        refusal = self._refusal()
        self.server.count()
        if refusal is not None:
            self._send(*refusal)
            return
        store = self.server.store
        with store.session():
            raw = store.lookup("expenses", expense_id)
            kept = (raw or {}).get("receipt")
        if not kept:
            self._send(404, {"message": "Not found"})
            return
        try:
            self.send_response(200)
            self.send_header("Content-Type", kept["content_type"])
            self.send_header("Content-Length", str(kept["file_size"]))
            self.send_header("Content-Disposition", f'attachment; filename="{kept["file_name"]}"')
            self.end_headers()
            for block in store.receipt_blocks(expense_id):
                self.wfile.write(block)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _refusal(self) -> tuple[int, dict[str, str]] | None:
        """400 without a User-Agent, 401 for a wrong token or account (the token is never echoed)."""
        if not self.headers.get("User-Agent"):
            return 400, {"message": "Missing User-Agent header: send 'AppName (contact email or URL)'"}
        token_ok = self.headers.get("Authorization", "") == f"Bearer {self.server.token}"
        if not token_ok or self.headers.get("Harvest-Account-Id") != self.server.account_id:
            return 401, {
                "error": "invalid_token",
                "error_description": "The access token provided is expired, revoked, malformed or invalid "
                "for this account (check the token and the Harvest-Account-Id header)",
            }
        return None

    def _v2(self, method: str, path: str, query: dict[str, str], raw_body: bytes | Form) -> None:
        server = self.server
        refusal = self._refusal()
        wait = server.window.admit() if refusal is None else None  # at arrival, before the latency
        server.count(throttled=wait is not None)
        if server.latency_ms:
            time.sleep(server.latency_ms / 1000)
        if refusal is not None:
            self._send(*refusal)
            return
        if wait is not None:
            retry_after = str(max(1, math.ceil(wait)))
            message = {"message": f"Too many requests. Retry in {retry_after} seconds."}
            self._send(429, message, {"Retry-After": retry_after})
            return
        fault = server.faults.choose()
        if fault == "error_500":
            self._send(500, {"message": "Internal server error (injected by the sandbox, nothing was applied)"})
            return
        status, payload = self._answer(method, path, query, raw_body)
        if fault == "commit_502":
            self._send(502, {"message": "Bad gateway (injected by the sandbox after applying the request)"})
        elif fault == "commit_drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        else:
            if fault == "stall":
                time.sleep(server.stall_seconds)
            self._send(status, payload)

    def _answer(self, method: str, path: str, query: dict[str, str], raw_body: bytes | Form) -> tuple[int, Any]:
        try:
            body: Any = None
            if isinstance(raw_body, Form):
                body = raw_body
            elif method in ("POST", "PATCH"):
                try:
                    body = jsonio.loads(raw_body) if raw_body.strip() else {}
                except ValueError as exc:
                    raise SandboxError(400, f"The request body is not valid JSON: {exc}") from exc
            with self.server.store.session():  # one lock and one identity map for the whole request
                return self._route(method, path, query, body)
        except SandboxError as exc:
            return exc.status, {"message": exc.message}
        except Exception as exc:  # noqa: BLE001 - the server boundary: a sandbox bug must still answer
            traceback.print_exc(file=sys.stderr)
            return 500, {"message": f"sandbox bug: {type(exc).__name__}: {exc}"}

    def _instrument(self, method: str, path: str) -> None:
        if method == "GET" and path == "/__sandbox/stats":
            self._send(200, self.server.stats())
        elif method == "GET" and path == "/__sandbox/objects":
            self._send(200, self.server.all_objects())
        else:
            self._send(404, {"message": "Not found"})

    # --- routes ------------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        """The answer to one /v2 request (called inside a store session: under the lock)."""
        store = self.server.store
        parts = [part for part in path.split("/") if part]
        if parts == ["company"] and method in ("GET", "PATCH"):
            if method == "PATCH":
                operations.set_company(store, body)
            return 200, company(store, self._base())
        if parts == ["users", "me"] and method == "GET":
            return 200, render(store, "users", store.get("users", OWNER_ID))
        kind, parent, obj_id = _resolve(parts)
        upload = None
        if isinstance(body, Form):  # typed text fields and at most one receipt file
            upload = attachments.upload_of(kind, body, self.server.receipt_limit)
            body = from_form(kind, body.fields, create=method == "POST")
        if obj_id is None:
            if method == "GET":
                if parent is not None:
                    store.get(parent[0], parent[2])  # a missing parent is a 404, not an empty list
                where = (parent[1], parent[2]) if parent else None
                return 200, page_of(store, kind, query, f"{self._base()}/v2{path.rstrip('/')}", where)
            if method == "POST" and (parent is not None or kind not in READ_ONLY_TOP):
                raw = operations.create(store, kind, body, parent[2] if parent else None, upload=upload)
                return 201, render(store, kind, raw)
            raise _not_found()
        raw = store.get(kind, obj_id)
        if parent is not None and raw.get(parent[1]) != parent[2]:
            raise _not_found()
        if method == "GET":
            return 200, render(store, kind, raw)
        if method == "PATCH":
            return 200, render(store, kind, operations.update(store, kind, obj_id, body, upload=upload))
        if method == "DELETE":
            operations.delete(store, kind, obj_id)
            return 200, None
        raise _not_found()


def _not_found() -> SandboxError:
    return SandboxError(404, "Not found")


def _receipt_path(path: str) -> int | None:
    """The expense id of `/expenses/{id}/receipt`, else None."""
    parts = [part for part in path.split("/") if part]
    if len(parts) == 3 and parts[0] == "expenses" and parts[2] == "receipt" and parts[1].isdigit():
        return int(parts[1])
    return None


def _resolve(parts: list[str]) -> tuple[str, tuple[str, str, int] | None, int | None]:
    """(kind, (parent kind, parent field, parent id) or None, object id or None) for a /v2 path."""

    def number(text: str) -> int:
        if not text.isdigit():
            raise _not_found()
        return int(text)

    if len(parts) in (1, 2) and parts[0] in TOP_LEVEL:
        return parts[0], None, number(parts[1]) if len(parts) == 2 else None
    if len(parts) in (3, 4) and (parts[0], parts[2]) in NESTED:
        kind, field = NESTED[(parts[0], parts[2])]
        return kind, (parts[0], field, number(parts[1])), number(parts[3]) if len(parts) == 4 else None
    raise _not_found()
