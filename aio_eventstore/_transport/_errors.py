"""The one place where the AWS stack's errors become the store's typed errors.

DynamoDB answers a failed request with an error code; botocore raises ``ClientError`` with
that code, the direct transport reads it from the answer's ``__type``. Either way,
:func:`error_for` picks the class **by code, never by message text**. Exceptions of botocore
(credentials, connections), aiohttp and the network are mapped by type in :func:`translate`,
and always chained: the original is the public error's ``__cause__``.

A failed condition is not an error of the store's caller but an answer the store reads (a
version taken, a checkpoint not moved): it is raised as the private
:class:`ConditionFailedError`, with the stored item when the server returned it; a
transaction cancelled by failed conditions as :class:`TransactionCanceledError`, with the
reason of each action. A transaction cancelled by a passing conflict or throttling is
retried like any throttled request.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import aiohttp
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoAuthTokenError,
    NoCredentialsError,
    PartialCredentialsError,
    RefreshWithMFAUnsupportedError,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from aio_eventstore._exceptions import (
    AccessDeniedError,
    EventStoreError,
    TableNotFoundError,
    ThrottledError,
    UnavailableError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aio_eventstore._item import Item

__all__ = [
    "CONDITION_FAILED",
    "ConditionFailedError",
    "TransactionCanceledError",
    "error_code",
    "error_for",
    "translate",
    "translated",
]

CONDITION_FAILED = "ConditionalCheckFailedException"
_TRANSACTION_CANCELED = "TransactionCanceledException"
# A transaction's actions fail with these codes (not the requests' error codes).
_FAILED_CONDITION = "ConditionalCheckFailed"
_PASSING = frozenset({"None", "", _FAILED_CONDITION})
_BUSY = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})

_CLASS_BY_CODE: dict[str, type[EventStoreError]] = {
    "ResourceNotFoundException": TableNotFoundError,
    "ProvisionedThroughputExceededException": ThrottledError,
    "ThrottlingException": ThrottledError,
    "RequestLimitExceeded": ThrottledError,
    # Another transaction holds the item for a moment: the same request will pass soon.
    "TransactionConflictException": ThrottledError,
    "TransactionInProgressException": ThrottledError,
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

# Credentials that cannot be had: none configured, an SSO token missing or expired, a
# provider that failed. Retrying does not help; the caller must log in.
_CREDENTIAL_ERRORS = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    SSOError,  # SSOTokenLoadError, UnauthorizedSSOTokenError
    TokenRetrievalError,
    NoAuthTokenError,
    RefreshWithMFAUnsupportedError,
)

# OSErrors that say the network failed, rather than something local (an unreadable file).
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.ENETDOWN,
        errno.ENETUNREACH,
        errno.ENETRESET,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
    }
)


class ConditionFailedError(EventStoreError):
    """A write's condition failed. The store turns it into what it means for its caller.

    Attributes:
        item: the stored item the condition failed on, when the server returned it
            (``ReturnValuesOnConditionCheckFailure``; dynalite never does).
    """

    def __init__(
        self, message: str, *, item: Item | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message, code=CONDITION_FAILED, request_id=request_id)
        self.item = item


class TransactionCanceledError(EventStoreError):
    """A transaction was cancelled because conditions failed; nothing of it was written.

    Attributes:
        reasons: one per action, in order: ``{"Code": "ConditionalCheckFailed" | "None",
            "Item": {...}}``, the item present when the server returned it.
    """

    def __init__(
        self, message: str, *, reasons: list[dict[str, Any]], request_id: str | None = None
    ) -> None:
        super().__init__(message, code=_TRANSACTION_CANCELED, request_id=request_id)
        self.reasons = reasons


def error_for(
    code: str,
    message: str,
    *,
    status: int,
    request_id: str | None = None,
    body: dict[str, Any] | None = None,
) -> EventStoreError:
    """The typed error for a DynamoDB error answer: by its code, else by its HTTP status.

    ``body`` is the answer's JSON: a failed condition's item and a cancelled transaction's
    reasons are read from it.
    """
    body = body or {}
    if code == CONDITION_FAILED:
        return ConditionFailedError(message or code, item=body.get("Item"), request_id=request_id)
    if code == _TRANSACTION_CANCELED:
        return _cancelled(message, body.get("CancellationReasons") or [], request_id)
    cls = _CLASS_BY_CODE.get(code)
    if cls is None:
        if status == 403:  # whatever the body says (moto's IAM check answers in XML)
            cls = AccessDeniedError
        elif status >= 500:
            cls = UnavailableError
        else:
            cls = EventStoreError
    text = f"{code}: {message or 'no message'}" if code else f"HTTP {status}: {message}"
    return cls(text, code=code or None, request_id=request_id)


def _cancelled(
    message: str, reasons: list[dict[str, Any]], request_id: str | None
) -> EventStoreError:
    codes = {str(reason.get("Code")) for reason in reasons}
    if codes & _BUSY:  # worth retrying: nothing failed for good
        return ThrottledError(
            f"{_TRANSACTION_CANCELED}: {message}", code=_TRANSACTION_CANCELED, request_id=request_id
        )
    if codes <= _PASSING and _FAILED_CONDITION in codes:
        return TransactionCanceledError(message, reasons=reasons, request_id=request_id)
    # A validation error or an item collection too large: the same request fails again.
    return EventStoreError(
        f"{_TRANSACTION_CANCELED}: {message} (reasons {sorted(codes)})",
        code=_TRANSACTION_CANCELED,
        request_id=request_id,
    )


def error_code(exc: ClientError) -> str:
    """DynamoDB's error code of a botocore ``ClientError``."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: BaseException) -> EventStoreError:
    """The public error for an exception of botocore, aiobotocore, aiohttp or the network."""
    if isinstance(exc, EventStoreError):
        return exc
    if isinstance(exc, ClientError):
        return _translate_client_error(exc)
    if isinstance(exc, _CREDENTIAL_ERRORS):
        return AccessDeniedError(f"no usable AWS credentials: {type(exc).__name__}: {exc}")
    if _is_network_failure(exc):
        return UnavailableError(f"DynamoDB is unavailable: {type(exc).__name__}: {exc}")
    return EventStoreError(f"{type(exc).__name__}: {exc}")


def _is_network_failure(exc: BaseException) -> bool:
    if isinstance(exc, aiohttp.InvalidURL):
        return False
    if isinstance(
        exc,
        BotocoreConnectionError  # endpoint, connect timeout, proxy, TLS
        | HTTPClientError  # read timeout, connection closed
        | aiohttp.ClientError
        | asyncio.TimeoutError
        | TimeoutError
        | ConnectionError  # refused, reset, aborted, broken pipe
        | socket.gaierror,  # the endpoint's name did not resolve
    ):
        return True
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS


def _translate_client_error(exc: ClientError) -> EventStoreError:
    code = error_code(exc)
    error: dict[str, Any] = dict(exc.response.get("Error", {}))
    metadata: dict[str, Any] = dict(exc.response.get("ResponseMetadata", {}))
    request_id = metadata.get("RequestId")
    status = int(metadata.get("HTTPStatusCode") or 0)
    body: dict[str, Any] = dict(exc.response)
    return error_for(
        code, error.get("Message") or "", status=status, request_id=request_id, body=body
    )


# Exceptions let through untouched: the store's own, cancellation, and programming errors
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
