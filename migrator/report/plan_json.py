"""`plan --format json`: exactly the shape in docs/INTERFACE.md (plus `reason` and `warnings`).

Written change by change, straight from the plan store: each change's payload is the JSON the
mapping stored (one line), never parsed and encoded again, so a plan of a million changes is
written in seconds and never held in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from migrator import jsonio
from migrator.plan.planstore import uploads

_quote = jsonio._quote
# What a change shows of its receipt file (the path the loader opens is the plan's business).
_RECEIPT_FIELDS = ("file", "size", "sha256", "content_type")


def _value(value: Any) -> str:
    return "null" if value is None else jsonio.dumps(value)


def change_text(entry: Any, indent: str = "    ") -> str:
    """One change as indented JSON (its payload and diff on one line each)."""
    planned = entry.planned
    payload = planned.payload_text if hasattr(planned, "payload_text") else jsonio.dumps(planned.payload)
    origin = planned.origin
    inner = indent + "  "
    fields: tuple[tuple[str, str], ...] = (
        ("system", _quote(origin.system)),
        ("kind", _quote(planned.kind)),
        ("action", _quote(entry.action)),
        ("source_id", _quote(planned.source_id)),
        ("origin", f'{{"file": {_quote(origin.file)}, "line": {_value(origin.line)}}}'),
        ("target_id", _value(entry.target_id)),
        ("payload", payload),
        ("diff", _value(entry.diff)),
        ("reason", _value(entry.reason)),
    )
    receipt = getattr(planned, "receipt", None)
    if receipt:
        shown = {name: receipt[name] for name in _RECEIPT_FIELDS}
        shown["upload"] = not receipt.get("refused") and uploads(entry.action, entry.diff)
        if receipt.get("refused"):
            shown["refused"] = receipt["refused"]
        fields += (("receipt", jsonio.dumps(shown)),)
    body = ",\n".join(f'{inner}"{name}": {text}' for name, text in fields)
    return f"{{\n{body}\n{indent}}}"


def _tail(report: Any) -> dict[str, Any]:
    from migrator.plan.orphans import planned_action
    from migrator.report.plan_signoff import invitations

    return {
        "invitations": [invitation.as_dict() for invitation in invitations(report)],
        "errors": report.errors,
        "warnings": report.warnings,
        "orphaned": [orphan.as_dict() | {"action": planned_action(orphan, report.prune)} for orphan in report.orphans],
    }


def write_plan_json(report: Any, write: Callable[[str], Any]) -> None:
    """The plan as indented JSON (decimals exact), written change by change through `write`."""
    head = {"source": report.source, "summary": report.summary(), "receipts": report.store.receipts()}
    parts = [
        f"{_quote(name)}: {jsonio.dumps(value, indent=2).replace(chr(10), chr(10) + '  ')}"
        for name, value in head.items()
    ]
    write("{\n  " + ",\n  ".join(parts) + ',\n  "changes": [')
    first = True
    for entry in report.plan.entries:
        write(("\n    " if first else ",\n    ") + change_text(entry))
        first = False
    write("]" if first else "\n  ]")
    write(',\n  "lossy": [')
    first = True
    for note in report.iter_lossy():
        write(("\n    " if first else ",\n    ") + jsonio.dumps(note.as_dict()))
        first = False
    write("]" if first else "\n  ]")
    for name, value in _tail(report).items():
        write(f",\n  {_quote(name)}: {jsonio.dumps(value, indent=2).replace(chr(10), chr(10) + '  ')}")
    write("\n}\n")
