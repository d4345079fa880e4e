"""The export of the sandbox serving `fixtures/harvest-v1` plans exactly like the fixture folder itself,
through the real command line, with no credentials; its manifest describes every file truly; a
complete export asked again sends no request."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from migrator.export.harvest_v1 import HarvestV1Exporter
from migrator.sources.export import read_exports
from tests.conftest import REPO
from tests.export.conftest import FIXTURES, assert_plans_alike, migrator, plan_document


def _env_without_credentials() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARVEST_", "FRESHBOOKS_"))}
    return env | {"PYTHONPATH": str(REPO)}


def _fixture_counts() -> dict[str, int]:
    """What the source reader finds in the fixture folder, per v2 kind (the account record aside)."""
    (export,) = read_exports([FIXTURES])
    try:
        kinds = HarvestV1Exporter.kinds
        return {kinds.get(r, r): export.store.count(r) for r in export.store.resources() if r != "account"}
    finally:
        export.close()


def test_the_export_plans_exactly_like_the_fixture_folder_and_a_second_run_sends_nothing(
    tmp_path: Path, fixture_plan: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    env = _env_without_credentials()

    first = migrator("export", "harvest-v1", out, "--sandbox", "--format", "json", env=env)

    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["complete"] is True
    assert report["requests"] > 50 and report["replayed"] == 0
    plan = plan_document(out, tmp_path / "none.sqlite")
    assert_plans_alike(plan, fixture_plan)
    lossy = sorted((n["kind"], n["source_id"], n["field"], n["note"]) for n in plan["lossy"])
    assert lossy == sorted((n["kind"], n["source_id"], n["field"], n["note"]) for n in fixture_plan["lossy"])
    assert plan["errors"] == []
    assert not [w for w in plan["warnings"] if "export.json" in w["file"]]  # the manifest is skipped silently

    again = migrator("export", "harvest-v1", out, "--sandbox", "--format", "json", env=env)

    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["requests"] == 0
    assert second["replayed"] == report["requests"]
    assert second["records"] == report["records"]


def test_the_manifest_describes_every_file_and_counts_what_the_reader_finds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = migrator("export", "harvest-v1", out, "--sandbox", env=_env_without_credentials())
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))

    assert manifest["system"] == "harvest-v1" and manifest["complete"] is True
    assert manifest["url"].endswith(str(FIXTURES.resolve()))
    assert manifest["account"] == "Northwind Studio (https://northwind.harvestapp.com)"
    assert manifest["exported_as"] == "Ada Lindqvist (user 701)"
    assert manifest["started"] <= manifest["finished"]
    assert manifest["records"] == _fixture_counts()
    kept = [request for request in manifest["requests"] if request["file"]]
    assert len(kept) == manifest["files"]
    for request in kept:
        body = (out / request["file"]).read_bytes()
        assert len(body) == request["bytes"]
        assert hashlib.sha256(body).hexdigest() == request["sha256"]
        receipt = request["file"].startswith("receipts/")
        assert request["status"] == 200 and request["content_type"] == ("image/png" if receipt else "application/xml")
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and ".export.lock" not in p.name}
    assert on_disk == {r["file"] for r in kept} | {"export.json", ".export-journal.jsonl"}
    # Expenses 1301 and 1304 say they have a receipt; the fixture folder has 1304's file (kept as received),
    # none for 1301 (listed, not fatal).
    png = (FIXTURES / "receipts" / "1304.png").read_bytes()
    assert manifest["receipts"] == {
        "saved": [
            {
                "expense": "1304",
                "file": "receipts/1304.png",
                "bytes": len(png),
                "sha256": hashlib.sha256(png).hexdigest(),
                "content_type": "image/png",
            }
        ],
        "missing": [{"expense": "1301", "status": 404, "why": "not found (404): the API has no file for it"}],
        "without": 0,
    }
    assert f"1 receipts ({len(png):,} bytes), 1 the API could not give" in done.stdout
    assert "receipt of expense 1301: not found (404)" in done.stdout
    assert "Next: migrator plan" in done.stdout
    # Not a terminal: plain progress lines on stderr, the last with every kind.
    last = [line for line in done.stderr.splitlines() if line.startswith("progress: ")][-1]
    assert "time_entries 13" in last and "invoices 5" in last
