"""append: one conditional PutItem, optimistic concurrency, exactly-once under retries."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from conftest import T0, TRANSPORTS, Backend, raw_items

from aio_eventstore import Commit, EventStore, StoreClosedError, VersionConflictError

if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import Callable

# A contract test: it holds on either transport.
pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


def fixed(ms: int) -> Callable[[], int]:
    return lambda: ms


async def test_append_returns_the_stored_commit(make_store: Any) -> None:
    store = await make_store(clock=fixed(T0))
    commit = await store.append("agg-A", 0, [{"type": "created", "n": 1}])
    assert commit == Commit(
        commit_id="20240102030405678:agg-A",
        committed_at=T0,
        aggregate_id="agg-A",
        version=0,
        events=[{"type": "created", "n": 1}],
    )
    assert await store.query("agg-A") == [commit]


async def test_append_stores_the_seed_item_format(make_store: Any) -> None:
    store = await make_store(clock=fixed(T0))
    await store.append("agg-A", 0, [{"type": "created", "n": 1}])
    [item] = await raw_items(store)
    key = item.pop("idempotencyKey")
    assert set(key) == {"S"}
    assert item == {
        "active": {"S": "t"},
        "aggregateId": {"S": "agg-A"},
        "commitId": {"S": "20240102030405678:agg-A"},
        "committedAt": {"N": "1704164645678"},
        "events": {"S": '[{"type":"created","n":1}]'},
        "version": {"N": "0"},
    }


async def test_append_sends_exactly_one_request(counted: EventStore, sent: Counter[str]) -> None:
    await counted.append("agg-A", 0, [{"type": "created"}])
    assert sent == {"PutItem": 1}


async def test_append_at_a_taken_version_raises_version_conflict(store: EventStore) -> None:
    first = await store.append("agg-A", 0, [{"type": "created"}])
    with pytest.raises(VersionConflictError) as caught:
        await store.append("agg-A", 0, [{"type": "other"}])
    assert caught.value.aggregate_id == "agg-A"
    assert caught.value.version == 0
    assert caught.value.commit == first
    assert caught.value.code == "ConditionalCheckFailedException"
    assert await store.query("agg-A") == [first]


async def test_a_conflict_costs_one_request_where_the_server_returns_the_old_item(
    backend: Backend, store: EventStore, counted: EventStore, sent: Counter[str]
) -> None:
    await store.append("agg-A", 0, [1])
    with pytest.raises(VersionConflictError):
        await counted.append("agg-A", 0, [2])
    expected = {"PutItem": 1} if backend.has_all_old else {"PutItem": 1, "GetItem": 1}
    assert sent == expected


async def test_versions_of_other_aggregates_do_not_conflict(store: EventStore) -> None:
    await store.append("agg-A", 0, [1])
    await store.append("agg-B", 0, [2])
    assert [c.aggregate_id for c in await store.query("agg-B")] == ["agg-B"]


async def test_versions_may_leave_gaps_as_in_the_seed(store: EventStore) -> None:
    await store.append("agg-A", 0, [1])
    await store.append("agg-A", 5, [2])
    assert [c.version for c in await store.query("agg-A")] == [0, 5]


async def test_repeating_an_append_with_its_idempotency_key_returns_the_first_commit(
    store: EventStore,
) -> None:
    first = await store.append("agg-A", 0, [{"n": 1}], idempotency_key="order-42")
    again = await store.append("agg-A", 0, [{"n": 1}], idempotency_key="order-42")
    assert again == first
    assert len(await raw_items(store)) == 1


async def test_another_idempotency_key_at_a_taken_version_is_a_conflict(store: EventStore) -> None:
    await store.append("agg-A", 0, [{"n": 1}], idempotency_key="order-42")
    with pytest.raises(VersionConflictError):
        await store.append("agg-A", 0, [{"n": 1}], idempotency_key="order-43")


async def test_a_commit_is_never_stamped_before_the_commits_its_writer_read(
    make_store: Any,
) -> None:
    ahead = await make_store(clock=fixed(T0 + 5_000))
    behind = await make_store(clock=fixed(T0))
    await ahead.append("agg-A", 0, [1])
    head = await behind.latest("agg-A")
    assert head is not None
    commit = await behind.append("agg-A", head.version + 1, [2])
    assert commit.committed_at == T0 + 5_000
    assert [c.version async for c in behind.scan()] == [0, 1]


async def test_an_unread_aggregate_is_stamped_with_the_writer_clock(make_store: Any) -> None:
    ahead = await make_store(clock=fixed(T0 + 5_000))
    behind = await make_store(clock=fixed(T0))
    await ahead.append("agg-A", 0, [1])
    commit = await behind.append("agg-B", 0, [2])
    assert commit.committed_at == T0


@pytest.mark.parametrize(
    "events",
    [
        [{"text": "héllo wörld ✓ 日本語 🎉"}],
        [{"nested": {"list": [1, 2.5, -3e-7, None, True, False, "x"]}}],
        [2**63, -(2**70), 0.1, 1e308, -0.0],
        ["lone surrogate \ud800 kept"],
        ['quotes " and \\ backslashes \n newlines \x00 nul'],
        [[], {}, ""],
    ],
    ids=["unicode", "nested", "numbers", "surrogate", "escapes", "empties"],
)
async def test_events_read_back_exactly_as_appended(store: EventStore, events: list[Any]) -> None:
    await store.append("agg-A", 0, events)
    [commit] = await store.query("agg-A")
    assert commit.events == events
    assert json.dumps(commit.events) == json.dumps(events)


async def test_tuples_are_stored_as_json_arrays(store: EventStore) -> None:
    await store.append("agg-A", 0, ({"point": (1, 2)},))
    [commit] = await store.query("agg-A")
    assert commit.events == [{"point": [1, 2]}]


async def test_a_closed_store_refuses_to_append(
    backend: Backend, table_name: str, transport: str
) -> None:
    store = backend.store(table_name, transport=transport)
    with pytest.raises(StoreClosedError):
        await store.append("agg-A", 0, [1])
    async with store:
        pass
    with pytest.raises(StoreClosedError):
        await store.append("agg-A", 0, [1])
