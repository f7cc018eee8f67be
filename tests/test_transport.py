"""The direct transport: signed requests over the store's own aiohttp session, its own retries.

Through the fault proxy: corrupted answers are retried and never decoded; each append
attempt is stamped when it is sent; the store's config (pool size, proxies) is honoured.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from conftest import TEST_CREDENTIALS, Backend, raw_items

from aio_eventstore import Commit, EventStore, InvalidArgumentError
from aio_eventstore._transport import BotocoreTransport, DirectTransport

if TYPE_CHECKING:
    from faultproxy import FaultProxy


async def test_the_store_sends_directly_by_default(store: EventStore) -> None:
    assert isinstance(store.transport, DirectTransport)


async def test_the_botocore_transport_sends_through_the_client(make_store: Any) -> None:
    store = await make_store(transport="botocore")
    assert isinstance(store.transport, BotocoreTransport)
    commit = await store.append("agg-A", 0, [1])
    assert await store.query("agg-A") == [commit]


async def test_a_given_client_is_sent_through(store: EventStore) -> None:
    given = EventStore(store.table_name, store.index_name, client=store.client)
    async with given:
        assert isinstance(given.transport, BotocoreTransport)
        commit = await given.append("agg-A", 0, [1])
    assert await store.query("agg-A") == [commit]


@pytest.mark.parametrize("transport", ["http", "", None, "Direct"])
def test_an_unknown_transport_is_refused(transport: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        EventStore(transport=transport)


async def test_a_corrupted_answer_is_retried_and_never_decoded(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    written = [await store.append(f"agg-{n}", 0, [{"n": n, "text": "x" * 50}]) for n in range(5)]
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("corrupt", probability=0.5)
    for _ in range(10):
        for commit in written:
            assert await proxied.query(commit.aggregate_id) == [commit]
        assert [c async for c in proxied.scan(page_size=2)] == written
    assert proxy.injected["corrupt"] > 10


async def test_appends_land_once_through_corrupted_answers(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("corrupt", operation="PutItem", probability=0.5)
    written = [await proxied.append(f"agg-{n % 4}", n // 4, [n]) for n in range(20)]
    assert proxy.injected["corrupt"] > 3
    assert len(await raw_items(store)) == 20
    assert sorted(c.position for c in written) == [c.position async for c in store.scan()]


async def test_each_append_attempt_is_stamped_when_it_is_sent(
    make_store: Any, proxy: FaultProxy
) -> None:
    # Wall-clock stores: the stamp is compared with when the proxy forwarded the attempt.
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("error", operation="PutItem", seconds=0.3, times=8)  # throttled, after a while

    async def append(n: int) -> Commit:
        commit: Commit = await proxied.append(f"agg-{n}", 0, [n])
        return commit

    commits = await asyncio.gather(*(append(n) for n in range(4)))
    assert proxy.injected["error"] == 8  # two throttled attempts each
    landed = [sent for operation, sent in proxy.forwarded if operation == "PutItem"]
    assert len(landed) == 4
    for commit in commits:
        stamped = commit.committed_at / 1000
        # Within one attempt (a 0.3 s delay, plus scheduling) of an attempt that landed;
        # a stamp kept from the first attempt would be over 0.6 s older.
        assert min(abs(sent - stamped) for sent in landed) < 0.25, commit


async def test_the_pool_size_of_the_config_bounds_connections(
    make_store: Any, proxy: FaultProxy
) -> None:
    proxied = await make_store(endpoint_url=proxy.url, config=Config(max_pool_connections=2))
    proxy.add("delay", operation="PutItem", seconds=0.05)
    await asyncio.gather(*(proxied.append(f"agg-{n}", 0, [n]) for n in range(12)))
    assert proxy.most_in_flight == 2


async def test_a_proxy_of_the_config_is_used(
    store: EventStore, backend: Backend, make_store: Any, proxy: FaultProxy
) -> None:
    assert backend.endpoint_url is not None
    config = Config(proxies={"http": proxy.url})
    proxied = await make_store(endpoint_url=backend.endpoint_url, config=config)
    assert isinstance(proxied.transport, DirectTransport)
    commit = await proxied.append("agg-A", 0, [1])
    assert proxy.requests["PutItem"] == 1
    assert await store.query("agg-A") == [commit]


async def test_settings_it_cannot_honour_fall_back_to_botocore_saying_so(
    make_store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    config = Config(proxies_config={"proxy_use_forwarding_for_https": True})
    with caplog.at_level(logging.INFO, logger="aio_eventstore"):
        store = await make_store(config=config)
    assert isinstance(store.transport, BotocoreTransport)
    [line] = [r.getMessage() for r in caplog.records if "botocore" in r.getMessage()]
    assert "proxies_config" in line
    await store.append("agg-A", 0, [1])


async def test_the_endpoint_comes_from_the_aws_environment(
    backend: Backend, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert backend.endpoint_url is not None
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", backend.endpoint_url)
    arguments = {**TEST_CREDENTIALS}
    async with EventStore(store.table_name, store.index_name, **arguments) as from_env:
        assert isinstance(from_env.transport, DirectTransport)
        commit = await from_env.append("agg-A", 0, [1])
    assert await store.query("agg-A") == [commit]


async def test_persistent_failures_end_within_the_documented_bounds(
    make_store: Any, proxy: FaultProxy
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("corrupt")
    started = time.monotonic()
    with pytest.raises(Exception, match="x-amz-crc32") as caught:
        await proxied.latest("agg-A")
    assert type(caught.value).__name__ == "UnavailableError"
    assert proxy.requests["Query"] == 4
    assert time.monotonic() - started < 1  # no throttling: backoffs of at most 25, 50, 100 ms
