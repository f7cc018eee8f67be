"""An asyncio event store on Amazon DynamoDB, storage-compatible with dynamodb-event-store."""

import logging as _logging

from ._checkpoint import Checkpoint
from ._commit import Commit
from ._exceptions import (
    AccessDeniedError,
    CommitTooLargeError,
    EventStoreError,
    InvalidArgumentError,
    InvalidCommitError,
    InvalidPositionError,
    SerializationError,
    SnapshotTooLargeError,
    StoreClosedError,
    TableExistsError,
    TableNotFoundError,
    TableNotReadyError,
    ThrottledError,
    UnavailableError,
    VersionConflictError,
    VersionGapError,
)
from ._groups import GroupStatus, PartitionStatus
from ._snapshots import Snapshot
from ._store import DEFAULT_INDEX_NAME, DEFAULT_TABLE_NAME, EventStore

__all__ = [
    "DEFAULT_INDEX_NAME",
    "DEFAULT_TABLE_NAME",
    "AccessDeniedError",
    "Checkpoint",
    "Commit",
    "CommitTooLargeError",
    "EventStore",
    "EventStoreError",
    "GroupStatus",
    "InvalidArgumentError",
    "InvalidCommitError",
    "InvalidPositionError",
    "PartitionStatus",
    "SerializationError",
    "Snapshot",
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

# Silent unless the application configures logging. The library's records never hold
# credentials, tokens or event payloads.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())

# The public face: everything above is documented as aio_eventstore.X, not as its module's.
for _name in __all__:
    _value = globals()[_name]
    if hasattr(_value, "__module__"):
        _value.__module__ = __name__
del _name, _value


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415 - only when asked

        return version("aio-eventstore")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
