"""Following the global stream live: every commit once, in scan order, forever.

The stream is ordered by commit id, which starts with the writer's clock, and read from an
eventually consistent index. So a commit can appear after later ones were already read: its
writer's clock lagged, or the index had not caught up. A subscription therefore never reads
past a horizon ``settle`` seconds behind its own clock. Commits stamped before the horizon
are all visible by the time it is read, as long as clock skew plus the writer's time in
flight (its retries included) plus index lag stays under ``settle``: the one assumption of
the guarantee.

Each round reads from the last position to the horizon, in one bounded query per index
shard, then waits ``poll_interval`` if it found nothing. Throttling and outages are waited
out with capped, jittered backoff; the round starts again from the last position, so
nothing is skipped or repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._exceptions import ThrottledError, UnavailableError
from ._item import decode_item
from ._position import format_timestamp, sort_key_of
from ._stream import (
    Bounds,
    GlobalIndex,
    Group,
    OnInvalid,
    check_on_invalid,
    commits_in,
    read_stream,
)
from ._validation import check_page_size, check_seconds

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable

    from ._commit import Commit
    from ._item import Item
    from ._stream import Entry
    from ._transport import Transport

__all__ = ["Subscription", "follow", "rounds"]

logger = logging.getLogger("aio_eventstore.subscription")

_RETRYABLE = (ThrottledError, UnavailableError)
_MAX_BACKOFF = 5.0


@dataclass(frozen=True, slots=True)
class Subscription:
    """How a subscription reads.

    Its settle time, poll interval, page size, group, what it does at an item that is not
    a commit, and how it decodes one that is.
    """

    settle: float
    poll_interval: float
    page_size: int | None = None
    group: Group | None = None
    on_invalid: OnInvalid = "raise"
    decode: Callable[[Item], Commit] = decode_item

    def __post_init__(self) -> None:
        check_seconds(self.settle, "settle")
        check_seconds(self.poll_interval, "poll_interval", allow_zero=False)
        check_page_size(self.page_size)
        check_on_invalid(self.on_invalid)

    def horizon_commit_id(self, now: int) -> str | None:
        """The highest commit id a round at ``now`` (epoch ms) may read; None: none yet."""
        horizon = now - round(self.settle * 1000)
        if horizon <= 0:
            return None
        # Every commit id stamped before the horizon sorts at or below this one.
        return format_timestamp(horizon - 1) + ";"


async def follow(
    transport: Callable[[], Transport],
    index: GlobalIndex,
    now: Callable[[], int],
    subscription: Subscription,
    start: Bounds,
) -> AsyncGenerator[Commit, None]:
    """Yield every commit from ``start`` on in stream order, then each new one, forever."""
    group, on_invalid = subscription.group, subscription.on_invalid
    batches = rounds(transport, index, now, subscription, start)
    async with aclosing(batches):
        async for batch in batches:
            for commit in commits_in(batch, on_invalid, group):
                yield commit


async def rounds(
    transport: Callable[[], Transport],
    index: GlobalIndex,
    now: Callable[[], int],
    subscription: Subscription,
    start: Bounds,
    *,
    wake: asyncio.Event | None = None,
) -> AsyncGenerator[list[Entry], None]:
    """Yield every batch from ``start`` on in stream order, then each new one as it settles.

    Forever, or until ``wake`` is set: then it ends after the batch in hand, or at once
    while it waits for the next poll. A batch counts as read once the consumer asks for
    the next one.
    """
    position = start.after
    failures = 0
    while wake is None or not wake.is_set():
        found = False
        upper = subscription.horizon_commit_id(now())
        try:
            if upper is not None:
                bounds = Bounds(start.from_commit_id, after=position, to_commit_id=upper)
                stream = read_stream(
                    transport(),
                    index,
                    bounds,
                    page_size=subscription.page_size,
                    decode=subscription.decode,
                )
                async with aclosing(stream):
                    async for batch in stream:
                        found = True
                        yield batch
                        position = sort_key_of(batch[-1])
                        if wake is not None and wake.is_set():
                            return
        except _RETRYABLE as exc:
            # A round that delivered something before it failed made progress: back off as
            # after a first failure, not ever longer.
            failures = 1 if found else failures + 1
            delay = min(_MAX_BACKOFF, 0.1 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311
            logger.warning(
                "subscription paused %.2f s after %s (%s), attempt %d",
                delay,
                type(exc).__name__,
                exc.code,
                failures,
            )
            await _pause(delay, wake)
            continue
        if failures:
            logger.info("subscription resumed after %d failed attempts", failures)
            failures = 0
        if not found:
            await _pause(subscription.poll_interval, wake)


async def _pause(seconds: float, wake: asyncio.Event | None) -> None:
    """Sleep ``seconds``, or less if ``wake`` is set meanwhile."""
    if wake is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(wake.wait(), seconds)
