"""Faults between the store and DynamoDB, injected by a proxy: typed errors, nothing lost.

The proxy (tests/faultproxy.py) sits in front of the test server and throttles, fails,
resets, delays and loses responses. Bounds asserted here are for the store's default
configuration (standard retries, 4 attempts; see aio_eventstore/_client.py).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from botocore.config import Config
from conftest import T0, Clock, raw_items

from aio_eventstore import (
    AccessDeniedError,
    Commit,
    EventStore,
    ThrottledError,
    UnavailableError,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from faultproxy import FaultProxy

T = TypeVar("T")

WRITERS = 16
COMMITS_EACH = 10

# Every guarantee here holds with the global index in one shard and in several.
pytestmark = pytest.mark.parametrize("index_shards", [1, 3])


async def until_answered(call: Callable[[], Awaitable[T]]) -> T:
    """Repeat a call that ended throttled or unavailable: what a careful caller does."""
    while True:
        try:
            return await call()
        except (ThrottledError, UnavailableError):
            await asyncio.sleep(0.01)


async def test_appends_land_exactly_once_through_throttling_resets_and_lost_responses(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    for operation in ("PutItem", "GetItem", "Query"):
        proxy.add("error", operation=operation, probability=0.3)  # throttled
    proxy.add("reset", operation="PutItem", probability=0.05)
    proxy.add("lose_response", operation="PutItem", probability=0.05)

    async def writer(n: int) -> list[Commit]:
        acknowledged = []
        aggregate_id = f"agg-{n}"
        for version in range(COMMITS_EACH):
            # The same idempotency key on every try: a retry finds what an earlier try wrote.
            key = f"{aggregate_id}/{version}"
            commit = await until_answered(
                lambda: proxied.append(aggregate_id, version, [version], idempotency_key=key)  # noqa: B023
            )
            acknowledged.append(commit)
            read = await until_answered(lambda: proxied.query(aggregate_id, version))  # noqa: B023
            assert read == [commit]
        return acknowledged

    results = await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    acknowledged = sorted((c for commits in results for c in commits), key=lambda c: c.sort_key)

    assert proxy.injected["error"] > 100
    assert proxy.injected["lose_response"] > 0
    assert proxy.injected["reset"] > 0
    assert len(acknowledged) == WRITERS * COMMITS_EACH
    assert len(await raw_items(store)) == WRITERS * COMMITS_EACH  # no duplicate
    assert [c async for c in store.scan()] == acknowledged  # nothing lost


async def test_persistent_throttling_raises_throttled_error_in_bounded_time(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("error", code="ProvisionedThroughputExceededException", status=400)
    started = time.monotonic()
    with pytest.raises(ThrottledError) as caught:
        await proxied.append("agg-A", 0, [1])
    elapsed = time.monotonic() - started
    assert caught.value.code == "ProvisionedThroughputExceededException"
    assert proxy.requests["PutItem"] == 4  # the default attempts
    assert elapsed < 8  # jittered backoff: at most 1 + 2 + 4 s
    assert await raw_items(store) == []


@pytest.mark.parametrize(("code", "status"), [("InternalServerError", 500), ("", 503)])
async def test_persistent_server_errors_raise_unavailable_in_bounded_time(
    make_store: Any, proxy: FaultProxy, code: str, status: int
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("error", code=code, status=status)
    started = time.monotonic()
    with pytest.raises(UnavailableError):
        await proxied.query("agg-A")
    assert proxy.requests["Query"] == 4
    assert time.monotonic() - started < 8  # jittered backoff: at most 1 + 2 + 4 s


async def test_access_denied_fails_fast_without_retries(make_store: Any, proxy: FaultProxy) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("error", code="AccessDeniedException", status=400)
    started = time.monotonic()
    with pytest.raises(AccessDeniedError) as caught:
        await proxied.append("agg-A", 0, [1])
    assert caught.value.code == "AccessDeniedException"
    assert proxy.requests["PutItem"] == 1
    assert time.monotonic() - started < 1


async def test_a_server_that_stops_answering_raises_unavailable_after_the_read_timeout(
    make_store: Any, proxy: FaultProxy
) -> None:
    config = Config(read_timeout=0.3, retries={"mode": "standard", "total_max_attempts": 2})
    proxied = await make_store(endpoint_url=proxy.url, config=config)
    proxy.add("delay", seconds=3.0)
    started = time.monotonic()
    with pytest.raises(UnavailableError):
        await proxied.latest("agg-A")
    assert time.monotonic() - started < 2


async def test_reset_connections_are_retried_transparently(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("reset", times=2)
    commit = await proxied.append("agg-A", 0, [1])
    assert proxy.injected["reset"] == 2
    assert await store.query("agg-A") == [commit]


async def test_a_subscription_waits_out_throttling_and_server_errors(
    store: EventStore, make_store: Any, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    writer = await make_store(clock=clock)
    written = []
    for n in range(20):
        clock.now = T0 + n
        written.append(await writer.append(f"agg-{n % 7}", n // 7, [n]))
    clock.now += 60_000
    # One attempt per request: every fault reaches the subscription itself.
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    reader = await make_store(endpoint_url=proxy.url, clock=clock, config=config)
    proxy.add("error", operation="Query", probability=0.15)
    proxy.add("error", operation="Query", probability=0.05, code="InternalServerError", status=500)
    delivered: list[Commit] = []
    with caplog.at_level("WARNING", logger="aio_eventstore"):
        async for commit in reader.subscribe(settle=0, poll_interval=0.01, page_size=1):
            delivered.append(commit)
            if len(delivered) == len(written):
                break
    assert proxy.injected["error"] >= 1
    assert "subscription paused" in caplog.text
    assert delivered == [c async for c in store.scan()]
