"""A write that landed but whose answer was lost: no false conflict, no duplicate, no loss.

The proxy forwards each PutItem to the server, lets it apply the write, then closes the
connection instead of answering. botocore retries the PutItem, whose condition now fails on
the item the first try wrote; the store recognises its own idempotency key there.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from conftest import T0, TRANSPORTS, Clock, raw_items

from aio_eventstore import Commit, EventStore, UnavailableError, VersionConflictError

if TYPE_CHECKING:
    from faultproxy import FaultProxy

# A contract test: it holds on either transport.
pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


def by_position(commit: Commit) -> str:
    return commit.position


async def test_a_lost_response_does_not_become_a_false_conflict(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    proxied: EventStore = await make_store(endpoint_url=proxy.url)
    proxy.add("lose_response", operation="PutItem", times=1)
    commit = await proxied.append("agg-A", 0, [{"type": "created"}])
    assert proxy.injected["lose_response"] == 1
    assert proxy.requests["PutItem"] == 2  # the lost try and botocore's retry
    assert await store.query("agg-A") == [commit]
    assert len(await raw_items(store)) == 1


async def test_a_real_conflict_is_still_reported_after_a_lost_response(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    await store.append("agg-A", 0, [{"by": "someone else"}])
    proxied: EventStore = await make_store(endpoint_url=proxy.url)
    proxy.add("lose_response", operation="PutItem", times=1)
    with pytest.raises(VersionConflictError) as caught:
        await proxied.append("agg-A", 0, [{"by": "me"}])
    assert caught.value.commit is not None
    assert caught.value.commit.events == [{"by": "someone else"}]
    assert [c.events for c in await store.query("agg-A")] == [[{"by": "someone else"}]]


async def test_concurrent_appends_with_lost_responses_land_exactly_once(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    proxied: EventStore = await make_store(endpoint_url=proxy.url)
    proxy.add("lose_response", operation="PutItem", probability=0.3)

    async def append(aggregate: int, version: int) -> Commit:
        # Four lost answers in a row exhaust botocore's attempts: then the caller repeats
        # the append with the same idempotency key, as the docs say to.
        while True:
            try:
                return await proxied.append(
                    f"agg-{aggregate}",
                    version,
                    [{"a": aggregate, "v": version}],
                    idempotency_key=f"{aggregate}/{version}",
                )
            except UnavailableError:
                continue

    async def write(aggregate: int) -> list[Commit]:
        return [await append(aggregate, version) for version in range(5)]

    results = await asyncio.gather(*(write(aggregate) for aggregate in range(8)))
    acknowledged = [commit for commits in results for commit in commits]
    assert proxy.injected["lose_response"] > 5
    stored = [commit async for commit in store.scan()]
    assert sorted(stored, key=by_position) == sorted(acknowledged, key=by_position)
    assert len(await raw_items(store)) == 40


async def test_repeating_an_append_after_a_lost_answer_returns_the_stored_commit(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    clock = Clock()
    proxied: EventStore = await make_store(endpoint_url=proxy.url, clock=clock)
    # The first try lands but its answer is lost; every retry then fails, until the store
    # gives up and the caller sees UnavailableError: whether it landed is unknown.
    proxy.add("lose_response", operation="PutItem", times=1)
    proxy.add("error", operation="PutItem", code="InternalServerError", status=500)
    with pytest.raises(UnavailableError):
        await proxied.append("agg-A", 0, [{"n": 1}], idempotency_key="order-42")
    proxy.clear()
    clock.now += 5_000  # the caller repeats a while later, as the docs say to
    commit = await proxied.append("agg-A", 0, [{"n": 1}], idempotency_key="order-42")
    [stored] = await store.query("agg-A")
    assert commit == stored
    assert commit.committed_at == T0  # the first try's stamp, not the repeat's
    assert len(await raw_items(store)) == 1
