"""Shared test settings: where the repository and the read-only `../shared` folder are, and which
skips a green run may contain."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.working_tree import REPO

SHARED = REPO.parent / "shared"

# --- skips: a short, named allow-list --------------------------------------------------------------
# A skipped test proves nothing, so a run that skips for any reason not listed here fails (exit 1)
# and lists each such skip: a green suite means what it says. Tests skip with these very constants.

# Minutes each, gigabytes of XML: `pytest -m slow` runs them (README: Reliability, with dated results).
SKIP_SLOW = "a slow proof: run with -m slow (README: Reliability)"
# The real legacy samples in ../shared/fixtures-external are read in place, never copied. Only reachable
# outside CI: `.ci/run` refuses to start without ../shared.
SKIP_NO_SHARED = "../shared/fixtures-external is not beside this clone (outside CI only: .ci/run needs it)"
# The committed contract facts are re-derived from ../shared/specs where it is; a bare clone checks
# against the committed facts alone (tests/contract/derive_facts.py).
SKIP_NO_SPEC = "../shared/specs is not beside this clone: the committed contract facts were not re-derived"

# The HTML reports are checked in Debian's chromium, which .ci/run installs (and refuses to go on without);
# a developer's machine may lack it.
SKIP_NO_CHROMIUM = "Chromium is not installed (.ci/run installs it)"

ALLOWED_SKIPS: dict[str, str] = {
    SKIP_SLOW: "slow proofs run on demand",
    SKIP_NO_CHROMIUM: "the browser is a system package; CI installs it, a bare machine may not have it",
    SKIP_NO_SHARED: "external samples are read in place; absent only outside CI",
    SKIP_NO_SPEC: "the spec is re-derived where present; absent only outside CI",
}

_unlisted_skips: list[str] = []  # "node id: reason" of this session


def pytest_sessionstart(session: pytest.Session) -> None:
    _unlisted_skips.clear()


def _note_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if getattr(report, "wasxfail", None) is not None:
        reason = f"xfail: {report.wasxfail}"  # an expected failure hides one: not on the list either
    elif isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
    else:
        reason = str(report.longrepr)
    if reason not in ALLOWED_SKIPS:
        _unlisted_skips.append(f"{report.nodeid}: {reason}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _note_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        _note_skip(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    if _unlisted_skips:
        terminalreporter.section("skips not on the allow-list (tests/conftest.py ALLOWED_SKIPS): the run fails")
        for line in _unlisted_skips:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unlisted_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The modules whose tests take tens of seconds each (`pytest --durations=40`): run first, so that the
# README's two workers (pytest-xdist, `-n 2`) end together instead of one finishing a long campaign
# alone while the other idles. Order only: every test runs, in one process or on any number of workers.
RUN_FIRST = (
    "tests/reliability/test_crash_campaign.py",
    "tests/e2e/test_generated_accounts.py",
    "tests/property/",
    "tests/export/test_resume.py",
    "tests/export/freshbooks/test_fb_resume.py",
    "tests/reliability/",
    "tests/load/test_exactly_once.py",
    "tests/test_suite_rules.py",  # short tests, but each starts a pytest of its own
)


def _run_order(item: pytest.Item) -> int:
    return next((rank for rank, prefix in enumerate(RUN_FIRST) if item.nodeid.startswith(prefix)), len(RUN_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest modules first (`RUN_FIRST`; otherwise the collection's order). `slow` proofs
    (minutes each, gigabytes of XML) run only when asked for: `pytest -m slow`."""
    items.sort(key=_run_order)  # stable: the same order on every worker
    if "slow" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason=SKIP_SLOW)
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


def external_samples(system: str) -> Path:
    """`../shared/fixtures-external/SYSTEM`, read in place (never copied); skips the calling test
    with `SKIP_NO_SHARED` where it is absent."""
    folder = SHARED / "fixtures-external" / system
    if not folder.is_dir():
        pytest.skip(SKIP_NO_SHARED)
    return folder


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(SKIP_NO_SHARED)
    return SHARED


@pytest.fixture()
def sandbox():  # type: ignore[no-untyped-def]
    """A fresh Harvest v2 sandbox on 127.0.0.1 with a generous rate limit."""
    from migrator.sandbox import Sandbox

    with Sandbox(rate=(1000, 1.0)) as running:
        yield running


@pytest.fixture()
def write_xml(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write `body` (with an XML declaration) to `tmp_path/name` and return the path."""

    def write(name: str, body: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + body, encoding="utf-8")
        return path

    return write


# --- hermetic: no test reads or writes the checkout's working directory ---------------------------------
# The README's first command leaves `migrator-ledger.sqlite` (and the sandbox's account) in the folder it
# ran in; the default `--ledger` of a command run in the checkout would find them. Every test, and every
# module fixture before it, runs in a folder of its own: paths into the repository are written from
# `REPO`, never relative to the working directory.


@pytest.fixture(scope="session", autouse=True)
def _session_elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("session-cwd"))
    yield
    os.chdir(before)


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
