"""Retry policy as data plus one classifier.

- 429: wait exactly `Retry-After` and retry, whatever the method (a throttled request was not
  processed, so even a POST is safe to send again).
- Transient failures (connect errors, timeouts, dropped connections, 500/502/503/504) are retried
  with jittered exponential backoff **only when repeating is safe**: GET, PATCH and DELETE, and a
  POST only when it provably never left (the connection could not be opened).
- A POST whose outcome is unknown is never re-sent here: it raises `OutcomeUnknownError` so the
  loader can reconcile against the target first.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

SAFE_METHODS = frozenset({"GET", "PATCH", "DELETE", "HEAD"})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
# The request never reached the server: repeating it cannot duplicate anything.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The request may have reached the server: only idempotent methods may repeat it.
MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Waits in seconds; `max_attempts` counts the first try."""

    max_attempts: int = 5
    backoff_min: float = 0.5
    backoff_max: float = 30.0
    max_throttles: int = 10  # consecutive 429s before giving up
    default_retry_after: float = 15.0


def retry_after_seconds(response: httpx.Response, default: float) -> float:
    """The `Retry-After` header in seconds (integer or decimal form), else `default`."""
    raw = response.headers.get("Retry-After", "").strip()
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value >= 0 else default


def may_retry_exception(method: str, exc: Exception) -> bool:
    """Is it safe and useful to send this request again after `exc`?"""
    if isinstance(exc, NEVER_SENT):
        return True
    return method in SAFE_METHODS and isinstance(exc, MAYBE_SENT)


def may_retry_status(method: str, status: int) -> bool:
    """Is a 5xx answer worth retrying for this method (never for POST: it may have been applied)?"""
    return status in TRANSIENT_STATUSES and method in SAFE_METHODS
