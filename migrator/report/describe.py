"""A short human label for a planned object, by kind ("Acme Corp", "2012-10-30 1.5 h", "#1042")."""

from __future__ import annotations

from typing import Any


def describe(kind: str, payload: dict[str, Any]) -> str:
    """What a bookkeeper would call this object."""
    if not payload:
        return ""
    if kind in ("time_entries",):
        amount = payload.get("hours")
        amount_text = (
            f"{amount} h" if amount is not None else f"{payload.get('started_time')}–{payload.get('ended_time')}"
        )
        return f"{payload.get('spent_date', '')} {amount_text}"
    if kind == "expenses":
        return f"{payload.get('spent_date', '')} {payload.get('total_cost', payload.get('units', ''))}"
    if kind in ("invoices", "estimates"):
        count = len(payload.get("line_items") or [])
        return f"#{payload.get('number', '?')} ({count} line{'' if count == 1 else 's'})"
    if kind == "invoice_payments":
        return f"{payload.get('amount')} on {payload.get('paid_date') or payload.get('paid_at', '')}"
    if kind in ("invoice_messages", "estimate_messages"):
        return f"event {payload.get('event_type')}"
    if kind == "users":
        return f"{payload.get('first_name', '')} {payload.get('last_name', '')} <{payload.get('email', '')}>"
    if kind == "contacts":
        return f"{payload.get('first_name', '')} {payload.get('last_name') or ''}".strip()
    if kind == "reactivations":
        return "reactivate for the load"
    if kind == "archives":
        return "archive"
    if kind in ("user_assignments", "task_assignments"):
        other = payload.get("user_id", payload.get("task_id"))
        return f"{payload.get('project_id')} ← {other}"
    return str(payload.get("name", ""))
