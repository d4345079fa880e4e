"""Harvest v1 clients and client contacts -> v2 `clients` and `contacts`."""

from __future__ import annotations

from typing import Any

from migrator.errors import UnknownCurrency
from migrator.harvest.models import is_email_address
from migrator.lossy import KindNotes, Reason
from migrator.mappings.harvest_v1.context import V1Mapping
from migrator.mappings.harvest_v1.currency import resolve
from migrator.mappings.harvest_v1.lossy import show
from migrator.planned import Ref
from migrator.sources.harvest_v1.records import Client, Contact

CLIENT_ONCE = {"currency_symbol": Reason("v2 derives the currency symbol from the ISO currency code", "cosmetic")}
CLIENT_WHY = {
    "highrise_id": "the Highrise link has no Harvest v2 field",
    "default_invoice_timeframe": "v2 clients have no default invoice timeframe",
    "last_invoice_kind": "v2 clients do not remember the last invoice kind",
}


def normalise_text(value: str | None) -> tuple[str | None, bool]:
    """Line breaks as LF (v1 `details` hold CR LF; an XML parser only folds literal ones)."""
    if value is None:
        return None, False
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return text, text != value


def currency_code(
    display: str | None, notes: KindNotes, source_id: str, *, allow_successor: bool
) -> tuple[str | None, str | None]:
    """(ISO code or None, reason the record is invalid or None), with the lossy notes written.

    A display name reduced to its code is noted once per distinct name; a withdrawn code is
    replaced only when `allow_successor` (a client's setting may move, an amount's currency may not).
    """
    if display is None:
        return None, None
    try:
        resolved = resolve(display)
    except UnknownCurrency as exc:
        notes.note(source_id, "currency", f"not migrated: {exc}", severity="data")
        return None, f"field 'currency': {exc}"
    if resolved.replaced is not None:
        if not allow_successor:
            note = (
                f"{display!r} is the withdrawn code {resolved.replaced}; Harvest v2 cannot hold amounts in it "
                f"and converting them to {resolved.code} would change the money"
            )
            notes.note(source_id, "currency", f"not migrated: {note}", severity="data")
            return None, f"field 'currency': {note}"
        notes.note(
            source_id,
            "currency",
            f"{display!r} is the withdrawn code {resolved.replaced}; sent its successor {resolved.code}",
            severity="data",
        )
    elif display.strip() != resolved.code:
        notes.once(
            "currency",
            f"v1 display name {display!r} sent as its ISO code {resolved.code!r}",
            key=display,
            severity="cosmetic",
        )
    return resolved.code, None


def map_clients(m: V1Mapping) -> None:
    """Plan one v2 client per v1 client; `details` becomes the address."""
    notes = m.notes("clients")
    for client in m.records("clients", "clients", Client):
        address, changed = normalise_text(client.details)
        if changed:
            notes.note(
                client.id, "details", f"line breaks CR LF normalised to LF: {show(client.details)}", severity="cosmetic"
            )
        code, invalid = currency_code(client.currency, notes, client.id, allow_successor=True)
        data: dict[str, Any] = {"name": client.name, "is_active": client.active, "address": address, "currency": code}
        notes.dropped(client, used={"name", "active", "details", "currency"}, once=CLIENT_ONCE, why=CLIENT_WHY)
        if invalid:
            m.sink.invalid("clients", client.id, client.origin, invalid, data=data)
        else:
            m.sink.emit("clients", client.id, data, client.origin)


def map_contacts(m: V1Mapping) -> None:
    """Plan one v2 contact per v1 contact (v1 writes unset fields as empty strings: sent as absent)."""
    notes = m.notes("contacts")
    fields = ("title", "first_name", "last_name", "email", "phone_office", "phone_mobile", "fax")
    for contact in m.records("contacts", "contacts", Contact):
        data: dict[str, Any] = {"client_id": str(Ref("clients", contact.client_id)) if contact.client_id else None}
        data.update({name: getattr(contact, name) for name in fields})
        if data["email"] and not is_email_address(data["email"]):
            notes.note(
                contact.id,
                "email",
                f"{show(data['email'])} is not an e-mail address: left out (v2 refuses it)",
                severity="data",
            )
            data["email"] = None
        notes.dropped(contact, used={"client_id", *fields})
        m.sink.emit("contacts", contact.id, data, contact.origin)
