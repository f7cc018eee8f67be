"""subscribe: history then live commits, each exactly once, in scan order."""

from __future__ import annotations

import asyncio
import contextlib
import random
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import pytest
from conftest import T0, Clock

from aio_eventstore import Commit, EventStore, InvalidArgumentError, VersionConflictError
from aio_eventstore._clock import system_clock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from faultproxy import FaultProxy
    from typing_extensions import Self


# Every guarantee here holds with the global index in one shard and in several.
pytestmark = pytest.mark.parametrize("index_shards", [1, 3])


def skewed(skew_ms: int) -> Callable[[], int]:
    return lambda: system_clock() + skew_ms


class Tap:
    """Runs a subscription in a task and queues what it delivers, for the test to take.

    (Cancelling a wait on the stream itself would close it: async generators end when a
    step is cancelled. The task keeps the stream alive between the test's waits.)
    """

    def __init__(self, stream: AsyncIterator[Commit]) -> None:
        self.queue: asyncio.Queue[Commit] = asyncio.Queue()
        self._task = asyncio.ensure_future(self._run(stream))

    async def _run(self, stream: AsyncIterator[Commit]) -> None:
        async with aclosing(stream):  # type: ignore[type-var]
            async for commit in stream:
                self.queue.put_nowait(commit)

    async def take(self, count: int, timeout: float = 30) -> list[Commit]:
        async def take_all() -> list[Commit]:
            return [await self.queue.get() for _ in range(count)]

        return await asyncio.wait_for(take_all(), timeout)

    async def nothing_more(self, wait: float = 0.5) -> bool:
        try:
            await asyncio.wait_for(self.queue.get(), wait)
        except asyncio.TimeoutError:
            return True
        return False

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def test_subscribe_delivers_history_then_live_commits(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    history = [await store.append(f"agg-{n}", 0, [n]) for n in range(3)]
    clock.now += 10_000  # everything so far is settled
    async with Tap(store.subscribe(settle=1.0, poll_interval=0.02)) as tap:
        assert await tap.take(3) == history
        live = await store.append("agg-live", 0, ["live"])
        assert await tap.nothing_more(0.2)  # younger than settle: held back
        clock.now += 1_001
        assert await tap.take(1) == [live]


async def test_a_commit_is_held_back_until_it_is_older_than_settle(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    commit = await store.append("agg-A", 0, ["x"])
    async with Tap(store.subscribe(settle=1.0, poll_interval=0.01)) as tap:
        clock.now = T0 + 999  # settle - 1 ms
        assert await tap.nothing_more(0.2)
        clock.now = T0 + 1_001  # settle + 1 ms
        assert await tap.take(1, timeout=5) == [commit]


async def test_subscribe_from_a_commit_id_includes_it(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    written = []
    for n in range(4):
        clock.now = T0 + n
        written.append(await store.append(f"agg-{n}", 0, [n]))
    clock.now += 60_000
    async with Tap(store.subscribe(commit_id=written[2].commit_id, settle=0)) as tap:
        assert await tap.take(2) == written[2:]
        assert await tap.nothing_more(0.1)


async def test_subscribe_resumes_after_any_position(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    written: list[Commit] = []
    for n in range(12):
        clock.now = T0 + n // 3  # three commits in each millisecond
        aggregate = "agg-shared" if n % 2 else f"agg-{n}"
        version = len([c for c in written if c.aggregate_id == aggregate])
        written.append(await store.append(aggregate, version, [n]))
    clock.now = T0 + 60_000
    assert [c async for c in store.scan()] == sorted(written, key=lambda c: c.sort_key)
    ordered = [c async for c in store.scan()]
    for index, commit in enumerate(ordered):
        stream = store.subscribe(after=commit.position, settle=0, poll_interval=0.02)
        async with Tap(stream) as tap:
            assert await tap.take(len(ordered) - index - 1) == ordered[index + 1 :]
            assert await tap.nothing_more(0.1)


async def test_subscribe_in_a_consumer_group_splits_by_aggregate(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    written = [await store.append(f"agg-{n % 7}", n // 7, [n]) for n in range(21)]
    clock.now += 60_000
    delivered: list[list[Commit]] = []
    for member in range(3):
        stream = store.subscribe(settle=0, poll_interval=0.02, group_member=member, group_size=3)
        async with Tap(stream) as tap:
            mine = [c async for c in store.scan(group_member=member, group_size=3)]
            assert await tap.take(len(mine)) == mine
            assert await tap.nothing_more(0.1)
            delivered.append(mine)
    everyone = [commit for mine in delivered for commit in mine]
    assert sorted(everyone, key=lambda c: c.sort_key) == sorted(written, key=lambda c: c.sort_key)
    owners = {c.aggregate_id: member for member, mine in enumerate(delivered) for c in mine}
    assert len(owners) == 7
    assert len(set(owners.values())) > 1


@pytest.mark.parametrize(
    "options",
    [
        {"settle": -1},
        {"settle": "2"},
        {"poll_interval": 0},
        {"page_size": 0},
        {"group_size": 0},
        {"group_member": 3, "group_size": 3},
        {"after": "bogus"},
        {"settle": float("nan")},
        {"poll_interval": float("inf")},
        {"commit_id": "2024", "after": "20240102030405678:agg-A/0"},
    ],
)
async def test_subscribe_refuses_bad_options(store: EventStore, options: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        await anext(store.subscribe(**options))


async def test_stopping_a_subscription_sends_no_further_requests(
    counted: EventStore, proxy: FaultProxy
) -> None:
    task = asyncio.ensure_future(anext(counted.subscribe(settle=0, poll_interval=0.01)))
    await proxy.seen("Query", 3)  # it polls an empty table
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    count = proxy.requests["Query"]
    await asyncio.sleep(0.1)
    assert proxy.requests["Query"] == count


async def write_with_skew(store: EventStore, name: str, deadline: float) -> list[Commit]:
    """Append until the deadline: to own aggregates, and to shared ones after reading them."""
    loop = asyncio.get_running_loop()
    written = []
    n = 0
    while loop.time() < deadline:
        if n % 2:
            written.append(await store.append(f"{name}-{n}", 0, [{"writer": name, "n": n}]))
        else:
            shared = f"shared-{n % 3}"
            head = await store.latest(shared)
            try:
                commit = await store.append(shared, 0 if head is None else head.version + 1, [n])
            except VersionConflictError:
                continue
            written.append(commit)
        n += 1
        await asyncio.sleep(random.uniform(0, 0.01))
    return written


async def test_skewed_writers_lose_nothing_to_a_subscriber_that_settles(make_store: Any) -> None:
    reader = await make_store()
    writers = [await make_store(clock=skewed(skew)) for skew in (-800, -300, 200, 800)]
    settled: list[Commit] = []
    eager: list[Commit] = []
    written: list[Commit] = []
    caught_up = asyncio.Event()

    async def subscriber(settle: float, into: list[Commit]) -> None:
        async for commit in reader.subscribe(settle=settle, poll_interval=0.05):
            into.append(commit)
            if into is settled and written and len(settled) >= len(written):
                caught_up.set()

    tasks = [
        asyncio.ensure_future(subscriber(2.0, settled)),
        asyncio.ensure_future(subscriber(0, eager)),
    ]
    deadline = asyncio.get_running_loop().time() + 3.0
    results = await asyncio.gather(
        *(write_with_skew(w, f"w{i}", deadline) for i, w in enumerate(writers))
    )
    written.extend(commit for result in results for commit in result)
    # By settle plus the largest skew every clock has passed every commit: wait that long
    # and a little more, but no longer, so that a miss fails naming what was missed.
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(caught_up.wait(), timeout=2.0 + 0.8 + 5.0)
    await asyncio.sleep(0.3)  # room for a duplicate to show up, if there were one
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    scanned = [c async for c in reader.scan()]
    assert len(scanned) == len(written) > 20
    missing = sorted({c.position for c in scanned} - {c.position for c in settled})
    assert not missing, f"settle > skew, yet {len(missing)} commits were missed: {missing[:5]}"
    assert settled == scanned, "settle > skew: every commit once, in scan order"
    for aggregate in {c.aggregate_id for c in scanned}:
        versions = [c.version for c in scanned if c.aggregate_id == aggregate]
        assert versions == sorted(versions), "within an aggregate, stream order is version order"
    missed = {c.position for c in scanned} - {c.position for c in eager}
    assert missed, "with settle=0 the lagging writers' commits must be missed"
    assert len(eager) == len({c.position for c in eager}), "but none is delivered twice"
