"""The time a commit is stamped with.

The global stream is ordered by commit id, whose first 17 digits are the writer's clock. A
writer whose clock lags would stamp its commit earlier than the aggregate's commits it has
just read, and the stream would list the aggregate's versions out of order. So a commit is
stamped with the wall clock, but never earlier than the newest commit this store has seen of
the same aggregate; equal stamps are ordered by version.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from ._validation import is_timestamp

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CommitClock", "system_clock"]


def system_clock() -> int:
    """The system's wall clock in epoch milliseconds."""
    return time.time_ns() // 1_000_000


class CommitClock:
    """Stamps commits, never earlier than what was seen of their aggregate.

    It remembers the newest stamp of the ``capacity`` aggregates most recently seen; a
    forgotten aggregate is stamped with the wall clock, as the seed does.
    """

    def __init__(self, clock: Callable[[], int] | None = None, capacity: int = 10_000) -> None:
        self._clock = clock or system_clock
        self._capacity = capacity
        self._seen: OrderedDict[str, int] = OrderedDict()

    def now(self) -> int:
        """The wall clock, checked: an int of epoch milliseconds a commit id can hold."""
        now = self._clock()
        if not is_timestamp(now):
            msg = f"the clock must return epoch milliseconds as an int, not {now!r}"
            raise ValueError(msg) if isinstance(now, int) else TypeError(msg)
        return now

    def stamp(self, aggregate_id: str) -> int:
        """The time to stamp a new commit of ``aggregate_id`` with."""
        return max(self.now(), self._seen.get(aggregate_id, 0))

    def observe(self, aggregate_id: str, committed_at: int) -> None:
        """Remember that ``aggregate_id`` has a commit stamped ``committed_at``."""
        seen = self._seen
        if committed_at >= seen.get(aggregate_id, 0):
            seen[aggregate_id] = committed_at
        seen.move_to_end(aggregate_id)
        if len(seen) > self._capacity:
            seen.popitem(last=False)
