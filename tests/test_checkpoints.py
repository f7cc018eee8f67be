"""Checkpoints: a consumer's position, durable in the table, moving only forward."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import T0, TRANSPORTS, raw_items

from aio_eventstore import (
    EventStore,
    InvalidArgumentError,
    InvalidPositionError,
    SerializationError,
)
from aio_eventstore._keyspace import checkpoint_key

# A contract test: it holds on either transport.
pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


async def test_a_new_checkpoint_loads_as_none(store: EventStore) -> None:
    assert await store.checkpoint("projector").load() is None


async def test_a_saved_checkpoint_loads_in_another_store(
    store: EventStore, make_store: Any
) -> None:
    commit = await store.append("agg-A", 0, [1])
    assert await store.checkpoint("projector").save(commit.position) is True
    elsewhere = await make_store()
    assert await elsewhere.checkpoint("projector").load() == commit.position


async def test_a_checkpoint_only_moves_forward(make_store: Any) -> None:
    store = await make_store(clock=lambda: T0)
    first, second = [await store.append("agg-A", v, [v]) for v in (0, 1)]  # one commit id
    checkpoint = store.checkpoint("projector")
    assert await checkpoint.save(second.position) is True
    assert await checkpoint.save(first.position) is False
    assert await checkpoint.save(second.position) is False
    assert await checkpoint.load() == second.position


async def test_resuming_from_a_checkpoint_continues_after_it(make_store: Any) -> None:
    store = await make_store(clock=lambda: T0)
    for n in range(6):
        await store.append(f"agg-{n % 2}", n // 2, [n])
    ordered = [c async for c in store.scan()]
    checkpoint = store.checkpoint("projector")
    async for commit in store.scan():
        await checkpoint.save(commit.position)
        if commit == ordered[2]:
            break
    resumed = [c async for c in store.scan(after=await checkpoint.load())]
    assert resumed == ordered[3:]


async def test_checkpoints_are_invisible_to_readers_of_commits(store: EventStore) -> None:
    commit = await store.append("agg-A", 0, [1])
    await store.checkpoint("agg-A").save(commit.position)  # even named like an aggregate
    assert await store.query("agg-A") == [commit]
    assert await store.latest("agg-A") == commit
    assert [c async for c in store.scan()] == [commit]
    assert len(await raw_items(store)) == 2


async def test_checkpoints_are_independent_by_name(store: EventStore) -> None:
    first, second = [await store.append("agg-A", v, [v]) for v in (0, 1)]
    await store.checkpoint("a").save(first.position)
    await store.checkpoint("b").save(second.position)
    assert await store.checkpoint("a").load() == first.position
    await store.checkpoint("a").delete()
    assert await store.checkpoint("a").load() is None
    assert await store.checkpoint("b").load() == second.position


async def test_a_checkpoint_refuses_a_bad_position(store: EventStore) -> None:
    with pytest.raises(InvalidPositionError):
        await store.checkpoint("projector").save("not a position")


@pytest.mark.parametrize("name", ["", None, "x" * 1025])
def test_a_checkpoint_refuses_a_bad_name(store: EventStore, name: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        store.checkpoint(name)


def test_a_checkpoint_refuses_a_name_utf8_cannot_encode(store: EventStore) -> None:
    with pytest.raises(InvalidArgumentError):
        store.checkpoint("lone \udc80 surrogate")


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"checkpointCommitId": {"S": "20240102030405678:agg-A"}},
        {"checkpointCommitId": {"N": "1"}, "checkpointVersion": {"N": "0"}},
        {"checkpointCommitId": {"S": "not a commit id"}, "checkpointVersion": {"N": "0"}},
        {"checkpointCommitId": {"S": "20240102030405678:agg-A"}, "checkpointVersion": {"N": "-2"}},
    ],
    ids=["empty", "no-version", "number-id", "bad-id", "negative-version"],
)
async def test_a_malformed_checkpoint_item_loads_as_a_typed_error(
    store: EventStore, attributes: dict[str, Any]
) -> None:
    key = checkpoint_key("projector")
    await store.client.put_item(TableName=store.table_name, Item={**key, **attributes})
    with pytest.raises(SerializationError, match="projector"):
        await store.checkpoint("projector").load()
