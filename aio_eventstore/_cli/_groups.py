"""The command on consumer groups: ``group``, their members, partitions and lag."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from aio_eventstore._events import to_json

from ._command import CommandGroup, argument, with_store
from ._exit import CommandError, Exit

if TYPE_CHECKING:
    import argparse

    from aio_eventstore._store import EventStore

__all__ = ["commands"]

commands = CommandGroup()


@commands.command("group", argument("group", metavar="GROUP"))
@with_store
async def group(store: EventStore, arguments: argparse.Namespace) -> None:
    """Print a consumer group's partitions: owner, position and lag.

    One JSON line per partition: group, partition, owner (null when free),
    epoch, expiresAt, position (the last commit finished) and lag (the age
    in seconds of the oldest commit not yet finished). Prints nothing and
    exits with status 8 if the group has no leases.
    """
    status = await store.group_status(arguments.group)
    if not status.partitions:
        raise CommandError(f"group {arguments.group!r} has no leases", Exit.NO_COMMITS)
    out = sys.stdout.buffer
    for partition in status.partitions:
        record = {
            "group": status.group,
            "partition": partition.partition,
            "owner": partition.owner,
            "epoch": partition.epoch,
            "expiresAt": partition.expires_at,
            "position": partition.position,
            "lag": round(partition.lag, 3),
        }
        out.write(f"{to_json(record)}\n".encode())
