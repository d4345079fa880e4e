"""The sandbox's HTTP face: Harvest v2 routes, headers, paging, rate limit, latency and faults."""

from __future__ import annotations

import collections
import contextlib
import math
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from migrator import jsonio
from migrator.harvest.sandbox.render import company, render
from migrator.harvest.sandbox.store import OWNER_ID, SandboxError, Store
from migrator.kinds import KINDS

TOP_LEVEL = {
    "clients",
    "contacts",
    "users",
    "tasks",
    "expense_categories",
    "invoice_item_categories",
    "estimate_item_categories",
    "projects",
    "time_entries",
    "expenses",
    "invoices",
    "estimates",
    "user_assignments",
    "task_assignments",
}
READ_ONLY_TOP = {"user_assignments", "task_assignments"}
NESTED = {
    ("projects", "user_assignments"): ("user_assignments", "project_id"),
    ("projects", "task_assignments"): ("task_assignments", "project_id"),
    ("invoices", "payments"): ("invoice_payments", "invoice_id"),
    ("invoices", "messages"): ("invoice_messages", "invoice_id"),
    ("estimates", "messages"): ("estimate_messages", "estimate_id"),
}
MAX_PER_PAGE = 2000


class RateWindow:
    """Server-side limit: at most N accepted requests in any sliding window of S seconds."""

    def __init__(self, rate: tuple[int, float] | None) -> None:
        self.rate = rate
        self._arrivals: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def admit(self) -> float | None:
        """None if admitted, else the seconds until a slot frees."""
        if self.rate is None:
            return None
        limit, window = self.rate
        with self._lock:
            now = time.monotonic()
            while self._arrivals and self._arrivals[0] <= now - window:
                self._arrivals.popleft()
            if len(self._arrivals) >= limit:
                return self._arrivals[0] + window - now
            self._arrivals.append(now)
            return None


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Any) -> None:
        super().__init__(address, Handler)
        self.sandbox = sandbox


class _Drop(Exception):
    """Close the connection without answering (the commit_drop fault)."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxServer

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    # --- plumbing ------------------------------------------------------------------------------

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = b"" if payload is None else jsonio.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return jsonio.loads(raw)
        except ValueError as exc:
            raise SandboxError(400, f"The request body is not valid JSON: {exc}") from exc

    def _dispatch(self, method: str) -> None:
        sandbox = self.server.sandbox
        url = urlsplit(self.path)
        if url.path.startswith("/__sandbox/"):
            self._instrument(url.path)
            return
        if not url.path.startswith("/v2/") and url.path != "/v2":
            self._send(404, {"message": "Not found"})
            return
        body = self._body() if method in ("POST", "PATCH") else None
        with sandbox.counter_lock:
            sandbox.requests += 1
        if sandbox.latency_ms:
            time.sleep(sandbox.latency_ms / 1000)
        if not self.headers.get("User-Agent"):
            self._send(400, {"message": "Missing User-Agent header: send 'AppName (contact email)'"})
            return
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {sandbox.token}" or self.headers.get("Harvest-Account-Id") != sandbox.account_id:
            self._send(
                401,
                {
                    "error": "invalid_token",
                    "error_description": "The access token or account id is missing, expired or wrong",
                },
            )
            return
        wait = sandbox.window.admit()
        if wait is not None:
            with sandbox.counter_lock:
                sandbox.rate_limited += 1
            self._send(429, {"message": "Too many requests. Slow down."}, {"Retry-After": str(max(1, math.ceil(wait)))})
            return
        fault = sandbox.faults.choose()
        if fault == "error_500":
            self._send(500, {"message": "Internal server error (injected before commit)"})
            return
        try:
            status, payload = self._route(method, url.path.removeprefix("/v2"), parse_qs(url.query), body)
        except SandboxError as exc:
            status, payload = exc.status, {"message": exc.message}
        if fault == "commit_502":
            self._send(502, {"message": "Bad gateway (injected after commit)"})
        elif fault == "commit_drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        else:
            if fault == "stall":
                time.sleep(sandbox.stall_seconds)
            try:
                self._send(status, payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    def _instrument(self, path: str) -> None:
        sandbox = self.server.sandbox
        if path == "/__sandbox/stats":
            self._send(200, sandbox.stats())
        elif path == "/__sandbox/objects":
            self._send(200, {kind: sandbox.objects(kind) for kind in KINDS})
        else:
            self._send(404, {"message": "Not found"})

    # --- routes --------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        sandbox = self.server.sandbox
        store: Store = sandbox.store
        parts = [part for part in path.split("/") if part]
        with store.lock:
            if parts == ["company"] and method == "GET":
                return 200, company(store, f"http://{self.headers.get('Host')}")
            if parts == ["users", "me"] and method == "GET":
                return 200, render(store, "users", store.get("users", OWNER_ID))
            kind, parent, obj_id = self._resolve(parts)
            if obj_id is None:
                if method == "GET":
                    return 200, self._list(store, kind, parent, query, path)
                if method == "POST" and (kind not in READ_ONLY_TOP or parent is not None):
                    raw = store.create(kind, body, parent)
                    return 201, render(store, kind, raw)
                raise SandboxError(405, "Method not allowed")
            raw = store.get(kind, obj_id)
            if parent is not None and raw.get(NESTED_PARENT[kind]) != parent:
                raise SandboxError(404, "Not found")
            if method == "GET":
                return 200, render(store, kind, raw)
            if method == "PATCH":
                return 200, render(store, kind, store.update(kind, obj_id, body))
            if method == "DELETE":
                store.delete(kind, obj_id)
                return 200, None
            raise SandboxError(405, "Method not allowed")

    @staticmethod
    def _resolve(parts: list[str]) -> tuple[str, int | None, int | None]:
        def number(text: str) -> int:
            if not text.isdigit():
                raise SandboxError(404, "Not found")
            return int(text)

        if len(parts) in (1, 2) and parts[0] in TOP_LEVEL:
            return parts[0], None, number(parts[1]) if len(parts) == 2 else None
        if len(parts) in (3, 4) and (parts[0], parts[2]) in NESTED:
            kind, _field = NESTED[(parts[0], parts[2])]
            return kind, number(parts[1]), number(parts[3]) if len(parts) == 4 else None
        raise SandboxError(404, "Not found")

    def _list(self, store: Store, kind: str, parent: int | None, query: dict[str, list[str]], path: str) -> Any:
        params = {key: values[-1] for key, values in query.items()}
        try:
            per_page = int(params.get("per_page", MAX_PER_PAGE))
            page = int(params.get("page", 1))
        except ValueError as exc:
            raise SandboxError(422, "page and per_page must be whole numbers") from exc
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise SandboxError(422, f"per_page must be between 1 and {MAX_PER_PAGE}")
        items = [raw for raw in store.objects[kind].values() if _matches(store, kind, raw, parent, params)]
        items.sort(key=lambda raw: raw["id"], reverse=True)  # newest first, as Harvest lists
        total = len(items)
        pages = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        base = f"http://{self.headers.get('Host')}/v2{path}"
        filters = {k: v for k, v in params.items() if k not in ("page", "per_page")}

        def link(number: int) -> str:
            return f"{base}?{urlencode(filters | {'page': number, 'per_page': per_page})}"

        list_key = {
            "invoice_payments": "invoice_payments",
            "invoice_messages": "invoice_messages",
            "estimate_messages": "estimate_messages",
        }.get(kind, kind)
        return {
            list_key: [render(store, kind, raw) for raw in chunk],
            "per_page": per_page,
            "total_pages": pages,
            "total_entries": total,
            "page": page,
            "next_page": page + 1 if page < pages else None,
            "previous_page": page - 1 if page > 1 else None,
            "links": {
                "first": link(1),
                "next": link(page + 1) if page < pages else None,
                "previous": link(page - 1) if page > 1 else None,
                "last": link(pages),
            },
        }


NESTED_PARENT = {kind: field for (_p, _c), (kind, field) in NESTED.items()}


def _matches(store: Store, kind: str, raw: dict[str, Any], parent: int | None, params: dict[str, str]) -> bool:
    if parent is not None and raw.get(NESTED_PARENT[kind]) != parent:
        return False
    for key in ("project_id", "user_id", "task_id"):
        if key in params and str(raw.get(key)) != params[key]:
            return False
    if "client_id" in params:
        client = raw.get("client_id")
        if client is None and "project_id" in raw:
            client = (store.objects["projects"].get(raw["project_id"]) or {}).get("client_id")
        if str(client) != params["client_id"]:
            return False
    if "external_reference_id" in params:
        reference = raw.get("external_reference") or {}
        if str(reference.get("id")) != params["external_reference_id"]:
            return False
    if "is_active" in params and bool(raw.get("is_active", True)) != (params["is_active"].lower() == "true"):
        return False
    if "state" in params and raw.get("state") != params["state"]:
        return False
    return not ("updated_since" in params and str(raw.get("updated_at", "")) < params["updated_since"])
