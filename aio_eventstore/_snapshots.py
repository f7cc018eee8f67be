r"""Snapshots: an aggregate's state as of a version, so that a load reads only what follows.

An aggregate has at most one snapshot, its newest, kept beside its commits in the reserved
key space (``_keyspace``): no reader of commits, nor the JS library, ever sees it::

    {"aggregateId": {"S": "order-42"}, "version": {"N": "-2"},
     "snapshotVersion": {"N": "99"}, "state": {"S": "{\\"total\\":12}"},
     "takenAt": {"N": "1704164645678"}}

Saving is a conditional write that only moves forward: an older snapshot, saved late by a
slow process, never replaces a newer one. A snapshot may only claim a version the aggregate
has: commits are never deleted, so a strongly consistent read of that version before the
write is enough to know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._events import decode_json, encode_json
from ._exceptions import InvalidArgumentError, SerializationError, SnapshotTooLargeError
from ._item import AGGREGATE_ID_ATTRIBUTE, MAX_ITEM_BYTES, VERSION_ATTRIBUTE, item_size
from ._keyspace import snapshot_key
from ._transport import ConditionFailedError

if TYPE_CHECKING:
    from ._item import Item
    from ._transport import Transport

__all__ = ["Snapshot", "load_snapshot", "save_snapshot"]

_VERSION = "snapshotVersion"
_STATE = "state"
_TAKEN_AT = "takenAt"
_NEWER = f"attribute_not_exists({_VERSION}) OR {_VERSION} < :v"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An aggregate's state as of one of its versions.

    Attributes:
        aggregate_id: the aggregate.
        version: the version the state includes: every commit up to it, folded.
        state: the state, as decoded from its stored JSON.
        taken_at: when it was saved, in epoch milliseconds.
    """

    aggregate_id: str
    version: int
    state: Any
    taken_at: int


async def save_snapshot(
    transport: Transport, table_name: str, snapshot: Snapshot, *, verified: bool = False
) -> bool:
    """Store ``snapshot`` unless a snapshot as new or newer is stored; True if stored.

    ``verified``: the caller knows that the aggregate has the snapshot's version (it just
    wrote it), so it is not read first.

    Raises:
        SerializationError: the state is not JSON.
        SnapshotTooLargeError: the item would exceed 400 KB.
        InvalidArgumentError: the aggregate has no commit at the snapshot's version.
    """
    aggregate_id, version = snapshot.aggregate_id, snapshot.version
    item: Item = {
        **snapshot_key(aggregate_id),
        _VERSION: {"N": str(version)},
        _STATE: {"S": encode_json(snapshot.state, "state")},
        _TAKEN_AT: {"N": str(snapshot.taken_at)},
    }
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise SnapshotTooLargeError(size, MAX_ITEM_BYTES)
    if not verified:
        await _check_version_exists(transport, table_name, aggregate_id, version)
    request = {
        "TableName": table_name,
        "Item": item,
        "ConditionExpression": _NEWER,
        "ExpressionAttributeValues": {":v": {"N": str(version)}},
    }
    try:
        await transport.call("PutItem", request)
    except ConditionFailedError:
        return False
    return True


async def _check_version_exists(
    transport: Transport, table_name: str, aggregate_id: str, version: int
) -> None:
    commit = await transport.call(
        "GetItem",
        {
            "TableName": table_name,
            "Key": {
                AGGREGATE_ID_ATTRIBUTE: {"S": aggregate_id},
                VERSION_ATTRIBUTE: {"N": str(version)},
            },
            "ConsistentRead": True,
            "ProjectionExpression": VERSION_ATTRIBUTE,
        },
    )
    if "Item" not in commit:
        raise InvalidArgumentError(
            f"aggregate {aggregate_id!r} has no version {version}: a snapshot is of a stored one"
        )


async def load_snapshot(
    transport: Transport, table_name: str, aggregate_id: str
) -> Snapshot | None:
    """The newest snapshot of ``aggregate_id`` (strongly consistent), or ``None``."""
    answer = await transport.call(
        "GetItem",
        {"TableName": table_name, "Key": snapshot_key(aggregate_id), "ConsistentRead": True},
    )
    item = answer.get("Item")
    if item is None:
        return None
    try:
        return Snapshot(
            aggregate_id,
            int(item[_VERSION]["N"]),
            decode_json(item[_STATE]["S"], "state"),
            int(item[_TAKEN_AT]["N"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, SerializationError):
            raise
        raise SerializationError(
            f"the snapshot of {aggregate_id!r} is not a snapshot's item: attributes {sorted(item)}"
        ) from exc
