"""`python -m migrator.generate`: what it prints, its JSON, and one-line errors with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator.generate import generate
from tests.generate.conftest import run_cli


def test_json_output_is_the_expected_result_of_the_library_call(tmp_path: Path) -> None:
    done = run_cli("migrator.generate", "freshbooks", str(tmp_path / "cli"), "--entries", "60", "--seed", "3", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document.pop("out_dir") == str(tmp_path / "cli")
    assert document.pop("files") == sum(1 for p in (tmp_path / "cli").rglob("*") if p.is_file())
    assert document.pop("bytes") > 0
    assert document == generate("freshbooks", tmp_path / "lib", entries=60, seed=3).as_dict()


def test_text_output_says_where_it_wrote_and_the_summary(tmp_path: Path) -> None:
    done = run_cli("migrator.generate", "harvest-v1", str(tmp_path / "out"), "--entries", "80")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Wrote ") and f"to {tmp_path / 'out'} in " in done.stdout
    assert "harvest-v1, 80 entries, seed 0: clients " in done.stdout and "\nhours " in done.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        pytest.param(["freshbooks", "{busy}"], "is not an empty folder", id="folder-not-empty"),
        pytest.param(
            ["freshbooks", "{new}", "--entries", "10"], "'--entries': 10 is not in the range x>=50", id="too-few"
        ),
        pytest.param(["quickbooks", "{new}"], "'quickbooks' is not one of", id="unknown-system"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(args: list[str], needle: str, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "old.xml").write_text("<clients/>")
    args = [arg.format(busy=busy, new=tmp_path / "new") for arg in args]
    done = run_cli("migrator.generate", *args)
    assert done.returncode == 1
    assert needle in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "new").exists()


def test_help_has_an_example() -> None:
    done = run_cli("migrator.generate", "--help")
    assert done.returncode == 0 and "Example: python -m migrator.generate" in done.stdout
