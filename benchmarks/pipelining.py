"""Does a scan fetch the next page while its consumer works through the current one?

A consumer that spends a fixed time on each commit reads the scan table's last commits
with the store's scan and with the raw sequential loop (fetch a page, consume it, fetch the
next); each is also timed without the consumer (fetch alone), and the consumer without a
scan (consume alone, from memory). A scan that reads ahead takes about max(fetch, consume);
a sequential loop takes their sum. Two consumers:

- awaiting: waits ``consumer_us`` per commit, in one ``asyncio.sleep`` per 100 commits, as a
  projector that writes to another database does. The read-ahead can run in those waits.
- busy: spins ``consumer_us`` per commit without awaiting, as an in-memory projection does.
  Only a request already sent can progress meanwhile (on the server); the client's own
  parsing shares the one thread with the consumer and cannot overlap it.

Either way the fetch's client CPU (``fetch_cpu_s``) runs in the consumer's thread, so the
floor is nearer consume + fetch CPU than max(fetch, consume) when parsing dominates a fetch.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from benchmarks.raw_contender import read_commits
from benchmarks.workload import scan_request

if TYPE_CHECKING:
    from benchmarks.raw_contender import RawContender
    from benchmarks.store_contender import StoreContender

_AWAIT_EVERY = 100


@dataclass
class Consumer:
    """Spends ``microseconds`` on each commit it takes, awaiting or busy."""

    microseconds: int
    awaiting: bool
    taken: int = 0

    async def take(self, _: object) -> None:
        """Work on one commit."""
        self.taken += 1
        if not self.microseconds:
            return
        if not self.awaiting:
            end = time.perf_counter() + self.microseconds / 1e6
            while time.perf_counter() < end:
                pass
        elif self.taken % _AWAIT_EVERY == 0:
            await asyncio.sleep(_AWAIT_EVERY * self.microseconds / 1e6)

    async def take_page(self, page: list[Any]) -> None:
        """Work on each commit of a page."""
        for commit in page:
            await self.take(commit)


class PipeliningProbe:
    """Times fetch alone, consume alone and both together, for the store and raw."""

    def __init__(
        self,
        store: StoreContender,
        raw: RawContender,
        table: str,
        from_commit_id: str,
        commits: int,
    ) -> None:
        self._store = store
        self._raw = raw
        self._table = table
        self._from = from_commit_id
        self._commits = commits

    async def measure(self, contender: str, microseconds: int, awaiting: bool) -> dict[str, float]:
        """Wall times of fetch alone, consume alone and both, and the share hidden.

        ``fetch_cpu_s`` is the client CPU of the fetch alone: in one thread it cannot run
        while a busy consumer does, so consume + fetch CPU is the least a scan can take.
        """
        fetch, fetch_cpu = await self._timed(contender, Consumer(0, awaiting=False))
        consume = await self._consume_alone(Consumer(microseconds, awaiting))
        total, _ = await self._timed(contender, Consumer(microseconds, awaiting))
        return {
            "total_s": total,
            "fetch_s": fetch,
            "fetch_cpu_s": fetch_cpu,
            "consume_s": consume,
            # 1: total = max(fetch, consume), all of the shorter part hidden; 0: their sum.
            "hidden": (fetch + consume - total) / min(fetch, consume),
        }

    async def _timed(self, contender: str, consumer: Consumer) -> tuple[float, float]:
        """The wall and CPU time of a scan whose commits go to ``consumer``."""
        start, cpu = time.perf_counter(), time.process_time()
        if contender == self._store.name:
            count = await self._store.scan_each(self._table, self._from, consumer.take)
        else:
            request = scan_request(self._table, self._from)
            count = await read_commits(self._raw.client, request, consumer.take_page)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if count != self._commits:
            raise RuntimeError(f"{contender} scanned {count} commits, not {self._commits}")
        return elapsed, cpu

    async def _consume_alone(self, consumer: Consumer) -> float:
        start = time.perf_counter()
        for commit in range(self._commits):
            await consumer.take(commit)
        return time.perf_counter() - start
