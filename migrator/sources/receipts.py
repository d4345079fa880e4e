"""Receipt files beside an export (docs/INTERFACE.md "Sources").

In any SOURCE, a folder named `receipts` holds receipt files named by their expense's source id
(`1304.png`, `00071.pdf`: zero padding is ignored, as it is for ids). `migrator export` writes them
that way, so a saved export brings its own; a folder of saved responses with a hand-made
`receipts/` folder works the same.

- Which system a receipts folder belongs to: the system of the XML files beside it (anywhere under
  its parent folder). A run with one source system needs no more; a folder whose neighbours are
  files of both systems is ambiguous and refused with its name (give each system's export its own
  receipts folder), unless `--from` forces the system.
- Each file is hashed once per plan, streamed in 1 MiB blocks (size and sha256): the bytes are never
  held in memory, and the loader streams them again from disk when it uploads.
- Two files for one expense is an error naming both; a file named by no id, or by the id of an
  expense the source does not have, is a warning naming the file (nothing is uploaded for it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.errors import ConfigError, SourceError
from migrator.sources.record import SourceWarning
from migrator.sources.xmlsafe import display_name

if TYPE_CHECKING:
    from migrator.sources.export import SourceExport

FOLDER = "receipts"
CHUNK = 1 << 20  # bytes read at a time when hashing (and when uploading)

# The content type a receipt is sent with, by extension. A fixed table, not `mimetypes`: that one
# reads the machine's own mime.types, so two machines could plan the same export differently.
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".pdf": "application/pdf",
    ".heic": "image/heic",
    ".webp": "image/webp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".bmp": "image/bmp",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class ReceiptFile:
    """One receipt file: whose it is, where it lies, and what it holds (size and sha256)."""

    source_id: str  # the expense's source id, zero padding dropped
    path: Path  # the file as found under the SOURCE given (opened again at upload time)
    shown: str  # how reports name it (`display_name`: the path as given, never failing to print)
    size: int
    sha256: str
    content_type: str

    @property
    def file_name(self) -> str:
        """The name the receipt gets in Harvest (`1304.png`)."""
        return self.path.name

    def as_dict(self) -> dict[str, Any]:
        """The plan entry's `receipt` (CONTRACT-style: the file as shown, its size, sha256 and type),
        plus the path the loader opens."""
        return {
            "file": self.shown,
            "size": self.size,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "file_name": self.file_name,
            "path": str(self.path),
        }


def content_type_of(path: Path) -> str:
    """The content type a receipt is uploaded with (by its extension)."""
    return CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_CONTENT_TYPE)


def digest(path: Path) -> tuple[int, str]:
    """(size, sha256 hex) of a file, streamed in `CHUNK` blocks."""
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            hasher.update(block)
            size += len(block)
    return size, hasher.hexdigest()


def is_receipts_folder(path: Path) -> bool:
    """A folder named `receipts` (in any case: `Receipts/` made by hand on a Mac is the same folder)."""
    return path.name.casefold() == FOLDER


def _hidden(path: Path, under: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(under).parts)


def receipt_folders(paths: Iterable[Path]) -> list[Path]:
    """Every folder named `receipts` in the SOURCE paths (a SOURCE may be one), outermost only."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            continue
        if is_receipts_folder(path):
            found.append(path)
            continue
        for child in sorted(path.rglob("*")):
            inside = any(folder in child.parents for folder in found)
            if child.is_dir() and is_receipts_folder(child) and not _hidden(child, path) and not inside:
                found.append(child)
    return found


def in_receipts_folder(path: Path, under: Path) -> bool:
    """Is `path` (found by walking `under`) inside a receipts folder? Such files are not XML sources."""
    try:
        parts = path.relative_to(under).parts[:-1]
    except ValueError:
        return False
    return is_receipts_folder(under) or any(part.casefold() == FOLDER for part in parts)


def receipt_files(folder: Path) -> Iterator[Path]:
    """The files of one receipts folder (and its subfolders), sorted, hidden ones skipped."""
    for child in sorted(folder.rglob("*")):
        if child.is_file() and not _hidden(child, folder):
            yield child


def expense_id(path: Path) -> str | None:
    """The expense source id a receipt file is named by (`00071.pdf` -> `71`), or None."""
    stem = path.name.split(".", 1)[0]
    if not stem.isascii() or not stem.isdigit():
        return None
    return stem.lstrip("0") or "0"


def read_receipt(path: Path, source_id: str) -> ReceiptFile:
    """Hash one receipt file; an unreadable file is a `SourceError` naming it."""
    try:
        size, sha256 = digest(path)
    except OSError as exc:
        raise SourceError(f"cannot read the receipt file: {exc.strerror or exc}", file=display_name(path)) from exc
    return ReceiptFile(source_id, path, display_name(path), size, sha256, content_type_of(path))


def duplicate_error(first: str, second: str, source_id: str) -> SourceError:
    """Two files for one expense: which one is its receipt only a person can say."""
    return SourceError(
        f"two receipt files for expense {source_id}: {first} and {second}; keep one",
        file=second,
        resource="expenses",
        record_id=source_id,
    )


def _receipts_owner(
    folder: Path, beside: set[str], exports: Mapping[str, SourceExport], forced: str | None
) -> SourceExport | None:
    """The export a receipts folder belongs to: the one system read, or the system of the files beside it."""
    if forced is not None or len(exports) == 1:
        return exports.get(forced) if forced is not None else next(iter(exports.values()))
    if len(beside) == 1:
        return exports[next(iter(beside))]
    shown = display_name(folder)
    if not beside:
        why = "no export files lie beside it"
    else:
        why = f"the files beside it are of both {' and '.join(sorted(beside))}"
    raise ConfigError(
        f"receipts folder {shown}: cannot tell which system its receipts belong to ({why}); put each "
        "system's receipts in a receipts folder beside that system's files, or pass --from"
    )


def attach_receipts(
    folders: list[Path],
    beside: dict[Path, set[str]],
    exports: Mapping[str, SourceExport],
    forced: str | None,
    keep_going: bool,
) -> None:
    """Hash every receipt file once and keep it on its system's export (see the module docstring)."""
    if not exports:
        return  # no export read: the caller says so
    for folder in folders:
        owner = _receipts_owner(folder, beside.get(folder.parent, set()), exports, forced)
        if owner is None:
            continue  # --from names a system none of the files is of: there are no expenses to attach to
        conflicted: set[str] = set()
        for path in receipt_files(folder):
            source_id = expense_id(path)
            if source_id is None:
                message = "not named by an expense id (like 1304.png): not uploaded"
                owner.warnings.append(SourceWarning(display_name(path), None, message))
                continue
            if source_id in conflicted:
                continue
            try:
                receipt = read_receipt(path, source_id)
                kept = owner.store.add_receipt(receipt)
                if kept is not None:
                    conflicted.add(source_id)
                    owner.store.drop_receipt(source_id)
                    raise duplicate_error(kept, receipt.shown, source_id)
            except SourceError as exc:
                if not keep_going:
                    raise
                owner.errors.append(exc)
    for export in exports.values():
        for receipt in export.store.receipts():
            if export.store.get("expenses", receipt.source_id) is None:
                message = f"a receipt for expense {receipt.source_id}, which is not in the source: not uploaded"
                export.warnings.append(
                    SourceWarning(receipt.shown, None, message, resource="expenses", record_id=receipt.source_id)
                )
