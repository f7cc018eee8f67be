"""scan: the global stream of every commit, in commit id order, lazily, page by page."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import pytest
from conftest import T0, TRANSPORTS, Clock

from aio_eventstore import Commit, EventStore, InvalidArgumentError, InvalidPositionError

if TYPE_CHECKING:
    from faultproxy import FaultProxy

# A contract test: it holds on either transport.
pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


async def append_interleaved(store: EventStore, clock: Clock, count: int) -> list[Commit]:
    """``count`` commits over three aggregates, one millisecond apart."""
    commits = []
    for n in range(count):
        clock.now = T0 + n
        commits.append(await store.append(f"agg-{n % 3}", n // 3, [{"n": n}]))
    return commits


async def collect(stream: Any) -> list[Commit]:
    return [commit async for commit in stream]


async def test_scan_yields_every_commit_in_commit_id_order(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    written = await append_interleaved(store, clock, 10)
    assert await collect(store.scan()) == written


async def test_scan_orders_by_commit_id_not_by_write_order(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    clock.now = T0 + 10
    late = await store.append("agg-late", 0, ["written first, stamped later"])
    clock.now = T0
    early = await store.append("agg-early", 0, ["written second, stamped earlier"])
    assert await collect(store.scan()) == [early, late]


async def test_scan_from_a_commit_id_includes_it(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    written = await append_interleaved(store, clock, 6)
    assert await collect(store.scan(written[2].commit_id)) == written[2:]


async def test_scan_from_a_date_prefix(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    written = await append_interleaved(store, clock, 6)
    assert await collect(store.scan("2024")) == written
    assert await collect(store.scan("2025")) == []


async def test_scan_after_a_position_excludes_it(make_store: Any) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    written = await append_interleaved(store, clock, 6)
    assert await collect(store.scan(after=written[2].position)) == written[3:]
    assert await collect(store.scan(after=written[-1].position)) == []


async def test_scan_resumes_exactly_among_commits_sharing_a_commit_id(make_store: Any) -> None:
    store = await make_store(clock=Clock())  # the clock stands still: one commit id
    written = [await store.append("agg-A", version, [version]) for version in range(5)]
    assert len({commit.commit_id for commit in written}) == 1
    for index, commit in enumerate(written):
        assert await collect(store.scan(after=commit.position)) == written[index + 1 :]


async def test_commits_sharing_a_commit_id_come_in_version_order_across_pages(
    make_store: Any,
) -> None:
    store = await make_store(clock=Clock())
    for version in (3, 0, 4, 1, 2):
        await store.append("agg-A", version, [version])
    scanned = await collect(store.scan(page_size=2))
    assert [commit.version for commit in scanned] == [0, 1, 2, 3, 4]


async def test_scan_reads_page_by_page_one_request_each(make_store: Any, proxy: FaultProxy) -> None:
    clock = Clock()
    store = await make_store(clock=clock, endpoint_url=proxy.url)
    written = await append_interleaved(store, clock, 9)
    assert await collect(store.scan(page_size=2)) == written
    # Five pages; dynalite adds an empty one when a Limit ends exactly at the end.
    assert proxy.requests["Query"] in (5, 6)


async def test_breaking_out_of_a_scan_sends_no_further_requests(
    make_store: Any, proxy: FaultProxy
) -> None:
    clock = Clock()
    store = await make_store(clock=clock, endpoint_url=proxy.url)
    await append_interleaved(store, clock, 20)
    sent = proxy.requests
    async with aclosing(store.scan(page_size=2)) as stream:
        async for _ in stream:
            break
    await asyncio.sleep(0.05)  # the read-ahead, if already sent, reaches the proxy
    before = sent["Query"]
    assert before <= 2  # the first page, and at most the one read ahead
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert sent["Query"] == before


async def test_a_consumer_sees_each_commit_once_while_pages_are_read_ahead(
    make_store: Any,
) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    written = await append_interleaved(store, clock, 12)
    seen = []
    async for commit in store.scan(page_size=5):
        await asyncio.sleep(0.005)  # a consumer that works on each commit
        seen.append(commit)
    assert seen == written


async def test_scan_of_an_empty_table_yields_nothing(store: EventStore) -> None:
    assert await collect(store.scan()) == []


async def test_scan_refuses_commit_id_and_after_together(store: EventStore) -> None:
    with pytest.raises(InvalidArgumentError):
        await collect(store.scan("2024", after="20240102030405678:agg-A/0"))


@pytest.mark.parametrize(
    "position", ["", "nonsense", "20240102030405678:agg-A", "2024:agg-A/0", "x/1", 5]
)
async def test_scan_refuses_a_position_it_did_not_produce(
    store: EventStore, position: object
) -> None:
    with pytest.raises(InvalidPositionError):
        await collect(store.scan(after=position))  # type: ignore[arg-type]


@pytest.mark.parametrize("page_size", [0, -1, 1.5, True, "10"])
async def test_scan_refuses_a_bad_page_size(store: EventStore, page_size: object) -> None:
    with pytest.raises(InvalidArgumentError):
        await collect(store.scan(page_size=page_size))  # type: ignore[arg-type]
