"""How much work each case does: the full run of issues 5 and 10, and a smoke run for CI."""

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
        small_query_commits: the commits of the small aggregate, loaded as a command
            handler loads one before it appends.
        small_query_repeat: how many queries of it make one sample.
        small_query_concurrency: how many readers share them, each one query at a time.
        append_latency_samples: appends per round, one at a time, whose wall time is taken.
        latency_samples: appends per round whose delivery to a subscriber is timed.
        pipeline_commits: the commits the pipelining case scans (the scan table's last ones).
        consumer_us: what the pipelining consumer spends on each commit, in microseconds.
        transact_commits: the commits of each long aggregate the transact case decides on.
        snapshot_every: ``transact``'s ``snapshot_every``; a sample is this many commands,
            one after the other: one whole cycle from a snapshot to the next.
        group_commits: the commits of the stream the consumer groups read.
        group_aggregates: the aggregates they belong to.
        group_members: the sizes of the groups compared, one contender each.
        group_partitions: the partitions of each group.
        telemetry_appends: how many commits one sample of the telemetry cases writes, by
            appends in flight.
    """

    rounds: int
    appends: dict[int, int]
    query_commits: int
    scan_commits: int
    one_page_commits: int
    one_page_repeat: int
    small_query_commits: int
    small_query_repeat: int
    small_query_concurrency: int
    append_latency_samples: int
    latency_samples: int
    pipeline_commits: int
    consumer_us: int
    transact_commits: int
    snapshot_every: int
    group_commits: int
    group_aggregates: int
    group_members: tuple[int, ...]
    group_partitions: int
    telemetry_appends: dict[int, int]

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
    small_query_commits=10,
    small_query_repeat=1_000,
    small_query_concurrency=16,
    append_latency_samples=500,
    latency_samples=100,
    pipeline_commits=20_000,
    consumer_us=50,
    transact_commits=1_000,
    snapshot_every=100,
    group_commits=2_000,
    group_aggregates=200,
    group_members=(1, 2, 4),
    group_partitions=16,
    telemetry_appends={1: 2_000, 16: 5_000},
)

SMOKE = Sizes(
    rounds=1,
    appends={1: 100, 16: 100, 64: 100},
    query_commits=300,
    scan_commits=500,
    one_page_commits=200,
    one_page_repeat=1,
    small_query_commits=10,
    small_query_repeat=64,
    small_query_concurrency=16,
    append_latency_samples=10,
    latency_samples=5,
    pipeline_commits=500,
    consumer_us=20,
    transact_commits=100,
    snapshot_every=10,
    group_commits=200,
    group_aggregates=20,
    group_members=(1, 2, 4),
    group_partitions=16,
    telemetry_appends={1: 100, 16: 100},
)
