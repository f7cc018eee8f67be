"""Writing commits: one, several atomically, or an import; each exactly once under retries.

An append is one conditional PutItem, or, where it must be atomic with more than itself,
one TransactWriteItems: several commits (``append_many``), or a commit whose previous
version must exist (contiguous versions: a ConditionCheck beside the Put).

Every item carries the call's idempotency token. A retry whose earlier attempt landed (its
answer was lost) finds its own token on the items that hold the versions, and returns those
commits instead of a false conflict; a transaction lands whole or not at all, so finding the
token on all its items means it landed. Each attempt is stamped afresh when the request is
a function of the attempt: the time from a commit's stamp to its landing is one attempt's.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ._commit import Commit
from ._events import encode_events
from ._exceptions import (
    CommitTooLargeError,
    EventStoreError,
    InvalidCommitError,
    SerializationError,
    VersionConflictError,
    VersionGapError,
)
from ._item import (
    AGGREGATE_ID_ATTRIBUTE,
    EVENTS_ATTRIBUTE,
    MAX_ITEM_BYTES,
    VERSION_ATTRIBUTE,
    Item,
    encode_item,
    idempotency_key_of,
    item_size,
)
from ._position import format_commit_id
from ._shards import index_key
from ._transport import ConditionFailedError, TransactionCanceledError
from ._validation import check_aggregate_id, check_idempotency_key, check_version, is_timestamp

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from ._clock import CommitClock
    from ._transport import Request, Transport

__all__ = ["LATE_APPEND_SECONDS", "MAX_TRANSACTION_ACTIONS", "Writer"]

logger = logging.getLogger("aio_eventstore")

LATE_APPEND_SECONDS = 1.0
"""An append slower than this from its stamp is logged: a subscriber's settle must cover it."""

MAX_TRANSACTION_ACTIONS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
"""DynamoDB's limits of one TransactWriteItems: 100 actions, 4 MB of items."""

_NEW_VERSION = f"attribute_not_exists({VERSION_ATTRIBUTE})"
_OLD_VERSION = f"attribute_exists({VERSION_ATTRIBUTE})"
_FAILED_CONDITION = "ConditionalCheckFailed"
_NO_TRANSACTIONS = "UnknownOperationException"


@dataclass(frozen=True, slots=True)
class _Planned:
    """A commit to write, checked: its aggregate, version, events and their JSON text."""

    aggregate_id: str
    version: int
    events: list[Any]
    events_json: str


class Writer:
    """Writes commits to one table; the store's writing half.

    Args:
        table_name: the table of commits.
        index_shards: how many hash keys the global index spreads commits over.
        clock: stamps commits.
        transport: what sends requests, asked for at each call.
        contiguous: write version ``n > 0`` only if version ``n - 1`` exists.
        decode: an item to the commit it stores, as the store's readers see it.
    """

    def __init__(  # noqa: PLR0917 - the store's settings, passed once
        self,
        table_name: str,
        index_shards: int,
        clock: CommitClock,
        transport: Callable[[], Transport],
        contiguous: bool,
        decode: Callable[[Item], Commit],
    ) -> None:
        self._table_name = table_name
        self._index_shards = index_shards
        self._clock = clock
        self._transport = transport
        self._contiguous = contiguous
        self._decode = decode

    async def append(
        self, aggregate_id: str, version: int, events: object, idempotency_key: str | None
    ) -> Commit:
        """One commit; see ``EventStore.append``."""
        planned = _plan(aggregate_id, version, events)
        key = _key(idempotency_key)
        if self._contiguous and version > 0:
            [commit] = await self._transact([planned], key)
            return commit
        attempt = _Attempt(self, [planned], key)
        try:
            await self._transport().call("PutItem", attempt.put_request)
        except ConditionFailedError as failed:
            stored = await self._stored(aggregate_id, version, failed.item)
            if stored.commit is not None and stored.key == key:
                logger.debug("append found its own commit at version %d: a retry landed", version)
                return stored.commit
            raise stored.conflict(failed.request_id) from failed
        return self._landed(attempt)[0]

    async def append_many(
        self, appends: Iterable[Sequence[Any]], idempotency_key: str | None
    ) -> list[Commit]:
        """Several commits, all or none; see ``EventStore.append_many``."""
        if isinstance(appends, str | bytes) or not hasattr(appends, "__iter__"):
            raise InvalidCommitError("appends must be a list of (aggregate_id, version, events)")
        planned = []
        for triple in appends:
            if not isinstance(triple, tuple | list) or len(triple) != 3:
                raise InvalidCommitError(
                    f"each append is an (aggregate_id, version, events) triple, not {triple!r:.80}"
                )
            planned.append(_plan(*triple))
        if not planned:
            raise InvalidCommitError("appends must not be empty")
        taken = Counter((p.aggregate_id, p.version) for p in planned)
        twice = [pair for pair, count in taken.items() if count > 1]
        if twice:
            raise InvalidCommitError(f"the same aggregate and version twice: {twice[0]!r}")
        if self._contiguous:
            _check_no_gap_within(planned)
        return await self._transact(planned, _key(idempotency_key))

    async def import_commit(self, commit: object) -> bool:
        """A commit exactly as given; see ``EventStore.import_commit``."""
        if not isinstance(commit, Commit):
            raise InvalidCommitError(f"import_commit takes a Commit, not {type(commit).__name__}")
        planned = _plan(commit.aggregate_id, commit.version, commit.events)
        committed_at = commit.committed_at
        if not is_timestamp(committed_at):
            raise InvalidCommitError(f"committed_at is not epoch milliseconds: {committed_at!r}")
        if commit.commit_id != format_commit_id(committed_at, commit.aggregate_id):
            raise InvalidCommitError(
                f"commit id {commit.commit_id!r} does not match the commit's time and aggregate"
            )
        key = f"import-{uuid.uuid4().hex}"
        request = _put(self._table_name, self.item(commit, planned.events_json, key))
        try:
            await self._transport().call("PutItem", request)
        except ConditionFailedError as failed:
            stored = await self._stored(commit.aggregate_id, commit.version, failed.item)
            if stored.key == key:
                return True  # an earlier try of this very call landed; its answer was lost
            if stored.same_as(commit, planned.events_json):
                return False
            raise stored.conflict(failed.request_id) from failed
        self._clock.observe(commit.aggregate_id, committed_at)
        return True

    def item(self, commit: Commit, events_json: str, key: str) -> Item:
        """The item of a commit, or ``CommitTooLargeError``."""
        item = encode_item(
            commit,
            events_json,
            index_key=index_key(commit.aggregate_id, self._index_shards),
            idempotency_key=key,
        )
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            raise CommitTooLargeError(size, MAX_ITEM_BYTES)
        return item

    async def _transact(self, planned: list[_Planned], key: str) -> list[Commit]:
        attempt = _Attempt(self, planned, key)
        try:
            await self._transport().call("TransactWriteItems", attempt.transaction_request)
        except TransactionCanceledError as cancelled:
            return await self._after_cancel(attempt, cancelled)
        except EventStoreError as error:
            if error.code == _NO_TRANSACTIONS:
                raise EventStoreError(
                    "the server does not support transactions (TransactWriteItems), which "
                    "append_many and contiguous versions need: DynamoDB does, dynalite does not",
                    code=error.code,
                    request_id=error.request_id,
                ) from error
            raise
        return self._landed(attempt)

    async def _after_cancel(
        self, attempt: _Attempt, cancelled: TransactionCanceledError
    ) -> list[Commit]:
        """The commits an earlier attempt wrote, or the conflict that cancelled this one."""
        puts: dict[int, Item | None] = {}
        gaps: set[int] = set()
        for (kind, index), reason in zip(attempt.actions, cancelled.reasons, strict=False):
            if reason.get("Code") == _FAILED_CONDITION:
                if kind == "check":
                    gaps.add(index)
                else:
                    puts[index] = reason.get("Item")
        planned = attempt.planned
        if len(puts) == len(planned):  # every version taken: perhaps by an earlier attempt
            stored = await asyncio.gather(
                *(self._stored(p.aggregate_id, p.version, puts[i]) for i, p in enumerate(planned))
            )
            if all(s.commit is not None and s.key == attempt.key for s in stored):
                logger.debug("a transaction found its own %d commits: a retry landed", len(planned))
                return [s.commit for s in stored if s.commit is not None]
        failed = sorted(puts.keys() | gaps)
        if not failed:  # cancelled by conditions, yet none failed: not a server's answer
            raise EventStoreError(f"a transaction was cancelled for no reason given: {cancelled}")
        conflicts = [(planned[i].aggregate_id, planned[i].version) for i in failed]
        first = planned[failed[0]]
        if failed[0] in gaps and failed[0] not in puts:
            raise VersionGapError(
                first.aggregate_id,
                first.version,
                request_id=cancelled.request_id,
                conflicts=conflicts,
            ) from cancelled
        stored_first = await self._stored(first.aggregate_id, first.version, puts[failed[0]])
        raise stored_first.conflict(cancelled.request_id, conflicts) from cancelled

    async def _stored(self, aggregate_id: str, version: int, item: Item | None) -> _Stored:
        """What holds a version a write found taken: the item the server returned, else read."""
        if item is None:  # the server did not return it (dynalite): read it
            answer = await self._transport().call(
                "GetItem",
                {
                    "TableName": self._table_name,
                    "Key": _commit_key(aggregate_id, version),
                    "ConsistentRead": True,
                },
            )
            item = answer.get("Item")
        stored = _Stored(aggregate_id, version, item or {}, self._decode)
        if stored.commit is not None:
            self._clock.observe(aggregate_id, stored.commit.committed_at)
        return stored

    def _landed(self, attempt: _Attempt) -> list[Commit]:
        """The attempt's commits, which landed: remember their stamps, say if they were slow."""
        seconds = time.monotonic() - attempt.stamped
        if seconds > LATE_APPEND_SECONDS:
            # A subscriber delivers a commit once it is `settle` seconds old; one that lands
            # later than that can be missed. Say so.
            logger.warning(
                "an append took %.1f s from its time stamp to its answer: subscribers whose "
                "settle is shorter than that may miss the commit",
                seconds,
            )
        for commit in attempt.commits:
            self._clock.observe(commit.aggregate_id, commit.committed_at)
        return attempt.commits


class _Attempt:
    """The request of one attempt at writing ``planned``: stamped when it is built.

    Built afresh for each attempt (the transport calls ``put_request`` or
    ``transaction_request`` once per attempt), with a new stamp and the same key.
    """

    def __init__(self, writer: Writer, planned: list[_Planned], key: str) -> None:
        self.writer = writer
        self.planned = planned
        self.key = key
        self.commits: list[Commit] = []
        self.actions: list[tuple[str, int]] = []  # ("check" | "put", index into planned)
        self.stamped = 0.0

    def put_request(self) -> Request:
        """The PutItem of the attempt's one commit."""
        [item] = self._stamp()
        return _put(self.writer._table_name, item)  # noqa: SLF001 - the writer's own table

    def transaction_request(self) -> Request:
        """The TransactWriteItems of the attempt's commits, with their version checks."""
        writer = self.writer
        table = writer._table_name  # noqa: SLF001
        items = self._stamp()
        total = sum(item_size(item) for item in items)
        if total > MAX_TRANSACTION_BYTES:
            raise CommitTooLargeError(total, MAX_TRANSACTION_BYTES, "the transaction's items")
        written = {(p.aggregate_id, p.version) for p in self.planned}
        actions: list[dict[str, Any]] = []
        self.actions = []
        for index, (planned, item) in enumerate(zip(self.planned, items, strict=True)):
            previous = (planned.aggregate_id, planned.version - 1)
            if writer._contiguous and planned.version > 0 and previous not in written:  # noqa: SLF001
                actions.append(
                    {
                        "ConditionCheck": {
                            "TableName": table,
                            "Key": _commit_key(*previous),
                            "ConditionExpression": _OLD_VERSION,
                        }
                    }
                )
                self.actions.append(("check", index))
            actions.append({"Put": _put(table, item)})
            self.actions.append(("put", index))
        if len(actions) > MAX_TRANSACTION_ACTIONS:
            raise InvalidCommitError(
                f"{len(actions)} actions (commits and version checks) in one transaction: "
                f"DynamoDB takes at most {MAX_TRANSACTION_ACTIONS}"
            )
        return {"TransactItems": actions}

    def _stamp(self) -> list[Item]:
        clock = self.writer._clock  # noqa: SLF001
        stamps = {p.aggregate_id: 0 for p in self.planned}
        for aggregate_id in stamps:
            stamps[aggregate_id] = clock.stamp(aggregate_id)
        self.stamped = time.monotonic()
        self.commits = [
            Commit(
                format_commit_id(stamps[p.aggregate_id], p.aggregate_id),
                stamps[p.aggregate_id],
                p.aggregate_id,
                p.version,
                p.events,
            )
            for p in self.planned
        ]
        return [
            self.writer.item(commit, planned.events_json, self.key)
            for commit, planned in zip(self.commits, self.planned, strict=True)
        ]


@dataclass(frozen=True)
class _Stored:
    """What holds a version that a write found taken."""

    aggregate_id: str
    version: int
    item: Item
    decode: Callable[[Item], Commit]

    @cached_property
    def commit(self) -> Commit | None:
        """The commit stored at the version, if the item is one."""
        if not self.item:
            return None
        try:
            return self.decode(self.item)
        except SerializationError:
            logger.warning("the item at version %d of an aggregate is not a commit", self.version)
            return None

    @property
    def key(self) -> str | None:
        """The idempotency key stored with it."""
        return idempotency_key_of(self.item)

    def same_as(self, commit: Commit, events_json: str) -> bool:
        """True if the stored commit is ``commit``, to the very text of its events."""
        stored = self.commit
        return (
            stored is not None
            and (stored.commit_id, stored.committed_at) == (commit.commit_id, commit.committed_at)
            and self.item[EVENTS_ATTRIBUTE]["S"] == events_json
        )

    def conflict(
        self, request_id: str | None, conflicts: list[tuple[str, int]] | None = None
    ) -> VersionConflictError:
        """The error to raise for the failed condition."""
        logger.debug("version conflict at version %d (request %s)", self.version, request_id)
        return VersionConflictError(
            self.aggregate_id,
            self.version,
            self.commit,
            request_id=request_id,
            conflicts=conflicts,
        )


def _plan(aggregate_id: object, version: object, events: object) -> _Planned:
    """A commit's arguments, checked, with its events' JSON text."""
    check_aggregate_id(aggregate_id, InvalidCommitError)
    check_version(version, InvalidCommitError)
    if not isinstance(events, list | tuple):
        raise InvalidCommitError(f"events must be a list, not {type(events).__name__}")
    if not events:
        raise InvalidCommitError("events must not be empty: a commit holds at least one")
    return _Planned(aggregate_id, version, list(events), encode_events(events))  # type: ignore[arg-type]


def _check_no_gap_within(planned: list[_Planned]) -> None:
    """Contiguous versions: an aggregate's versions in one call follow each other."""
    versions: dict[str, list[int]] = {}
    for p in planned:
        versions.setdefault(p.aggregate_id, []).append(p.version)
    for aggregate_id, numbers in versions.items():
        numbers.sort()
        for lower, higher in itertools.pairwise(numbers):
            if higher != lower + 1:
                raise VersionGapError(aggregate_id, higher, conflicts=[(aggregate_id, higher)])


def _key(idempotency_key: object) -> str:
    return uuid.uuid4().hex if idempotency_key is None else check_idempotency_key(idempotency_key)


def _commit_key(aggregate_id: str, version: int) -> Item:
    return {
        AGGREGATE_ID_ATTRIBUTE: {"S": aggregate_id},
        VERSION_ATTRIBUTE: {"N": str(version)},
    }


def _put(table_name: str, item: Item) -> Request:
    """The PutItem (or a transaction's Put) of a commit's item, if its version is free."""
    return {
        "TableName": table_name,
        "Item": item,
        "ConditionExpression": _NEW_VERSION,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
