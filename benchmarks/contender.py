"""What a contender is asked to do, and what one run of it measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

STORE = "aio_eventstore"
STORE_BOTOCORE = "aio_eventstore (botocore transport)"
FLOOR = "bare floor"
RAW = "raw aiobotocore"
RAW_TUNED = "raw, the store's config"
BOTO3 = "boto3 + threads"
JS = "seed JS (Node)"

TRANSACT = "aio_eventstore transact"
"""``EventStore.transact`` with snapshots: the newest snapshot, the commits after it, append."""
BY_HAND = "query, fold, append"
"""What a user writes without ``transact``: every commit queried and folded, then append."""
SUBSCRIBE = "one subscribe"
"""A single plain ``EventStore.subscribe``: the baseline of the consumer groups."""
TELEMETRY_OFF = "aio_eventstore, no telemetry"
"""The store with no telemetry at all, as without the ``otel`` extra: the base of the telemetry
cases."""
TELEMETRY_ON = "aio_eventstore, OpenTelemetry SDK"
"""The store reporting every operation to OpenTelemetry's SDK, which exports nothing."""


def group_of(members: int) -> str:
    """The name of a consumer group of ``members`` members, each with a store of its own."""
    return f"group of {members}"


@dataclass(frozen=True, slots=True)
class AppendWork:
    """Appends of ``count`` commits by ``concurrency`` writers, each to its own aggregate.

    Writer ``w`` appends versions 0, 1, 2, ... to aggregate ``{tag}-w{w}`` one after the other,
    as a command handler does. Before the clock starts each writer makes one untimed append
    to ``{tag}-warm-w{w}``, which opens the connections.
    """

    tag: str
    count: int
    concurrency: int


@dataclass(frozen=True, slots=True)
class ReadWork:
    """``repeat`` complete reads of one aggregate (query) or of a whole table (scan).

    ``concurrency`` readers share the reads, each reading one after the other, as that many
    request handlers would each load an aggregate.

    Attributes:
        kind: ``"query"`` reads ``aggregate_id``'s commits; ``"scan"`` the global index.
        table: the table read.
        aggregate_id: the aggregate a query reads.
        commits: how many commits one read returns.
        pages: how many pages (requests) one read needs: DynamoDB's 1 MB pages.
        repeat: how many reads make the sample.
        concurrency: how many readers share them.
    """

    kind: Literal["query", "scan"]
    table: str
    aggregate_id: str
    commits: int
    pages: int
    repeat: int
    concurrency: int = 1


@dataclass(frozen=True, slots=True)
class Sample:
    """What one timed run measured.

    Attributes:
        wall_s: elapsed time.
        cpu_s: CPU time of the client process (all its threads), user plus system.
        ops: appends made or commits read.
        requests: HTTP requests sent, retries included.
    """

    wall_s: float
    cpu_s: float
    ops: int
    requests: int


class Contender(Protocol):
    """A way to append and read commits: the store, or what a user would write instead."""

    @property
    def name(self) -> str:
        """The name the tables show."""
        ...

    async def append(self, work: AppendWork) -> Sample:
        """Do the appends, timed; the warm-up is not."""
        ...

    async def read(self, work: ReadWork) -> Sample:
        """Do the reads, timed, after one untimed read."""
        ...
