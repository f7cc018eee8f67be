"""A consumer group's leases: who owns which partition, fenced, with its checkpoint.

Each partition of a group has one item in the table of commits, in the reserved key space
(``_keyspace``), all under the group's one partition key so that one strongly consistent
Query reads them::

    {"aggregateId": {"S": "$group:projector"}, "version": {"N": "-1003"},
     "owner": {"S": "host-4711-9f2c"}, "epoch": {"N": "7"}, "renewals": {"N": "1234"},
     "expiresAt": {"N": "1704164655678"}, "leaseMs": {"N": "10000"}, "partitions": {"N": "16"},
     "checkpointCommitId": {"S": "..."}, "checkpointVersion": {"N": "2"}}

- ``epoch`` grows with each new owner: the fencing token. Every write of an owner is
  conditional on it, so a paused or partitioned former owner can neither renew the lease nor
  move its checkpoint once another member took it.
- ``renewals`` grows with each renewal. A member that sees it unchanged for a lease period,
  by its own monotonic clock, knows the owner stopped renewing. The period is the longer
  of its own and the owner's (``leaseMs``): members of one group may be configured
  differently for a while, as in a rolling update. No clock is compared with
  another machine's; ``expiresAt`` (the owner's clock) is only shown to people.
- ``wantedBy`` asks the owner to hand the partition over: it finishes the commit in hand,
  saves the checkpoint, and releases the lease.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidArgumentError, SerializationError
from ._item import AGGREGATE_ID_ATTRIBUTE, VERSION_ATTRIBUTE
from ._keyspace import MAX_PARTITIONS, group_key, lease_key, lease_partition, lease_versions
from ._transport import ConditionFailedError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._item import Item
    from ._position import SortKey
    from ._transport import Transport

__all__ = ["Lease", "Leases"]

# Attribute names, spelt through ExpressionAttributeNames: some are reserved words.
_NAMES = {
    "#owner": "owner",
    "#epoch": "epoch",
    "#renewals": "renewals",
    "#expires": "expiresAt",
    "#wanted": "wantedBy",
    "#partitions": "partitions",
    "#commit": "checkpointCommitId",
    "#version": "checkpointVersion",
    "#saved": "savedAt",
    "#lease": "leaseMs",
}
_HELD = "#owner = :me AND #epoch = :epoch"
_FORWARD = (
    "(attribute_not_exists(#commit) OR #commit < :commit "
    "OR (#commit = :commit AND #version < :version))"
)


@dataclass(frozen=True, slots=True)
class Lease:
    """A partition's lease as last read or written.

    Attributes:
        partition: the partition, from 0.
        owner: the member holding it, or ``None`` when free.
        epoch: grows with each new owner; 0 before the first.
        renewals: grows with each renewal.
        expires_at: when it expires by its owner's clock (epoch ms), for people to read.
        lease_ms: the lease period its owner renews it for, in milliseconds.
        wanted_by: a member that asked for it, if any.
        checkpoint: the (commit id, version) its partition was consumed up to, if any.
        stored: whether the item exists at all.
    """

    partition: int
    owner: str | None = None
    epoch: int = 0
    renewals: int = 0
    expires_at: int | None = None
    lease_ms: int | None = None
    wanted_by: str | None = None
    checkpoint: SortKey | None = None
    stored: bool = False


class Leases:
    """The leases of one consumer group of ``partitions`` partitions, read and written."""

    def __init__(
        self,
        transport: Callable[[], Transport],
        table_name: str,
        group: str,
        partitions: int,
        now: Callable[[], int],
    ) -> None:
        self._transport = transport
        self._table_name = table_name
        self.group = group
        self._group_key = group_key(group)
        self.partitions = partitions
        self._now = now

    @staticmethod
    async def partitions_of(transport: Transport, table_name: str, group: str) -> int | None:
        """How many partitions an existing group has; None if it has no lease yet."""
        lowest, highest = lease_versions(MAX_PARTITIONS)
        answer = await transport.call(
            "Query",
            {
                "TableName": table_name,
                "ConsistentRead": True,
                "KeyConditionExpression": f"{AGGREGATE_ID_ATTRIBUTE} = :g AND "
                f"{VERSION_ATTRIBUTE} BETWEEN :lo AND :hi",
                "ExpressionAttributeValues": {
                    ":g": {"S": group_key(group)},
                    ":lo": {"N": str(lowest)},
                    ":hi": {"N": str(highest)},
                },
                "Limit": 1,
            },
        )
        for item in answer.get("Items", []):
            with contextlib.suppress(KeyError, TypeError, ValueError):
                return int(item["partitions"]["N"])
        return None

    async def read(self) -> list[Lease]:
        """Every partition's lease, strongly consistent, in partition order."""
        lowest, highest = lease_versions(self.partitions)
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "ConsistentRead": True,
            "KeyConditionExpression": f"{AGGREGATE_ID_ATTRIBUTE} = :g AND "
            f"{VERSION_ATTRIBUTE} BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":g": {"S": self._group_key},
                ":lo": {"N": str(lowest)},
                ":hi": {"N": str(highest)},
            },
        }
        leases = {p: Lease(p) for p in range(self.partitions)}
        while True:
            answer = await self._transport().call("Query", request)
            for item in answer.get("Items", []):
                lease = self._lease(item)
                leases[lease.partition] = lease
            last = answer.get("LastEvaluatedKey")
            if last is None:
                return list(leases.values())
            request["ExclusiveStartKey"] = last

    async def acquire(self, lease: Lease, member: str, lease_ms: int) -> Lease | None:
        """Take ``lease`` as it was read (free, expired, or dropped by this very member).

        Returns the new lease, with the next epoch, or None if the lease changed since.
        """
        if lease.stored:
            condition = "#epoch = :epoch AND #renewals = :renewals"
        else:
            condition = "attribute_not_exists(#epoch)"
        return await self._update(
            lease,
            "SET #owner = :me, #epoch = :next, #renewals = :renewed, #expires = :expires, "
            "#lease = :lease, #partitions = :partitions REMOVE #wanted",
            condition,
            {
                ":me": {"S": member},
                ":next": {"N": str(lease.epoch + 1)},
                ":renewed": {"N": str(lease.renewals + 1)},
                ":expires": {"N": str(self._now() + lease_ms)},
                ":lease": {"N": str(lease_ms)},
                ":partitions": {"N": str(self.partitions)},
                **({":epoch": {"N": str(lease.epoch)}} if lease.stored else {}),
                **({":renewals": {"N": str(lease.renewals)}} if lease.stored else {}),
            },
        )

    async def renew(self, lease: Lease, member: str, lease_ms: int) -> Lease | None:
        """Renew a lease this member holds: the renewed lease, or None if it was lost."""
        return await self._update(
            lease,
            "SET #renewals = #renewals + :one, #expires = :expires, #lease = :lease",
            _HELD,
            {
                ":me": {"S": member},
                ":epoch": {"N": str(lease.epoch)},
                ":one": {"N": "1"},
                ":expires": {"N": str(self._now() + lease_ms)},
                ":lease": {"N": str(lease_ms)},
            },
        )

    async def release(self, lease: Lease, member: str) -> bool:
        """Give a held lease up at once, for another member to take; False if it was lost.

        A member that asked for it keeps its claim (``wantedBy``): others leave the lease
        to it for a lease period.
        """
        released = await self._update(
            lease,
            "SET #renewals = #renewals + :one REMOVE #owner, #expires",
            _HELD,
            {":me": {"S": member}, ":epoch": {"N": str(lease.epoch)}, ":one": {"N": "1"}},
        )
        return released is not None

    async def request(self, lease: Lease, member: str) -> bool:
        """Ask the owner of ``lease`` to hand it over to ``member``; False if it changed."""
        wanted = await self._update(
            lease,
            "SET #wanted = :me",
            "#owner = :owner AND #epoch = :epoch AND attribute_not_exists(#wanted)",
            {
                ":me": {"S": member},
                ":owner": {"S": lease.owner or ""},
                ":epoch": {"N": str(lease.epoch)},
            },
        )
        return wanted is not None

    async def save_checkpoint(self, lease: Lease, member: str, position: SortKey) -> bool:
        """Move a held lease's checkpoint forward to ``position``; False if refused.

        Refused when the lease is no longer this member's (fencing), or when the
        checkpoint already stands at or past ``position``.
        """
        saved = await self._update(
            lease,
            "SET #commit = :commit, #version = :version, #saved = :saved",
            f"{_HELD} AND {_FORWARD}",
            {
                ":me": {"S": member},
                ":epoch": {"N": str(lease.epoch)},
                ":commit": {"S": position[0]},
                ":version": {"N": str(position[1])},
                ":saved": {"N": str(self._now())},
            },
        )
        return saved is not None

    async def _update(
        self, lease: Lease, update: str, condition: str, values: dict[str, Any]
    ) -> Lease | None:
        """Apply ``update`` if ``condition`` holds: the lease as written, or None."""
        expression = f"{update} {condition}"
        request = {
            "TableName": self._table_name,
            "Key": lease_key(self._group_key, lease.partition),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {
                name: value for name, value in _NAMES.items() if name in expression
            },
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
        }
        try:
            answer = await self._transport().call("UpdateItem", request)
        except ConditionFailedError:
            return None
        return self._lease(answer["Attributes"])

    def _lease(self, item: Item) -> Lease:
        try:
            partition = lease_partition(int(item[VERSION_ATTRIBUTE]["N"]))
            partitions = int(item["partitions"]["N"]) if "partitions" in item else None
            checkpoint = None
            if "checkpointCommitId" in item:
                checkpoint = (
                    item["checkpointCommitId"]["S"],
                    int(item["checkpointVersion"]["N"]),
                )
            lease = Lease(
                partition,
                owner=item["owner"]["S"] if "owner" in item else None,
                epoch=int(item["epoch"]["N"]) if "epoch" in item else 0,
                renewals=int(item["renewals"]["N"]) if "renewals" in item else 0,
                expires_at=int(item["expiresAt"]["N"]) if "expiresAt" in item else None,
                lease_ms=int(item["leaseMs"]["N"]) if "leaseMs" in item else None,
                wanted_by=item["wantedBy"]["S"] if "wantedBy" in item else None,
                checkpoint=checkpoint,
                stored=True,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SerializationError(
                f"a lease of group {self.group!r} is not a lease's item: attributes {sorted(item)}"
            ) from exc
        if partitions is not None and partitions != self.partitions:
            raise InvalidArgumentError(
                f"group {self.group!r} has {partitions} partitions, not {self.partitions}: "
                "a group keeps the number it started with"
            )
        return lease
