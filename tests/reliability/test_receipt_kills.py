"""`kill -9` during receipt uploads: no expense ends without its receipt, none is uploaded twice.

Both fixture accounts (three receipts: a PNG, a JPEG, a PDF; v1 1301 says it has one without a file)
and, in the slow proof, a generated Harvest v1 account (a 2 MB PDF, a PNG, a JPEG…) are loaded by
the real CLI into a sandbox on 127.0.0.1 that adds a few milliseconds to every request. Each
attempt is killed once the ledger holds a seeded number of expense intents, plus a seeded few
milliseconds: the kill lands among the expenses' multipart POSTs (between an intent and its POST,
while a receipt streams, between the answer and the recorded outcome). The next attempt resumes
and may be killed in turn.

After the campaign: every expense the generator gave a receipt holds exactly those bytes in the
target (size and sha256, read back from the receipt url), the sandbox stored each receipt once
(`receipt_uploads` all 1), `verify` counts as many receipts in the target as in the source with no
`receipt` difference, and one more run sends 0 requests.

The default suite lands 3 kills on the fixtures; `-m slow` lands 20 on the generated account
(`pytest -m slow tests/reliability/test_receipt_kills.py`).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from migrator.generate import Expected, generate
from migrator.sandbox import Sandbox
from tests.conftest import REPO
from tests.reliability.conftest import migrator, migrator_args, migrator_env, sandbox_stats

FIXTURES = (REPO / "fixtures" / "harvest-v1", REPO / "fixtures" / "freshbooks")

SEED = 18
LATENCY_MS = 10  # per request: an upload is in flight long enough for a kill to land inside it


def expense_rows(ledger: Path) -> int:
    """Expense intents and results in the ledger so far, read from outside the process that writes them."""
    if not ledger.exists():
        return 0
    try:
        with closing(sqlite3.connect(ledger, timeout=1)) as db:
            return int(db.execute("SELECT count(*) FROM records WHERE kind = 'expenses'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    out = tmp_path_factory.mktemp("receipts") / "export"
    expected = generate("harvest-v1", out, entries=300, seed=SEED)
    assert len(expected.receipts) >= 3 and expected.missing_receipts
    return out, expected


def attempt(args: list[str], env: dict[str, str], ledger: Path, chance: random.Random, expenses: int) -> bool:
    """Run once, killed with SIGKILL once `k` expense rows are in the ledger (k seeded). True if killed."""
    start = expense_rows(ledger)
    wanted, jitter = chance.randint(1, max(1, expenses - start)), chance.uniform(0.0, 0.012)
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while process.poll() is None:
            if expense_rows(ledger) - start >= wanted:
                time.sleep(jitter)
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=30)
                    return True
            time.sleep(0.001)
    finally:
        stderr = process.stderr.read().decode() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
    assert process.returncode == 0, stderr[-2000:]
    return False


def fixture_receipts() -> dict[str, tuple[int, str]]:
    """The fixture receipts by record name: (size, sha256)."""
    found = {}
    for folder in FIXTURES:
        for path in sorted((folder / "receipts").iterdir()):
            data = path.read_bytes()
            found[f"{folder.name}:expenses:{path.stem}"] = (len(data), hashlib.sha256(data).hexdigest())
    return found


def held_receipts(sandbox: Sandbox) -> dict[str, tuple[int, str]]:
    """`SYSTEM:expenses:ID` -> (size, sha256) of the receipt bytes the target serves."""
    headers = {"Authorization": f"Bearer {sandbox.token}", "Harvest-Account-Id": sandbox.account_id,
               "User-Agent": "tests (tests@example.com)"}  # fmt: skip
    found = {}
    for expense in sandbox.objects("expenses"):
        marker = re.search(r"\[migrator ([a-z0-9-]+) expense (\d+)\]", expense["notes"] or "")
        assert marker, expense["notes"]
        if expense["receipt"] is not None:
            body = httpx.get(expense["receipt"]["url"], headers=headers, timeout=30).raise_for_status().content
            found[f"{marker.group(1)}:expenses:{marker.group(2)}"] = (len(body), hashlib.sha256(body).hexdigest())
    return found


def campaign(
    sources: tuple[Path, ...], wanted: dict[str, tuple[int, str]], expenses: int, tmp_path: Path, kills: int
) -> int:
    """Kill up to `kills` times, finish, check everything the module docstring promises; the kills landed."""
    tmp_path.mkdir(parents=True, exist_ok=True)  # `run` refuses a ledger in a folder that does not exist
    ledger = tmp_path / "ledger.sqlite"
    chance = random.Random(f"{SEED}:{tmp_path.name}")
    landed = 0
    with Sandbox(rate=None, latency_ms=LATENCY_MS) as sandbox:
        env = migrator_env(sandbox.token, sandbox.account_id)
        args = migrator_args("run", *sources, "--batch", "r", "--ledger", ledger, "--target", sandbox.url,
                             "--create-users", "--rate", "1000/1", "--concurrency", "3")  # fmt: skip
        while landed < kills:
            if expense_rows(ledger) >= expenses:  # every expense done: a fresh account for the next kills
                break
            landed += attempt(args, env, ledger, chance, expenses)
        finished = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]

        assert held_receipts(sandbox) == wanted  # none missing, none extra, the same bytes
        uploads = sandbox_stats(sandbox)["receipt_uploads"]
        assert sorted(uploads.values()) == [1] * len(wanted), uploads  # never uploaded twice
        verify = ("verify", *sources, "--ledger", ledger, "--target", sandbox.url, "--format", "json")
        verified = migrator(*verify, env=env)
        report = json.loads(verified.stdout)
        assert report["totals"]["receipts"] == {"source": len(wanted), "target": len(wanted)}
        assert [d for d in report["differences"] if d["field"] == "receipt"] == []
        again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0 and "; 0 requests in " in again.stdout, again.stdout[-1000:]
    return landed


def test_kills_during_receipt_uploads_leave_every_receipt_once(tmp_path: Path) -> None:
    landed, rounds = 0, 0
    while landed < 3:
        landed += campaign(FIXTURES, fixture_receipts(), 7, tmp_path / str(rounds), 3 - landed)
        rounds += 1
        assert rounds <= 5, f"only {landed} kills landed"


@pytest.mark.slow
def test_twenty_kills_during_receipt_uploads(account: tuple[Path, Expected], tmp_path: Path) -> None:
    export, expected = account
    wanted = {name: (receipt.size, receipt.sha256) for name, receipt in expected.receipts.items()}
    landed, rounds = 0, 0
    while landed < 20:
        expenses = expected.counts["expenses"]
        landed += campaign((export,), wanted, expenses, tmp_path / str(rounds), min(4, 20 - landed))
        rounds += 1
        assert rounds <= 15, f"only {landed} kills landed"
