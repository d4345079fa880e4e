"""`multipart/form-data` request bodies, read as a stream: what Harvest takes to attach a receipt.

The body is read from the socket in 64 KiB blocks and never held whole: text fields are kept (up to
`FIELD_LIMIT` each), a file part goes to a temporary file on disk while its size and sha256 are
counted. A file past the size limit is drained to the end of its part but not kept (`too_large`), so
the connection stays usable and the route can answer Harvest's refusal. Headers of a part are read
with the standard library's `email` parser (quoted and RFC 2231 `filename*` names); the boundary
search keeps the last `len(delimiter)` bytes of each block, so a boundary split across two reads is
still found.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from email.message import Message
from typing import IO, Any, Protocol

from migrator.sandbox.store import SandboxError

BLOCK = 1 << 16
FIELD_LIMIT = 1 << 20  # bytes of one text field
HEADER_LIMIT = 16 << 10  # bytes of one part's headers
MAX_PARTS = 1000


@dataclass
class FilePart:
    """One uploaded file: its field name, file name, type, size, sha256, and its bytes on disk."""

    name: str
    file_name: str
    content_type: str
    size: int = 0
    sha256: str = ""
    too_large: bool = False
    data: IO[bytes] | None = None  # at position 0 once read; None when too large (nothing kept)

    def close(self) -> None:
        if self.data is not None:
            self.data.close()
            self.data = None


@dataclass
class Form:
    """A parsed `multipart/form-data` body: text fields (the last value of a repeated name) and files."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)
    texts: set[str] = field(default_factory=set)  # names sent as text parts

    def close(self) -> None:
        for part in self.files:
            part.close()


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "multipart/form-data"


def _params(header: str, value: str) -> Message:
    message = Message()
    message[header] = value
    return message


def boundary_of(content_type: str) -> bytes:
    """The boundary of a `multipart/form-data; boundary=…` header (a 400 when missing or absurd)."""
    boundary = _params("content-type", content_type).get_param("boundary", header="content-type")
    if not isinstance(boundary, str) or not 1 <= len(boundary) <= 70:
        raise SandboxError(400, "The multipart/form-data body has no valid boundary")
    return boundary.encode("latin-1", "replace")


class Readable(Protocol):
    """Where a body is read from: a request's socket file, or any binary file."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Body:
    """At most `length` bytes of `stream`, with a look-ahead buffer."""

    def __init__(self, stream: Readable, length: int) -> None:
        self.stream = stream
        self.left = length
        self.buffer = b""

    def fill(self) -> bool:
        """Read one more block into the buffer; False at the end of the body."""
        if self.left <= 0:
            return False
        block = self.stream.read(min(BLOCK, self.left))
        if not block:
            self.left = 0
            return False
        self.left -= len(block)
        self.buffer += block
        return True

    def until(self, marker: bytes, limit: int) -> bytes:
        """The bytes before `marker` (consumed with it); a 400 past `limit` bytes or at the end."""
        while (found := self.buffer.find(marker)) < 0:
            if len(self.buffer) > limit or not self.fill():
                raise SandboxError(400, "The multipart/form-data body is malformed or truncated")
        head, self.buffer = self.buffer[:found], self.buffer[found + len(marker) :]
        return head

    def drain(self) -> None:
        while self.fill():
            self.buffer = b""


def _part_headers(raw: bytes) -> tuple[str, str | None, str]:
    """(field name, file name or None, content type) from a part's header block."""
    headers: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    disposition = _params("content-disposition", headers.get("content-disposition", ""))
    field = disposition.get_param("name", header="content-disposition")
    if disposition.get_content_disposition() != "form-data" or not isinstance(field, str):
        raise SandboxError(400, "A multipart part has no Content-Disposition: form-data; name=…")
    return field, disposition.get_filename(), headers.get("content-type", "application/octet-stream")


def read_form(stream: Readable, length: int, content_type: str, *, file_limit: int) -> Form:
    """Parse a `multipart/form-data` body of `length` bytes from `stream` (see the module docstring).

    The whole body is always consumed, so the connection can carry the answer and the next request.
    """
    body = _Body(stream, length)
    form = Form()
    try:
        delimiter = b"--" + boundary_of(content_type)
        body.until(delimiter, HEADER_LIMIT)  # the preamble
        separator = b"\r\n" + delimiter
        for _ in range(MAX_PARTS):
            while len(body.buffer) < 2 and body.fill():
                pass
            if body.buffer.startswith(b"--"):
                break  # the closing delimiter
            body.until(b"\r\n", HEADER_LIMIT)
            name, file_name, part_type = _part_headers(body.until(b"\r\n\r\n", HEADER_LIMIT))
            if file_name is None:
                value = body.until(separator, FIELD_LIMIT)
                form.fields[name] = value.decode("utf-8", "replace")
                form.texts.add(name)
            else:
                part = FilePart(name, file_name, part_type)
                form.files.append(part)
                _read_file(body, separator, part, file_limit)
        else:
            raise SandboxError(400, f"The multipart/form-data body has more than {MAX_PARTS} parts")
    except BaseException:
        form.close()
        body.drain()
        raise
    body.drain()  # the epilogue
    return form


def _read_file(body: _Body, separator: bytes, part: FilePart, limit: int) -> None:
    """Stream one file part to a temporary file, hashing it, up to the separator that ends it."""
    hasher = hashlib.sha256()
    sink: Any = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the part, which closes it)
    keep = len(separator) - 1  # bytes that may be the start of a separator split across reads
    while True:
        found = body.buffer.find(separator)
        if found >= 0:
            chunk, body.buffer = body.buffer[:found], body.buffer[found + len(separator) :]
        else:
            cut = max(0, len(body.buffer) - keep)
            chunk, body.buffer = body.buffer[:cut], body.buffer[cut:]
        part.size += len(chunk)
        if part.size > limit:
            part.too_large = True
        if not part.too_large:
            sink.write(chunk)
            hasher.update(chunk)
        if found >= 0:
            break
        if not body.fill():
            sink.close()
            raise SandboxError(400, "The multipart/form-data body is malformed or truncated")
    if part.too_large:
        sink.close()
        return
    sink.seek(0)
    part.data = sink
    part.sha256 = hasher.hexdigest()
