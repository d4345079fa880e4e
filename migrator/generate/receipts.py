"""Receipt files for generated accounts: small valid PNG, PDF and JPEG files, and one large PDF.

Every file is built byte by byte from its text and a seeded random stream, so the same seed gives
the same bytes on any machine (PNG data is stored, not compressed: zlib versions may compress
differently). Each is a valid file of its type (an image viewer opens it), with the expense's
receipt text inside: the PNG in a tEXt chunk, the JPEG in a comment segment, the PDF on its page.
The large file is a PDF with one stream of random bytes, written in blocks (flat memory at any size).
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = ("png", "pdf", "jpg")
_BLOCK = 1 << 20


@dataclass(frozen=True)
class WrittenReceipt:
    """A receipt file the generator wrote: where, how big, and its sha256 (what the target must hold)."""

    file: str  # its name inside OUT/receipts
    size: int
    sha256: str


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(text: str, rng: random.Random, width: int = 24, height: int = 12) -> bytes:
    """An RGB PNG of random colour bands, `text` in a tEXt chunk."""
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(3)) * width for _ in range(height))
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            _chunk(b"tEXt", b"Comment\x00" + text.encode("latin-1", "replace")),
            _chunk(b"IDAT", zlib.compress(rows, 0)),
            _chunk(b"IEND", b""),
        )
    )


def _bits(value: int, size: int) -> str:
    """The JPEG magnitude bits of a DC difference (negative values one's complement)."""
    if size == 0:
        return ""
    return format(value if value >= 0 else value + (1 << size) - 1, f"0{size}b")


def jpeg(text: str, rng: random.Random) -> bytes:
    """A baseline 8x8 grey JPEG of a random shade, `text` in a comment segment.

    One block, quantisation 1, and Huffman tables of one code each (the DC size, and end-of-block).
    """
    shade = rng.randrange(16, 240)
    dc = 8 * (shade - 128)  # the block's only coefficient: 8 x the level-shifted mean
    size = abs(dc).bit_length()
    scan = "0" + _bits(dc, size) + "0"  # DC: code '0', its bits; AC: end of block, code '0'
    scan += "1" * (-len(scan) % 8)
    data = int(scan, 2).to_bytes(len(scan) // 8, "big").replace(b"\xff", b"\xff\x00")

    def segment(marker: int, body: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body

    one_code = bytes([1] + [0] * 15)
    return b"".join(
        (
            b"\xff\xd8",
            segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            segment(0xFE, text.encode("latin-1", "replace")),
            segment(0xDB, b"\x00" + b"\x01" * 64),
            segment(0xC0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"),
            segment(0xC4, b"\x00" + one_code + bytes([size])),
            segment(0xC4, b"\x10" + one_code + b"\x00"),
            segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
            data,
            b"\xff\xd9",
        )
    )


def _pdf_parts(text: str, stream_size: int, rng: random.Random) -> Iterator[bytes]:
    """A one-page PDF showing `text`; with `stream_size`, one more object holding that many random bytes."""
    safe = text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT /F1 14 Tf 40 100 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    offset, offsets = 0, []

    def emit(part: bytes) -> bytes:
        nonlocal offset
        offset += len(part)
        return part

    yield emit(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(offset)
        yield emit(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    if stream_size:
        offsets.append(offset)
        yield emit(b"%d 0 obj\n<< /Length %d >>\nstream\n" % (len(objects) + 1, stream_size))
        left = stream_size
        while left:
            block = rng.randbytes(min(_BLOCK, left))
            left -= len(block)
            yield emit(block)
        yield emit(b"\nendstream\nendobj\n")
    xref = offset
    rows = b"".join(b"%010d 00000 n \n" % at for at in offsets)
    yield b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1) + rows
    yield b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref)


def pdf(text: str, rng: random.Random, padding: int = 0) -> bytes:
    """A small one-page PDF showing `text` (plus `padding` random bytes in an unused stream)."""
    return b"".join(_pdf_parts(text, padding, rng))


def write_receipt(
    folder: Path, name: str, kind: str, text: str, rng: random.Random, *, size: int = 0
) -> WrittenReceipt:
    """Write one receipt file `folder/name`; `size` > 0 makes a PDF of about that many bytes, in blocks."""
    folder.mkdir(parents=True, exist_ok=True)
    hasher, written = hashlib.sha256(), 0
    if size:
        parts: Iterator[bytes] = _pdf_parts(text, max(0, size - 700), rng)
    else:
        parts = iter((png(text, rng) if kind == "png" else jpeg(text, rng) if kind == "jpg" else pdf(text, rng),))
    with (folder / name).open("wb") as handle:
        for part in parts:
            handle.write(part)
            hasher.update(part)
            written += len(part)
    return WrittenReceipt(name, written, hasher.hexdigest())


LARGE_RECEIPT = 2 * 1024 * 1024  # the one large receipt of a generated account, by default (bytes)
MISSING_SHARE = 0.15  # Harvest v1 expenses that say `has-receipt` but whose file the export lacks


class ReceiptWriter:
    """Writes the receipts of one generated export into `OUT/receipts/` and tells `expected` which
    expense holds which file (size, sha256), or which one says it has a receipt without a file.

    Its own random stream decides, so receipts never shift the rest of the account. Every trap is
    there at any size: the first receipt is the large one, the next three a PNG, a JPEG and a small
    PDF (then the kind is drawn), and the second expense that may lack its file does."""

    def __init__(self, out_dir: Path, rng: random.Random, expected: Any, system: str, *, large: int) -> None:
        self.folder = out_dir / "receipts"
        self.rng = rng
        self.expected = expected
        self.system = system
        self.large = large
        self.calls = 0
        self.written = 0

    def chance(self, share: float) -> bool:
        """A draw of this writer's stream (FreshBooks has no flag: the writer decides who has a receipt)."""
        return self.rng.random() < share

    def add(self, expense_id: int, text: str, *, missing_share: float = 0.0) -> bool:
        """The expense's receipt file, written (True); or, with `missing_share`, sometimes none (False)."""
        name = f"{self.system}:expenses:{expense_id}"
        self.calls += 1
        if missing_share and (self.calls == 2 or self.rng.random() < missing_share):
            self.expected.missing_receipts.add(name)
            return False
        kind = ("png", "jpg", "pdf")[self.written - 1] if 1 <= self.written <= 3 else self.rng.choice(KINDS)
        size, self.large = self.large, 0
        self.written += 1
        file_name = f"{expense_id}.{'pdf' if size else kind}"
        written = write_receipt(self.folder, file_name, kind, text, self.rng, size=size)
        self.expected.receipts[name] = written
        return True
