"""The event store: commits of event-sourced aggregates in one DynamoDB table."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ._checkpoint import Checkpoint
from ._client import TRANSPORTS, TransportName, connect
from ._clock import CommitClock
from ._commit import Commit
from ._events import encode_events
from ._exceptions import (
    CommitTooLargeError,
    InvalidArgumentError,
    InvalidCommitError,
    SerializationError,
    StoreClosedError,
    TableExistsError,
    TableNotFoundError,
    TableNotReadyError,
    VersionConflictError,
)
from ._item import (
    AGGREGATE_ID_ATTRIBUTE,
    EVENTS_ATTRIBUTE,
    MAX_ITEM_BYTES,
    VERSION_ATTRIBUTE,
    Item,
    decode_item,
    encode_item,
    idempotency_key_of,
    item_size,
)
from ._pages import query_pages
from ._position import format_commit_id, parse_position
from ._schema import check_schema, statuses, table_definition
from ._shards import index_key, index_keys
from ._stream import (
    Bounds,
    GlobalIndex,
    Group,
    OnInvalid,
    check_on_invalid,
    commits_in,
    index_query,
    read_stream,
)
from ._subscription import Subscription, follow
from ._transport import (
    BotocoreTransport,
    ConditionFailedError,
    Request,
    Transport,
    error_code,
    translated,
)
from ._validation import (
    check_aggregate_id,
    check_group,
    check_idempotency_key,
    check_page_size,
    check_positive,
    check_seconds,
    check_version,
    is_timestamp,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable
    from types import TracebackType

    from botocore.config import Config
    from types_aiobotocore_dynamodb import DynamoDBClient
    from typing_extensions import Self

__all__ = ["DEFAULT_INDEX_NAME", "DEFAULT_TABLE_NAME", "EventStore"]

DEFAULT_TABLE_NAME = "commitsByAggregateIdAndVersion"
DEFAULT_INDEX_NAME = "commitsByCommitId"

TABLE_TIMEOUT = 300.0
"""Seconds ``create_table`` and ``delete_table`` wait for the table by default."""

LATE_APPEND_SECONDS = 1.0
"""An append slower than this is logged: a subscriber's settle must cover it."""

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
# A table or index being updated (capacity, streams, settings) serves reads and writes as
# usual; one being created (an index backfilling) does not.
_USABLE = frozenset({"ACTIVE", "UPDATING"})
_NEW_VERSION = f"attribute_not_exists({VERSION_ATTRIBUTE})"
_AGGREGATE_FROM_VERSION = f"{AGGREGATE_ID_ATTRIBUTE} = :a AND {VERSION_ATTRIBUTE} >= :v"

logger = logging.getLogger("aio_eventstore")


class EventStore:
    """Commits of event-sourced aggregates in DynamoDB, read and written without blocking.

    Open it with ``async with``, or with ``await store.open()`` and ``await store.close()``:

        async with EventStore(region_name="eu-west-1") as store:
            await store.append("order-1", 0, [{"type": "placed"}])

    Args:
        table_name: the table of commits (dynamodb-event-store's default name).
        index_name: its global index by commit id.
        region_name: the AWS region; else the session's.
        endpoint_url: another endpoint than AWS's, such as a local test server.
        aws_access_key_id: credentials; else the session's credential chain.
        aws_secret_access_key: see ``aws_access_key_id``.
        aws_session_token: see ``aws_access_key_id``.
        session: an ``aiobotocore`` ``AioSession`` or an ``aioboto3.Session`` to create the
            client from; a new ``AioSession`` when omitted.
        client: an open aiobotocore DynamoDB client to use instead. The store never closes it.
        config: a botocore ``Config``, merged over the store's defaults. Both transports
            honour its retries, timeouts, pool size and proxies.
        clock: the wall clock, returning epoch milliseconds; ``time.time_ns() // 10**6``.
        index_shards: how many hash keys the global index spreads commits over. Only ever
            raise it: commits written under a larger number are missed under a smaller one.
        transport: how reads and writes reach DynamoDB. ``"direct"`` (the default) signs and
            sends them on the store's own connections, with its own retries, at about a
            third of botocore's CPU; each retried append is stamped afresh. ``"botocore"``
            sends them through the aiobotocore client, for applications that hook or
            instrument botocore. A store given ``client=`` always sends through it.
    """

    def __init__(
        self,
        table_name: str = DEFAULT_TABLE_NAME,
        index_name: str = DEFAULT_INDEX_NAME,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        session: Any = None,  # noqa: ANN401 - AioSession or aioboto3.Session, duck-typed
        client: DynamoDBClient | None = None,
        config: Config | None = None,
        clock: Callable[[], int] | None = None,
        index_shards: int = 1,
        transport: TransportName = "direct",
    ) -> None:
        for what, name in (("table_name", table_name), ("index_name", index_name)):
            if not isinstance(name, str) or _TABLE_NAME.fullmatch(name) is None:
                raise InvalidArgumentError(
                    f"{what} must be 3 to 255 letters, digits, '_', '-' or '.', not {name!r}"
                )
        self.table_name = table_name
        self.index_name = index_name
        self.index_shards = check_positive(index_shards, "index_shards")
        if transport not in TRANSPORTS:
            raise InvalidArgumentError(
                f"transport must be 'direct' or 'botocore', not {transport!r}"
            )
        self._transport_name: TransportName = transport
        self._client_args = {
            "region_name": region_name,
            "endpoint_url": endpoint_url,
            "aws_access_key_id": aws_access_key_id,
            "aws_secret_access_key": aws_secret_access_key,
            "aws_session_token": aws_session_token,
        }
        self._session = session
        self._config = config
        self._clock = CommitClock(clock)
        self._given_client = client
        self._client: DynamoDBClient | None = None
        self._transport: Transport | None = None
        self._stack: AsyncExitStack | None = None
        self._lifetime = asyncio.Lock()
        self._index = GlobalIndex(table_name, index_name, index_keys(index_shards))
        if client is not None:
            self._client, self._transport = client, BotocoreTransport(client)

    def __repr__(self) -> str:
        state = "open" if self._client is not None else "closed"
        return f"<EventStore {self.table_name!r} index={self.index_name!r} {state}>"

    # Lifetime

    async def open(self) -> None:
        """Open the DynamoDB client, unless one was given. Safe to call when open."""
        async with self._lifetime:
            if self._client is not None:
                return
            stack = AsyncExitStack()
            try:
                with translated():
                    client, transport = await connect(
                        stack,
                        self._session,
                        self._config,
                        self._transport_name,
                        **self._client_args,
                    )
            except BaseException:
                await stack.aclose()
                raise
            self._client, self._transport, self._stack = client, transport, stack

    async def close(self) -> None:
        """Close the client the store opened (never a given one). Safe to call twice.

        Shielded, so that a cancelled close still releases the connections; it waits for an
        ``open`` under way, so that no client is left open behind it.
        """
        await asyncio.shield(self._close())

    async def _close(self) -> None:
        async with self._lifetime:
            stack, self._stack = self._stack, None
            if self._given_client is None:
                self._client, self._transport = None, None
            if stack is not None:
                await stack.aclose()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def client(self) -> DynamoDBClient:
        """The open aiobotocore DynamoDB client, or ``StoreClosedError``."""
        if self._client is None:
            raise StoreClosedError("the store is not open: use 'async with EventStore(...)'")
        return self._client

    @property
    def transport(self) -> Transport:
        """What sends the store's reads and writes, or ``StoreClosedError``."""
        if self._transport is None:
            raise StoreClosedError("the store is not open: use 'async with EventStore(...)'")
        return self._transport

    # Tables

    async def create_table(self, *, exist_ok: bool = False, timeout: float = TABLE_TIMEOUT) -> None:
        """Create the table and its global index, billed on demand; return once usable.

        Usable: the table and its index are active, or being updated (a capacity change),
        which serves reads and writes as usual; not while either is being created.

        With ``exist_ok`` an existing table is checked (DescribeTable) rather than created,
        so that a deployment needs no CreateTable permission once the table exists.

        Args:
            exist_ok: accept an existing table of the same schema.
            timeout: the most seconds to wait for the table and its index to be usable.

        Raises:
            TableExistsError: the table exists and ``exist_ok`` is false.
            TableNotReadyError: the table or its index was not usable within ``timeout``
                (an index still backfilling, a table being updated); it may become so later.
            EventStoreError: ``exist_ok`` is true and the existing table's keys or index
                differ from the commits' schema.
        """
        deadline = time.monotonic() + check_seconds(timeout, "timeout")
        client = self.client
        with translated():
            if not (exist_ok and await self._describe() is not None):
                try:
                    await client.create_table(**table_definition(self.table_name, self.index_name))
                except ClientError as exc:
                    if error_code(exc) != "ResourceInUseException":
                        raise
                    if not exist_ok:
                        raise TableExistsError(
                            f"table {self.table_name!r} already exists", code=error_code(exc)
                        ) from exc
            await self._wait_for_table(deadline, exists=True)
        logger.info("table %r with index %r is usable", self.table_name, self.index_name)

    async def delete_table(self, *, timeout: float = TABLE_TIMEOUT) -> None:
        """Delete the table and every commit in it; return once it is gone.

        Raises:
            TableNotReadyError: the table was still there after ``timeout`` seconds.
        """
        deadline = time.monotonic() + check_seconds(timeout, "timeout")
        client = self.client
        with translated():
            await client.delete_table(TableName=self.table_name)
            await self._wait_for_table(deadline, exists=False)
        logger.info("table %r is deleted", self.table_name)

    async def _describe(self) -> dict[str, Any] | None:
        """The table's DescribeTable answer, or None if there is no such table."""
        try:
            answer = await self.client.describe_table(TableName=self.table_name)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            return None
        return dict(answer["Table"])

    async def _wait_for_table(self, deadline: float, *, exists: bool) -> None:
        delay = 0.02
        while (table := await self._describe()) is not None or exists:
            if table is None:
                raise TableNotFoundError(f"table {self.table_name!r} vanished while created")
            table_status, index_status = statuses(table, self.index_name)
            if exists:
                check_schema(table, self.index_name)
                if table_status in _USABLE and index_status in _USABLE:
                    return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                waited_for = "usable" if exists else "deleted"
                raise TableNotReadyError(
                    f"table {self.table_name!r} is not {waited_for} yet: table {table_status}, "
                    f"index {self.index_name!r} {index_status or 'missing'}",
                    table_status=table_status,
                    index_status=index_status,
                )
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)

    # Writing

    async def append(
        self,
        aggregate_id: str,
        version: int,
        events: list[Any] | tuple[Any, ...],
        *,
        idempotency_key: str | None = None,
    ) -> Commit:
        """Append events to an aggregate as one commit at ``version``, atomically.

        One conditional PutItem. A retry that finds the commit it wrote itself (the first try
        landed, its answer was lost) returns that commit rather than a false conflict.

        Args:
            aggregate_id: the aggregate; a non-empty str of at most 1,006 UTF-8 bytes.
            version: the commit's version, from 0 to 2**53-1; the aggregate must not have it.
            events: a non-empty list of JSON values.
            idempotency_key: your id for this append (up to 256 printable characters). If an
                append ended with ``UnavailableError``, repeating it with the same aggregate,
                version and key returns the stored commit if the first try landed.

        Returns:
            The stored commit (the first try's, when an idempotent retry found it).

        Raises:
            VersionConflictError: the aggregate already has a commit at ``version``.
            InvalidCommitError: a bad argument; ``CommitTooLargeError`` for one over 400 KB.
            SerializationError: events that are not JSON.
        """
        events_json = _check_commit(aggregate_id, version, events)
        key = (
            uuid.uuid4().hex if idempotency_key is None else check_idempotency_key(idempotency_key)
        )
        attempt = _Append(self, aggregate_id, version, list(events), events_json, key)
        try:
            await self.transport.call("PutItem", attempt.request)
        except ConditionFailedError as failed:
            stored = await self._stored(aggregate_id, version, failed)
            if stored.commit is not None and idempotency_key_of(stored.item) == key:
                logger.debug("append found its own commit at version %d: a retry landed", version)
                return stored.commit
            raise stored.conflict(failed) from failed
        _warn_if_late(time.monotonic() - attempt.stamped)
        self._clock.observe(aggregate_id, attempt.commit.committed_at)
        return attempt.commit

    async def import_commit(self, commit: Commit) -> bool:
        """Write a commit exactly as given, its commit id and time included.

        For imports and migrations: writing the same commit again changes nothing.

        Returns:
            True if the commit was written, also by an earlier try of this call whose answer
            was lost; False if the identical commit (the same commit id, time and event JSON
            text) was already stored.

        Raises:
            VersionConflictError: a different commit holds the commit's version.
            InvalidCommitError: the commit is invalid, or its commit id does not match its
                time and aggregate id.
        """
        if not isinstance(commit, Commit):
            raise InvalidCommitError(f"import_commit takes a Commit, not {type(commit).__name__}")
        events_json = _check_commit(commit.aggregate_id, commit.version, commit.events)
        committed_at = commit.committed_at
        if not is_timestamp(committed_at):
            raise InvalidCommitError(f"committed_at is not epoch milliseconds: {committed_at!r}")
        if commit.commit_id != format_commit_id(committed_at, commit.aggregate_id):
            raise InvalidCommitError(
                f"commit id {commit.commit_id!r} does not match the commit's time and aggregate"
            )
        key = f"import-{uuid.uuid4().hex}"
        item = self._item(commit, events_json, key)
        try:
            await self.transport.call("PutItem", _put_request(self.table_name, item))
        except ConditionFailedError as failed:
            stored = await self._stored(commit.aggregate_id, commit.version, failed)
            if idempotency_key_of(stored.item) == key:
                return True  # an earlier try of this very call landed; its answer was lost
            if stored.commit is not None and stored.same_as(commit, events_json):
                return False
            raise stored.conflict(failed) from failed
        self._clock.observe(commit.aggregate_id, committed_at)
        return True

    def _item(self, commit: Commit, events_json: str, key: str) -> Item:
        """The item of a commit, or ``CommitTooLargeError``."""
        item = encode_item(
            commit,
            events_json,
            index_key=index_key(commit.aggregate_id, self.index_shards),
            idempotency_key=key,
        )
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            raise CommitTooLargeError(size, MAX_ITEM_BYTES)
        return item

    async def _stored(
        self, aggregate_id: str, version: int, failed: ConditionFailedError
    ) -> _Stored:
        """What holds a version a write found taken: the item the server returned, else read."""
        item = failed.item
        if item is None:  # the server did not return it (dynalite): read it
            answer = await self.transport.call(
                "GetItem",
                {
                    "TableName": self.table_name,
                    "Key": {
                        AGGREGATE_ID_ATTRIBUTE: {"S": aggregate_id},
                        VERSION_ATTRIBUTE: {"N": str(version)},
                    },
                    "ConsistentRead": True,
                },
            )
            item = answer.get("Item")
        stored = _Stored(aggregate_id, version, item or {})
        if stored.commit is not None:
            self._clock.observe(aggregate_id, stored.commit.committed_at)
        return stored

    # Reading one aggregate

    async def query(self, aggregate_id: str, version: int = 0) -> list[Commit]:
        """Every commit of the aggregate from ``version`` on, in version order.

        Strongly consistent, and complete: it reads every page, however many.
        """
        check_aggregate_id(aggregate_id)
        check_version(version)
        commits: list[Commit] = []
        pages = query_pages(self.transport, self._aggregate_query(aggregate_id, version))
        async with aclosing(pages):
            async for items in pages:
                commits.extend(decode_item(item) for item in items)
        if commits:
            self._clock.observe(aggregate_id, max(commit.committed_at for commit in commits))
        return commits

    async def latest(self, aggregate_id: str) -> Commit | None:
        """The aggregate's commit with the highest version, or ``None`` if it has none."""
        check_aggregate_id(aggregate_id)
        request = self._aggregate_query(aggregate_id, 0, newest_first=True, limit=1)
        answer = await self.transport.call("Query", request)
        items = answer.get("Items") or []
        if not items:
            return None
        commit = decode_item(items[0])
        self._clock.observe(aggregate_id, commit.committed_at)
        return commit

    def _aggregate_query(
        self, aggregate_id: str, version: int, *, newest_first: bool = False, limit: int = 0
    ) -> Request:
        """The Query of an aggregate's commits from ``version`` on, strongly consistent."""
        request: Request = {
            "TableName": self.table_name,
            "ConsistentRead": True,
            "KeyConditionExpression": _AGGREGATE_FROM_VERSION,
            "ExpressionAttributeValues": {":a": {"S": aggregate_id}, ":v": {"N": str(version)}},
        }
        if newest_first:
            request["ScanIndexForward"] = False
        if limit:
            request["Limit"] = limit
        return request

    # Reading the global stream

    async def scan(
        self,
        commit_id: str | None = None,
        *,
        after: str | None = None,
        page_size: int | None = None,
        group_member: int = 0,
        group_size: int = 1,
        on_invalid: OnInvalid = "raise",
    ) -> AsyncGenerator[Commit, None]:
        """Every commit of every aggregate, in the global order, lazily, a page at a time.

        The order is by commit id, then version. Reading one page ahead, it holds about two
        pages (2 MB) per index shard; leaving the loop early cancels what is under way.

        Its first argument is a commit id, as in the JS library's ``scan({commitId})``;
        ``subscribe``'s is a position, because resuming from a checkpoint is what it is
        mostly called for. Both take the other as a keyword.

        Args:
            commit_id: start at the commits whose commit id is ``>=`` this (the seed's
                ``scan({commitId})``; a prefix such as ``"20240101"`` starts at a date).
            after: a commit's ``position``: start strictly after that commit.
            page_size: the most items each request asks for; DynamoDB stops at 1 MB anyway.
            group_member: with ``group_size``, this consumer's number in a consumer group.
            group_size: how many consumers split the stream; each aggregate goes to one.
            on_invalid: at an item of the index that is not a commit, ``"raise"`` its
                ``SerializationError`` (whose ``position`` lets you resume past it), or
                ``"skip"`` it, logging its position at ERROR.
        """
        bounds = _bounds(commit_id, after)
        page_size = check_page_size(page_size)
        group = _group(group_member, group_size)
        on_invalid = check_on_invalid(on_invalid)
        stream = read_stream(self.transport, self._index, bounds, page_size=page_size)
        async with aclosing(stream):
            async for batch in stream:
                for commit in commits_in(batch, on_invalid, group):
                    yield commit

    async def subscribe(
        self,
        after: str | None = None,
        *,
        commit_id: str | None = None,
        settle: float = 2.0,
        poll_interval: float = 1.0,
        page_size: int | None = None,
        group_member: int = 0,
        group_size: int = 1,
        on_invalid: OnInvalid = "raise",
    ) -> AsyncGenerator[Commit, None]:
        """Every commit after ``after``, in scan order, then each new one as it settles.

        It catches up on history, then follows the stream live, forever: it ends only when
        the consumer stops (``break``, cancellation, ``aclose()``), or at an item that is
        not a commit with ``on_invalid="raise"``. Throttling and outages are waited out and
        the stream goes on from where it was.

        Every commit is delivered exactly once, in the same order as ``scan``, as long
        as clock skew between writers, plus the time an append takes (retries included),
        plus index lag stays under ``settle``: a commit is delivered once it is ``settle``
        seconds old by this store's clock. Appends slower than a second are logged.

        Its first argument is a position, because resuming from a checkpoint is what it is
        mostly called with; ``scan``'s is a commit id, as in the JS library.

        Args:
            after: a commit's ``position``: start strictly after that commit. ``None``
                starts at the first commit ever written.
            commit_id: instead of ``after``, start at the commits whose commit id is
                ``>=`` this, as ``scan`` does (a time prefix such as ``"20240101"``).
            settle: seconds a commit is held back, to wait for late and skewed writers.
                ``0`` delivers at once, and may miss commits of writers whose clocks lag.
            poll_interval: seconds between polls once caught up.
            page_size: the most items each request asks for.
            group_member: with ``group_size``, this consumer's number in a consumer group.
            group_size: how many consumers split the stream; each aggregate goes to one.
            on_invalid: at an item of the index that is not a commit, ``"raise"`` its
                ``SerializationError`` (whose ``position`` lets you resume past it), or
                ``"skip"`` it, logging its position at ERROR, and go on.
        """
        subscription = Subscription(
            settle, poll_interval, page_size, _group(group_member, group_size), on_invalid
        )
        start = _bounds(commit_id, after)
        commits = follow(lambda: self.transport, self._index, self._clock.now, subscription, start)
        async with aclosing(commits):
            async for commit in commits:
                yield commit

    async def _stray_index_keys(self, max_shards: int = 64) -> list[str]:
        """The index hash keys, up to ``max_shards`` shards, that hold commits unread here.

        Commits under keys this store does not read say that the table was written with
        more ``index_shards`` than this store's.
        """
        keys = [key for key in index_keys(max_shards) if key not in self._index.keys]
        transport = self.transport

        async def holds_commits(key: str) -> bool:
            answer = await transport.call("Query", index_query(self._index, key, Bounds(), 1))
            return bool(answer.get("Items"))

        found = await asyncio.gather(*(holds_commits(key) for key in keys))
        return [key for key, holds in zip(keys, found, strict=True) if holds]

    # Checkpoints

    def checkpoint(self, name: str) -> Checkpoint:
        """The durable checkpoint called ``name``, kept in the table of commits."""
        return Checkpoint(name, self.table_name, lambda: self.transport, self._clock.now)


class _Append:
    """One append's request, built afresh for each attempt: a new stamp, the same key.

    A retried attempt that lands is then stamped when it was sent, not when the first
    attempt was, so the time from a commit's stamp to its landing is one attempt's.
    """

    def __init__(  # noqa: PLR0917 - a private record of the append's arguments
        self,
        store: EventStore,
        aggregate_id: str,
        version: int,
        events: list[Any],
        events_json: str,
        key: str,
    ) -> None:
        self._store = store
        self._aggregate_id = aggregate_id
        self._version = version
        self._events = events
        self._events_json = events_json
        self._key = key
        self.commit: Commit
        self.stamped = 0.0

    def request(self) -> Request:
        """The PutItem of the next attempt, stamped now."""
        store, aggregate_id = self._store, self._aggregate_id
        committed_at = store._clock.stamp(aggregate_id)  # noqa: SLF001 - the store's helper
        self.stamped = time.monotonic()
        self.commit = Commit(
            format_commit_id(committed_at, aggregate_id),
            committed_at,
            aggregate_id,
            self._version,
            self._events,
        )
        item = store._item(self.commit, self._events_json, self._key)  # noqa: SLF001
        return _put_request(store.table_name, item)


def _put_request(table_name: str, item: Item) -> Request:
    """The PutItem of a commit's item, on condition that its version is free."""
    return {
        "TableName": table_name,
        "Item": item,
        "ConditionExpression": _NEW_VERSION,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


@dataclass(frozen=True)
class _Stored:
    """What holds a version that a write found taken."""

    aggregate_id: str
    version: int
    item: Item

    @cached_property
    def commit(self) -> Commit | None:
        """The commit stored at the version, if the item is one."""
        if not self.item:
            return None
        try:
            return decode_item(self.item)
        except SerializationError:
            logger.warning("the item at version %d of an aggregate is not a commit", self.version)
            return None

    def same_as(self, commit: Commit, events_json: str) -> bool:
        """True if the stored commit is ``commit``, to the very text of its events."""
        stored = self.commit
        return (
            stored is not None
            and (stored.commit_id, stored.committed_at) == (commit.commit_id, commit.committed_at)
            and self.item[EVENTS_ATTRIBUTE]["S"] == events_json
        )

    def conflict(self, failed: ConditionFailedError) -> VersionConflictError:
        """The error to raise for the failed condition."""
        logger.debug("version conflict at version %d (request %s)", self.version, failed.request_id)
        return VersionConflictError(
            self.aggregate_id, self.version, self.commit, request_id=failed.request_id
        )


def _warn_if_late(seconds: float) -> None:
    # A subscriber delivers a commit once it is `settle` seconds old; one that lands later
    # than that (retries after throttling, a slow network) can be missed. Say so.
    if seconds > LATE_APPEND_SECONDS:
        logger.warning(
            "an append took %.1f s from its time stamp to its answer: subscribers whose "
            "settle is shorter than that may miss the commit",
            seconds,
        )


def _check_commit(aggregate_id: object, version: object, events: object) -> str:
    """The JSON text of a commit's events, once its aggregate id and version are valid."""
    check_aggregate_id(aggregate_id, InvalidCommitError)
    check_version(version, InvalidCommitError)
    if not isinstance(events, list | tuple):
        raise InvalidCommitError(f"events must be a list, not {type(events).__name__}")
    if not events:
        raise InvalidCommitError("events must not be empty: a commit holds at least one")
    return encode_events(events)


def _bounds(commit_id: object, after: object) -> Bounds:
    if commit_id is not None and after is not None:
        raise InvalidArgumentError("pass commit_id or after, not both")
    if commit_id is None:
        return Bounds(after=None if after is None else parse_position(after))
    if not isinstance(commit_id, str) or not commit_id:
        raise InvalidArgumentError(f"commit_id must be a non-empty str, not {commit_id!r}")
    return Bounds(from_commit_id=commit_id)


def _group(member: object, size: object) -> Group | None:
    member, size = check_group(member, size)
    return None if size == 1 else Group(member, size)
