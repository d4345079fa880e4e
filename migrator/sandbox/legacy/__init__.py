"""Legacy sandboxes: a folder of saved responses served as that system's API over real HTTP.

    with HarvestV1Sandbox(Path("fixtures/harvest-v1"), rate=(5, 1.0), traps=("shifting-pages",)) as sandbox:
        ...  # sandbox.url, sandbox.email / sandbox.password, sandbox.stats()

`LegacySandbox` is the part every system shares: the folder read into a `RecordStore` (the
system's own reader, the source reader's merge, SQLite on disk), the HTTP server with its rate
limit, seeded faults and request log (`server`), the traps a test switches on by name
(`--trap NAME[=PATH]`), and `serve()` for `migrator sandbox --system NAME`. A system's sandbox
(`harvest_v1.HarvestV1Sandbox`) adds its endpoints, its answers (bodies, error pages, the way it
throttles) and what its traps do. The next system plugs in the same way, with its own module.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

from migrator.errors import ConfigError
from migrator.sandbox.faults import FaultInjector
from migrator.sandbox.legacy.server import FAULT_KINDS, Answer, Incoming, LegacyServer
from migrator.sandbox.legacy.store import Columns, RecordStore
from migrator.sandbox.throttle import RateWindow
from migrator.sources.record import RawRecord
from migrator.systems import system as source_system

__all__ = ["Answer", "Columns", "Incoming", "LegacySandbox", "parse_traps", "serve"]


def parse_traps(given: Iterable[str], known: Iterable[str]) -> dict[str, str | None]:
    """`["bad-id=/invoices/3001", "non-admin"]` -> `{"bad-id": "/invoices/3001", "non-admin": None}`."""
    known = tuple(known)
    traps: dict[str, str | None] = {}
    for text in given:
        name, _, target = text.partition("=")
        name = name.strip()
        if name not in known:
            raise ConfigError(f"unknown trap {name!r}: the traps are {', '.join(known)}")
        traps[name] = target.strip() or None
    return traps


class LegacySandbox:
    """One legacy account served over HTTP (see the module docstring); subclasses fill in the hooks."""

    system: ClassVar[str]
    traps_known: ClassVar[tuple[str, ...]] = ()
    reader_class: ClassVar[type]
    default_page_size: ClassVar[int] = 50  # records a list page holds at most, unless `page_size` says

    def __init__(
        self,
        folder: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate: tuple[int, float] | None = (100, 15.0),
        traps: Iterable[str] = (),
        fault_rate: float = 0.0,
        fault_seed: int = 0,
        page_size: int | None = None,
    ) -> None:
        declared = source_system(self.system)
        self.label = declared.label
        self.banner_format = declared.sandbox_banner
        self.folder = Path(folder) if folder is not None else declared.fixtures_path()
        if not self.folder.is_dir():
            raise ConfigError(f"--from {self.folder}: not a folder of saved {self.label} responses")
        page_size = self.default_page_size if page_size is None else page_size
        if page_size < 1:
            raise ConfigError(f"--page-size must be at least 1, got {page_size}")
        self.traps = parse_traps(traps, self.traps_known)
        self.page_size = page_size
        self.store = RecordStore()
        self.store.load(self.folder, self.reader_class, self.index, self.rewrite)
        self.prepare()
        self._server = LegacyServer(
            (host, port),
            answer=self.answer,
            throttled=self.throttled,
            window=RateWindow(rate),
            faults=FaultInjector(fault_rate, FAULT_KINDS, fault_seed, known=FAULT_KINDS),
            extra_stats=self.extra_stats,
            describe=self.describe,
        )
        self._thread: threading.Thread | None = None

    # --- what a system provides -------------------------------------------------------------------------

    def index(self, record: RawRecord) -> Columns:
        """Where a record is found (its grouping and day), for the endpoints that answer by them."""
        return Columns()

    def rewrite(self, resource: str, element: bytes) -> tuple[bytes, bytes | None]:
        """A record's element as the API writes it, and its list summary when that differs."""
        return element, None

    def prepare(self) -> None:
        """After loading: anything the system works out once (e.g. whom the credentials are)."""

    def answer(self, request: Incoming) -> Answer | None:
        raise NotImplementedError

    def throttled(self, wait: float) -> Answer:
        raise NotImplementedError

    def describe(self, body: bytes) -> str | None:
        """What a request body asks, for the request log (None: the path says it all)."""
        return None

    def extra_stats(self) -> dict[str, Any]:
        return {"records": self.store.counts()}

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def credentials_line(self) -> str:
        """The second line `serve` prints: how to authenticate."""
        return ""

    # --- running -----------------------------------------------------------------------------------------

    def start(self) -> LegacySandbox:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.system}-sandbox",
                daemon=True,
            )  # fmt: skip
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self.store.close()

    def __enter__(self) -> LegacySandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        """The same document as `GET /__sandbox/stats`."""
        return self._server.stats()

    def banner(self) -> str:
        return self.banner_format.format(url=self.url)


def serve(system_name: str, **options: Any) -> None:
    """Serve a system's legacy sandbox in the foreground until Ctrl-C or SIGTERM (`migrator sandbox
    --system NAME`). The first stdout line is exactly the system's banner (docs/INTERFACE.md)."""
    sandbox: LegacySandbox = source_system(system_name).sandbox_class()(**options)
    print(sandbox.banner(), flush=True)
    line = sandbox.credentials_line()
    if line:
        print(line, flush=True)

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)
    try:
        sandbox._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        print("sandbox stopped", file=sys.stderr, flush=True)
