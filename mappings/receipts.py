"""An expense's receipt file in the plan, the same for every source system.

The receipt travels beside the payload (`Planned.receipt`), never inside it: the loader sends it
with the expense as a multipart request. A file over the receipt limit is planned `refused` (the
expense loads without it) and a lossy note names it; what a source says about receipts it has no
file for is each system's business (Harvest v1 has a `has-receipt` flag, FreshBooks none).
"""

from __future__ import annotations

from typing import Any

from migrator.harvest.receipts import over_limit
from migrator.planned import MapContext, MapSink
from migrator.sources.receipts import ReceiptFile

FIELD = "receipt"  # the field lossy notes about receipts are filed under


def planned_receipt(
    sink: MapSink, ctx: MapContext, kind: str, source_id: str, receipt: ReceiptFile | None
) -> dict[str, Any] | None:
    """The plan entry of an expense's receipt file (None without one); a refusal is noted."""
    if receipt is None:
        return None
    entry = receipt.as_dict()
    refused = over_limit(receipt.size, ctx.receipt_limit)
    if refused is not None:
        entry["refused"] = refused
        sink.notes(kind).note(
            source_id, FIELD, f"{receipt.shown}: {refused}: not uploaded; attach it in Harvest by hand", severity="data"
        )
    return entry
