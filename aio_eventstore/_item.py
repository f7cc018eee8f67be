r"""The stored item of a commit: dynamodb-event-store 2.2.0's format, read and written.

One item per commit in the table keyed by ``aggregateId`` (S, hash) and ``version`` (N, range)::

    {"aggregateId": {"S": "agg-A"}, "version": {"N": "0"},
     "commitId": {"S": "20240102030405678:agg-A"}, "committedAt": {"N": "1704164645678"},
     "events": {"S": "[{\\"type\\":\\"created\\"}]"}, "active": {"S": "t"},
     "idempotencyKey": {"S": "..."}}

``active`` is the hash key of the global index (``"t"``, or a shard's key) and ``commitId`` its
range key. ``idempotencyKey`` is this library's addition, which the JS library ignores: it
tells a retried append that found its own commit apart from a real conflict.
"""

from __future__ import annotations

import time
from typing import Any

from ._commit import Commit
from ._events import decode_events
from ._exceptions import SerializationError

__all__ = [
    "AGGREGATE_ID",
    "COMMIT_ID",
    "IDEMPOTENCY_KEY",
    "INDEX_KEY",
    "MAX_ITEM_BYTES",
    "VERSION",
    "Item",
    "decode_item",
    "encode_item",
    "format_commit_id",
    "format_timestamp",
    "item_size",
]

Item = dict[str, Any]
"""A raw DynamoDB item, as botocore sends and returns it."""

AGGREGATE_ID = "aggregateId"
VERSION = "version"
COMMIT_ID = "commitId"
COMMITTED_AT = "committedAt"
EVENTS = "events"
INDEX_KEY = "active"
IDEMPOTENCY_KEY = "idempotencyKey"

MAX_ITEM_BYTES = 409_600
"""DynamoDB's item size limit: 400 KB, attribute names included."""

MAX_TIMESTAMP = 253_402_300_799_999
"""The last millisecond of the year 9999, the last a 17-digit commit id can hold."""


def format_timestamp(committed_at: int) -> str:
    """Epoch milliseconds as the 17 digits ``YYYYMMDDHHMMSSmmm`` (UTC) of a commit id."""
    seconds, millis = divmod(committed_at, 1000)
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(seconds)) + f"{millis:03d}"


def format_commit_id(committed_at: int, aggregate_id: str) -> str:
    """The commit id of a commit: its UTC time as 17 digits, a colon, its aggregate id."""
    return f"{format_timestamp(committed_at)}:{aggregate_id}"


def encode_item(commit: Commit, events_json: str, *, index_key: str, idempotency_key: str) -> Item:
    """The item that stores a commit whose events are encoded as ``events_json``."""
    return {
        COMMIT_ID: {"S": commit.commit_id},
        COMMITTED_AT: {"N": str(commit.committed_at)},
        AGGREGATE_ID: {"S": commit.aggregate_id},
        VERSION: {"N": str(commit.version)},
        EVENTS: {"S": events_json},
        INDEX_KEY: {"S": index_key},
        IDEMPOTENCY_KEY: {"S": idempotency_key},
    }


def decode_item(item: Item) -> Commit:
    """The commit an item stores, or ``SerializationError`` if it is not a commit's item."""
    try:
        return Commit(
            commit_id=item[COMMIT_ID]["S"],
            committed_at=int(item[COMMITTED_AT]["N"]),
            aggregate_id=item[AGGREGATE_ID]["S"],
            version=int(item[VERSION]["N"]),
            events=decode_events(item[EVENTS]["S"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, SerializationError):
            raise
        raise SerializationError(f"not a commit's item: {exc!r} in {sorted(item)}") from exc


def idempotency_key_of(item: Item) -> str | None:
    """The idempotency key stored with a commit, if it was written by this library."""
    value = item.get(IDEMPOTENCY_KEY)
    return value.get("S") if isinstance(value, dict) else None


def item_size(item: Item) -> int:
    """An item's size as DynamoDB counts it against the 400 KB limit.

    Attribute names count in UTF-8 bytes, strings in UTF-8 bytes, and numbers as one byte
    per two significant digits plus one (rounded up, so the estimate never falls short).
    """
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            text = value["S"]
            size += len(text) if text.isascii() else len(text.encode())
        else:
            digits = value["N"].lstrip("-").replace(".", "").strip("0") or "0"
            size += (len(digits) + 1) // 2 + 1
    return size
