"""Durable, named checkpoints: where a consumer of the global stream got to.

A checkpoint lives in the table of commits, in the reserved key space (``_keyspace``): no
reader of commits ever sees it, and it stays out of the global index. It needs no table of
its own; it is read with GetItem, saved with UpdateItem and deleted with DeleteItem::

    {"aggregateId": {"S": "$checkpoint:orders-projector"}, "version": {"N": "-1"},
     "checkpointCommitId": {"S": "..."}, "checkpointVersion": {"N": "7"},
     "savedAt": {"N": "1704164645678"}}

Saving only ever moves a checkpoint forward: a consumer that lags behind another instance
of itself (after a failover, say) cannot drag it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._exceptions import SerializationError
from ._keyspace import checkpoint_key
from ._position import COMMIT_ID_PATTERN, format_position, parse_position
from ._telemetry import NO_TELEMETRY
from ._transport import ConditionFailedError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._item import Item
    from ._telemetry import NoTelemetry, Telemetry
    from ._transport import Transport

__all__ = ["Checkpoint"]

_COMMIT_ID = "checkpointCommitId"
_COMMIT_VERSION = "checkpointVersion"
_SAVED_AT = "savedAt"
# Forward only: no checkpoint yet, or one that sorts before the new position.
_FORWARD = (
    f"attribute_not_exists({_COMMIT_ID}) OR {_COMMIT_ID} < :c "
    f"OR ({_COMMIT_ID} = :c AND {_COMMIT_VERSION} < :v)"
)


class Checkpoint:
    """A consumer's durable position in the global stream, by name.

    Get one from ``EventStore.checkpoint``:

        checkpoint = store.checkpoint("orders-projector")
        async for commit in store.subscribe(after=await checkpoint.load()):
            await project(commit)
            await checkpoint.save(commit.position)
    """

    def __init__(
        self,
        name: str,
        table_name: str,
        transport: Callable[[], Transport],
        clock: Callable[[], int],
        telemetry: Telemetry | NoTelemetry = NO_TELEMETRY,
    ) -> None:
        self._key = checkpoint_key(name)
        self.name = name
        self._table_name = table_name
        self._transport = transport
        self._clock = clock
        self._telemetry = telemetry

    def __repr__(self) -> str:
        return f"<Checkpoint {self.name!r}>"

    async def load(self) -> str | None:
        """The saved position (strongly consistent), or ``None`` if none was saved.

        Raises:
            SerializationError: the stored item is not a checkpoint's (another tool wrote it).
        """
        answer = await self._transport().call(
            "GetItem", {"TableName": self._table_name, "Key": self._key, "ConsistentRead": True}
        )
        item = answer.get("Item")
        return None if item is None else self._position_of(item)

    async def save(self, position: str) -> bool:
        """Save ``position`` (a commit's ``position``) if it is past the saved one.

        Returns:
            True if saved; False if the checkpoint already stood at or past ``position``.
        """
        commit_id, version = parse_position(position)
        request = {
            "TableName": self._table_name,
            "Key": self._key,
            "UpdateExpression": f"SET {_COMMIT_ID} = :c, {_COMMIT_VERSION} = :v, {_SAVED_AT} = :t",
            "ConditionExpression": _FORWARD,
            "ExpressionAttributeValues": {
                ":c": {"S": commit_id},
                ":v": {"N": str(version)},
                ":t": {"N": str(self._clock())},
            },
        }
        with self._telemetry.operation("checkpoint save"):
            try:
                await self._transport().call("UpdateItem", request)
            except ConditionFailedError:
                return False
            return True

    async def delete(self) -> None:
        """Forget the checkpoint: the next ``load`` returns ``None``."""
        await self._transport().call(
            "DeleteItem", {"TableName": self._table_name, "Key": self._key}
        )

    def _position_of(self, item: Item) -> str:
        try:
            commit_id = item[_COMMIT_ID]["S"]
            version = int(item[_COMMIT_VERSION]["N"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SerializationError(
                f"checkpoint {self.name!r} is not a checkpoint's item: attributes {sorted(item)}"
            ) from exc
        if not isinstance(commit_id, str) or not COMMIT_ID_PATTERN.fullmatch(commit_id):
            raise SerializationError(f"checkpoint {self.name!r} holds no commit id")
        if version < 0:
            raise SerializationError(f"checkpoint {self.name!r} holds a negative version")
        return format_position(commit_id, version)
