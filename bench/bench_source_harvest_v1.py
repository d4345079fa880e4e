"""Benchmark (issue #3): read + map a Harvest v1 export of day entries, against a naive ElementTree baseline.

    python bench/bench_source_harvest_v1.py [--records 1000000] [--stages]

Writes a `<day-entries type="array">` export of N records (streamed, so the generator stays small),
then races our pipeline against `ElementTree.parse` of the whole file with a dict per element and
the same Decimal/date/int conversions (see `source_bench.py`). Targets: our peak RSS < 150 MB and
at least 2x the baseline's records/s, both measured in the same run.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_bench import SourceBench, main  # noqa: E402

_ENTRY = """  <day-entry>
    <adjustment-record type="boolean">false</adjustment-record>
    <created-at type="datetime">2013-{m:02d}-{d:02d}T{h:02d}:15:45Z</created-at>
    <hours type="decimal">{hours}</hours>
    <id type="integer">{id}</id>
    <is-billed type="boolean">{billed}</is-billed>
    <is-closed type="boolean">false</is-closed>
    <notes>{notes}</notes>
    <project-id type="integer">{project}</project-id>
    <spent-at type="date">2013-{m:02d}-{d:02d}</spent-at>
    <task-id type="integer">{task}</task-id>
    <timer-started-at type="datetime" nil="true"></timer-started-at>
    <updated-at type="datetime">2013-{m:02d}-{d:02d}T{h:02d}:15:45Z</updated-at>
    <user-id type="integer">{user}</user-id>
  </day-entry>
"""
_NOTES = ("Templates", "Client call &amp; follow-up", "Bugfix: menu on mobile", "", "Code review\nand notes")


def generate(path: Path, records: int, seed: int = 7) -> None:
    """Write a v1 report export of `records` day entries to `path`, one chunk at a time."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<day-entries type="array">\n')
        chunk: list[str] = []
        for index in range(records):
            chunk.append(
                _ENTRY.format(
                    id=50_000_000 + index,
                    m=1 + index % 12,
                    d=1 + index % 28,
                    h=index % 24,
                    hours=f"{rng.randint(0, 800) / 100:.2f}",
                    billed="true" if index % 50 == 0 else "false",
                    notes=_NOTES[index % len(_NOTES)],
                    project=900 + index % 40,
                    task=800 + index % 12,
                    user=700 + index % 25,
                )
            )
            if len(chunk) == 10_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
        out.write("</day-entries>\n")


def run_baseline(path: Path) -> int:
    """ElementTree.parse of the whole file, a dict per element, the same field conversions."""
    import datetime as dt
    import xml.etree.ElementTree as ET
    from decimal import Decimal

    root = ET.parse(path).getroot()
    count = 0
    for elem in root:
        raw: dict[str, Any] = {child.tag: (None if child.get("nil") == "true" else child.text) for child in elem}
        entry = {
            "id": int(raw["id"]),
            "user_id": int(raw["user-id"]),
            "project_id": int(raw["project-id"]),
            "task_id": int(raw["task-id"]),
            "spent_date": dt.date.fromisoformat(raw["spent-at"]),
            "hours": Decimal(raw["hours"]),
            "notes": raw.get("notes"),
            "created_at": dt.datetime.fromisoformat(raw["created-at"].replace("Z", "+00:00")),
        }
        count += 1 if entry else 0
    return count


BENCH = SourceBench(
    name="harvest-v1",
    unit="day entries",
    file_name="day-entries.xml",
    resource="day_entries",
    generate=generate,
    baseline=run_baseline,
)

if __name__ == "__main__":
    raise SystemExit(main(__file__, BENCH))
