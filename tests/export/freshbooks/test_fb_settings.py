"""FreshBooks export settings: `$FRESHBOOKS_URL` (or `--url`) and `$FRESHBOOKS_TOKEN`, HTTP Basic with
the token as the user name; the endpoint completed from a bare address; a polite default budget,
documented in `--help`; refusals in one line that never repeat the token."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.config import RateLimit
from migrator.errors import ConfigError
from migrator.export.settings import ExportSettings

URL = "https://globex.freshbooks.com/api/2.1/xml-in"


def settings(env: dict[str, str], **options: object) -> ExportSettings:
    return ExportSettings.from_options("freshbooks", Path("out"), env=env, **options)  # type: ignore[arg-type]


def test_the_token_is_the_basic_user_name_only_in_the_header() -> None:
    chosen = settings({"FRESHBOOKS_URL": URL, "FRESHBOOKS_TOKEN": " tok-3f9a "})
    assert chosen.url == URL and chosen.rate == RateLimit(2, 1.0)
    assert chosen.credentials is not None
    assert chosen.credentials.header_values() == {"Authorization": "Basic " + base64.b64encode(b"tok-3f9a:X").decode()}
    assert chosen.credentials.redact("sent tok-3f9a") == "sent ***"
    assert "tok-3f9a" not in repr(chosen)  # SecretStr all the way
    assert settings({"FRESHBOOKS_TOKEN": "t"}, url="https://globex.freshbooks.com/").url == URL  # the path added
    assert settings({"FRESHBOOKS_TOKEN": "t"}, url=URL, rate="10/5").rate == RateLimit(10, 5.0)
    assert settings({}, sandbox=True).rate == RateLimit(100, 15.0)  # the sandbox's own limit


@pytest.mark.parametrize(
    ("env", "options", "message"),
    [
        pytest.param({}, {}, "give the FreshBooks Classic account's address with --url or FRESHBOOKS_URL", id="url"),
        pytest.param({"FRESHBOOKS_URL": URL}, {}, "set FRESHBOOKS_TOKEN to the account admin's API token", id="token"),
        pytest.param(
            {"FRESHBOOKS_TOKEN": "t"},
            {"url": "https://s3cr3t:X@globex.freshbooks.com/api/2.1/xml-in"},
            "no user:password@",
            id="the token in the address",
        ),
        pytest.param(
            {"FRESHBOOKS_TOKEN": "t"}, {"url": "globex"}, "like https://globex.freshbooks.com/api/2.1/xml-in", id="bare"
        ),
    ],
)
def test_incomplete_or_unsafe_settings_are_refused_in_words(
    env: dict[str, str], options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        settings(env, **options)
    assert message in str(refused.value)
    assert "s3cr3t" not in str(refused.value)


def test_help_documents_the_default_rate_and_the_credentials() -> None:
    shown = CliRunner().invoke(cli, ["export", "--help"], terminal_width=200).output
    assert "for freshbooks: 2/1 (FreshBooks documents no limit" in " ".join(shown.split())
    assert "FRESHBOOKS_TOKEN" in shown and "FRESHBOOKS_URL" in shown
