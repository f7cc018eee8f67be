"""aioboto3's Session works as the store's session (aioboto3 pins aiobotocore 2.25).

This file runs in ``nox -s tests_aioboto3``, where aioboto3 is installed; the other test
sessions leave it out rather than skip it.
"""

from __future__ import annotations

import aioboto3
from conftest import TEST_CREDENTIALS, Backend

from aio_eventstore import EventStore


async def test_an_aioboto3_session_is_accepted(backend: Backend, table_name: str) -> None:
    store = EventStore(
        table_name,
        "index",
        session=aioboto3.Session(),
        endpoint_url=backend.endpoint_url,
        **TEST_CREDENTIALS,
    )
    async with store:
        await store.create_table()
        await store.append("agg-A", 0, [1])
        assert [c.version for c in await store.query("agg-A")] == [0]
        await store.delete_table()
