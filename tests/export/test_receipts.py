"""Receipts (issue #18, the export side): every expense whose `has-receipt` is true has its file fetched
into `OUT/receipts/<expense id>.<ext>`, bytes as received, with its size and sha256 in the manifest;
one the API cannot give (404, an HTML page) is listed, never fatal; `--no-receipts` skips them and a
later run fetches them."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from migrator import api
from migrator.sandbox.legacy.harvest_v1 import HarvestV1Sandbox
from tests.export.conftest import FIXTURES, PASSWORD, settings_for

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


def _account(tmp_path: Path) -> Path:
    """The fixture account where expenses 1301, 1302 and 1304 say they have a receipt: 1304's is a PDF,
    1301's "file" is an HTML page, 1302's is missing."""
    folder = tmp_path / "account"
    shutil.copytree(FIXTURES, folder)
    expenses = folder / "timesheets" / "expenses-2013-03.xml"
    text = expenses.read_text(encoding="utf-8")
    # 1301 and 1304 say so in the fixture already; 1302 is made to.
    text = text.replace(
        '<has-receipt type="boolean">false</has-receipt>', '<has-receipt type="boolean">true</has-receipt>', 1
    )
    expenses.write_text(text, encoding="utf-8")
    for shipped in (folder / "receipts").iterdir():  # the fixture's own 1304.png: this account's is a PDF
        shipped.unlink()
    (folder / "receipts" / "1304.pdf").write_bytes(PDF)
    (folder / "receipts" / "1301.html").write_text("<html><title>Sign in</title></html>", encoding="utf-8")
    return folder


def test_receipts_are_kept_as_received_and_the_ones_the_api_cannot_give_are_listed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with HarvestV1Sandbox(_account(tmp_path), rate=None, password=PASSWORD) as sandbox:
        report = api.export(settings_for(sandbox, out))

    assert (out / "receipts" / "1304.pdf").read_bytes() == PDF
    assert sorted(p.name for p in (out / "receipts").iterdir()) == ["1304.pdf"]
    assert report.receipts_saved == 1 and report.receipts_bytes == len(PDF)
    assert report.receipts_missing == [
        {"expense": "1301", "status": 200, "why": "an HTML page, not a file"},
        {"expense": "1302", "status": 404, "why": "not found (404): the API has no file for it"},
    ]
    manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert manifest["receipts"]["saved"] == [
        {
            "expense": "1304",
            "file": "receipts/1304.pdf",
            "bytes": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "content_type": "application/pdf",
        }
    ]
    assert manifest["receipts"]["missing"] == report.receipts_missing


def test_no_receipts_skips_them_and_a_later_run_fetches_only_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with HarvestV1Sandbox(_account(tmp_path), rate=None, password=PASSWORD) as sandbox:
        without = api.export(settings_for(sandbox, out, receipts=False))
        receipt_requests = [e for e in sandbox.stats()["log"] if e["path"].endswith("/receipt")]
        kept_any = (out / "receipts").exists()
        later = api.export(settings_for(sandbox, out))
        again = api.export(settings_for(sandbox, out))

    assert receipt_requests == [] and without.receipts_saved == 0 and not kept_any
    assert later.requests == 1 + 3  # who_am_i (the resume check), then the three receipts only
    assert later.receipts_saved == 1 and len(later.receipts_missing) == 2
    assert again.requests == 0
