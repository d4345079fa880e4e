"""The Harvest v2 HTTP client: httpx underneath, typed errors on top, one rate limiter for all threads.

This is the one seam where httpx exceptions become `HarvestError`s (`raise ... from exc`). Bodies
are written with `jsonio.dumps` and read with `jsonio.loads`, so money and hours never pass through
float. The access token lives only in the Authorization header: it is redacted from every error
text and never logged. Thread-safe: the loader calls one client from a bounded pool of threads.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from migrator import jsonio
from migrator.config import TargetSettings
from migrator.errors import (
    AuthError,
    ConfigError,
    HarvestError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    TargetUnreachableError,
    TransientError,
    redact,
)
from migrator.harvest.multipart import MultipartBody, ReceiptUpload
from migrator.harvest.ratelimit import SlidingWindowLimiter
from migrator.harvest.retry import NEVER_SENT, Action, RetryPolicy
from migrator.harvest.shared_budget import SharedLimiter, budget_path, shared_limiter

log = logging.getLogger(__name__)

PER_PAGE = 2000  # Harvest's maximum (and default) page size; a larger value is a 422
MESSAGE_CHARS = 200  # how much of a non-JSON error body goes into the message
BODY_CHARS = 2000  # how much of an error body is kept on the exception
_ACCOUNT_PATHS = ("/company", "/users/me")  # what every account has
RECONCILE = "it may have been applied: reconcile with the target before sending it again"


@dataclass
class ClientStats:
    """What the client sent; benchmarks, tests and the loader's summary read it."""

    requests: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0  # 429 answers seen
    retries: int = 0  # sends repeated after a 429 or a transient failure


class HarvestClient:
    """A synchronous, thread-safe Harvest v2 client. Paths are relative to `settings.base_url`.

    `transport` replaces the network (tests pass `httpx.MockTransport`); `limiter` defaults to one
    built from `settings.rate`; `policy` from `settings.max_retries`; `sleep` and `clock` are
    injected together so tests never wait.
    """

    def __init__(
        self,
        settings: TargetSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        limiter: SlidingWindowLimiter | SharedLimiter | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # A fake `sleep` needs its fake `clock` too: the default limiter measures time with `clock`,
        # and with a real clock but a no-op sleep it would spin until real time catches up.
        self.settings = settings
        self.policy = policy or RetryPolicy(max_retries=settings.max_retries, backoff_max=settings.backoff_max)
        if limiter is None:
            limiter = SlidingWindowLimiter(settings.rate.requests, settings.rate.seconds, clock, sleep)
            if settings.share_budget:
                limiter = shared_limiter(limiter, budget_path(settings.base_url, settings.account_id), sleep)
        self.limiter = limiter
        self.stats = ClientStats()
        self._sleep = sleep
        self._stats_lock = threading.Lock()
        self._token = settings.token.get_secret_value()
        try:
            self._base = httpx.URL(settings.base_url.rstrip("/"))
        except httpx.InvalidURL as exc:
            raise ConfigError(f"--target / HARVEST_BASE_URL is not a valid URL: {exc}") from exc
        # What error texts may show of the target: no user:password@ (netloc leaves it out), no query.
        self._where = f"{self._base.scheme}://{self._base.netloc.decode()}{self._base.path}"
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,  # a redirect would carry the token elsewhere; report it instead
            headers={
                "Authorization": f"Bearer {self._token}",
                "Harvest-Account-Id": settings.account_id,
                "User-Agent": settings.user_agent,
                "Accept": "application/json",
            },
        )

    # --- verbs -------------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET `path` (with query `params`) and return the parsed JSON."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any] | jsonio.JsonText) -> Any:
        """POST a JSON body; return the created object. Never re-sent once it may have arrived."""
        return self.request("POST", path, body=body)

    def patch(self, path: str, body: dict[str, Any] | jsonio.JsonText) -> Any:
        """PATCH a JSON body (only the fields given change); return the updated object."""
        return self.request("PATCH", path, body=body)

    def delete(self, path: str) -> None:
        """DELETE `path`."""
        self.request("DELETE", path)

    def upload(self, method: str, path: str, body: dict[str, Any], receipt: ReceiptUpload) -> tuple[Any, str | None]:
        """POST or PATCH `body` as multipart text fields with `receipt` as its file (how Harvest takes a
        receipt); return the answer and the sha256 of the bytes sent.

        Never re-sent once it may have arrived, a PATCH included (a second upload of the same file is
        still a second upload): an unknown outcome is `OutcomeUnknownError`, reconciled by the caller.
        """
        receipt.check()
        multipart = MultipartBody(body, receipt)
        return self.request(method, path, multipart=multipart), multipart.sent

    def receipt_digest(self, url: str) -> tuple[int, str]:
        """(size, sha256) of a receipt as the target serves it at `url` (same origin only), streamed."""
        target, shown = self._resolve("GET", url, None)
        hasher, size = hashlib.sha256(), 0
        try:
            with self.limiter.slot():
                self._count(method="GET")
                with self._http.stream("GET", target, headers={"Accept": "*/*"}) as response:
                    if response.status_code != 200:
                        response.read()
                        self._result("GET", shown, response)
                        raise HarvestError(f"answered {response.status_code}", method="GET", path=shown)
                    for block in response.iter_bytes():
                        hasher.update(block)
                        size += len(block)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self._transport_error("GET", shown, exc) from exc
        return size, hasher.hexdigest()

    def list(self, path: str, key: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint: asks for 2000 per page and follows `links.next` until null.

        The docs say to follow the links rather than build page URLs (cursor pagination), so we do.
        """
        page = self.get(path, {"per_page": PER_PAGE, **(params or {})})
        seen: set[str] = set()
        while True:
            items = page.get(key) if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise HarvestError(f"the list response has no {key!r} array", method="GET", path=path)
            yield from items
            following = (page.get("links") or {}).get("next")
            if not following:
                return
            if following in seen:  # a server bug must not become an endless loop
                raise HarvestError(f"links.next repeats a page already read: {following}", method="GET", path=path)
            seen.add(following)
            page = self.request("GET", following)

    def me(self) -> dict[str, Any]:
        """The user the token belongs to (`GET /users/me`)."""
        return self._object(self.get("/users/me"), "/users/me")

    def company(self) -> dict[str, Any]:
        """The account's company settings (`GET /company`)."""
        return self._object(self.get("/company"), "/company")

    # --- one request -------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        multipart: MultipartBody | None = None,
    ) -> Any:
        """Send one request through the limiter and the retry policy; return the parsed JSON or None.

        `path` is relative to the base URL, or an absolute URL on the same origin (a `links.next`).
        `multipart` replaces `body` with a streamed form (see `upload`): retried like a POST.
        """
        try:
            url, shown = self._resolve(method, path, params)
        except httpx.InvalidURL as exc:
            raise HarvestError(f"not a valid URL: {self._redact(str(exc))}", method=method) from exc
        content: Any = None
        if body is not None:  # a body written once by the loader (`JsonText`) is sent as it is
            content = (body if isinstance(body, jsonio.JsonText) else jsonio.dumps(body)).encode()
        headers = {"Content-Type": "application/json"} if content is not None else None
        if multipart is not None:
            headers = {"Content-Type": multipart.content_type, "Content-Length": str(multipart.length)}
        # An upload is sent at most once, like a POST: re-sending it after it may have arrived would upload twice.
        once = "POST" if multipart is not None else method

        def send() -> httpx.Response:
            with self.limiter.slot():
                self._count(method=method)
                payload = iter(multipart) if multipart is not None else content  # a fresh read of the file each time
                response = self._http.request(method, url, content=payload, headers=headers)
            if response.status_code == 429:
                self._count(rate_limited=True)
            else:
                self._heed_budget_headers(response)
            return response

        def on_retry(action: Action, wait: float) -> None:
            self._count(retry=True)
            if action is Action.THROTTLED:
                self.limiter.pause(wait)  # the budget is shared: hold every thread, not just this one
            what = "throttled (429): every request waits" if action is Action.THROTTLED else action.value
            log.info("%s %s: %s, sending again in %.2fs", method, shown, what, wait)

        try:
            response = self.policy.run(once, send, sleep=self._sleep, on_retry=on_retry)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self._transport_error(method, shown, exc, once=once == "POST") from exc
        return self._result(method, shown, response, once=once == "POST")

    def _heed_budget_headers(self, response: httpx.Response) -> None:
        """A server that says its budget is spent (`X-RateLimit-Remaining: 0` and a reset time) is
        waited for before the next request, instead of drawing a 429. Harvest does not document
        these headers; where they come, they are the server's own count, which beats ours."""
        headers = response.headers
        remaining = _first(headers, "X-RateLimit-Remaining", "X-Rate-Limit-Remaining", "RateLimit-Remaining")
        reset = _first(headers, "X-RateLimit-Reset", "X-Rate-Limit-Reset", "RateLimit-Reset")
        try:
            left, until = int(remaining or ""), float(reset or "")
        except ValueError:
            return
        if left > 0:
            return
        wait = until - time.time() if until > 1e9 else until  # an epoch time, or seconds from now
        if 0 < wait <= 3600:
            log.info("the server says its request budget is spent: waiting %.2fs", wait)
            self.limiter.pause(wait)

    def _resolve(self, method: str, path: str, params: dict[str, Any] | None) -> tuple[str, str]:
        """The URL to send to (`params` merged into any query `path` has), and the path to show in errors."""
        if "://" in path or path.startswith("//"):
            url = httpx.URL(path)
            # Never send the token to another origin, whatever a response's links say.
            if (url.scheme, url.host, url.port) != (self._base.scheme, self._base.host, self._base.port):
                raise HarvestError(
                    f"refusing to send the token to another host: {url.scheme}://{url.host}",
                    method=method,
                    path=self._redact(url.path),
                )
        else:
            url = httpx.URL(urljoin(str(self._base) + "/", path.lstrip("/")))
        if params:
            url = url.copy_merge_params(params)  # httpx's params= would replace the query, not merge
        shown = url.path.removeprefix(self._base.path.rstrip("/")) or "/"
        return str(url), self._redact(shown)

    def _result(self, method: str, path: str, response: httpx.Response, *, once: bool = False) -> Any:
        """The parsed answer, or the typed error; `once`: the request may not be repeated (a POST, an upload)."""
        once = once or method == "POST"
        status = response.status_code
        if 200 <= status < 300:
            if not response.content:
                return None
            try:
                return jsonio.loads(response.content)
            except ValueError as exc:
                text = f"answered {status} with a body that is not JSON"
                if once:  # created, but we cannot tell its id
                    raise OutcomeUnknownError(f"{text}; {RECONCILE}", method=method, path=path, status=status) from exc
                raise TransientError(text, method=method, path=path, status=status) from exc
        message = self._message(response)
        context: dict[str, Any] = {
            "method": method,
            "path": path,
            "status": status,
            "body": self._redact(response.text)[:BODY_CHARS],
        }
        if status == 401:
            raise AuthError(f"{message} (check HARVEST_ACCESS_TOKEN and HARVEST_ACCOUNT_ID)", **context)
        if status == 403:
            raise AuthError(
                f"{message} (the token's user lacks permission on this account: check HARVEST_ACCOUNT_ID "
                "and that the user is an Administrator)",
                **context,
            )
        if status == 404 and path in _ACCOUNT_PATHS:
            # Every Harvest v2 account answers these: a 404 means the base URL is not the API's.
            base = self._where.rstrip("/")
            hint = f"did you mean {base}/v2?" if not base.endswith("/v2") else "check --target / HARVEST_BASE_URL"
            raise TargetUnreachableError(
                f"{base} answered 404 for {path}: it is not a Harvest v2 API base; {hint}", **context
            )
        if status == 404:
            raise NotFoundError(message, **context)
        if status == 429:
            raise RateLimitedError(
                f"{message} (still throttled after {self.policy.max_throttled} waits; another integration may "
                "be using this account's budget: lower --rate or try later)",
                **context,
            )
        if status >= 500:
            if once:
                raise OutcomeUnknownError(f"{message}; {RECONCILE}", **context)
            raise TransientError(message, **context)
        if 300 <= status < 400:
            location = self._redact(urlsplit(response.headers.get("Location", "")).netloc)
            raise TargetUnreachableError(
                f"{self._where} redirects to {location or 'elsewhere'}; check --target / HARVEST_BASE_URL",
                **context,
            )
        raise RejectedError(message, **context)

    def _transport_error(self, method: str, path: str, exc: Exception, *, once: bool = False) -> HarvestError:
        """The `HarvestError` for an httpx exception that survived the retry policy."""
        detail = self._redact(f"{type(exc).__name__}: {exc}".rstrip(": "))
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol, httpx.InvalidURL)):
            return TargetUnreachableError(
                f"cannot reach {self._where}: {detail}; check --target / HARVEST_BASE_URL", method=method, path=path
            )
        if isinstance(exc, NEVER_SENT):  # a pool timeout: nothing left this process
            return TransientError(detail, method=method, path=path)
        if once or method == "POST":
            return OutcomeUnknownError(f"{detail}; {RECONCILE}", method=method, path=path)
        return TransientError(detail, method=method, path=path)

    def _message(self, response: httpx.Response) -> str:
        """Harvest's own words: `message`, or a 401's `error: error_description`, else the start of the body."""
        text = self._redact(response.text)
        try:
            data = jsonio.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            if data.get("message"):
                return str(data["message"])
            parts = [str(data[key]) for key in ("error", "error_description") if data.get(key)]
            if parts:
                return ": ".join(parts)
        text = " ".join(text.split())[:MESSAGE_CHARS]
        return text or f"HTTP {response.status_code} {response.reason_phrase}".rstrip()

    def _redact(self, text: str) -> str:
        # Redact before truncating, so a cut can never leave a piece of the token behind.
        return redact(text, self._token, quote(self._token, safe=""))

    @staticmethod
    def _object(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise HarvestError("expected a JSON object", method="GET", path=path)
        return value

    def _count(self, *, method: str | None = None, rate_limited: bool = False, retry: bool = False) -> None:
        with self._stats_lock:
            if method:
                self.stats.requests += 1
                self.stats.by_method[method] += 1
            self.stats.rate_limited += rate_limited
            self.stats.retries += retry

    # --- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (and the shared budget file, if any)."""
        self._http.close()
        closing = getattr(self.limiter, "close", None)
        if closing is not None:
            closing()

    def __enter__(self) -> HarvestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first(headers: httpx.Headers, *names: str) -> str | None:
    """The first of these headers the response carries."""
    return next((headers[name] for name in names if name in headers), None)
