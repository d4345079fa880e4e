"""The sandbox account: objects, ids, Harvest's business rules, and an optional JSON state file.

Objects are kept raw (foreign keys as ids) and rendered to Harvest's response shapes by
`render.py`. Every mutation happens under one lock and, with a state file, is saved atomically
before the response is written, so a `commit then drop` fault really did commit.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from migrator import jsonio
from migrator.harvest.invoice_math import cents, invoice_totals
from migrator.harvest.sandbox.schema import check_body
from migrator.kinds import KINDS


class SandboxError(Exception):
    """An HTTP error answer: status and Harvest's `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _today() -> str:
    return dt.date.today().isoformat()


def _clock_minutes(text: str) -> int | None:
    import re

    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*([ap]m)?", text.strip().lower())
    if not match:
        return None
    hour, minute, meridiem = int(match.group(1)), int(match.group(2)), match.group(3)
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    return hour * 60 + minute


OWNER_ID = 1


class Store:
    """One Harvest account's objects. Thread-safe through `lock`."""

    def __init__(self, *, timestamp_timers: bool = False, state_path: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.state_path = state_path
        self.timestamp_timers = timestamp_timers
        self.objects: dict[str, dict[int, dict[str, Any]]] = {kind: {} for kind in KINDS}
        self.next_id = 1
        self.emails_sent = 0
        if state_path is not None and state_path.exists():
            self._load(state_path)
        else:
            self._seed()

    # --- state ---------------------------------------------------------------------------------

    def _seed(self) -> None:
        self.objects["users"][OWNER_ID] = {
            "id": OWNER_ID,
            "first_name": "Sandbox",
            "last_name": "Owner",
            "email": "owner@sandbox.example",
            "timezone": "Eastern Time (US & Canada)",
            "has_access_to_all_future_projects": False,
            "is_contractor": False,
            "is_active": True,
            "weekly_capacity": 126000,
            "default_hourly_rate": Decimal(0),
            "cost_rate": Decimal(0),
            "roles": [],
            "access_roles": ["administrator"],
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.next_id = 2
        for kind in ("invoice_item_categories", "estimate_item_categories"):
            for name in ("Service", "Product"):
                self._insert(
                    kind, {"name": name, "use_as_service": name == "Service", "use_as_expense": name == "Product"}
                )

    def _load(self, path: Path) -> None:
        data = jsonio.loads(path.read_text(encoding="utf-8"))
        self.next_id = int(data["next_id"])
        self.emails_sent = int(data.get("emails_sent", 0))
        self.timestamp_timers = bool(data.get("timestamp_timers", self.timestamp_timers))
        for kind in KINDS:
            self.objects[kind] = {int(obj["id"]): obj for obj in data["objects"].get(kind, [])}

    def save(self) -> None:
        """Write the state file atomically (temp file + rename)."""
        if self.state_path is None:
            return
        data = {
            "next_id": self.next_id,
            "emails_sent": self.emails_sent,
            "timestamp_timers": self.timestamp_timers,
            "objects": {kind: list(objs.values()) for kind, objs in self.objects.items()},
        }
        temp = self.state_path.with_name(self.state_path.name + f".{os.getpid()}.tmp")
        temp.write_text(jsonio.dumps(data), encoding="utf-8")
        os.replace(temp, self.state_path)

    def _insert(self, kind: str, raw: dict[str, Any]) -> dict[str, Any]:
        raw = dict(raw)
        raw["id"] = self.next_id
        self.next_id += 1
        raw.setdefault("created_at", _now())
        raw["updated_at"] = raw["created_at"]
        self.objects[kind][raw["id"]] = raw
        return raw

    # --- lookups -------------------------------------------------------------------------------

    def get(self, kind: str, obj_id: int) -> dict[str, Any]:
        found = self.objects[kind].get(obj_id)
        if found is None:
            raise SandboxError(404, "Not found")
        return found

    def _ref(self, kind: str, obj_id: Any, field: str) -> dict[str, Any]:
        found = self.objects[kind].get(obj_id) if isinstance(obj_id, int) else None
        if found is None:
            raise SandboxError(422, f"{field.removesuffix('_id').replace('_', ' ').capitalize()} does not exist")
        return found

    def _find(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [obj for obj in self.objects[kind].values() if all(obj.get(k) == v for k, v in match.items())]

    # --- create --------------------------------------------------------------------------------

    UNIQUE_NAMES = ("clients", "tasks", "expense_categories", "invoice_item_categories", "estimate_item_categories")

    def _unique_name(self, kind: str, data: dict[str, Any], own_id: int | None = None) -> None:
        """Harvest refuses a second client, task or category with the same name."""
        if kind not in self.UNIQUE_NAMES or "name" not in data:
            return
        name = str(data["name"]).strip().casefold()
        for obj in self.objects[kind].values():
            if obj["id"] != own_id and str(obj.get("name", "")).strip().casefold() == name:
                raise SandboxError(422, "Name has already been taken")

    def create(self, kind: str, body: dict[str, Any], parent: int | None = None) -> dict[str, Any]:
        """Apply a POST; raise `SandboxError` with Harvest's status and message when refused."""
        problem = check_body(kind, body, create=True)
        if problem:
            raise SandboxError(422, problem)
        data = {key: value for key, value in body.items() if value is not None}
        self._unique_name(kind, data)
        handler = getattr(self, f"_create_{kind}", None)
        raw = handler(data, parent) if handler else self._insert(kind, data)
        self.save()
        return raw

    def _create_users(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        email = str(data["email"]).strip().casefold()
        if any(str(u.get("email", "")).casefold() == email for u in self.objects["users"].values()):
            raise SandboxError(422, "Email has already been taken")
        defaults = {
            "is_active": True,
            "weekly_capacity": 126000,
            "default_hourly_rate": Decimal(0),
            "cost_rate": Decimal(0),
            "roles": [],
            "access_roles": ["member"],
            "has_access_to_all_future_projects": False,
            "is_contractor": False,
            "timezone": None,
        }
        self.emails_sent += 1  # Harvest emails every new user an invitation
        return self._insert("users", defaults | data)

    def seed_user(self, data: dict[str, Any]) -> dict[str, Any]:
        """A user who already exists in the account (no invitation email)."""
        with self.lock:
            before = self.emails_sent
            raw = self._create_users(data, None)
            self.emails_sent = before
            self.save()
            return raw

    def _create_contacts(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        self._ref("clients", data["client_id"], "client_id")
        return self._insert("contacts", data)

    def _create_clients(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        return self._insert("clients", {"is_active": True, "currency": "USD"} | data)

    def _create_tasks(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        defaults = {
            "billable_by_default": True,
            "default_hourly_rate": Decimal(0),
            "is_default": False,
            "is_active": True,
        }
        return self._insert("tasks", defaults | data)

    def _create_expense_categories(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        return self._insert("expense_categories", {"is_active": True} | data)

    def _create_projects(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        self._ref("clients", data["client_id"], "client_id")
        project = self._insert("projects", {"is_active": True, "is_fixed_fee": False} | data)
        # As Harvest does: default tasks and "all future projects" users join every new project.
        for task in self.objects["tasks"].values():
            if task.get("is_default") and task.get("is_active", True):
                self._insert(
                    "task_assignments",
                    {
                        "project_id": project["id"],
                        "task_id": task["id"],
                        "is_active": True,
                        "billable": task.get("billable_by_default", True),
                    },
                )
        for user in self.objects["users"].values():
            if user.get("has_access_to_all_future_projects") and user.get("is_active", True):
                self._insert(
                    "user_assignments",
                    {
                        "project_id": project["id"],
                        "user_id": user["id"],
                        "is_active": True,
                        "is_project_manager": False,
                        "use_default_rates": True,
                    },
                )
        return project

    def _create_user_assignments(self, data: dict[str, Any], parent: int | None) -> dict[str, Any]:
        self.get("projects", parent or 0)
        self._ref("users", data["user_id"], "user_id")
        if self._find("user_assignments", project_id=parent, user_id=data["user_id"]):
            raise SandboxError(422, "User has already been assigned to this project")
        defaults = {"is_active": True, "is_project_manager": False, "use_default_rates": True}
        return self._insert("user_assignments", defaults | data | {"project_id": parent})

    def _create_task_assignments(self, data: dict[str, Any], parent: int | None) -> dict[str, Any]:
        self.get("projects", parent or 0)
        self._ref("tasks", data["task_id"], "task_id")
        if self._find("task_assignments", project_id=parent, task_id=data["task_id"]):
            raise SandboxError(422, "Task has already been assigned to this project")
        return self._insert("task_assignments", {"is_active": True, "billable": False} | data | {"project_id": parent})

    def _assigned(self, project_id: int, user_id: int, task_id: int | None) -> None:
        if not self._find("user_assignments", project_id=project_id, user_id=user_id, is_active=True):
            raise SandboxError(422, "User is not assigned to this project")
        if task_id is not None and not self._find(
            "task_assignments", project_id=project_id, task_id=task_id, is_active=True
        ):
            raise SandboxError(422, "Task is not assigned to this project")

    def _create_time_entries(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        data.setdefault("user_id", OWNER_ID)
        project = self._ref("projects", data["project_id"], "project_id")
        self._ref("tasks", data["task_id"], "task_id")
        self._ref("users", data["user_id"], "user_id")
        self._assigned(project["id"], data["user_id"], data["task_id"])
        if self.timestamp_timers:
            start, end = data.get("started_time"), data.get("ended_time")
            if not start or not end:
                # Deliberate deviation: real Harvest would start a running timer; the sandbox refuses
                # so that a migration that would leave timers running fails its tests first.
                raise SandboxError(422, "Started time and ended time are required (this would start a timer)")
            begin, finish = _clock_minutes(str(start)), _clock_minutes(str(end))
            if begin is None or finish is None or finish < begin:
                raise SandboxError(422, "Ended time must be after started time")
            data["hours"] = Decimal(finish - begin) / 60
        elif data.get("hours") is None:
            raise SandboxError(422, "Hours can't be blank (the sandbox refuses what would start a running timer)")
        if data["hours"] < 0 or data["hours"] > 24:
            raise SandboxError(422, "Hours must be between 0 and 24")
        return self._insert("time_entries", {"is_running": False, "is_billed": False, "is_locked": False} | data)

    def _create_expenses(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        data.setdefault("user_id", OWNER_ID)
        project = self._ref("projects", data["project_id"], "project_id")
        self._ref("expense_categories", data["expense_category_id"], "expense_category_id")
        self._ref("users", data["user_id"], "user_id")
        self._assigned(project["id"], data["user_id"], None)
        if data.get("total_cost") is None and data.get("units") is None:
            raise SandboxError(422, "Total cost can't be blank")
        return self._insert("expenses", {"billable": True, "is_billed": False} | data)

    def _lines(self, kind: str, category_kind: str, lines: list[Any]) -> list[dict[str, Any]]:
        names = {str(c["name"]) for c in self.objects[category_kind].values()}
        out = []
        for index, line in enumerate(lines):
            if not isinstance(line, dict):
                raise SandboxError(422, f"Line item {index + 1} must be an object")
            if not line.get("kind"):
                raise SandboxError(422, f"Line item {index + 1} kind can't be blank")
            if line["kind"] not in names:
                raise SandboxError(422, f"Line item kind '{line['kind']}' is not an item category of this account")
            if line.get("unit_price") is None:
                raise SandboxError(422, f"Line item {index + 1} unit price can't be blank")
            if "project_id" in line and line["project_id"] is not None:
                self._ref("projects", line["project_id"], "project_id")
            quantity = Decimal(str(line.get("quantity", 1)))
            line_id, self.next_id = self.next_id, self.next_id + 1
            amount = cents(quantity * Decimal(str(line["unit_price"])))
            out.append({"id": line_id, **line, "quantity": quantity, "amount": amount})
        return out

    def _numbered(self, kind: str, data: dict[str, Any]) -> None:
        number = str(data.get("number") or "").strip()
        if not number:
            data["number"] = str(1000 + len(self.objects[kind]) + 1)
        elif self._find(kind, number=number):
            raise SandboxError(422, "Number has already been taken")

    def _totals(self, raw: dict[str, Any]) -> None:
        totals = invoice_totals(
            raw.get("line_items") or [], tax=raw.get("tax"), tax2=raw.get("tax2"), discount=raw.get("discount")
        )
        raw.update(
            amount=totals.amount,
            tax_amount=totals.tax_amount,
            tax2_amount=totals.tax2_amount,
            discount_amount=totals.discount_amount,
        )

    def _create_invoices(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        client = self._ref("clients", data["client_id"], "client_id")
        self._numbered("invoices", data)
        data["line_items"] = self._lines("invoices", "invoice_item_categories", data.get("line_items") or [])
        raw = {"currency": client.get("currency", "USD"), "issue_date": _today(), "payment_term": "custom"} | data
        raw["state"] = "draft"  # whatever the body says: state moves only through messages
        if raw.get("due_date") is None or raw["payment_term"] != "custom":
            raw["due_date"] = raw["issue_date"]
        self._totals(raw)
        raw["due_amount"] = raw["amount"]
        return self._insert("invoices", raw)

    def _create_estimates(self, data: dict[str, Any], _parent: int | None) -> dict[str, Any]:
        client = self._ref("clients", data["client_id"], "client_id")
        self._numbered("estimates", data)
        data["line_items"] = self._lines("estimates", "estimate_item_categories", data.get("line_items") or [])
        raw = {"currency": client.get("currency", "USD"), "issue_date": _today()} | data
        raw["state"] = "draft"
        self._totals(raw)
        return self._insert("estimates", raw)

    def _create_invoice_payments(self, data: dict[str, Any], parent: int | None) -> dict[str, Any]:
        invoice = self.get("invoices", parent or 0)
        if invoice["state"] == "draft":
            raise SandboxError(422, "Payments can't be recorded on a draft invoice")
        if invoice["state"] == "closed":
            raise SandboxError(422, "Payments can't be recorded on a closed invoice")
        amount = Decimal(str(data["amount"]))
        if amount <= 0:
            raise SandboxError(422, "Amount must be greater than 0")
        if amount > invoice["due_amount"]:
            raise SandboxError(422, f"Amount can't be more than the amount due ({invoice['due_amount']})")
        if data.get("send_thank_you") is not False:
            self.emails_sent += 1  # Harvest emails a thank-you unless told not to
        paid_date = data.get("paid_date") or str(data.get("paid_at") or _today())[:10]
        invoice["due_amount"] = cents(invoice["due_amount"] - amount)
        if invoice["due_amount"] == 0:
            invoice.update(state="paid", paid_date=paid_date, paid_at=f"{paid_date}T00:00:00Z")
        invoice["updated_at"] = _now()
        return self._insert("invoice_payments", data | {"invoice_id": invoice["id"], "paid_date": paid_date})

    _INVOICE_EVENTS = {
        "send": ("draft", "open"),
        "close": ("open", "closed"),
        "re-open": ("closed", "open"),
        "draft": ("open", "draft"),
    }
    _ESTIMATE_EVENTS = {
        "send": (("draft",), "sent"),
        "accept": (("sent",), "accepted"),
        "decline": (("sent",), "declined"),
        "re-open": (("accepted", "declined"), "sent"),
    }

    def _create_invoice_messages(self, data: dict[str, Any], parent: int | None) -> dict[str, Any]:
        invoice = self.get("invoices", parent or 0)
        event = data.get("event_type")
        if event is None:
            if not data.get("recipients"):
                raise SandboxError(422, "Recipients can't be blank")
            self.emails_sent += 1
            if invoice["state"] == "draft":
                invoice.update(state="open", sent_at=_now())
        else:
            if event not in self._INVOICE_EVENTS:
                raise SandboxError(422, f"Event type '{event}' is not valid")
            before, after = self._INVOICE_EVENTS[event]
            if invoice["state"] != before:
                raise SandboxError(
                    422, f"Event type can't be {event} unless invoice is {'a draft' if before == 'draft' else before}"
                )
            invoice["state"] = after
            if event == "send":
                invoice["sent_at"] = _now()
            if event == "close":
                invoice["closed_at"] = _now()
        invoice["updated_at"] = _now()
        return self._insert("invoice_messages", data | {"invoice_id": invoice["id"]})

    def _create_estimate_messages(self, data: dict[str, Any], parent: int | None) -> dict[str, Any]:
        estimate = self.get("estimates", parent or 0)
        event = data.get("event_type")
        if event is None:
            if not data.get("recipients"):
                raise SandboxError(422, "Recipients can't be blank")
            self.emails_sent += 1
            if estimate["state"] == "draft":
                estimate.update(state="sent", sent_at=_now())
        else:
            if event not in self._ESTIMATE_EVENTS:
                raise SandboxError(422, f"Event type '{event}' is not valid")
            before, after = self._ESTIMATE_EVENTS[event]
            if estimate["state"] not in before:
                raise SandboxError(422, f"Event type can't be {event} unless estimate is {' or '.join(before)}")
            estimate["state"] = after
            estimate[f"{after}_at"] = _now()
        estimate["updated_at"] = _now()
        return self._insert("estimate_messages", data | {"estimate_id": estimate["id"]})

    # --- update and delete ---------------------------------------------------------------------

    def update(self, kind: str, obj_id: int, body: dict[str, Any]) -> dict[str, Any]:
        raw = self.get(kind, obj_id)
        problem = check_body(kind, body, create=False)
        if problem:
            raise SandboxError(422, problem)
        data = {key: value for key, value in body.items() if value is not None}
        self._unique_name(kind, data, obj_id)
        if kind == "users" and "email" in data:
            email = str(data["email"]).casefold()
            if any(str(u["email"]).casefold() == email and u["id"] != obj_id for u in self.objects["users"].values()):
                raise SandboxError(422, "Email has already been taken")
        if kind in ("invoices", "estimates"):
            if "number" in data and data["number"] != raw.get("number") and self._find(kind, number=data["number"]):
                raise SandboxError(422, "Number has already been taken")
            if "line_items" in data:
                data["line_items"] = self._merge_lines(kind, raw, data["line_items"])
        for key in ("client_id", "project_id", "task_id", "expense_category_id"):
            if key in data:
                self._ref(
                    key.removesuffix("_id") + "s" if key != "expense_category_id" else "expense_categories",
                    data[key],
                    key,
                )
        raw.update(data)
        if kind in ("invoices", "estimates"):
            self._totals(raw)
            if kind == "invoices":
                paid = sum(
                    (Decimal(str(p["amount"])) for p in self._find("invoice_payments", invoice_id=obj_id)), Decimal(0)
                )
                raw["due_amount"] = cents(raw["amount"] - paid)
        raw["updated_at"] = _now()
        self.save()
        return raw

    def _merge_lines(self, kind: str, raw: dict[str, Any], changes: list[Any]) -> list[dict[str, Any]]:
        """Harvest's PATCH semantics: a line with `id` is updated (or `_destroy`ed), one without is added."""
        category = "invoice_item_categories" if kind == "invoices" else "estimate_item_categories"
        lines = {line["id"]: dict(line) for line in raw.get("line_items") or []}
        added: list[Any] = []
        for change in changes:
            if isinstance(change, dict) and change.get("id") in lines:
                if change.get("_destroy"):
                    del lines[change["id"]]
                else:
                    merged = lines[change["id"]] | {k: v for k, v in change.items() if k != "id"}
                    merged.pop("amount", None)
                    (lines[change["id"]],) = [
                        {"id": change["id"]} | line
                        for line in self._lines(kind, category, [{k: v for k, v in merged.items() if k != "id"}])
                    ]
            else:
                added.append(change)
        return list(lines.values()) + self._lines(kind, category, added)

    def delete(self, kind: str, obj_id: int) -> None:
        raw = self.get(kind, obj_id)
        if kind == "clients" and (
            self._find("projects", client_id=obj_id)
            or self._find("invoices", client_id=obj_id)
            or self._find("estimates", client_id=obj_id)
        ):
            raise SandboxError(422, "Client has projects, invoices or estimates and can't be deleted")
        if kind == "tasks" and self._find("time_entries", task_id=obj_id):
            raise SandboxError(422, "Task has time entries and can't be deleted")
        if kind == "users" and (self._find("time_entries", user_id=obj_id) or self._find("expenses", user_id=obj_id)):
            raise SandboxError(422, "User has time entries or expenses and can't be deleted")
        if kind == "projects":
            for child in ("time_entries", "expenses", "user_assignments", "task_assignments"):
                for obj in self._find(child, project_id=obj_id):
                    del self.objects[child][obj["id"]]
        if kind == "invoices":
            for child in ("invoice_payments", "invoice_messages"):
                for obj in self._find(child, invoice_id=obj_id):
                    del self.objects[child][obj["id"]]
        if kind == "estimates":
            for obj in self._find("estimate_messages", estimate_id=obj_id):
                del self.objects["estimate_messages"][obj["id"]]
        if kind == "invoice_payments":
            invoice = self.objects["invoices"].get(raw["invoice_id"])
            if invoice is not None:
                invoice["due_amount"] = cents(invoice["due_amount"] + Decimal(str(raw["amount"])))
                if invoice["state"] == "paid":
                    invoice.update(state="open", paid_at=None, paid_date=None)
        del self.objects[kind][obj_id]
        self.save()
