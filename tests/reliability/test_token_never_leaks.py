"""The access token never leaks: not in output, not in the ledger, not in reports, not in exceptions.

A distinctive token is set in `HARVEST_ACCESS_TOKEN` and the real CLI (`python -m migrator`, a
subprocess) is driven against a sandbox on 127.0.0.1 through `--target URL`:

- the whole cycle: `plan` (json, markdown and text `--output` files, `--save-plan`, json on stdout),
  `run --plan`, `status` (text, json), `verify` (text, json), a second `run`, `rollback`;
- four failures, each through `plan`, `run`, `verify` and `rollback` on a ledger the token has
  already written to: a wrong (equally distinctive) token answered 401, a target that has gone
  away (unreachable), a target that answers every request 500, and a `--target` URL carrying the
  token in its query string (refused before anything is written: the ledger would keep the URL).

After every command, the token and its first 12 characters are searched for in stdout, stderr and
the bytes of every file in the working folder: the ledger and its -wal/-shm (kept present by an open
reader), its lock file, every report written. For the failures, the same search covers the exceptions
the library API (`migrator.api`) raises: message, repr, attributes and the whole formatted chain.
Zero occurrences everywhere.
"""

from __future__ import annotations

import shutil
import sqlite3
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from migrator import api
from migrator.config import RateLimit
from migrator.errors import MigratorError
from migrator.sandbox import Sandbox
from migrator.target import TargetSpec
from tests.accounts import FB, SOURCES
from tests.reliability.conftest import assert_one_clean_error_line, migrator, migrator_env

TOKEN = "pat-LEAKCANARY-7f3c9e1d2b4a6c8e"  # the sandbox's token; first 12 chars: "pat-LEAKCANA"
WRONG = "pat-WRONGTOKEN-0a1b2c3d4e5f6a7b"  # a token the sandbox refuses with 401
SMALL = api.SourceOptions((FB,))  # enough to own objects a rollback would delete


def needles(*tokens: str) -> set[bytes]:
    return {piece.encode() for token in tokens for piece in (token, token[:12])}


def assert_no_token(where: str, data: str | bytes, *tokens: str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    found = [needle.decode() for needle in needles(*tokens) if needle in raw]
    assert not found, f"{found} found in {where}"


def assert_no_token_in_files(folder: Path, *tokens: str) -> set[str]:
    """Search every file under `folder`; returns the names searched."""
    searched = set()
    for path in folder.rglob("*"):
        if path.is_file():
            assert_no_token_in_bytes(path, *tokens)
            searched.add(path.name)
    return searched


def assert_no_token_in_bytes(path: Path, *tokens: str) -> None:
    assert_no_token(str(path), path.read_bytes(), *tokens)


def assert_clean(done: CompletedProcess[str], folder: Path, *tokens: str) -> set[str]:
    assert_no_token(f"stdout of {done.args[3:5]}", done.stdout, *tokens)
    assert_no_token(f"stderr of {done.args[3:5]}", done.stderr, *tokens)
    return assert_no_token_in_files(folder, *tokens)


def exception_text(exc: BaseException) -> str:
    """Everything an exception can show: the formatted chain, and each link's repr, args and attributes."""
    parts = ["".join(traceback.format_exception(exc))]
    link: BaseException | None = exc
    while link is not None:
        parts += [repr(link), repr(link.args), repr(vars(link))]
        link = link.__cause__ or link.__context__
    return "\n".join(parts)


@contextmanager
def wal_kept(ledger: Path) -> Iterator[None]:
    """Hold a reader on the ledger, so SQLite keeps its -wal and -shm files for the search to see."""
    with closing(sqlite3.connect(ledger)) as reader:
        reader.execute("SELECT count(*) FROM records").fetchone()
        yield


def test_the_whole_cycle_through_the_cli_never_shows_the_token(tmp_path: Path) -> None:
    ledger, out = tmp_path / "ledger.sqlite", tmp_path / "reports"
    out.mkdir()
    with Sandbox(rate=None, token=TOKEN) as sandbox:
        env = migrator_env(TOKEN, sandbox.account_id)
        target = ("--ledger", ledger, "--target", sandbox.url, "--rate", "1000/1")
        sources = tuple(SOURCES.paths)
        saved = out / "saved-plan.json"

        def cli(*args: Any, code: int) -> set[str]:
            done = migrator(*args, env=env, cwd=tmp_path)
            assert done.returncode == code, (args, done.stdout[-1000:], done.stderr[-2000:])
            return assert_clean(done, tmp_path, TOKEN)

        plan = ("plan", *sources, *target, "--create-users")
        cli(*plan, "--format", "json", "--output", out / "plan.json", "--save-plan", saved, code=2)
        cli(*plan, "--format", "markdown", "--output", out / "plan.md", code=2)
        cli(*plan, "--format", "text", "--output", out / "plan.txt", code=2)
        cli(*plan, "--format", "json", code=2)
        cli("run", *sources, *target, "--batch", "leak", "--create-users", "--plan", saved, code=0)
        searched: set[str] = set()
        with wal_kept(ledger):
            for args, code in [
                (("status", "--ledger", ledger), 0),
                (("status", "--ledger", ledger, "--format", "json"), 0),
                (("verify", *sources, *target), 0),
                (("verify", *sources, *target, "--format", "json"), 0),
                (("run", *sources, *target, "--batch", "leak", "--create-users"), 0),
                (("rollback", "--batch", "leak", *target), 0),
            ]:
                searched |= cli(*args, code=code)
        reports = {"plan.json", "plan.md", "plan.txt", "saved-plan.json"}
        assert reports | {"ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm", "ledger.sqlite.lock"} <= searched
        assert sandbox.stats()["objects"]["time_entries"] == 0  # the cycle really ran, rollback included


@dataclass(frozen=True)
class Failure:
    """A way the target fails, and what the one-line error must say."""

    token: str  # what HARVEST_ACCESS_TOKEN holds
    says: tuple[str, ...]
    break_target: Callable[[Sandbox], None] = lambda sandbox: None
    url_suffix: str = ""  # appended to the sandbox's URL in --target


def _all_500(sandbox: Sandbox) -> None:
    sandbox.set_fault_rate(1.0)


FAILURES = [
    pytest.param(Failure(WRONG, ("-> 401", "check HARVEST_ACCESS_TOKEN")), id="wrong-token-401"),
    pytest.param(Failure(TOKEN, ("cannot reach",), Sandbox.stop), id="unreachable"),
    pytest.param(Failure(TOKEN, ("-> 500", "Internal server error"), _all_500), id="every-request-500"),
    # Harvest accepts `?access_token=` in a URL, so someone may paste one as the target.
    pytest.param(
        Failure(WRONG, ("must be the API base alone",), url_suffix=f"?access_token={TOKEN}"), id="token-in-target-url"
    ),
]
COMMANDS: dict[str, Callable[[tuple[Any, ...]], tuple[Any, ...]]] = {
    "plan": lambda t: ("plan", FB, *t, "--format", "json", "--output", "plan.json", "--save-plan", "saved.json"),
    "run": lambda t: ("run", FB, *t, "--batch", "again"),
    "verify": lambda t: ("verify", FB, *t),
    "rollback": lambda t: ("rollback", "--batch", "first", *t),
}
API_CALLS: dict[str, Callable[[TargetSpec, Path], Any]] = {
    "plan": lambda spec, ledger: api.plan(SMALL, target=spec, ledger_path=ledger),
    "run": lambda spec, ledger: api.run(SMALL, batch="again", target=spec, ledger_path=ledger),
    "verify": lambda spec, ledger: api.verify(SMALL, target=spec, ledger_path=ledger),
    "rollback": lambda spec, ledger: api.rollback(batch="first", target=spec, ledger_path=ledger),
    "run-on-a-new-ledger": lambda spec, ledger: api.run(SMALL, batch="new", target=spec, ledger_path=ledger),
}


def spec_for(url: str, token: str, account_id: str) -> TargetSpec:
    env = {"HARVEST_ACCESS_TOKEN": token, "HARVEST_ACCOUNT_ID": account_id}
    return TargetSpec("url", url=url, env=env, rate=RateLimit(1000, 1.0), timeout=2.0, backoff_max=0.05)


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failing_target_never_shows_the_token(failure: Failure, tmp_path: Path) -> None:
    sandbox = Sandbox(rate=None, token=TOKEN, fault_kinds=("error_500",)).start()
    try:
        url, account = sandbox.url + failure.url_suffix, sandbox.account_id
        first = tmp_path / "first.sqlite"  # a ledger the right token has written to, with a batch to roll back
        setup = spec_for(sandbox.url, TOKEN, account)
        assert api.run(SMALL, batch="first", target=setup, ledger_path=first, create_users=True).exit_code == 0
        failure.break_target(sandbox)
        folders = {name: tmp_path / name for name in COMMANDS}
        for folder in folders.values():
            folder.mkdir()
            shutil.copy(first, folder / "ledger.sqlite")
        target = ("--ledger", "ledger.sqlite", "--target", url, "--rate", "1000/1")
        env = migrator_env(failure.token, account)
        with ThreadPoolExecutor(len(COMMANDS)) as pool:  # each waits out its retries: side by side
            runs = {
                name: pool.submit(migrator, *make(target), env=env, cwd=folders[name])
                for name, make in COMMANDS.items()
            }
        for name, future in runs.items():
            done = future.result()
            assert_one_clean_error_line(done, *failure.says)
            assert_clean(done, folders[name], TOKEN, failure.token)
        for name, call in API_CALLS.items():
            ledger = tmp_path / f"api-{name}.sqlite"
            if name != "run-on-a-new-ledger":
                shutil.copy(first, ledger)
            with pytest.raises(MigratorError) as raised:
                call(spec_for(url, failure.token, account), ledger)
            text = exception_text(raised.value)
            assert all(said in text for said in failure.says), text
            assert_no_token(f"api.{name} exception", text, TOKEN, failure.token)
        assert_no_token_in_files(tmp_path, TOKEN, failure.token)
    finally:
        sandbox.stop()
