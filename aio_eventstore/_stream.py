"""The global stream: every commit of every aggregate, in one stable order.

The order is by commit id, then by version. The global index keeps each shard's commits
sorted by commit id only; commits that share a commit id (one aggregate, one millisecond)
may come in any order and even straddle two pages, so each shard's stream holds such a run
back until it ends and releases it sorted by version. The shards' streams are read
concurrently and merged into one. Everything moves in batches (a page at a time) so that the
cost per commit stays that of decoding it.

An item of the index that does not decode as a commit (written by another tool, or with
events that are not JSON) keeps its place in the stream as an :class:`Undecodable` entry,
so that a reader can raise at it, or skip it and still know where it stands.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ._commit import Commit
from ._exceptions import InvalidArgumentError, SerializationError
from ._item import COMMIT_ID_ATTRIBUTE, INDEX_KEY_ATTRIBUTE, decode_item, sort_key_of_item
from ._pages import query_pages
from ._position import SortKey, format_position, sort_key_of
from ._shards import stable_hash

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Sequence

    from ._item import Item
    from ._transport import Request, Transport

__all__ = [
    "Bounds",
    "Entry",
    "GlobalIndex",
    "Group",
    "OnInvalid",
    "Undecodable",
    "check_on_invalid",
    "commits_in",
    "index_query",
    "read_stream",
]

logger = logging.getLogger("aio_eventstore.stream")

OnInvalid = Literal["raise", "skip"]
"""What a reader of the stream does at an item that is not a commit."""


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
    after: SortKey | None = None
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


@dataclass(frozen=True, slots=True)
class Undecodable:
    """An item of the global index that is not a commit, at its place in the stream."""

    commit_id: str
    version: int
    error: SerializationError

    @property
    def position(self) -> str:
        """Where the item stands: resuming ``after=`` it goes on past it."""
        return format_position(self.commit_id, self.version)


Entry = Commit | Undecodable
"""What the stream holds at a place: a commit, or an item that is not one."""


def check_on_invalid(on_invalid: object) -> OnInvalid:
    """``on_invalid`` if it is ``"raise"`` or ``"skip"``, else ``InvalidArgumentError``."""
    if on_invalid == "raise" or on_invalid == "skip":  # noqa: PLR1714 - narrows the Literal
        return on_invalid
    raise InvalidArgumentError(f"on_invalid must be 'raise' or 'skip', not {on_invalid!r}")


def commits_in(
    batch: list[Entry], on_invalid: OnInvalid, group: Group | None = None
) -> Iterator[Commit]:
    """The commits of a batch that ``group`` takes; at an undecodable item, raise or skip."""
    for entry in batch:
        if type(entry) is Commit:
            if group is None or group.takes(entry):
                yield entry
        else:
            assert isinstance(entry, Undecodable)  # noqa: S101 - for the type checker
            if on_invalid == "raise":
                raise entry.error
            # The position only: the item's content may hold personal data.
            logger.error("skipped an item that is not a commit at position %s", entry.position)


async def read_stream(
    transport: Transport,
    index: GlobalIndex,
    bounds: Bounds,
    *,
    page_size: int | None = None,
    decode: Callable[[Item], Commit] = decode_item,
) -> AsyncGenerator[list[Entry], None]:
    """Yield what lies within ``bounds``, in stream order, in batches, decoded by ``decode``."""
    if bounds.empty:
        return
    shards = [
        _shard_stream(transport, index_query(index, key, bounds, page_size), decode)
        for key in index.keys
    ]
    after = bounds.after
    merged = _merge(shards)
    async with aclosing(merged):
        async for batch in merged:
            if after is not None and batch and sort_key_of(batch[0]) <= after:
                batch = [entry for entry in batch if sort_key_of(entry) > after]  # noqa: PLW2901
            if batch:
                yield batch


def index_query(index: GlobalIndex, key: str, bounds: Bounds, page_size: int | None) -> Request:
    """The Query of one shard of the index, within ``bounds``."""
    condition = f"{INDEX_KEY_ATTRIBUTE} = :k"
    values: Request = {":k": {"S": key}}
    lower, upper = bounds.lower, bounds.to_commit_id
    if lower is not None and upper is not None:
        condition += f" AND {COMMIT_ID_ATTRIBUTE} BETWEEN :lo AND :hi"
        values |= {":lo": {"S": lower}, ":hi": {"S": upper}}
    elif lower is not None:
        condition += f" AND {COMMIT_ID_ATTRIBUTE} >= :lo"
        values[":lo"] = {"S": lower}
    elif upper is not None:
        condition += f" AND {COMMIT_ID_ATTRIBUTE} <= :hi"
        values[":hi"] = {"S": upper}
    request: Request = {
        "TableName": index.table_name,
        "IndexName": index.index_name,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }
    if page_size is not None:
        request["Limit"] = page_size
    return request


def _decode(item: Item, decode: Callable[[Item], Commit]) -> Entry:
    try:
        return decode(item)
    except SerializationError as error:
        key = sort_key_of_item(item)
        if key is None:  # not even the keys of the index: no place in the stream
            raise
        return Undecodable(*key, error)


async def _shard_stream(
    transport: Transport, request: Request, decode: Callable[[Item], Commit]
) -> AsyncGenerator[list[Entry], None]:
    """One shard's entries in stream order, a page at a time."""
    held: list[Entry] = []  # the run of the page's last commit id, which may go on
    pages = query_pages(transport, request)
    async with aclosing(pages):
        async for items in pages:
            entries = held + [_decode(item, decode) for item in items]
            if not entries:
                continue
            last = entries[-1].commit_id
            cut = len(entries) - 1
            while cut > 0 and entries[cut - 1].commit_id == last:
                cut -= 1
            ready, held = entries[:cut], entries[cut:]
            if ready:
                ready.sort(key=sort_key_of)
                yield ready
    if held:
        held.sort(key=sort_key_of)
        yield held


async def _merge(
    streams: list[AsyncGenerator[list[Entry], None]],
) -> AsyncGenerator[list[Entry], None]:
    """Merge ordered batch streams into one ordered batch stream, and close them all."""
    try:
        merged = streams[0] if len(streams) == 1 else _merge_many(streams)
        async for batch in merged:
            yield batch
    finally:
        for stream in streams:
            await stream.aclose()


async def _merge_many(
    streams: list[AsyncGenerator[list[Entry], None]],
) -> AsyncIterator[list[Entry]]:
    batches = await _first_batches(streams)
    offsets = [0] * len(streams)
    heap = [(sort_key_of(batch[0]), index) for index, batch in enumerate(batches) if batch]
    heapq.heapify(heap)
    out: list[Entry] = []
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
            heapq.heapreplace(heap, (sort_key_of(batch[offset]), index))
        else:
            heapq.heappop(heap)
    if out:
        yield out


async def _first_batches(streams: list[AsyncGenerator[list[Entry], None]]) -> list[list[Entry]]:
    """Every shard's first batch, read concurrently.

    If one shard fails, the others are cancelled and awaited before the error goes on: a
    stream may only be closed once nothing runs it.
    """
    reads = [asyncio.ensure_future(_next_batch(stream)) for stream in streams]
    try:
        return list(await asyncio.gather(*reads))
    except BaseException:
        for read in reads:
            read.cancel()
        await asyncio.gather(*reads, return_exceptions=True)
        raise


async def _next_batch(stream: AsyncIterator[list[Entry]]) -> list[Entry]:
    """The stream's next non-empty batch, or an empty one at its end."""
    async for batch in stream:
        if batch:
            return batch
    return []
