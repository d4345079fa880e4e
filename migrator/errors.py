"""Every exception migrator raises on purpose, in one tree. Each branch tells the caller what to do next.

    MigratorError                   cli.main prints str(error) as one line and exits 1 (never a traceback)
    ├── SourceError                 sources/: a file is unsafe, unreadable or malformed (`file:line record field`)
    │   │                           → fix the file; `--keep-going` lists it under `errors` and plans the rest
    │   ├── UnsafeXMLError          xmlsafe: entities, a DTD, an external reference: refused, never expanded
    │   ├── SourceParseError        xmlsafe, the readers: not well-formed, or a shape no reader knows
    │   │   └── MalformedXMLError   xmlsafe: broken or cut short (a truncated body)
    │   ├── SourceFailResponse      freshbooks reader: a saved `status="fail"` body, an error and not data
    │   └── ReceiptChangedError     harvest/multipart: a receipt file changed or vanished since it was planned
    │                               → the loader creates the expense without it and says why
    ├── MappingError                mappings/: a value has no v2 form → the mapping plans the record `invalid`
    │   └── UnknownCurrency         harvest_v1/currency: a currency name with no ISO 4217 code
    ├── ConfigError                 the edges (cli, api, target, config, settings, systems): flags or environment
    │   │                           are missing or contradict → fix them; nothing was sent
    │   └── MapFileError            overrides: the `--map` file (file, line, key); nothing was sent
    ├── HarvestError                harvest/client: the Harvest v2 target answered badly (method, path, status)
    │   ├── TransientError          5xx, timeout, dropped connection; GETs were already retried
    │   │   │                       → loader: an update is planned again, a create reconciled first
    │   │   ├── OutcomeUnknownError a POST may have arrived → reconcile (load/reconcile) before sending again
    │   │   └── RateLimitedError    429 past every retry: nothing was processed → sending again is safe
    │   ├── TargetUnreachableError  DNS, refused connection → the run stops cleanly; the same command resumes
    │   ├── RejectedError           422 and other 4xx (load/invoices refuses an email too) → the record is
    │   │   │                       rejected with Harvest's message, its dependents blocked, the rest goes on
    │   │   └── NotFoundError       404: the object or its parent is gone
    │   └── AuthError               401/403, or a token that is not an administrator's (plan/target_index)
    │                               → stop at once; the ledger is consistent
    ├── CannotTell                  load/reconcile: the target cannot say whether a record's object exists
    │                               (several matches, no natural key) → the record is rejected, saying so
    ├── ExportError                 export/: a legacy API answered what an export cannot keep (its request)
    │   │                           → fix access and run again: what was fetched stays, the export resumes
    │   ├── ExportFailBody          FreshBooks said status="fail" (HTTP 200): its own code and text say why
    │   └── ExportAccessError       credentials refused, or not an administrator's: nothing more is requested
    ├── LedgerError                 load/ledger: locked by another run, bound to another target, unwritable
    │                               → stop; nothing was sent
    └── PlanError                   plan/saved_plan: a saved plan no longer matches the source, ledger or
                                    target (or cannot be read) → plan again

Signals that never leave the module that raises them stay there, private: the typer's `_Slow` (take the
validating path), the export's `Stopped` and `IncompleteBody` (a task ends; read the body again), the
sandbox schema's `_NotText`. The sandboxes' `SandboxError` is the test instrument's HTTP answer to a
client, not an error of migrator's.
"""

from __future__ import annotations

from dataclasses import dataclass


class MigratorError(Exception):
    """Root of every error migrator raises on purpose. The CLI prints `str(error)` and exits 1."""

    exit_code = 1


# --- sources ---------------------------------------------------------------------------------------


class SourceError(MigratorError):
    """A problem in a legacy export file, located by file, line and (when known) record and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        resource: str | None = None,
        record_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.resource = resource
        self.record_id = record_id
        self.field = field
        super().__init__(self.describe())

    def describe(self) -> str:
        """`file:line resource id: field: message`, leaving out what is unknown."""
        where = self.file or "<source>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        subject = ""
        if self.resource and self.record_id:
            subject = f" {self.resource} {self.record_id}"
        elif self.resource:
            subject = f" {self.resource}"
        field = f" field '{self.field}'" if self.field else ""
        return f"{where}{subject}:{field} {self.message}".replace(": ", ": ", 1)

    def as_dict(self) -> dict[str, object]:
        """The shape of one entry of a report's `errors` list."""
        out: dict[str, object] = {"file": self.file, "line": self.line, "message": self.describe()}
        if self.record_id is not None:
            out["source_id"] = self.record_id
        if self.resource is not None:
            out["resource"] = self.resource
        return out


class UnsafeXMLError(SourceError):
    """The document declares entities or a DTD, or points outside itself: refused, never expanded."""


class SourceParseError(SourceError):
    """The document is not well-formed XML, or is of an unknown shape."""


class MalformedXMLError(SourceParseError):
    """The document is not well-formed: broken, or cut short (a truncated body fails this way)."""


class SourceFailResponse(SourceError):
    """A saved FreshBooks `status="fail"` body: the export recorded an error, not data. `code` and
    `text` are FreshBooks' own `<code>` and `<error>` (one line each)."""

    def __init__(self, message: str, *, code: str = "?", text: str = "", **where: str | int | None) -> None:
        self.code = code
        self.text = text
        super().__init__(message, **where)  # type: ignore[arg-type]


class ReceiptChangedError(SourceError):
    """The receipt file is not what was planned any more (missing, or another size): nothing was kept."""


# --- mapping ---------------------------------------------------------------------------------------


class MappingError(MigratorError):
    """A source value has no v2 form. Raised and caught inside a mapping, which plans the record
    `invalid` with this message: one record never stops a plan."""


class UnknownCurrency(MappingError):
    """A Harvest v1 currency display name carries no ISO 4217 code this migrator knows."""


# --- configuration ---------------------------------------------------------------------------------


class ConfigError(MigratorError):
    """Settings are missing or contradictory; the message says what to set."""


class MapFileError(ConfigError):
    """The `--map` file cannot be used: it names the file and the key (nothing is sent)."""


# --- target (Harvest v2 over HTTP) -----------------------------------------------------------------


@dataclass(frozen=True)
class RequestInfo:
    """What a Harvest error says about the request: never the token, never the query string."""

    method: str
    path: str


class HarvestError(MigratorError):
    """The Harvest v2 target answered with an error or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        body: str | None = None,
    ) -> None:
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        prefix = f"{method} {path}" if method else "Harvest"
        status_text = f" -> {status}" if status is not None else ""
        super().__init__(f"{prefix}{status_text}: {message}")


class TransientError(HarvestError):
    """A failure that may pass (5xx, timeout, dropped connection); safe requests were already retried."""


class OutcomeUnknownError(TransientError):
    """A POST failed after it may have reached Harvest. Never re-send blindly: reconcile first."""


class TargetUnreachableError(HarvestError):
    """The target could not be reached at all (DNS, refused connection) after retries."""


class RejectedError(HarvestError):
    """Harvest refused the record (422 and other 4xx): record Harvest's message and go on."""


class NotFoundError(RejectedError):
    """404: the object (or its parent) does not exist in the target."""


class AuthError(HarvestError):
    """401/403: the token, account id or permissions are wrong. Stop the run at once."""


class RateLimitedError(TransientError):
    """429 persisted past every retry."""


class CannotTell(MigratorError):
    """The target cannot say whether a record's object exists (several matches, or no natural key)."""


# --- export (a live legacy API) --------------------------------------------------------------------


class ExportError(MigratorError):
    """A live legacy API answered something an export cannot keep, named by its request (never the
    credential). What was fetched before stays in the export folder; running it again resumes."""

    def __init__(self, message: str, *, request: str = "", status: int | None = None) -> None:
        self.message = message
        self.request = request
        self.status = status
        status_text = f" -> {status}" if status is not None else ""
        super().__init__(f"{request}{status_text}: {message}" if request else message)


class ExportFailBody(ExportError):
    """FreshBooks answered `status="fail"` (with HTTP 200): its `code` and `text` say why."""

    def __init__(self, message: str, *, code: str, text: str, request: str = "", status: int | None = None) -> None:
        self.code = code
        self.text = text
        super().__init__(message, request=request, status=status)


class ExportAccessError(ExportError):
    """The credentials were refused (401/403), or they belong to someone who cannot see everything:
    an export with them would miss records. Nothing more is requested."""


# --- ledger and plans ------------------------------------------------------------------------------


class LedgerError(MigratorError):
    """The ledger cannot be used: locked by another run, bound to another target, or not writable."""


class PlanError(MigratorError):
    """A saved plan is stale or unreadable."""


def redact(text: str, *secrets: str | None) -> str:
    """Replace every occurrence of each secret in `text` with `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
