"""FreshBooks clients -> v2 clients, plus v2 contacts for the client's own person and each contact.

Name: the organization, else "First Last", else the e-mail (the rule used is reported). Address:
the primary p_* fields joined on lines. The secondary address, VAT, phones, notes, language and
credits have no place on a v2 client and are reported as lossy.
"""

from __future__ import annotations

from migrator.errors import SourceError
from migrator.harvest.models import is_email_address
from migrator.mappings.freshbooks.common import notes_of, skipped_as_deleted, unreadable
from migrator.planned import MapContext, MapSink, Ref
from migrator.sources.export import SourceExport
from migrator.sources.freshbooks.records import Client, Contact

MAPPED = {
    "first_name",
    "last_name",
    "organization",
    "email",
    "work_phone",
    "mobile",
    "fax",
    "currency_code",
    "p_street1",
    "p_street2",
    "p_city",
    "p_state",
    "p_country",
    "p_code",
    "contacts",
    "folder",
}


def address(client: Client) -> str | None:
    city_line = " ".join(part for part in (client.p_city, client.p_state, client.p_code) if part)
    lines = [line for line in (client.p_street1, client.p_street2, city_line, client.p_country) if line]
    return "\n".join(lines) or None


def client_name(client: Client, sink: MapSink) -> str | None:
    if client.organization:
        return client.organization
    person = " ".join(part for part in (client.first_name, client.last_name) if part)
    if person:
        notes_of(sink, "clients").note(
            client.id, "organization", f"empty: the v2 client is named after its person {person!r}", severity="data"
        )
        return person
    if client.email:
        notes_of(sink, "clients").note(
            client.id, "organization", f"empty and no name: the v2 client is named {client.email!r}", severity="data"
        )
        return client.email
    return None


def _contact(
    sink: MapSink,
    client: Client,
    source_id: str,
    first: str | None,
    last: str | None,
    email: str | None,
    office: str | None,
    mobile: str | None,
    fax: str | None = None,
) -> None:
    if not (first or last or email):
        return
    if not first:
        first = (email or "").split("@")[0] or last
        notes_of(sink, "contacts").note(
            source_id, "first_name", f"empty: taken from the e-mail/last name as {first!r}", severity="data"
        )
    if email and not is_email_address(email):
        shown = repr(email[:60] + ("…" if len(email) > 60 else ""))  # a hostile value can be megabytes
        notes_of(sink, "contacts").note(
            source_id, "email", f"{shown} is not an e-mail address: left out (v2 refuses it)", severity="data"
        )
        email = None
    data = {
        "client_id": str(Ref("clients", client.id)),
        "first_name": first,
        "last_name": last,
        "email": email,
        "phone_office": office,
        "phone_mobile": mobile,
        "fax": fax,
    }
    sink.emit("contacts", source_id, data, client.origin)


def map_clients(export: SourceExport, sink: MapSink, ctx: MapContext) -> set[str]:
    """Plan the clients and their contacts; return the ids of archived clients (their projects end archived)."""
    archived: set[str] = set()
    for client in export.typed("clients"):
        if isinstance(client, SourceError):
            unreadable(export, sink, ctx, "clients", client)
            continue
        assert isinstance(client, Client)
        if skipped_as_deleted(sink, ctx, "clients", client):
            continue
        name = client_name(client, sink)
        if name is None:
            sink.invalid("clients", client.id, client.origin, "no organization, name or e-mail to name the client")
            continue
        data = {
            "name": name,
            "address": address(client),
            "currency": (client.currency_code or "").upper() or None,
            "is_active": client.folder != "archived",
        }
        sink.emit("clients", client.id, data, client.origin)
        if client.folder == "archived":
            archived.add(client.id)
        if client.home_phone:
            notes_of(sink, "clients").note(
                client.id, "home_phone", f"no v2 field for {client.home_phone!r}", severity="data"
            )
        _contact(
            sink,
            client,
            f"{client.id}:0",
            client.first_name,
            client.last_name,
            client.email,
            client.work_phone,
            client.mobile,
            client.fax,
        )
        for contact in client.contacts or []:
            assert isinstance(contact, Contact)
            if contact.contact_id in (None, "0"):
                continue
            _contact(
                sink,
                client,
                f"{client.id}:{contact.contact_id}",
                contact.first_name,
                contact.last_name,
                contact.email,
                contact.phone1,
                contact.phone2,
            )
        notes_of(sink, "clients").dropped(client, used=MAPPED | {"home_phone"})
    return archived
