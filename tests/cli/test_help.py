"""Every command explains itself: `--help` works, describes the command and shows an example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from tests.working_tree import child_env

COMMANDS = sorted(cli.commands)


def test_the_contract_commands_exist() -> None:
    assert {"plan", "run", "status", "sandbox"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert f"migrator {name}" in result.output
    assert len(cli.commands[name].help or "") > 40


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=child_env(),
    )
    assert done.returncode == 0
    assert "Harvest API v2" in done.stdout
