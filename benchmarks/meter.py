"""Timing a section of this process: wall time, client CPU time and requests sent."""

from __future__ import annotations

import gc
import threading
import time
from typing import TYPE_CHECKING, Any

from benchmarks.contender import Sample

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


class RequestCounter:
    """Counts the HTTP requests a botocore or aiobotocore client sends, retries included.

    It listens to botocore's ``before-send`` event, which fires once per attempt.
    """

    def __init__(self, client: Any) -> None:  # noqa: ANN401 - any botocore client
        self._lock = threading.Lock()  # boto3's client sends from several threads
        self.count = 0
        client.meta.events.register("before-send.dynamodb", self._sent)

    def _sent(self, **_: object) -> None:
        # Returning None matters: a value returned here would be taken as the response.
        with self._lock:
            self.count += 1


async def measure(run: Callable[[], Awaitable[int]], counter: RequestCounter) -> Sample:
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
