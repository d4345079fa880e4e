"""One exception tree for migrator. Each branch tells the caller what to do next.

- `SourceError`: a legacy export file is unsafe, unreadable or malformed (fix the file, or `--keep-going`).
- `MappingError`: a record cannot be represented in Harvest v2 (report it, plan the rest).
- `ConfigError`: the command line or environment is incomplete (fix the settings).
- `HarvestError`: the target answered badly; subclasses say whether to retry, reconcile, report or stop.
- `ExportError`: a live legacy API answered something an export cannot keep (fix access, run again).
- `LedgerError`: the ledger cannot be used (locked, other target, disk full): stop, nothing was sent.
- `PlanError`: a saved plan no longer matches the source, ledger or target.
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


# --- mapping ---------------------------------------------------------------------------------------


class MappingError(MigratorError):
    """A source record cannot become a valid Harvest v2 payload."""

    def __init__(self, message: str, *, kind: str, source_id: str, field: str | None = None) -> None:
        self.message = message
        self.kind = kind
        self.source_id = source_id
        self.field = field
        where = f"{kind} {source_id}" + (f" field '{field}'" if field else "")
        super().__init__(f"{where}: {message}")


# --- configuration ---------------------------------------------------------------------------------


class ConfigError(MigratorError):
    """Settings are missing or contradictory; the message says what to set."""


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
