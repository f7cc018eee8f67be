"""The global stream: every commit of every aggregate, in one stable order.

The order is by commit id, then by version. The global index keeps each shard's commits
sorted by commit id only; commits that share a commit id (one aggregate, one millisecond)
may come in any order and even straddle two pages, so each shard's stream holds such a run
back until it ends and releases it sorted by version. The shards' streams are read
concurrently and merged into one. Everything moves in batches (a page at a time) so that the
cost per commit stays that of decoding it.
"""

from __future__ import annotations

import asyncio
import heapq
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._commit import stream_order
from ._item import COMMIT_ID, INDEX_KEY, decode_item
from ._pages import query_pages
from ._shards import stable_hash

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Sequence

    from types_aiobotocore_dynamodb import DynamoDBClient

    from ._commit import Commit

__all__ = ["Bounds", "GlobalIndex", "Group", "read_stream"]


@dataclass(frozen=True, slots=True)
class GlobalIndex:
    """The global index of a table of commits, and the hash keys of its shards."""

    table_name: str
    index_name: str
    keys: Sequence[str]


@dataclass(frozen=True, slots=True)
class Bounds:
    """Which part of the stream to read.

    Attributes:
        from_commit_id: read commits whose commit id is ``>=`` this.
        after: skip commits at or before this (commit id, version).
        to_commit_id: read commits whose commit id is ``<=`` this.
    """

    from_commit_id: str | None = None
    after: tuple[str, int] | None = None
    to_commit_id: str | None = None

    @property
    def lower(self) -> str | None:
        """The lowest commit id to ask the index for."""
        candidates = [key for key in (self.from_commit_id, self.after and self.after[0]) if key]
        return max(candidates) if candidates else None

    @property
    def empty(self) -> bool:
        """True when no commit id lies within the bounds."""
        lower, upper = self.lower, self.to_commit_id
        return lower is not None and upper is not None and lower > upper


@dataclass(frozen=True, slots=True)
class Group:
    """A member of a consumer group: takes the aggregates whose stable hash falls to it."""

    member: int
    size: int

    def takes(self, commit: Commit) -> bool:
        """True if this member handles the commit's aggregate."""
        return stable_hash(commit.aggregate_id) % self.size == self.member


async def read_stream(
    client: DynamoDBClient, index: GlobalIndex, bounds: Bounds, *, page_size: int | None = None
) -> AsyncGenerator[list[Commit], None]:
    """Yield the commits within ``bounds``, in stream order, in batches."""
    if bounds.empty:
        return
    shards = [
        _shard_stream(client, _index_query(index, key, bounds, page_size)) for key in index.keys
    ]
    after = bounds.after
    merged = _merge(shards)
    async with aclosing(merged):
        async for batch in merged:
            if after is not None and batch and batch[0].sort_key <= after:
                batch = [commit for commit in batch if commit.sort_key > after]  # noqa: PLW2901
            if batch:
                yield batch


def _index_query(
    index: GlobalIndex, key: str, bounds: Bounds, page_size: int | None
) -> dict[str, Any]:
    condition = f"{INDEX_KEY} = :k"
    values: dict[str, Any] = {":k": {"S": key}}
    lower, upper = bounds.lower, bounds.to_commit_id
    if lower is not None and upper is not None:
        condition += f" AND {COMMIT_ID} BETWEEN :lo AND :hi"
        values |= {":lo": {"S": lower}, ":hi": {"S": upper}}
    elif lower is not None:
        condition += f" AND {COMMIT_ID} >= :lo"
        values[":lo"] = {"S": lower}
    elif upper is not None:
        condition += f" AND {COMMIT_ID} <= :hi"
        values[":hi"] = {"S": upper}
    request: dict[str, Any] = {
        "TableName": index.table_name,
        "IndexName": index.index_name,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }
    if page_size is not None:
        request["Limit"] = page_size
    return request


async def _shard_stream(
    client: DynamoDBClient, request: dict[str, Any]
) -> AsyncGenerator[list[Commit], None]:
    """One shard's commits in stream order, a page at a time."""
    held: list[Commit] = []  # the run of the page's last commit id, which may go on
    pages = query_pages(client, request)
    async with aclosing(pages):
        async for items in pages:
            commits = held + [decode_item(item) for item in items]
            if not commits:
                continue
            last = commits[-1].commit_id
            cut = len(commits) - 1
            while cut > 0 and commits[cut - 1].commit_id == last:
                cut -= 1
            ready, held = commits[:cut], commits[cut:]
            if ready:
                ready.sort(key=stream_order)
                yield ready
    if held:
        held.sort(key=stream_order)
        yield held


async def _merge(
    streams: list[AsyncGenerator[list[Commit], None]],
) -> AsyncGenerator[list[Commit], None]:
    """Merge ordered batch streams into one ordered batch stream, and close them all."""
    try:
        merged = streams[0] if len(streams) == 1 else _merge_many(streams)
        async for batch in merged:
            yield batch
    finally:
        for stream in streams:
            await stream.aclose()


async def _merge_many(
    streams: list[AsyncGenerator[list[Commit], None]],
) -> AsyncIterator[list[Commit]]:
    batches = list(await asyncio.gather(*(_next_batch(stream) for stream in streams)))
    offsets = [0] * len(streams)
    heap = [(batch[0].sort_key, index) for index, batch in enumerate(batches) if batch]
    heapq.heapify(heap)
    out: list[Commit] = []
    while heap:
        index = heap[0][1]
        batch, offset = batches[index], offsets[index] + 1
        out.append(batch[offset - 1])
        if offset == len(batch):
            # This shard's next commit may sort before every other shard's: wait for it.
            yield out
            out = []
            batch, offset = await _next_batch(streams[index]), 0
            batches[index] = batch
        offsets[index] = offset
        if batch:
            heapq.heapreplace(heap, (batch[offset].sort_key, index))
        else:
            heapq.heappop(heap)
    if out:
        yield out


async def _next_batch(stream: AsyncIterator[list[Commit]]) -> list[Commit]:
    """The stream's next non-empty batch, or an empty one at its end."""
    async for batch in stream:
        if batch:
            return batch
    return []
