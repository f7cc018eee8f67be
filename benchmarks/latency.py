"""Latencies: of one append on its own, and of a subscription, from append to delivery."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import statistics
import time
from typing import TYPE_CHECKING

from benchmarks.workload import EVENTS

if TYPE_CHECKING:
    from aio_eventstore import EventStore
    from benchmarks.pycontender import PythonContender

POLL_INTERVAL = 0.005
"""Seconds between a caught-up subscription's polls."""

_TIMEOUT = 10.0


async def append_latency(
    contender: PythonContender, aggregate_id: str, samples: int
) -> dict[str, float]:
    """Append ``samples`` commits one after the other; p50 and p99 of each call's wall time (ms).

    One append in flight, as a command handler makes it: each call's time is what a caller
    waits for, the client's work and the server's round trip. One untimed append to another
    aggregate first opens a connection.
    """
    await contender.append_one(f"{aggregate_id}-warm", 0)
    gc.collect()
    latencies: list[float] = []
    for version in range(samples):
        start = time.perf_counter()
        await contender.append_one(aggregate_id, version)
        latencies.append(time.perf_counter() - start)
    return {
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * _percentile(latencies, 99),
    }


class LatencyProbe:
    """Appends commits one at a time and times each one's delivery to a live subscriber.

    The subscriber (``settle=0``, a small poll interval) reads through its own client; each
    round resumes after the last commit the previous round delivered.
    """

    def __init__(self, writer: EventStore, subscriber: EventStore) -> None:
        self._writer = writer
        self._subscriber = subscriber
        self._position: str | None = None

    async def measure(self, aggregate_id: str, samples: int) -> dict[str, float]:
        """Append ``samples`` commits to a new aggregate; p50 and p99 of their latencies (ms)."""
        delivered: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
        follower = asyncio.create_task(self._follow(aggregate_id, delivered))
        latencies: list[float] = []
        try:
            for version in range(samples):
                start = time.perf_counter()
                await self._writer.append(aggregate_id, version, EVENTS)
                got, arrived = await asyncio.wait_for(delivered.get(), _TIMEOUT)
                if got != version:
                    raise RuntimeError(f"delivered version {got}, expected {version}")
                latencies.append(arrived - start)
                # Not in step with the polls: a real append comes at any point of the interval.
                await asyncio.sleep(random.uniform(0, POLL_INTERVAL))
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        return {
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * _percentile(latencies, 99),
        }

    async def _follow(self, aggregate_id: str, delivered: asyncio.Queue[tuple[int, float]]) -> None:
        # Cancelled while it waits inside the subscription, which the cancellation closes.
        commits = self._subscriber.subscribe(self._position, settle=0, poll_interval=POLL_INTERVAL)
        async for commit in commits:
            arrived = time.perf_counter()
            self._position = commit.position
            if commit.aggregate_id == aggregate_id:
                delivered.put_nowait((commit.version, arrived))


def _percentile(values: list[float], percent: int) -> float:
    """The ``percent``-th percentile, interpolated between the nearest ranks."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
