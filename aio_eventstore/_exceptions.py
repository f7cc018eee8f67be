"""The exceptions the event store raises: one tree, every one an ``EventStoreError``.

The tree::

    EventStoreError                 every error the store raises; .code, .request_id
    ├── InvalidArgumentError        (ValueError) a bad argument, refused before any request
    │   ├── InvalidCommitError      a bad aggregate id, version, events or idempotency key
    │   │   └── CommitTooLargeError the item would exceed DynamoDB's 400 KB; .size, .limit
    │   ├── SnapshotTooLargeError   a snapshot's item would exceed 400 KB; .size, .limit
    │   └── InvalidPositionError    a position or commit id that the store did not produce
    ├── SerializationError          (ValueError) events that are not JSON, written or read;
    │                               a stored item that is not what it should be; .position
    ├── VersionConflictError        the aggregate already has a commit at that version;
    │   │                           .commit, .conflicts
    │   └── VersionGapError         contiguous versions: the version before is missing
    ├── TableNotFoundError          the table does not exist (or is not active yet)
    ├── TableExistsError            create_table(exist_ok=False) found the table
    ├── TableNotReadyError          create_table gave up waiting for the table to be active
    ├── ThrottledError              DynamoDB kept throttling after the retries
    ├── UnavailableError            unreachable, timed out, or 5xx after the retries
    ├── AccessDeniedError           missing, bad, expired or insufficient credentials
    └── StoreClosedError            (RuntimeError) the store is not open

Errors from DynamoDB carry its error ``code`` and ``request_id``; an error code that has no
class of its own becomes a plain ``EventStoreError`` with that code. Every exception pickles
with its attributes, for process pools and task queues.

This module imports nothing of the AWS stack: the errors of botocore, aiobotocore and aiohttp
are turned into these in one place, beside the transport that meets them
(``aio_eventstore._transport._errors``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._commit import Commit

__all__ = [
    "AccessDeniedError",
    "CommitTooLargeError",
    "EventStoreError",
    "InvalidArgumentError",
    "InvalidCommitError",
    "InvalidPositionError",
    "SerializationError",
    "SnapshotTooLargeError",
    "StoreClosedError",
    "TableExistsError",
    "TableNotFoundError",
    "TableNotReadyError",
    "ThrottledError",
    "UnavailableError",
    "VersionConflictError",
    "VersionGapError",
]


class EventStoreError(Exception):
    """The base of every error the event store raises.

    Attributes:
        code: DynamoDB's error code (``"ValidationException"``, ...) when the server answered
            with one, else ``None``.
        request_id: the server's request id, for a support case, when known.
    """

    def __init__(
        self, message: str, *, code: str | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.request_id = request_id

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles as cls(*args), which subclasses with other signatures refuse:
        # rebuild without __init__, then restore the attributes.
        return _rebuild, (type(self), self.args), self.__dict__


def _rebuild(cls: type[EventStoreError], args: tuple[Any, ...]) -> EventStoreError:
    error = cls.__new__(cls)
    error.args = args
    return error


class InvalidArgumentError(EventStoreError, ValueError):
    """An argument is invalid. Raised before anything is written."""


class InvalidCommitError(InvalidArgumentError):
    """The aggregate id, version, events or idempotency key of an append are invalid."""


class CommitTooLargeError(InvalidCommitError):
    """The commit's item would exceed DynamoDB's item size limit.

    Attributes:
        size: the item's size in bytes, counted as DynamoDB counts it.
        limit: the largest size DynamoDB accepts, in bytes.
    """

    def __init__(self, size: int, limit: int, what: str = "the commit's item") -> None:
        super().__init__(f"{what} is {size:,} bytes; DynamoDB stores at most {limit:,}")
        self.size = size
        self.limit = limit


class SnapshotTooLargeError(InvalidArgumentError):
    """The snapshot's item would exceed DynamoDB's item size limit.

    Attributes:
        size: the item's size in bytes, counted as DynamoDB counts it.
        limit: the largest size DynamoDB accepts, in bytes.
    """

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"the snapshot's item is {size:,} bytes; DynamoDB stores at most {limit:,}"
        )
        self.size = size
        self.limit = limit


class InvalidPositionError(InvalidArgumentError):
    """A position or commit id is not one the store produces."""


class SerializationError(EventStoreError, ValueError):
    """Events cannot be encoded as JSON, or a stored item is not what it should be.

    Attributes:
        position: where the undecodable item stands in the global stream, when it has a
            place there: pass it as ``after=`` to resume past it. ``None`` otherwise.
    """

    def __init__(self, message: str, *, position: str | None = None) -> None:
        super().__init__(message)
        self.position = position


class VersionConflictError(EventStoreError):
    """The aggregate already has a commit at this version: someone else appended first.

    Attributes:
        aggregate_id: the aggregate appended to.
        version: the version that was taken.
        commit: the commit stored at that version, when the store could read it.
        conflicts: every ``(aggregate_id, version)`` of the call that could not be written:
            for ``append``, this one; for ``append_many``, all of them.
    """

    def __init__(
        self,
        aggregate_id: str,
        version: int,
        commit: Commit | None = None,
        *,
        request_id: str | None = None,
        conflicts: list[tuple[str, int]] | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__(
            message
            or f"version conflict: aggregate {aggregate_id!r} already has version {version}",
            code="ConditionalCheckFailedException",
            request_id=request_id,
        )
        self.aggregate_id = aggregate_id
        self.version = version
        self.commit = commit
        self.conflicts = [(aggregate_id, version)] if conflicts is None else conflicts


class VersionGapError(VersionConflictError):
    """Contiguous versions: the aggregate lacks the version before the one appended.

    A subclass of ``VersionConflictError``, so that conflict handlers (reload, decide again)
    handle it too.

    Attributes:
        missing: the version the aggregate lacks: ``version - 1``.
    """

    def __init__(
        self,
        aggregate_id: str,
        version: int,
        *,
        request_id: str | None = None,
        conflicts: list[tuple[str, int]] | None = None,
    ) -> None:
        super().__init__(
            aggregate_id,
            version,
            request_id=request_id,
            conflicts=conflicts,
            message=f"version gap: aggregate {aggregate_id!r} has no version {version - 1}, "
            f"so version {version} cannot follow it",
        )
        self.missing = version - 1


class TableNotFoundError(EventStoreError):
    """The table does not exist (or is not active yet)."""


class TableExistsError(EventStoreError):
    """The table already exists."""


class TableNotReadyError(EventStoreError):
    """The table or its index did not become active before the deadline.

    It may still become active (an index backfill can take hours on a large table): call
    ``create_table(exist_ok=True)`` again later, or with a longer ``timeout``.

    Attributes:
        table_status: the table's last status seen (``"CREATING"``, ``"UPDATING"``, ...).
        index_status: the global index's last status seen, or ``None`` if it had none.
    """

    def __init__(self, message: str, *, table_status: str, index_status: str | None) -> None:
        super().__init__(message)
        self.table_status = table_status
        self.index_status = index_status


class ThrottledError(EventStoreError):
    """DynamoDB throttled the request, and kept doing so through every retry."""


class UnavailableError(EventStoreError):
    """DynamoDB could not be reached or answered with a server error, through every retry.

    Raised for refused connections, connect and read timeouts, dropped connections,
    corrupted answers and HTTP 5xx answers. Whether a write that ended so was applied is
    unknown: retry it with the same idempotency key to find out.
    """


class AccessDeniedError(EventStoreError):
    """Credentials are missing, invalid or expired, or lack a permission."""


class StoreClosedError(EventStoreError, RuntimeError):
    """The store was used before it was opened or after it was closed."""
