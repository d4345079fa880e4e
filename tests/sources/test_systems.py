"""`migrator.systems`: one declaration per source system drives routing, mapping, generating,
exporting, the legacy sandboxes, the map file and the command line; a third system is one entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import click
import pytest

from migrator import overrides
from migrator.cli import cli
from migrator.errors import SourceParseError
from migrator.generate import SYSTEMS as GENERATED
from migrator.mappings import mapper_for
from migrator.planned import MapContext, MapSink
from migrator.sources.export import SourceExport, read_exports
from migrator.sources.harvest_v1.reader import LISTS, HarvestV1Reader
from migrator.sources.xmlsafe import Head
from migrator.systems import NAMES, SECRET_ENV, SYSTEMS, SourceSystem


class AcmeReader(HarvestV1Reader):
    """A third system for the test: `<acme-clients>` bodies holding Harvest-v1-shaped clients."""

    system: ClassVar[str] = "acme"

    def claims(self, root_name: str) -> bool:
        return root_name == "acme-clients"

    def claims_head(self, head: Head) -> bool:
        return head.root == "acme-clients"

    def list_layout(self, head: Head) -> Any:
        return LISTS["clients"]

    def layout(self, root: Any, attrs: dict[str, str], file: Any) -> Any:
        return LISTS["clients"]


MAPPED: list[str] = []


def map_acme(export: SourceExport, sink: MapSink, ctx: MapContext) -> None:
    MAPPED.extend(record.id for record in export.typed("clients"))


def test_every_declared_system_loads_each_of_its_stages() -> None:
    assert NAMES == ("harvest-v1", "freshbooks")
    for name, system in SYSTEMS.items():
        assert system.load_reader().system == name
        assert callable(system.mapper()) and callable(system.load_generator())
        assert (system.fixtures_path() / "README.md").is_file()
    # CONTRACT.md: the first line each legacy sandbox prints.
    assert SYSTEMS["harvest-v1"].sandbox_banner == "Harvest v1 sandbox listening on {url}"
    assert SYSTEMS["freshbooks"].sandbox_banner == "FreshBooks sandbox listening on {url}"
    for name, system in SYSTEMS.items():  # every system exports and has its legacy sandbox
        assert system.load_exporter().system == name
        assert system.sandbox_class().system == name
    assert set(SECRET_ENV) >= {"HARVEST_ACCESS_TOKEN", "HARVEST_V1_PASSWORD", "HARVEST_V1_TOKEN", "FRESHBOOKS_TOKEN"}


def test_the_command_line_the_map_file_and_the_generator_offer_exactly_the_declared_systems() -> None:
    def choices(command: str, option: str) -> tuple[str, ...]:
        params = {p.name: p for p in cli.commands[command].params}
        kind = params[option].type
        assert isinstance(kind, click.Choice)
        return tuple(kind.choices)

    assert choices("plan", "system") == choices("run", "system") == choices("verify", "system") == NAMES
    assert choices("export", "system") == choices("sandbox", "system") == NAMES
    assert overrides.SYSTEMS == GENERATED == NAMES


def test_a_third_system_is_one_entry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    third = SourceSystem(
        name="acme",
        label="Acme Timesheets",
        reader=f"{__name__}:AcmeReader",
        mapping=f"{__name__}:map_acme",
        generator=f"{__name__}:map_acme",
        fixtures="acme",
        url_env="ACME_URL",
        secret_env=(),
    )
    monkeypatch.setitem(SYSTEMS, "acme", third)
    (tmp_path / "acme.xml").write_text(
        '<acme-clients type="array"><client><id type="integer">5</id><name>Acme client</name></client></acme-clients>',
        encoding="utf-8",
    )
    (tmp_path / "v1.xml").write_text('<clients type="array"><client><id>6</id><name>V1</name></client></clients>')
    exports = {export.system: export for export in read_exports([tmp_path])}
    try:
        assert sorted(exports) == ["acme", "harvest-v1"]  # each file routed by the declaration's reader
        assert exports["acme"].store.count("clients") == 1
        mapper_for("acme")(exports["acme"], MapSink(), MapContext())
        assert MAPPED == ["5"]
    finally:
        for export in exports.values():
            export.close()
    (tmp_path / "odd.xml").write_text("<ledger/>", encoding="utf-8")
    with pytest.raises(SourceParseError, match="not a Harvest v1 or FreshBooks Classic or Acme Timesheets response"):
        read_exports([tmp_path / "odd.xml"])
