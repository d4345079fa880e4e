"""The HTTP face every legacy sandbox shares: rate limit, faults, a request log, the stats endpoint.

Every request but `/__sandbox/...` goes through, in order: arrival (logged with its time on the
machine's monotonic clock, which other processes on the same machine read too, and what the body
asks where the system says it: FreshBooks' method and its page), the rate window
(a throttled request is answered the system's way, e.g. 503 + Retry-After, and not processed),
the fault draw, then the system's `answer`. `GET /__sandbox/stats` needs no auth and reports
requests, throttled answers, faults and the request log with each Retry-After window given, so a
test can assert that no request arrived while the client was told to wait.

Faults (`--fault-rate`, seeded): `error_500` and `error_502` (an HTML error page),
`drop` (the connection closes without an answer), `truncate` (the headers promise the whole
body, half of it is sent, then the connection closes).
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from migrator.sandbox.faults import FaultInjector
from migrator.sandbox.throttle import RateWindow

FAULT_KINDS: tuple[str, ...] = ("error_500", "error_502", "drop", "truncate")
LOG_LIMIT = 500_000  # requests kept in the log (a benchmark sends a few thousand)
ERROR_PAGE = b"<html><head><title>%d %s</title></head><body><h1>%s</h1></body></html>"


@dataclass(frozen=True)
class Incoming:
    """One request as the system's sandbox sees it."""

    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes


@dataclass
class Answer:
    """One answer. `truncate`: send half the body after headers promising all of it, then close."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False


def html(status: int, title: str, text: str = "") -> Answer:
    """An HTML page (what legacy systems answer for errors, inactive accounts and unknown pages)."""
    page = b"<!DOCTYPE html><html><head><title>" + title.encode() + b"</title></head><body><h1>"
    page += title.encode() + b"</h1><p>" + text.encode() + b"</p></body></html>"
    return Answer(status, "text/html; charset=utf-8", page)


class LegacyServer(ThreadingHTTPServer):
    """The server and what its handlers share: the system's answers, the limits, the log."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        *,
        answer: Callable[[Incoming], Answer | None],
        throttled: Callable[[float], Answer],
        window: RateWindow,
        faults: FaultInjector,
        extra_stats: Callable[[], dict[str, Any]],
        describe: Callable[[bytes], str | None] | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.answer = answer  # None: close the connection without answering
        self.describe = describe  # what a request body asks, for the log (FreshBooks: the method)
        self.throttled = throttled
        self.window = window
        self.faults = faults
        self.extra_stats = extra_stats
        self._lock = threading.Lock()
        self.requests = 0
        self.throttled_count = 0
        self.log: list[dict[str, Any]] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # a client killed mid-answer: routine here
            return
        super().handle_error(request, client_address)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests += 1
            self.throttled_count += entry.get("retry_after") is not None
            if len(self.log) < LOG_LIMIT:
                self.log.append(entry)

    def stats(self) -> dict[str, Any]:
        """`GET /__sandbox/stats`: counters and the request log (times on the monotonic clock)."""
        with self._lock:
            document = {
                "requests": self.requests,
                "throttled": self.throttled_count,
                "faults": self.faults.injected,
                "log": list(self.log),
            }
        return document | self.extra_stats()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: LegacyServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        arrived = time.monotonic()
        url = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        if url.path.startswith("/__sandbox/"):
            if method == "GET" and url.path == "/__sandbox/stats":
                self._send(Answer(200, "application/json", json.dumps(self.server.stats()).encode()))
            else:
                self._send(html(404, "Not found"))
            return
        server = self.server
        entry: dict[str, Any] = {"at": arrived, "method": method, "path": self.path}
        call = server.describe(body) if server.describe is not None else None
        if call is not None:
            entry["call"] = call
        wait = server.window.admit()
        if wait is not None:
            throttled = server.throttled(wait)
            entry.update(status=throttled.status, retry_after=float(throttled.headers.get("Retry-After", wait)))
            entry["until"] = arrived + entry["retry_after"]
            server.record(entry)
            self._send(throttled)
            return
        fault = server.faults.choose()
        entry["fault"] = fault
        if fault in ("error_500", "error_502"):
            status = 500 if fault == "error_500" else 502
            reason = "Internal Server Error" if status == 500 else "Bad Gateway"
            server.record(entry | {"status": status})
            self._send(html(status, f"{status} {reason}", "injected by the sandbox"))
            return
        incoming = Incoming(method, url.path, dict(parse_qsl(url.query)), self.headers, body)
        answer: Answer | None
        try:
            answer = server.answer(incoming) if fault != "drop" else None
        except Exception as exc:  # noqa: BLE001 - the server boundary: a sandbox bug must still answer
            traceback.print_exc(file=sys.stderr)
            answer = html(500, "sandbox bug", f"{type(exc).__name__}: {exc}")
        if answer is None:
            server.record(entry | {"status": None})
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        server.record(entry | {"status": answer.status})
        if fault == "truncate":
            answer.truncate = True
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if answer.truncate:
                self.wfile.write(answer.body[: len(answer.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(answer.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
