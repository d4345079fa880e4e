"""The one declaration of every legacy source system, as `kinds.py` is for the v2 kinds.

Everything that differs between Harvest v1 and FreshBooks Classic hangs off one `SourceSystem`
entry: how its files are recognised and read, how its records map to v2, how a live account is
exported, how its legacy API is simulated, and where its shipped fixture account lives. The source
reader, the mappings, the generator, the `--map` file, the command line and the exporter all read
`SYSTEMS`, so a third system is one package per stage plus one entry here.

Entries name their code as `"module:attribute"` strings and import it on first use: the command
line starts in a fraction of a second because nothing below is imported until a command needs it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.errors import ConfigError

if TYPE_CHECKING:
    from migrator.mappings import MapFunction
    from migrator.sources.record import SourceReader

_PACKAGE = Path(__file__).parent  # holds `fixtures/` (package data; in a checkout, a link to ../fixtures)


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class SourceSystem:
    """One legacy source system: its name in every report and option, and the code of each stage."""

    name: str  # `harvest-v1`: the SYSTEM of `SYSTEM:KIND:ID`, `--from`, `export SYSTEM`, `sandbox --system`
    label: str  # `Harvest v1`: how people call it
    reader: str  # the `SourceReader` class; its `claims_head` recognises the system's files by their root
    mapping: str  # `map_export(export, sink, ctx)`: records -> planned v2 objects
    generator: str  # `generate_x(out_dir, entries=, seed=) -> Expected`: a realistic account at any size
    fixtures: str  # the shipped fixture account, a folder under the repository's `fixtures/`
    url_env: str  # the environment variable holding the live account's address for `export`
    secret_env: tuple[str, ...]  # environment variables holding credentials: redacted from every output
    exporter: str | None = None  # the `Exporter` of `migrator export` (None: not built yet)
    sandbox: str | None = None  # the `LegacySandbox` subclass of `migrator sandbox --system` (None: not built yet)
    sandbox_banner: str = ""  # its first stdout line, `{url}` filled in (docs/INTERFACE.md)

    def load_reader(self) -> SourceReader:
        """A new reader of this system's files (readers may keep per-export state, e.g. paging)."""
        reader: SourceReader = _load(self.reader)()
        return reader

    def mapper(self) -> MapFunction:
        """The system's `map_export` function."""
        function: MapFunction = _load(self.mapping)
        return function

    def load_generator(self) -> Any:
        return _load(self.generator)

    def load_exporter(self) -> Any:
        """The system's exporter (`migrator.export.base.Exporter`); a `ConfigError` until it is built."""
        if self.exporter is None:
            raise ConfigError(f"exporting from {self.label} is not available yet")
        return _load(self.exporter)()

    def sandbox_class(self) -> Any:
        """The system's legacy sandbox class; a `ConfigError` until it is built."""
        if self.sandbox is None:
            raise ConfigError(f"the {self.label} sandbox is not available yet")
        return _load(self.sandbox)

    def fixtures_path(self) -> Path:
        """The shipped fixture account: package data (`migrator/fixtures`, the repository's `fixtures/`
        folder linked into the package), so an installed `migrator` has it wherever it runs."""
        folder = _PACKAGE / "fixtures" / self.fixtures
        if not folder.is_dir():
            raise ConfigError(
                f"the shipped {self.label} fixture account ({folder}) is missing: reinstall migrator, "
                "or give a folder of saved responses (--from)"
            )
        return folder


SYSTEMS: dict[str, SourceSystem] = {
    system.name: system
    for system in (
        SourceSystem(
            name="harvest-v1",
            label="Harvest v1",
            reader="migrator.sources.harvest_v1.reader:HarvestV1Reader",
            mapping="migrator.mappings.harvest_v1:map_export",
            generator="migrator.generate.harvest_v1:generate_harvest_v1",
            fixtures="harvest-v1",
            url_env="HARVEST_V1_URL",
            secret_env=("HARVEST_V1_PASSWORD", "HARVEST_V1_TOKEN"),
            exporter="migrator.export.harvest_v1:HarvestV1Exporter",
            sandbox="migrator.sandbox.legacy.harvest_v1:HarvestV1Sandbox",
            sandbox_banner="Harvest v1 sandbox listening on {url}",
        ),
        SourceSystem(
            name="freshbooks",
            label="FreshBooks Classic",
            reader="migrator.sources.freshbooks.reader:FreshBooksReader",
            mapping="migrator.mappings.freshbooks:map_export",
            generator="migrator.generate.freshbooks:generate_freshbooks",
            fixtures="freshbooks",
            url_env="FRESHBOOKS_URL",
            secret_env=("FRESHBOOKS_TOKEN",),
            exporter="migrator.export.freshbooks:FreshBooksExporter",
            sandbox="migrator.sandbox.legacy.freshbooks:FreshBooksSandbox",
            sandbox_banner="FreshBooks sandbox listening on {url}",
        ),
    )
}
NAMES: tuple[str, ...] = tuple(SYSTEMS)
# Every environment variable that may hold a credential: the v2 target's and each source system's.
SECRET_ENV: tuple[str, ...] = ("HARVEST_ACCESS_TOKEN", *(name for s in SYSTEMS.values() for name in s.secret_env))


def system(name: str) -> SourceSystem:
    """The declaration of `name`; a `ConfigError` listing the known systems otherwise."""
    try:
        return SYSTEMS[name]
    except KeyError:
        raise ConfigError(f"unknown source system {name!r}: choose one of {', '.join(NAMES)}") from None
