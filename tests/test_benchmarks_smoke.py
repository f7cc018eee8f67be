"""The benchmark suite (benchmarks/, ``nox -s bench``) runs: at smoke sizes, so it cannot rot.

Only that it ran every case of every contender is checked: timings on a shared machine are
the benchmark's business, not a test's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from benchmarks import run  # noqa: E402 - benchmarks/ is a folder of the repository, not installed

EVERY_CONTENDER = [
    "aio_eventstore",
    "raw aiobotocore",
    "raw, the store's config",
    "boto3 + threads",
    "seed JS (Node)",
]
PYTHON_CONTENDERS = EVERY_CONTENDER[:4]
STORE_AND_RAW = EVERY_CONTENDER[:2]
EXPECTED = {
    "append-1": EVERY_CONTENDER,
    "append-16": EVERY_CONTENDER,
    "append-64": EVERY_CONTENDER,
    "query": PYTHON_CONTENDERS,
    "scan": PYTHON_CONTENDERS,
    "query-one-page": EVERY_CONTENDER,
    "scan-one-page": EVERY_CONTENDER,
    "subscribe": ["aio_eventstore"],
    "pipelining-awaiting": STORE_AND_RAW,
    "pipelining-busy": STORE_AND_RAW,
    "rss": STORE_AND_RAW,
}


def test_a_smoke_run_measures_every_case_of_every_contender(tmp_path: Path) -> None:
    docs = {path: path.stat().st_mtime_ns for path in (ROOT / "docs").glob("benchmarks.*")}

    assert run.main(["--smoke", "--output-dir", str(tmp_path)]) == 0

    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["smoke"] is True
    measured = {
        case["name"]: [name for name, runs in case["samples"].items() if len(runs) == 1]
        for case in results["cases"]
    }
    assert measured == EXPECTED
    assert (tmp_path / "benchmarks.png").stat().st_size > 0
    assert {path: path.stat().st_mtime_ns for path in docs} == docs, "a smoke run wrote docs/"
