"""Harvest v1's export: every request a complete account needs (`../shared/research/harvest-v1.md` §5–6).

1. `GET /account/who_am_i` first: credentials that are not an administrator's are refused before
   anything is written (a non-admin sees only their own projects and time: records would be
   missing, and nothing would say so).
2. The unpaged lists: `/people`, `/clients`, `/contacts`, `/tasks`, `/expense_categories`,
   `/invoice_item_categories`, `/projects` (active and archived alike).
3. Per project its `user_assignments` and `task_assignments`, and its day entries in
   `/projects/{id}/entries?from=YYYYMMDD&to=YYYYMMDD` windows (`windows`: the whole range, the
   `hint-*` dates only size the windows); per person their expenses in windows likewise
   (`/people/{id}/expenses`), and each receipt where `has-receipt` is true.
4. `/invoices?page=N` to a short or empty page, then again until a pass finds no invoice the
   earlier ones had not (invoices move between pages while the account changes); then every
   invoice's own body (`/invoices/{id}`, the only one with `csv-line-items`), its payments and
   its messages. List pages only find ids: they are kept under `.paging/`, where source readers
   never look, so an invoice deleted mid-export is not migrated from a stale summary.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import SecretStr

from migrator.errors import ConfigError, ExportAccessError, ExportError
from migrator.export import PAGING_DIR
from migrator.export.base import Exporter, Identity, Kept, Peek
from migrator.export.base import whole_number as _safe
from migrator.export.check import describe, snippet
from migrator.export.crawl import Crawl
from migrator.export.fetch import Fetched, Request
from migrator.export.receipts import extension_for, receipt_stem
from migrator.export.settings import Credentials
from migrator.export.windows import CEILING, FLOOR, cover, stretch, ymd
from migrator.sources.coerce import to_bool, to_date
from migrator.sources.record import RawRecord

WHO_AM_I = Request("GET", "/account/who_am_i")
WHO_AM_I_FILE = "account/who_am_i.xml"
LISTS = (
    ("/clients", "clients.xml"),
    ("/contacts", "contacts.xml"),
    ("/tasks", "tasks.xml"),
    ("/expense_categories", "expense_categories.xml"),
    ("/invoice_item_categories", "invoice_item_categories.xml"),
)
MAX_PASSES = 4  # over the invoice pages: the first, and up to three re-checks
ENTRY_WINDOW_DAYS = 31  # the first window of a project's entries (then sized to what came back)
EXPENSE_WINDOW_DAYS = 365  # expenses are sparse: a person's first window spans a year


def _date(value: Any) -> str | None:
    try:
        day = to_date(value)
    except ValueError:
        return None
    return day.isoformat() if day is not None else None


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _maybe(value: Any) -> bool | None:
    try:
        return to_bool(value)
    except ValueError:
        return None


def _flag(value: Any) -> bool:
    try:
        return to_bool(value) is True
    except ValueError:
        return False


# --- facts drawn from answers (journaled with them, so a resume needs no file read) ---------------


class AccountFacts:
    """`who_am_i`: the account and the user the credentials belong to."""

    def __init__(self) -> None:
        self.facts: dict[str, Any] = {}

    def add(self, record: RawRecord) -> None:
        if record.resource == "account":
            f = record.fields
            name = " ".join(str(part) for part in (f.get("user_first_name"), f.get("user_last_name")) if part)
            self.facts = {
                "user_id": f.get("user_id"),
                "user": name or f.get("user_email") or "someone",
                "admin": _maybe(f.get("user_admin")),
                "company": f.get("company_name") or "",
                "base_uri": f.get("base_uri") or "",
            }

    def result(self) -> dict[str, Any]:
        return self.facts


class PeopleFacts:
    """`/people`: each person's id and the day their record was created (where their expenses start)."""

    def __init__(self) -> None:
        self.people: list[list[Any]] = []

    def add(self, record: RawRecord) -> None:
        if record.resource == "users":
            self.people.append([record.id, _date(record.fields.get("created_at"))])

    def result(self) -> dict[str, Any]:
        return {"people": self.people}


class ProjectFacts:
    """`/projects`: each project's id, its `hint-*` dates and its creation (where its entries start)."""

    def __init__(self) -> None:
        self.projects: list[list[Any]] = []

    def add(self, record: RawRecord) -> None:
        if record.resource == "projects":
            f = record.fields
            starts = [day for day in (_date(f.get("created_at")), _date(f.get("starts_on"))) if day]
            self.projects.append(
                [
                    record.id,
                    _date(f.get("hint_earliest_record_at")),
                    _date(f.get("hint_latest_record_at")),
                    min(starts) if starts else None,
                ]
            )

    def result(self) -> dict[str, Any]:
        return {"projects": self.projects}


class InvoiceIds:
    """An invoice list page: the ids on it, in order."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def add(self, record: RawRecord) -> None:
        if record.resource == "invoices":
            self.ids.append(record.id)

    def result(self) -> dict[str, Any]:
        return {"ids": self.ids}


class ReceiptIds:
    """An expense window: the expenses that say they have a receipt."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def add(self, record: RawRecord) -> None:
        if record.resource == "expenses" and _flag(record.fields.get("has_receipt")):
            self.ids.append(record.id)

    def result(self) -> dict[str, Any]:
        return {"receipts": self.ids}


# --- the exporter -----------------------------------------------------------------------------------


class HarvestV1Exporter(Exporter):
    """Harvest v1 (see the module docstring for the requests and their order)."""

    system: ClassVar[str] = "harvest-v1"
    example_url: ClassVar[str] = "https://acme.harvestapp.com"
    default_rate: ClassVar[str] = "100/15"  # Harvest's limit: 100 requests per 15 seconds
    # The research (§5): "Send Accept *and* Content-Type: application/xml"; without Accept v1 answers HTML.
    headers: ClassVar[Mapping[str, str]] = {"Accept": "application/xml", "Content-Type": "application/xml"}
    kinds: ClassVar[Mapping[str, str]] = {"day_entries": "time_entries", "payments": "invoice_payments"}
    date_range: ClassVar[tuple[dt.date, dt.date]] = (FLOOR, CEILING)  # every day entries and expenses may carry

    # --- credentials and identity --------------------------------------------------------------------

    def credentials(self, env: Mapping[str, str]) -> Credentials:
        """`HARVEST_V1_TOKEN` (OAuth2 bearer), or `HARVEST_V1_EMAIL` + `HARVEST_V1_PASSWORD` (HTTP Basic)."""
        token = env.get("HARVEST_V1_TOKEN", "").strip()
        email = env.get("HARVEST_V1_EMAIL", "").strip()
        password = env.get("HARVEST_V1_PASSWORD", "")
        if token and (email or password):
            raise ConfigError("set HARVEST_V1_TOKEN, or HARVEST_V1_EMAIL and HARVEST_V1_PASSWORD, not both")
        if token:
            return bearer(token)
        if email and password:
            return basic(email, password)
        if email or password:
            missing = "HARVEST_V1_PASSWORD" if email else "HARVEST_V1_EMAIL"
            raise ConfigError(f"set {missing} too (HTTP Basic needs an administrator's email and password)")
        raise ConfigError(
            "set HARVEST_V1_EMAIL and HARVEST_V1_PASSWORD (an administrator's login), or HARVEST_V1_TOKEN "
            "(an administrator's OAuth2 token), or use --sandbox"
        )

    def sandbox_credentials(self, sandbox: Any) -> Credentials:
        return basic(sandbox.email, sandbox.password)

    def identify(self, peek: Peek, credentials: Credentials) -> tuple[Identity, list[Kept]]:
        peeked = peek(WHO_AM_I, AccountFacts)
        facts = peeked.facts
        if not facts:
            raise ExportError("the answer names no account and no user (no <hash> body)", request=WHO_AM_I.shown)
        user = f"{facts['user']} (user {facts['user_id']})"
        if facts["admin"] is None:
            raise ExportAccessError(
                f"the answer does not say whether {user} is an administrator: an export with a "
                "non-administrator's credentials would miss records, so none is made",
                request=WHO_AM_I.shown,
            )
        if not facts["admin"]:
            raise ExportAccessError(
                f"this {credentials.noun} is {user}'s, not an administrator's: an export with it would miss records",
                request=WHO_AM_I.shown,
            )
        account = f"{facts['company']} ({facts['base_uri']})" if facts["base_uri"] else facts["company"] or "?"
        return Identity(account, facts["base_uri"] or facts["company"], user), [(peeked, WHO_AM_I_FILE)]

    # --- the crawl ----------------------------------------------------------------------------------

    def crawl(self, crawl: Crawl) -> None:
        crawl.get(WHO_AM_I, WHO_AM_I_FILE, collect=AccountFacts, counted=False)
        for path, file in LISTS:
            crawl.spawn(crawl.get, Request("GET", path), file)
        crawl.spawn(self._projects_and_people, crawl)
        crawl.spawn(self._invoices, crawl)

    def _projects_and_people(self, crawl: Crawl) -> None:
        projects = crawl.get(Request("GET", "/projects"), "projects.xml", collect=ProjectFacts).facts.get(
            "projects", []
        )
        people = crawl.get(Request("GET", "/people"), "people.xml", collect=PeopleFacts).facts.get("people", [])
        for project_id, earliest, latest, start in projects:
            base = f"/projects/{_safe(project_id)}"
            for child in ("user_assignments", "task_assignments"):
                crawl.spawn(crawl.get, Request("GET", f"{base}/{child}"), f"projects/{project_id}/{child}.xml")
            crawl.spawn(self._entries, crawl, project_id, earliest, latest, start)
        # People have no hints; the projects' hints, taken together, say when the account has records.
        hinted = [
            (earliest, latest)
            for _id, earliest, latest, _start in projects
            if earliest and latest and earliest <= latest
        ]
        span = (min(low for low, _ in hinted), max(high for _, high in hinted)) if hinted else (None, None)
        for person_id, start in people:
            crawl.spawn(self._expenses, crawl, person_id, start, *span)

    def _entries(
        self, crawl: Crawl, project_id: str, earliest: str | None, latest: str | None, start: str | None
    ) -> None:
        def fetch(low: dt.date, high: dt.date) -> int:
            window = (("from", ymd(low)), ("to", ymd(high)))
            request = Request("GET", f"/projects/{_safe(project_id)}/entries", window)
            got = crawl.get(request, f"projects/{project_id}/entries/{ymd(low)}-{ymd(high)}.xml")
            return sum(got.records.values())

        low, high = stretch(_day(earliest), _day(latest), _day(start), _day(crawl.today))  # type: ignore[arg-type]
        cover(fetch, low, high, first_days=ENTRY_WINDOW_DAYS)

    def _expenses(
        self, crawl: Crawl, person_id: str, start: str | None, earliest: str | None, latest: str | None
    ) -> None:
        receipts: list[str] = []

        def fetch(low: dt.date, high: dt.date) -> int:
            window = (("from", ymd(low)), ("to", ymd(high)))
            request = Request("GET", f"/people/{_safe(person_id)}/expenses", window)
            got = crawl.get(request, f"people/{person_id}/expenses/{ymd(low)}-{ymd(high)}.xml", collect=ReceiptIds)
            receipts.extend(got.facts.get("receipts", []))
            return sum(got.records.values())

        low, high = stretch(_day(earliest), _day(latest), _day(start), _day(crawl.today))  # type: ignore[arg-type]
        cover(fetch, low, high, first_days=EXPENSE_WINDOW_DAYS)
        if crawl.receipts:
            for expense_id in receipts:
                crawl.spawn(self._receipt, crawl, expense_id)

    def _receipt(self, crawl: Crawl, expense_id: str) -> None:
        request = Request("GET", f"/expenses/{_safe(expense_id)}/receipt", accept="*/*")
        crawl.get_file(
            request, receipt_stem(expense_id), extension_for, allow=frozenset({404}), about={"expense": expense_id}
        )

    def _invoices(self, crawl: Crawl) -> None:
        known: set[str] = set()
        last: set[str] = set()
        for number in range(1, MAX_PASSES + 1):
            last = self._invoice_pass(crawl, number)
            new = last - known
            known |= last
            if number > 1 and not new:
                break
        else:
            crawl.notice(
                f"the invoice list kept changing while it was read: each of {MAX_PASSES} passes over its "
                "pages found invoices the passes before had not; every invoice any pass listed is exported"
            )
        for invoice_id in sorted(known, key=int):
            crawl.spawn(self._invoice, crawl, invoice_id, invoice_id in last)

    def _invoice_pass(self, crawl: Crawl, number: int) -> set[str]:
        """One pass over `/invoices?page=N` to a short or empty page (v1 gives 50 a page; the size is
        learnt from the pages, not assumed): the ids it found."""
        found: set[str] = set()
        largest, page, previous = 0, 1, None
        label = f"pass {number}" if number > 1 else None
        while True:
            request = Request("GET", "/invoices", (("page", str(page)),), label=label)
            file = f"{PAGING_DIR}/invoices/pass-{number}/page-{page:04d}.xml"
            ids = crawl.get(request, file, collect=InvoiceIds, counted=False).facts.get("ids", [])
            if ids and ids == previous:
                raise ExportError(
                    f"page {page} repeats page {page - 1}: the server ignores ?page=", request=request.shown
                )
            found.update(ids)
            if not ids or len(ids) < largest:
                return found
            largest, page, previous = max(largest, len(ids)), page + 1, ids

    def _invoice(self, crawl: Crawl, invoice_id: str, listed_last: bool) -> None:
        # A 404 is an answer only for an invoice the last pass no longer listed: deleted meanwhile.
        allow = frozenset() if listed_last else frozenset({404})
        base = f"/invoices/{_safe(invoice_id)}"
        got = crawl.get(Request("GET", base), f"invoices/{invoice_id}.xml", allow=allow)
        if got.status == 404:
            crawl.notice(f"invoice {invoice_id} was deleted during the export (listed, then gone): not exported")
            return
        crawl.spawn(crawl.get, Request("GET", f"{base}/payments"), f"invoices/{invoice_id}/payments.xml")
        crawl.spawn(crawl.get, Request("GET", f"{base}/messages"), f"invoices/{invoice_id}/messages.xml")

    # --- error answers ------------------------------------------------------------------------------

    def explain(self, fetched: Fetched) -> ExportError:
        status, request = fetched.status, fetched.request.shown
        if status == 401:
            said = snippet(fetched.head)
            return ExportAccessError(
                f"the credentials were refused ({said or 'unauthorized'}): check HARVEST_V1_EMAIL and "
                "HARVEST_V1_PASSWORD, or HARVEST_V1_TOKEN",
                request=request,
                status=status,
            )
        if status == 403:
            return ExportAccessError(
                "forbidden: these credentials may not read this; an administrator's are needed",
                request=request,
                status=status,
            )
        if 200 <= status < 300:
            what = describe(fetched, "where XML belongs")
            if fetched.media_type == "text/html":
                what += (
                    ": Harvest answers this for an inactive (suspended or cancelled) account, or the address "
                    "is not the account's (check --url / HARVEST_V1_URL)"
                )
            return ExportError(what, request=request, status=status)
        if status == 404:
            return ExportError(
                f"not found ({describe(fetched)}): the account listed this record but its address is unknown; "
                "if the account changed during the export, run it again with --refresh",
                request=request,
                status=status,
            )
        if 300 <= status < 400:
            where = urlsplit(fetched.headers.get("location", ""))
            target = f"{where.scheme}://{where.netloc}" if where.netloc else "another page"
            return ExportError(
                f"redirected to {target}: not a Harvest v1 API address, or the account is inactive "
                "(check --url / HARVEST_V1_URL)",
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


def basic(email: str, password: str) -> Credentials:
    """HTTP Basic credentials (an administrator's login)."""
    encoded = base64.b64encode(f"{email}:{password}".encode()).decode("ascii")
    return Credentials(
        (("Authorization", SecretStr(f"Basic {encoded}")),),
        (SecretStr(password), SecretStr(encoded), SecretStr(f"{email}:{password}")),
        f"HTTP Basic as {email}",
        noun="login",
    )


def bearer(token: str) -> Credentials:
    """OAuth2 bearer credentials (an administrator's token)."""
    return Credentials(
        (("Authorization", SecretStr(f"Bearer {token}")),),
        (SecretStr(token),),
        "an OAuth2 bearer token",
        noun="token",
    )
