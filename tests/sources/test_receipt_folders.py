"""Receipt folders in a SOURCE: found anywhere, attached by expense id to the right system, hashed
once, and every odd case named (two files for one expense, a file without its expense, a folder
whose system cannot be told)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from migrator import api
from migrator.errors import ConfigError, SourceError
from migrator.planned import MapContext
from migrator.sources import read_exports
from tests.conftest import REPO

V1, FB = REPO / "fixtures" / "harvest-v1", REPO / "fixtures" / "freshbooks"


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    v1, fb = tmp_path / "v1", tmp_path / "fb"
    shutil.copytree(V1, v1)
    shutil.copytree(FB, fb)
    return v1, fb


def test_receipts_attach_by_id_zero_padding_ignored_and_are_hashed(tmp_path: Path) -> None:
    v1, _fb = _copy(tmp_path)
    (v1 / "receipts" / "1304.png").rename(v1 / "receipts" / "0001304.png")
    (v1 / "receipts" / "deeper").mkdir()
    (v1 / "receipts" / "deeper" / "1302.pdf").write_bytes(b"%PDF-1.4 a receipt")
    (export,) = read_exports([v1])
    try:
        png = (v1 / "receipts" / "0001304.png").read_bytes()
        receipt = export.receipt("1304")
        assert receipt is not None and receipt.shown == str(v1 / "receipts" / "0001304.png")
        assert (receipt.size, receipt.sha256, receipt.content_type) == (len(png), hashlib.sha256(png).hexdigest(),
                                                                         "image/png")  # fmt: skip
        assert export.receipt("1302") is not None and export.receipt("1302").content_type == "application/pdf"  # type: ignore[union-attr]
        assert export.receipt("1303") is None
        # Receipt files are not responses: no "skipped: not an XML file" for them.
        assert not [w for w in export.warnings if "/receipts/" in w.file]
    finally:
        export.close()


def test_two_files_for_one_expense_name_both_and_neither_is_used(tmp_path: Path) -> None:
    v1, _fb = _copy(tmp_path)
    shutil.copy(v1 / "receipts" / "1304.png", v1 / "receipts" / "01304.jpg")
    with pytest.raises(SourceError) as refused:
        read_exports([v1])
    assert str(refused.value) == (
        f"{v1 / 'receipts' / '1304.png'} expenses 1304: two receipt files for expense 1304: "
        f"{v1 / 'receipts' / '01304.jpg'} and {v1 / 'receipts' / '1304.png'}; keep one"
    )
    (export,) = read_exports([v1], keep_going=True)
    try:
        assert export.receipt("1304") is None
        assert [error.record_id for error in export.errors] == ["1304"]
    finally:
        export.close()


def test_a_file_without_its_expense_or_without_an_id_is_a_warning(tmp_path: Path) -> None:
    _v1, fb = _copy(tmp_path)
    (fb / "receipts" / "999.png").write_bytes(b"\x89PNG")
    (fb / "receipts" / "notes.txt").write_text("scanned on Monday")
    (export,) = read_exports([fb])
    try:
        messages = {w.file: w.message for w in export.warnings if "/receipts/" in w.file}
        assert messages == {
            str(fb / "receipts" / "999.png"): "a receipt for expense 999, which is not in the source: not uploaded",
            str(fb / "receipts" / "notes.txt"): "not named by an expense id (like 1304.png): not uploaded",
        }
        assert export.receipt("71") is not None and export.receipt("999") is not None  # kept, never planned
    finally:
        export.close()


def test_each_system_takes_the_receipts_beside_its_files_and_a_shared_folder_is_refused(tmp_path: Path) -> None:
    v1, fb = _copy(tmp_path)
    exports = {export.system: export for export in read_exports([tmp_path])}
    try:
        assert exports["harvest-v1"].receipt("1304") is not None and exports["harvest-v1"].receipt("71") is None
        assert exports["freshbooks"].receipt("71") is not None and exports["freshbooks"].receipt("1304") is None
    finally:
        for export in exports.values():
            export.close()
    shared = tmp_path / "receipts"
    (fb / "receipts").rename(shared)
    refused = (r"receipts folder .*/receipts: cannot tell which system its receipts belong to \(the files beside it "
               r"are of both freshbooks and harvest-v1\)")  # fmt: skip
    with pytest.raises(ConfigError, match=refused):
        read_exports([tmp_path])


def test_has_receipt_without_a_file_is_a_lossy_note_naming_the_file_expected() -> None:
    exports, sink = api.read_and_map(api.SourceOptions((V1,)), MapContext())
    for export in exports:
        export.close()
    notes = {(note.source_id, note.field): note for note in sink.lossy_notes if note.kind == "expenses"}
    assert notes[("1301", "receipt")].severity == "data"
    assert notes[("1301", "receipt")].note == (
        "v1 has a receipt (https://northwind.harvestapp.com/expenses/1301/receipt) but no file receipts/1301.* lies "
        "beside the export: not migrated (`migrator export` fetches receipts, or put the file in a receipts folder)"
    )
    assert ("1304", "receipt") not in notes and ("1304", "receipt_url") not in notes  # its file is there
    (planned,) = [p for p in sink.planned if p.kind == "expenses" and p.source_id == "1304"]
    assert planned.receipt is not None and planned.receipt["file_name"] == "1304.png"
    assert "receipt" not in planned.payload


def test_a_receipt_over_the_limit_is_planned_refused_with_a_note() -> None:
    exports, sink = api.read_and_map(api.SourceOptions((FB,)), MapContext(receipt_limit=300))
    for export in exports:
        export.close()
    receipts = {p.source_id: p.receipt for p in sink.planned if p.kind == "expenses"}
    assert receipts["71"] is not None and "refused" not in receipts["71"]  # 212 bytes
    assert receipts["72"]["refused"] == "621 bytes is over the 300 bytes receipt limit (--receipt-limit)"  # type: ignore[index]
    (note,) = [n for n in sink.lossy_notes if n.field == "receipt"]
    assert (note.source_id, note.severity) == ("72", "data") and note.note.endswith("attach it in Harvest by hand")
