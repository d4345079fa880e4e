"""Receipt files: named by the expense they belong to, their extension from the Content-Type.

`OUT/receipts/<expense source id>.<ext>` (docs/INTERFACE.md), the bytes as received. A receipt the API
cannot give (404, or an HTML page where a file belongs) is listed, never fatal: the expense still
says it had one, and the load keeps a lossy note naming it.
"""

from __future__ import annotations

import mimetypes

RECEIPTS_DIR = "receipts"
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/tiff": ".tif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "text/plain": ".txt",
}


def extension_for(media_type: str) -> str:
    """`.pdf` for `application/pdf`; `.bin` when the type says nothing useful."""
    known = _EXTENSIONS.get(media_type)
    if known:
        return known
    guessed = mimetypes.guess_extension(media_type) if media_type else None
    return guessed if guessed and guessed.isascii() and len(guessed) <= 6 else ".bin"


def receipt_stem(expense_id: str) -> str:
    return f"{RECEIPTS_DIR}/{expense_id}"


def why_missing(status: int, media_type: str, size: int) -> str | None:
    """Why an answer to a receipt request holds no receipt, or None when it does."""
    if status == 404:
        return "not found (404): the API has no file for it"
    if not 200 <= status < 300:
        return f"answered {status}"
    if media_type == "text/html" or media_type.endswith("xml"):
        return f"an {media_type.split('/')[-1].upper()} page, not a file"
    if size == 0:
        return "an empty answer, not a file"
    return None
