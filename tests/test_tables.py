"""create_table and delete_table, and what every operation says of a missing table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from conftest import Backend, new_table_name

from aio_eventstore import EventStore, EventStoreError, TableExistsError, TableNotFoundError

if TYPE_CHECKING:
    from collections import Counter


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
    store: EventStore, sent: Counter[str]
) -> None:
    await store.create_table(exist_ok=True)
    assert "CreateTable" not in sent  # so it needs no CreateTable permission
    await store.append("agg-A", 0, [1])


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


async def test_every_operation_on_a_missing_table_raises_table_not_found(
    backend: Backend,
) -> None:
    async with backend.store(new_table_name()) as store:
        with pytest.raises(TableNotFoundError):
            await store.append("agg-A", 0, [1])
        with pytest.raises(TableNotFoundError):
            await store.query("agg-A")
        with pytest.raises(TableNotFoundError):
            await store.latest("agg-A")
        with pytest.raises(TableNotFoundError):
            [commit async for commit in store.scan()]
        with pytest.raises(TableNotFoundError):
            await store.delete_table()


async def test_delete_table_removes_the_table(backend: Backend) -> None:
    async with backend.store(new_table_name()) as store:
        await store.create_table()
        await store.append("agg-A", 0, [1])
        await store.delete_table()
        with pytest.raises(TableNotFoundError):
            await store.query("agg-A")
