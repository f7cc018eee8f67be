"""Consumer groups that rebalance: members split a fixed set of partitions through leases.

The stream is split into ``partitions`` partitions by a stable hash of the aggregate id, so
that an aggregate always belongs to one partition. Each member of a group holds some
partitions' leases (``_leases``) and delivers their commits, in scan order. It reads the
stream once, from the lowest position among its partitions, and skips what is not its own or
was delivered already.

A member's coordinator, tasks beside the reading:

- renews its leases, each every third of a lease period, in a loop of its own that sends
  each renewal on time, however slow the answers to the last ones; a renewal that fails
  means another member has the partition: it stops delivering it at once;

and every ``min(poll_interval, lease_seconds / 3) / 2``:

- it saves checkpoints, at most every ``checkpoint_interval``, fenced by the lease's epoch;
- it hands over partitions another member asked for, once the commit in hand is finished;
- it reads every lease of the group, and takes free ones, and expired ones (whose renewals
  stood still for a lease period by its own clock), up to its fair share: the partitions
  divided by the members, rounded up. A free lease set aside for the member that asked
  for it is left to that member, unless it has its share by now. Below its share, with
  nothing free, it asks each member holding at least two more partitions than itself for
  one, until no two members differ by more than one.

A member never delivers a commit of a partition after its lease ran out by its own
monotonic clock, counted from when it sent the last renewal that succeeded: another member
can only take the partition a full lease period after it saw that renewal, which is later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._exceptions import EventStoreError, InvalidArgumentError, ThrottledError, UnavailableError
from ._position import SortKey, format_position, parse_position, sort_key_of
from ._shards import stable_hash
from ._stream import Bounds, Undecodable, read_stream
from ._subscription import rounds
from ._telemetry import NO_TELEMETRY
from ._validation import check_positive, check_seconds

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

    from ._commit import Commit
    from ._item import Item
    from ._leases import Lease, Leases
    from ._stream import GlobalIndex
    from ._subscription import Subscription
    from ._telemetry import NoTelemetry, Telemetry
    from ._transport import Transport

__all__ = ["GroupStatus", "Member", "PartitionStatus", "group_status", "partition_of"]

logger = logging.getLogger("aio_eventstore.group")

_RETRYABLE = (ThrottledError, UnavailableError)


def partition_of(aggregate_id: str, partitions: int) -> int:
    """The partition of a consumer group that an aggregate belongs to."""
    return stable_hash(aggregate_id) % partitions


def member_name() -> str:
    """A name for a new member: its host, its process, and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass
class _Held:
    """A partition this member holds, and how far it got."""

    lease: Lease
    valid_until: float  # by time.monotonic()
    asked_at: float  # when the last renewal was sent
    delivered: SortKey | None  # the last commit delivered, or where to start
    finished: SortKey | None  # the last commit the consumer finished
    saved: SortKey | None  # the checkpoint as stored
    handing_over: bool = False
    # Taken while a reading pass stood past where it starts: left to the next pass, which
    # starts low enough to read all of its commits, in order.
    pending: bool = False


@dataclass
class _Seen:
    """A lease of another member as first seen in this state, to tell when it went stale."""

    state: tuple[int, int, str | None, str | None]  # epoch, renewals, owner, wanted by
    since: float  # by time.monotonic()


@dataclass
class Member:
    """One member of a consumer group: its leases, its coordinator and its deliveries."""

    leases: Leases
    transport: Callable[[], Transport]
    index: GlobalIndex
    now: Callable[[], int]
    subscription: Subscription
    lease_seconds: float
    checkpoint_interval: float
    start: SortKey | None
    telemetry: Telemetry | NoTelemetry = NO_TELEMETRY
    name: str = field(default_factory=member_name)
    held: dict[int, _Held] = field(default_factory=dict)
    in_hand: int | None = None  # the partition of the commit the consumer works on
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # read again from lower
    _position: SortKey | None = None  # where this reading pass stands; None: the beginning
    _seen: dict[int, _Seen] = field(default_factory=dict)
    _checkpointed: float = 0.0
    _renewals: set[asyncio.Task[None]] = field(default_factory=set)  # under way

    @property
    def _lease_ms(self) -> int:
        return round(self.lease_seconds * 1000)

    async def deliveries(self) -> AsyncGenerator[Commit, None]:
        """Every commit of the partitions this member holds, in scan order, forever."""
        coordinator = asyncio.ensure_future(self._coordinate())
        coordinator.add_done_callback(lambda _: self.changed.set())  # a failure wakes this
        try:
            while True:
                if coordinator.done():  # it only ends by failing: say why
                    coordinator.result()
                self.changed.clear()
                if not self.held:
                    await _wait(self.changed, self.subscription.poll_interval)
                    continue
                for held in self.held.values():
                    held.pending = False
                starts = [held.delivered for held in self.held.values()]
                after = None if None in starts else min(s for s in starts if s is not None)
                self._position = after
                logger.debug("group %r: %s reads from %s", self.leases.group, self.name, after)
                batches = rounds(
                    self.transport,
                    self.index,
                    self.now,
                    self.subscription,
                    Bounds(after=after),
                    wake=self.changed,
                )
                async with contextlib.aclosing(batches):
                    async for batch in batches:
                        self._position = sort_key_of(batch[-1])
                        for entry in batch:
                            found = self._deliverable(entry)
                            if found is None:
                                continue
                            commit, partition, held = found
                            key = commit.sort_key
                            self.in_hand, held.delivered = partition, key
                            yield commit
                            # The consumer asked for the next commit: it finished this one.
                            held.finished, self.in_hand = key, None
        finally:
            coordinator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await coordinator
            await asyncio.shield(self._leave())

    def _deliverable(self, entry: Commit | Undecodable) -> tuple[Commit, int, _Held] | None:
        """The commit, its partition and its hold, if ``entry`` is to be delivered now."""
        if isinstance(entry, Undecodable):
            if self.subscription.on_invalid == "raise":
                raise entry.error
            logger.error("skipped an item that is not a commit at position %s", entry.position)
            return None
        partition = partition_of(entry.aggregate_id, self.leases.partitions)
        held = self.held.get(partition)
        if held is None or held.handing_over or held.pending:
            return None
        if held.delivered is not None and sort_key_of(entry) <= held.delivered:
            return None
        if time.monotonic() >= held.valid_until:
            self._drop(partition, "its lease ran out before it was renewed")
            return None
        return entry, partition, held

    async def _coordinate(self) -> None:
        """Renew the leases in one loop; balance, hand over and checkpoint in another.

        Renewals have a loop of their own, so that a slow read of the leases or a slow
        checkpoint never delays them past the lease period.
        """
        # Half a poll interval: a partition freed by a clean exit is taken within one.
        tick = min(self.subscription.poll_interval, self.lease_seconds / 3) / 2
        loops = [
            asyncio.ensure_future(self._every(self.lease_seconds / 6, self._renew)),
            asyncio.ensure_future(self._every(tick, self._manage)),
        ]
        try:
            await asyncio.gather(*loops)
        finally:
            tasks = [*loops, *self._renewals]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _every(self, seconds: float, step: Callable[[], Awaitable[None]]) -> None:
        """Run ``step`` every ``seconds``, through throttling and outages."""
        failures = 0
        while True:
            try:
                await step()
                failures = 0
            except _RETRYABLE as error:
                failures += 1
                logger.warning(
                    "group %r: %s failed (%s, %s), attempt %d",
                    self.leases.group,
                    step.__name__.strip("_"),
                    type(error).__name__,
                    error.code,
                    failures,
                )
            await asyncio.sleep(seconds)

    async def _manage(self) -> None:
        self.telemetry.holds(self.leases.group, self.name, len(self.held))
        await self._balance()
        await self._hand_over()
        if time.monotonic() - self._checkpointed >= self.checkpoint_interval:
            await self._save_checkpoints()

    async def _renew(self) -> None:
        """Send the renewals that are due, without waiting for those under way.

        A slow answer holds no renewal back: each is sent on time, so that a lease lapses
        only when answers take longer than two thirds of it.
        """
        for task in [task for task in self._renewals if task.done()]:
            self._renewals.discard(task)
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error  # throttling and outages are logged, and the loop goes on
        now = time.monotonic()
        for partition, held in list(self.held.items()):
            if now - held.asked_at >= self.lease_seconds / 3:
                held.asked_at = now
                self._renewals.add(asyncio.ensure_future(self._renew_one(partition, held, now)))

    async def _renew_one(self, partition: int, held: _Held, sent: float) -> None:
        with self.telemetry.operation("lease renewal"):
            renewed = await self.leases.renew(held.lease, self.name, self._lease_ms)
        if renewed is None:
            self._drop(partition, "another member took it")
            return
        if self.held.get(partition) is not held:
            # Dropped while the renewal was on its way (it came too late): give it up, for
            # any member to take from its checkpoint.
            await self.leases.release(renewed, self.name)
            return
        held.lease = renewed
        held.valid_until = max(held.valid_until, sent + self.lease_seconds)
        self._mind_requests(partition, held)

    def _mind_requests(self, partition: int, held: _Held) -> None:
        """Start handing a partition over if another member asked for it."""
        if held.lease.wanted_by is not None and not held.handing_over:
            logger.info(
                "group %r: handing partition %d over to %s",
                self.leases.group,
                partition,
                held.lease.wanted_by,
            )
            held.handing_over = True

    async def _hand_over(self) -> None:
        ready = [
            (partition, held)
            for partition, held in self.held.items()
            if held.handing_over and self.in_hand != partition
        ]
        await asyncio.gather(*(self._hand_over_one(p, held) for p, held in ready))

    async def _hand_over_one(self, partition: int, held: _Held) -> None:
        await self._save(partition, held)
        await self.leases.release(held.lease, self.name)
        self.held.pop(partition, None)
        logger.info("group %r: released partition %d", self.leases.group, partition)

    async def _save_checkpoints(self) -> None:
        self._checkpointed = time.monotonic()
        await asyncio.gather(*(self._save(p, held) for p, held in list(self.held.items())))

    async def _save(self, partition: int, held: _Held) -> None:
        finished = held.finished
        if finished is None or (held.saved is not None and finished <= held.saved):
            return
        with self.telemetry.operation("checkpoint save"):
            saved = await self.leases.save_checkpoint(held.lease, self.name, finished)
        if saved:
            held.saved = finished
        elif partition in self.held and held.lease.owner == self.name:
            # Refused: either it stood at or past this already, or the lease is lost; the
            # next renewal tells which.
            logger.debug(
                "group %r: checkpoint of partition %d refused", self.leases.group, partition
            )

    async def _balance(self) -> None:
        leases = await self.leases.read()
        for lease in leases:
            held = self.held.get(lease.partition)
            if held is not None and lease.epoch == held.lease.epoch and lease.owner == self.name:
                held.lease = lease
                self._mind_requests(lease.partition, held)
        clock = time.monotonic()
        stale = {lease.partition for lease in leases if self._stale(lease, clock)}
        members = {self.name}
        for lease in leases:
            if lease.partition not in stale:
                members |= {lease.owner, lease.wanted_by} - {None}  # type: ignore[arg-type]
        share = math.ceil(self.leases.partitions / len(members))
        wanted = share - len(self.held)
        if wanted <= 0:
            return
        # Free leases: those set aside for this member first, and those set aside for a
        # member that has its share since; and those left to go stale.
        owned = Counter(lease.owner for lease in leases if lease.partition not in stale)
        takeable = [
            lease
            for lease in leases
            if lease.partition in stale
            or (
                lease.owner is None
                and (lease.wanted_by in {None, self.name} or owned[lease.wanted_by] >= share)
            )
            or (lease.owner == self.name and lease.partition not in self.held)  # dropped
        ]
        takeable.sort(key=lambda lease: lease.wanted_by != self.name)
        # Held all at once: a reading pass never starts with part of what one round took.
        taken = await asyncio.gather(*(self._acquire(lease) for lease in takeable[:wanted]))
        idle = not self.held
        for partition, held in (found for found in taken if found is not None):
            self._hold(partition, held)
        if idle and self.held:
            self.changed.set()  # the reading waits for something to read
        if len(self.held) < share and not takeable:
            await self._ask(leases, stale, share)

    async def _ask(self, leases: list[Lease], stale: set[int], share: int) -> None:
        """Ask members holding at least two more partitions than this one for one each.

        Each ask narrows the gap, so the group settles where no two members differ by
        more than one: 5, 5 and 6 of 16 partitions.
        """
        loads: dict[str, list[Lease]] = {}
        for lease in leases:
            if lease.owner not in {None, self.name} and lease.partition not in stale:
                loads.setdefault(lease.owner, []).append(lease)
        # What this member holds once what it asked for already comes.
        mine = len(self.held) + sum(
            lease.wanted_by == self.name for held in loads.values() for lease in held
        )
        asks: list[Lease] = []
        for owner in sorted(loads, key=lambda name: -len(loads[name])):
            held = loads[owner]
            free = [lease for lease in held if lease.wanted_by is None]
            keeps = len(free)  # what the owner holds once the asks under way are granted
            while free and keeps - mine >= 2 and mine < share:
                asks.append(free.pop())
                keeps, mine = keeps - 1, mine + 1
        for lease, granted in zip(
            asks,
            await asyncio.gather(*(self.leases.request(lease, self.name) for lease in asks)),
            strict=True,
        ):
            if granted:
                logger.info(
                    "group %r: %s asked %s for partition %d",
                    self.leases.group,
                    self.name,
                    lease.owner,
                    lease.partition,
                )

    def _stale(self, lease: Lease, clock: float) -> bool:
        """True if a lease of another member's stood still for a lease period.

        Its owner stopped renewing it, or the member it was set aside for never came.
        """
        free_for_me = lease.owner is None and lease.wanted_by in {None, self.name}
        if lease.owner == self.name or free_for_me:
            self._seen.pop(lease.partition, None)
            return False
        state = (lease.epoch, lease.renewals, lease.owner, lease.wanted_by)
        seen = self._seen.get(lease.partition)
        if seen is None or seen.state != state:
            self._seen[lease.partition] = _Seen(state, clock)
            return False
        # The owner's own period, if longer: it stops delivering only once that ran out.
        period = max(self.lease_seconds, (lease.lease_ms or 0) / 1000)
        return clock - seen.since >= period

    async def _acquire(self, lease: Lease) -> tuple[int, _Held] | None:
        """Take ``lease``: its partition and hold, or None if another member was first."""
        sent = time.monotonic()
        taken = await self.leases.acquire(lease, self.name, self._lease_ms)
        if taken is None:
            return None
        start = taken.checkpoint if taken.checkpoint is not None else self.start
        valid_until = sent + self.lease_seconds
        return lease.partition, _Held(taken, valid_until, sent, start, None, taken.checkpoint)

    def _hold(self, partition: int, held: _Held) -> None:
        position = self._position
        held.pending = position is not None and (
            held.delivered is None or held.delivered < position
        )
        self.held[partition] = held
        self._seen.pop(partition, None)
        logger.info(
            "group %r: %s holds partition %d (epoch %d) from %s",
            self.leases.group,
            self.name,
            partition,
            held.lease.epoch,
            held.delivered,
        )
        if held.pending:
            self.changed.set()  # its commits lie behind this reading pass: read again

    def _drop(self, partition: int, why: str) -> None:
        if self.held.pop(partition, None) is not None:
            logger.warning("group %r: lost partition %d: %s", self.leases.group, partition, why)
            self.changed.set()

    async def _leave(self) -> None:
        """Save what is finished and release every lease, for others to take at once."""

        async def leave(partition: int, held: _Held) -> None:
            with contextlib.suppress(EventStoreError):
                if time.monotonic() < held.valid_until:
                    await self._save(partition, held)
                    await self.leases.release(held.lease, self.name)

        await asyncio.gather(*(leave(p, held) for p, held in list(self.held.items())))
        self.held.clear()
        self.telemetry.holds(self.leases.group, self.name, None)
        # An acquisition the exit cut short may have landed all the same: give up whatever
        # the table still says is this member's.
        with contextlib.suppress(EventStoreError):
            left = [lease for lease in await self.leases.read() if lease.owner == self.name]
            await asyncio.gather(*(self.leases.release(lease, self.name) for lease in left))


@dataclass(frozen=True, slots=True)
class PartitionStatus:
    """One partition of a consumer group, as ``group_status`` found it.

    Attributes:
        partition: the partition, from 0.
        owner: the member holding its lease, or ``None``.
        epoch: how many times it was taken (by another member, or again by the same).
        expires_at: when its lease expires by its owner's clock (epoch ms), if held.
        position: the position its consumers finished, or ``None`` before the first.
        lag: the age in seconds of its oldest commit not yet finished; 0 when none waits.
    """

    partition: int
    owner: str | None
    epoch: int
    expires_at: int | None
    position: str | None
    lag: float


@dataclass(frozen=True, slots=True)
class GroupStatus:
    """A consumer group: its members and partitions.

    Attributes:
        group: the group's name.
        members: the members holding leases.
        partitions: each partition's status, in partition order.
    """

    group: str
    members: list[str]
    partitions: list[PartitionStatus]

    @property
    def lag(self) -> float:
        """The group's lag: the largest of its partitions'."""
        return max((partition.lag for partition in self.partitions), default=0.0)


async def group_status(
    leases: Leases,
    transport: Transport,
    index: GlobalIndex,
    now: Callable[[], int],
    decode: Callable[[Item], Commit],
) -> GroupStatus:
    """The status of the group whose leases are ``leases``."""
    held = await leases.read()
    checkpoints = {lease.partition: lease.checkpoint for lease in held}
    lags = await _lags(leases.partitions, checkpoints, transport, index, now, decode)
    partitions = [
        PartitionStatus(
            lease.partition,
            lease.owner,
            lease.epoch,
            lease.expires_at if lease.owner is not None else None,
            None if lease.checkpoint is None else format_position(*lease.checkpoint),
            lags.get(lease.partition, 0.0),
        )
        for lease in held
    ]
    members = sorted({lease.owner for lease in held if lease.owner is not None})
    return GroupStatus(leases.group, members, partitions)


async def _lags(  # noqa: PLR0917 - the pieces of one read
    partitions: int,
    checkpoints: dict[int, SortKey | None],
    transport: Transport,
    index: GlobalIndex,
    now: Callable[[], int],
    decode: Callable[[Item], Commit],
) -> dict[int, float]:
    """Each partition's lag: the age of its first commit after its checkpoint."""
    starts = list(checkpoints.values())
    after = None if None in starts else min(s for s in starts if s is not None)
    lags: dict[int, float] = {}
    clock = now()
    stream = read_stream(transport, index, Bounds(after=after), decode=decode)
    async with contextlib.aclosing(stream):
        async for batch in stream:
            for entry in batch:
                if isinstance(entry, Undecodable):
                    continue
                partition = partition_of(entry.aggregate_id, partitions)
                checkpoint = checkpoints.get(partition)
                if partition in lags or (checkpoint is not None and entry.sort_key <= checkpoint):
                    continue
                lags[partition] = max(0.0, (clock - entry.committed_at) / 1000)
            if len(lags) == partitions:
                break
    return lags


def check_group_settings(
    partitions: object, lease_seconds: object, checkpoint_interval: object, after: object
) -> SortKey | None:
    """The settings of ``consume``, checked; the start position for new partitions."""
    check_positive(partitions, "partitions")
    if isinstance(partitions, int) and partitions > 1000:
        raise InvalidArgumentError(f"partitions must be at most 1000, not {partitions}")
    check_seconds(lease_seconds, "lease_seconds", allow_zero=False)
    check_seconds(checkpoint_interval, "checkpoint_interval")
    return None if after is None else parse_position(after)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
