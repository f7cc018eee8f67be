"""The exit statuses of the command, and the one mapping of errors to them."""

from __future__ import annotations

from enum import IntEnum

from aio_eventstore._exceptions import (
    AccessDeniedError,
    EventStoreError,
    InvalidArgumentError,
    SerializationError,
    TableExistsError,
    TableNotFoundError,
    ThrottledError,
    UnavailableError,
    VersionConflictError,
)

__all__ = ["EXIT_MEANINGS", "CommandError", "Exit", "exit_status"]


class Exit(IntEnum):
    """The exit statuses of the command."""

    OK = 0
    ERROR = 1
    USAGE = 2
    CONFLICT = 3
    TABLE_NOT_FOUND = 4
    TABLE_EXISTS = 5
    UNAVAILABLE = 6
    ACCESS_DENIED = 7
    NO_COMMITS = 8
    INTERRUPTED = 130
    BROKEN_PIPE = 141


EXIT_MEANINGS = {
    Exit.OK: "success",
    Exit.ERROR: "any other error",
    Exit.USAGE: "bad options or input: JSON, aggregate id, version, position, file",
    Exit.CONFLICT: "version conflict: the aggregate already has a commit at that version",
    Exit.TABLE_NOT_FOUND: "the table does not exist",
    Exit.TABLE_EXISTS: "create-table found the table (--exist-ok accepts it)",
    Exit.UNAVAILABLE: "DynamoDB unreachable, failing or throttling, after the retries",
    Exit.ACCESS_DENIED: "no usable AWS credentials, or access denied",
    Exit.NO_COMMITS: "latest: no commits; snapshot: no snapshot; group: no leases",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
    Exit.BROKEN_PIPE: "stdout was closed early, as by '| head'",
}

# The first class an error is an instance of decides its status; any other is Exit.ERROR.
_STATUS_BY_ERROR: tuple[tuple[type[EventStoreError], Exit], ...] = (
    (VersionConflictError, Exit.CONFLICT),
    (InvalidArgumentError, Exit.USAGE),
    (SerializationError, Exit.USAGE),
    (TableNotFoundError, Exit.TABLE_NOT_FOUND),
    (TableExistsError, Exit.TABLE_EXISTS),
    (UnavailableError, Exit.UNAVAILABLE),
    (ThrottledError, Exit.UNAVAILABLE),
    (AccessDeniedError, Exit.ACCESS_DENIED),
)


class CommandError(Exception):
    """An error of the command line itself: bad input, or an action it refuses.

    Attributes:
        status: the exit status it ends the command with.
    """

    def __init__(self, message: str, status: Exit = Exit.USAGE) -> None:
        super().__init__(message)
        self.status = status


def exit_status(error: EventStoreError | CommandError) -> Exit:
    """The exit status an expected error ends the command with."""
    if isinstance(error, CommandError):
        return error.status
    for cls, status in _STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return Exit.ERROR
