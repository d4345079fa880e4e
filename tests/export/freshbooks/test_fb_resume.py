"""`kill -9` at random instants of a real `migrator export freshbooks` of a generated account, each
followed by a re-run: the final export holds exactly the records of an uninterrupted one and plans
like it, within 1.1 times its requests, and a complete export asked again sends none. The sandbox
runs in its own process, so requests a killed export left on the wire finish there (and count).

The default suite kills three times (seconds); `-m slow` kills twenty times, as issue #17 asks:

    .venv/bin/python -m pytest tests/export/freshbooks/test_fb_resume.py -m slow
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrator import api
from migrator.export import JOURNAL_NAME
from migrator.export.journal import Journal
from migrator.generate import generate
from migrator.sandbox.legacy.freshbooks import FreshBooksSandbox
from migrator.sandbox.process import LegacySandboxProcess
from tests.conftest import REPO
from tests.export.conftest import changes, plan_document
from tests.export.freshbooks.conftest import FB_FIXTURES, TOKEN, fb_settings, receipts_of


def _export(out: Path) -> list[str]:
    return [sys.executable, "-m", "migrator", "export", "freshbooks", str(out), "--format", "json",
            "--rate", "100000/1"]  # fmt: skip


def _campaign(tmp_path: Path, *, entries: int, kills: int, seed: int) -> None:
    account = tmp_path / "account"
    generate("freshbooks", account, entries=entries, seed=seed)
    rng = random.Random(seed)
    with LegacySandboxProcess("freshbooks", account) as sandbox:
        env = sandbox.env() | {"PYTHONPATH": str(REPO)}
        whole = subprocess.run(_export(tmp_path / "whole"), env=env, capture_output=True, text=True, timeout=600)
        assert whole.returncode == 0, whole.stderr
        uninterrupted = json.loads(whole.stdout)
        crawl_seconds = float(uninterrupted["seconds"])

        before = sandbox.stats()["requests"]
        out = tmp_path / "killed"
        landed = 0
        for _ in range(kills):
            seen = sandbox.stats()["requests"]
            process = subprocess.Popen(_export(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Kill inside the crawl, not while Python starts: once this run's first request arrived.
            while sandbox.stats()["requests"] == seen and process.poll() is None:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, crawl_seconds / kills))  # each kill in its share of the work
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                landed += 1
            process.wait()
        final = subprocess.run(_export(out), env=env, capture_output=True, text=True, timeout=600)
        assert final.returncode == 0, final.stderr
        served = sandbox.stats()["requests"]
        total = served - before
        again = subprocess.run(_export(out), env=env, capture_output=True, text=True, timeout=600)
        assert sandbox.stats()["requests"] == served  # the complete export asked nothing, as the sandbox saw it

    assert landed >= kills - 1, f"only {landed} of {kills} kills landed inside an export"
    assert total <= 1.1 * uninterrupted["requests"], (total, uninterrupted["requests"])
    assert json.loads(again.stdout)["requests"] == 0
    resumed = json.loads(final.stdout)
    assert resumed["records"] == uninterrupted["records"]
    assert resumed["receipts"] == uninterrupted["receipts"]
    killed_plan = plan_document(out, tmp_path / "a.sqlite")
    whole_plan = plan_document(tmp_path / "whole", tmp_path / "b.sqlite")
    assert changes(killed_plan) == changes(whole_plan)
    assert receipts_of(killed_plan) == receipts_of(whole_plan) != []
    with Journal.load(out) as journal:  # type: ignore[union-attr]
        assert journal.done is not None
    assert (out / JOURNAL_NAME).read_bytes().endswith(b"\n")
    assert not (out / ".paging").exists()  # an account that did not change: every first pass was complete


def test_three_kills_then_a_rerun_end_exactly_like_an_uninterrupted_export(tmp_path: Path) -> None:
    _campaign(tmp_path, entries=10_000, kills=3, seed=5)


@pytest.mark.slow
def test_twenty_kills_then_a_rerun_end_exactly_like_an_uninterrupted_export(tmp_path: Path) -> None:
    _campaign(tmp_path, entries=60_000, kills=20, seed=13)


def test_a_resume_asks_who_again_then_only_the_lost_answer(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FreshBooksSandbox(FB_FIXTURES, rate=None, token=TOKEN) as sandbox:
        first = api.export(fb_settings(sandbox, out))
        journal = out / JOURNAL_NAME
        lines = journal.read_bytes().splitlines(keepends=True)
        last = max(i for i, line in enumerate(lines) if b'"type":"request"' in line)
        # The state a kill leaves: the last answer's line half written, and nothing after it.
        journal.write_bytes(b"".join(lines[:last]) + lines[last][: len(lines[last]) // 2])
        again = api.export(fb_settings(sandbox, out))
    assert again.requests == 3  # system.current and staff.current (still the admin?), and the one lost answer
    assert again.replayed == first.requests - 1
    assert again.records == first.records
