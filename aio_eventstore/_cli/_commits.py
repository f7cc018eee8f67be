"""The commands on one aggregate's commits: ``append``, ``query``, ``latest``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from ._command import CommandGroup, argument, natural, with_store
from ._exit import CommandError, Exit
from ._jsonlines import json_line

if TYPE_CHECKING:
    import argparse

    from aio_eventstore._store import EventStore

__all__ = ["commands"]

commands = CommandGroup()

AGGREGATE_ID = argument("aggregate_id", metavar="AGGREGATE_ID")


@commands.command(
    "append",
    AGGREGATE_ID,
    argument("version", metavar="VERSION", type=natural, help="from 0"),
    argument("events", metavar="EVENTS_JSON", help="a JSON array; '-' reads stdin"),
    argument(
        "--idempotency-key",
        metavar="KEY",
        help="your id for this append: repeated after an 'unavailable' error (exit status 6), "
        "it prints the commit if the first try was stored, rather than a conflict",
    ),
)
@with_store
async def append(store: EventStore, arguments: argparse.Namespace) -> None:
    """Append events to an aggregate as one commit, and print the commit.

    Exits with status 3 if the aggregate already has a commit at VERSION.

    Example:
      aio-eventstore append order-1 0 '[{"type": "placed", "total": 12}]'
    """
    text = sys.stdin.buffer.read() if arguments.events == "-" else arguments.events
    try:
        events = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CommandError(f"EVENTS_JSON is not valid JSON: {exc}") from None
    commit = await store.append(
        arguments.aggregate_id,
        arguments.version,
        events,
        idempotency_key=arguments.idempotency_key,
    )
    sys.stdout.buffer.write(json_line(commit))


@commands.command(
    "query",
    AGGREGATE_ID,
    argument("--from-version", metavar="N", type=natural, default=0, help="start at version N"),
)
@with_store
async def query(store: EventStore, arguments: argparse.Namespace) -> None:
    """Print every commit of an aggregate, in version order.

    Strongly consistent. Prints nothing for an aggregate without commits.
    """
    commits = await store.query(arguments.aggregate_id, arguments.from_version)
    sys.stdout.buffer.writelines(json_line(commit) for commit in commits)


@commands.command("latest", AGGREGATE_ID)
@with_store
async def latest(store: EventStore, arguments: argparse.Namespace) -> None:
    """Print the commit of an aggregate with the highest version.

    Prints nothing and exits with status 8 if the aggregate has no commits.
    """
    commit = await store.latest(arguments.aggregate_id)
    if commit is None:
        raise CommandError(f"aggregate {arguments.aggregate_id!r} has no commits", Exit.NO_COMMITS)
    sys.stdout.buffer.write(json_line(commit))
