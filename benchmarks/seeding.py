"""The benchmark's tables, filled fast with BatchWriteItem in the store's item format.

Seeding 50,000 commits one append at a time takes about 40 s on dynalite; 25 items per
BatchWriteItem, 8 batches in flight, take about 10 s.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from benchmarks.workload import EVENTS, T0, commit_item, encode_events

if TYPE_CHECKING:
    from collections.abc import Iterator

    from types_aiobotocore_dynamodb import DynamoDBClient

_BATCH = 25  # BatchWriteItem's limit
_IN_FLIGHT = 8


def seeded_commits(prefix: str, commits: int, aggregates: int) -> Iterator[tuple[str, int, int]]:
    """(aggregate id, version, committed_at) of ``commits`` commits over ``aggregates``.

    Commit ``i`` is stamped ``T0 + i`` ms, so the global order is the order of ``i``; it
    belongs to aggregate ``i % aggregates`` as its version ``i // aggregates``.
    """
    width = len(str(aggregates - 1))
    for i in range(commits):
        yield f"{prefix}-{i % aggregates:0{width}d}", i // aggregates, T0 + i


async def seed(client: DynamoDBClient, table: str, commits: Iterator[tuple[str, int, int]]) -> int:
    """Write the commits into ``table``; return how many."""
    events_json = encode_events(EVENTS)
    items = [
        commit_item(aggregate_id, version, committed_at, events_json, f"seed-{n}")
        for n, (aggregate_id, version, committed_at) in enumerate(commits)
    ]
    gate = asyncio.Semaphore(_IN_FLIGHT)

    async def write(batch: list[Any]) -> None:
        pending: Any = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        async with gate:
            while pending:
                answer = await client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems")

    await asyncio.gather(
        *(write(items[start : start + _BATCH]) for start in range(0, len(items), _BATCH))
    )
    return len(items)


async def count_pages(client: DynamoDBClient, request: dict[str, Any]) -> int:
    """How many pages (requests) a complete read of the Query ``request`` takes."""
    pages = 0
    while True:
        answer = await client.query(**request)
        pages += 1
        last_key = answer.get("LastEvaluatedKey")
        if last_key is None:
            return pages
        request = {**request, "ExclusiveStartKey": last_key}
