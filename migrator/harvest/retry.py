"""Retry policy as data, one classifier, and a tenacity loop that applies them.

The classifier answers one question for each attempt: send it again, and after what wait?

- 429: wait exactly `Retry-After` seconds (15 when absent or unreadable), then send again whatever
  the method: a throttled request was not processed, so even a POST cannot be duplicated.
- Transient failures (connection errors, timeouts, dropped connections, 500/502/503/504) are retried
  with jittered exponential backoff, but **only when repeating is harmless**: GET, PATCH (same body)
  and DELETE always; a POST only when it provably never left this process (the connection could not
  be opened, or no pooled connection came free).
- Everything else is final. In particular a POST whose outcome is unknown (read timeout, 5xx,
  dropped connection) is never re-sent here: the client raises `OutcomeUnknownError` and the loader
  reconciles against the target before it decides to send again.

This module works on httpx outcomes only; turning them into `HarvestError`s is the client's job.
"""

from __future__ import annotations

import enum
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import tenacity

IDEMPOTENT_METHODS = frozenset({"GET", "PATCH", "DELETE"})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
# The request never left this process: sending it again cannot duplicate anything.
NEVER_SENT: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The request may have reached Harvest (and may have been applied): only idempotent methods repeat it.
MAYBE_SENT: tuple[type[Exception], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)

Outcome = httpx.Response | BaseException


class Action(enum.Enum):
    """What to do after one attempt."""

    DONE = "done"  # success, or a failure that retrying cannot fix or would make unsafe
    BACKOFF = "backoff"  # transient and harmless to repeat: jittered exponential wait, then again
    THROTTLED = "throttled"  # 429: wait Retry-After, then again (any method)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Waits are in seconds."""

    max_retries: int = 5  # transient failures retried per request (so up to 6 sends)
    backoff_multiplier: float = 0.5  # first backoff is random in [0, 0.5], then [0, 1], [0, 2], ...
    backoff_max: float = 30.0
    max_throttled: int = 10  # 429s waited out per request before RateLimitedError
    default_retry_after: float = 15.0  # Harvest's window, when a 429 has no usable Retry-After
    idempotent_methods: frozenset[str] = IDEMPOTENT_METHODS
    transient_statuses: frozenset[int] = TRANSIENT_STATUSES

    def classify(self, method: str, outcome: Outcome) -> Action:
        """The one classifier: what to do after `method` ended in `outcome` (a response or an exception)."""
        if isinstance(outcome, httpx.Response):
            if outcome.status_code == 429:
                return Action.THROTTLED
            if outcome.status_code in self.transient_statuses and method in self.idempotent_methods:
                return Action.BACKOFF
            return Action.DONE
        if isinstance(outcome, NEVER_SENT):
            return Action.BACKOFF
        if isinstance(outcome, MAYBE_SENT) and method in self.idempotent_methods:
            return Action.BACKOFF
        return Action.DONE

    def retry_after(self, response: httpx.Response) -> float:
        """`Retry-After` in seconds (integer or decimal form); the default when absent, negative or garbled."""
        raw = response.headers.get("Retry-After", "").strip()
        try:
            value = float(raw)
        except ValueError:
            return self.default_retry_after
        return value if 0 <= value < float("inf") else self.default_retry_after

    def run(
        self,
        method: str,
        send: Callable[[], httpx.Response],
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[Action, float], None] | None = None,
    ) -> httpx.Response:
        """Call `send` until the classifier says DONE or a budget runs out.

        Returns the last response (which may be an error status: the caller translates it) or
        raises the last exception. `on_retry(action, wait)` is called before each wait.
        """
        tally: Counter[Action] = Counter()
        backoff = tenacity.wait_random_exponential(multiplier=self.backoff_multiplier, max=self.backoff_max)

        def last(state: tenacity.RetryCallState) -> Outcome:
            assert state.outcome is not None  # tenacity only consults us after an attempt
            error = state.outcome.exception()
            return error if error is not None else state.outcome.result()

        def attempt() -> httpx.Response:
            # Count here, once per attempt, so the budgets do not depend on how often tenacity
            # consults its callbacks.
            try:
                response = send()
            except BaseException as exc:
                tally[self.classify(method, exc)] += 1
                raise
            tally[self.classify(method, response)] += 1
            return response

        def should_retry(state: tenacity.RetryCallState) -> bool:
            return self.classify(method, last(state)) is not Action.DONE

        def wait(state: tenacity.RetryCallState) -> float:
            outcome = last(state)
            if isinstance(outcome, httpx.Response) and self.classify(method, outcome) is Action.THROTTLED:
                return self.retry_after(outcome)
            return float(backoff(state))

        def stop(state: tenacity.RetryCallState) -> bool:
            if self.classify(method, last(state)) is Action.THROTTLED:
                return tally[Action.THROTTLED] > self.max_throttled
            return tally[Action.BACKOFF] > self.max_retries

        def before_sleep(state: tenacity.RetryCallState) -> None:
            if on_retry is not None:
                on_retry(self.classify(method, last(state)), state.upcoming_sleep)

        retrying = tenacity.Retrying(
            retry=should_retry,
            wait=wait,
            stop=stop,
            sleep=sleep,
            before_sleep=before_sleep,
            # Out of budget: hand back the last response, or raise the last exception, unwrapped.
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        response: httpx.Response = retrying(attempt)
        return response
