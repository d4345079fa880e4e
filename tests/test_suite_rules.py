"""The suite's own rules, each shown to bite: golden files are never written unasked, a skip off the
allow-list fails the run, and a child process imports this working tree."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ALLOWED_SKIPS, SKIP_SLOW
from tests.golden import check_golden, check_golden_folder
from tests.working_tree import REPO, child_env, working_folder

# --- golden files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("update", [None, "", "0", "true", "yes"])
def test_a_missing_golden_fails_and_is_not_written_unless_update_golden_is_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, update: str | None
) -> None:
    if update is None:
        monkeypatch.delenv("UPDATE_GOLDEN", raising=False)
    else:
        monkeypatch.setenv("UPDATE_GOLDEN", update)
    with pytest.raises(AssertionError, match="no golden file .*create it with `UPDATE_GOLDEN=1"):
        check_golden(tmp_path / "kind.json", "{}\n")
    assert not (tmp_path / "kind.json").exists()


def test_a_changed_document_fails_and_update_golden_1_rewrites_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = tmp_path / "kind.json"
    golden.write_text("old\n", encoding="utf-8")
    monkeypatch.setenv("UPDATE_GOLDEN", "0")
    with pytest.raises(AssertionError, match="kind.json differs"):
        check_golden(golden, "new\n")
    assert golden.read_text(encoding="utf-8") == "old\n"
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    check_golden(golden, "new\n")
    assert golden.read_text(encoding="utf-8") == "new\n"


def test_a_golden_file_nothing_produces_any_more_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPDATE_GOLDEN", raising=False)
    (tmp_path / "clients.json").write_text("[]\n", encoding="utf-8")
    (tmp_path / "estimates.json").write_text("[]\n", encoding="utf-8")  # the mapping stopped emitting estimates
    with pytest.raises(AssertionError, match=r"nothing produces any more .*\['estimates.json'\]"):
        check_golden_folder(tmp_path, {"clients.json": "[]\n"})


# --- the skip allow-list ---------------------------------------------------------------------------

_CASES = f"""
import pytest

def test_passes():
    pass

def test_slow_proof():
    pytest.skip({SKIP_SLOW!r})

def test_skipped_for_no_listed_reason():
    pytest.skip("the sandbox is not written yet")
"""


def _inner_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A pytest run of `folder` with this suite's conftest as its plugin (its hooks, its allow-list)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q", *args, str(folder)],
        cwd=folder,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


# The README's test command runs on two workers (pytest-xdist): the rules must bite there as well.
WORKERS = [pytest.param((), id="one-process"), pytest.param(("-n", "2"), id="two-workers")]


@pytest.mark.parametrize("workers", WORKERS)
def test_a_skip_off_the_allow_list_fails_the_run_and_is_listed(tmp_path: Path, workers: tuple[str, ...]) -> None:
    (tmp_path / "test_cases.py").write_text(_CASES, encoding="utf-8")
    done = _inner_pytest(tmp_path, *workers)
    assert done.returncode == 1, done.stdout
    assert "1 passed, 2 skipped" in done.stdout
    assert "skips not on the allow-list (tests/conftest.py ALLOWED_SKIPS): the run fails" in done.stdout
    assert "test_cases.py::test_skipped_for_no_listed_reason: the sandbox is not written yet" in done.stdout
    assert "test_slow_proof" not in done.stdout.split("allow-list")[1]


@pytest.mark.parametrize("workers", WORKERS)
def test_skips_on_the_allow_list_leave_the_run_green(tmp_path: Path, workers: tuple[str, ...]) -> None:
    (tmp_path / "test_cases.py").write_text(_CASES, encoding="utf-8")
    done = _inner_pytest(tmp_path, "-k", "not no_listed_reason", *workers)
    assert done.returncode == 0, done.stdout
    assert "allow-list" not in done.stdout


def test_the_allow_list_stays_short_and_says_why() -> None:
    assert len(ALLOWED_SKIPS) <= 4
    assert all(why.strip() for why in ALLOWED_SKIPS.values())


# --- children import the working tree --------------------------------------------------------------


def test_a_child_started_anywhere_imports_this_working_tree(tmp_path: Path) -> None:
    impostor = tmp_path / "elsewhere" / "migrator"  # an older copy on an inherited PYTHONPATH, say
    impostor.mkdir(parents=True)
    (impostor / "__init__.py").write_text("", encoding="utf-8")
    code = textwrap.dedent(
        """
        import os, migrator, migrator.mappings
        print(os.path.dirname(migrator.__file__)); print(os.path.dirname(migrator.mappings.__file__))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=child_env(os.environ | {"PYTHONPATH": str(impostor.parent)}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == [str(REPO / "migrator"), str(REPO / "migrator" / "mappings")]


def test_no_child_runs_in_the_checkout() -> None:
    # The README's quick start leaves ./migrator-ledger.sqlite in the checkout; a child started there
    # reads it (a fresh-clone CI once planned "142 unchanged" instead of a first plan). Children run
    # in working_folder(), which links fixtures/ so relative fixture paths still mean the same.
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.name != "test_suite_rules.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "cwd=REPO" in line.replace(" ", "") or "cwd=str(REPO" in line.replace(" ", "")
    ]
    assert offenders == [], "children started in the checkout: " + ", ".join(offenders)
    folder = working_folder()
    assert folder.resolve() != REPO and (folder / "fixtures/harvest-v1").is_dir()
