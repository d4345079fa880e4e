"""Receipts through the real command line (issue #18, without the export): a folder of saved
responses with a `receipts/` folder -> run -> every expense holds the same bytes in the target
(size and sha256, read back from the sandbox's receipt url) -> verify green with `totals.receipts`
equal -> a re-run sends 0 requests -> a second folder where one receipt changed plans an update and
sends exactly one PATCH, one upload; a receipt over the limit is refused alone, the expense loads.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import httpx
import pytest

from migrator.sandbox import Sandbox
from tests.conftest import REPO
from tests.reliability.conftest import migrator, migrator_env, sandbox_stats

V1, FB = REPO / "fixtures" / "harvest-v1", REPO / "fixtures" / "freshbooks"
# The shipped fixture receipts: expense -> file (v1 1301 says has-receipt but has no file).
RECEIPTS = {
    ("harvest-v1", "1304"): V1 / "receipts" / "1304.png",
    ("freshbooks", "71"): FB / "receipts" / "71.jpg",
    ("freshbooks", "72"): FB / "receipts" / "72.pdf",
}


def _marker(system: str, expense_id: str) -> str:
    return f"[migrator {system} expense {expense_id}]"


def target_receipts(sandbox: Sandbox) -> dict[tuple[str, str], tuple[int, str, dict]]:  # type: ignore[type-arg]
    """(system, expense id) -> (size, sha256 of the bytes served at its url, the receipt object)."""
    headers = {"Authorization": f"Bearer {sandbox.token}", "Harvest-Account-Id": sandbox.account_id,
               "User-Agent": "tests (tests@example.com)"}  # fmt: skip
    found = {}
    for expense in sandbox.objects("expenses"):
        receipt = expense["receipt"]
        if receipt is None:
            continue
        key = next(k for k in RECEIPTS if _marker(*k) in expense["notes"])
        body = httpx.get(receipt["url"], headers=headers, timeout=10).raise_for_status().content
        assert len(body) == receipt["file_size"]
        found[key] = (len(body), hashlib.sha256(body).hexdigest(), receipt)
    return found


def expected(files: dict[tuple[str, str], Path]) -> dict[tuple[str, str], tuple[int, str]]:
    return {key: (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()) for key, path in files.items()}


@pytest.fixture()
def copies(tmp_path: Path) -> tuple[Path, Path]:
    """The two fixture accounts copied (with their receipts), so a test may change a receipt."""
    v1, fb = tmp_path / "v1", tmp_path / "fb"
    shutil.copytree(V1, v1)
    shutil.copytree(FB, fb)
    return v1, fb


def test_saved_responses_with_receipts_load_once_verify_and_a_changed_receipt_is_one_patch(
    copies: tuple[Path, Path], tmp_path: Path
) -> None:
    v1, fb = copies
    ledger = tmp_path / "ledger.sqlite"
    with Sandbox(rate=None) as sandbox:
        env = migrator_env(sandbox.token, sandbox.account_id)
        common = ("--ledger", ledger, "--target", sandbox.url, "--rate", "1000/1")

        planned = migrator("plan", v1, fb, *common, "--create-users", "--format", "json", env=env)
        assert planned.returncode == 2, planned.stderr[-2000:]
        document = json.loads(planned.stdout)
        assert document["receipts"] == {"expenses": {"upload": 3, "bytes": 1862, "unchanged": 0, "refused": 0}}
        changes = {(c["system"], c["source_id"]): c for c in document["changes"] if c["kind"] == "expenses"}
        assert changes[("freshbooks", "71")]["receipt"] == {
            "file": str(fb / "receipts" / "71.jpg"), "size": 212, "content_type": "image/jpeg", "upload": True,
            "sha256": hashlib.sha256((fb / "receipts" / "71.jpg").read_bytes()).hexdigest(),
        }  # fmt: skip
        assert "receipt" not in changes[("harvest-v1", "1301")]
        assert "receipt" not in changes[("harvest-v1", "1301")]["payload"]  # beside the payload, never in it
        lossy = [n for n in document["lossy"] if n["field"] == "receipt"]
        assert [(n["source_id"], n["severity"]) for n in lossy] == [("1301", "data")]
        assert "receipts/1301.*" in lossy[0]["note"]
        assert not [w for w in document["warnings"] if "/receipts/" in w["file"]]  # receipts are not XML sources

        first = migrator("run", v1, fb, *common, "--batch", "b1", "--create-users", env=env)
        assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
        stats = sandbox_stats(sandbox)
        # Each receipt went with its expense's own POST: no request more than without receipts.
        assert "160 requests" in first.stdout  # 156 + the 4 archives of the assignments only history implies
        held = target_receipts(sandbox)
        copied = {(s, i): (v1 if s == "harvest-v1" else fb) / "receipts" / p.name for (s, i), p in RECEIPTS.items()}
        assert {key: value[:2] for key, value in held.items()} == expected(copied)
        assert held[("freshbooks", "72")][2]["content_type"] == "application/pdf"
        assert sorted(stats["receipt_uploads"].values()) == [1, 1, 1]

        verified = migrator("verify", v1, fb, "--ledger", ledger, "--target", sandbox.url, "--format", "json", env=env)
        assert verified.returncode == 0, verified.stdout[-3000:]
        assert json.loads(verified.stdout)["totals"]["receipts"] == {"source": 3, "target": 3}

        again = migrator("run", v1, fb, *common, "--batch", "b1", "--create-users", env=env)
        assert again.returncode == 0 and "; 0 requests in " in again.stdout, again.stdout[-1000:]

        # A newer export: one receipt replaced by another file.
        (fb / "receipts" / "71.jpg").write_bytes(b"\xff\xd8 a better scan of the taxi receipt \xff\xd9" * 40)
        changed = migrator("plan", v1, fb, *common, "--format", "json", env=env)
        assert changed.returncode == 2, changed.stderr[-2000:]
        document = json.loads(changed.stdout)
        assert document["summary"]["expenses"]["update"] == 1
        assert document["receipts"]["expenses"] == {"upload": 1, "bytes": 1560, "unchanged": 2, "refused": 0}
        (update,) = [c for c in document["changes"] if c["action"] == "update"]
        assert update["source_id"] == "71"
        assert update["diff"] == {"receipt": ["71.jpg (212 bytes)", "71.jpg (1.5 KB)"]}
        before = sandbox_stats(sandbox)
        objects = {kind: sandbox.objects(kind) for kind in ("clients", "projects", "time_entries", "invoices")}
        second = migrator("run", v1, fb, *common, "--batch", "b2", env=env)
        assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
        after = sandbox_stats(sandbox)
        assert "1 updated; 1 requests in " in second.stdout, second.stdout[-1000:]  # the load: one PATCH
        uploads = {key: after["receipt_uploads"][key] - before["receipt_uploads"].get(key, 0)
                   for key in after["receipt_uploads"]}  # fmt: skip
        assert sorted(uploads.values()) == [0, 0, 1]
        assert {kind: sandbox.objects(kind) for kind in objects} == objects
        new = (fb / "receipts" / "71.jpg").read_bytes()
        assert target_receipts(sandbox)[("freshbooks", "71")][:2] == (1560, hashlib.sha256(new).hexdigest())
        verified = migrator("verify", v1, fb, "--ledger", ledger, "--target", sandbox.url, env=env)
        assert verified.returncode == 0, verified.stdout[-3000:]
        idle = migrator("run", v1, fb, *common, "--batch", "b2", env=env)
        assert idle.returncode == 0 and "; 0 requests in " in idle.stdout, idle.stdout[-1000:]


def test_a_receipt_over_the_limit_is_refused_alone_and_its_expense_loads(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    with Sandbox(rate=None) as sandbox:
        env = migrator_env(sandbox.token, sandbox.account_id)
        where = (V1, "--ledger", ledger, "--target", sandbox.url)
        args = (*where, "--rate", "1000/1", "--receipt-limit", "1KB")
        done = migrator("run", *args, "--batch", "b1", "--create-users", env=env)
        assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
        line = f"receipt {V1 / 'receipts' / '1304.png'}: 1 KB is over the 1 KB receipt limit (--receipt-limit)"
        assert f"rejected: expenses 1304 ({V1 / 'timesheets' / 'expenses-2013-03.xml'}:51): {line}" in done.stdout
        (expense,) = [e for e in sandbox.objects("expenses") if _marker("harvest-v1", "1304") in e["notes"]]
        assert expense["receipt"] is None and expense["total_cost"] == 64.5
        assert sandbox_stats(sandbox)["receipt_uploads"] == {}
        status = migrator("status", "--ledger", ledger, "--rejected", "--format", "json", env=env)
        (row,) = [r for r in json.loads(status.stdout)["not_loaded"] if r["state"].startswith("receipt")]
        assert row["record"] == "harvest-v1:expenses:1304" and row["state"] == "receipt rejected"
        verified = migrator("verify", *where, "--receipt-limit", "1KB", "--format", "json", env=env)
        report = json.loads(verified.stdout)
        assert verified.returncode == 2 and report["totals"]["receipts"] == {"source": 1, "target": 0}
        (difference,) = [d for d in report["differences"] if d["field"] == "receipt"]
        assert difference["source"] == "harvest-v1:expenses:1304" and difference["target_value"] == "no receipt"
        assert "over the 1 KB receipt limit" in difference["explained_by"]
        accepted = migrator("verify", *where, "--receipt-limit", "1KB", "--accept-explained", env=env)
        assert accepted.returncode == 0, accepted.stdout[-2000:]
        # With a limit that fits, the next run attaches it: one PATCH.
        later = migrator("run", *where, "--rate", "1000/1", "--batch", "b2", env=env)
        assert later.returncode == 0, later.stdout[-2000:]
        assert "; 1 requests in " in later.stdout, later.stdout[-1000:]
        assert sorted(sandbox_stats(sandbox)["receipt_uploads"].values()) == [1]


def test_harvest_refusing_a_receipt_rejects_it_alone(tmp_path: Path) -> None:
    """Harvest's own limit lower than ours: its 422 about the receipt creates the expense without it."""
    ledger = tmp_path / "ledger.sqlite"
    with Sandbox(rate=None, receipt_limit=500) as sandbox:
        env = migrator_env(sandbox.token, sandbox.account_id)
        done = migrator("run", FB, "--ledger", ledger, "--target", sandbox.url, "--rate", "1000/1", "--batch", "b1",
                        "--create-users", env=env)  # fmt: skip
        assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
        file = FB / "receipts" / "72.pdf"
        refusal = f"receipt {file}: Harvest refused it: Receipt file size must be at most 500 bytes"
        assert refusal in done.stdout, done.stdout[-2000:]
        receipts = {e["notes"].splitlines()[-1]: e["receipt"] for e in sandbox.objects("expenses")}
        assert receipts[_marker("freshbooks", "72")] is None
        assert receipts[_marker("freshbooks", "71")]["file_size"] == 212
