"""Benchmark (issue #4): read + map a FreshBooks Classic time-entry export, against a naive ElementTree baseline.

    python bench/bench_source_freshbooks.py [--records 1000000] [--stages]

Writes one `time_entry.list` response of N records (a single page, streamed to disk), then races our
pipeline against `ElementTree.parse` of the whole file with a dict per element and the same
Decimal/date/int conversions (see `source_bench.py`). Targets: our peak RSS < 150 MB and at least
2x the baseline's records/s, both measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from source_bench import SourceBench, main  # noqa: E402

_ENTRY = (
    "    <time_entry><time_entry_id>{id:011d}</time_entry_id><staff_id>{staff}</staff_id>"
    "<project_id>{project}</project_id><task_id>{task}</task_id><hours>{hours}</hours>"
    "<date>2014-{m:02d}-{d:02d}</date><notes>Entry {id} &amp; notes</notes><billed>{billed}</billed></time_entry>\n"
)


def generate(path: Path, records: int, seed: int = 11) -> None:
    chance = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n<response xmlns="http://www.freshbooks.com/api/" '
            f'status="ok">\n  <time_entries page="1" per_page="{records}" pages="1" total="{records}">\n'
        )
        for index in range(1, records + 1):
            out.write(
                _ENTRY.format(
                    id=index,
                    staff=chance.randint(1, 9),
                    project=chance.randint(1, 40),
                    task=chance.randint(1, 12),
                    hours=f"{chance.randint(0, 800) / 100:.2f}",
                    m=chance.randint(1, 12),
                    d=chance.randint(1, 28),
                    billed=chance.randint(0, 1),
                )
            )
        out.write("  </time_entries>\n</response>\n")


def run_baseline(path: Path) -> int:
    import xml.etree.ElementTree as ET  # noqa: N817 - the baseline's usual spelling

    tree = ET.parse(path)
    count = 0
    for elem in tree.getroot().iter():
        if elem.tag.rsplit("}", 1)[-1] != "time_entry":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: child.text for child in elem}
        payload = {
            "id": int(fields["time_entry_id"]),
            "user_id": int(fields["staff_id"]),
            "project_id": int(fields["project_id"]),
            "task_id": int(fields["task_id"]),
            "hours": Decimal(fields["hours"]),
            "spent_date": dt.date.fromisoformat(fields["date"]),
            "notes": fields["notes"],
            "billed": fields["billed"] == "1",
        }
        count += bool(payload)
    return count


BENCH = SourceBench(
    name="freshbooks",
    unit="time entries",
    file_name="time_entry.list.xml",
    resource="time_entries",
    generate=generate,
    baseline=run_baseline,
)

if __name__ == "__main__":
    raise SystemExit(main(__file__, BENCH))
