"""`ExportSettings.from_options`: the account's address and credentials from the environment, refused
in one line when incomplete, contradictory or carrying a secret where it would be shown."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from migrator.config import RateLimit
from migrator.errors import ConfigError
from migrator.export.settings import ExportSettings

URL = "https://acme.harvestapp.com"


def settings(env: dict[str, str], **options: object) -> ExportSettings:
    return ExportSettings.from_options("harvest-v1", Path("out"), env=env, **options)  # type: ignore[arg-type]


def test_a_login_is_http_basic_and_a_token_is_a_bearer_only_in_the_header() -> None:
    basic = settings(
        {"HARVEST_V1_URL": URL + "/", "HARVEST_V1_EMAIL": "ada@acme.example", "HARVEST_V1_PASSWORD": "pw 1"}
    )
    assert basic.url == URL and basic.rate == RateLimit(100, 15.0)
    assert basic.credentials is not None
    assert basic.credentials.header_values() == {
        "Authorization": "Basic " + base64.b64encode(b"ada@acme.example:pw 1").decode()
    }
    assert basic.credentials.redact("sent pw 1 and YWRh…") == "sent *** and YWRh…"
    assert "pw 1" not in repr(basic)  # SecretStr all the way
    token = settings({"HARVEST_V1_TOKEN": "tok-123"}, url=URL, rate="50/10")
    assert token.credentials is not None and token.credentials.header_values() == {"Authorization": "Bearer tok-123"}
    assert token.rate == RateLimit(50, 10.0)


@pytest.mark.parametrize(
    ("env", "options", "message"),
    [
        pytest.param({}, {}, "give the Harvest v1 account's address with --url or HARVEST_V1_URL", id="no address"),
        pytest.param({"HARVEST_V1_URL": URL}, {}, "set HARVEST_V1_EMAIL and HARVEST_V1_PASSWORD", id="no credentials"),
        pytest.param(
            {"HARVEST_V1_URL": URL, "HARVEST_V1_EMAIL": "a@b.c"}, {}, "set HARVEST_V1_PASSWORD too", id="half"
        ),
        pytest.param(
            {"HARVEST_V1_URL": URL, "HARVEST_V1_TOKEN": "t", "HARVEST_V1_PASSWORD": "p"},
            {},
            "not both",
            id="both kinds",
        ),
        pytest.param(
            {"HARVEST_V1_TOKEN": "t"},
            {"url": "https://ada:s3cr3t@acme.harvestapp.com"},
            "no user:password@",
            id="credentials in the address",
        ),  # fmt: skip
        pytest.param({"HARVEST_V1_TOKEN": "t"}, {"url": URL + "/?token=s3cr3t"}, "no ?query", id="a query"),
        pytest.param({"HARVEST_V1_TOKEN": "t"}, {"url": "ftp://acme"}, "must be an http(s) address", id="not http"),
        pytest.param({"HARVEST_V1_TOKEN": "t"}, {"url": URL, "sandbox": True}, "exclude each other", id="url+sandbox"),
        pytest.param({"HARVEST_V1_TOKEN": "t"}, {"url": URL, "rate": "fast"}, "--rate must look like N/S", id="rate"),
    ],
)
def test_incomplete_or_unsafe_settings_are_refused_in_words(
    env: dict[str, str], options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        settings(env, **options)
    assert message in str(refused.value)
    assert "s3cr3t" not in str(refused.value)


def test_the_sandbox_needs_no_credentials() -> None:
    assert settings({}, sandbox=True).sandbox is True
    assert ExportSettings.from_options("freshbooks", Path("out"), env={}, sandbox=True).credentials is None
