"""The Harvest client against httpx.MockTransport: headers, paging, exact decimals, retries, typed errors.

No network and no real waiting: the clock and the sleep are fakes shared by the client and its limiter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from migrator import USER_AGENT, __version__
from migrator.config import RateLimit, TargetSettings
from migrator.errors import (
    AuthError,
    HarvestError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    TargetUnreachableError,
    TransientError,
)
from migrator.harvest.client import HarvestClient

TOKEN = "pat-1234567.SECRETtokenVALUE_abcdef"
HARVEST_RATE = RateLimit(100, 15)
BASE = "https://harvest.test/v2"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Moves only when slept on, so Retry-After waits and limiter waits cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@dataclass
class Rig:
    client: HarvestClient
    clock: FakeClock
    sent: list[httpx.Request] = field(default_factory=list)


@pytest.fixture()
def rig() -> Iterator[Callable[..., Rig]]:
    made: list[HarvestClient] = []

    def make(*answers: httpx.Response | Exception | Handler, rate: RateLimit = HARVEST_RATE) -> Rig:
        """A client whose server plays `answers` in order (the last one forever); a callable is a handler."""
        clock = FakeClock()
        settings = TargetSettings(BASE, SecretStr(TOKEN), "4242", rate=rate)
        sent: list[httpx.Request] = []
        lock = threading.Lock()

        def serve(request: httpx.Request) -> httpx.Response:
            with lock:
                sent.append(request)
                answer = answers[min(len(sent), len(answers)) - 1]
            if isinstance(answer, Exception):
                raise answer
            return answer(request) if callable(answer) else answer

        client = HarvestClient(settings, transport=httpx.MockTransport(serve), sleep=clock.sleep, clock=clock)
        made.append(client)
        return Rig(client, clock, sent)

    yield make
    for client in made:
        client.close()


def raises(kind: type[httpx.TransportError], text: str = "boom") -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise kind(text, request=request)

    return handler


def ok(payload: Any = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=payload if payload is not None else {"id": 1})


# --- what goes out ----------------------------------------------------------------------------------


def test_headers_exact(rig: Callable[..., Rig]) -> None:
    r = rig(ok())
    r.client.get("/clients")
    r.client.post("/clients", {"name": "Acme"})
    get, post = r.sent
    ours = {
        "authorization": f"Bearer {TOKEN}",
        "harvest-account-id": "4242",
        "user-agent": f"migrator/{__version__} (migrator@example.com)",
        "accept": "application/json",
    }
    httpx_own = {"host", "accept-encoding", "connection"}
    assert ours["user-agent"] == USER_AGENT
    assert {k: v for k, v in get.headers.items() if k not in httpx_own} == ours
    assert {k: v for k, v in post.headers.items() if k not in httpx_own | {"content-length"}} == ours | {
        "content-type": "application/json"
    }


def test_paths_are_relative_to_the_base_url(rig: Callable[..., Rig]) -> None:
    r = rig(ok())
    r.client.get("/projects/5/task_assignments", {"is_active": "true"})
    r.client.patch("/clients/9", {"name": "B"})
    r.client.delete("/clients/9")
    assert [(q.method, str(q.url)) for q in r.sent] == [
        ("GET", f"{BASE}/projects/5/task_assignments?is_active=true"),
        ("PATCH", f"{BASE}/clients/9"),
        ("DELETE", f"{BASE}/clients/9"),
    ]
    assert r.client.stats.requests == 3
    assert dict(r.client.stats.by_method) == {"GET": 1, "PATCH": 1, "DELETE": 1}


def test_decimal_round_trip(rig: Callable[..., Rig]) -> None:
    r = rig(httpx.Response(201, content=b'{"id": 7, "hours": 0.1, "amount": 1234.50}'))
    answer = r.client.post("/time_entries", {"hours": Decimal("1.10")})
    assert r.sent[0].content == b'{"hours": 1.10}'
    assert answer == {"id": 7, "hours": Decimal("0.1"), "amount": Decimal("1234.50")}
    assert str(answer["amount"]) == "1234.50"


def test_a_float_never_leaves(rig: Callable[..., Rig]) -> None:
    r = rig(ok())
    with pytest.raises(TypeError, match="float"):
        r.client.post("/expenses", {"total_cost": 0.1})
    assert r.sent == []


def test_me_company_and_an_empty_delete(rig: Callable[..., Rig]) -> None:
    r = rig(ok({"id": 1, "email": "a@b.c"}), ok({"name": "Acme"}), httpx.Response(200))
    assert r.client.me() == {"id": 1, "email": "a@b.c"}
    assert r.client.company() == {"name": "Acme"}
    r.client.delete("/clients/1")  # an empty 200 is fine: nothing to parse
    assert [q.url.path for q in r.sent] == ["/v2/users/me", "/v2/company", "/v2/clients/1"]


# --- pagination -------------------------------------------------------------------------------------


def test_list_follows_links_next_across_three_pages(rig: Callable[..., Rig]) -> None:
    second = f"{BASE}/clients?cursor=eyJhZnRlciI6Mn0&per_page=2000&ref=next_cursor"
    third = f"{BASE}/clients?cursor=eyJhZnRlciI6NH0&per_page=2000&ref=next_cursor"
    r = rig(
        ok({"clients": [{"id": 1}, {"id": 2}], "links": {"next": second}}),
        ok({"clients": [{"id": 3}, {"id": 4}], "links": {"next": third}}),
        ok({"clients": [{"id": 5}], "links": {"next": None}}),
    )
    assert [c["id"] for c in r.client.list("/clients", "clients", {"is_active": "true"})] == [1, 2, 3, 4, 5]
    assert dict(r.sent[0].url.params) == {"per_page": "2000", "is_active": "true"}
    assert [str(q.url) for q in r.sent[1:]] == [second, third]  # followed verbatim, never rebuilt


@pytest.mark.parametrize(
    ("page", "match"),
    [
        pytest.param({"links": {"next": None}}, "no 'clients' array", id="wrong-key"),
        pytest.param({"clients": [], "links": {"next": f"{BASE}/clients?page=2"}}, "repeats", id="endless-loop"),
        pytest.param({"clients": [], "links": {"next": "https://evil.test/v2/clients"}}, "another host", id="host"),
    ],
)
def test_list_refuses_a_bad_page(rig: Callable[..., Rig], page: dict[str, Any], match: str) -> None:
    r = rig(ok(page))
    with pytest.raises(HarvestError, match=match):
        list(r.client.list("/clients", "clients"))
    assert all(q.url.host == "harvest.test" for q in r.sent)  # the token never went to evil.test


# --- retries ----------------------------------------------------------------------------------------


def test_429_then_success_waits_retry_after_and_resends_a_post_once(rig: Callable[..., Rig]) -> None:
    r = rig(httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "throttled"}), ok({"id": 5}, 201))
    assert r.client.post("/clients", {"name": "A"}) == {"id": 5}
    assert len(r.sent) == 2
    assert r.sent[0].content == r.sent[1].content
    assert r.clock.sleeps == [7.0]
    assert (r.client.stats.rate_limited, r.client.stats.retries) == (1, 1)
    assert r.client.limiter.stats.pauses == 1  # every thread holds off, not just this one


def test_endless_429_becomes_rate_limited_error(rig: Callable[..., Rig]) -> None:
    r = rig(httpx.Response(429, headers={"Retry-After": "2"}))
    with pytest.raises(RateLimitedError, match="still throttled") as caught:
        r.client.get("/clients")
    assert caught.value.status == 429
    assert len(r.sent) == 11
    assert r.client.stats.rate_limited == 11


def test_get_503_503_200_is_retried(rig: Callable[..., Rig]) -> None:
    r = rig(httpx.Response(503), httpx.Response(503), ok({"clients": []}))
    assert r.client.get("/clients") == {"clients": []}
    assert len(r.sent) == 3
    assert r.client.stats.retries == 2


def test_a_get_that_keeps_failing_becomes_a_transient_error(rig: Callable[..., Rig]) -> None:
    r = rig(httpx.Response(504, text="<html>gateway timeout</html>"))
    with pytest.raises(TransientError) as caught:
        r.client.get("/clients")
    assert type(caught.value) is TransientError
    assert (caught.value.status, caught.value.message) == (504, "<html>gateway timeout</html>")
    assert len(r.sent) == r.client.policy.max_retries + 1


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.Response(502), id="502"),
        pytest.param(httpx.Response(500), id="500"),
        pytest.param(httpx.Response(503), id="503"),
        pytest.param(raises(httpx.ReadTimeout), id="read-timeout"),
        pytest.param(raises(httpx.RemoteProtocolError, "Server disconnected"), id="dropped"),
        pytest.param(raises(httpx.ReadError), id="read-error"),
        pytest.param(httpx.Response(201, text="<html>oops"), id="created-but-unreadable"),
    ],
)
def test_a_post_with_unknown_outcome_is_sent_exactly_once(
    rig: Callable[..., Rig], failure: httpx.Response | Handler
) -> None:
    r = rig(failure, ok({"id": 2}, 201))
    with pytest.raises(OutcomeUnknownError, match="reconcile") as caught:
        r.client.post("/clients", {"name": "A"})
    assert len(r.sent) == 1
    assert (caught.value.method, caught.value.path) == ("POST", "/clients")


def test_a_post_that_never_connected_is_retried(rig: Callable[..., Rig]) -> None:
    r = rig(raises(httpx.ConnectError, "[Errno 111] Connection refused"), ok({"id": 9}, 201))
    assert r.client.post("/clients", {"name": "A"}) == {"id": 9}
    assert len(r.sent) == 2


@pytest.mark.parametrize(
    ("method", "failure"),
    [
        pytest.param("PATCH", raises(httpx.ReadTimeout), id="patch-read-timeout"),
        pytest.param("DELETE", raises(httpx.RemoteProtocolError), id="delete-dropped"),
        pytest.param("GET", raises(httpx.ReadError), id="get-read-error"),
    ],
)
def test_idempotent_methods_retry_unknown_outcomes(rig: Callable[..., Rig], method: str, failure: Handler) -> None:
    r = rig(failure, ok({"id": 3}))
    assert r.client.request(method, "/clients/3", body={"name": "B"} if method == "PATCH" else None) == {"id": 3}
    assert len(r.sent) == 2


def test_unreachable_target_says_what_to_check(rig: Callable[..., Rig]) -> None:
    r = rig(raises(httpx.ConnectError, "[Errno -2] Name or service not known"))
    with pytest.raises(TargetUnreachableError) as caught:
        r.client.get("/users/me")
    text = str(caught.value)
    assert f"cannot reach {BASE}" in text and "Name or service not known" in text
    assert "--target / HARVEST_BASE_URL" in text
    assert len(r.sent) == r.client.policy.max_retries + 1
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_redirects_are_reported_not_followed(rig: Callable[..., Rig]) -> None:
    r = rig(httpx.Response(301, headers={"Location": "https://elsewhere.test/v2/clients"}))
    with pytest.raises(TargetUnreachableError, match="redirects to elsewhere.test"):
        r.client.get("/clients")
    assert len(r.sent) == 1


# --- errors -----------------------------------------------------------------------------------------


def test_422_carries_harvest_message_method_and_path(rig: Callable[..., Rig]) -> None:
    r = rig(httpx.Response(422, json={"message": "Name has already been taken"}))
    with pytest.raises(RejectedError) as caught:
        r.client.post("/clients", {"name": "Acme"})
    error = caught.value
    assert type(error) is RejectedError
    assert (error.status, error.message, error.method, error.path) == (
        422,
        "Name has already been taken",
        "POST",
        "/clients",
    )
    assert str(error) == "POST /clients -> 422: Name has already been taken"


def test_error_path_has_no_query_string(rig: Callable[..., Rig]) -> None:
    r = rig(httpx.Response(404, json={"message": "Not found"}))
    with pytest.raises(NotFoundError) as caught:
        r.client.get("/projects/5/task_assignments?is_active=true", {"updated_since": "2020-01-01"})
    assert caught.value.path == "/projects/5/task_assignments"
    assert dict(r.sent[0].url.params) == {"is_active": "true", "updated_since": "2020-01-01"}  # merged, not replaced


@pytest.mark.parametrize(
    ("status", "body", "kind", "says"),
    [
        pytest.param(
            401,
            {"error": "invalid_token", "error_description": "The access token provided is expired"},
            AuthError,
            ["invalid_token: The access token provided is expired", "HARVEST_ACCESS_TOKEN", "HARVEST_ACCOUNT_ID"],
            id="401",
        ),
        pytest.param(
            403,
            {"message": "You do not have permission"},
            AuthError,
            ["You do not have permission", "HARVEST_ACCOUNT_ID", "Administrator"],
            id="403",
        ),
        pytest.param(404, {"message": "Not found"}, NotFoundError, ["GET /clients/1 -> 404: Not found"], id="404"),
        pytest.param(400, "x" * 300, RejectedError, ["x" * 200], id="non-json-body"),
        pytest.param(400, "", RejectedError, ["HTTP 400 Bad Request"], id="empty-body"),
    ],
)
def test_status_becomes_a_typed_error(
    rig: Callable[..., Rig], status: int, body: Any, kind: type[HarvestError], says: list[str]
) -> None:
    answer = httpx.Response(status, text=body) if isinstance(body, str) else httpx.Response(status, json=body)
    r = rig(answer)
    with pytest.raises(kind) as caught:
        r.client.get("/clients/1")
    assert type(caught.value) is kind
    assert caught.value.status == status
    assert all(text in str(caught.value) for text in says)
    assert "x" * 201 not in str(caught.value)
    assert len(r.sent) == 1


@pytest.mark.parametrize(
    ("method", "answer"),
    [
        pytest.param("GET", httpx.Response(401, json={"error": "invalid_token", "error_description": TOKEN}), id="401"),
        pytest.param("POST", httpx.Response(422, json={"message": f"Bearer {TOKEN} is odd"}), id="422"),
        pytest.param("GET", httpx.Response(500, text=f"Authorization: Bearer {TOKEN}" * 20), id="500-text"),
        pytest.param("POST", httpx.Response(502, text=f"...{TOKEN[:30]}\n{TOKEN}"), id="502-post"),
        pytest.param("POST", raises(httpx.ReadTimeout, f"timed out for {TOKEN}"), id="read-timeout"),
        pytest.param("GET", raises(httpx.ConnectError, f"refused {TOKEN}"), id="unreachable"),
        pytest.param("GET", httpx.Response(302, headers={"Location": f"https://{TOKEN}.test/"}), id="redirect"),
    ],
)
def test_the_token_never_appears_in_an_error(rig: Callable[..., Rig], method: str, answer: Any) -> None:
    r = rig(answer)
    with pytest.raises(HarvestError) as caught:
        r.client.request(method, "/clients", body={} if method == "POST" else None)
    error = caught.value
    for text in (str(error), repr(error), error.message, error.body or "", *map(str, error.args)):
        assert TOKEN not in text
    assert "***" in str(error)


# --- threads ----------------------------------------------------------------------------------------


def test_one_client_many_threads(rig: Callable[..., Rig]) -> None:
    r = rig(ok({"id": 1}), rate=RateLimit(10, 15))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                r.client.get("/users/me")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert r.client.stats.requests == r.client.limiter.stats.granted == len(r.sent) == 200
    assert r.clock.now >= 15 * (200 // 10 - 1)  # 20 windows' worth of budget, on the simulated clock
