"""Receipts travel (issue #18, through the real CLI end to end): both legacy accounts exported from
their sandboxes, loaded into the Harvest v2 sandbox, every receipt there with the same bytes; verify
counts them alike; a re-run costs nothing; a newer export where one receipt changed is one PATCH.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import httpx

from migrator.sandbox import Sandbox
from migrator.sandbox.legacy import freshbooks as fb_sandbox
from migrator.sandbox.legacy import harvest_v1 as v1_sandbox
from tests.conftest import REPO
from tests.export.conftest import migrator

# The receipts the fixture accounts carry: (system, expense id) -> file (v1 1301 says it has one: no file).
RECEIPTS = {("harvest-v1", "1304"): "harvest-v1/receipts/1304.png", ("freshbooks", "71"): "freshbooks/receipts/71.jpg",
            ("freshbooks", "72"): "freshbooks/receipts/72.pdf"}  # fmt: skip


def _digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


def _held(target: Sandbox) -> dict[tuple[str, str], tuple[int, str]]:
    """(system, expense id) -> size and sha256 of the bytes the target serves at each receipt's url."""
    headers = {"Authorization": f"Bearer {target.token}", "Harvest-Account-Id": target.account_id,
               "User-Agent": "tests (tests@example.com)"}  # fmt: skip
    held = {}
    for expense in target.objects("expenses"):
        if expense["receipt"] is not None:
            key = next(k for k in RECEIPTS if f"[migrator {k[0]} expense {k[1]}]" in expense["notes"])
            held[key] = _digest(httpx.get(expense["receipt"]["url"], headers=headers, timeout=10).content)
    return held


def test_receipts_go_from_both_legacy_accounts_into_harvest_v2_exactly_once(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts"
    for system in ("harvest-v1", "freshbooks"):
        shutil.copytree(REPO / "fixtures" / system, accounts / system)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HARVEST_", "FRESHBOOKS_"))}
    base["PYTHONPATH"] = str(REPO)
    with (
        v1_sandbox.HarvestV1Sandbox(accounts / "harvest-v1", rate=None) as old_v1,
        fb_sandbox.FreshBooksSandbox(accounts / "freshbooks", rate=None) as old_fb,
        Sandbox(rate=None) as target,
    ):
        env = base | {
            "HARVEST_V1_URL": old_v1.url, "HARVEST_V1_EMAIL": v1_sandbox.EMAIL,
            "HARVEST_V1_PASSWORD": v1_sandbox.PASSWORD, "FRESHBOOKS_URL": old_fb.url,
            "FRESHBOOKS_TOKEN": fb_sandbox.TOKEN, "HARVEST_ACCESS_TOKEN": target.token,
            "HARVEST_ACCOUNT_ID": target.account_id,
        }  # fmt: skip
        into = ("--target", target.url, "--ledger", tmp_path / "ledger.sqlite", "--rate", "1000/1")

        def export(out: Path) -> None:
            for system in ("harvest-v1", "freshbooks"):
                done = migrator("export", system, out / system, "--rate", "1000/1", env=env)
                assert done.returncode == 0, done.stderr[-2000:]

        export(tmp_path / "first")
        for file in RECEIPTS.values():  # kept as received, named by the expense, typed by the answer
            assert (tmp_path / "first" / file).read_bytes() == (REPO / "fixtures" / file).read_bytes()
        run = migrator("run", tmp_path / "first", *into, "--batch", "history", "--create-users", env=env)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        wanted = {key: _digest((REPO / "fixtures" / file).read_bytes()) for key, file in RECEIPTS.items()}
        assert _held(target) == wanted  # the same bytes, size and sha256, for every expense that has one

        verify = migrator("verify", tmp_path / "first", *into, "--format", "json", env=env)
        document = json.loads(verify.stdout)
        assert verify.returncode == 0 and document["ok"], document["differences"][:3]
        assert document["totals"]["receipts"] == {"source": 3, "target": 3}
        again = migrator("run", tmp_path / "first", *into, "--batch", "history", "--create-users", env=env)
        assert again.returncode == 0 and "; 0 requests in " in again.stdout

        # Cut-over day: the FreshBooks PDF was replaced in the legacy account; a newer export has it.
        (accounts / "freshbooks" / "receipts" / "72.pdf").write_bytes(b"%PDF-1.4\n% a corrected receipt\n%%EOF\n")
        export(tmp_path / "newer")
        plan = migrator("plan", tmp_path / "newer", *into, "--format", "json", env=env)
        changed = [c for c in json.loads(plan.stdout)["changes"] if c["action"] not in ("unchanged", "skipped")]
        assert [(c["system"], c["kind"], c["source_id"], c["action"]) for c in changed] == [
            ("freshbooks", "expenses", "72", "update")
        ]
        assert changed[0]["receipt"]["upload"] is True and list(changed[0]["diff"]) == ["receipt"]
        cutover = migrator("run", tmp_path / "newer", *into, "--batch", "cutover", env=env)
        assert cutover.returncode == 0, cutover.stdout[-2000:] + cutover.stderr[-2000:]
        assert "; 1 requests in " in cutover.stdout  # one PATCH, the file in it
        uploads = target.stats()["receipt_uploads"]
        held = _held(target)
    assert sorted(uploads.values()) == [1, 1, 2]  # only 72 twice: at its creation, and now
    assert held[("freshbooks", "72")] == _digest(b"%PDF-1.4\n% a corrected receipt\n%%EOF\n")
    assert {k: v for k, v in held.items() if k != ("freshbooks", "72")} == {
        k: v for k, v in wanted.items() if k != ("freshbooks", "72")
    }
