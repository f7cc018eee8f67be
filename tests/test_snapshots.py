"""Snapshots: an aggregate's state as of a version, beside its commits, unseen by their readers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from conftest import T0, Clock, raw_items

from aio_eventstore import (
    EventStore,
    InvalidArgumentError,
    SerializationError,
    Snapshot,
    SnapshotTooLargeError,
)
from aio_eventstore._keyspace import snapshot_key

if TYPE_CHECKING:
    from collections import Counter


async def with_versions(store: EventStore, count: int, aggregate_id: str = "agg-A") -> None:
    for version in range(count):
        await store.append(aggregate_id, version, [{"v": version}])


async def test_a_snapshot_round_trips(make_store: Any) -> None:
    clock = Clock()
    store: EventStore = await make_store(clock=clock)
    await with_versions(store, 3)
    state = {"total": 12.5, "items": ["a", "ü"], "open": True, "note": None}
    assert await store.save_snapshot("agg-A", 2, state) is True
    assert await store.load_snapshot("agg-A") == Snapshot("agg-A", 2, state, T0)


async def test_an_aggregate_without_a_snapshot_loads_none(store: EventStore) -> None:
    await with_versions(store, 1)
    assert await store.load_snapshot("agg-A") is None


async def test_an_older_snapshot_never_replaces_a_newer(store: EventStore) -> None:
    await with_versions(store, 6)
    assert await store.save_snapshot("agg-A", 5, {"at": 5}) is True
    assert await store.save_snapshot("agg-A", 3, {"at": 3}) is False
    assert await store.save_snapshot("agg-A", 5, {"again": 5}) is False
    snapshot = await store.load_snapshot("agg-A")
    assert snapshot is not None
    assert (snapshot.version, snapshot.state) == (5, {"at": 5})


async def test_a_snapshot_may_not_claim_a_version_the_aggregate_lacks(store: EventStore) -> None:
    await with_versions(store, 2)
    with pytest.raises(InvalidArgumentError, match="no version 2"):
        await store.save_snapshot("agg-A", 2, {"at": 2})
    with pytest.raises(InvalidArgumentError):
        await store.save_snapshot("agg-B", 0, {})
    assert await store.load_snapshot("agg-A") is None


async def test_a_snapshot_over_400_kb_is_refused_before_any_request(
    counted: EventStore, sent: Counter[str]
) -> None:
    with pytest.raises(SnapshotTooLargeError) as caught:
        await counted.save_snapshot("agg-A", 0, {"blob": "x" * 410_000})
    assert caught.value.size > caught.value.limit == 409_600
    assert sent == {}


@pytest.mark.parametrize(
    ("aggregate_id", "version", "state"),
    [("", 0, {}), ("agg-A", -1, {}), ("agg-A", 0, {1, 2}), ("agg-A", 0, float("nan"))],
    ids=["id", "version", "set", "nan"],
)
async def test_bad_snapshots_are_refused_before_any_request(
    counted: EventStore, sent: Counter[str], aggregate_id: str, version: int, state: Any
) -> None:
    with pytest.raises((InvalidArgumentError, SerializationError)):
        await counted.save_snapshot(aggregate_id, version, state)
    assert sent == {}


async def test_snapshots_are_invisible_to_readers_of_commits(make_store: Any) -> None:
    clock = Clock()
    store: EventStore = await make_store(clock=clock)
    await with_versions(store, 3)
    commits = await store.query("agg-A")
    await store.save_snapshot("agg-A", 2, {"at": 2})
    clock.now += 60_000  # settled
    assert await store.query("agg-A") == commits
    assert await store.latest("agg-A") == commits[-1]
    assert [c async for c in store.scan()] == commits
    live = store.subscribe(settle=0, poll_interval=0.01)
    assert [await anext(live) for _ in commits] == commits
    await live.aclose()
    [item] = [i for i in await raw_items(store) if i["version"] == {"N": "-2"}]
    assert "active" not in item
    assert "commitId" not in item


async def test_a_malformed_snapshot_item_loads_as_a_typed_error(store: EventStore) -> None:
    item = {**snapshot_key("agg-A"), "snapshotVersion": {"N": "1"}}
    await store.client.put_item(TableName=store.table_name, Item=item)
    with pytest.raises(SerializationError, match="agg-A"):
        await store.load_snapshot("agg-A")
