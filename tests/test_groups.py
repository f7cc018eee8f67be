"""consume: consumer groups that rebalance through leases kept in the table.

Members run as tasks here, each with its own store (as separate processes would), sharing
one test clock that stands far after every commit, so that ``settle`` never holds one back.
A member that must be blocked for real (its event loop stuck) runs in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from conftest import T0, TEST_CREDENTIALS, Clock, raw_items
from servers import Dynalite

from aio_eventstore import Commit, EventStore, InvalidArgumentError
from aio_eventstore._groups import Member, _Held, partition_of
from aio_eventstore._leases import Lease, Leases

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from faultproxy import FaultProxy

LEASE = 3.0
POLL = 0.5
FAST: dict[str, Any] = {
    "lease_seconds": LEASE,
    "poll_interval": POLL,
    "checkpoint_interval": 0.2,
    "settle": 0,
}
# moto answers a Query by reading its whole table: with 600 commits, 50 ms for the leases and
# most of a second for a page of the index. Renewals queue behind them, so on moto the
# leases and polls are the library's defaults, and every wait that counts in them with them.
LEASE_ON = {"moto": 10.0}
POLL_ON = {"moto": 1.0}
CRASH_COMMITS = 600
CRASH_COMMITS_ON = {"moto": 300}  # each member's pass over the index reads moto's whole table


@pytest.fixture(autouse=True)
def lease_for_the_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    callspec = getattr(request.node, "callspec", None)
    server = str(callspec.params.get("backend")) if callspec is not None else ""
    seconds = LEASE_ON.get(server, LEASE)
    monkeypatch.setitem(globals(), "LEASE", seconds)
    monkeypatch.setitem(FAST, "lease_seconds", seconds)
    monkeypatch.setitem(FAST, "poll_interval", POLL_ON.get(server, POLL))
    monkeypatch.setitem(globals(), "CRASH_COMMITS", CRASH_COMMITS_ON.get(server, CRASH_COMMITS))


@dataclass
class Deliveries:
    """What every member of a test's group delivered, in order: (member, commit)."""

    log: list[tuple[str, Commit]] = field(default_factory=list)

    def of(self, member: str) -> list[Commit]:
        return [commit for name, commit in self.log if name == member]

    @property
    def positions(self) -> Counter[str]:
        return Counter(commit.position for _, commit in self.log)


class Running:
    """One member consuming in a task, logging what it delivers."""

    def __init__(
        self,
        store: EventStore,
        name: str,
        deliveries: Deliveries,
        *,
        work: Callable[[Commit], Any] | None = None,
        **options: Any,
    ) -> None:
        self.name = name
        self.delivered = 0
        self._task = asyncio.ensure_future(self._run(store, deliveries, work, options))

    async def _run(
        self,
        store: EventStore,
        deliveries: Deliveries,
        work: Callable[[Commit], Any] | None,
        options: dict[str, Any],
    ) -> None:
        async for commit in store.consume("projector", member=self.name, **{**FAST, **options}):
            deliveries.log.append((self.name, commit))
            self.delivered += 1
            if work is not None:
                await work(commit)

    async def stop(self) -> None:
        """A clean exit: cancelling the task closes the stream, which releases the leases."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def failure(self) -> BaseException | None:
        return self._task.exception() if self._task.done() and not self._task.cancelled() else None


async def write(
    store: EventStore, clock: Clock, count: int, *, aggregates: int = 60
) -> list[Commit]:
    """``count`` commits over ``aggregates`` aggregates, one millisecond apart."""
    written = []
    for n in range(count):
        clock.now = T0 + n
        aggregate = f"agg-{n % aggregates}"
        written.append(await store.append(aggregate, n // aggregates, [n]))
    clock.now = T0 + 10_000_000  # every commit settled
    return written


async def until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Wait until ``condition`` holds; the seconds it took, or a failure naming ``what``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def in_order_per_aggregate(commits: list[Commit]) -> bool:
    versions: dict[str, list[int]] = {}
    for commit in commits:
        versions.setdefault(commit.aggregate_id, []).append(commit.version)
    return all(numbers == sorted(numbers) for numbers in versions.values())


async def owners(store: EventStore) -> Counter[str]:
    """Who holds the group's leases, read straight from them (group_status reads more)."""
    partitions = await Leases.partitions_of(store.transport, store.table_name, "projector")
    if partitions is None:
        return Counter()
    leases = await Leases(
        lambda: store.transport, store.table_name, "projector", partitions, store._clock.now
    ).read()
    return Counter(lease.owner for lease in leases if lease.owner is not None)


async def test_one_member_delivers_every_commit_once_in_scan_order(make_store: Any) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    written = await write(writer, clock, 120)
    deliveries = Deliveries()
    member = Running(await make_store(clock=clock), "m1", deliveries)
    await until(lambda: member.delivered >= 120, 60, "120 deliveries")
    await asyncio.sleep(0.2)
    await member.stop()
    assert deliveries.of("m1") == [c async for c in writer.scan()]
    assert sorted(c.position for c in deliveries.of("m1")) == sorted(c.position for c in written)


async def test_members_split_the_stream_by_aggregate_exactly_once(make_store: Any) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    deliveries = Deliveries()
    members = [
        Running(await make_store(clock=clock), f"m{n}", deliveries, partitions=8) for n in range(3)
    ]
    await until_shared(writer, [2, 3, 3], 4 * LEASE)  # 8 partitions, a fair share each
    written = await write(writer, clock, 180)
    await until(lambda: len(deliveries.log) >= 180, 60, "180 deliveries")
    await asyncio.sleep(2 * LEASE)  # room for a duplicate to show up
    for member in members:
        await member.stop()
    assert deliveries.positions == Counter(c.position for c in written)  # once each
    for member in members:
        mine = deliveries.of(member.name)
        assert mine, member.name
        assert in_order_per_aggregate(mine)
    members_of: dict[str, set[str]] = {}
    for name, commit in deliveries.log:
        members_of.setdefault(commit.aggregate_id, set()).add(name)
    assert all(len(names) == 1 for names in members_of.values())  # an aggregate to one


async def until_shared(store: EventStore, shares: list[int], timeout: float) -> None:
    started = time.monotonic()
    while sorted((await owners(store)).values()) != shares:
        if time.monotonic() - started > timeout:
            pytest.fail(f"shares {sorted((await owners(store)).values())}, not {shares}")
        await asyncio.sleep(0.05)


async def test_a_new_member_gets_its_share_within_two_lease_periods(make_store: Any) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    await write(writer, clock, 60)
    deliveries = Deliveries()
    # No checkpoint but those of handovers (and exits): a handover that saved none shows.
    rarely: dict[str, Any] = {"checkpoint_interval": 3600}
    members = [
        Running(await make_store(clock=clock), f"m{n}", deliveries, **rarely) for n in range(3)
    ]
    await until(lambda: len(deliveries.log) >= 60, 60, "60 deliveries")
    await until_shared(writer, [5, 5, 6], 4 * LEASE)  # a settled group: 16 partitions
    joined = Running(await make_store(clock=clock), "m3", deliveries, **rarely)
    took = await until_owning(writer, "m3", 4, 2 * LEASE + 1.5)
    more = await write_more(writer, clock, 60, 60)
    await until(lambda: len(deliveries.log) >= 120, 60, "120 deliveries")
    await asyncio.sleep(2 * LEASE)
    for member in [*members, joined]:
        await member.stop()
    assert took <= 2 * LEASE + 1.5
    assert set(deliveries.positions) == {c.position async for c in writer.scan()}  # no gap
    assert max(deliveries.positions.values()) == 1  # handovers saved their checkpoints first
    assert joined.delivered > 0
    assert {c.position for c in deliveries.of("m3")} <= {c.position for c in more}


async def until_owning(store: EventStore, member: str, count: int, timeout: float) -> float:
    started = time.monotonic()
    while (await owners(store))[member] < count:
        if time.monotonic() - started > timeout:
            pytest.fail(f"{member} owns {(await owners(store))[member]} after {timeout} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def write_more(store: EventStore, clock: Clock, start: int, count: int) -> list[Commit]:
    written = []
    for n in range(start, start + count):
        clock.now += 1
        written.append(await store.append(f"agg-{n % 60}", n // 60, [n]))
    clock.now += 10_000
    return written


async def test_a_clean_exit_hands_over_within_a_poll_with_no_duplicate(make_store: Any) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    await write(writer, clock, 60)
    deliveries = Deliveries()
    # The default (1 s) on dynalite; on moto, whose answers take longer, as much longer as
    # its leases are.
    options: dict[str, Any] = {"poll_interval": LEASE / 3}
    leaving = Running(await make_store(clock=clock), "leaving", deliveries, **options)
    staying = Running(await make_store(clock=clock), "staying", deliveries, **options)
    await until(lambda: len(deliveries.log) >= 60, 60, "60 deliveries")
    await until_shared(writer, [8, 8], 3 * LEASE)
    await asyncio.sleep(0.5)  # checkpoints saved
    await leaving.stop()
    handed = await until_owning(writer, "staying", 16, 2.0)
    more = await write_more(writer, clock, 60, 60)
    await until(lambda: len(deliveries.log) >= 120, 60, "120 deliveries")
    await asyncio.sleep(0.5)
    await staying.stop()
    started = time.monotonic()
    await owners(writer)
    read = time.monotonic() - started  # moto takes a while to answer the test's own reads
    assert handed < LEASE / 3 + read  # within one poll interval
    assert max(deliveries.positions.values()) == 1  # no duplicate
    assert {c.position for c in more} <= set(deliveries.positions)


async def test_a_crashed_member_is_taken_over_and_only_its_unsaved_tail_repeats(
    make_store: Any, proxy: FaultProxy
) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    written = await write(writer, clock, CRASH_COMMITS)
    deliveries = Deliveries()

    async def slowly(_: Commit) -> None:
        await asyncio.sleep(0.005)

    async def slower(_: Commit) -> None:
        await asyncio.sleep(0.02)

    # The crashing member reaches DynamoDB through a proxy: the crash cuts it off, so its
    # leases are neither renewed nor released, as if the process had died. It starts first
    # and works slowly, so that its partitions still hold commits when it dies (started
    # together, the others could take and finish them all before it delivered any).
    crashing = Running(
        await make_store(clock=clock, endpoint_url=proxy.url), "crashing", deliveries, work=slower
    )
    await until(lambda: crashing.delivered >= 10, 60, "the crashing member started")
    others = [
        Running(await make_store(clock=clock), f"m{n}", deliveries, work=slowly) for n in range(2)
    ]
    under_way = lambda: crashing.delivered >= 60 or crashing.failure() is not None  # noqa: E731
    await until(under_way, 90, "the crashing member under way")
    assert crashing.failure() is None
    crashed_at = time.monotonic()
    proxy.add("reset")
    await crashing.stop()
    everything = len(written)
    await until(lambda: len(set(deliveries.positions)) >= everything, 120, "every commit")
    taken_over = time.monotonic() - crashed_at
    await asyncio.sleep(LEASE)
    for member in others:
        await member.stop()
    assert set(deliveries.positions) == {c.position for c in written}  # nothing lost
    repeated = {position for position, count in deliveries.positions.items() if count > 1}
    crashed = deliveries.of("crashing")
    assert repeated <= {c.position for c in crashed}  # only what the dead member had
    for name in ("crashing", "m0", "m1"):
        assert in_order_per_aggregate(deliveries.of(name)), name
    assert taken_over < 60
    assert (await owners(writer))["crashing"] == 0


async def test_raising_partitions_of_a_group_is_refused(make_store: Any) -> None:
    store: EventStore = await make_store(clock=Clock())
    deliveries = Deliveries()
    member = Running(store, "m1", deliveries, partitions=4)
    await until_owning(store, "m1", 4, 5)
    await member.stop()
    with pytest.raises(InvalidArgumentError, match="has 4 partitions"):
        await anext(store.consume("projector", partitions=8, **FAST))


@pytest.mark.parametrize(
    "options",
    [
        {"partitions": 0},
        {"partitions": 1001},
        {"lease_seconds": 0},
        {"checkpoint_interval": -1},
        {"after": "not a position"},
        {"settle": -1},
    ],
)
async def test_bad_options_are_refused(store: EventStore, options: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        await anext(store.consume("projector", **options))


async def test_group_status_shows_owners_positions_and_lag(make_store: Any) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    written = await write(writer, clock, 40, aggregates=8)
    deliveries = Deliveries()
    member = Running(await make_store(clock=clock), "m1", deliveries, partitions=4)
    await until(lambda: len(deliveries.log) >= 40, 60, "40 deliveries")
    for _ in range(300):  # until the checkpoints are saved: at most 30 s
        status = await writer.group_status("projector")
        if status.lag == 0:
            break
        await asyncio.sleep(0.1)
    assert status.members == ["m1"]
    assert [p.owner for p in status.partitions] == ["m1"] * 4
    assert status.lag == 0
    last = {partition_of(c.aggregate_id, 4): c.position for c in written}
    assert [p.position for p in status.partitions] == [last[p] for p in range(4)]
    await member.stop()
    clock.now += 5_000
    late = await writer.append("agg-0", 5, ["late"])
    status = await writer.group_status("projector")
    assert status.members == []
    lagging = status.partitions[partition_of("agg-0", 4)]
    assert lagging.lag == pytest.approx((clock.now - late.committed_at) / 1000, abs=0.01)
    assert (await writer.group_status("nobody")).partitions == []


async def test_leases_stay_out_of_the_global_index(make_store: Any) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    written = await write(writer, clock, 10)
    deliveries = Deliveries()
    member = Running(await make_store(clock=clock), "m1", deliveries, partitions=4)
    await until(lambda: len(deliveries.log) >= 10, 60, "10 deliveries")
    await member.stop()
    assert [c async for c in writer.scan()] == sorted(written, key=lambda c: c.sort_key)
    leases = [i for i in await raw_items(writer) if i["aggregateId"]["S"].startswith("$group:")]
    assert len(leases) == 4
    for item in leases:
        assert "active" not in item
        assert "commitId" not in item


class ThreadedMember:
    """A member on an event loop of its own, in a thread, so that its loop can be blocked."""

    def __init__(self, make: Callable[[], EventStore], block_after: int, block_for: float) -> None:
        self.delivered: list[tuple[float, Commit]] = []  # (time.monotonic(), commit)
        self.woke_at = 0.0
        self._make = make
        self._block_after = block_after
        self._block_for = block_for
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()))
        self._thread.start()
        self._started.wait(10)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._started.set()
        with contextlib.suppress(asyncio.CancelledError):
            async with self._make() as store:
                async for commit in store.consume("projector", member="blocked", **FAST):
                    self.delivered.append((time.monotonic(), commit))
                    if len(self.delivered) == self._block_after:
                        time.sleep(self._block_for)  # noqa: ASYNC251 - the very point: a stuck loop
                        self.woke_at = time.monotonic()

    def stop(self) -> None:
        """A clean exit, from the test's thread."""
        assert self._loop is not None
        assert self._task is not None
        self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=30)
        assert not self._thread.is_alive()


async def test_a_member_whose_loop_was_blocked_delivers_nothing_of_what_it_lost(
    backend: Any, store: EventStore, make_store: Any
) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    await write(writer, clock, 300)
    blocked = ThreadedMember(
        lambda: backend.store(store.table_name, clock=clock), block_after=20, block_for=3 * LEASE
    )
    deliveries = Deliveries()
    await until(lambda: len(blocked.delivered) >= 20, 90, "the blocked member under way")
    other = Running(await make_store(clock=clock), "other", deliveries)
    await until(lambda: blocked.woke_at > 0, 4 * LEASE + 30, "the blocked member waking")
    await until(lambda: len(set(deliveries.positions)) >= 250, 60, "the other member catching up")
    await asyncio.sleep(1.0)
    blocked.stop()
    await other.stop()
    after_waking = {commit.position for at, commit in blocked.delivered if at >= blocked.woke_at}
    assert deliveries.of("other"), "the other member took partitions over"
    # Nothing the other member delivered comes again from the one that was stuck: it stopped
    # at once, and got partitions back only through a handover, after their checkpoints.
    assert not after_waking & set(deliveries.positions)


async def test_a_former_owner_can_neither_renew_nor_move_the_checkpoint(
    store: EventStore,
) -> None:
    leases = Leases(lambda: store.transport, store.table_name, "projector", 4, store._clock.now)
    [free, *_] = await leases.read()
    first = await leases.acquire(free, "first", 10_000)
    assert first is not None
    assert first.epoch == 1
    # The second member saw the lease stand still for a lease period: it takes it over.
    second = await leases.acquire(first, "second", 10_000)
    assert second is not None
    assert second.epoch == 2
    position = ("20240102030405678:agg-A", 0)
    assert await leases.save_checkpoint(first, "first", position) is False
    assert await leases.renew(first, "first", 10_000) is None
    assert await leases.release(first, "first") is False
    assert await leases.save_checkpoint(second, "second", position) is True
    [stored, *_] = await leases.read()
    assert (stored.owner, stored.epoch, stored.checkpoint) == ("second", 2, position)
    assert await leases.acquire(first, "third", 10_000) is None  # it changed since
    # The first member takes it back (after a lease period): what it sent in its first
    # tenure still cannot land.
    again = await leases.acquire(stored, "first", 10_000)
    assert again is not None
    assert again.epoch == 3
    later = ("20240102030405679:agg-A", 0)
    assert await leases.save_checkpoint(first, "first", later) is False
    assert await leases.renew(first, "first", 10_000) is None
    assert await leases.save_checkpoint(again, "first", later) is True


async def test_throttling_under_a_running_group_loses_nothing(
    make_store: Any, proxy: FaultProxy
) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    deliveries = Deliveries()
    members = [
        Running(await make_store(clock=clock, endpoint_url=proxy.url), f"m{n}", deliveries)
        for n in range(2)
    ]
    await until_shared(writer, [8, 8], 4 * LEASE)
    # A throttling storm on every request of the members: reads, renewals, checkpoints.
    proxy.add("error", probability=0.3)
    written = await write(writer, clock, 120)
    await until(lambda: set(deliveries.positions) >= {c.position for c in written}, 60, "all")
    assert sum(proxy.injected.values()) > 0, "the storm must have met the members"
    proxy.clear()
    for member in members:
        assert member.failure() is None
        await member.stop()
    for name in ("m0", "m1"):
        assert in_order_per_aggregate(deliveries.of(name)), name


async def test_a_server_restart_under_a_running_group_loses_nothing(tmp_path: Path) -> None:
    server = Dynalite(path=tmp_path / "data")
    try:
        await _restart_under_a_group(server)
    finally:
        server.stop()


async def _restart_under_a_group(server: Dynalite) -> None:
    clock = Clock()
    # Few, quick retries: the outage must reach the members, not be waited out by retries.
    config = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 2})
    async with contextlib.AsyncExitStack() as stack:

        async def open_store() -> EventStore:
            store = EventStore(
                "commits",
                "commitsByCommitId",
                endpoint_url=server.endpoint_url,
                config=config,
                clock=clock,
                **TEST_CREDENTIALS,
            )
            return await stack.enter_async_context(store)

        writer = await open_store()
        await writer.create_table()
        deliveries = Deliveries()
        members = [Running(await open_store(), f"m{n}", deliveries) for n in range(2)]
        first = await write(writer, clock, 60)
        await until(lambda: len(deliveries.log) >= 60, 60, "the first 60 deliveries")
        server.kill()
        await asyncio.sleep(LEASE + 1)  # past the leases: each member drops what it held
        await asyncio.to_thread(server.start)
        more = await write_more(writer, clock, 60, 60)
        written = {c.position for c in [*first, *more]}
        await until(lambda: set(deliveries.positions) >= written, 60, "every commit after it")
        for member in members:
            assert member.failure() is None
            await member.stop()
    for name in ("m0", "m1"):
        assert in_order_per_aggregate(deliveries.of(name)), name


async def test_a_break_inside_the_stores_block_still_hands_over(
    backend: Any, store: EventStore, make_store: Any
) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    await write(writer, clock, 10)
    async with backend.store(store.table_name, clock=clock) as leaving:
        async for _ in leaving.consume("projector", member="leaving", partitions=4, **FAST):
            break  # the generator is closed only later: the store's close sees to it
    status = await writer.group_status("projector")
    assert [partition.owner for partition in status.partitions] == [None] * 4


def fake_member(leases: Leases, lease_seconds: float, name: str) -> Member:
    """A member whose only working part is ``leases``: for tests of its timing alone."""
    return Member(
        leases=leases,
        transport=lambda: None,  # type: ignore[arg-type, return-value]
        index=None,  # type: ignore[arg-type]
        now=lambda: T0,
        subscription=None,  # type: ignore[arg-type]
        lease_seconds=lease_seconds,
        checkpoint_interval=1.0,
        start=None,
        name=name,
    )


def test_a_lease_stands_still_for_the_longer_of_both_periods_before_it_is_taken() -> None:
    """A member configured with a shorter lease waits out the owner's, as in a rolling update."""
    member = fake_member(Leases(lambda: None, "t", "projector", 4, lambda: T0), 1.0, "short")  # type: ignore[arg-type, return-value]
    owned = Lease(0, owner="long", epoch=1, renewals=5, lease_ms=10_000, stored=True)
    assert not member._stale(owned, 100.0)  # first seen
    assert not member._stale(owned, 102.0)  # past the member's own second
    assert member._stale(owned, 110.0)  # past the owner's ten
    renewed = Lease(0, owner="long", epoch=1, renewals=6, lease_ms=10_000, stored=True)
    assert not member._stale(renewed, 111.0)  # renewed meanwhile: seen anew


async def test_renewals_go_out_on_time_while_slow_answers_wait() -> None:
    """Renewals go out on time while earlier ones wait for their answers (a fake server)."""
    sent: list[float] = []

    class SlowLeases(Leases):
        async def renew(self, lease: Lease, member: str, lease_ms: int) -> Lease | None:  # noqa: ARG002
            sent.append(time.monotonic())
            await asyncio.sleep(60)  # an answer that takes its time
            return lease

    leases = SlowLeases(lambda: None, "t", "projector", 4, lambda: T0)  # type: ignore[arg-type, return-value]
    member = fake_member(leases, 3.0, "m")
    lease = Lease(0, owner="m", epoch=1, stored=True)
    now = time.monotonic()
    member.held[0] = _Held(lease, now + 3.0, now - 1.0, None, None, None)
    await asyncio.wait_for(member._renew(), 1.0)  # due: sent, not awaited
    await asyncio.sleep(0)
    member.held[0].asked_at -= 1.0  # a third of a lease later
    await asyncio.wait_for(member._renew(), 1.0)
    await asyncio.sleep(0)
    assert len(sent) == 2  # the second went out while the first was unanswered
    for task in member._renewals:
        task.cancel()
    await asyncio.gather(*member._renewals, return_exceptions=True)
