"""A million time entries stream in flat memory and well under a minute of CPU (`-m slow`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.generate import SYSTEMS
from tests.working_tree import child_env

# A clean parent per measurement: RUSAGE_CHILDREN of the test process would also remember earlier
# children of the session (plan runs, sandboxes), so a fresh interpreter runs the generator as its
# only child and reports that child's peak RSS and CPU time.
MEASURE = """
import json, resource, subprocess, sys
code = "import sys; from pathlib import Path; from migrator.generate import generate; " \\
       "e = generate(sys.argv[1], Path(sys.argv[2]), entries=int(sys.argv[3])); print(e.counts['time_entries'])"
done = subprocess.run([sys.executable, "-c", code, *sys.argv[1:]], capture_output=True, text=True, check=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"entries": int(done.stdout), "peak_mb": usage.ru_maxrss / 1024,
                  "cpu_s": usage.ru_utime + usage.ru_stime}))
"""


def _measure(system: str, out: Path, entries: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, system, str(out), str(entries)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=out.parent,
        env=child_env(),
        check=True,
    )
    shutil.rmtree(out)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.parametrize("system", SYSTEMS)
def test_a_million_entries_in_flat_memory_and_well_under_a_minute(system: str, tmp_path: Path) -> None:
    small = _measure(system, tmp_path / "small", 100_000)
    large = _measure(system, tmp_path / "large", 1_000_000)
    print(f"{system}: 10^5 {small}; 10^6 {large}")
    assert small["entries"] == 100_000 and large["entries"] == 1_000_000
    assert large["peak_mb"] < 100, large
    # Ten times the entries (~600 MB more XML) may only cost what the account model grows by (4,000
    # invoices instead of 400, ~8 MB): the entries themselves are never held.
    assert large["peak_mb"] - small["peak_mb"] < 20, (small, large)
    assert large["cpu_s"] < 40, large
