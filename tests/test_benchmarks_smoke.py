"""The benchmark suite (benchmarks/, ``nox -s bench``) runs: at smoke sizes, so it cannot rot.

Only that it ran every case of every contender, checked every target, and reported numbers
that can be right is tested: timings on a shared machine, and whether targets are met, are
the benchmark's business, not a test's.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from benchmarks import run  # noqa: E402 - benchmarks/ is a folder of the repository, not installed
from benchmarks.sizes import SMOKE  # noqa: E402 - as above
from benchmarks.targets import check  # noqa: E402 - as above

if TYPE_CHECKING:
    from benchmarks.results import Document

STORE, STORE_BOTOCORE, FLOOR, RAW, RAW_TUNED, BOTO3, JS = (
    "aio_eventstore",
    "aio_eventstore (botocore transport)",
    "bare floor",
    "raw aiobotocore",
    "raw, the store's config",
    "boto3 + threads",
    "seed JS (Node)",
)
EVERY_CONTENDER = [STORE, STORE_BOTOCORE, FLOOR, RAW, RAW_TUNED, BOTO3, JS]
PYTHON_CONTENDERS = EVERY_CONTENDER[:6]
TRANSACT, BY_HAND = "aio_eventstore transact", "query, fold, append"
SUBSCRIBE, GROUPS = "one subscribe", ["group of 1", "group of 2", "group of 4"]
TELEMETRY = ["aio_eventstore, no telemetry", "aio_eventstore, OpenTelemetry SDK"]
EXPECTED = {
    "append-1": EVERY_CONTENDER,
    "append-16": EVERY_CONTENDER,
    "append-64": EVERY_CONTENDER,
    "query": PYTHON_CONTENDERS,
    "scan": PYTHON_CONTENDERS,
    "query-one-page": EVERY_CONTENDER,
    "scan-one-page": EVERY_CONTENDER,
    "query-small": [STORE, STORE_BOTOCORE, FLOOR, RAW, RAW_TUNED, JS],
    "append-latency": [STORE, STORE_BOTOCORE, FLOOR, RAW, RAW_TUNED],
    "subscribe": [STORE],
    "pipelining-awaiting": [STORE, RAW],
    "pipelining-busy": [STORE, RAW],
    "rss": [STORE, RAW],
    "transact-dynalite": [TRANSACT, BY_HAND],
    "transact-moto": [TRANSACT, BY_HAND],
    "group-dynalite": [SUBSCRIBE, *GROUPS],
    "group-moto": [SUBSCRIBE, *GROUPS],
    "telemetry-1": TELEMETRY,
    "telemetry-16": TELEMETRY,
}

TARGETS = 19 + 13 + 2
"""Issue 5's targets (some restated by issue 10), issue 10's own, and telemetry's overhead."""


@dataclass(frozen=True)
class SmokeRun:
    """A smoke run's results, where it wrote them, and the docs' files as they were before."""

    results: Document
    output: Path
    docs: dict[Path, int]

    def medians(self, case: str, contender: str) -> dict[str, float]:
        """A contender's metrics in a case: their medians (of the one round)."""
        found = next(results for results in self.results["cases"] if results["name"] == case)
        return {metric: spread["median"] for metric, spread in found["summary"][contender].items()}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> SmokeRun:
    """One smoke run, for every test of the module."""
    output = tmp_path_factory.mktemp("bench")
    docs = {path: path.stat().st_mtime_ns for path in (ROOT / "docs").glob("benchmarks.*")}
    assert run.main(["--smoke", "--output-dir", str(output)]) == 0
    return SmokeRun(json.loads((output / "latest.json").read_text()), output, docs)


def test_a_smoke_run_measures_every_case_of_every_contender(smoke: SmokeRun) -> None:
    results = smoke.results
    assert results["smoke"] is True
    measured = {
        case["name"]: [name for name, runs in case["samples"].items() if len(runs) == 1]
        for case in results["cases"]
    }
    assert measured == EXPECTED
    assert len(check(results)) == TARGETS, "a target was not checked: its cases did not run"
    assert (smoke.output / "benchmarks.png").stat().st_size > 0
    docs = {path: path.stat().st_mtime_ns for path in smoke.docs}
    assert docs == smoke.docs, "a smoke run wrote docs/"


@pytest.mark.parametrize("server", ["dynalite", "moto"])
def test_transact_reads_a_snapshot_per_command_and_saves_one_per_cycle(
    smoke: SmokeRun, server: str
) -> None:
    transact = smoke.medians(f"transact-{server}", TRANSACT)
    by_hand = smoke.medians(f"transact-{server}", BY_HAND)

    # A command: the snapshot, the commits after it, the append; and a snapshot once a cycle.
    assert transact["requests"] >= 3 + 1 / SMOKE.snapshot_every
    # By hand: every commit (one page at these sizes) and the append; no snapshot.
    assert 2 <= by_hand["requests"] < 3
    assert all(value > 0 for value in [*transact.values(), *by_hand.values()])


@pytest.mark.parametrize("server", ["dynalite", "moto"])
def test_every_group_delivers_the_stream_and_leaves_no_lease_held(
    smoke: SmokeRun, server: str
) -> None:
    subscribe = smoke.medians(f"group-{server}", SUBSCRIBE)
    assert subscribe["throughput"] > 0
    assert subscribe["lease_writes"] == subscribe["duplicates"] == 0

    for group in GROUPS:
        metrics = smoke.medians(f"group-{server}", group)
        assert metrics["throughput"] > 0
        assert metrics["cpu_us"] > 0
        assert metrics["first_s"] > 0
        # Every partition taken and released, at the least.
        assert metrics["lease_writes"] >= 2 * SMOKE.group_partitions
        assert metrics["held_after"] == 0, f"{group} left leases held after its clean exit"


def test_a_group_on_dynalite_delivers_each_commit_once(smoke: SmokeRun) -> None:
    # Not on moto's server, where two concurrent conditional UpdateItems can both succeed,
    # and so two members take the same lease (see docs/benchmarks.md).
    for group in GROUPS:
        metrics = smoke.medians("group-dynalite", group)
        assert metrics["duplicates"] == 0, f"{group} delivered commits twice"
        assert metrics["behind_after"] == 0, f"{group} left a checkpoint behind its deliveries"


@pytest.mark.parametrize("concurrency", [1, 16])
def test_appends_with_and_without_telemetry_send_one_request_each(
    smoke: SmokeRun, concurrency: int
) -> None:
    # The run itself checks that the SDK's store ended a span for every append.
    for contender in TELEMETRY:
        metrics = smoke.medians(f"telemetry-{concurrency}", contender)
        assert metrics["requests"] == 1
        assert metrics["throughput"] > 0
        assert metrics["cpu_us"] > 0
