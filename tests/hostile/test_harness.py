"""The harness itself: every child runs this working tree, and a child that ran another `migrator`
fails its case (an installed copy would otherwise be what the hostile corpus tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.hostile.harness import Cli, write_guard
from tests.working_tree import REPO


def test_a_child_reports_the_working_tree_it_imported(cli: Cli, tmp_path: Path, corpus: Path) -> None:
    shutil.copy(corpus / "good" / "freshbooks-tasks.xml", tmp_path / "tasks.xml")
    result = cli.plan("tasks.xml", cwd=tmp_path)
    assert result.returncode == 2, result.describe()
    assert result.imported_from == {
        "migrator": str(REPO / "migrator"),
        "migrator.mappings": str(REPO / "migrator" / "mappings"),  # the repository's mappings/, linked in
    }


def test_a_child_that_ran_another_migrator_fails_the_case(tmp_path: Path) -> None:
    guard = write_guard(tmp_path / "guard")  # first on the child's PYTHONPATH, so its `migrator` wins
    impostor = guard / "migrator"
    impostor.mkdir()
    (impostor / "__init__.py").write_text("", encoding="utf-8")
    (impostor / "__main__.py").write_text("print('an installed copy, say')\n", encoding="utf-8")
    scratch = tmp_path / "capture"
    scratch.mkdir()
    with pytest.raises(AssertionError, match=rf"migrator imported from {impostor}, not from {REPO}"):
        Cli(guard, scratch)("--help", cwd=tmp_path)
