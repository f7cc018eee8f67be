"""The exceptions the event store raises, and the one place that translates the AWS stack's.

The tree::

    EventStoreError                 every error the store raises; .code, .request_id
    ├── InvalidArgumentError        (ValueError) a bad argument, refused before any request
    │   ├── InvalidCommitError      a bad aggregate id, version, events or idempotency key
    │   │   └── CommitTooLargeError the item would exceed DynamoDB's 400 KB; .size, .limit
    │   └── InvalidPositionError    a position or commit id that the store did not produce
    ├── SerializationError          (ValueError) events that are not JSON, written or read
    ├── VersionConflictError        the aggregate already has a commit at that version
    ├── TableNotFoundError          the table does not exist (or is not active yet)
    ├── TableExistsError            create_table(exist_ok=False) found the table
    ├── ThrottledError              DynamoDB kept throttling after the retries
    ├── UnavailableError            unreachable, timed out, or 5xx after the retries
    ├── AccessDeniedError           missing, bad or insufficient credentials
    └── StoreClosedError            (RuntimeError) the store is not open

Errors from DynamoDB carry its error ``code`` and ``request_id``; an error code that has no
class of its own becomes a plain ``EventStoreError`` with that code. Every exception of
botocore, aiobotocore or aiohttp is turned into one of these by :func:`translate`, by error
code and exception type, never by message text, with the original chained as ``__cause__``.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import aiohttp
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,  # noqa: A004 - botocore's, not the builtin
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._commit import Commit

__all__ = [
    "AccessDeniedError",
    "CommitTooLargeError",
    "EventStoreError",
    "InvalidArgumentError",
    "InvalidCommitError",
    "InvalidPositionError",
    "SerializationError",
    "StoreClosedError",
    "TableExistsError",
    "TableNotFoundError",
    "ThrottledError",
    "UnavailableError",
    "VersionConflictError",
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


class InvalidArgumentError(EventStoreError, ValueError):
    """An argument is invalid. Raised before any request is sent."""


class InvalidCommitError(InvalidArgumentError):
    """The aggregate id, version, events or idempotency key of an append are invalid."""


class CommitTooLargeError(InvalidCommitError):
    """The commit's item would exceed DynamoDB's item size limit.

    Attributes:
        size: the item's size in bytes, counted as DynamoDB counts it.
        limit: the largest size DynamoDB accepts, in bytes.
    """

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the commit's item is {size:,} bytes; DynamoDB stores at most {limit:,}")
        self.size = size
        self.limit = limit


class InvalidPositionError(InvalidArgumentError):
    """A position or commit id is not one the store produces."""


class SerializationError(EventStoreError, ValueError):
    """Events cannot be encoded as JSON, or stored events are not valid JSON."""


class VersionConflictError(EventStoreError):
    """The aggregate already has a commit at this version: someone else appended first.

    Attributes:
        aggregate_id: the aggregate appended to.
        version: the version that was taken.
        commit: the commit stored at that version, when the store could read it.
    """

    def __init__(
        self,
        aggregate_id: str,
        version: int,
        commit: Commit | None = None,
        *,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            f"version conflict: aggregate {aggregate_id!r} already has version {version}",
            code="ConditionalCheckFailedException",
            request_id=request_id,
        )
        self.aggregate_id = aggregate_id
        self.version = version
        self.commit = commit


class TableNotFoundError(EventStoreError):
    """The table does not exist (or is not active yet)."""


class TableExistsError(EventStoreError):
    """The table already exists."""


class ThrottledError(EventStoreError):
    """DynamoDB throttled the request, and kept doing so through every retry."""


class UnavailableError(EventStoreError):
    """DynamoDB could not be reached or answered with a server error, through every retry.

    Raised for refused connections, connect and read timeouts, dropped connections and HTTP
    5xx answers. Whether a write that ended so was applied is unknown: retry it with the same
    idempotency key to find out.
    """


class AccessDeniedError(EventStoreError):
    """Credentials are missing, invalid or expired, or lack a permission."""


class StoreClosedError(EventStoreError, RuntimeError):
    """The store was used before it was opened or after it was closed."""


_CLASS_BY_CODE: dict[str, type[EventStoreError]] = {
    "ResourceNotFoundException": TableNotFoundError,
    "ProvisionedThroughputExceededException": ThrottledError,
    "ThrottlingException": ThrottledError,
    "RequestLimitExceeded": ThrottledError,
    "InternalServerError": UnavailableError,
    "InternalFailure": UnavailableError,
    "ServiceUnavailable": UnavailableError,
    "ServiceUnavailableException": UnavailableError,
    "UnrecognizedClientException": AccessDeniedError,
    "AccessDeniedException": AccessDeniedError,
    "InvalidSignatureException": AccessDeniedError,
    "IncompleteSignatureException": AccessDeniedError,
    "MissingAuthenticationTokenException": AccessDeniedError,
    "ExpiredTokenException": AccessDeniedError,
    "InvalidClientTokenId": AccessDeniedError,
}


def error_code(exc: ClientError) -> str:
    """DynamoDB's error code of a botocore ``ClientError``."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: BaseException) -> EventStoreError:
    """The public error for an exception of botocore, aiobotocore, aiohttp or the network."""
    if isinstance(exc, EventStoreError):
        return exc
    if isinstance(exc, ClientError):
        return _translate_client_error(exc)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
        return AccessDeniedError(f"no usable AWS credentials: {exc}")
    if isinstance(
        exc,
        ConnectionError | HTTPClientError | aiohttp.ClientError | OSError | asyncio.TimeoutError,
    ):
        return UnavailableError(f"DynamoDB is unavailable: {type(exc).__name__}: {exc}")
    if isinstance(exc, BotoCoreError):
        return EventStoreError(f"{type(exc).__name__}: {exc}")
    return EventStoreError(f"unexpected error: {type(exc).__name__}: {exc}")


def _translate_client_error(exc: ClientError) -> EventStoreError:
    code = error_code(exc)
    error: dict[str, Any] = dict(exc.response.get("Error", {}))
    metadata: dict[str, Any] = dict(exc.response.get("ResponseMetadata", {}))
    request_id = metadata.get("RequestId")
    status = int(metadata.get("HTTPStatusCode") or 0)
    cls = _CLASS_BY_CODE.get(code)
    if cls is None:
        cls = UnavailableError if status >= 500 else EventStoreError
    message = error.get("Message") or code or "no message"
    return cls(f"{code}: {message}", code=code or None, request_id=request_id)


# Exceptions the store lets through untouched: its own, cancellation, and programming errors
# that say where the bug is.
_PASS_THROUGH = (EventStoreError, asyncio.CancelledError, KeyboardInterrupt, SystemExit)


@contextmanager
def translated() -> Iterator[None]:
    """Raise the public error for any exception of the AWS stack raised in the block."""
    try:
        yield
    except _PASS_THROUGH:
        raise
    except (ClientError, BotoCoreError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        raise translate(exc) from exc
