"""Bad input to append: a typed error, before any request, and nothing written."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

import pytest
from conftest import raw_items

from aio_eventstore import (
    CommitTooLargeError,
    EventStore,
    InvalidCommitError,
    SerializationError,
)

if TYPE_CHECKING:
    from collections import Counter


def deeply_nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


BAD_AGGREGATE_IDS = {
    "int": 7,
    "none": None,
    "bytes": b"agg",
    "empty": "",
    "1007 bytes": "x" * 1007,
    "504 two-byte characters": "é" * 504,
    "lone surrogate": "agg-\udc80",
}

BAD_VERSIONS = {
    "negative": -1,
    "above 2**53-1": 2**53,
    "bool": True,
    "float": 1.0,
    "str": "1",
    "none": None,
}

BAD_EVENTS: dict[str, Any] = {
    "empty list": [],
    "none": None,
    "str": "events",
    "dict": {"type": "created"},
    "bytes": b"[]",
    "generator": (e for e in [1]),
}

UNSERIALIZABLE_EVENTS = {
    "nan": [float("nan")],
    "infinity": [{"x": float("inf")}],
    "object": [object()],
    "set": [{1, 2}],
    "bytes inside": [{"raw": b"\x00"}],
    "datetime": [dt.datetime.now(tz=dt.timezone.utc)],
    "decimal": [decimal.Decimal("1.5")],
    "int key": [{1: "one"}],
    "tuple key": [{(1, 2): "pair"}],
    "too deep": deeply_nested(100_000),
}

BAD_IDEMPOTENCY_KEYS = {"empty": "", "int": 5, "too long": "k" * 257, "newline": "a\nb"}


async def assert_nothing_happened(store: EventStore, sent: Counter[str]) -> None:
    assert sent == {}, "no request may be sent for bad input"
    assert await raw_items(store) == []


@pytest.mark.parametrize("aggregate_id", BAD_AGGREGATE_IDS.values(), ids=BAD_AGGREGATE_IDS)
async def test_a_bad_aggregate_id_is_refused(
    store: EventStore, sent: Counter[str], aggregate_id: Any
) -> None:
    with pytest.raises(InvalidCommitError, match="aggregate_id"):
        await store.append(aggregate_id, 0, [1])
    await assert_nothing_happened(store, sent)


@pytest.mark.parametrize("version", BAD_VERSIONS.values(), ids=BAD_VERSIONS)
async def test_a_bad_version_is_refused(
    store: EventStore, sent: Counter[str], version: Any
) -> None:
    with pytest.raises(InvalidCommitError, match="version"):
        await store.append("agg-A", version, [1])
    await assert_nothing_happened(store, sent)


@pytest.mark.parametrize("events", BAD_EVENTS.values(), ids=BAD_EVENTS)
async def test_events_that_are_not_a_nonempty_list_are_refused(
    store: EventStore, sent: Counter[str], events: Any
) -> None:
    with pytest.raises(InvalidCommitError, match="events"):
        await store.append("agg-A", 0, events)
    await assert_nothing_happened(store, sent)


@pytest.mark.parametrize("events", UNSERIALIZABLE_EVENTS.values(), ids=UNSERIALIZABLE_EVENTS)
async def test_events_that_are_not_json_raise_serialization_error(
    store: EventStore, sent: Counter[str], events: Any
) -> None:
    with pytest.raises(SerializationError):
        await store.append("agg-A", 0, events)
    await assert_nothing_happened(store, sent)


@pytest.mark.parametrize("key", BAD_IDEMPOTENCY_KEYS.values(), ids=BAD_IDEMPOTENCY_KEYS)
async def test_a_bad_idempotency_key_is_refused(
    store: EventStore, sent: Counter[str], key: Any
) -> None:
    with pytest.raises(InvalidCommitError, match="idempotency_key"):
        await store.append("agg-A", 0, [1], idempotency_key=key)
    await assert_nothing_happened(store, sent)


async def test_a_commit_over_400_kb_raises_commit_too_large(
    store: EventStore, sent: Counter[str]
) -> None:
    with pytest.raises(CommitTooLargeError) as caught:
        await store.append("agg-A", 0, ["x" * 409_600])
    assert caught.value.limit == 409_600
    assert 409_600 < caught.value.size < 409_800
    assert isinstance(caught.value, InvalidCommitError)
    await assert_nothing_happened(store, sent)


async def test_the_size_counts_utf8_bytes(store: EventStore, sent: Counter[str]) -> None:
    with pytest.raises(CommitTooLargeError) as caught:
        await store.append("agg-A", 0, ["€" * 140_000])  # 140,000 characters, 420,000 bytes
    assert caught.value.size > 420_000
    await assert_nothing_happened(store, sent)


async def test_a_large_commit_under_the_limit_is_stored(store: EventStore) -> None:
    payload = "y" * 400_000  # moto refuses items above about 405,000 bytes
    await store.append("agg-A", 0, [payload])
    [commit] = await store.query("agg-A")
    assert commit.events == [payload]


async def test_the_longest_aggregate_id_is_stored(store: EventStore) -> None:
    aggregate_id = "é" * 503  # 1,006 UTF-8 bytes
    await store.append(aggregate_id, 0, [1])
    [commit] = await store.query(aggregate_id)
    assert commit.aggregate_id == aggregate_id
    assert [c.aggregate_id async for c in store.scan()] == [aggregate_id]
