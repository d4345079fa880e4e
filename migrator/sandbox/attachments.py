"""An expense's receipt, as Harvest keeps one: sent as the `receipt` file of a multipart POST or
PATCH, removed by `delete_receipt`, shown as `receipt {url, file_name, file_size, content_type}`
(null without one) and served at that url to the account's token.

One file per request (two `receipt` files, or a `receipt` sent as text, is a 422), and none over
the sandbox's receipt limit: 422 "Receipt file size must be at most …", the expense untouched (the
request is refused whole, as any other 422). The bytes live in the store's `receipts` table.
"""

from __future__ import annotations

from typing import Any

from migrator.harvest.receipts import size_text
from migrator.sandbox.multipart import FilePart, Form
from migrator.sandbox.schema import FILE_FIELDS
from migrator.sandbox.store import Raw, SandboxError, Store


def upload_of(kind: str, form: Form, limit: int) -> FilePart | None:
    """The one receipt file a multipart body carries for `kind` (None without one), checked."""
    field = FILE_FIELDS.get(kind)
    if field is None:
        return None  # like any parameter the endpoint does not know: ignored
    if field in form.texts:
        raise SandboxError(422, "Receipt must be a file")
    parts = [part for part in form.files if part.name == field]
    if len(parts) > 1:
        raise SandboxError(422, "Only one receipt can be attached to an expense")
    if not parts:
        return None
    part = parts[0]
    if part.too_large:
        raise SandboxError(422, f"Receipt file size must be at most {size_text(limit)}")
    return part


def meta(part: FilePart) -> Raw:
    """What the expense keeps of its receipt (the bytes go to the `receipts` table)."""
    return {
        "file_name": part.file_name,
        "file_size": part.size,
        "content_type": part.content_type,
        "sha256": part.sha256,
    }


def store_upload(store: Store, expense_id: int, part: FilePart) -> None:
    """Keep the file's bytes for the expense (inside the request's transaction)."""
    assert part.data is not None
    store.put_receipt(expense_id, meta(part), part.data, part.size)


def view(store: Store, raw: Raw) -> dict[str, Any] | None:
    """`receipt` as the API shows it."""
    kept = raw.get("receipt")
    if not kept:
        return None
    return {
        "url": f"{store.base_url}/expenses/{raw['id']}/receipt",
        "file_name": kept["file_name"],
        "file_size": kept["file_size"],
        "content_type": kept["content_type"],
    }
