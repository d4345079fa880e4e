"""The one declaration of every v2 kind: everything else reads it.

One `Kind` per v2 resource (docs/INTERFACE.md "Conventions") and per step of ours: its create and update
payload models, its paths, how it is found in the target (natural keys, both from a payload and
from a target object, which must agree), what it depends on (load order is a topological sort of
it), whether it is archived last, adopted as many-per-key, an event or a step, and how a person
would call one. Behaviour that belongs to one kind is an attribute here, never an `if kind == …`
elsewhere: which assignments exist and what their other side is, which assignments a time entry
implies, what Harvest adds by itself, what a rollback must guard, what creating one sends by email,
which fields hold money, which date places a record in a window. The planner, the loader,
reconciliation, verification, rollback and the reports iterate this table; a new resource is one
entry here plus a mapping module (ARCHITECTURE.md lists the rest).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from migrator.harvest import models

Key = Hashable | None
KeyFn = Callable[[dict[str, Any]], Key]

# docs/INTERFACE.md fixes the first fifteen and their order; estimate item categories and estimate
# messages are our additions (estimates need a category per line kind and a state replay).
KINDS: tuple[str, ...] = (
    "clients",
    "contacts",
    "users",
    "tasks",
    "expense_categories",
    "invoice_item_categories",
    "estimate_item_categories",
    "projects",
    "user_assignments",
    "task_assignments",
    "time_entries",
    "expenses",
    "estimates",
    "estimate_messages",
    "invoices",
    "invoice_payments",
    "invoice_messages",
)
# Steps that change the state of an object that exists, planned beside the objects (history first,
# archive last): an archived object receives its history while active, then is archived at the end.
STEPS: tuple[str, ...] = ("reactivations", "archives")
# What plans, the ledger and reports list, in load order: reactivations run before anything else,
# archives after everything else.
PLAN_KINDS: tuple[str, ...] = ("reactivations", *KINDS, "archives")
ACTIONS: tuple[str, ...] = ("create", "update", "unchanged", "adopt", "invalid", "skipped")

_MARKER = re.compile(r"\[migrator [^\]]+\]")


# --- natural keys ------------------------------------------------------------------------------------


def _fold(value: Any) -> str:
    return str(value or "").strip().casefold()


def nested_id(obj: dict[str, Any], name: str) -> Any:
    """`obj["client"]["id"]` as Harvest returns it, or `obj["client_id"]` as a payload has it."""
    inner = obj.get(name)
    return inner.get("id") if isinstance(inner, dict) else obj.get(f"{name}_id")


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def marker(notes: Any) -> str | None:
    """The `[migrator …]` marker a mapping appends to expense notes (None when absent)."""
    found = _MARKER.findall(str(notes or ""))
    return found[-1] if found else None


def _no_key(obj: dict[str, Any]) -> Key:
    return None


def _by_name(obj: dict[str, Any]) -> Key:
    return _fold(obj.get("name")) or None


def _by_email(obj: dict[str, Any]) -> Key:
    return _fold(obj.get("email")) or None


def _contact_key(obj: dict[str, Any]) -> Key:
    return (
        nested_id(obj, "client"),
        _fold(obj.get("first_name")),
        _fold(obj.get("last_name")),
        _fold(obj.get("email")),
    )


def _project_key(obj: dict[str, Any]) -> Key:
    code = str(obj.get("code") or "").strip()
    return (nested_id(obj, "client"), ("code", code) if code else ("name", _fold(obj.get("name"))))


def _assignment_key(other: str) -> KeyFn:
    def key(obj: dict[str, Any]) -> Key:
        return (nested_id(obj, "project"), nested_id(obj, other))

    return key


def _expense_key(obj: dict[str, Any]) -> Key:
    return (
        nested_id(obj, "project"),
        str(obj.get("spent_date")),
        _money(obj.get("total_cost")),
        marker(obj.get("notes")),
    )


def _payment_key(obj: dict[str, Any]) -> Key:
    paid = obj.get("paid_date") or str(obj.get("paid_at") or "")[:10]
    return (obj.get("invoice_id"), str(paid), _money(obj.get("amount")))


def _external_reference(obj: dict[str, Any]) -> Key:
    reference = obj.get("external_reference") or {}
    return reference.get("id") if isinstance(reference, dict) else None


def _event_key(parent: str) -> KeyFn:
    def key(obj: dict[str, Any]) -> Key:
        return (obj.get(f"{parent}_id"), obj.get("event_type"))

    return key


def _number(obj: dict[str, Any]) -> Key:
    # Same number for another client is somebody else's invoice, never ours to adopt.
    number = str(obj.get("number") or "").strip()
    return (nested_id(obj, "client"), number) if number else None


# --- how a person calls one --------------------------------------------------------------------------


def _label_name(payload: dict[str, Any]) -> str:
    return str(payload.get("name", ""))


def _label_time(payload: dict[str, Any]) -> str:
    hours = payload.get("hours")
    amount = f"{hours} h" if hours is not None else f"{payload.get('started_time')}–{payload.get('ended_time')}"
    return f"{payload.get('spent_date', '')} {amount}"


def _label_expense(payload: dict[str, Any]) -> str:
    return f"{payload.get('spent_date', '')} {payload.get('total_cost', payload.get('units', ''))}"


def _label_document(payload: dict[str, Any]) -> str:
    count = len(payload.get("line_items") or [])
    return f"#{payload.get('number', '?')} ({count} line{'' if count == 1 else 's'})"


def _label_payment(payload: dict[str, Any]) -> str:
    return f"{payload.get('amount')} on {payload.get('paid_date') or payload.get('paid_at', '')}"


def _label_event(payload: dict[str, Any]) -> str:
    return f"event {payload.get('event_type')}"


def _label_user(payload: dict[str, Any]) -> str:
    return f"{payload.get('first_name', '')} {payload.get('last_name', '')} <{payload.get('email', '')}>"


def _label_contact(payload: dict[str, Any]) -> str:
    return f"{payload.get('first_name', '')} {payload.get('last_name') or ''}".strip()


def _label_assignment(payload: dict[str, Any], name: Callable[[Any], str] = str) -> str:
    return f"{name(payload.get('project_id'))} ← {name(payload.get('user_id', payload.get('task_id')))}"


def _label_step(payload: dict[str, Any], name: Callable[[Any], str] = str) -> str:
    what = "archive" if payload.get("is_active") is False else "reactivate for the load"
    return f"{what}: {name(payload.get('object'))}"


def _title_person(payload: dict[str, Any]) -> str:
    return f"{payload.get('first_name') or ''} {payload.get('last_name') or ''}".strip()


def _singular(name: str) -> str:
    """`time_entries` -> `time_entry`, `expense_categories` -> `expense_category`: Harvest's own word
    for one (a nested object's key, `{"task": {"id": 7}}`) and, with spaces, a report's."""
    return name[:-3] + "y" if name.endswith("ies") else name[:-1]


@dataclass(frozen=True)
class AutoAdded:
    """Harvest adds assignments of this kind to a new project by itself: one for every active `source`
    object whose `flag` is set (research harvest-v2.md §8). `why` names such an object in the ledger's log."""

    source: str
    flag: str
    why: str


# --- the declaration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one v2 kind (or one step of ours) is created, found, listed, ordered and described."""

    name: str
    depends_on: tuple[str, ...] = ()
    create_path: str = ""  # may contain {project_id}, {invoice_id}, {estimate_id} (the `parent_field`)
    list_path: str = ""  # where existing target objects are listed
    list_key: str = ""  # the array's key in the list response
    parent_field: str | None = None  # payload field that goes into the path, not the body
    payload_key: KeyFn = _no_key
    target_key: KeyFn = _no_key
    key_words: str = "natural key"  # how the natural key reads in a report ("client and number")
    create_model: type[models.Payload] | None = None
    update_model: type[models.Payload] | None = None  # None: Harvest cannot change one after creation
    event_of: str | None = None  # a state change of the parent kind (invoice/estimate message)
    # Has `is_active`: an archived source record is created active, receives its history, and is
    # archived by an `archives` step at the end of the batch (Harvest refuses history on archived things).
    archivable: bool = False
    # Harvest does not keep the natural key unique (two equal payments on one invoice are two):
    # a target object another record owns is never adopted for a second record.
    many_per_key: bool = False
    scope: str | None = None  # the list filter that narrows a reconciliation read (`client_id`)
    # No record ever refers to one of these (time entries, expenses): planning keeps none in memory,
    # and the target index keeps only these fields of each (besides its id and natural key).
    leaf: bool = False
    slim: tuple[str, ...] = ()
    label: Callable[[dict[str, Any]], str] = _label_name
    extra_refs: tuple[tuple[str, ...], ...] = ()  # reference fields no create model declares (steps)
    # "first": runs before everything (`reactivations`); "last": after everything (`archives`).
    step: str | None = None
    # --- behaviour particular to some kinds (each default means "not this kind's business") ---
    singular: str = ""  # Harvest's word for one ("time_entry"); derived from the name
    noun: str = ""  # how a bookkeeper calls one in a report ("person"); the singular in words by default
    # Its name without particulars, where its label has more (a person without their email).
    title: Callable[[dict[str, Any]], str] | None = None
    # An assignment: the kind on the other side of its project ("tasks"), and what Harvest adds by itself.
    other: str | None = None
    auto_added: AutoAdded | None = None
    implies: tuple[str, ...] = ()  # assignments Harvest requires (and checks active) when one is logged
    hours: bool = False  # carries logged hours: verify totals them, the sign-off counts them per client
    # The list filter that finds the time entries and expenses on one: deleting one that carries history
    # another batch made would destroy it, so rollback and prune archive it instead.
    guarded_by: str | None = None
    invites: bool = False  # creating one makes Harvest email an invitation (`--create-users`, `[people]`)
    lookup_param: str | None = None  # a list filter that finds one by its natural key (reconciliation)
    no_email: tuple[tuple[str, Any], ...] = ()  # fields every request sets so that Harvest emails nobody
    later_after: str | None = None  # an event kind whose non-`send` events load after this kind's lane
    money: tuple[str, ...] = ()  # fields holding money: a report shows them with their currency
    label_shows_money: bool = False  # its label holds an amount: shown with the currency too
    dated: str | None = None  # the date that places one in the map file's `[only]` window
    renamable: bool = False  # the map file's `[rename]` may give it another v2 name
    receipts: bool = False  # carries a receipt file, uploaded with it (multipart)
    defaults_to_token_user: bool = False  # a record sent without one is booked to the token's user
    ref_fields: tuple[tuple[str, ...], ...] = field(default=(), init=False)
    parent: str | None = field(default=None, init=False)  # the kind `parent_field` names ("projects")
    automatic: tuple[str, ...] = field(default=(), init=False)  # assignment kinds Harvest fills on a new one

    def __post_init__(self) -> None:
        declared = tuple(_ref_paths(self.create_model)) if self.create_model else ()
        object.__setattr__(self, "ref_fields", declared + self.extra_refs)
        object.__setattr__(self, "singular", self.singular or _singular(self.name))
        object.__setattr__(self, "noun", self.noun or self.singular.replace("_", " "))

    @property
    def event(self) -> bool:
        return self.event_of is not None

    @property
    def updatable(self) -> bool:
        return self.update_model is not None

    @property
    def align_on_adopt(self) -> bool:
        """Harvest adds some by itself to a new project: adopting one also sets the source's settings."""
        return self.auto_added is not None

    @property
    def assignment(self) -> bool:
        """A project's assignment of a task or a person (`other` names which)."""
        return self.other is not None

    @property
    def other_field(self) -> str:
        """An assignment's payload field naming its other side (`task_id`)."""
        return f"{_singular(self.other or '')}_id"

    @property
    def other_object(self) -> str:
        """The key of an assignment's other side in Harvest's answer (`{"task": {"id": 7}}`)."""
        return _singular(self.other or "")

    @property
    def nested(self) -> bool:
        """Listed per parent (e.g. `/invoices/{invoice_id}/payments`) rather than account-wide."""
        return "{" in self.list_path

    def path_for(self, payload: dict[str, Any]) -> str:
        """The POST path for a resolved payload."""
        return self.create_path.format(**payload) if self.parent_field else self.create_path

    def item_path(self, payload_or_parent: dict[str, Any], v2_id: int) -> str:
        """The path of one existing object (PATCH, DELETE, GET)."""
        return f"{self.path_for(payload_or_parent)}/{v2_id}"

    def refs(self, payload: dict[str, Any]) -> Iterator[str]:
        """Every `@kind:id` reference the payload holds (in the fields the create model types as one)."""
        found: list[str] = []
        self.map_refs(payload, lambda ref: found.append(ref))
        return iter(found)

    def map_refs(self, payload: dict[str, Any], replace: Callable[[str], Any]) -> dict[str, Any]:
        """`payload` with each reference in a reference field replaced by `replace(reference)` (None:
        left as it is). The one walker of a payload's references: text elsewhere that merely looks like
        one ("@ana: please review") is never touched. Copies only what it changes."""
        for path in self.ref_fields:
            payload = _replaced_at(payload, path, replace)
        return payload


def _ref_paths(model: type[models.Payload], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths of the fields a model types `IdOrRef` (`("line_items", "*", "project_id")` for lines)."""
    for name, info in model.model_fields.items():
        if _holds_a_ref(info.annotation):
            yield (*prefix, name)
            continue
        nested, many = _payload_in(info.annotation)
        if nested is not None:
            yield from _ref_paths(nested, (*prefix, name, "*") if many else (*prefix, name))


def _union_members(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)


def _holds_a_ref(annotation: Any) -> bool:
    """`IdOrRef` (an int or an `@kind:id` string), optional or not."""
    members = _union_members(annotation)
    strings = {get_args(m)[0] if get_origin(m) is Annotated else m for m in members}
    return int in members and str in strings


def _payload_in(annotation: Any) -> tuple[type[models.Payload] | None, bool]:
    """The payload model an annotation holds (`X`, `X | None`, `list[X]`, `list[X] | None`) and if a list.

    Decided member by member in declaration order: the same answer in every process.
    """
    for member in _union_members(annotation):
        if get_origin(member) is list:
            inner, _many = _payload_in(get_args(member)[0])
            if inner is not None:
                return inner, True
        elif isinstance(member, type) and issubclass(member, models.Payload):
            return member, False
    return None, False


def _replaced_at(value: Any, path: tuple[str, ...], replace: Callable[[str], Any]) -> Any:
    """`value` with the reference at `path` (`*`: every item of a list) replaced; the same object when
    nothing changed."""
    if not path:
        if isinstance(value, str) and value.startswith("@"):
            new = replace(value)
            return value if new is None else new
        return value
    head, rest = path[0], path[1:]
    if head == "*":
        if not isinstance(value, list):
            return value
        items = [_replaced_at(item, rest, replace) for item in value]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    if isinstance(value, dict) and value.get(head) is not None:
        inner = _replaced_at(value[head], rest, replace)
        return value if inner is value[head] else value | {head: inner}
    return value


def _step(name: str, depends_on: tuple[str, ...], runs: str) -> Kind:
    # A step PATCHes `is_active` on the object its payload's `object` ref names (decided by
    # `migrator.plan.steps`, sent by `migrator.load.archive`).
    return Kind(name, depends_on, step=runs, extra_refs=(("object",), ("project_id",)), label=_label_step)


def _category(name: str) -> Kind:
    return Kind(name, (), f"/{name}", f"/{name}", name, None, _by_name, _by_name, "name",
                models.ItemCategoryCreate, models.ItemCategoryUpdate)  # fmt: skip


_DECLARED: tuple[Kind, ...] = (
    _step("reactivations", (), "first"),
    Kind(
        "clients",
        (),
        "/clients",
        "/clients",
        "clients",
        None,
        _by_name,
        _by_name,
        "name",
        models.ClientCreate,
        models.ClientUpdate,
        archivable=True,
        renamable=True,
    ),
    Kind(
        "contacts",
        ("clients",),
        "/contacts",
        "/contacts",
        "contacts",
        None,
        _contact_key,
        _contact_key,
        "client, first and last name and email",
        models.ContactCreate,
        models.ContactUpdate,
        many_per_key=True,
        scope="client_id",
        label=_label_contact,
    ),
    Kind(
        "users",
        (),
        "/users",
        "/users",
        "users",
        None,
        _by_email,
        _by_email,
        "email",
        models.UserCreate,
        models.UserUpdate,
        archivable=True,
        label=_label_user,
        title=_title_person,
        noun="person",
        guarded_by="user_id",
        invites=True,
        defaults_to_token_user=True,
    ),
    Kind(
        "tasks",
        (),
        "/tasks",
        "/tasks",
        "tasks",
        None,
        _by_name,
        _by_name,
        "name",
        models.TaskCreate,
        models.TaskUpdate,
        archivable=True,
        guarded_by="task_id",
        renamable=True,
    ),
    Kind(
        "expense_categories",
        (),
        "/expense_categories",
        "/expense_categories",
        "expense_categories",
        None,
        _by_name,
        _by_name,
        "name",
        models.ExpenseCategoryCreate,
        models.ExpenseCategoryUpdate,
        archivable=True,
        noun="category",
        renamable=True,
    ),
    _category("invoice_item_categories"),
    _category("estimate_item_categories"),
    # After tasks and users: Harvest adds default tasks and "all future projects" users to every
    # new project, so creating those first makes the target's assignments deterministic.
    Kind(
        "projects",
        ("clients", "tasks", "users"),
        "/projects",
        "/projects",
        "projects",
        None,
        _project_key,
        _project_key,
        "client and code or name",
        models.ProjectCreate,
        models.ProjectUpdate,
        archivable=True,
        scope="client_id",
        guarded_by="project_id",
        renamable=True,
    ),
    Kind(
        "user_assignments",
        ("projects", "users"),
        "/projects/{project_id}/user_assignments",
        "/user_assignments",
        "user_assignments",
        "project_id",
        lambda p: (p.get("project_id"), p.get("user_id")),
        _assignment_key("user"),
        "project and user",
        models.UserAssignmentCreate,
        models.UserAssignmentUpdate,
        archivable=True,
        other="users",
        auto_added=AutoAdded("users", "has_access_to_all_future_projects", "a user with access to all future projects"),
        label=_label_assignment,
    ),
    Kind(
        "task_assignments",
        ("projects", "tasks"),
        "/projects/{project_id}/task_assignments",
        "/task_assignments",
        "task_assignments",
        "project_id",
        lambda p: (p.get("project_id"), p.get("task_id")),
        _assignment_key("task"),
        "project and task",
        models.TaskAssignmentCreate,
        models.TaskAssignmentUpdate,
        archivable=True,
        other="tasks",
        auto_added=AutoAdded("tasks", "is_default", "a default task"),
        label=_label_assignment,
    ),
    Kind(
        "time_entries",
        ("projects", "tasks", "users", "user_assignments", "task_assignments"),
        "/time_entries",
        "/time_entries",
        "time_entries",
        None,
        _external_reference,
        _external_reference,
        "external reference",
        models.TimeEntryCreate,
        models.TimeEntryUpdate,
        leaf=True,
        implies=("user_assignments", "task_assignments"),
        hours=True,
        lookup_param="external_reference_id",  # the anchor the mapping sets
        dated="spent_date",
        # verify compares every field the mapping sends (migrator.verify.entries)
        slim=("hours", "spent_date", "project", "user", "task", "billable", "notes"),
        label=_label_time,
    ),
    Kind(
        "expenses",
        ("projects", "users", "expense_categories", "user_assignments"),
        "/expenses",
        "/expenses",
        "expenses",
        None,
        lambda p: (p.get("project_id"), str(p.get("spent_date")), _money(p.get("total_cost")), marker(p.get("notes"))),
        _expense_key,
        "project, date, total cost and marker",
        models.ExpenseCreate,
        models.ExpenseUpdate,
        scope="project_id",
        leaf=True,
        implies=("user_assignments",),
        money=("total_cost",),
        label_shows_money=True,
        dated="spent_date",
        receipts=True,
        slim=(
            "total_cost",
            "spent_date",
            "project",
            "user",
            "expense_category",
            "billable",
            "notes",
            "units",
            "receipt",
        ),
        label=_label_expense,
    ),
    Kind(
        "estimates",
        ("clients", "estimate_item_categories"),
        "/estimates",
        "/estimates",
        "estimates",
        None,
        _number,
        _number,
        "client and number",
        models.EstimateCreate,
        models.EstimateUpdate,
        scope="client_id",
        label=_label_document,
        money=("amount",),
        dated="issue_date",
    ),
    Kind(
        "estimate_messages",
        ("estimates",),
        "/estimates/{estimate_id}/messages",
        "/estimates/{estimate_id}/messages",
        "estimate_messages",
        "estimate_id",
        _event_key("estimate"),
        _event_key("estimate"),
        "estimate and event",
        models.EstimateMessageEvent,
        event_of="estimates",
        label=_label_event,
    ),
    Kind(
        "invoices",
        ("clients", "projects", "invoice_item_categories"),
        "/invoices",
        "/invoices",
        "invoices",
        None,
        _number,
        _number,
        "client and number",
        models.InvoiceCreate,
        models.InvoiceUpdate,
        scope="client_id",
        label=_label_document,
        money=("amount", "due_amount"),
        dated="issue_date",
    ),
    Kind(
        "invoice_payments",
        ("invoices", "invoice_messages"),
        "/invoices/{invoice_id}/payments",
        "/invoices/{invoice_id}/payments",
        "invoice_payments",
        "invoice_id",
        _payment_key,
        _payment_key,
        "invoice, paid date and amount",
        models.InvoicePaymentCreate,
        many_per_key=True,
        label=_label_payment,
        no_email=(("send_thank_you", False),),  # Harvest would thank the client by email
        money=("amount",),
        dated="paid_date",
    ),
    Kind(
        "invoice_messages",
        ("invoices",),
        "/invoices/{invoice_id}/messages",
        "/invoices/{invoice_id}/messages",
        "invoice_messages",
        "invoice_id",
        _event_key("invoice"),
        _event_key("invoice"),
        "invoice and event",
        models.InvoiceMessageEvent,
        event_of="invoices",
        label=_label_event,
        later_after="invoice_payments",  # `close` after the payments, `send` before them
    ),
    _step("archives", KINDS, "last"),
)

REGISTRY: dict[str, Kind] = {kind.name: kind for kind in _DECLARED}
assert tuple(REGISTRY) == PLAN_KINDS, "declare every kind, in CONTRACT order, between the steps"
_BY_FIELD = {f"{kind.singular}_id": kind.name for kind in _DECLARED if not kind.step}


def kind_of_field(name: str) -> str | None:
    """The kind a reference field names by Harvest's convention (`project_id` -> `projects`), or None."""
    return _BY_FIELD.get(name)


for _kind in _DECLARED:  # what one kind's declaration says about another
    object.__setattr__(_kind, "parent", kind_of_field(_kind.parent_field or ""))
    object.__setattr__(
        _kind,
        "automatic",
        tuple(k.name for k in _DECLARED if k.auto_added and kind_of_field(k.parent_field or "") == _kind.name),
    )
ARCHIVABLE: frozenset[str] = frozenset(name for name, kind in REGISTRY.items() if kind.archivable)
LEAVES: tuple[str, ...] = tuple(name for name in KINDS if REGISTRY[name].leaf)  # nothing refers to one
ASSIGNMENTS: tuple[str, ...] = tuple(name for name in KINDS if REGISTRY[name].assignment)
# Views of the declaration, for what iterates one aspect of it (the contract tests, the mappings).
CREATE_MODELS: dict[str, type[models.Payload]] = {n: k.create_model for n, k in REGISTRY.items() if k.create_model}
UPDATE_MODELS: dict[str, type[models.Payload]] = {n: k.update_model for n, k in REGISTRY.items() if k.update_model}
PATH_FIELDS: dict[str, str] = {n: k.parent_field for n, k in REGISTRY.items() if k.parent_field}
_INDEX = {kind: index for index, kind in enumerate(PLAN_KINDS)}


def kind_index(kind: str) -> int:
    """Position of `kind` in load order (unknown kinds sort last)."""
    return _INDEX.get(kind, len(PLAN_KINDS))


_NAMED = (_label_assignment, _label_step)  # labels that name other objects (references, unless `name` says)


def describe(kind: str, payload: dict[str, Any], name: Callable[[Any], str] | None = None) -> str:
    """What a bookkeeper would call this object ("Acme Corp", "2012-10-30 1.5 h", "#1042 (2 lines)").

    `name` turns a reference into the referred object's own label (a report passes it, so an
    assignment reads "Website Redesign ← Ada Lindqvist" rather than "@projects:901 ← @users:701").
    """
    if not payload or kind not in REGISTRY:
        return ""
    label = REGISTRY[kind].label
    if name is not None and label in _NAMED:
        return label(payload, name)  # type: ignore[call-arg]
    return label(payload)


def load_order(kinds: Iterable[str] | None = None) -> list[str]:
    """Kinds in an order where each comes after what it depends on (a topological sort).

    Invoice payments depend on the "send" message, and "close" depends on the payments: those
    per-record orderings are carried by each planned object's `after` refs; kind order only has
    to put the message kind's *parents* first.
    """
    wanted = set(kinds if kinds is not None else PLAN_KINDS)
    order: list[str] = []
    visiting: set[str] = set()

    def visit(kind: str) -> None:
        if kind in order or kind not in REGISTRY:
            return
        if kind in visiting:
            return  # invoice_payments <-> invoice_messages: broken per record by `after`
        visiting.add(kind)
        for dependency in REGISTRY[kind].depends_on:
            visit(dependency)
        visiting.discard(kind)
        order.append(kind)

    for kind in PLAN_KINDS:
        visit(kind)
    return [kind for kind in order if kind in wanted]
