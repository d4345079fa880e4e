"""What the command line does with the terminal: colour, narrow encodings, and `--verbose` logs.

- Colour: `--color` / `--no-color`; otherwise none when `NO_COLOR` is set (https://no-color.org),
  else only on a terminal. Every colour goes through click, whose context this sets, and the
  progress bar's rich console, which asks `color_enabled`.
- A console whose encoding cannot show a character (a Windows cp1252 console, output redirected
  to a file in the legacy code page) gets it escaped, never a `UnicodeEncodeError`.
- `-v` / `--verbose`: what the client and the loader log (retries, 429 waits, reconciliation
  decisions) on stderr, with the access token and every legacy credential redacted, as everywhere.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from typing import Any

import click

from migrator.errors import redact
from migrator.systems import SECRET_ENV

_state: dict[str, bool | None] = {"color": None}  # None: decide by NO_COLOR and the terminal


def set_color(color: bool | None) -> None:
    """Force colour on or off for this process (None: by `NO_COLOR` and the terminal)."""
    _state["color"] = color
    context = click.get_current_context(silent=True)
    while context is not None:  # click.echo asks the current context, which copied its parent's
        context.color = color_enabled(sys.stdout)
        context = context.parent


def color_enabled(stream: Any) -> bool:
    """Whether to colour what goes to `stream`."""
    chosen = _state["color"]
    if chosen is not None:
        return bool(chosen)
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def safe_streams() -> None:
    """Let stdout and stderr escape what their encoding cannot show instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


class _Redacting(logging.Filter):
    def __init__(self, secrets: tuple[str | None, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), *self.secrets)
        record.args = ()
        return True


def set_verbose(verbose: bool) -> None:
    """Send migrator's logs (info and up) to stderr, the access token redacted."""
    logger = logging.getLogger("migrator")
    if not verbose or any(getattr(h, "_migrator", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._migrator = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    handler.addFilter(_Redacting(tuple(os.environ.get(name) for name in SECRET_ENV)))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
