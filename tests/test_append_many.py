"""append_many: several commits in one transaction, all or none, exactly once under retries.

TransactWriteItems runs on moto's server (dynalite has none: it gets a typed error).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from conftest import (
    T0,
    TRANSPORTS,
    Clock,
    on_servers_with_transactions,
    on_servers_without_transactions,
    raw_items,
)

from aio_eventstore import (
    CommitTooLargeError,
    EventStore,
    EventStoreError,
    InvalidCommitError,
    UnavailableError,
    VersionConflictError,
)

if TYPE_CHECKING:
    from collections import Counter

    from faultproxy import FaultProxy


def triples(count: int, *, start: int = 0) -> list[tuple[str, int, list[Any]]]:
    return [(f"agg-{n}", 0, [{"n": n}]) for n in range(start, start + count)]


@on_servers_with_transactions
async def test_every_commit_lands_in_one_request(
    make_store: Any, counted: EventStore, sent: Counter[str]
) -> None:
    clock = Clock()
    store = await make_store(clock=clock)
    commits = await counted.append_many(
        [("order-1", 0, [{"type": "placed"}]), ("stock-7", 3, [{"type": "reserved"}])]
    )
    assert sent == {"TransactWriteItems": 1}
    assert [(c.aggregate_id, c.version) for c in commits] == [("order-1", 0), ("stock-7", 3)]
    assert await store.query("order-1") == [commits[0]]
    assert await store.query("stock-7") == [commits[1]]
    assert sorted([c.position async for c in store.scan()]) == sorted(c.position for c in commits)


@on_servers_with_transactions
async def test_one_aggregate_may_take_several_versions(make_store: Any) -> None:
    store = await make_store(clock=Clock())
    commits = await store.append_many([("agg-A", v, [v]) for v in (2, 0, 1)])
    assert [c.version for c in commits] == [2, 0, 1]
    assert [c.version for c in await store.query("agg-A")] == [0, 1, 2]
    assert [c.version async for c in store.scan()] == [0, 1, 2]  # one stamp, version order


@on_servers_with_transactions
async def test_one_conflict_among_ten_writes_nothing(store: EventStore) -> None:
    taken = [await store.append("agg-3", 0, ["first"]), await store.append("agg-7", 0, ["first"])]
    with pytest.raises(VersionConflictError) as caught:
        await store.append_many(triples(10))
    error = caught.value
    assert (error.aggregate_id, error.version) == ("agg-3", 0)
    assert error.commit == taken[0]
    assert error.conflicts == [("agg-3", 0), ("agg-7", 0)]
    assert len(await raw_items(store)) == 2


@on_servers_with_transactions
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_lost_answer_returns_the_commits_not_a_conflict(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("lose_response", operation="TransactWriteItems", times=1)
    commits = await proxied.append_many(triples(5))
    assert proxy.requests["TransactWriteItems"] == 2
    assert sorted([c.position async for c in store.scan()]) == sorted(c.position for c in commits)
    assert len(await raw_items(store)) == 5


@on_servers_with_transactions
async def test_repeating_a_call_that_ended_unavailable_returns_its_commits(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    clock = Clock()
    proxied = await make_store(endpoint_url=proxy.url, clock=clock)
    proxy.add("lose_response", operation="TransactWriteItems", times=1)
    proxy.add("error", operation="TransactWriteItems", code="InternalServerError", status=500)
    with pytest.raises(UnavailableError):
        await proxied.append_many(triples(3), idempotency_key="batch-1")
    proxy.clear()
    clock.now += 5_000
    commits = await proxied.append_many(triples(3), idempotency_key="batch-1")
    assert {c.committed_at for c in commits} == {T0}  # the first try's stamp
    assert [c async for c in store.scan()] == sorted(commits, key=lambda c: c.sort_key)


@on_servers_with_transactions
async def test_a_transaction_conflict_is_retried(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    busy = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": "Transaction cancelled",
        "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
    }
    body = json.dumps(busy).encode()
    proxy.add("error", operation="TransactWriteItems", status=400, body=body, times=2)
    commits = await proxied.append_many(triples(2))
    assert proxy.requests["TransactWriteItems"] == 3
    assert len(commits) == 2
    assert len(await raw_items(store)) == 2


@on_servers_with_transactions
async def test_too_many_or_too_large_is_refused_before_any_request(
    counted: EventStore, sent: Counter[str]
) -> None:
    with pytest.raises(InvalidCommitError, match="100"):
        await counted.append_many(triples(101))
    large = [(f"agg-{n}", 0, ["x" * 300_000]) for n in range(15)]  # 4.5 MB
    with pytest.raises(CommitTooLargeError) as caught:
        await counted.append_many(large)
    assert caught.value.limit == 4 * 1024 * 1024
    assert sent == {}


@pytest.mark.parametrize(
    "appends",
    [
        [],
        [("agg-A", 0, [1]), ("agg-A", 0, [2])],
        [("agg-A", 0)],
        [("agg-A", -1, [1])],
        [("", 0, [1])],
        [("agg-A", 0, [])],
        [("agg-A", 0, [{1, 2}])],
        "agg-A",
        None,
    ],
    ids=["empty", "twice", "pair", "version", "id", "no-events", "not-json", "str", "none"],
)
async def test_bad_appends_are_refused_before_any_request(
    counted: EventStore, sent: Counter[str], appends: Any
) -> None:
    with pytest.raises(EventStoreError) as caught:
        await counted.append_many(appends)
    assert isinstance(caught.value, InvalidCommitError | ValueError)
    assert sent == {}


@on_servers_without_transactions
async def test_a_server_without_transactions_says_so(store: EventStore) -> None:
    with pytest.raises(EventStoreError, match="does not support transactions") as caught:
        await store.append_many(triples(2))
    assert type(caught.value) is EventStoreError
    assert await raw_items(store) == []
