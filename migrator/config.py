"""Settings: frozen, typed objects built once at the CLI edge and passed down.

Nothing below the CLI reads `os.environ`; `TargetSettings.from_env` is the one place that does,
and the CLI calls it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from migrator import USER_AGENT
from migrator.errors import ConfigError

DEFAULT_BASE_URL = "https://api.harvestapp.com/v2"


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` requests in any window of `seconds` seconds (Harvest: 100 per 15 s)."""

    requests: int = 100
    seconds: float = 15.0

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Parse `N/S`, e.g. `100/15` or `100/3`."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
        if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise ConfigError(f"--rate must look like N/S (requests per seconds), e.g. 100/15; got {text!r}")
        return cls(int(match.group(1)), float(match.group(2)))

    def __str__(self) -> str:
        seconds = int(self.seconds) if self.seconds == int(self.seconds) else self.seconds
        return f"{self.requests}/{seconds}"


@dataclass(frozen=True)
class TargetSettings:
    """Where and how to reach Harvest v2. The token is a `SecretStr`: it never prints."""

    base_url: str
    token: SecretStr
    account_id: str
    user_agent: str = USER_AGENT
    rate: RateLimit = field(default_factory=RateLimit)
    timeout: float = 30.0
    max_retries: int = 5
    backoff_max: float = 30.0  # longest wait between two tries of a transient failure
    # Share the account's budget with other migrator processes (harvest/shared_budget.py): on for a
    # real account, off for the in-process sandbox (an account of this process alone).
    share_budget: bool = False

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        base_url: str | None = None,
        rate: RateLimit | None = None,
        timeout: float | None = None,
        backoff_max: float | None = None,
    ) -> TargetSettings:
        """Build settings from `HARVEST_*` variables; a missing one is a `ConfigError` naming it."""
        token = env.get("HARVEST_ACCESS_TOKEN", "").strip()
        account_id = env.get("HARVEST_ACCOUNT_ID", "").strip()
        missing = [
            name for name, value in (("HARVEST_ACCESS_TOKEN", token), ("HARVEST_ACCOUNT_ID", account_id)) if not value
        ]
        if missing:
            raise ConfigError(
                f"set {' and '.join(missing)} (a Harvest personal access token and its account id, "
                "from https://id.getharvest.com/developers), or use --sandbox"
            )
        url = base_url or env.get("HARVEST_BASE_URL") or DEFAULT_BASE_URL
        _refuse_secrets_in(url)
        return cls(
            base_url=url.rstrip("/"),
            token=SecretStr(token),
            account_id=account_id,
            rate=rate or RateLimit(),
            timeout=timeout if timeout is not None else 30.0,
            backoff_max=backoff_max if backoff_max is not None else 30.0,
            share_budget=True,
        )


def _refuse_secrets_in(url: str) -> None:
    """Refuse a base URL carrying credentials, a query or a fragment (e.g. Harvest's `?access_token=`).

    The base URL is recorded in the ledger and shown by `status` and in errors, so it must hold no
    secret; requests built on a base with a query would go astray anyway. The message does not
    repeat the URL: it may be the secret.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return  # not a URL at all: the client says so when it is built
    if "@" in parts.netloc or parts.query or parts.fragment or url.rstrip().endswith(("?", "#")):
        raise ConfigError(
            "--target / HARVEST_BASE_URL must be the API base alone, like https://api.harvestapp.com/v2: "
            "no user:password@, no ?query, no #fragment (the token goes in HARVEST_ACCESS_TOKEN)"
        )
