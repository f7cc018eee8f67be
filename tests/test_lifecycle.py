"""Opening and closing: async with, open/close, given clients and sessions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiobotocore.session import get_session
from conftest import TEST_CREDENTIALS, Backend

from aio_eventstore import EventStore, InvalidArgumentError, StoreClosedError


async def test_a_given_client_is_used_and_never_closed(backend: Backend, table_name: str) -> None:
    session: Any = get_session()
    async with session.create_client(
        "dynamodb", endpoint_url=backend.endpoint_url, **TEST_CREDENTIALS
    ) as client:
        async with EventStore(table_name, "index", client=client) as store:
            assert store.client is client
            await store.create_table()
            await store.append("agg-A", 0, [1])
        # The client still works after the store closed.
        answer = await client.describe_table(TableName=table_name)
        assert answer["Table"]["TableName"] == table_name
        async with EventStore(table_name, "index", client=client) as store:
            await store.delete_table()


async def test_a_shared_client_answers_the_application_as_before(
    backend: Backend, table_name: str
) -> None:
    session: Any = get_session()
    async with (
        session.create_client(
            "dynamodb", endpoint_url=backend.endpoint_url, **TEST_CREDENTIALS
        ) as client,
        EventStore(table_name, "index", client=client) as store,
    ):
        await store.create_table()
        commit = await store.append("agg-A", 0, [{"n": 1}])
        assert await store.query("agg-A") == [commit]
        # The application's own Query on the same client is parsed by botocore as usual.
        answer = await client.query(
            TableName=table_name,
            KeyConditionExpression="aggregateId = :a",
            ExpressionAttributeValues={":a": {"S": "agg-A"}},
        )
        assert "RawBody" not in answer
        assert answer["Items"][0]["events"] == {"S": '[{"n":1}]'}
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
        await store.delete_table()


async def test_open_and_close_without_async_with(backend: Backend, table_name: str) -> None:
    store = backend.store(table_name)
    await store.open()
    await store.open()  # opening an open store changes nothing
    await store.create_table()
    await store.delete_table()
    await store.close()
    await store.close()  # and closing twice is safe
    with pytest.raises(StoreClosedError):
        _ = store.client


async def test_a_store_can_be_reopened(backend: Backend, table_name: str) -> None:
    store = backend.store(table_name)
    async with store:
        await store.create_table()
    async with store:
        await store.append("agg-A", 0, [1])
        assert len(await store.query("agg-A")) == 1
        await store.delete_table()


async def test_a_cancelled_close_still_closes(backend: Backend, table_name: str) -> None:
    store = backend.store(table_name)
    await store.open()
    task = asyncio.ensure_future(store.close())
    await asyncio.sleep(0)  # the close is under way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(StoreClosedError):
        _ = store.client


def test_the_names_are_readable_attributes() -> None:
    store = EventStore("commits", "commitsByCommitId")
    assert (store.table_name, store.index_name) == ("commits", "commitsByCommitId")
    assert EventStore().table_name == "commitsByAggregateIdAndVersion"
    assert EventStore().index_name == "commitsByCommitId"


@pytest.mark.parametrize("name", ["", "ab", "has space", "x" * 256, 5])
def test_a_bad_table_name_is_refused(name: object) -> None:
    with pytest.raises(InvalidArgumentError):
        EventStore(name)  # type: ignore[arg-type]


@pytest.mark.parametrize("shards", [0, -1, 1.5, True])
def test_a_bad_shard_count_is_refused(shards: object) -> None:
    with pytest.raises(InvalidArgumentError):
        EventStore(index_shards=shards)  # type: ignore[arg-type]


class GatedSession:
    """An aiobotocore session whose clients open only once ``gate`` is set."""

    def __init__(self, gate: asyncio.Event) -> None:
        self._session = get_session()
        self.gate = gate
        self.opening = asyncio.Event()

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        return _Gated(self, self._session.create_client(*args, **kwargs))


class _Gated:
    def __init__(self, session: GatedSession, context: Any) -> None:
        self._session = session
        self._context = context

    async def __aenter__(self) -> Any:
        self._session.opening.set()
        await self._session.gate.wait()
        return await self._context.__aenter__()

    async def __aexit__(self, *exc_info: object) -> None:
        await self._context.__aexit__(*exc_info)


async def test_a_close_racing_an_open_leaves_no_client_behind(
    backend: Backend, table_name: str
) -> None:
    session = GatedSession(asyncio.Event())
    store = backend.store(table_name, session=session, transport="botocore")
    opening = asyncio.ensure_future(store.open())
    await session.opening.wait()  # the open is under way, its client not yet made
    closing = asyncio.ensure_future(store.close())
    await asyncio.sleep(0.01)
    session.gate.set()
    await opening
    await closing
    with pytest.raises(StoreClosedError):
        _ = store.client
