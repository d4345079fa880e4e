"""Read a set of files and folders into merged, per-system source exports.

File names and layout do not matter: each file is routed by its root element to the reader of its
source system. Non-XML files are skipped with a notice; a bad file is an error that names it, and
stops the read unless `keep_going` is set, in which case it is listed and the rest is read.
Folders named `receipts` hold receipt files, not responses: they are attached to the expenses of
the system whose files lie beside them (`migrator.sources.receipts`).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from migrator.errors import ConfigError, SourceError, SourceParseError
from migrator.export import MANIFEST_NAME
from migrator.sources.gcmode import bulk_gc
from migrator.sources.receipts import ReceiptFile, attach_receipts, in_receipts_folder, receipt_folders
from migrator.sources.record import (
    FileReport,
    RawRecord,
    SourceReader,
    SourceRecord,
    SourceWarning,
)
from migrator.sources.staging import StagingStore
from migrator.sources.typer import RecordTyper
from migrator.sources.xmlsafe import Head, XmlStream, display_name, sniff_head
from migrator.systems import SYSTEMS

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass
class SourceExport:
    """Everything read from one source system: merged records, per-file reports, errors, warnings."""

    system: str
    reader: SourceReader
    store: StagingStore
    files: list[FileReport] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    warnings: list[SourceWarning] = field(default_factory=list)
    _typers: dict[str, RecordTyper] = field(default_factory=dict, repr=False)

    def typer(self, resource: str) -> RecordTyper:
        """The typer of `resource`'s model (one per export, built on first use)."""
        typer = self._typers.get(resource)
        if typer is None:
            typer = self._typers[resource] = RecordTyper(self.reader.models[resource], self.system)
        return typer

    def typed(self, resource: str) -> Iterator[SourceRecord | SourceError]:
        """Each merged record of `resource` as its typed model, or the error that prevented it."""
        typer = self.typer(resource)
        for record_id, _parent, _detail, _updated, file, line, fields in self.store.rows(resource):
            try:
                yield typer(record_id, fields, file, line)
            except SourceError as exc:
                yield exc

    def _typed_or_none(self, raw: RawRecord) -> SourceRecord | None:
        try:
            return self.typer(raw.resource)(raw.id, raw.fields, raw.file, raw.line)
        except SourceError:
            return None

    def get(self, resource: str, record_id: str) -> SourceRecord | None:
        """One typed record by id (None if absent or invalid)."""
        raw = self.store.get(resource, record_id)
        return None if raw is None else self._typed_or_none(raw)

    def children(self, resource: str, parent: str) -> list[SourceRecord]:
        """Typed records of `resource` grouped under `parent` (invalid ones left out)."""
        typed = (self._typed_or_none(raw) for raw in self.store.children(resource, parent))
        return [record for record in typed if record is not None]

    def receipt(self, source_id: str) -> ReceiptFile | None:
        """The receipt file found for the expense with this source id, if any."""
        return self.store.receipt(source_id)

    @property
    def record_count(self) -> int:
        return self.store.count()

    def close(self) -> None:
        self.store.close()


def iter_files(paths: Iterable[Path], *, receipts: bool = False) -> Iterator[Path]:
    """Every file under `paths` (files as given, folders walked recursively, sorted, hidden skipped).

    Files inside a folder named `receipts` are receipts, not responses: left out unless `receipts`."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and (receipts or not in_receipts_folder(child, path)):
                    yield child
        elif path.exists():
            yield path
        else:
            raise ConfigError(f"source not found: {path}")


def looks_like_xml(path: Path) -> bool:
    """True if the first non-blank character (after any byte-order mark) is `<`, however much
    whitespace comes first."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
            for bom in _BOMS:
                if head.startswith(bom):
                    if bom != codecs.BOM_UTF8:
                        return True  # UTF-16: let the parser decide
                    head = head[len(bom) :]
                    break
            if head[:2] in (b"<\x00", b"\x00<"):
                return True  # UTF-16 without a byte-order mark
            while head and not head.strip():
                head = handle.read(65536)
    except OSError:
        return False
    return head.lstrip()[:1] == b"<"


def _readers() -> list[SourceReader]:
    # Loaded here, not at import, so that `migrator.sources` stays importable while a reader is broken.
    return [system.load_reader() for system in SYSTEMS.values()]


def read_exports(
    paths: Sequence[Path],
    *,
    system: str | None = None,
    keep_going: bool = False,
) -> list[SourceExport]:
    """Read every file under `paths`; one `SourceExport` per source system found.

    Raises the first `SourceError` unless `keep_going`, in which case errors are collected on the
    export of the file's system (or on the first export when the system is unknown).
    """
    with bulk_gc():
        return _read_exports(paths, system=system, keep_going=keep_going)


def _read_exports(
    paths: Sequence[Path],
    *,
    system: str | None = None,
    keep_going: bool = False,
) -> list[SourceExport]:
    """The body of `read_exports`, run with the collector in bulk mode."""
    readers = {reader.system: reader for reader in _readers()}
    if system is not None and system not in readers:
        raise ConfigError(f"--from must be one of {', '.join(sorted(readers))}; got {system!r}")
    exports: dict[str, SourceExport] = {}
    orphans: list[SourceError] = []
    notices: list[SourceWarning] = []
    folders = receipt_folders(paths)
    beside: dict[Path, set[str]] = {folder.parent: set() for folder in folders}  # folder's parent -> systems

    def export_for(name: str) -> SourceExport:
        if name not in exports:
            exports[name] = SourceExport(name, readers[name], StagingStore())
        return exports[name]

    for path in iter_files(paths):
        report = FileReport(display_name(path))
        if not looks_like_xml(path):
            if path.suffix.lower() == ".xml":
                error: SourceError = SourceParseError(
                    "not an XML document (empty or binary content)", file=display_name(path), line=1
                )
                if not keep_going:
                    _close_all(exports)
                    raise error
                orphans.append(error)
            elif path.name != MANIFEST_NAME:  # `migrator export`'s manifest: part of every export, not news
                notices.append(SourceWarning(display_name(path), None, "skipped: not an XML file"))
            continue
        head = sniff_head(path)
        name = system or _detect(readers, head)
        if name is None:
            error = _unknown_root_error(path, head)
            if not keep_going:
                _close_all(exports)
                raise error
            orphans.append(error)
            continue
        export = export_for(name)
        report.system = name
        export.files.append(report)
        if beside:
            for parent in path.parents:
                if parent in beside:
                    beside[parent].add(name)

        def emit(record: RawRecord, _report: FileReport = report, _export: SourceExport = export) -> None:
            _report.records += 1
            _report.resources.add(record.resource)
            _export.store.add(record)

        try:
            export.reader.read(path, emit, export.warnings.append)
        except SourceError as exc:
            report.error = exc
            if not keep_going:
                _close_all(exports)
                raise
            export.errors.append(exc)
            # A file listed under errors contributes nothing, not the records before its error.
            export.reader.discard(report.path)
            if export.store.discard(report.path):
                message = f"none of its {report.records} records were used: the file has an error (see errors)"
                export.warnings.append(SourceWarning(report.path, exc.line, message))
            report.records = 0
            report.resources.clear()
    result = list(exports.values())
    try:
        attach_receipts(folders, beside, exports, system, keep_going)
    except BaseException:
        _close_all(exports)
        raise
    for export in result:
        export.warnings.extend(export.store.warnings)
        late = export.reader.finish()
        if late and not keep_going:
            _close_all(exports)
            raise late[0]
        export.errors.extend(late)
    if result:
        result[0].errors.extend(orphans)
        result[0].warnings.extend(notices)
    elif orphans or notices:
        raise orphans[0] if orphans else ConfigError("no XML export files found in the given sources")
    else:
        raise ConfigError("no XML export files found in the given sources")
    return result


def _detect(readers: dict[str, SourceReader], head: Head | None) -> str | None:
    if head is None:
        return None
    for name, reader in readers.items():
        if reader.claims_head(head):
            return name
    return None


def _unknown_root_error(path: Path, head: Head | None) -> SourceError:
    if head is None:
        # Let the parser say precisely what is wrong and where.
        try:
            for _ in XmlStream(path).events():
                pass
        except SourceError as exc:
            return exc
        return SourceParseError("could not read the root element", file=display_name(path), line=1)
    labels = " or ".join(system.label for system in SYSTEMS.values())
    return SourceParseError(
        f"unknown root element <{head.root}>: not a {labels} response "
        "(use --from to force the system if this is a known export)",
        file=display_name(path),
        line=head.line,
    )


def _close_all(exports: dict[str, SourceExport]) -> None:
    for export in exports.values():
        export.close()
