"""The command that reads the global stream: ``scan``, once or ``--follow``."""

from __future__ import annotations

import sys
from contextlib import aclosing
from typing import TYPE_CHECKING

from ._command import PAGE_SIZE, CommandGroup, argument, one_of, seconds, with_store
from ._exit import CommandError
from ._jsonlines import json_line

if TYPE_CHECKING:
    import argparse

    from aio_eventstore._store import EventStore

__all__ = ["commands"]

commands = CommandGroup()


@commands.command(
    "scan",
    one_of(
        argument(
            "--from",
            dest="from_commit_id",
            metavar="COMMIT_ID",
            help="start at commit id COMMIT_ID or the next; a prefix such as 20240101 starts "
            "at a date",
        ),
        argument("--after", metavar="POSITION", help="start after this position"),
    ),
    argument("--follow", action="store_true", help="go on with new commits live"),
    argument(
        "--settle",
        metavar="S",
        type=seconds,
        help="with --follow: seconds to hold a commit back for late writers (default: 2)",
    ),
    argument(
        "--poll-interval",
        metavar="S",
        type=seconds,
        help="with --follow: seconds between polls once caught up (default: 1)",
    ),
    PAGE_SIZE,
)
@with_store
async def scan(store: EventStore, arguments: argparse.Namespace) -> None:
    """Print every commit of every aggregate, in the global order.

    The order is by commit id, then version. Pass a line's "position" to
    --after to go on after that commit. With --follow, go on printing new
    commits as they settle, until Ctrl-C.
    """
    timing = {"settle": arguments.settle, "poll_interval": arguments.poll_interval}
    timing = {name: value for name, value in timing.items() if value is not None}
    if not arguments.follow:
        if timing:
            raise CommandError("--settle and --poll-interval apply only with --follow")
        commits = store.scan(
            arguments.from_commit_id, after=arguments.after, page_size=arguments.page_size
        )
    else:
        commits = store.subscribe(
            arguments.after,
            commit_id=arguments.from_commit_id,
            page_size=arguments.page_size,
            **timing,
        )
    out = sys.stdout.buffer
    async with aclosing(commits):
        async for commit in commits:
            out.write(json_line(commit))
            if arguments.follow:
                out.flush()
