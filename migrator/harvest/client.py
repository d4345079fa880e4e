"""The Harvest v2 HTTP client: httpx underneath, typed errors on top, one rate limiter for all.

This is the one seam where httpx exceptions become `HarvestError`s. Bodies are written with
`jsonio.dumps` and read with `jsonio.loads`, so money and hours never pass through float. The
access token appears only in the Authorization header and is redacted from every error text.
Thread-safe: the loader calls it from a bounded pool of threads.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import tenacity

from migrator import jsonio
from migrator.config import TargetSettings
from migrator.errors import (
    AuthError,
    HarvestError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    TargetUnreachableError,
    TransientError,
    redact,
)
from migrator.harvest.ratelimit import SlidingWindowLimiter
from migrator.harvest.retry import RetryPolicy, may_retry_exception, may_retry_status, retry_after_seconds

PER_PAGE = 2000


@dataclass
class ClientStats:
    """What the client sent: benchmarks and tests count requests with it."""

    requests: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    retries: int = 0


class _Retry(Exception):
    """Internal: this attempt failed in a way that is safe to retry."""

    def __init__(self, error: HarvestError) -> None:
        self.error = error


class HarvestClient:
    """A synchronous, thread-safe Harvest v2 client."""

    def __init__(
        self,
        settings: TargetSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        limiter: SlidingWindowLimiter | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy(max_attempts=settings.max_retries)
        self.limiter = limiter or SlidingWindowLimiter(settings.rate.requests, settings.rate.seconds)
        self._sleep = sleep
        self._token = settings.token.get_secret_value()
        self._stats_lock = threading.Lock()
        self.stats = ClientStats()
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            headers={
                "Authorization": f"Bearer {self._token}",
                "Harvest-Account-Id": settings.account_id,
                "User-Agent": settings.user_agent,
                "Accept": "application/json",
            },
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    # --- public verbs ------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, body=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", path, body=body)

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def list(self, path: str, key: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint, following `links.next` (never building page URLs)."""
        query = {"per_page": PER_PAGE, **(params or {})}
        page = self.request("GET", path, params=query)
        while True:
            yield from page.get(key) or []
            following = (page.get("links") or {}).get("next")
            if not following:
                return
            page = self.request("GET", following)

    def me(self) -> dict[str, Any]:
        return dict(self.get("/users/me"))

    def company(self) -> dict[str, Any]:
        return dict(self.get("/company"))

    # --- the request loop --------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None
    ) -> Any:
        """Send one request with throttling and safe retries; return the parsed JSON (or None)."""
        url = path if path.startswith(("http://", "https://")) else f"{self.settings.base_url}{path}"
        content = jsonio.dumps(body).encode() if body is not None else None
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.policy.max_attempts),
            wait=tenacity.wait_random_exponential(multiplier=self.policy.backoff_min, max=self.policy.backoff_max),
            retry=tenacity.retry_if_exception_type(_Retry),
            sleep=self._sleep,
            before_sleep=lambda _state: self._count(retry=True),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(method, url, params, content)
        except _Retry as exhausted:
            raise exhausted.error from None
        return None  # pragma: no cover - tenacity either returns or raises

    def _attempt(self, method: str, url: str, params: dict[str, Any] | None, content: bytes | None) -> Any:
        path = urlsplit(url).path
        headers = {"Content-Type": "application/json"} if content is not None else None
        for _ in range(self.policy.max_throttles + 1):
            try:
                with self.limiter.slot():
                    self._count(method=method)
                    response = self._http.request(method, url, params=params, content=content, headers=headers)
            except httpx.HTTPError as exc:
                raise self._transport_error(method, path, exc) from exc
            if response.status_code != 429:
                return self._handle(method, path, response)
            # Throttled: the request was not processed, so it is safe to send again, even a POST.
            self._count(throttled=True)
            self._sleep(retry_after_seconds(response, self.policy.default_retry_after))
        raise RateLimitedError(
            f"still throttled after {self.policy.max_throttles} waits; lower --rate or try later",
            method=method,
            path=path,
            status=429,
        )

    def _transport_error(self, method: str, path: str, exc: httpx.HTTPError) -> Exception:
        text = redact(f"{type(exc).__name__}: {exc}", self._token)
        if may_retry_exception(method, exc):
            if isinstance(exc, httpx.ConnectError):
                return _Retry(
                    TargetUnreachableError(
                        f"cannot reach {self.settings.base_url} ({text}); check --target / HARVEST_BASE_URL",
                        method=method,
                        path=path,
                    )
                )
            return _Retry(TransientError(text, method=method, path=path))
        if method == "POST":
            return OutcomeUnknownError(
                f"{text}; the request may have been applied: reconcile before re-sending", method=method, path=path
            )
        return TransientError(text, method=method, path=path)

    def _handle(self, method: str, path: str, response: httpx.Response) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            if status == 204 or not response.content:
                return None
            return jsonio.loads(response.content)
        message = redact(self._message(response), self._token)
        body = redact(response.text[:2000], self._token)
        kwargs = {"method": method, "path": path, "status": status, "body": body}
        if status in (401, 403):
            hint = (
                "check HARVEST_ACCESS_TOKEN and HARVEST_ACCOUNT_ID"
                if status == 401
                else "the token's user needs administrator rights on this account"
            )
            return self._raise(AuthError(f"{message} ({hint})", **kwargs))
        if status == 404:
            return self._raise(NotFoundError(message, **kwargs))
        if status >= 500:
            if may_retry_status(method, status):
                raise _Retry(TransientError(message, **kwargs))
            if method == "POST":
                raise OutcomeUnknownError(
                    f"{message}; the request may have been applied: reconcile before re-sending", **kwargs
                )
            raise TransientError(message, **kwargs)
        return self._raise(RejectedError(message, **kwargs))

    @staticmethod
    def _raise(error: HarvestError) -> Any:
        raise error

    @staticmethod
    def _message(response: httpx.Response) -> str:
        try:
            data = jsonio.loads(response.content)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("message", "error_description", "error"):
                if data.get(key):
                    return str(data[key])
        text = response.text.strip()
        return text[:200] if text else f"HTTP {response.status_code}"

    def _count(self, *, method: str | None = None, throttled: bool = False, retry: bool = False) -> None:
        with self._stats_lock:
            if method:
                self.stats.requests += 1
                self.stats.by_method[method] += 1
            if throttled:
                self.stats.throttled += 1
            if retry:
                self.stats.retries += 1

    # --- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HarvestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
