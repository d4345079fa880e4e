"""Invoices and estimates at load time: state events, line-item updates, and no email, ever.

A source invoice becomes a draft invoice plus separate planned objects for its history: a `send`
event, each payment (`send_thank_you: false`), a `close` event. Each has its own ledger row.
Events have no natural key in the target; they are idempotent by the parent's `state`: if the
invoice already shows what the event leads to, there is nothing to send.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

from migrator.errors import RejectedError
from migrator.kinds import REGISTRY

# event -> target states that show it has happened. "send" is behind us once the document is
# anything but a draft (an invoice paid or closed later was certainly sent first).
_APPLIED: dict[str, frozenset[str]] = {
    "send": frozenset({"open", "paid", "closed", "sent", "accepted", "declined"}),
    "close": frozenset({"closed"}),
    "re-open": frozenset({"open", "sent"}),
    "draft": frozenset({"draft"}),
    "accept": frozenset({"accepted"}),
    "decline": frozenset({"declined"}),
}


def event_applied(event: str, state: str | None) -> bool:
    """Does an invoice or estimate in `state` already show the effect of `event`?"""
    return state is not None and state in _APPLIED.get(event, frozenset())


def line_item_changes(current: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `line_items` of a PATCH that turns the target's lines into `wanted`, position by position.

    Why: in a PATCH, Harvest *adds* a line without `id`, updates a line with `id`, and deletes
    `{id, _destroy: true}`. Sending the new list as it is would append it to the old lines.
    """
    changes: list[dict[str, Any]] = []
    for old, new in zip_longest(current, wanted):
        if new is None:
            changes.append({"id": old["id"], "_destroy": True})
        elif old is None:
            changes.append(dict(new))
        else:
            changes.append({"id": old["id"], **new})
    return changes


def guard_no_email(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body to send, made safe: no request of ours may make Harvest send an email.

    Mappings already do this; the loader checks again because one slip emails a real client.
    """
    entry = REGISTRY[kind]
    if entry.no_email:
        return body | dict(entry.no_email)
    if entry.event and not body.get("event_type"):
        raise RejectedError(
            "refused to send: a message without event_type makes Harvest email the client; "
            "state changes must name their event_type"
        )
    return body
