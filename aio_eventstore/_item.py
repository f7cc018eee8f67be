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

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._commit import Commit
from ._events import decode_events
from ._exceptions import SerializationError
from ._position import SortKey, format_position

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "AGGREGATE_ID_ATTRIBUTE",
    "COMMIT_ID_ATTRIBUTE",
    "EVENTS_ATTRIBUTE",
    "IDEMPOTENCY_KEY_ATTRIBUTE",
    "INDEX_KEY_ATTRIBUTE",
    "MAX_ITEM_BYTES",
    "VERSION_ATTRIBUTE",
    "Item",
    "decode_item",
    "decoder",
    "encode_item",
    "idempotency_key_of",
    "item_size",
    "sort_key_of_item",
]

Item = dict[str, Any]
"""A raw DynamoDB item, as DynamoDB's JSON protocol sends and returns it."""

AGGREGATE_ID_ATTRIBUTE = "aggregateId"
VERSION_ATTRIBUTE = "version"
COMMIT_ID_ATTRIBUTE = "commitId"
COMMITTED_AT_ATTRIBUTE = "committedAt"
EVENTS_ATTRIBUTE = "events"
INDEX_KEY_ATTRIBUTE = "active"
IDEMPOTENCY_KEY_ATTRIBUTE = "idempotencyKey"

MAX_ITEM_BYTES = 409_600
"""DynamoDB's item size limit: 400 KB, attribute names included."""


def encode_item(commit: Commit, events_json: str, *, index_key: str, idempotency_key: str) -> Item:
    """The item that stores a commit whose events are encoded as ``events_json``."""
    return {
        COMMIT_ID_ATTRIBUTE: {"S": commit.commit_id},
        COMMITTED_AT_ATTRIBUTE: {"N": str(commit.committed_at)},
        AGGREGATE_ID_ATTRIBUTE: {"S": commit.aggregate_id},
        VERSION_ATTRIBUTE: {"N": str(commit.version)},
        EVENTS_ATTRIBUTE: {"S": events_json},
        INDEX_KEY_ATTRIBUTE: {"S": index_key},
        IDEMPOTENCY_KEY_ATTRIBUTE: {"S": idempotency_key},
    }


def decode_item(item: Item) -> Commit:
    """The commit an item stores, or ``SerializationError`` if it is not a commit's item.

    The error carries the item's ``position`` when the item has a place in the global
    stream, so that a reader of the stream can go on past it.
    """
    try:
        version = _commit_version(item)
        return Commit(
            commit_id=item[COMMIT_ID_ATTRIBUTE]["S"],
            committed_at=int(item[COMMITTED_AT_ATTRIBUTE]["N"]),
            aggregate_id=item[AGGREGATE_ID_ATTRIBUTE]["S"],
            version=version,
            events=decode_events(item[EVENTS_ATTRIBUTE]["S"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        # A bad item is named by where it stands and which attributes it has: never by its
        # content, which may hold personal data.
        reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        raise SerializationError(
            f"not a commit's item ({reason}; attributes {sorted(item)})",
            position=None if (key := sort_key_of_item(item)) is None else format_position(*key),
        ) from exc


def decoder(upcast: Callable[[Any], Any] | None) -> Callable[[Item], Commit]:
    """:func:`decode_item`, then ``upcast`` applied to every event of the commit."""
    if upcast is None:
        return decode_item

    def decode_and_upcast(item: Item) -> Commit:
        commit = decode_item(item)
        try:
            events = [upcast(event) for event in commit.events]
        except Exception as exc:
            # Named by its type and place only: its message may quote the event.
            raise SerializationError(
                f"upcast raised {type(exc).__name__} on a commit's events",
                position=commit.position,
            ) from exc
        return replace(commit, events=events)

    return decode_and_upcast


def _commit_version(item: Item) -> int:
    version = int(item[VERSION_ATTRIBUTE]["N"])
    if version < 0:
        raise ValueError(f"version {version} is reserved for items that are not commits")
    return version


def sort_key_of_item(item: Item) -> SortKey | None:
    """An item's place in the global stream, if it has the keys of the global index."""
    try:
        return item[COMMIT_ID_ATTRIBUTE]["S"], int(item[VERSION_ATTRIBUTE]["N"])
    except (KeyError, TypeError, ValueError):
        return None


def idempotency_key_of(item: Item) -> str | None:
    """The idempotency key stored with a commit, if it was written by this library."""
    value = item.get(IDEMPOTENCY_KEY_ATTRIBUTE)
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
