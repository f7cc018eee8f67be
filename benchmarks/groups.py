"""Consumer groups: how fast a group delivers a stream, and what its leases cost in writes.

The stream is a table of ``commits`` commits, written before the run and only read after.
A sample delivers all of it, each commit once, and stops there: by one plain ``subscribe``
(the baseline), or by a new group (a name of its own, so no checkpoint of another sample
counts) of 1, 2 or 4 members. The members run as tasks of this process, each with a store,
a client and a transport of its own, as separate processes would; they start together and
share out the partitions as ``consume`` does it, by racing for the free leases and then
asking the most loaded members for their share. All share this process's one thread and the
one server: a group here is no faster than its slowest hand-over, and reads the stream once
per member, so what it shows is the group's own cost, not the speed-up of members on
machines of their own.

The clock stops when every commit has been delivered; then every member stops with a clean
exit (its task cancelled, which closes its stream, which saves its checkpoints and releases
its leases), timed apart. Requests are counted by each store's direct transport, by
operation; lease writes are the members' UpdateItem requests (a store's only UpdateItems
are to its group's lease items: acquisitions, renewals, checkpoints, requests for a
partition, releases). After the exit ``group_status`` must find no lease held and no
partition behind the end of the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
from asyncio import FIRST_COMPLETED
from collections import Counter
from typing import TYPE_CHECKING

from benchmarks.meter import direct_sent

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Sequence

    from aio_eventstore import Commit, EventStore
    from benchmarks.testbed import Site

POLL_INTERVAL = 0.1
"""Seconds between polls once caught up; a member's coordinator runs every half of it."""

LEASE_SECONDS = 10.0
"""``consume``'s default: leases renewed every third of it."""

CHECKPOINT_INTERVAL = 1.0
"""The least seconds between two saves of a partition's checkpoint."""

_TIMEOUT = 600.0


class GroupProbe:
    """Delivers the stream of one site, by a plain subscription or by a group."""

    def __init__(self, site: Site, commits: int, partitions: int) -> None:
        self._site = site
        self._commits = commits
        self._partitions = partitions

    async def subscription(self) -> dict[str, float]:
        """One ``subscribe`` from the first commit, until it delivered them all."""

        def subscribe(store: EventStore) -> AsyncGenerator[Commit, None]:
            return store.subscribe(settle=0, poll_interval=POLL_INTERVAL)

        return await self._deliver([self._site.stream], subscribe, "a subscription")

    async def group(self, members: int, group: str) -> dict[str, float]:
        """A new group of ``members`` members consuming, until they delivered every commit."""

        def consume(store: EventStore) -> AsyncGenerator[Commit, None]:
            return store.consume(
                group,
                partitions=self._partitions,
                lease_seconds=LEASE_SECONDS,
                settle=0,
                poll_interval=POLL_INTERVAL,
                checkpoint_interval=CHECKPOINT_INTERVAL,
            )

        stores = self._site.members[:members]
        metrics = await self._deliver(stores, consume, f"group {group!r}")
        status = await stores[0].group_status(group)
        metrics["held_after"] = len(status.members)
        metrics["behind_after"] = sum(1 for partition in status.partitions if partition.lag > 0)
        return metrics

    async def _deliver(
        self,
        stores: Sequence[EventStore],
        stream: Callable[[EventStore], AsyncGenerator[Commit, None]],
        what: str,
    ) -> dict[str, float]:
        """Read ``stream(store)`` in a task per store until every commit came; then stop them."""
        sent = [direct_sent(store) for store in stores]
        for store in stores:
            await store.latest("bench-warm")  # opens a connection, untimed
        delivered: Counter[str] = Counter()
        redelivered: set[str] = set()  # the aggregates of the commits delivered again
        firsts: list[float] = []
        done = asyncio.Event()

        async def read(store: EventStore) -> None:
            async with contextlib.aclosing(stream(store)) as commits:
                async for commit in commits:
                    if not firsts:
                        firsts.append(time.perf_counter())
                    delivered[commit.position] += 1
                    if delivered[commit.position] > 1:
                        redelivered.add(commit.aggregate_id)
                    if len(delivered) == self._commits:
                        done.set()

        gc.collect()  # start every sample with the same garbage: none
        before = _total(sent)
        start, cpu = time.perf_counter(), time.process_time()
        tasks = [asyncio.ensure_future(read(store)) for store in stores]
        try:
            await _until(done, tasks, what)
            cpu, elapsed = time.process_time() - cpu, time.perf_counter() - start
            during = _total(sent) - before
        finally:
            stopping = time.perf_counter()
            for task in tasks:
                task.cancel()
            ends = await asyncio.gather(*tasks, return_exceptions=True)
            stop_s = time.perf_counter() - stopping
        failures = [end for end in ends if isinstance(end, Exception)]
        if failures:
            raise RuntimeError(f"{what} failed on its clean exit") from failures[0]
        duplicates = delivered.total() - len(delivered)
        if duplicates:
            aggregates = ", ".join(sorted(redelivered))
            print(f"{what}: {duplicates} deliveries again, of {aggregates}", file=sys.stderr)
        return {
            "throughput": self._commits / elapsed,
            "cpu_us": 1e6 * cpu / self._commits,
            "first_s": firsts[0] - start,
            "lease_writes_per_s": during["UpdateItem"] / elapsed,
            "lease_writes": (_total(sent) - before)["UpdateItem"],
            "requests_per_s": during.total() / elapsed,
            "duplicates": duplicates,
            "stop_s": stop_s,
            "held_after": 0,
            "behind_after": 0,
        }


async def _until(done: asyncio.Event, tasks: Sequence[asyncio.Task[None]], what: str) -> None:
    """Wait for ``done``; raise if a reader ended first, or after ``_TIMEOUT`` seconds."""

    async def done_set() -> None:
        await done.wait()

    waiting = asyncio.ensure_future(done_set())
    try:
        await asyncio.wait([waiting, *tasks], timeout=_TIMEOUT, return_when=FIRST_COMPLETED)
    finally:
        waiting.cancel()
    if done.is_set():
        return
    for task in tasks:
        if task.done():
            task.result()  # its failure, if it failed
            raise RuntimeError(f"{what}: a reader's stream ended before every commit came")
    raise RuntimeError(f"{what} delivered too little within {_TIMEOUT} s")


def _total(sent: list[Counter[str]]) -> Counter[str]:
    """The counts of every store, added up."""
    return sum(sent, Counter())
