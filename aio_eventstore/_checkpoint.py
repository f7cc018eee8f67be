"""Durable, named checkpoints: where a consumer of the global stream got to.

A checkpoint lives in the table of commits, as an item no reader of commits ever sees: its
version is -1 (every read of commits asks for versions from 0) and it has no global index
key (so it stays out of the index). It needs no table of its own and no other permission::

    {"aggregateId": {"S": "$checkpoint:orders-projector"}, "version": {"N": "-1"},
     "checkpointCommitId": {"S": "..."}, "checkpointVersion": {"N": "7"},
     "savedAt": {"N": "1704164645678"}}

Saving only ever moves a checkpoint forward: a consumer that lags behind another instance
of itself (after a failover, say) cannot drag it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from ._commit import format_position, parse_position
from ._exceptions import InvalidArgumentError, error_code, translated
from ._item import AGGREGATE_ID, VERSION

if TYPE_CHECKING:
    from collections.abc import Callable

    from types_aiobotocore_dynamodb import DynamoDBClient

__all__ = ["Checkpoint"]

_PREFIX = "$checkpoint:"
_COMMIT_ID = "checkpointCommitId"
_COMMIT_VERSION = "checkpointVersion"
_SAVED_AT = "savedAt"
_MAX_NAME_BYTES = 1024
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
        client: Callable[[], DynamoDBClient],
        clock: Callable[[], int],
    ) -> None:
        if not isinstance(name, str) or not name or len(name.encode()) > _MAX_NAME_BYTES:
            raise InvalidArgumentError(
                f"a checkpoint name is a non-empty str of at most {_MAX_NAME_BYTES} bytes"
            )
        self.name = name
        self._table_name = table_name
        self._client = client
        self._clock = clock
        self._key = {AGGREGATE_ID: {"S": _PREFIX + name}, VERSION: {"N": "-1"}}

    def __repr__(self) -> str:
        return f"<Checkpoint {self.name!r}>"

    async def load(self) -> str | None:
        """The saved position (strongly consistent), or ``None`` if none was saved."""
        with translated():
            answer = await self._client().get_item(
                TableName=self._table_name, Key=self._key, ConsistentRead=True
            )
        item = answer.get("Item")
        if item is None:
            return None
        return format_position(item[_COMMIT_ID]["S"], int(item[_COMMIT_VERSION]["N"]))

    async def save(self, position: str) -> bool:
        """Save ``position`` (a commit's ``position``) if it is past the saved one.

        Returns:
            True if saved; False if the checkpoint already stood at or past ``position``.
        """
        commit_id, version = parse_position(position)
        with translated():
            try:
                await self._client().update_item(
                    TableName=self._table_name,
                    Key=self._key,
                    UpdateExpression=f"SET {_COMMIT_ID} = :c, {_COMMIT_VERSION} = :v, "
                    f"{_SAVED_AT} = :t",
                    ConditionExpression=_FORWARD,
                    ExpressionAttributeValues={
                        ":c": {"S": commit_id},
                        ":v": {"N": str(version)},
                        ":t": {"N": str(self._clock())},
                    },
                )
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    async def delete(self) -> None:
        """Forget the checkpoint: the next ``load`` returns ``None``."""
        with translated():
            await self._client().delete_item(TableName=self._table_name, Key=self._key)
