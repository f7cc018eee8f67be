"""The commands on aggregates: ``append``, ``query``, ``latest``, ``snapshot``."""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING, Any

from aio_eventstore._events import to_json

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
    argument("aggregate_id", metavar="AGGREGATE_ID", nargs="?"),
    argument("version", metavar="VERSION", type=natural, nargs="?", help="from 0"),
    argument("events", metavar="EVENTS_JSON", nargs="?", help="a JSON array; '-' reads stdin"),
    argument(
        "--atomic",
        action="store_true",
        help="instead of the arguments, read commits from stdin, one JSON object a line "
        '({"aggregateId": ..., "version": ..., "events": [...]}), and append them all or none',
    ),
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
    With --atomic, append the commits of the JSON lines on stdin in one
    transaction, all or none (up to 100; a server with transactions), and
    print them.

    Example:
      aio-eventstore append order-1 0 '[{"type": "placed", "total": 12}]'
      aio-eventstore append --atomic < transfer.jsonl
    """
    given = [arguments.aggregate_id, arguments.version, arguments.events]
    if arguments.atomic:
        if any(value is not None for value in given):
            raise CommandError("append --atomic reads its commits from stdin: give no arguments")
        appends = [_append_line(line, f"stdin:{n}") for n, line in _lines(sys.stdin.buffer)]
        commits = await store.append_many(appends, idempotency_key=arguments.idempotency_key)
        sys.stdout.buffer.writelines(json_line(commit) for commit in commits)
        return
    if any(value is None for value in given):
        raise CommandError("append needs AGGREGATE_ID, VERSION and EVENTS_JSON (or --atomic)")
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


def _lines(stream: IO[bytes]) -> list[tuple[int, bytes]]:
    """The numbered lines of ``stream`` that are not blank."""
    return [(number, line) for number, line in enumerate(stream, 1) if line.strip()]


def _append_line(line: bytes, where: str) -> tuple[Any, Any, Any]:
    """The (aggregate id, version, events) of a line of ``append --atomic``."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise CommandError(f"{where}: not valid JSON: {exc}") from None
    keys = ("aggregateId", "version", "events")
    if not isinstance(record, dict) or sorted(record) != sorted(keys):
        raise CommandError(f"{where}: expected an object with just {', '.join(keys)}")
    return record["aggregateId"], record["version"], record["events"]


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


@commands.command("snapshot", AGGREGATE_ID)
@with_store
async def snapshot(store: EventStore, arguments: argparse.Namespace) -> None:
    """Print the newest snapshot of an aggregate.

    One JSON line: aggregateId, version, state, takenAt. Prints nothing and
    exits with status 8 if the aggregate has no snapshot.
    """
    found = await store.load_snapshot(arguments.aggregate_id)
    if found is None:
        raise CommandError(f"aggregate {arguments.aggregate_id!r} has no snapshot", Exit.NO_COMMITS)
    record = {
        "aggregateId": found.aggregate_id,
        "version": found.version,
        "state": found.state,
        "takenAt": found.taken_at,
    }
    sys.stdout.buffer.write(f"{to_json(record)}\n".encode())


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
