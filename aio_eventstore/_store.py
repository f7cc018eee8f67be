"""The event store: commits of event-sourced aggregates in one DynamoDB table.

The store is the public face; the work lives in modules of its own: writing in ``_writer``,
snapshots in ``_snapshots``, the decide-then-append loop in ``_decider``, the global stream
in ``_stream`` and ``_subscription``, the wire in ``_transport``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import weakref
from contextlib import AsyncExitStack, aclosing
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from ._checkpoint import Checkpoint
from ._client import TRANSPORTS, TransportName, connect
from ._clock import CommitClock
from ._decider import transact
from ._exceptions import (
    InvalidArgumentError,
    StoreClosedError,
    TableExistsError,
    TableNotFoundError,
    TableNotReadyError,
)
from ._groups import GroupStatus, Member, check_group_settings, group_status, member_name
from ._item import AGGREGATE_ID_ATTRIBUTE, VERSION_ATTRIBUTE, decoder
from ._leases import Leases
from ._pages import query_pages
from ._position import parse_position
from ._schema import check_schema, statuses, table_definition
from ._shards import index_keys
from ._snapshots import Snapshot, load_snapshot, save_snapshot
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
from ._telemetry import reporting_lag, telemetry
from ._transport import (
    BotocoreTransport,
    DirectTransport,
    Request,
    Transport,
    error_code,
    translated,
)
from ._validation import (
    check_aggregate_id,
    check_group,
    check_page_size,
    check_positive,
    check_seconds,
    check_version,
)
from ._writer import Writer

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
    from types import TracebackType

    from botocore.config import Config
    from types_aiobotocore_dynamodb import DynamoDBClient
    from typing_extensions import Self

    from ._commit import Commit

__all__ = ["DEFAULT_INDEX_NAME", "DEFAULT_TABLE_NAME", "EventStore"]

S = TypeVar("S")

DEFAULT_TABLE_NAME = "commitsByAggregateIdAndVersion"
DEFAULT_INDEX_NAME = "commitsByCommitId"

TABLE_TIMEOUT = 300.0
"""Seconds ``create_table`` and ``delete_table`` wait for the table by default."""

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
# A table or index being updated (capacity, streams, settings) serves reads and writes as
# usual; one being created (an index backfilling) does not.
_USABLE = frozenset({"ACTIVE", "UPDATING"})
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
        contiguous: write version ``n > 0`` of an aggregate only if it has version
            ``n - 1``, checked in the same request (``VersionGapError`` otherwise). Such an
            append is a transaction: twice the write units, and a server with transactions
            (DynamoDB; not dynalite). ``False``, the default, is the JS library's behaviour.
        upcast: a function applied to every event read (by ``query``, ``latest``, ``scan``,
            ``subscribe``, ``transact``, and in a conflict's stored commit), never to what
            is written: how old event shapes meet new code. An exception it raises becomes
            a ``SerializationError`` of the commit.
        tracer_provider: an OpenTelemetry ``TracerProvider`` for the store's spans; else
            the global one. Needs the ``otel`` extra (``opentelemetry-api``), without which
            the store reports nothing.
        meter_provider: an OpenTelemetry ``MeterProvider`` for its metrics; else the global
            one.
        trace_aggregate_ids: put aggregate ids into span attributes
            (``aio_eventstore.aggregate_id``). Off by default: ids often name people.
            Events never go into telemetry.
        consumed_capacity: ask DynamoDB for the capacity units each request consumes
            (``ReturnConsumedCapacity``), and record them as metrics and span attributes.
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
        contiguous: bool = False,
        upcast: Callable[[Any], Any] | None = None,
        tracer_provider: Any = None,  # noqa: ANN401 - OpenTelemetry's, an optional dependency
        meter_provider: Any = None,  # noqa: ANN401 - the same
        trace_aggregate_ids: bool = False,
        consumed_capacity: bool = False,
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
        if not isinstance(contiguous, bool):
            raise InvalidArgumentError(f"contiguous must be a bool, not {contiguous!r}")
        if upcast is not None and not callable(upcast):
            raise InvalidArgumentError(f"upcast must be a function, not {upcast!r}")
        self.contiguous = contiguous
        self._decode = decoder(upcast)
        self._telemetry = telemetry(
            table_name,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            trace_aggregate_ids=trace_aggregate_ids,
            consumed_capacity=consumed_capacity,
        )
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
        # The group members reading now: closing the store closes them first, so that they
        # save their checkpoints and release their leases while it can still send.
        self._members: weakref.WeakSet[AsyncGenerator[Commit, None]] = weakref.WeakSet()
        self._index = GlobalIndex(table_name, index_name, index_keys(index_shards))
        self._writer = Writer(
            table_name,
            self.index_shards,
            self._clock,
            lambda: self.transport,
            contiguous,
            self._decode,
        )
        if client is not None:
            self._client = client
            self._transport = self._observed(BotocoreTransport(client), client)

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
            self._client, self._stack = client, stack
            self._transport = self._observed(transport, client)

    def _observed(self, transport: Transport, client: DynamoDBClient) -> Transport:
        """``transport``, reporting to the store's telemetry."""
        telemetry = self._telemetry
        if not telemetry.enabled:
            return transport
        telemetry.connected(client.meta.region_name)
        if isinstance(transport, DirectTransport):
            transport.on_retry = telemetry.retried
        return telemetry.transport(transport)

    async def close(self) -> None:
        """Close the client the store opened (never a given one). Safe to call twice.

        Shielded, so that a cancelled close still releases the connections; it waits for an
        ``open`` under way, so that no client is left open behind it.
        """
        await asyncio.shield(self._close())

    async def _close(self) -> None:
        async with self._lifetime:
            for member in list(self._members):
                # A `break` in `async with store:` leaves the member's generator to be
                # closed later, when the store could send nothing. One being read right
                # now cannot be closed here: its reader meets the closed store instead.
                with contextlib.suppress(RuntimeError):
                    await member.aclose()
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

        One conditional PutItem (with ``contiguous=True`` and a version above 0, one
        transaction: the Put and a check that the version before exists). A retry that finds
        the commit it wrote itself (the first try landed, its answer was lost) returns that
        commit rather than a false conflict.

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
            VersionConflictError: the aggregate already has a commit at ``version``;
                ``VersionGapError`` if, with ``contiguous=True``, it lacks ``version - 1``.
            InvalidCommitError: a bad argument; ``CommitTooLargeError`` for one over 400 KB.
            SerializationError: events that are not JSON.
        """
        with self._telemetry.operation("append", aggregate_id) as operation:
            commit = await self._writer.append(aggregate_id, version, events, idempotency_key)
            operation.written(1)
            return commit

    async def append_many(
        self,
        appends: Iterable[tuple[str, int, list[Any] | tuple[Any, ...]]],
        *,
        idempotency_key: str | None = None,
    ) -> list[Commit]:
        """Append several commits, to one or several aggregates, all or none.

        One TransactWriteItems: every commit lands, or none does. Each is checked as
        ``append`` checks it, before any request. One aggregate may take several versions
        in one call. With ``contiguous=True``, each aggregate's lowest version in the call
        must follow a stored one (or be 0), and its versions must follow each other. Needs a
        server with transactions (DynamoDB; not dynalite), and costs twice the write units
        of single appends.

        Args:
            appends: up to 100 ``(aggregate_id, version, events)`` triples (fewer with
                ``contiguous=True``: each aggregate's version check counts too), of at most
                4 MB in all.
            idempotency_key: your id for this call, as for ``append``: repeated after an
                ``UnavailableError``, it returns the commits if the first try landed.

        Returns:
            The stored commits, in the order of ``appends``.

        Raises:
            VersionConflictError: a version was taken, for the first such triple; its
                ``conflicts`` lists every ``(aggregate_id, version)`` that could not be
                written. ``VersionGapError`` if the first is a missing previous version.
                Nothing was written.
            InvalidCommitError: a bad triple, the same aggregate and version twice, over 100
                actions; ``CommitTooLargeError`` over 400 KB a commit or 4 MB in all.
            EventStoreError: the server does not support transactions.
        """
        with self._telemetry.operation("append_many") as operation:
            commits = await self._writer.append_many(appends, idempotency_key)
            operation.written(len(commits))
            return commits

    async def import_commit(self, commit: Commit) -> bool:
        """Write a commit exactly as given, its commit id and time included.

        For imports and migrations: writing the same commit again changes nothing. The
        commit's version is written as it is, without the check of ``contiguous=True``:
        an import may write an aggregate's versions in any order.

        Returns:
            True if the commit was written, also by an earlier try of this call whose answer
            was lost; False if the identical commit (the same commit id, time and event JSON
            text) was already stored.

        Raises:
            VersionConflictError: a different commit holds the commit's version.
            InvalidCommitError: the commit is invalid, or its commit id does not match its
                time and aggregate id.
        """
        with self._telemetry.operation("import_commit", commit.aggregate_id) as operation:
            written = await self._writer.import_commit(commit)
            operation.written(int(written))
            return written

    # Snapshots and deciding

    async def save_snapshot(self, aggregate_id: str, version: int, state: Any) -> bool:  # noqa: ANN401
        """Save ``state``, the aggregate's state as of ``version``, as its newest snapshot.

        Kept beside the aggregate's commits, invisible to every reader of commits (and to
        the JS library). A snapshot never replaces a newer one.

        Args:
            aggregate_id: the aggregate.
            version: the version the state includes; the aggregate must have it.
            state: a JSON value.

        Returns:
            True if saved; False if a snapshot as new or newer was already stored.

        Raises:
            InvalidArgumentError: a bad aggregate id or version, or one the aggregate lacks.
            SnapshotTooLargeError: the snapshot's item would exceed 400 KB.
            SerializationError: the state is not JSON.
        """
        check_aggregate_id(aggregate_id)
        check_version(version)
        snapshot = Snapshot(aggregate_id, version, state, self._clock.now())
        with self._telemetry.operation("save_snapshot", aggregate_id):
            return await save_snapshot(self.transport, self.table_name, snapshot)

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        """The aggregate's newest snapshot (strongly consistent), or ``None``."""
        check_aggregate_id(aggregate_id)
        with self._telemetry.operation("load_snapshot", aggregate_id):
            return await load_snapshot(self.transport, self.table_name, aggregate_id)

    async def transact(
        self,
        aggregate_id: str,
        decide: Callable[[S], Sequence[Any] | Awaitable[Sequence[Any]]],
        *,
        evolve: Callable[[S, Any], S],
        initial: S,
        snapshot_every: int | None = None,
        max_attempts: int = 5,
    ) -> tuple[S, Commit | None]:
        """Load an aggregate, decide what happens, append it; on a conflict, decide again.

        The loop every command handler needs. It folds the aggregate's events into a state
        (from its newest snapshot, with ``snapshot_every``), calls ``decide(state)`` for the
        events to append, and appends them at the next version. If another writer took that
        version first, it reads only the commits it has not seen, folds them, and decides
        again, up to ``max_attempts`` in all.

        Args:
            aggregate_id: the aggregate.
            decide: the state to the events to append (plain or async); none: no append.
                An exception it raises propagates, and nothing is written.
            evolve: a state and one event to the next state.
            initial: the state of an aggregate without commits.
            snapshot_every: save a snapshot each time the aggregate's commits cross a
                multiple of this many, and start loads from the newest one. The state must
                then be JSON. A snapshot that cannot be saved is logged, never raised.
            max_attempts: decisions in all before the last conflict is raised.

        Returns:
            The new state and the commit appended, or the state and ``None`` when
            ``decide`` returned no events.

        Raises:
            VersionConflictError: every attempt met a conflict.
        """
        with self._telemetry.operation("transact", aggregate_id):
            return await transact(
                self,
                aggregate_id,
                decide,
                evolve=evolve,
                initial=initial,
                snapshot_every=snapshot_every,
                max_attempts=max_attempts,
            )

    # Reading one aggregate

    async def query(self, aggregate_id: str, version: int = 0) -> list[Commit]:
        """Every commit of the aggregate from ``version`` on, in version order.

        Strongly consistent, and complete: it reads every page, however many.
        """
        check_aggregate_id(aggregate_id)
        check_version(version)
        commits: list[Commit] = []
        with self._telemetry.operation("query", aggregate_id) as operation:
            pages = query_pages(self.transport, self._aggregate_query(aggregate_id, version))
            async with aclosing(pages):
                async for items in pages:
                    commits.extend(map(self._decode, items))
            operation.read(len(commits))
        if commits:
            self._clock.observe(aggregate_id, max(commit.committed_at for commit in commits))
        return commits

    async def latest(self, aggregate_id: str) -> Commit | None:
        """The aggregate's commit with the highest version, or ``None`` if it has none."""
        check_aggregate_id(aggregate_id)
        request = self._aggregate_query(aggregate_id, 0, newest_first=True, limit=1)
        with self._telemetry.operation("latest", aggregate_id) as operation:
            answer = await self.transport.call("Query", request)
            items = answer.get("Items") or []
            operation.read(len(items))
        if not items:
            return None
        commit = self._decode(items[0])
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
            group_member: with ``group_size``, this consumer's number in a static consumer
                group. For members that come and go, use ``consume``.
            group_size: how many consumers split the stream; each aggregate goes to one.
            on_invalid: at an item of the index that is not a commit, ``"raise"`` its
                ``SerializationError`` (whose ``position`` lets you resume past it), or
                ``"skip"`` it, logging its position at ERROR.
        """
        bounds = _bounds(commit_id, after)
        page_size = check_page_size(page_size)
        group = _group(group_member, group_size)
        on_invalid = check_on_invalid(on_invalid)
        transport = self._telemetry.transport(self.transport, "scan page")
        stream = read_stream(
            transport, self._index, bounds, page_size=page_size, decode=self._decode
        )
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
        name: str = "subscribe",
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
            group_member: with ``group_size``, this consumer's number in a static consumer
                group. For members that come and go, use ``consume``.
            group_size: how many consumers split the stream; each aggregate goes to one.
            on_invalid: at an item of the index that is not a commit, ``"raise"`` its
                ``SerializationError`` (whose ``position`` lets you resume past it), or
                ``"skip"`` it, logging its position at ERROR, and go on.
            name: the subscription's name in telemetry: its lag is reported by it.
        """
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(f"name must be a non-empty str, not {name!r}")
        subscription = Subscription(
            settle,
            poll_interval,
            page_size,
            _group(group_member, group_size),
            on_invalid,
            self._decode,
        )
        start = _bounds(commit_id, after)
        telemetry = self._telemetry
        commits = follow(
            lambda: telemetry.transport(self.transport, "subscription poll"),
            self._index,
            self._clock.now,
            subscription,
            start,
        )
        async with aclosing(reporting_lag(telemetry, name, commits)) as reported:
            async for commit in reported:
                yield commit

    async def consume(
        self,
        group: str,
        *,
        partitions: int = 16,
        lease_seconds: float = 10.0,
        settle: float = 2.0,
        poll_interval: float = 1.0,
        page_size: int | None = None,
        checkpoint_interval: float = 5.0,
        after: str | None = None,
        member: str | None = None,
        on_invalid: OnInvalid = "raise",
    ) -> AsyncGenerator[Commit, None]:
        """Every commit of this member's share of a consumer group, in scan order, forever.

        The members of a group (processes that call ``consume`` with the same ``group``)
        split the stream into ``partitions`` partitions by aggregate, and each takes a fair
        share through leases kept in the table: a member that joins gets its share within
        two lease periods; one that stops cleanly (``break``, ``aclose()``, cancellation)
        hands its partitions over at once; one that dies loses them after a lease period.

        Each partition has its own checkpoint, moved only by the lease's current holder and
        only past commits the consumer finished: a commit counts as finished once the
        consumer asks for the next one. Every commit is delivered to some member at least
        once, and exactly once while no member fails; after a failure, only the commits
        after its partitions' last checkpoints are delivered again. An aggregate's commits
        keep their order. The commits of the partitions a member took at once come in scan
        order; a partition it takes later is caught up from its checkpoint, after what the
        member delivered before.

        Args:
            group: the group's name (up to 1,024 UTF-8 bytes).
            partitions: how many partitions the stream is split into; fixed for a group.
                More partitions spread the work over more members.
            lease_seconds: how long a lease lasts unrenewed: how soon a dead member's
                partitions are taken over. Renewed every third of it.
            settle: as for ``subscribe``.
            poll_interval: as for ``subscribe``.
            page_size: as for ``subscribe``.
            checkpoint_interval: the least seconds between two saves of a checkpoint.
            after: where a partition without a checkpoint starts: a position; ``None``,
                the first commit ever.
            member: this member's name in the group; its host, process and a random part
                by default. Unique among the group's live members: two members of one name
                take each other's partitions for their own.
            on_invalid: as for ``subscribe``.
        """
        start = check_group_settings(partitions, lease_seconds, checkpoint_interval, after)
        subscription = Subscription(
            settle, poll_interval, page_size, None, on_invalid, self._decode
        )
        leases = Leases(lambda: self.transport, self.table_name, group, partitions, self._clock.now)
        telemetry = self._telemetry
        consumer = Member(
            leases,
            lambda: telemetry.transport(self.transport, "subscription poll"),
            self._index,
            self._clock.now,
            subscription,
            lease_seconds,
            checkpoint_interval,
            start,
            telemetry,
            name=member if member is not None else member_name(),
        )
        commits = consumer.deliveries()
        self._members.add(commits)
        async with aclosing(reporting_lag(telemetry, group, commits)) as reported:
            async for commit in reported:
                yield commit

    async def group_status(self, group: str) -> GroupStatus:
        """A consumer group's members, partitions, owners, positions and lag.

        The lag of a partition is the age of its oldest commit not yet finished (0 when
        none waits); finding it reads the stream from the group's lowest checkpoint until
        each partition's first unfinished commit.
        """
        transport = self.transport
        partitions = await Leases.partitions_of(transport, self.table_name, group)
        if partitions is None:
            return GroupStatus(group, [], [])
        leases = Leases(lambda: transport, self.table_name, group, partitions, self._clock.now)
        return await group_status(leases, transport, self._index, self._clock.now, self._decode)

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
        return Checkpoint(
            name, self.table_name, lambda: self.transport, self._clock.now, self._telemetry
        )


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
