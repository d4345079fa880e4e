"""An expense's receipt in the load: when it must be uploaded, what the ledger records, and how an
upload whose outcome is unknown is settled without uploading twice.

The plan entry's `receipt` (what the source has) is compared with the ledger row's `receipt` (what
the target holds, see `migrator.load.ledger`): an expense created in this plan takes its receipt in
its own multipart POST; one already in the target gets it by one multipart PATCH when it is new,
changed, refused before, or in doubt; an unchanged one costs nothing. A receipt is never deleted
because a newer export has no file for it (an export made with `--no-receipts` says nothing about
receipts), and an adopted expense that holds a receipt of its own keeps it.

An upload in doubt (timeout, 5xx, dropped connection, kill -9) is settled by the expense as the
target shows it: its `receipt.file_size` and `file_name` equal to the intent's mean it arrived,
unless the receipt held before had that same size and name too; then the bytes tell (streamed from
the receipt's url and hashed). Only when neither can tell is the file sent again (a PATCH sets the
same receipt, so the target ends right either way, at the cost of one upload).

The functions decide; `ReceiptUploads` does the loader's receipt requests on expenses that are in
the target (a new expense's receipt goes in its own POST, in `loader.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from migrator.errors import HarvestError, ReceiptChangedError, RejectedError, TransientError
from migrator.harvest.multipart import ReceiptUpload
from migrator.harvest.receipts import refused_receipt, size_text
from migrator.kinds import REGISTRY
from migrator.load.ledger import Ledger, LedgerRow
from migrator.plan.planstore import PlanEntry


def sendable(planned: dict[str, Any] | None) -> dict[str, Any] | None:
    """The planned receipt if it is to be sent at all (present, not refused before sending)."""
    return planned if planned and not planned.get("refused") else None


def _same_file(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("sha256") is not None and a.get("sha256") == b.get("sha256")


def needs_upload(planned: dict[str, Any] | None, held: dict[str, Any] | None) -> bool:
    """Must the planned receipt be sent to an expense the target already holds (`held`: the ledger's receipt)?"""
    wanted = sendable(planned)
    if wanted is None or (held is not None and held.get("state") == "kept"):
        return False
    return not (held is not None and held.get("state") == "done" and _same_file(held, wanted))


def describe(receipt: dict[str, Any] | None) -> str | None:
    """`1304.png (1 KB)`: how a plan's diff shows a receipt (None: none)."""
    if not receipt or receipt.get("sha256") is None and receipt.get("state") != "kept":
        return None
    return f"{receipt.get('file_name')} ({size_text(int(receipt.get('size') or 0))})"


def _confirmed(held: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the target is known to hold, from a ledger receipt (its `held` while another upload is in doubt)."""
    if held is None:
        return None
    if held.get("state") in ("done", "kept"):
        return {key: held.get(key) for key in ("sha256", "size", "file_name", "state")}
    return held.get("held")  # type: ignore[no-any-return]


def record(planned: dict[str, Any], state: str, *, held: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The ledger's receipt for `planned` in `state` (pending and rejected keep what the target held)."""
    entry = {"sha256": planned["sha256"], "size": planned["size"], "file_name": planned["file_name"], "state": state}
    if state in ("pending", "rejected"):
        entry["held"] = _confirmed(held)
    return entry | extra


def kept(obj_receipt: dict[str, Any]) -> dict[str, Any]:
    """An adopted expense's own receipt, left as it is."""
    return {"sha256": None, "size": obj_receipt.get("file_size"), "file_name": obj_receipt.get("file_name"),
            "state": "kept"}  # fmt: skip


def matches(obj_receipt: dict[str, Any] | None, receipt: dict[str, Any]) -> bool:
    """Does the target's receipt have the size and file name of `receipt`?"""
    return bool(obj_receipt) and (
        obj_receipt.get("file_size") == receipt.get("size")  # type: ignore[union-attr]
        and obj_receipt.get("file_name") == receipt.get("file_name")  # type: ignore[union-attr]
    )


def arrived(client: Any, obj: dict[str, Any], intent: dict[str, Any]) -> bool | None:
    """Did the upload in doubt (`intent`, the ledger's pending receipt) reach the expense `obj`?

    True or False when the target says; None when it cannot tell (same size and name as the receipt
    held before, and its bytes cannot be read from here)."""
    shown = obj.get("receipt")
    if not matches(shown, intent):
        return False
    before = intent.get("held")
    if before is None or not matches(shown, before):
        return True  # the target held no receipt of this size and name before: this one is ours
    try:
        size, sha256 = client.receipt_digest(str(shown.get("url")))  # type: ignore[union-attr]
    except HarvestError:
        return None
    return size == intent.get("size") and sha256 == intent.get("sha256")


def _key(entry: PlanEntry) -> tuple[str, str, str]:
    return entry.planned.origin.system, entry.planned.kind, entry.planned.source_id


class ReceiptUploads:
    """The loader's receipt work on expenses that are in the target: settle an upload in doubt, and
    upload (one multipart PATCH, intent first). Thread-safe as the ledger and the client are."""

    def __init__(
        self, client: Any, ledger: Ledger, batch: str, log: Callable[[PlanEntry, str, int | None, str], None]
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.batch = batch
        self._log = log

    def settle(
        self, entry: PlanEntry, v2_id: int, obj: dict[str, Any] | None, *, ours: bool
    ) -> tuple[str | None, str]:
        """Make an expense that is in the target (found again, or adopted) hold its planned receipt.

        `obj`: the expense as the target shows it. Returns (why it does not, "rejected" or "pending"),
        or (None, "") when it does, or has no receipt to hold."""
        planned = entry.planned.receipt
        if planned is None:
            return None, ""
        key = _key(entry)
        row = self.ledger.get(*key)
        held = row.receipt if row is not None else None
        if planned.get("refused"):
            refusal = record(planned, "rejected", held=held, error=planned["refused"])
            self.ledger.record_receipt(*key, refusal, batch=self.batch)
            return str(planned["refused"]), "rejected"
        shown = (obj or {}).get("receipt")
        if held is not None and held.get("state") == "pending" and obj is not None:
            if arrived(self.client, obj, held):  # an upload of ours whose answer was lost
                held = record(held, "done")
                self._log(entry, "reconciled", v2_id, f"its receipt {held['file_name']} had arrived")
                self.ledger.record_receipt(*key, held, batch=self.batch)
                if not needs_upload(planned, held):
                    return None, ""
        elif shown and matches(shown, planned):
            self.ledger.record_receipt(*key, record(planned, "done"), batch=self.batch)
            return None, ""
        elif shown and not ours:
            self.ledger.record_receipt(*key, kept(shown), batch=self.batch)  # adopted: never overwritten
            return None, ""
        return self.upload(entry, v2_id, {}, held)

    def due(self, entry: PlanEntry, row: LedgerRow | None, path: str) -> bool:
        """Must this update send the expense's receipt? An upload in doubt is settled first (one GET)."""
        planned = sendable(entry.planned.receipt) if REGISTRY[entry.planned.kind].receipts else None
        held = row.receipt if row is not None else None
        if planned is None or not needs_upload(planned, held):
            return False
        if held is not None and held.get("state") == "pending":
            verdict = arrived(self.client, self.client.get(path), held)
            if verdict:
                done = record(held, "done")
                self._log(entry, "reconciled", entry.target_id, f"its receipt {held.get('file_name')} had arrived")
                self.ledger.record_receipt(*_key(entry), done, batch=self.batch)
                return needs_upload(planned, done)
            if verdict is None:
                self._log(entry, "reconciled", entry.target_id, "cannot tell whether its receipt arrived: sent again")
        return True

    def upload(
        self, entry: PlanEntry, v2_id: int, body: dict[str, Any], held: dict[str, Any] | None
    ) -> tuple[str | None, str]:
        """One multipart PATCH of `body` and the planned receipt, intent first: (None, "done") when it
        arrived, else (why, "rejected") or (why, "pending") when its outcome is unknown."""
        planned = entry.planned.receipt
        assert planned is not None
        key = _key(entry)
        self.ledger.record_receipt(*key, record(planned, "pending", held=held), batch=self.batch)
        path = REGISTRY[entry.planned.kind].item_path({}, v2_id)
        try:
            _obj, sent = self.client.upload("PATCH", path, body, ReceiptUpload.planned(planned))
        except ReceiptChangedError as exc:
            self.ledger.record_receipt(*key, record(planned, "rejected", held=held, error=exc.message),
                                       batch=self.batch)  # fmt: skip
            return exc.message, "rejected"
        except RejectedError as exc:
            if body and not refused_receipt(exc):
                raise  # the fields were refused: the record's update is rejected (the receipt stays in doubt)
            message = f"Harvest refused it: {exc.message}"
            self.ledger.record_receipt(*key, record(planned, "rejected", held=held, error=message),
                                       batch=self.batch)  # fmt: skip
            return message, "rejected"
        except TransientError as exc:
            return f"receipt upload not confirmed ({exc.message}); the next run checks the target", "pending"
        self.ledger.record_receipt(*key, record(planned, "done", sha256=sent or planned["sha256"]),
                                   batch=self.batch)  # fmt: skip
        return None, "done"
