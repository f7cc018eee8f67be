"""aio_eventstore, through its public API only, on either of its transports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aio_eventstore._transport import BotocoreTransport, DirectTransport
from benchmarks.contender import STORE, STORE_BOTOCORE
from benchmarks.meter import RequestCounter, SentCounter
from benchmarks.pycontender import PythonContender
from benchmarks.workload import EVENTS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from aio_eventstore import Commit, EventStore
    from aio_eventstore._client import TransportName
    from benchmarks.contender import ReadWork
    from benchmarks.meter import Requests

NAMES: dict[TransportName, str] = {"direct": STORE, "botocore": STORE_BOTOCORE}
"""The contender's name for each transport: the default one is plainly the store."""


class StoreContender(PythonContender):
    """``EventStore.append``, ``query`` and ``scan``: one open store per table.

    Every store must send through ``transport``: a store that fell back to botocore (a
    setting the direct transport cannot honour) would measure the other contender, so it
    is refused. Requests are counted where that transport sends them: the direct
    transport's own ``sent`` counter, or botocore's events on each store's client.

    Its ``name`` is its transport's (``NAMES``), unless another is given: the telemetry
    cases' stores differ by their telemetry alone.
    """

    def __init__(
        self,
        stores: Mapping[str, EventStore],
        append_table: str,
        transport: TransportName,
        name: str | None = None,
    ) -> None:
        super().__init__(_counter(stores, transport))
        self.name = NAMES[transport] if name is None else name
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


def _counter(stores: Mapping[str, EventStore], transport: TransportName) -> Requests:
    transports = [store.transport for store in stores.values()]
    if transport == "direct":
        direct = [sender for sender in transports if isinstance(sender, DirectTransport)]
        if len(direct) == len(transports):
            return SentCounter(sender.sent for sender in direct)
    elif all(isinstance(sender, BotocoreTransport) for sender in transports):
        return RequestCounter(*(store.client for store in stores.values()))
    raise RuntimeError(f"a store does not send through the {transport} transport: {transports}")
