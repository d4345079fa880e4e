"""The Harvest v1 sandbox: a folder of saved v1 responses served as the v1 API (research §2–6).

Endpoints (XML, `Accept: application/xml`; HTTP Basic or a bearer token):
`/account/who_am_i`; the lists `/people`, `/clients`, `/contacts`, `/tasks`, `/expense_categories`,
`/invoice_item_categories`, `/projects`; `/invoices?page=N` (summaries without `csv-line-items`,
newest first, `--page-size` a page, 50 as v1); single records `/<collection>/{id}`; per project
`/user_assignments`, `/task_assignments`, `/entries?from=YYYYMMDD&to=YYYYMMDD` and
`/expenses?from&to`; per person `/entries` and `/expenses` likewise; `/clients/{id}/contacts`;
`/invoices/{id}/payments` and `/messages` (the buggy singular `<invoice-message type="array">`
list root); `/expenses/{id}/receipt` from `DIR/receipts/<expense id>.*`.

As v1 does: dash-case names (a `/daily` body's snake_case entry is served dash-case), `type`
attributes as saved, `<nil-classes type="array"/>` for an empty list, throttling as **503 +
Retry-After**, a wrong credential as 401 with a JSON body, a bad id as an HTML 404, a request
without `Accept: application/xml` answered with the web app's HTML page, an expense whose
`has-receipt` is true but whose file is missing as a 404.

Traps (`--trap NAME[=PATH]`, each off unless switched on):
- `non-admin`: the credentials belong to a person who is not an administrator;
- `inactive`: the company is inactive: every API answer is 200 text/html;
- `bad-id[=PATH]`: that record (default: the first invoice) answers an HTML 404 though it is listed;
- `narrow-hints`: each project's `hint-*` dates shrink to the middle day of its records;
- `shifting-pages`: after the first page 1 of `/invoices` is served, its newest invoice is deleted
  (an invoice of page 2 moves up to page 1); after the first page 2, a new invoice is inserted
  (it lands on page 1, already read);
- `truncated[=PATH]`: that answer (default: the first invoice) is cut in half, every time;
- `hostile[=PATH]`: that answer (default: `/tasks`) is a billion-laughs document.
"""

from __future__ import annotations

import datetime as dt
import math
import mimetypes
import re
import secrets
from base64 import b64decode
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from migrator.sandbox.legacy import LegacySandbox
from migrator.sandbox.legacy.server import Answer, Incoming, html
from migrator.sandbox.legacy.store import Columns
from migrator.sources.coerce import to_bool, to_date
from migrator.sources.harvest_v1.reader import HarvestV1Reader
from migrator.sources.record import RawRecord

EMAIL = "admin@sandbox.example"  # the sandbox's administrator login and token unless told otherwise
PASSWORD = "sandbox-password"
TOKEN = "sandbox-v1-token"

# GET /<collection> -> resource (and the list root it answers with)
COLLECTIONS = {
    "people": "users",
    "clients": "clients",
    "contacts": "contacts",
    "tasks": "tasks",
    "expense_categories": "expense_categories",
    "invoice_item_categories": "invoice_item_categories",
    "projects": "projects",
    "invoices": "invoices",
    "expenses": "expenses",
}
LIST_ROOTS = {
    "users": "users",
    "clients": "clients",
    "contacts": "contacts",
    "tasks": "tasks",
    "expense_categories": "expense-categories",
    "invoice_item_categories": "invoice-item-categories",
    "projects": "projects",
    "invoices": "invoices",
    "expenses": "expenses",
    "day_entries": "day-entries",
    "user_assignments": "user-assignments",
    "task_assignments": "task-assignments",
    "payments": "payments",
    "invoice_messages": "invoice-message",  # v1's buggy singular list root (research §3.15)
}
# Where a record is found: (parent field, owner field, day field) by resource.
INDEX = {
    "day_entries": ("project_id", "user_id", "spent_at"),
    "expenses": ("project_id", "user_id", "spent_at"),
    "contacts": ("client_id", None, None),
    "user_assignments": ("project_id", "user_id", None),
    "task_assignments": ("project_id", "task_id", None),
    "payments": ("invoice_id", None, None),
    "invoice_messages": ("invoice_id", None, None),
    "invoices": ("client_id", None, "issued_at"),
}
TRAPS = ("non-admin", "inactive", "bad-id", "narrow-hints", "shifting-pages", "truncated", "hostile")
XML = "application/xml; charset=utf-8"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.-]*)")
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE tasks [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
        for level in range(1, 10)
    )
    + b']>\n<tasks type="array"><task><id type="integer">1</id><name>&lol9;</name></task></tasks>\n'
)


def _dash(element: bytes) -> bytes:
    """Tag names in v1's REST spelling (dash-case); text and attribute values are never touched
    (lxml escapes every `<` in them, so a `<` always starts a tag)."""
    return _TAG.sub(lambda found: b"<" + found.group(1) + found.group(2).replace(b"_", b"-"), element)


def _field(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if isinstance(child.tag, str) and child.tag.replace("_", "-") == name:
            return child
    return None


class HarvestV1Sandbox(LegacySandbox):
    """Harvest v1 over HTTP (see the module docstring)."""

    system: ClassVar[str] = "harvest-v1"
    traps_known: ClassVar[tuple[str, ...]] = TRAPS
    reader_class: ClassVar[type] = HarvestV1Reader

    def __init__(self, folder: Path | None = None, *args: Any, email: str = EMAIL, password: str = PASSWORD,
                 token: str = TOKEN, **options: Any) -> None:  # fmt: skip
        self.email, self.password, self.token = email, password, token
        self._shift_stage = 0  # shifting-pages: 0 untouched, 1 an invoice deleted, 2 one inserted too
        self._deleted = 0
        self.receipts: dict[int, Path] = {}
        super().__init__(folder, *args, **options)

    # --- loading -----------------------------------------------------------------------------------------

    def index(self, record: RawRecord) -> Columns:
        fields = INDEX.get(record.resource)
        if fields is None:
            return Columns()
        parent, owner, day = (record.fields.get(name) if name else None for name in fields)
        try:
            when = to_date(day) if day is not None else None
        except ValueError:
            when = None
        return Columns(_text(parent), _text(owner), when.isoformat() if when else None)

    def rewrite(self, resource: str, element: bytes) -> tuple[bytes, bytes | None]:
        body = _dash(element)
        if resource != "invoices":
            return body, None
        tree = etree.fromstring(body, _SAFE)
        lines = _field(tree, "csv-line-items")
        if lines is None:
            return body, None
        tree.remove(lines)  # the invoice list never carries line items (research §3.12)
        return body, etree.tostring(tree, encoding="utf-8")

    def prepare(self) -> None:
        receipts = self.folder / "receipts"
        if receipts.is_dir():
            for path in sorted(receipts.iterdir()):
                if path.is_file() and path.stem.isdigit():
                    self.receipts[int(path.stem)] = path
        invoices = self.store.ids("invoices")
        first = f"/invoices/{invoices[0]}" if invoices else "/invoices/1"
        for trap, default in (("bad-id", first), ("truncated", first), ("hostile", "/tasks")):
            if trap in self.traps and self.traps[trap] is None:
                self.traps[trap] = default
        self._me = self._who(admin="non-admin" not in self.traps)

    def credentials_line(self) -> str:
        return (
            f"Log in as {self.email} / {self.password} (HTTP Basic) or with token {self.token}; "
            f"stats at {self.url}/__sandbox/stats"
        )

    # --- answering -----------------------------------------------------------------------------------------

    def throttled(self, wait: float) -> Answer:
        seconds = max(1, math.ceil(wait))
        answer = html(503, "Rate limit exceeded", f"Retry in {seconds} seconds.")
        answer.headers["Retry-After"] = str(seconds)
        return answer

    def answer(self, request: Incoming) -> Answer | None:
        if not self._authorised(request):
            body = b'{"error":"invalid_token","error_description":"The access token provided is expired, revoked, ' \
                   b'malformed or invalid for other reasons."}'  # fmt: skip
            return Answer(401, "application/json; charset=utf-8", body)
        path = request.path.rstrip("/") or "/"
        receipt = re.fullmatch(r"/expenses/(\d+)/receipt", path)
        if path.endswith(".xml"):
            path = path[: -len(".xml")]  # ActiveResource clients asked for `/projects.xml`
        elif receipt is None and "xml" not in request.headers.get("Accept", ""):
            return html(200, "Harvest", "Sign in to your Harvest account.")  # the web app, not the API
        if "inactive" in self.traps:
            return html(200, "Harvest: account inactive", "This account is inactive. /company/inactive")
        for trap in ("bad-id", "truncated", "hostile"):
            if self.traps.get(trap) == path:
                return self._trapped(trap, path, request)
        if receipt is not None:
            return self._receipt(int(receipt.group(1)))
        return self._route(path, request.query)

    def _authorised(self, request: Incoming) -> bool:
        given = request.headers.get("Authorization", "")
        if given == f"Bearer {self.token}":
            return True
        if given.startswith("Basic "):
            try:
                pair = b64decode(given[6:], validate=True)
            except ValueError:
                return False
            return secrets.compare_digest(pair, f"{self.email}:{self.password}".encode())
        return False

    def _trapped(self, trap: str, path: str, request: Incoming) -> Answer | None:
        if trap == "bad-id":
            return _not_found()
        if trap == "hostile":
            return Answer(200, XML, BILLION_LAUGHS)
        answer = self._route(path, request.query)
        if answer is not None:
            answer.truncate = True
        return answer

    def _route(self, path: str, query: dict[str, str]) -> Answer:
        parts = path.strip("/").split("/")
        if parts == ["account", "who_am_i"]:
            return Answer(200, XML, DECLARATION + self._me)
        if len(parts) == 1 and parts[0] in COLLECTIONS and parts[0] != "expenses":
            if parts[0] == "invoices":
                return self._invoice_page(query)
            resource = COLLECTIONS[parts[0]]
            return self._list(resource, self._projects(self.store.select(resource)) if resource == "projects" else None)
        if len(parts) == 2 and parts[0] in COLLECTIONS and parts[1].isdigit():
            resource = COLLECTIONS[parts[0]]
            body = self.store.get(resource, int(parts[1]))
            if body is None:
                return _not_found()
            return Answer(200, XML, DECLARATION + (self._projects([body])[0] if resource == "projects" else body))
        if len(parts) == 3 and parts[1].isdigit():
            return self._nested(parts[0], int(parts[1]), parts[2], query)
        return _not_found()

    def _nested(self, parent: str, parent_id: int, child: str, query: dict[str, str]) -> Answer:
        owner_of = {"projects": "projects", "people": "users", "clients": "clients", "invoices": "invoices"}
        if parent not in owner_of or self.store.get(owner_of[parent], parent_id) is None:
            return _not_found()
        if parent == "clients" and child == "contacts":
            return self._list("contacts", self.store.select("contacts", parent=parent_id))
        if parent == "invoices" and child in ("payments", "messages"):
            resource = "payments" if child == "payments" else "invoice_messages"
            return self._list(resource, self.store.select(resource, parent=parent_id))
        if parent == "projects" and child in ("user_assignments", "task_assignments"):
            return self._list(child, self.store.select(child, parent=parent_id))
        if parent in ("projects", "people") and child in ("entries", "expenses"):
            days = _window(query)
            if days is None:
                return html(400, "Bad request", "from and to are required, as YYYYMMDD")
            resource = "day_entries" if child == "entries" else "expenses"
            if parent == "projects":
                return self._list(resource, self.store.select(resource, parent=parent_id, days=days))
            return self._list(resource, self.store.select(resource, owner=parent_id, days=days))
        return _not_found()

    def _list(self, resource: str, bodies: list[bytes] | None = None) -> Answer:
        bodies = self.store.select(resource) if bodies is None else bodies
        if not bodies:
            return Answer(200, XML, DECLARATION + b'<nil-classes type="array"/>\n')
        root = LIST_ROOTS[resource].encode()
        return Answer(200, XML, DECLARATION + b'<%s type="array">\n' % root + b"\n".join(bodies) + b"\n</%s>\n" % root)

    def _invoice_page(self, query: dict[str, str]) -> Answer:
        page = int(query["page"]) if query.get("page", "").isdigit() and int(query["page"]) > 0 else 1
        size = self.page_size
        bodies = self.store.select("invoices", summaries=True, newest_first=True, limit=size, offset=(page - 1) * size)
        answer = self._list("invoices", bodies)
        if "shifting-pages" in self.traps:
            self._shift(page)
        return answer

    def _receipt(self, expense_id: int) -> Answer:
        path = self.receipts.get(expense_id)
        if self.store.get("expenses", expense_id) is None or path is None:
            return _not_found()  # `has-receipt` true without a file is the trap real accounts have
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Answer(200, media, path.read_bytes())

    # --- traps that change the account ------------------------------------------------------------------

    def _shift(self, page: int) -> None:
        """The account changes between two page requests (see the module docstring)."""
        ids = self.store.ids("invoices")
        if page == 1 and self._shift_stage == 0 and ids:
            newest = ids[-1]
            self.store.delete("invoices", newest)
            self.store.delete_children(("payments", "invoice_messages"), newest)
            self._shift_stage, self._deleted = 1, newest
        elif page == 2 and self._shift_stage == 1 and ids:
            model = etree.fromstring(self.store.get("invoices", ids[0]) or b"<invoice/>", _SAFE)
            new_id = max(ids[-1], self._deleted) + 1  # a new id: never the deleted one's
            for name, value in (("id", str(new_id)), ("number", f"SHIFT-{new_id}")):
                field = _field(model, name)
                if field is not None:
                    field.text = value
            body = etree.tostring(model, encoding="utf-8")
            _body, summary = self.rewrite("invoices", body)
            client = _field(model, "client-id")
            self.store.put("invoices", new_id, body, summary, Columns(client.text if client is not None else None))
            self._shift_stage = 2

    # --- rendered bodies ---------------------------------------------------------------------------------

    def _projects(self, bodies: list[bytes]) -> list[bytes]:
        """Projects with their `hint-*` dates: as saved, computed where missing, narrowed by the trap."""
        narrow = "narrow-hints" in self.traps
        out = []
        for body in bodies:
            tree = etree.fromstring(body, _SAFE)
            id_field = _field(tree, "id")
            project_id = int(id_field.text) if id_field is not None and (id_field.text or "").isdigit() else None
            span = self.store.day_range(("day_entries", "expenses"), project_id) if project_id is not None else None
            earliest, latest = _field(tree, "hint-earliest-record-at"), _field(tree, "hint-latest-record-at")
            if span is not None and (narrow or earliest is None or latest is None):
                low, high = span
                if narrow:
                    first, last = dt.date.fromisoformat(low), dt.date.fromisoformat(high)
                    low = high = (first + (last - first) / 2).isoformat()
                for name, value, found in (
                    ("hint-earliest-record-at", low, earliest),
                    ("hint-latest-record-at", high, latest),
                ):
                    if found is None:
                        found = etree.SubElement(tree, name, type="date")
                    found.text = value
                    found.attrib.pop("nil", None)
                body = etree.tostring(tree, encoding="utf-8")
            out.append(body)
        return out

    def _who(self, *, admin: bool) -> bytes:
        """`who_am_i`: the folder's own account body when it is an administrator's, else that body (or
        a made-up one) naming an administrator, or with the `non-admin` trap a person who is not one."""
        saved = self.store.select("account")
        if saved and admin and _is(_field(etree.fromstring(saved[0], _SAFE), "user"), "admin"):
            return saved[0] + b"\n"
        people = [etree.fromstring(body, _SAFE) for body in self.store.select("users")]
        person = next((p for p in people if _is(p, "is-admin") == admin), None)
        tree = etree.fromstring(saved[0] if saved else _BLANK_ACCOUNT, _SAFE)
        user = _child(tree, "user")
        chosen = {"id": "999999", "email": "casey@sandbox.example", "first-name": "Casey", "last-name": "Contractor"}
        for name in chosen:
            value = _field(person, name) if person is not None else None
            _child(user, name).text = value.text if value is not None else chosen[name]
        flag = _child(user, "admin")
        flag.set("type", "boolean")
        flag.text = "true" if admin else "false"
        return etree.tostring(tree, encoding="utf-8") + b"\n"


_BLANK_ACCOUNT = (
    b'<hash><company><name>Sandbox account</name><active type="boolean">true</active><clock>12h</clock>'
    b"</company><user/></hash>"
)


def _child(element: etree._Element, name: str) -> etree._Element:
    found = _field(element, name)
    return found if found is not None else etree.SubElement(element, name)


def _is(element: etree._Element | None, name: str) -> bool:
    found = _field(element, name) if element is not None else None
    try:
        return to_bool(found.text if found is not None else None) is True
    except ValueError:
        return False


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _window(query: dict[str, str]) -> tuple[str, str] | None:
    try:
        low, high = to_date(query.get("from")), to_date(query.get("to"))
    except ValueError:
        return None
    if low is None or high is None:
        return None
    return low.isoformat(), high.isoformat()


def _not_found() -> Answer:
    return html(404, "HARVEST: Can't find page", "The page you were looking for doesn't exist.")
