"""aio_eventstore, through its public API only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchmarks.contender import STORE
from benchmarks.meter import RequestCounter
from benchmarks.pycontender import PythonContender
from benchmarks.workload import EVENTS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from aio_eventstore import Commit, EventStore
    from benchmarks.contender import ReadWork


class StoreContender(PythonContender):
    """``EventStore.append``, ``query`` and ``scan``, one store per table on one client."""

    name = STORE

    def __init__(self, stores: Mapping[str, EventStore], append_table: str) -> None:
        super().__init__(RequestCounter(stores[append_table].client))
        self._stores = stores
        self._appends = stores[append_table]

    async def append_one(self, aggregate_id: str, version: int) -> None:
        await self._appends.append(aggregate_id, version, EVENTS)

    async def read_once(self, work: ReadWork) -> int:
        store = self._stores[work.table]
        if work.kind == "query":
            return len(await store.query(work.aggregate_id))
        count = 0
        async for _ in store.scan():
            count += 1
        return count

    async def scan_each(
        self,
        table: str,
        from_commit_id: str | None,
        consume: Callable[[Commit], Awaitable[None]],
    ) -> int:
        """Scan ``table`` from a commit id on, handing each commit to ``consume``."""
        count = 0
        async for commit in self._stores[table].scan(from_commit_id):
            await consume(commit)
            count += 1
        return count
