"""The export of the FreshBooks sandbox serving `fixtures/freshbooks` plans exactly like the fixture
folder itself (summary, changes by record name, action and payload, lossy notes, receipts), through
the real command line with no credentials; its manifest describes every file truly; the requests are
the ones FreshBooks asks for; a complete export asked again sends no request."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from migrator.export import JOURNAL_NAME
from migrator.export.freshbooks import FreshBooksExporter
from migrator.export.journal import Journal
from migrator.sandbox.legacy.freshbooks import FreshBooksSandbox
from migrator.sources.export import read_exports
from tests.conftest import REPO
from tests.export.conftest import assert_plans_alike, migrator, plan_document
from tests.export.freshbooks.conftest import FB_FIXTURES, calls, fb_settings, lossy_of, receipts_of

FOLDER_FAMILIES = ("client", "invoice", "estimate", "item", "recurring", "expense")


def _env_without_credentials() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARVEST_", "FRESHBOOKS_"))}
    return env | {"PYTHONPATH": str(REPO)}


def _fixture_counts() -> dict[str, int]:
    """What the source reader finds in the fixture folder, per v2 kind (deleted records included)."""
    (export,) = read_exports([FB_FIXTURES])
    try:
        kinds = FreshBooksExporter.kinds
        return {kinds.get(r, r): export.store.count(r) for r in export.store.resources()}
    finally:
        export.close()


def test_the_export_plans_exactly_like_the_fixture_folder_and_a_second_run_sends_nothing(
    tmp_path: Path, fb_plan: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    env = _env_without_credentials()

    first = migrator("export", "freshbooks", out, "--sandbox", "--format", "json", env=env)

    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["complete"] is True and report["replayed"] == 0
    assert report["receipts"] == {"saved": 2, "bytes": report["receipts"]["bytes"], "missing": [], "without": 0}
    plan = plan_document(out, tmp_path / "none.sqlite")
    assert_plans_alike(plan, fb_plan)
    assert lossy_of(plan) == lossy_of(fb_plan)
    assert receipts_of(plan) == receipts_of(fb_plan) != []  # 71.jpg and 72.pdf, the same bytes
    assert plan["errors"] == []
    assert [w["message"] for w in plan["warnings"]] == ["not migrated: FreshBooks system"]  # system.current

    again = migrator("export", "freshbooks", out, "--sandbox", "--format", "json", env=env)

    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["requests"] == 0
    assert second["replayed"] == report["requests"]
    assert second["records"] == report["records"]


def test_the_requests_are_freshbooks_own_and_the_manifest_describes_every_file(
    tmp_path: Path, fb_sandbox: FreshBooksSandbox
) -> None:
    from migrator import api

    out = tmp_path / "out"
    report = api.export(fb_settings(fb_sandbox, out))
    asked = calls(fb_sandbox)
    manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))

    # Who first, before anything else was asked; then every list, each with the same per_page.
    assert asked[:2] == ["system.current", "staff.current"]
    lists = [call for call in asked if ".list " in call]
    assert lists and all("per_page=100" in call for call in lists)
    for family in FOLDER_FAMILIES:  # the deleted folder of every family that has folders, and only theirs
        assert f"{family}.list page=1 per_page=100 folder=deleted" in asked
    assert not [call for call in asked if "folder=deleted" in call and call.split(".")[0] not in FOLDER_FAMILIES]
    # Lists give whole records here: only the recurring profile, which has no <lines>, is fetched whole.
    assert [call for call in asked if ".get " in call and not call.startswith("receipt.")] == [
        "recurring.get recurring_id=121"
    ]
    assert sorted(c for c in asked if c.startswith("receipt.get")) == [
        "receipt.get expense_id=71",
        "receipt.get expense_id=72",
    ]
    assert len(asked) == report.requests

    assert manifest["system"] == "freshbooks" and manifest["complete"] is True
    assert manifest["url"] == fb_sandbox.url and manifest["url"].endswith("/api/2.1/xml-in")
    assert manifest["account"] == "FreshBooks sandbox account"
    assert manifest["exported_as"] == "Nora Quist (staff 1, the admin)"
    assert manifest["records"] == _fixture_counts() == report.records
    assert manifest["notices"] == []
    kept = [request for request in manifest["requests"] if request["file"]]
    assert len(kept) == manifest["files"]
    for request in kept:
        body = (out / request["file"]).read_bytes()
        assert len(body) == request["bytes"]
        assert hashlib.sha256(body).hexdigest() == request["sha256"]
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and ".export.lock" not in p.name}
    assert on_disk == {r["file"] for r in kept} | {"export.json", JOURNAL_NAME}
    assert {"account/system.current.xml", "account/staff.current.xml", "clients/deleted/page-0001.xml"} <= on_disk
    assert [item["expense"] for item in manifest["receipts"]["saved"]] == ["71", "72"]
    assert manifest["receipts"]["saved"][0]["content_type"] == "image/jpeg"
    assert manifest["receipts"]["saved"][0]["file"] == "receipts/71.jpg"
    with Journal.load(out) as journal:  # type: ignore[union-attr]
        first_two = list(journal.entries)[:2]
    assert first_two == ["POST / (system.current)", "POST / (staff.current)"]  # journaled first, too


def test_a_url_without_the_api_path_reaches_the_endpoint(tmp_path: Path, fb_sandbox: FreshBooksSandbox) -> None:
    from tests.export.freshbooks.conftest import fb_env

    # http://127.0.0.1:PORT, as a person would copy it from the browser
    done = migrator("export", "freshbooks", tmp_path / "out", "--format", "json", "--rate", "1000/1",
                    env=fb_env(fb_sandbox.root))  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["source"] == fb_sandbox.url  # …/api/2.1/xml-in
