"""The retry policy: one classifier, Retry-After honoured exactly, and a POST never re-sent blindly."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from migrator.harvest.retry import Action, RetryPolicy

REQUEST = httpx.Request("GET", "https://harvest.test/v2/clients")
POLICY = RetryPolicy()


def response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=REQUEST)


def failure(kind: type[httpx.TransportError]) -> httpx.TransportError:
    return kind("boom", request=REQUEST)


class Script:
    """A `send` that plays outcomes in order (the last one forever) and counts the calls."""

    def __init__(self, *outcomes: httpx.Response | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> httpx.Response:
        outcome = self.outcomes[min(self.calls, len(self.outcomes) - 1)]
        self.calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def run(method: str, script: Script, policy: RetryPolicy = POLICY) -> tuple[httpx.Response, list[float]]:
    slept: list[float] = []
    return policy.run(method, script, sleep=slept.append), slept


@pytest.mark.parametrize(
    ("method", "outcome", "action"),
    [
        pytest.param("GET", response(200), Action.DONE, id="ok"),
        pytest.param("POST", response(429), Action.THROTTLED, id="post-429"),
        pytest.param("DELETE", response(429), Action.THROTTLED, id="delete-429"),
        pytest.param("GET", response(503), Action.BACKOFF, id="get-503"),
        pytest.param("PATCH", response(500), Action.BACKOFF, id="patch-500"),
        pytest.param("DELETE", response(504), Action.BACKOFF, id="delete-504"),
        pytest.param("POST", response(502), Action.DONE, id="post-502-unknown"),
        pytest.param("GET", response(501), Action.DONE, id="get-501-not-transient"),
        pytest.param("GET", response(422), Action.DONE, id="get-422"),
        pytest.param("POST", response(401), Action.DONE, id="post-401"),
        pytest.param("GET", failure(httpx.ReadTimeout), Action.BACKOFF, id="get-read-timeout"),
        pytest.param("PATCH", failure(httpx.ReadTimeout), Action.BACKOFF, id="patch-read-timeout"),
        pytest.param("DELETE", failure(httpx.RemoteProtocolError), Action.BACKOFF, id="delete-dropped"),
        pytest.param("GET", failure(httpx.WriteTimeout), Action.BACKOFF, id="get-write-timeout"),
        pytest.param("GET", failure(httpx.ReadError), Action.BACKOFF, id="get-read-error"),
        pytest.param("POST", failure(httpx.ConnectError), Action.BACKOFF, id="post-never-connected"),
        pytest.param("POST", failure(httpx.ConnectTimeout), Action.BACKOFF, id="post-connect-timeout"),
        pytest.param("POST", failure(httpx.PoolTimeout), Action.BACKOFF, id="post-no-free-connection"),
        pytest.param("POST", failure(httpx.ReadTimeout), Action.DONE, id="post-read-timeout-unknown"),
        pytest.param("POST", failure(httpx.WriteTimeout), Action.DONE, id="post-write-timeout-unknown"),
        pytest.param("POST", failure(httpx.RemoteProtocolError), Action.DONE, id="post-dropped-unknown"),
        pytest.param("POST", failure(httpx.ReadError), Action.DONE, id="post-read-error-unknown"),
        pytest.param("GET", failure(httpx.UnsupportedProtocol), Action.DONE, id="bad-scheme"),
        pytest.param("GET", ValueError("a bug"), Action.DONE, id="not-httpx"),
    ],
)
def test_classifier(method: str, outcome: httpx.Response | Exception, action: Action) -> None:
    assert POLICY.classify(method, outcome) is action


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        pytest.param("7", 7.0, id="seconds"),
        pytest.param(" 2.5 ", 2.5, id="decimal"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param(None, 15.0, id="absent"),
        pytest.param("soon", 15.0, id="garbled"),
        pytest.param("-3", 15.0, id="negative"),
        pytest.param("inf", 15.0, id="infinite"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 15.0, id="http-date"),
    ],
)
def test_retry_after(header: str | None, seconds: float) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    assert POLICY.retry_after(response(429, **headers)) == seconds


def test_get_503_503_200_is_retried_with_backoff() -> None:
    script = Script(response(503), response(503), response(200))
    final, slept = run("GET", script)
    assert final.status_code == 200
    assert script.calls == 3
    assert len(slept) == 2


def test_429_waits_exactly_retry_after_then_resends_a_post_once() -> None:
    script = Script(response(429, **{"Retry-After": "7"}), response(201))
    final, slept = run("POST", script)
    assert final.status_code == 201
    assert (script.calls, slept) == (2, [7.0])


def test_429_budget_runs_out_and_hands_back_the_last_429() -> None:
    script = Script(response(429, **{"Retry-After": "1"}))
    final, slept = run("POST", script, RetryPolicy(max_throttled=10))
    assert final.status_code == 429
    assert script.calls == 11  # the first send and ten waits
    assert slept == [1.0] * 10


def test_a_post_502_is_final_and_sent_once() -> None:
    script = Script(response(502), response(201))
    final, slept = run("POST", script)
    assert (final.status_code, script.calls, slept) == (502, 1, [])


def test_a_post_read_timeout_is_raised_at_once() -> None:
    script = Script(failure(httpx.ReadTimeout), response(201))
    with pytest.raises(httpx.ReadTimeout):
        run("POST", script)
    assert script.calls == 1


def test_a_post_that_never_connected_is_retried() -> None:
    script = Script(failure(httpx.ConnectError), response(201))
    final, _ = run("POST", script)
    assert (final.status_code, script.calls) == (201, 2)


def test_a_patch_read_timeout_is_retried() -> None:
    script = Script(failure(httpx.ReadTimeout), response(200))
    final, _ = run("PATCH", script)
    assert (final.status_code, script.calls) == (200, 2)


@pytest.mark.parametrize(
    ("outcome", "check"),
    [
        pytest.param(response(503), lambda final: final.status_code == 503, id="last-5xx-returned"),
        pytest.param(failure(httpx.ConnectError), None, id="last-exception-raised"),
    ],
)
def test_transient_budget_runs_out(
    outcome: httpx.Response | Exception, check: Callable[[httpx.Response], bool] | None
) -> None:
    script = Script(outcome)
    policy = RetryPolicy(max_retries=3)
    if check is None:
        with pytest.raises(httpx.ConnectError):
            run("GET", script, policy)
    else:
        final, _ = run("GET", script, policy)
        assert check(final)
    assert script.calls == 4


def test_backoff_is_jittered_exponential_and_capped() -> None:
    policy = RetryPolicy(max_retries=8, backoff_multiplier=0.5, backoff_max=4.0)
    for _ in range(20):
        _, slept = run("GET", Script(response(503)), policy)
        assert len(slept) == 8
        for number, wait in enumerate(slept, start=1):
            assert 0 <= wait <= min(4.0, 0.5 * 2 ** (number - 1))


def test_on_retry_reports_each_wait() -> None:
    seen: list[tuple[Action, float]] = []
    script = Script(response(429, **{"Retry-After": "3"}), response(503), response(200))
    POLICY.run("GET", script, sleep=lambda _: None, on_retry=lambda action, wait: seen.append((action, wait)))
    assert [action for action, _ in seen] == [Action.THROTTLED, Action.BACKOFF]
    assert seen[0][1] == 3.0
