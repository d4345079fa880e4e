"""HTTP for legacy APIs: one budget for every thread, throttling honoured by all, bodies to disk.

- **One client-side budget**: `harvest.ratelimit.SlidingWindowLimiter`, shared by every thread
  (a slot is held from the send until a window after the response, so the server never counts
  more than N requests in S seconds, whatever the latency).
- **503/429 + Retry-After**: the throttled request waits exactly that long, and so does every
  other thread: the limiter grants nothing until the wait ends, and a gate closes the race of a
  thread that already holds a slot: no request is sent after a throttled answer arrives until its
  wait is over. Requests already on the wire when it arrives cannot be called back.
- **Transient failures** (500/502/503 without Retry-After/504, refused or dropped connections,
  timeouts, bodies cut short or failing their check as cut short) are retried with jittered
  exponential backoff by the tenacity loop of `harvest.retry`: every export request is a read,
  so repeating one is always harmless.
- **Bodies** of 2xx answers stream to a temporary file (fsynced, with their sha256): flat memory
  for a 50 MB receipt. Other answers keep only their first bytes, to explain them.
- **Credentials** live only in the request headers, never in a URL, a log line or an error.

This is the one seam where httpx exceptions become `ExportError`s.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

import httpx

from migrator.config import RateLimit
from migrator.errors import ExportError
from migrator.export.durable import flush_file
from migrator.export.settings import Credentials
from migrator.harvest.ratelimit import SlidingWindowLimiter
from migrator.harvest.retry import NEVER_SENT, Action, Outcome, RetryPolicy

log = logging.getLogger(__name__)

HEAD_BYTES = 4096  # how much of a body is kept in memory to explain an answer
TEMP_PREFIX = "part-"
_TEMP_NUMBERS = itertools.count()  # temporary names: unique per process, no entropy needed (one run per OUT)
T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """One request of an export. `key` names it in the journal; `shown` in output and errors."""

    method: str
    path: str  # appended to the account's address, e.g. `/projects/901/entries`
    query: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None  # FreshBooks sends its method in an XML body
    accept: str | None = None  # None: the exporter's default (`application/xml`)
    label: str | None = None  # tells apart requests that look alike: a re-check pass, a FreshBooks method

    @property
    def key(self) -> str:
        text = f"{self.method} {self.path or '/'}"
        if self.query:
            text += "?" + urlencode(self.query)
        if self.label:
            text += f" ({self.label})"
        elif self.body is not None:
            text += " (" + hashlib.sha256(self.body).hexdigest()[:16] + ")"
        return text

    @property
    def shown(self) -> str:
        """How output names the request: `GET /invoices/3001`, or a FreshBooks method by its label
        (`client.list page 2`: every FreshBooks request is a POST to the same address)."""
        if self.body is not None and self.label:
            return self.label
        return self.key


@dataclass
class Fetched:
    """One answer: status, media type and the body (on disk for 2xx, its first bytes otherwise)."""

    request: Request
    status: int
    media_type: str  # lower case, without parameters; "" when absent
    temp: Path | None  # the whole body (2xx only), until the caller moves or deletes it
    size: int
    sha256: str
    head: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    answered_at: float = 0.0  # when its last byte arrived (the fetcher's clock)

    def discard(self) -> None:
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None


class IncompleteBody(Exception):  # noqa: N818 - a signal to the retry loop, never shown as such
    """A body failed a check that another attempt may pass (it was cut short)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReadRetryPolicy(RetryPolicy):
    """`harvest.retry.RetryPolicy` for reads of a legacy API: 503 with Retry-After is throttling
    (Harvest v1's answer), every method repeats safely (FreshBooks reads are POSTs), and a body
    cut short is retried like a dropped connection."""

    max_throttled: int = 100  # a sandbox (or account) far below the budget throttles often
    idempotent_methods: frozenset[str] = frozenset({"GET", "POST"})
    throttle_statuses: frozenset[int] = frozenset({429, 503})

    def classify(self, method: str, outcome: Outcome) -> Action:
        if isinstance(outcome, httpx.Response):
            if outcome.status_code in self.throttle_statuses and "retry-after" in outcome.headers:
                return Action.THROTTLED
        elif isinstance(outcome, (IncompleteBody, httpx.DecodingError)):
            return Action.BACKOFF
        return super().classify(method, outcome)


@dataclass
class FetchStats:
    """What the fetcher did in this run."""

    requests: int = 0  # sent over the network, retries included
    retries: int = 0
    throttled: int = 0  # answers asking to wait (503/429)
    waits: int = 0  # waits for Retry-After (every thread held)
    waited_seconds: float = 0.0
    failures: int = 0  # transient failures retried (5xx, dropped connections, bodies cut short)
    bytes: int = 0


class Fetcher:
    """Sends export requests to one account; thread-safe (the crawl calls it from a pool)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        rate: RateLimit,
        headers: Mapping[str, str],
        user_agent: str,
        concurrency: int = 4,
        timeout: float = 60.0,
        policy: ReadRetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.policy = policy or ReadRetryPolicy()
        self.limiter = SlidingWindowLimiter(rate.requests, rate.seconds, clock, sleep)
        self.stats = FetchStats()
        self._sleep, self._clock = sleep, clock
        self._gate = threading.Lock()  # guards `_quiet_until` and the counters
        self._quiet_until = float("-inf")  # no thread sends before this (a Retry-After wait)
        self._default_accept = headers.get("Accept", "*/*")
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,  # a redirect would carry the credentials elsewhere: explain it instead
            headers={**headers, "User-Agent": user_agent, **credentials.header_values()},
        )

    def close(self) -> None:
        self._http.close()

    # --- one request --------------------------------------------------------------------------------

    def fetch(
        self, request: Request, into: Path, check: Callable[[Fetched], T] | None = None
    ) -> tuple[Fetched, T | None]:
        """Send `request` until it is answered for good; return the answer and what `check` made of it.

        A 2xx body is written into a temporary file in `into` and passed to `check` (which raises
        `IncompleteBody` to have it fetched again, or an `ExportError` to stop); other answers are
        returned as they are, for the caller to judge. Transport failures that outlast the retries
        become `ExportError`s naming the request.
        """
        url = self.base_url + request.path
        if request.query:
            url += "?" + urlencode(request.query)
        headers = {"Accept": request.accept} if request.accept else None
        state: dict[str, object] = {}

        def attempt() -> httpx.Response:
            previous = state.pop("fetched", None)
            if isinstance(previous, Fetched):
                previous.discard()
            # The slot is held from the send to the answer's last byte, not through the fsync after it.
            self.limiter.acquire()
            answered: float | None = None
            try:
                self._wait_quiet()
                with self._http.stream(request.method, url, content=request.body, headers=headers) as response:
                    fetched = self._receive(request, response, into)
                answered = fetched.answered_at
            finally:
                self.limiter.release(answered)
            state["fetched"] = fetched
            if fetched.status in self.policy.throttle_statuses:
                with self._gate:
                    self.stats.throttled += 1
            if 200 <= fetched.status < 300 and check is not None:
                state["result"] = check(fetched)
            return response

        def on_retry(action: Action, wait: float) -> None:
            with self._gate:
                self.stats.retries += 1
                if action is Action.THROTTLED:
                    self.stats.waits += 1
                    self.stats.waited_seconds += wait
                    # Every thread waits: none may send before the throttled request itself may.
                    self._quiet_until = max(self._quiet_until, self._clock() + wait)
                else:
                    self.stats.failures += 1
            if action is Action.THROTTLED:
                self.limiter.pause(wait)
            what = "throttled: every request waits" if action is Action.THROTTLED else "failed"
            log.info("%s: %s, sending again in %.2fs", request.shown, what, wait)

        try:
            self.policy.run(request.method, attempt, sleep=self._sleep, on_retry=on_retry)
        except BaseException as exc:
            leftover = state.get("fetched")
            if isinstance(leftover, Fetched):
                leftover.discard()  # a refused body leaves nothing behind
            if isinstance(exc, IncompleteBody):
                attempts = self.policy.max_retries + 1
                raise ExportError(f"{exc.reason}, on every one of {attempts} attempts", request=request.shown) from exc
            if isinstance(exc, httpx.HTTPError):
                raise ExportError(self._transport_error(exc), request=request.shown) from exc
            if isinstance(exc, OSError):  # the body could not be written down (a full disk)
                raise ExportError(
                    f"cannot write the answer into {into}: {exc.strerror or exc}", request=request.shown
                ) from exc
            raise
        fetched = state["fetched"]
        assert isinstance(fetched, Fetched)
        return fetched, state.get("result")  # type: ignore[return-value]

    def _wait_quiet(self) -> None:
        """Hold this send while a Retry-After wait runs (the race the limiter's pause alone leaves
        open: a thread that took its slot just before the throttled answer arrived)."""
        while True:
            with self._gate:
                delay = self._quiet_until - self._clock()
                if delay <= 0:
                    self.stats.requests += 1
                    return
            self._sleep(delay)

    def _receive(self, request: Request, response: httpx.Response, into: Path) -> Fetched:
        """Read the answer: a 2xx body streams to an fsynced temporary file, hashed as it goes."""
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        keep = 200 <= response.status_code < 300
        digest, size, head = hashlib.sha256(), 0, bytearray()
        temp = into / f"{TEMP_PREFIX}{os.getpid()}-{next(_TEMP_NUMBERS)}" if keep else None
        handle = temp.open("wb") if temp is not None else None
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                digest.update(chunk)
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                if handle is not None:
                    handle.write(chunk)
                elif size >= HEAD_BYTES:
                    break  # an error page: its start explains it
            answered = self._clock()
            if handle is not None:
                flush_file(handle)
        except BaseException:
            if handle is not None:
                handle.close()
                temp.unlink(missing_ok=True)  # type: ignore[union-attr]
            raise
        if handle is not None:
            handle.close()
        with self._gate:
            self.stats.bytes += size
        kept = {
            name: response.headers[name]
            for name in ("content-type", "retry-after", "location")
            if name in response.headers
        }
        return Fetched(
            request, response.status_code, media, temp, size, digest.hexdigest(), bytes(head), kept, answered
        )

    def _transport_error(self, exc: httpx.HTTPError) -> str:
        attempts = self.policy.max_retries + 1
        if isinstance(exc, NEVER_SENT):
            why = "could not connect"
        elif isinstance(exc, httpx.TimeoutException):
            why = "no answer in time"
        elif isinstance(exc, httpx.RemoteProtocolError):
            why = "the connection closed before the answer was complete (a body cut short)"
        elif isinstance(exc, httpx.DecodingError):
            why = "the body could not be decoded (its compression is broken or cut short)"
        else:
            why = f"the connection failed ({type(exc).__name__})"
        return self.credentials.redact(f"{why}, on every one of {attempts} attempts")
