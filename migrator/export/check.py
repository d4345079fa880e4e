"""Is an answer something an export can keep? Status, Content-Type, then the body itself.

A body counts as fetched only once the same hardened reader that reads saved files
(`sources.xmlsafe` under the system's `SourceReader`) has read it whole: no entity expansion, no
DTD, well-formed to its end, a root the system answers with. A body cut short is fetched again; a
hostile, foreign or failed body (HTML where XML belongs, JSON, a FreshBooks `status="fail"`: an
`ExportFailBody` with its code) is one `ExportError` naming the request, and the temporary file is
dropped: nothing of it reaches OUT.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from migrator.errors import ExportError, ExportFailBody, MalformedXMLError, SourceError, SourceFailResponse
from migrator.export.fetch import Fetched, IncompleteBody
from migrator.sources.record import RawRecord, SourceReader, SourceWarning

XML_MEDIA = frozenset({"application/xml", "text/xml"})
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass
class Checked:
    """What a body held: records per source resource, and the reader's notices."""

    records: Counter[str] = field(default_factory=Counter)
    notices: list[str] = field(default_factory=list)


def is_xml(media_type: str) -> bool:
    return media_type in XML_MEDIA or media_type.endswith("+xml")


def check_xml(
    fetched: Fetched,
    reader: SourceReader,
    on_record: Callable[[RawRecord], None] | None = None,
    explain: Callable[[Fetched], ExportError] | None = None,
) -> Checked:
    """Read a 2xx body with the system's reader; count its records and hand each to `on_record`.

    An empty body is an empty list (Harvest v1 sometimes answers one). Raises `IncompleteBody`
    for a body that is not well-formed (most often cut short: fetched again), `ExportError` for
    anything else that is not a clean response of this system (a body that is not XML at all in
    the words of `explain`, the system's reading of its error answers).
    """
    checked = Checked()
    if fetched.size == 0:
        return checked
    if fetched.media_type and not is_xml(fetched.media_type):
        if explain is not None:
            raise explain(fetched)
        raise ExportError(describe(fetched, "where XML belongs"), request=fetched.request.shown, status=fetched.status)

    def emit(record: RawRecord) -> None:
        checked.records[record.resource] += 1
        if on_record is not None:
            on_record(record)

    def warn(notice: SourceWarning) -> None:
        where = f"line {notice.line}: " if notice.line is not None else ""
        checked.notices.append(where + notice.message)

    assert fetched.temp is not None  # a 2xx body is always on disk
    try:
        reader.read(fetched.temp, emit, warn)
    except MalformedXMLError as exc:
        raise IncompleteBody(f"the body is not well-formed XML ({_located(exc)}): cut short or broken") from exc
    except SourceFailResponse as exc:  # FreshBooks' failure with HTTP 200: an answer, in its own words
        raise ExportFailBody(
            exc.message, code=exc.code, text=exc.text, request=fetched.request.shown, status=fetched.status
        ) from exc
    except SourceError as exc:
        raise ExportError(
            f"the body is refused: {_located(exc)}", request=fetched.request.shown, status=fetched.status
        ) from exc
    return checked


def describe(fetched: Fetched, where: str = "") -> str:
    """A short account of an answer that is not what was asked for: its type and what it says."""
    media = fetched.media_type or "no Content-Type"
    kind = {"text/html": "an HTML page", "application/json": "JSON"}.get(fetched.media_type, media)
    text = f"{kind} {where}".strip() if where else kind
    said = snippet(fetched.head)
    return f"{text} ({said})" if said else text


def snippet(head: bytes, limit: int = 100) -> str:
    """What an error body says, in one short line: an HTML page's title, else its first text."""
    found = _TITLE.search(head)
    raw = found.group(1) if found else head
    text = raw.decode("utf-8", "replace")
    if not found:
        text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _located(exc: SourceError) -> str:
    return f"{exc.message} at line {exc.line}" if exc.line is not None else exc.message
