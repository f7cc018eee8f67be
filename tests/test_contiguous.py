"""contiguous=True: version n is written only if version n - 1 exists, in the same request."""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import TYPE_CHECKING, Any

import pytest
from conftest import on_servers_with_transactions, on_servers_without_transactions, raw_items

from aio_eventstore import (
    Commit,
    EventStore,
    EventStoreError,
    VersionConflictError,
    VersionGapError,
)

if TYPE_CHECKING:
    from collections import Counter

    from faultproxy import FaultProxy


@on_servers_with_transactions
async def test_a_gap_is_refused_and_nothing_written(make_store: Any) -> None:
    store: EventStore = await make_store(contiguous=True)
    await store.append("agg-A", 0, ["v0"])
    with pytest.raises(VersionGapError) as caught:
        await store.append("agg-A", 2, ["v2"])
    assert isinstance(caught.value, VersionConflictError)
    assert caught.value.missing == 1
    assert "no version 1" in str(caught.value)
    assert [c.version for c in await store.query("agg-A")] == [0]


@on_servers_with_transactions
async def test_the_next_version_is_written(
    make_store: Any, proxy: FaultProxy, sent: Counter[str]
) -> None:
    store: EventStore = await make_store(contiguous=True, endpoint_url=proxy.url)
    first = await store.append("agg-A", 0, ["v0"])
    assert sent == {"PutItem": 1}  # version 0 needs no check
    second = await store.append("agg-A", 1, ["v1"])
    assert sent["TransactWriteItems"] == 1
    assert await store.query("agg-A") == [first, second]


@on_servers_with_transactions
async def test_a_taken_version_is_a_conflict_not_a_gap(make_store: Any) -> None:
    store: EventStore = await make_store(contiguous=True)
    await store.append("agg-A", 0, ["v0"])
    taken = await store.append("agg-A", 1, ["v1"])
    with pytest.raises(VersionConflictError) as caught:
        await store.append("agg-A", 1, ["again"])
    assert type(caught.value) is VersionConflictError
    assert caught.value.commit == taken


@on_servers_with_transactions
async def test_racing_writers_leave_no_gap(make_store: Any) -> None:
    store: EventStore = await make_store(contiguous=True)

    async def writer(n: int) -> list[Commit]:
        written = []
        for _ in range(4):
            head = await store.latest("agg-A")
            # Now and then a writer skips ahead, as a buggy caller would.
            version = (-1 if head is None else head.version) + random.choice((1, 1, 2))
            with contextlib.suppress(VersionConflictError):  # VersionGapError too
                written.append(await store.append("agg-A", version, [n]))
        return written

    results = await asyncio.gather(*(writer(n) for n in range(20)))
    versions = [c.version for c in await store.query("agg-A")]
    assert versions == list(range(len(versions)))
    assert len(versions) == sum(len(written) for written in results) > 5
    # Whether a racing skip met a gap is luck (another writer may fill it first); one
    # made now must.
    with pytest.raises(VersionGapError):
        await store.append("agg-A", versions[-1] + 2, ["skipped"])
    assert [c.version for c in await store.query("agg-A")] == versions


@on_servers_with_transactions
async def test_append_many_checks_the_version_before_each_aggregate(make_store: Any) -> None:
    store: EventStore = await make_store(contiguous=True)
    await store.append("agg-A", 0, ["a0"])
    commits = await store.append_many([("agg-A", 1, ["a1"]), ("agg-A", 2, ["a2"]), ("b", 0, [0])])
    assert [c.version for c in commits] == [1, 2, 0]
    with pytest.raises(VersionGapError) as caught:
        await store.append_many([("b", 1, ["b1"]), ("c", 5, ["c5"])])
    assert (caught.value.aggregate_id, caught.value.version) == ("c", 5)
    assert caught.value.conflicts == [("c", 5)]
    assert [c.version for c in await store.query("b")] == [0]


async def test_a_gap_within_one_call_is_refused_before_any_request(
    make_store: Any, proxy: FaultProxy, sent: Counter[str]
) -> None:
    store: EventStore = await make_store(contiguous=True, endpoint_url=proxy.url)
    with pytest.raises(VersionGapError) as caught:
        await store.append_many([("agg-A", 0, [0]), ("agg-A", 2, [2])])
    assert caught.value.missing == 1
    assert sent == {}


@on_servers_without_transactions
async def test_without_transactions_only_version_zero_can_be_written(make_store: Any) -> None:
    store: EventStore = await make_store(contiguous=True)
    await store.append("agg-A", 0, ["v0"])
    with pytest.raises(EventStoreError, match="does not support transactions"):
        await store.append("agg-A", 1, ["v1"])
    assert len(await raw_items(store)) == 1


@pytest.mark.parametrize("contiguous", [1, "yes", None])
def test_contiguous_is_a_bool(contiguous: Any) -> None:
    with pytest.raises(EventStoreError):
        EventStore(contiguous=contiguous)
