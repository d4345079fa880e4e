"""A `multipart/form-data` request body streamed from disk: an expense's fields and its receipt file.

Harvest takes a receipt only in a multipart request, and takes every other field of that request as
text: `project_id` "12", `billable` "true"/"false", decimals as written ("12.50", never "1.25E+1"),
dates "2013-03-08", a cleared field as empty text. The file is read in 1 MiB blocks as the request
is sent, so a 50 MB receipt costs 1 MiB of memory; the length is known in advance (Content-Length,
no chunked encoding) and every iteration opens the file afresh, so the client's retry (a 429) sends
it whole again. While it streams, the bytes are hashed: `sent` is what the target really received,
and a file that changed size since it was planned stops the request (`ReceiptChangedError`) before
its end, so the target never keeps a truncated receipt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from migrator import jsonio
from migrator.errors import ReceiptChangedError

BLOCK = 1 << 20


@dataclass(frozen=True)
class ReceiptUpload:
    """A receipt file to send: where it is, the name and type it is sent with, what the plan measured."""

    path: Path
    file_name: str
    content_type: str
    size: int
    sha256: str
    shown: str = ""  # how reports name the file

    @classmethod
    def planned(cls, receipt: Mapping[str, Any]) -> ReceiptUpload:
        """From a plan entry's `receipt` (`ReceiptFile.as_dict()`)."""
        return cls(
            Path(receipt["path"]),
            str(receipt["file_name"]),
            str(receipt["content_type"]),
            int(receipt["size"]),
            str(receipt["sha256"]),
            str(receipt.get("file") or receipt["path"]),
        )

    def check(self) -> None:
        """Refuse (ReceiptChangedError) when the file is gone or its size changed since it was planned."""
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise ReceiptChangedError(f"the receipt file cannot be read any more: {exc.strerror or exc}",
                                      file=self.shown) from exc  # fmt: skip
        if size != self.size:
            raise ReceiptChangedError(
                f"the receipt file changed since it was planned ({self.size:,} bytes, now {size:,}): plan again",
                file=self.shown,
            )


def form_text(value: Any) -> str:
    """A field's value as multipart text, the way Harvest reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return jsonio.decimal_text(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _quoted(text: str) -> str:
    # As browsers write form-data names (WHATWG): the three characters that would end the header escaped.
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """`fields` as text parts plus, with `upload`, the file as the `file_field` part (iterate to send)."""

    def __init__(self, fields: Mapping[str, Any], upload: ReceiptUpload | None, *, file_field: str = "receipt") -> None:
        self.boundary = secrets.token_hex(16)
        self.upload = upload
        self._head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode()
            + form_text(value).encode()
            + b"\r\n"
            for name, value in fields.items()
        )
        if upload is not None:
            self._head += (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quoted(file_field)}"; '
                f'filename="{_quoted(upload.file_name)}"\r\nContent-Type: {upload.content_type}\r\n\r\n'
            ).encode()
        self._tail = (b"\r\n" if upload is not None else b"") + f"--{self.boundary}--\r\n".encode()
        self.sent: str | None = None  # sha256 of the file bytes of the last complete iteration

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def length(self) -> int:
        return len(self._head) + (self.upload.size if self.upload is not None else 0) + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        if self.upload is not None:
            yield from self._file(self.upload)
        yield self._tail

    def _file(self, upload: ReceiptUpload) -> Iterator[bytes]:
        hasher, left = hashlib.sha256(), upload.size
        try:
            handle = upload.path.open("rb")
        except OSError as exc:
            message = f"the receipt file cannot be read: {exc.strerror or exc}"
            raise ReceiptChangedError(message, file=upload.shown) from exc
        with handle:
            while left:
                block = handle.read(min(BLOCK, left))
                if not block:
                    break
                left -= len(block)
                hasher.update(block)
                yield block
            if left or handle.read(1):
                # Raised inside the request: the body ends short of its Content-Length and the target drops it.
                message = "the receipt file changed size while it was sent: plan again"
                raise ReceiptChangedError(message, file=upload.shown)
        self.sent = hasher.hexdigest()
