"""The reserved key space: items that are not commits never meet a reader of commits."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import raw_items

from aio_eventstore import EventStore, InvalidArgumentError, SerializationError
from aio_eventstore._item import decode_item
from aio_eventstore._keyspace import checkpoint_key


async def index_items(store: EventStore) -> list[dict[str, Any]]:
    """Every item of the store's global index, read with a plain Scan of the index."""
    items: list[dict[str, Any]] = []
    paginator = store.client.get_paginator("scan")
    async for page in paginator.paginate(TableName=store.table_name, IndexName=store.index_name):
        items.extend(page.get("Items", []))
    return items


@pytest.mark.parametrize("index_shards", [1, 3])
async def test_only_commits_enter_the_global_index(store: EventStore) -> None:
    commits = [await store.append(f"agg-{n % 3}", n // 3, [n]) for n in range(9)]
    for name in ("projector", "agg-0", "$checkpoint:agg-0", "ünïcode"):
        await store.checkpoint(name).save(commits[-1].position)
    in_index = await index_items(store)
    by_position = sorted((decode_item(item) for item in in_index), key=lambda c: c.sort_key)
    assert by_position == sorted(commits, key=lambda c: c.sort_key)
    reserved = [item for item in await raw_items(store) if int(item["version"]["N"]) < 0]
    assert len(reserved) == 4
    for item in reserved:
        assert "active" not in item
        assert "commitId" not in item


def test_decoding_refuses_an_item_at_a_reserved_version() -> None:
    item = {
        "aggregateId": {"S": "agg-A"},
        "version": {"N": "-1"},
        "commitId": {"S": "20240102030405678:agg-A"},
        "committedAt": {"N": "1704164645678"},
        "events": {"S": "[1]"},
    }
    with pytest.raises(SerializationError, match="reserved"):
        decode_item(item)


@pytest.mark.parametrize("name", ["", "x" * 1025, "lone \udc80 surrogate", None, 7])
def test_a_reserved_name_must_be_short_utf8_text(name: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        checkpoint_key(name)
