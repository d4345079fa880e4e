"""The FreshBooks Classic sandbox: a folder of saved responses served as the Classic XML API
(`../shared/research/freshbooks-classic.md` §2–6).

One endpoint, `POST /api/2.1/xml-in`, the method in the body (`<request method="client.list">`),
HTTP Basic with the token as the user name (any password). Answers are
`<response xmlns="http://www.freshbooks.com/api/" status="ok">` holding:

- `system.current` (the account, with `<api><requests>`), `staff.current` (the admin, staff 1);
- `FAMILY.list` for every family the source reader knows (client, staff, project, task,
  time_entry, category, expense, item, tax, invoice, estimate, payment, recurring): the list
  element with `page`, `per_page`, `pages` and `total`; `per_page` defaults to 25 and "more than
  100 behaves as 100" (`--page-size` lowers that ceiling); invoices newest first, time entries by
  date, the rest by id. Families with folders (client, invoice, estimate, item, recurring,
  expense) list active and archived records unless `<folder>` says `active`, `archived` or
  `deleted`; time entries and expenses take `<date_from>`/`<date_to>`;
- `FAMILY.get` by `<FAMILY_id>` (`staff.get` by `<staff_id>`): a deleted record fails 50010
  "'client_id' not found. Client is deleted.", an unknown one 50010 "… Client not found.";
- `receipt.get` by `<expense_id>`: the file `DIR/receipts/<expense id>.*`, as its bytes with their
  Content-Type ("Response: Binary data", FreshBooks' receipts page). Nothing documents an expense
  without a receipt: it fails like any record that is not there, 50010 "Receipt not found.".

As FreshBooks does: a failure is HTTP 200 with `status="fail"`, `<error>` and `<code>`; a wrong
token is a 401 without XML. Throttling: FreshBooks documents none (system.current reports a
"request limit (not enforced)"), so beyond `--rate` the sandbox answers **429 + Retry-After**, the
status HTTP defines for it (RFC 6585) and the one FreshBooks' later API uses; the exporter honours
503 + Retry-After the same way.

Traps (`--trap NAME[=METHOD]`, each off unless switched on):
- `staff-token`: the token is a staff member's (staff 2, or the first that is not staff 1):
  `staff.current` says so, and lists give only what that person is assigned to (their projects,
  those projects' clients, their own time and expenses; no billing), with nothing saying so;
- `deleted-folder`: besides the folder's own, one record of each family with folders (the newest
  expense, item, estimate and recurring profile, and invoice without payments) is in the deleted
  folder: listed only with `<folder>deleted</folder>`, its `.get` failing 50010;
- `shifting-pages[=METHOD]` (default `invoice.list`): after page 1 is first served, its first record
  is deleted (a record of page 2 moves up to page 1, already read); after page 2 is first served,
  a copy of the first record is created with a new id: where page 1 begins in the lists ordered
  newest first or by date (invoices, time entries: a record of page 1 moves down to page 2, read
  again, and the new one is on a page already read), at the end of the others;
- `lying-pages`: every list states `pages` wrong (10 for a list of one page, as a real body did,
  else 1) and a `total` one more than it holds (as a count that includes something the list omits);
- `summary-lists`: lists answer as in 2008–2009: clients with their name, e-mail and folder only,
  invoices, estimates and recurring profiles without `<lines>` (their `.get` has everything);
- `fail[=METHOD]` (default `invoice.list`): that method answers HTTP 200 `status="fail"`, code
  50020 "Request failed." (modelled on a real 2012 body);
- `wrong-system`: every request is redirected (302) to `/loginSearch.php`, an HTML page, as
  FreshBooks did for a system name that does not exist;
- `truncated[=METHOD]` (default `invoice.list`): that answer is cut in half, every time;
- `hostile[=METHOD]` (default `task.list`): that answer is a billion-laughs document.
"""

from __future__ import annotations

import math
import mimetypes
import secrets
from base64 import b64decode
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from lxml import etree

from migrator.sandbox.legacy import LegacySandbox
from migrator.sandbox.legacy.server import Answer, Incoming, html
from migrator.sandbox.legacy.store import Columns
from migrator.sources.coerce import to_date
from migrator.sources.freshbooks.reader import ID_FIELDS, LISTS, FreshBooksReader
from migrator.sources.record import RawRecord

TOKEN = "sandbox-freshbooks-token"  # the admin's API token unless told otherwise
ENDPOINT = "/api/2.1/xml-in"
NAMESPACE = "http://www.freshbooks.com/api/"
COMPANY = "FreshBooks sandbox account"
ADMIN = 1
XML = "application/xml; charset=utf-8"
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
TRAPS = (
    "staff-token",
    "deleted-folder",
    "shifting-pages",
    "lying-pages",
    "summary-lists",
    "fail",
    "wrong-system",
    "truncated",
    "hostile",
)
TRAP_DEFAULTS = {"shifting-pages": "invoice.list", "fail": "invoice.list", "truncated": "invoice.list",
                 "hostile": "task.list"}  # fmt: skip
# family (`client` of `client.list`) -> (resource, list element, record element)
FAMILIES: dict[str, tuple[str, str, str]] = {
    ("staff" if resource == "staff" else record): (resource, element, record)
    for element, (record, resource) in LISTS.items()
}
RESOURCE_FAMILY = {resource: family for family, (resource, _list, _record) in FAMILIES.items()}
FOLDERS = frozenset({"clients", "invoices", "estimates", "items", "recurrings", "expenses"})
STATES = ("active", "archived", "deleted")
DATED = frozenset({"time_entries", "expenses"})  # indexed by day: date filters, time entries in date order
# The 2008 client.list's fields (research §4), and the folder every list record carries since 2010.
SUMMARY_CLIENT = ("client_id", "organization", "username", "first_name", "last_name", "email", "folder")
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE response [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
        for level in range(1, 10)
    )
    + b']>\n<response status="ok"><tasks page="1" per_page="25" pages="1" total="1"><task><task_id>1</task_id>'
    b"<name>&lol9;</name></task></tasks></response>\n"
)


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: etree._Element, name: str) -> str | None:
    found = _child(element, name)
    text = (found.text or "").strip() if found is not None else ""
    return text or None


def _renamed(body: bytes, name: str) -> bytes:
    """A record element's bytes with its outer tag renamed (`<member>` served as `<staff>`)."""
    tree = etree.fromstring(body, _SAFE)
    namespace = etree.QName(tree).namespace
    tree.tag = etree.QName(namespace, name).text if namespace else name
    return etree.tostring(tree, encoding="utf-8")


def fail(error: str, code: str) -> Answer:
    """FreshBooks' failure: HTTP 200, `status="fail"`, its text and code."""
    body = f'<response xmlns="{NAMESPACE}" status="fail"><error>{escape(error)}</error><code>{code}</code></response>\n'
    return Answer(200, XML, DECLARATION + body.encode())


def ok(inner: bytes) -> Answer:
    return Answer(
        200, XML, DECLARATION + f'<response xmlns="{NAMESPACE}" status="ok">\n'.encode() + inner + b"\n</response>\n"
    )


def _columns(resource: str, fields: Mapping[str, Any]) -> Columns:
    """Where a record is found: its folder; for time and expenses their project, person and day."""
    state = None
    if resource in FOLDERS:
        folder = str(fields.get("folder") or "active").strip().lower()
        state = folder if folder in STATES else "active"
    if resource not in DATED:
        return Columns(state=state)
    try:
        day = to_date(fields.get("date"))
    except ValueError:
        day = None
    parent, owner = fields.get("project_id"), fields.get("staff_id")
    return Columns(_digits(parent), _digits(owner), day.isoformat() if day is not None else None, state)


def _digits(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return str(int(text)) if text.isdigit() else None


class FreshBooksSandbox(LegacySandbox):
    """FreshBooks Classic over HTTP (see the module docstring)."""

    system: ClassVar[str] = "freshbooks"
    traps_known: ClassVar[tuple[str, ...]] = TRAPS
    reader_class: ClassVar[type] = FreshBooksReader
    default_page_size: ClassVar[int] = MAX_PER_PAGE

    def __init__(self, folder: Path | None = None, *args: Any, token: str = TOKEN, company: str = COMPANY,
                 **options: Any) -> None:  # fmt: skip
        self.token, self.company = token, company
        self.receipts: dict[int, Path] = {}
        self._shifted: set[int] = set()  # shifting-pages: the pages whose first serving changed the account
        self._totals: dict[tuple[Any, ...], int] = {}  # a list's total, per state of the account
        self._keys: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # the last sort key of each page served
        super().__init__(folder, *args, **options)

    @property
    def url(self) -> str:
        return super().url + ENDPOINT

    @property
    def root(self) -> str:
        return super().url

    def credentials_line(self) -> str:
        return (
            f"Token {self.token} (HTTP Basic: the token as user name, any password); "
            f"stats at {self.root}/__sandbox/stats"
        )

    # --- loading -----------------------------------------------------------------------------------------

    def index(self, record: RawRecord) -> Columns:
        return _columns(record.resource, record.fields)

    def rewrite(self, resource: str, element: bytes) -> tuple[bytes, bytes | None]:
        # A staff member saved from `staff.get`/`staff.current` is `<staff>`; lists hold `<member>`.
        if resource == "staff" and _local(etree.fromstring(element, _SAFE).tag) == "staff":
            return _renamed(element, "member"), None
        return element, None

    def prepare(self) -> None:
        receipts = self.folder / "receipts"
        if receipts.is_dir():
            for path in sorted(receipts.iterdir()):
                if path.is_file() and path.stem.isdigit():
                    self.receipts[int(path.stem)] = path
        for trap, default in TRAP_DEFAULTS.items():
            if trap in self.traps and self.traps[trap] is None:
                self.traps[trap] = default
        staff = self.store.ids("staff")
        if "staff-token" in self.traps:
            self.me = next((sid for sid in staff if sid != ADMIN), 2)
        else:
            self.me = ADMIN
        if "deleted-folder" in self.traps:
            self._delete_some()

    # --- answering -----------------------------------------------------------------------------------------

    def describe(self, body: bytes) -> str | None:
        """`client.list page=2 per_page=100 folder=deleted`: the method and its parameters, for the log."""
        try:
            request = etree.fromstring(body, _SAFE)
        except etree.XMLSyntaxError:
            return None
        params = " ".join(f"{_local(child.tag)}={(child.text or '').strip()}" for child in request if _local(child.tag))
        return f"{request.get('method', '?')} {params}".strip()

    def throttled(self, wait: float) -> Answer:
        seconds = max(1, math.ceil(wait))
        answer = Answer(429, "text/plain; charset=utf-8", b"Too Many Requests\n")
        answer.headers["Retry-After"] = str(seconds)
        return answer

    def answer(self, request: Incoming) -> Answer | None:
        if request.path.rstrip("/") != ENDPOINT:
            return html(404, "FreshBooks - Page Not Found", "The page you requested could not be found.")
        if "wrong-system" in self.traps:
            answer = html(302, "Redirecting", "FreshBooks: find your account")
            answer.headers["Location"] = f"{self.root}/loginSearch.php"
            return answer
        if not self._authorised(request):
            answer = Answer(401, "text/plain; charset=utf-8", b"Authentication failed.\n")
            answer.headers["WWW-Authenticate"] = 'Basic realm="FreshBooks API"'
            return answer
        if request.method != "POST":
            return fail("Your XML is not formatted correctly.", "40010")
        try:
            body = etree.fromstring(request.body, _SAFE)
        except etree.XMLSyntaxError:
            return fail("Your XML is not formatted correctly.", "40010")
        method = body.get("method", "") if _local(body.tag) == "request" else ""
        params = {_local(child.tag): (child.text or "").strip() for child in body if _local(child.tag)}
        if self.traps.get("fail") == method:
            return fail(f"Failed to {_what(method)}. Request failed.", "50020")
        if self.traps.get("hostile") == method:
            return Answer(200, XML, BILLION_LAUGHS)
        answer = self._route(method, params)
        if self.traps.get("truncated") == method:
            answer.truncate = True
        return answer

    def _authorised(self, request: Incoming) -> bool:
        given = request.headers.get("Authorization", "")
        if not given.startswith("Basic "):
            return False
        try:
            pair = b64decode(given[6:], validate=True)
        except ValueError:
            return False
        user, _, _password = pair.partition(b":")
        return secrets.compare_digest(user, self.token.encode())

    def _route(self, method: str, params: dict[str, str]) -> Answer:
        if method == "system.current":
            return ok(self._system())
        if method == "staff.current":
            return ok(self._staff_member(self.me))
        if method == "receipt.get":
            return self._receipt(params)
        family, _, verb = method.partition(".")
        if family in FAMILIES and verb == "list":
            return self._list(family, params)
        if family in FAMILIES and verb == "get":
            return self._get(family, params)
        return fail(f"The method '{method}' does not exist.", "40010")

    # --- lists ------------------------------------------------------------------------------------------

    def _list(self, family: str, params: dict[str, str]) -> Answer:
        resource, list_element, _record = FAMILIES[family]
        page = int(params["page"]) if params.get("page", "").isdigit() and int(params["page"]) > 0 else 1
        asked = int(params["per_page"]) if params.get("per_page", "").isdigit() and int(params["per_page"]) else 0
        per_page = min(asked or DEFAULT_PER_PAGE, MAX_PER_PAGE, self.page_size)
        states: tuple[str, ...] | None = None
        if resource in FOLDERS:
            folder = params.get("folder", "").lower()
            states = (folder,) if folder in STATES else ("active", "archived")
        days = None
        if resource in DATED and (params.get("date_from") or params.get("date_to")):
            days = (_day(params.get("date_from")) or "0000-01-01", _day(params.get("date_to")) or "9999-12-31")
        bodies, total = self._page(resource, states, days, page, per_page)
        pages = max(1, -(-total // per_page))
        if "lying-pages" in self.traps:
            pages, total = (10 if pages == 1 else 1), total + 1
        if "summary-lists" in self.traps:
            bodies = [_summary(resource, body) for body in bodies]
        opening = f'<{list_element} page="{page}" per_page="{per_page}" pages="{pages}" total="{total}">'
        inner = opening.encode() + b"\n" + b"\n".join(bodies) + f"\n</{list_element}>".encode()
        method = f"{family}.list"
        if self.traps.get("shifting-pages") == method and states != ("deleted",) and page in (1, 2):
            self._shift(resource, states, page, per_page)
        return ok(inner)

    def _page(
        self, resource: str, states: tuple[str, ...] | None, days: tuple[str, str] | None, page: int, per_page: int
    ) -> tuple[list[bytes], int]:
        """One page of bodies and the list's total (what the token may see of it)."""
        newest_first, by_day = _order(resource)
        offset = (page - 1) * per_page
        if "staff-token" not in self.traps:
            # A list's total is asked with every page: counted once per state of the account.
            key = (resource, states, days, self.store.changes)
            total = self._totals.get(key)
            if total is None:
                total = self._totals[key] = self.store.count(resource, states=states, days=days)
            # The page before's last key, when it was served as the account is now: no OFFSET walk.
            after = self._keys.get((*key, per_page, page - 1)) if page > 1 else None
            bodies, last = self.store.page(
                resource,
                states=states,
                days=days,
                limit=per_page,
                offset=offset,
                after=after,
                newest_first=newest_first,
                by_day=by_day,  # fmt: skip
            )
            if last is not None:
                self._keys[(*key, per_page, page)] = last
            return bodies, total
        if resource in DATED:  # a staff member's own time and expenses
            total = self.store.count(resource, states=states, days=days, owner=self.me)
            bodies = self.store.select(
                resource,
                states=states,
                days=days,
                owner=self.me,
                limit=per_page,
                offset=offset,
                newest_first=newest_first,
                by_day=by_day,  # fmt: skip
            )
            return bodies, total
        every = self.store.select(resource, states=states, newest_first=newest_first, by_day=by_day)
        visible = [body for body in every if self._sees(resource, body)]
        return visible[offset : offset + per_page], len(visible)

    def _sees(self, resource: str, body: bytes) -> bool:
        """With a staff token: what the staff member is assigned to (research §2, §6.1–6.3)."""
        element = etree.fromstring(body, _SAFE)
        if resource == "staff":
            return _text(element, "staff_id") == str(self.me)
        if resource == "projects":
            return str(self.me) in _assigned(element)
        if resource == "clients":
            return _text(element, ID_FIELDS["clients"]) in self._my_clients()
        return resource in ("tasks", "categories", "taxes")  # global lists; no billing for staff

    def _my_clients(self) -> set[str]:
        clients = set()
        for body in self.store.select("projects"):
            project = etree.fromstring(body, _SAFE)
            client = _text(project, "client_id")
            if client and str(self.me) in _assigned(project):
                clients.add(str(int(client)))
        return clients

    # --- single records ------------------------------------------------------------------------------------

    def _get(self, family: str, params: dict[str, str]) -> Answer:
        resource, _list, record = FAMILIES[family]
        id_field = ID_FIELDS[resource]
        given = params.get(id_field, "")
        noun = family.replace("_", " ").capitalize()
        if not given:
            return fail(f"Missing required field: '{id_field}'.", "40040")
        body = self.store.get(resource, int(given)) if given.isdigit() else None
        if body is None or ("staff-token" in self.traps and not self._sees(resource, body)):
            return fail(f"'{id_field}' not found. {noun} not found.", "50010")
        if resource in FOLDERS and self.store.state(resource, int(given)) == "deleted":
            return fail(f"'{id_field}' not found. {noun} is deleted.", "50010")
        return ok(_renamed(body, "staff") if resource == "staff" else body)

    def _receipt(self, params: dict[str, str]) -> Answer:
        given = params.get("expense_id", "")
        if not given:
            return fail("Missing required field: 'expense_id'.", "40040")
        expense_id = int(given) if given.isdigit() else -1
        body = self.store.get("expenses", expense_id)
        if body is None or self.store.state("expenses", expense_id) == "deleted":
            return fail("'expense_id' not found. Expense not found.", "50010")
        path = self.receipts.get(expense_id)
        if path is None:
            return fail("Receipt not found.", "50010")
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Answer(200, media, path.read_bytes())

    def _system(self) -> bytes:
        requests = self._server.requests  # "API requests issued today"
        return (
            f"<system><company_name>{escape(self.company)}</company_name><profession>Design</profession>"
            "<address><street1/><street2/><city/><province/><postal_code/><country/></address>"
            f'<api><requests>{requests}</requests><request_limit deprecated="1">2147483647</request_limit></api>'
            "</system>"
        ).encode()

    def _staff_member(self, staff_id: int) -> bytes:
        body = self.store.get("staff", staff_id)
        if body is not None:
            return _renamed(body, "staff")
        return (
            f"<staff><staff_id>{staff_id}</staff_id><username>staff{staff_id}</username><first_name>Sandbox"
            f"</first_name><last_name>Staff {staff_id}</last_name><email>staff{staff_id}@sandbox.example</email>"
            "</staff>"
        ).encode()

    # --- traps that change the account ------------------------------------------------------------------

    def _delete_some(self) -> None:
        """`deleted-folder`: one record of each family with folders moves to the deleted folder."""
        paid = set()
        for body in self.store.select("payments"):
            invoice = _text(etree.fromstring(body, _SAFE), "invoice_id")
            if invoice and invoice.isdigit():
                paid.add(int(invoice))
        for resource in ("expenses", "items", "estimates", "recurrings", "invoices"):
            live = [i for i in self.store.ids(resource) if self.store.state(resource, i) != "deleted" and i not in paid]
            if live:
                self._move_to_deleted(resource, live[-1])

    def _move_to_deleted(self, resource: str, record_id: int) -> None:
        body = self.store.get(resource, record_id)
        if body is None:
            return
        if resource not in FOLDERS:
            self.store.delete(resource, record_id)
            return
        element = etree.fromstring(body, _SAFE)
        folder = _child(element, "folder")
        if folder is None:
            namespace = etree.QName(element).namespace
            folder = etree.SubElement(element, f"{{{namespace}}}folder" if namespace else "folder")
        folder.text = "deleted"
        changed = etree.tostring(element, encoding="utf-8")
        self.store.put(resource, record_id, changed, None, _columns(resource, _fields(element)))

    def _shift(self, resource: str, states: tuple[str, ...] | None, page: int, per_page: int) -> None:
        """`shifting-pages`: the account changes between two page requests (see the module docstring)."""
        if page in self._shifted or (page == 2 and 1 not in self._shifted):
            return
        self._shifted.add(page)
        newest_first, by_day = _order(resource)
        first = self.store.select(resource, states=states, limit=1, newest_first=newest_first, by_day=by_day)
        if not first:
            return
        element = etree.fromstring(first[0], _SAFE)
        id_field = ID_FIELDS[resource]
        current = _text(element, id_field)
        if page == 1 and current is not None:
            self._move_to_deleted(resource, int(current))
            return
        new_id = max(self.store.ids(resource), default=0) + 1
        _child(element, id_field).text = str(new_id)  # type: ignore[union-attr]
        number = _child(element, "number")
        if number is not None:
            number.text = f"SHIFT-{new_id}"
        body = etree.tostring(element, encoding="utf-8")
        self.store.put(resource, new_id, body, None, _columns(resource, _fields(element)))


def _order(resource: str) -> tuple[bool, bool]:
    """(newest first, by date): invoices are "ordered by descending invoice_id", time entries
    "according to date" (research §4); the rest by id."""
    return resource == "invoices", resource == "time_entries"


def _fields(element: etree._Element) -> dict[str, Any]:
    return {_local(child.tag): child.text for child in element if _local(child.tag)}


def _assigned(project: etree._Element) -> set[str]:
    """The staff ids assigned to a project (`<staff><staff><staff_id>`; deprecated ids ignored)."""
    found = set()
    for elem in project.iter():
        if _local(elem.tag) == "staff_id" and elem.get("deprecated") is None and (elem.text or "").strip().isdigit():
            parent = elem.getparent()
            if parent is not None and _local(parent.tag) == "staff":
                found.add(str(int(elem.text.strip())))  # type: ignore[union-attr]
    return found


def _summary(resource: str, body: bytes) -> bytes:
    """A record as the 2008–2009 lists gave it (`summary-lists`)."""
    if resource not in ("clients", "invoices", "estimates", "recurrings"):
        return body
    element = etree.fromstring(body, _SAFE)
    for child in list(element):
        name = _local(child.tag)
        if (resource == "clients" and name not in SUMMARY_CLIENT) or (resource != "clients" and name == "lines"):
            element.remove(child)
    return etree.tostring(element, encoding="utf-8")


def _what(method: str) -> str:
    """`invoice.list` -> "list invoices", `client.get` -> "get client" (for a failure's text)."""
    family, _, verb = method.partition(".")
    known = FAMILIES.get(family)
    noun = known[1].replace("_", " ") if known is not None and verb == "list" else family.replace("_", " ")
    return f"{verb} {noun}".strip()


def _day(text: str | None) -> str | None:
    try:
        day = to_date(text)
    except ValueError:
        return None
    return day.isoformat() if day is not None else None
