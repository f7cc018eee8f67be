"""index_shards: the global index spread over several hash keys, read back as one order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conftest import T0, Backend, new_table_name, raw_items

if TYPE_CHECKING:
    from aio_eventstore import Commit, EventStore


async def write_same_commits(store: EventStore, clock: list[int]) -> list[Commit]:
    written = []
    for n in range(40):
        clock[0] = T0 + n // 4  # several commits share each millisecond
        written.append(await store.append(f"agg-{n % 9}", n // 9, [{"n": n}]))
    return written


async def test_four_shards_yield_exactly_the_order_of_one(backend: Backend) -> None:
    scans: dict[int, list[dict[str, Any]]] = {}
    for shards in (1, 4):
        clock = [T0]
        store = backend.store(new_table_name(), clock=lambda c=clock: c[0], index_shards=shards)
        async with store:
            await store.create_table()
            try:
                await write_same_commits(store, clock)
                scans[shards] = [
                    {**commit.to_dict(), "position": commit.position}
                    async for commit in store.scan(page_size=3)
                ]
                keys = {item["active"]["S"] for item in await raw_items(store)}
                assert keys == ({"t"} if shards == 1 else {"t", "t1", "t2", "t3"})
            finally:
                await store.delete_table()
    assert len(scans[1]) == 40
    assert scans[4] == scans[1]


async def test_raising_the_shard_count_keeps_what_was_written(make_store: Any) -> None:
    clock = [T0]
    before = await make_store(clock=lambda: clock[0], index_shards=1)
    after = await make_store(clock=lambda: clock[0], index_shards=8)
    written = []
    for n in range(24):
        clock[0] = T0 + n
        writer = before if n < 12 else after
        written.append(await writer.append(f"agg-{n % 5}", n // 5, [n]))
    assert [c async for c in after.scan()] == written
    assert [c async for c in after.scan(after=written[5].position)] == written[6:]


async def test_a_sharded_subscription_delivers_in_scan_order(make_store: Any) -> None:
    clock = [T0]
    store = await make_store(clock=lambda: clock[0], index_shards=3)
    written = await write_same_commits(store, clock)
    clock[0] += 60_000
    delivered = []
    async for commit in store.subscribe(settle=0, poll_interval=0.02, page_size=4):
        delivered.append(commit)
        if len(delivered) == len(written):
            break
    assert delivered == [c async for c in store.scan()]
    assert sorted(delivered, key=lambda c: c.sort_key) == sorted(written, key=lambda c: c.sort_key)
