"""upcast=: every event read passes through it; nothing written does."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from conftest import Clock, on_servers_with_transactions, raw_items

from aio_eventstore import EventStore, SerializationError, VersionConflictError


def to_v2(event: Any) -> Any:
    """Version 1 events had a ``name``; version 2 splits it."""
    if isinstance(event, dict) and event.get("schema", 1) == 1 and "name" in event:
        first, _, last = event["name"].partition(" ")
        return {"schema": 2, "first": first, "last": last}
    return event


V1 = {"name": "Ada Lovelace"}
V2 = {"schema": 2, "first": "Ada", "last": "Lovelace"}


async def test_every_read_path_upcasts(make_store: Any) -> None:
    clock = Clock()
    writer: EventStore = await make_store(clock=clock)
    await writer.append("person-1", 0, [V1])
    clock.now += 60_000
    store: EventStore = await make_store(clock=clock, upcast=to_v2)
    assert [c.events for c in await store.query("person-1")] == [[V2]]
    latest = await store.latest("person-1")
    assert latest is not None
    assert latest.events == [V2]
    assert [c.events async for c in store.scan()] == [[V2]]
    live = store.subscribe(settle=0, poll_interval=0.01)
    assert (await anext(live)).events == [V2]
    await live.aclose()
    with pytest.raises(VersionConflictError) as caught:
        await store.append("person-1", 0, [V1])
    assert caught.value.commit is not None
    assert caught.value.commit.events == [V2]
    seen: list[Any] = []

    def evolve(state: list[Any], event: Any) -> list[Any]:
        seen.append(event)
        return [*state, event]

    await store.transact("person-1", lambda _: [], evolve=evolve, initial=[])
    assert seen == [V2]


async def test_nothing_written_is_upcast(make_store: Any) -> None:
    store: EventStore = await make_store(upcast=to_v2)
    commit = await store.append("person-1", 0, [V1])
    assert commit.events == [V1]  # what was written, as it was written
    [item] = await raw_items(store)
    assert json.loads(item["events"]["S"]) == [V1]


@on_servers_with_transactions
async def test_nothing_written_by_append_many_is_upcast(make_store: Any) -> None:
    store: EventStore = await make_store(upcast=to_v2)
    [commit] = await store.append_many([("person-1", 0, [V1])])
    assert commit.events == [V1]
    [item] = await raw_items(store)
    assert json.loads(item["events"]["S"]) == [V1]


async def test_an_upcast_that_raises_is_a_serialization_error_with_a_position(
    make_store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def strict(event: Any) -> Any:
        if event == "poison":
            raise KeyError("secret payload")
        return event

    clock = Clock()
    writer: EventStore = await make_store(clock=clock)
    for n, event in enumerate(["a", "poison", "b"]):
        clock.now += 1
        await writer.append(f"agg-{n}", 0, [event])
    clock.now += 60_000
    store: EventStore = await make_store(clock=clock, upcast=strict)
    with pytest.raises(SerializationError) as caught:
        await store.query("agg-1")
    assert caught.value.position is not None
    assert "secret payload" not in str(caught.value)
    with caplog.at_level(logging.ERROR, logger="aio_eventstore"):
        assert [c.events async for c in store.scan(on_invalid="skip")] == [["a"], ["b"]]
    assert caught.value.position in caplog.text
