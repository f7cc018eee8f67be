"""create_table and delete_table, and what every operation says of a missing table."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from conftest import TEST_CREDENTIALS, Backend, new_table_name
from servers import Dynalite

from aio_eventstore import (
    EventStore,
    EventStoreError,
    InvalidArgumentError,
    TableExistsError,
    TableNotFoundError,
    TableNotReadyError,
)
from aio_eventstore._schema import table_definition

if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import Iterator


async def test_create_table_makes_the_seed_schema_billed_on_demand(store: EventStore) -> None:
    answer = await store.client.describe_table(TableName=store.table_name)
    table: Any = answer["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [
        {"AttributeName": "aggregateId", "KeyType": "HASH"},
        {"AttributeName": "version", "KeyType": "RANGE"},
    ]
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == store.index_name
    assert index["KeySchema"] == [
        {"AttributeName": "active", "KeyType": "HASH"},
        {"AttributeName": "commitId", "KeyType": "RANGE"},
    ]
    assert index["Projection"]["ProjectionType"] == "ALL"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


async def test_create_table_twice_raises_table_exists(store: EventStore) -> None:
    with pytest.raises(TableExistsError):
        await store.create_table()


async def test_create_table_with_exist_ok_accepts_the_table(
    counted: EventStore, sent: Counter[str]
) -> None:
    await counted.create_table(exist_ok=True)
    assert "CreateTable" not in sent  # so it needs no CreateTable permission
    await counted.append("agg-A", 0, [1])


async def test_exist_ok_refuses_a_table_of_another_schema(backend: Backend) -> None:
    async with backend.store(new_table_name()) as store:
        await store.client.create_table(
            TableName=store.table_name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        try:
            with pytest.raises(EventStoreError, match="not keyed by aggregateId"):
                await store.create_table(exist_ok=True)
        finally:
            await store.client.delete_table(TableName=store.table_name)


@pytest.mark.parametrize("index_shards", [1, 4])
async def test_every_operation_on_a_missing_table_raises_table_not_found(
    backend: Backend, index_shards: int
) -> None:
    async with backend.store(new_table_name(), index_shards=index_shards) as store:
        with pytest.raises(TableNotFoundError):
            await store.append("agg-A", 0, [1])
        with pytest.raises(TableNotFoundError):
            await store.query("agg-A")
        with pytest.raises(TableNotFoundError):
            await store.latest("agg-A")
        with pytest.raises(TableNotFoundError):
            [commit async for commit in store.scan()]
        with pytest.raises(TableNotFoundError):
            await anext(store.subscribe())
        with pytest.raises(TableNotFoundError):
            await store.delete_table()


async def test_delete_table_removes_the_table(backend: Backend) -> None:
    async with backend.store(new_table_name()) as store:
        await store.create_table()
        await store.append("agg-A", 0, [1])
        await store.delete_table()
        with pytest.raises(TableNotFoundError):
            await store.query("agg-A")


@pytest.fixture
def slow_dynalite(request: pytest.FixtureRequest) -> Iterator[Dynalite]:
    """A dynalite whose new tables stay CREATING, or updated indexes UPDATING, for a minute."""
    slow: dict[str, Any] = {request.param: 60_000}
    server = Dynalite(**slow)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("slow_dynalite", ["create_table_ms"], indirect=True)
async def test_create_table_gives_up_on_a_table_that_stays_creating(
    slow_dynalite: Dynalite, table_name: str
) -> None:
    store = EventStore(
        table_name, "index", endpoint_url=slow_dynalite.endpoint_url, **TEST_CREDENTIALS
    )
    async with store:
        started = time.monotonic()
        with pytest.raises(TableNotReadyError) as caught:
            await store.create_table(timeout=0.5)
        assert 0.5 <= time.monotonic() - started < 3
        assert caught.value.table_status == "CREATING"
        with pytest.raises(TableNotReadyError):
            await store.create_table(exist_ok=True, timeout=0.2)  # still creating


@pytest.mark.parametrize("slow_dynalite", ["update_table_ms"], indirect=True)
async def test_a_table_whose_index_is_being_updated_is_usable(
    slow_dynalite: Dynalite, table_name: str
) -> None:
    store = EventStore(
        table_name, "index", endpoint_url=slow_dynalite.endpoint_url, **TEST_CREDENTIALS
    )
    capacity = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    definition = table_definition(table_name, "index")
    del definition["BillingMode"]
    definition["ProvisionedThroughput"] = capacity
    definition["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] = capacity
    async with store:
        await store.client.create_table(**definition)
        update: Any = {
            "IndexName": "index",
            "ProvisionedThroughput": {**capacity, "ReadCapacityUnits": 2},
        }
        await store.client.update_table(
            TableName=table_name, GlobalSecondaryIndexUpdates=[{"Update": update}]
        )
        answer = await store.client.describe_table(TableName=table_name)
        assert answer["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "UPDATING"
        await store.create_table(exist_ok=True, timeout=1)
        await store.append("agg-A", 0, [1])


@pytest.mark.parametrize("timeout", [-1, float("nan"), "5"])
async def test_create_table_refuses_a_bad_timeout(store: EventStore, timeout: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        await store.create_table(exist_ok=True, timeout=timeout)
