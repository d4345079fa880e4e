"""What `migrator export` is asked to do: one frozen object built at the command line's edge.

Nothing below `ExportSettings.from_options` reads the environment. Credentials are `SecretStr`s
that travel only into request headers; `Credentials.redact` removes every form of them (the
password, the token, the encoded header value) from any text that could be shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from migrator import USER_AGENT
from migrator.config import RateLimit
from migrator.errors import ConfigError, redact
from migrator.systems import system as source_system

SANDBOX_RATE = "100/15"  # the limit a legacy sandbox started by `export --sandbox` serves with


@dataclass(frozen=True)
class Credentials:
    """How requests authenticate: header values, and every secret form of them, for redaction."""

    headers: tuple[tuple[str, SecretStr], ...]
    secrets: tuple[SecretStr, ...]
    who: str  # how output may describe them, e.g. "HTTP Basic as ada@acme.example" (never the secret)
    noun: str = "token"  # what a person calls them: "this token", "this login"

    def header_values(self) -> dict[str, str]:
        """The headers to send (the only place the secrets are revealed)."""
        return {name: value.get_secret_value() for name, value in self.headers}

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by `***`."""
        return redact(text, *(secret.get_secret_value() for secret in self.secrets))


@dataclass(frozen=True)
class ExportSettings:
    """One export: which system, into which folder, from which account (or the built-in sandbox)."""

    system: str
    out: Path
    url: str | None = None  # the account's address; None with `sandbox`
    credentials: Credentials | None = None  # None with `sandbox`
    sandbox: bool = False  # start the system's legacy sandbox in-process and export it
    sandbox_folder: Path | None = None  # what it serves (default: the shipped fixture account)
    rate: RateLimit = field(default_factory=RateLimit)
    receipts: bool = True
    refresh: bool = False  # fetch everything again; files the account no longer produces are removed
    concurrency: int = 4  # requests in flight at once, all within the one budget
    timeout: float = 60.0
    max_retries: int = 5
    backoff_max: float = 30.0
    user_agent: str = USER_AGENT
    today: dt.date | None = None  # the last day of the range; fixed by a fresh export, kept by resumes

    @classmethod
    def from_options(
        cls,
        system: str,
        out: Path,
        *,
        env: Mapping[str, str],
        url: str | None = None,
        sandbox: bool = False,
        rate: str | None = None,
        receipts: bool = True,
        refresh: bool = False,
        concurrency: int = 4,
    ) -> ExportSettings:
        """Settings from command-line options and the environment (the one place that reads it)."""
        declared = source_system(system)
        exporter = declared.load_exporter()
        # The built-in sandbox is nobody's account: without --rate it is read at its own limit.
        default = SANDBOX_RATE if sandbox else exporter.default_rate
        budget = RateLimit.parse(rate) if rate else RateLimit.parse(default)
        common = dict(rate=budget, receipts=receipts, refresh=refresh, concurrency=concurrency)
        if sandbox:
            if url:
                raise ConfigError("--url and --sandbox exclude each other: export a live account or the sandbox")
            return cls(system, Path(out), sandbox=True, **common)  # type: ignore[arg-type]
        address = (url or env.get(declared.url_env, "")).strip()
        if not address:
            raise ConfigError(
                f"give the {declared.label} account's address with --url or {declared.url_env} "
                f"(e.g. {exporter.example_url}), or use --sandbox"
            )
        return cls(
            system,
            Path(out),
            url=exporter.endpoint(check_url(address, declared.url_env, exporter.example_url)),
            credentials=exporter.credentials(env),
            **common,  # type: ignore[arg-type]
        )

    @classmethod
    def for_sandbox(cls, system: str, out: Path, **options: object) -> ExportSettings:
        """An export of the system's built-in sandbox (its shipped fixture account unless
        `sandbox_folder` says otherwise)."""
        return cls(system, Path(out), sandbox=True, **options)  # type: ignore[arg-type]


def check_url(url: str, env_name: str, example: str = "https://acme.harvestapp.com") -> str:
    """The account's address alone: http(s), no `user:password@`, no query, no fragment.

    The address is written into the manifest and shown in output, so it must hold no secret; the
    message does not repeat it, since it may be the secret.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--url / {env_name} must be an http(s) address like {example}")
    if "@" in parts.netloc or parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ConfigError(
            f"--url / {env_name} must be the account's address alone: no user:password@, no ?query, "
            "no #fragment (credentials go in their own environment variables)"
        )
    return url.rstrip("/")
