"""What Harvest v2 takes as an expense's receipt, and how migrator speaks of receipt sizes.

The size limit. Harvest documents none that we could find: the API reference and the OpenAPI
description (`receipt`: "A receipt file to attach to the expense. If including a receipt, you must
submit a multipart/form-data request") say nothing about size, and Harvest's help article on
expenses (support.getharvest.com, "How to track expenses", section "Uploading a receipt") lists the
file types it takes (.png, .gif, .pdf, .jpg, .jpeg) but no size. So the limit is our decision:

- `RECEIPT_LIMIT` = 100 MB. A receipt over it is refused *before* sending (plan and run say so, a
  lossy note names the file, the expense still loads without it): it saves a pointless upload of
  something no receipt should be. The limit is generous on purpose: refusing a file Harvest would
  have taken loses it for the accountant, while sending one Harvest refuses costs one request and
  ends the same way, because
- Harvest's own refusal is recognised too: a 413, or a 422 whose message names the receipt, on a
  request carrying a receipt rejects that receipt only (`refused_receipt`): the expense is created
  without it (or left as it was) and the refusal, in Harvest's words, goes to the report.
- `--receipt-limit` changes it (e.g. `--receipt-limit 10MB` if Harvest tells you its limit).

Sizes are binary: 1 MB here is 1,048,576 bytes, as file managers show them.
"""

from __future__ import annotations

import re

from migrator.errors import ConfigError, RejectedError

KB = 1024
MB = KB * KB
GB = KB * MB
RECEIPT_LIMIT = 100 * MB
_UNITS = {"": 1, "B": 1, "K": KB, "KB": KB, "KIB": KB, "M": MB, "MB": MB, "MIB": MB, "G": GB, "GB": GB, "GIB": GB}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(text: str) -> int:
    """`100MB`, `512 KB`, `2.5MB` or a number of bytes -> bytes (`ConfigError` naming the option)."""
    found = _SIZE.match(text)
    unit = found.group(2).upper() if found else ""
    if not found or unit not in _UNITS:
        raise ConfigError(f"--receipt-limit must be a size like 100MB, 512KB or 2000000 (bytes); got {text!r}")
    size = int(float(found.group(1)) * _UNITS[unit])
    if size < 1:
        raise ConfigError(f"--receipt-limit must be at least 1 byte; got {text!r}")
    return size


def size_text(size: int) -> str:
    """`39,410 bytes`, `38.5 KB`, `52.4 MB`: how reports show a size."""
    if size < KB:
        return f"{size:,} bytes"
    for unit, factor in (("GB", GB), ("MB", MB), ("KB", KB)):
        if size >= factor:
            value = size / factor
            return f"{value:,.1f} {unit}".replace(".0 ", " ")
    return f"{size:,} bytes"  # pragma: no cover - every size >= KB matched above


def over_limit(size: int, limit: int) -> str | None:
    """Why a receipt of `size` bytes is not sent, or None when it may be."""
    if size <= limit:
        return None
    return f"{size_text(size)} is over the {size_text(limit)} receipt limit (--receipt-limit)"


def refused_receipt(exc: RejectedError) -> bool:
    """Did Harvest refuse a request because of its receipt (too large, a type it does not take)?"""
    return exc.status == 413 or "receipt" in (exc.message or "").lower()
