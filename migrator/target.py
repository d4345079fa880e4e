"""Choosing the target: a real Harvest account, the built-in sandbox, or none (offline planning)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from migrator.config import RateLimit, TargetSettings
from migrator.errors import ConfigError
from migrator.harvest.receipts import RECEIPT_LIMIT, parse_size

# The sandbox is ours, so its limit is scaled up for a quick demo; `--rate` still applies to it.
SANDBOX_RATE = RateLimit(100, 1.0)


@dataclass(frozen=True)
class TargetSpec:
    """What the user asked for at the command line."""

    mode: str  # "url" | "sandbox" | "offline"
    url: str | None = None
    rate: RateLimit | None = None
    timeout: float | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    backoff_max: float | None = None
    receipt_limit: int = RECEIPT_LIMIT  # bytes: larger receipt files are not sent (`migrator.harvest.receipts`)

    @classmethod
    def from_options(
        cls,
        *,
        target: str | None,
        sandbox: bool,
        offline: bool = False,
        rate: str | None = None,
        env: Mapping[str, str],
        receipt_limit: str | None = None,
    ) -> TargetSpec:
        chosen = [
            name for name, on in (("--target", bool(target)), ("--sandbox", sandbox), ("--offline", offline)) if on
        ]
        if len(chosen) > 1:
            raise ConfigError(f"choose one of {' / '.join(chosen)}")
        parsed = RateLimit.parse(rate) if rate else None
        mode = "sandbox" if sandbox else "offline" if offline else "url"
        largest = parse_size(receipt_limit) if receipt_limit else RECEIPT_LIMIT
        return cls(mode=mode, url=target, rate=parsed, env=dict(env), receipt_limit=largest)


@dataclass
class OpenTarget:
    """A reachable target: settings for the client, the identity the ledger binds to, and cleanup."""

    settings: TargetSettings
    identity: str
    sandbox: Any = None

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None

    def __enter__(self) -> OpenTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sandbox_state_path(ledger_path: Path) -> Path:
    """Where `--sandbox` keeps its account between commands: beside the ledger."""
    return ledger_path.with_name(ledger_path.name + ".sandbox.sqlite")


def open_target(spec: TargetSpec, ledger_path: Path, *, write: bool = True) -> OpenTarget:
    """Start the sandbox or build settings for a real account (credentials from `spec.env`).

    A sandbox account that does not exist yet is created beside the ledger only by a command that
    writes (`write`); `plan` reads a new account in memory instead, the same one down to its ids
    and timestamps, so it writes nothing and a plan it saves applies to the account `run` creates.
    """
    if spec.mode == "offline":
        raise ConfigError("internal: offline planning has no target to open")
    if spec.mode == "sandbox":
        from migrator.sandbox import Sandbox

        rate = spec.rate or SANDBOX_RATE
        state = sandbox_state_path(ledger_path)
        kept = state if write or state.exists() else None
        sandbox = Sandbox(rate=(rate.requests, rate.seconds), state_path=kept, receipt_limit=spec.receipt_limit)
        sandbox.start()
        settings = TargetSettings(
            base_url=sandbox.url, token=SecretStr(sandbox.token), account_id=sandbox.account_id, rate=rate
        )
        return OpenTarget(settings, f"sandbox:{state.resolve()}", sandbox)
    settings = TargetSettings.from_env(
        spec.env, base_url=spec.url, rate=spec.rate, timeout=spec.timeout, backoff_max=spec.backoff_max
    )
    return OpenTarget(settings, settings.base_url)
