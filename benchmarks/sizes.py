"""How much work each case does: the full run of issue 5, and a smoke run for CI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Sizes:
    """The sizes of one benchmark run.

    Attributes:
        rounds: how many times every contender runs every case.
        appends: how many commits one append sample writes, by appends in flight.
        query_commits: the commits of the one aggregate the query case reads.
        scan_commits: the commits of the table the scan case reads in full.
        one_page_commits: the commits of a table under 1 MB, which the JS library reads whole.
        one_page_repeat: how many reads of that table make one sample.
        latency_samples: appends per round whose delivery to a subscriber is timed.
        pipeline_commits: the commits the pipelining case scans (the scan table's last ones).
        consumer_us: what the pipelining consumer spends on each commit, in microseconds.
    """

    rounds: int
    appends: dict[int, int]
    query_commits: int
    scan_commits: int
    one_page_commits: int
    one_page_repeat: int
    latency_samples: int
    pipeline_commits: int
    consumer_us: int

    def to_json(self) -> dict[str, Any]:
        """The sizes as JSON values."""
        return asdict(self)


FULL = Sizes(
    rounds=5,
    appends={1: 1_000, 16: 3_000, 64: 3_000},
    query_commits=10_000,
    scan_commits=50_000,
    one_page_commits=2_000,
    one_page_repeat=5,
    latency_samples=100,
    pipeline_commits=20_000,
    consumer_us=50,
)

SMOKE = Sizes(
    rounds=1,
    appends={1: 200, 16: 200, 64: 200},
    query_commits=300,
    scan_commits=500,
    one_page_commits=200,
    one_page_repeat=1,
    latency_samples=5,
    pipeline_commits=500,
    consumer_us=20,
)
