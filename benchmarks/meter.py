"""Timing a section of this process: wall time, client CPU time and requests sent."""

from __future__ import annotations

import gc
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from aio_eventstore._transport import DirectTransport
from benchmarks.contender import Sample

if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import Awaitable, Callable, Iterable

    from aio_eventstore import EventStore


class Requests(Protocol):
    """Whatever tells how many HTTP requests a contender has sent so far, retries included."""

    @property
    def count(self) -> int:
        """Requests sent since the contender was opened."""
        ...


class RequestCounter:
    """Counts the HTTP requests botocore or aiobotocore clients send, retries included.

    It listens to botocore's ``before-send`` event, which fires once per attempt.
    """

    def __init__(self, *clients: Any) -> None:  # noqa: ANN401 - any botocore client
        self._lock = threading.Lock()  # boto3's client sends from several threads
        self.count = 0
        for client in clients:
            client.meta.events.register("before-send.dynamodb", self._sent)

    def _sent(self, **_: object) -> None:
        # Returning None matters: a value returned here would be taken as the response.
        with self._lock:
            self.count += 1


class SentCounter:
    """The requests of the store's direct transports: their ``sent`` counters, summed.

    botocore's events do not fire there: the direct transport counts its own sends.
    """

    def __init__(self, sent: Iterable[Counter[str]]) -> None:
        self._sent = list(sent)

    @property
    def count(self) -> int:
        """Requests sent by every transport, of every operation."""
        return sum(sum(by_operation.values()) for by_operation in self._sent)


def direct_sent(store: EventStore) -> Counter[str]:
    """The requests ``store`` has sent so far, by operation: its direct transport's own count.

    A store whose transport fell back to botocore would measure the other transport: refused.
    """
    transport = store.transport
    if isinstance(transport, DirectTransport):
        return transport.sent
    raise TypeError(f"the store does not send through its direct transport: {transport}")


async def measure(run: Callable[[], Awaitable[int]], counter: Requests) -> Sample:
    """Run ``run`` (which returns how many operations it did) and time it.

    CPU time is ``time.process_time``: every thread of this process, user and system, which
    leaves out the server's work (dynalite runs in its own process).
    """
    gc.collect()  # start every sample with the same garbage: none
    sent = counter.count
    wall, cpu = time.perf_counter(), time.process_time()
    ops = await run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Sample(wall_s=wall, cpu_s=cpu, ops=ops, requests=counter.count - sent)
