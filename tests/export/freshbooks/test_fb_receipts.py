"""Receipts (issue #18, FreshBooks' export side). FreshBooks' expenses do not say whether they have a
receipt, so `receipt.get` is asked for every expense that is not deleted: a file is kept in
`OUT/receipts/<expense id>.<ext>` as received with its size and sha256 in the manifest; an expense
without one (`status="fail"`, 50010) is counted, not listed; anything else the API cannot give is
listed, never fatal; `--no-receipts` skips them and a later run fetches only them."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from migrator import api
from migrator.sandbox.legacy.freshbooks import FreshBooksSandbox
from tests.export.freshbooks.conftest import FB_FIXTURES, TOKEN, calls, fb_settings

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


def _account(tmp_path: Path) -> Path:
    """The fixture account where expense 71's receipt is a PDF and 72's "file" is an HTML page."""
    folder = tmp_path / "account"
    shutil.copytree(FB_FIXTURES, folder)
    (folder / "receipts" / "71.jpg").unlink()
    (folder / "receipts" / "71.pdf").write_bytes(PDF)
    (folder / "receipts" / "72.pdf").unlink()
    (folder / "receipts" / "72.html").write_text("<html><title>Sign in</title></html>", encoding="utf-8")
    return folder


def test_receipts_are_kept_as_received_and_the_ones_the_api_cannot_give_are_listed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FreshBooksSandbox(_account(tmp_path), rate=None, token=TOKEN) as sandbox:
        report = api.export(fb_settings(sandbox, out))

    assert (out / "receipts" / "71.pdf").read_bytes() == PDF
    assert sorted(p.name for p in (out / "receipts").iterdir()) == ["71.pdf"]
    assert report.receipts_saved == 1 and report.receipts_bytes == len(PDF)
    assert report.receipts_missing == [{"expense": "72", "status": 200, "why": "an HTML page, not a file"}]
    manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert manifest["receipts"]["saved"] == [
        {
            "expense": "71",
            "file": "receipts/71.pdf",
            "bytes": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "content_type": "application/pdf",
        }
    ]
    assert manifest["receipts"]["missing"] == report.receipts_missing


def test_an_expense_without_a_receipt_is_counted_not_listed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    folder = tmp_path / "account"
    shutil.copytree(FB_FIXTURES, folder)
    (folder / "receipts" / "72.pdf").unlink()  # FreshBooks answers receipt.get 72 with status="fail", 50010
    with FreshBooksSandbox(folder, rate=None, token=TOKEN) as sandbox:
        report = api.export(fb_settings(sandbox, out))

    assert report.receipts_saved == 1 and report.receipts_missing == [] and report.receipts_none == 1
    manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert manifest["receipts"]["without"] == 1 and manifest["receipts"]["missing"] == []
    (answer,) = [r for r in manifest["requests"] if r["request"].endswith("(receipt.get 72)")]
    assert answer["file"] is None and answer["content_type"] == "application/xml"  # nothing of it in OUT
    assert sorted(p.name for p in (out / "receipts").iterdir()) == ["71.jpg"]


def test_a_receipt_failure_other_than_not_found_is_listed_with_its_code(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FreshBooksSandbox(FB_FIXTURES, rate=None, token=TOKEN, traps=["fail=receipt.get"]) as sandbox:
        report = api.export(fb_settings(sandbox, out))

    assert report.complete and report.receipts_saved == 0
    assert report.receipts_missing == [
        {"expense": expense, "status": 200, "why": 'FreshBooks answered status="fail": code 50020: Failed to get '
         'receipt. Request failed.'}
        for expense in ("71", "72")
    ]  # fmt: skip


def test_no_receipts_skips_them_and_a_later_run_fetches_only_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FreshBooksSandbox(FB_FIXTURES, rate=None, token=TOKEN) as sandbox:
        without = api.export(fb_settings(sandbox, out, receipts=False))
        asked = [call for call in calls(sandbox) if call.startswith("receipt.get")]
        kept_any = (out / "receipts").exists()
        later = api.export(fb_settings(sandbox, out))
        again = api.export(fb_settings(sandbox, out))

    assert asked == [] and without.receipts_saved == 0 and not kept_any
    assert later.requests == 2 + 2  # system.current and staff.current (the resume check), then the two receipts
    assert later.receipts_saved == 2
    assert again.requests == 0
