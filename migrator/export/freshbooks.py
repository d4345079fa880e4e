"""FreshBooks Classic's export: every request a complete account needs (`../shared/research/freshbooks-classic.md`
§2–6, the order of §11).

Every request is a POST of `<request method="family.verb">` to the one endpoint
(`https://SYSTEM.freshbooks.com/api/2.1/xml-in`), HTTP Basic with the token as the user name.

1. `system.current` (the account) and `staff.current` (whose token this is) first: a token that is
   not the admin's (staff 1) is refused before anything is written. A staff token sees only what
   that person is assigned to, and no answer says so: an export with it would miss records.
2. Every list, paged and re-checked until it holds what it says (`pages`): staff, clients, tasks,
   projects, expense categories, taxes, items, time entries, expenses, estimates, invoices,
   recurring profiles and payments. Lists give active and archived records only, so each family
   that has folders (client, invoice, estimate, item, recurring, expense) is listed a second time
   with `<folder>deleted</folder>`.
3. Records a list gives as summaries (old accounts: an invoice, estimate or recurring profile
   without `<lines>`, a client without its address) are fetched whole with `.get`.
4. Every receipt: FreshBooks' expenses do not say whether they have one, so `receipt.get` is asked
   for each expense that is not deleted; an expense without one answers `status="fail"` with
   code 50010 (counted, not listed); anything else the API cannot give is listed, never fatal.

Time entries are paged like every list, without date windows: paging with its re-check is
complete on its own, and windows would only add a partial last page per window. A list that keeps
changing while it is read is re-read up to four times and the export says so (`pages`).
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from lxml import etree
from pydantic import SecretStr

from migrator.errors import ConfigError, ExportAccessError, ExportError, SourceError, SourceFailResponse
from migrator.export.base import Exporter, Identity, Kept, Peek
from migrator.export.base import whole_number as _safe
from migrator.export.check import describe, is_xml, snippet
from migrator.export.crawl import Crawl
from migrator.export.fetch import Fetched, Request
from migrator.export.pages import Accepted, Listing, ListingRun, request_body, some_ids
from migrator.export.receipts import extension_for, receipt_stem
from migrator.export.settings import Credentials
from migrator.sources.freshbooks.reader import FreshBooksReader
from migrator.sources.record import RawRecord

ENDPOINT = "/api/2.1/xml-in"
SYSTEM_CURRENT = Request("POST", "", body=request_body("system.current"), label="system.current")
STAFF_CURRENT = Request("POST", "", body=request_body("staff.current"), label="staff.current")
SYSTEM_FILE = "account/system.current.xml"
STAFF_FILE = "account/staff.current.xml"
ADMIN = "1"  # staff 1 is the account's admin (owner) in every body and doc example (research §6.2)
NOT_FOUND = "50010"  # "'client_id' not found. Client is deleted." and the like (research §5)
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _lines_missing(record: RawRecord) -> bool:
    return "lines" not in record.fields


def _not_marked_deleted(record: RawRecord) -> bool:
    return str(record.fields.get("folder") or "").strip().lower() != "deleted"


def _address_missing(record: RawRecord) -> bool:
    # The 2008-2009 client.list gave only id, organization, username, names and email (research §4).
    return not any(name.startswith("p_") for name in record.fields)


@dataclass(frozen=True)
class Family:
    """One FreshBooks resource family: how it is listed, fetched whole, and whether it has folders."""

    name: str  # `client`: `client.list`, `client.get`
    resource: str  # the reader's resource: `clients`
    where: str  # its folder in OUT
    folders: bool = False  # listed a second time with `<folder>deleted</folder>`
    summary: Callable[[RawRecord], bool] | None = None  # a list record that must be fetched whole

    def listing(self, folder: str | None = None) -> Listing:
        where = f"{self.where}/{folder}" if folder else self.where
        return Listing(f"{self.name}.list", self.resource, where, folder)

    def get(self, record_id: str) -> Request:
        body = request_body(f"{self.name}.get", [(f"{self.name}_id", record_id)])
        return Request("POST", "", body=body, label=f"{self.name}.get {record_id}")


# In the research's extraction order (§11); the biggest lists first, so their pages start early.
FAMILIES: tuple[Family, ...] = (
    Family("time_entry", "time_entries", "time_entries"),
    Family("expense", "expenses", "expenses", folders=True),
    Family("staff", "staff", "staff"),
    Family("client", "clients", "clients", folders=True, summary=_address_missing),
    Family("task", "tasks", "tasks"),
    Family("project", "projects", "projects"),
    Family("category", "categories", "categories"),
    Family("tax", "taxes", "taxes"),
    Family("item", "items", "items", folders=True),
    Family("estimate", "estimates", "estimates", folders=True, summary=_lines_missing),
    Family("invoice", "invoices", "invoices", folders=True, summary=_lines_missing),
    Family("recurring", "recurrings", "recurrings", folders=True, summary=_lines_missing),
    Family("payment", "payments", "payments"),
)
BY_RESOURCE = {family.resource: family for family in FAMILIES}


class StaffFacts:
    """`staff.current`: who the token belongs to."""

    def __init__(self) -> None:
        self.facts: dict[str, Any] = {}

    def add(self, record: RawRecord) -> None:
        if record.resource == "staff" and not self.facts:
            f = record.fields
            name = " ".join(str(part) for part in (f.get("first_name"), f.get("last_name")) if part)
            self.facts = {"staff_id": record.id, "name": name or f.get("username") or f.get("email") or ""}

    def result(self) -> dict[str, Any]:
        return self.facts


class NoFacts:
    """`system.current` holds no record (its company name is read from the body itself)."""

    def add(self, record: RawRecord) -> None:
        pass

    def result(self) -> dict[str, Any]:
        return {}


def company_name(body: bytes) -> str:
    """`<system><company_name>` of a `system.current` answer (already read whole by the hardened
    reader; parsed again here, as safely, for the one value no record carries)."""
    try:
        root = etree.fromstring(body, _SAFE)
    except etree.XMLSyntaxError:
        return ""
    for elem in root.iter():
        if isinstance(elem.tag, str) and etree.QName(elem).localname == "company_name":
            return " ".join((elem.text or "").split())
    return ""


class FreshBooksExporter(Exporter):
    """FreshBooks Classic (see the module docstring for the requests and their order)."""

    system: ClassVar[str] = "freshbooks"
    example_url: ClassVar[str] = "https://globex.freshbooks.com/api/2.1/xml-in"
    # FreshBooks documents no limit (system.current: "Legacy API request limit (not enforced)"). Two
    # requests a second is what a careful integration sends a shared service: a 100,000-entry account
    # (about 2,700 requests with its receipts) exports in under half an hour. `--rate` changes it.
    default_rate: ClassVar[str] = "2/1"
    headers: ClassVar[Mapping[str, str]] = {"Accept": "application/xml", "Content-Type": "application/xml"}
    kinds: ClassVar[Mapping[str, str]] = {
        "staff": "users",
        "categories": "expense_categories",
        "payments": "invoice_payments",
    }

    # --- credentials and identity --------------------------------------------------------------------

    def credentials(self, env: Mapping[str, str]) -> Credentials:
        """`FRESHBOOKS_TOKEN`: the account admin's API token (HTTP Basic, the token as user name)."""
        token = env.get("FRESHBOOKS_TOKEN", "").strip()
        if not token:
            raise ConfigError(
                "set FRESHBOOKS_TOKEN to the account admin's API token (FreshBooks: My Account › FreshBooks API), "
                "or use --sandbox"
            )
        return token_credentials(token)

    def sandbox_credentials(self, sandbox: Any) -> Credentials:
        return token_credentials(sandbox.token)

    def endpoint(self, url: str) -> str:
        """The API endpoint: the account's address alone (`https://globex.freshbooks.com`) gets
        FreshBooks' one API path; an address that has a path is taken as the endpoint itself."""
        return url + ENDPOINT if urlsplit(url).path in ("", "/") else url

    def identify(self, peek: Peek, credentials: Credentials) -> tuple[Identity, list[Kept]]:
        system = peek(SYSTEM_CURRENT, NoFacts)
        company = company_name(system.body)
        system.facts = {"company": company}
        staff = peek(STAFF_CURRENT, StaffFacts)
        facts = staff.facts
        if not facts:
            raise ExportError("the answer names no staff member (no <staff> body)", request=STAFF_CURRENT.shown)
        if facts["staff_id"] != ADMIN:
            named = f" ({facts['name']})" if facts["name"] else ""
            raise ExportAccessError(
                f"this token is staff {facts['staff_id']}'s{named}, not the admin's: an export with it would miss "
                "records (a staff token sees only what that person is assigned to); use the admin's token",
                request=STAFF_CURRENT.shown,
            )
        account = company or "the FreshBooks account"
        identity = Identity(account, company, f"{facts['name'] or 'the admin'} (staff {ADMIN}, the admin)")
        return identity, [(system, SYSTEM_FILE), (staff, STAFF_FILE)]

    # --- the crawl ----------------------------------------------------------------------------------

    def crawl(self, crawl: Crawl) -> None:
        crawl.get(SYSTEM_CURRENT, SYSTEM_FILE, collect=NoFacts, counted=False)
        crawl.get(STAFF_CURRENT, STAFF_FILE, collect=StaffFacts, counted=False)
        for family in FAMILIES:
            listed = functools.partial(self._listed, crawl, family)
            crawl.spawn(ListingRun(crawl, family.listing(), listed, follow=family.summary).start)
            if family.folders:
                deleted = functools.partial(self._deleted_listed, crawl)
                crawl.spawn(ListingRun(crawl, family.listing("deleted"), deleted, follow=_not_marked_deleted).start)

    def _listed(self, crawl: Crawl, family: Family, accepted: Accepted) -> None:
        """After a list (active and archived) is settled: its summaries fetched whole, its receipts."""
        for record_id in accepted.picked:
            crawl.spawn(self._whole, crawl, family, record_id)
        if family.resource == "expenses" and crawl.receipts:
            for expense_id in accepted.ids:
                crawl.spawn(self._receipt, crawl, expense_id)

    def _deleted_listed(self, crawl: Crawl, accepted: Accepted) -> None:
        """A record of the deleted folder that does not say so would be planned as an active one."""
        if accepted.picked:
            crawl.notice(
                f"{accepted.listing.name}: {some_ids(accepted.picked)} listed without <folder>deleted</folder>: "
                "a plan takes them for active records"
            )

    def _whole(self, crawl: Crawl, family: Family, record_id: str) -> None:
        got = crawl.get(
            family.get(_safe(record_id)),
            f"{family.where}/get/{record_id}.xml",
            counted=False,  # the list counted it already
            fails=frozenset({NOT_FOUND}),
        )
        if got.fail is not None:
            crawl.notice(
                f"{family.name} {record_id} was listed as a summary, then {family.name}.get answered code "
                f"{got.fail['code']} ({got.fail['error']}): its list summary is all the export has"
            )

    def _receipt(self, crawl: Crawl, expense_id: str) -> None:
        request = Request(
            "POST",
            "",
            body=request_body("receipt.get", [("expense_id", _safe(expense_id))]),
            accept="*/*",
            label=f"receipt.get {expense_id}",
        )
        crawl.get_file(
            request,
            receipt_stem(expense_id),
            extension_for,
            allow=frozenset({404}),
            about={"expense": expense_id},
            judge=judge_receipt,
        )

    # --- error answers ------------------------------------------------------------------------------

    def explain(self, fetched: Fetched) -> ExportError:
        status, request = fetched.status, fetched.request.shown
        if status == 401:
            return ExportAccessError(
                f"the token was refused ({snippet(fetched.head) or 'unauthorized'}): check FRESHBOOKS_TOKEN "
                "(the account admin's API token, FreshBooks: My Account › FreshBooks API)",
                request=request,
                status=status,
            )
        if status == 403:
            return ExportAccessError(
                "forbidden: this token may not use the API; the account admin's token is needed",
                request=request,
                status=status,
            )
        if 300 <= status < 400:
            location = fetched.headers.get("location", "")
            where = urlsplit(location)
            if "loginsearch" in where.path.lower():
                what = "to FreshBooks' login search page: no FreshBooks system answers at this address"
            else:
                what = f"to {where.scheme}://{where.netloc}" if where.netloc else "to another page"
            return ExportError(
                f"redirected {what}; check --url / FRESHBOOKS_URL (e.g. {self.example_url})",
                request=request,
                status=status,
            )
        if 200 <= status < 300:
            return ExportError(
                f"{describe(fetched, 'where XML belongs')}: not FreshBooks' API; check --url / FRESHBOOKS_URL "
                f"(e.g. {self.example_url})",
                request=request,
                status=status,
            )
        if status == 404:
            return ExportError(
                f"not found ({describe(fetched)}): not FreshBooks' API; check --url / FRESHBOOKS_URL "
                f"(e.g. {self.example_url})",
                request=request,
                status=status,
            )
        if status in (429, 503):
            return ExportError(
                "still throttled after every wait the server asked for; run again later (it resumes)",
                request=request,
                status=status,
            )
        if status >= 500:
            return ExportError(
                f"the server kept failing ({describe(fetched)}); run again later (it resumes)",
                request=request,
                status=status,
            )
        return ExportError(describe(fetched), request=request, status=status)


def judge_receipt(fetched: Fetched) -> dict[str, str]:
    """What a `receipt.get` answer that is a page, not a file, says: `none` for an expense without
    a receipt (`status="fail"`, code 50010), `why` for anything else the API could not give."""
    if not is_xml(fetched.media_type) or fetched.temp is None:
        return {}
    try:
        FreshBooksReader().read(fetched.temp, lambda _record: None, lambda _notice: None)
    except SourceFailResponse as failed:
        said = f"code {failed.code}: {failed.text}"
        if failed.code == NOT_FOUND:
            return {"none": said}
        return {"why": f'FreshBooks answered status="fail": {said}'}
    except SourceError as refused:
        return {"why": f"an XML answer that cannot be read ({refused.message})"}
    return {"why": "an XML answer, not a file"}


def token_credentials(token: str) -> Credentials:
    """HTTP Basic with the token as the user name and `X` as the password (FreshBooks' convention)."""
    pair = f"{token}:X"
    encoded = base64.b64encode(pair.encode()).decode("ascii")
    return Credentials(
        (("Authorization", SecretStr(f"Basic {encoded}")),),
        (SecretStr(token), SecretStr(encoded), SecretStr(pair)),
        "an API token (HTTP Basic)",
        noun="token",
    )
