"""The commands that copy a table through a file of JSON lines: ``export``, ``import``."""

from __future__ import annotations

import asyncio
import sys
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aio_eventstore._exceptions import (
    InvalidArgumentError,
    SerializationError,
    VersionConflictError,
)
from aio_eventstore._shards import index_keys

from ._command import PAGE_SIZE, CommandGroup, argument, note, positive, with_store
from ._exit import CommandError, exit_status
from ._files import LineReader, open_input, open_output
from ._jsonlines import json_line, parse_commit
from ._progress import Progress

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable

    from aio_eventstore._commit import Commit
    from aio_eventstore._store import EventStore

__all__ = ["SHARDS_PROBED", "commands"]

commands = CommandGroup()

SHARDS_PROBED = 64
"""How many index shards export looks into for commits that ``--index-shards`` would miss."""


@commands.command(
    "export",
    argument("file", metavar="FILE", help="where to write; '-' writes to stdout"),
    PAGE_SIZE,
)
@with_store
async def export_commits(store: EventStore, arguments: argparse.Namespace) -> None:
    """Write every commit to a file of JSON lines, for a backup or a migration.

    One line per commit, in the global order, as scan prints them. FILE is
    replaced only once every commit is in it: a failed export leaves it as
    it was. Shows progress on stderr when it is a terminal.
    """
    await _refuse_unread_shards(store)
    progress = Progress(sys.stderr, "exported")
    count = 0
    with open_output(arguments.file) as output:
        commits = store.scan(page_size=arguments.page_size)
        try:
            async with aclosing(commits):
                async for commit in commits:
                    output.file.write(json_line(commit))
                    count += 1
                    progress.update(count)
        except BaseException:
            progress.finish(count)
            outcome = "is unchanged" if output.replaces else "is incomplete"
            note(f"export stopped after {count:,} commits: {output.name} {outcome}")
            raise
    progress.finish(count)
    note(f"exported {count:,} commits to {output.name}")


async def _refuse_unread_shards(store: EventStore) -> None:
    """Refuse to export a table whose writers used more index shards than the store reads.

    Without this, the export of such a table ends with status 0 and a file that lacks the
    commits of the other shards.
    """
    stray = await store._stray_index_keys(SHARDS_PROBED)  # noqa: SLF001 - the store's own check
    if stray:
        shards = max(map(index_keys(SHARDS_PROBED).index, stray)) + 1
        raise CommandError(
            f"commits exist under index shard keys {', '.join(stray)}, which an export with "
            f"--index-shards {store.index_shards} would not read: pass the writers' "
            f"--index-shards N (at least {shards})"
        )


@commands.command(
    "import",
    argument("file", metavar="FILE", help="what to read; '-' reads stdin"),
    argument(
        "--concurrency",
        metavar="N",
        type=positive,
        default=16,
        help="how many commits to write at once (default: 16)",
    ),
)
@with_store
async def import_commits(store: EventStore, arguments: argparse.Namespace) -> None:
    """Write the commits of a file of JSON lines (from export) exactly as they are.

    Each commit keeps its commit id, time and version. A commit that is
    already stored is skipped, so importing a file twice changes nothing; a
    different commit at its version is a conflict (exit status 3). Prints how
    many commits were written and how many were already there; shows
    progress on stderr when it is a terminal.
    """
    tally = _Tally()
    in_flight: set[asyncio.Task[bool]] = set()
    with open_input(arguments.file) as source:
        progress = Progress(sys.stderr, "imported", source.size)
        done_bytes = 0
        try:
            async with LineReader(source.file, source.name) as lines:
                number = 0
                async for line in lines:
                    number += 1
                    done_bytes += len(line)
                    if not line.strip():
                        continue
                    where = f"{source.name}:{number}"
                    commit = parse_commit(line, where)
                    while len(in_flight) >= arguments.concurrency:
                        await tally.wait(in_flight)
                        progress.update(tally.count, done_bytes)
                    in_flight.add(asyncio.ensure_future(_import_one(store, commit, where)))
            while in_flight:
                await tally.wait(in_flight)
                progress.update(tally.count, done_bytes)
        finally:
            for task in in_flight:
                task.cancel()
            tally.add(await asyncio.gather(*in_flight, return_exceptions=True))
            progress.finish(tally.count, done_bytes)
            note(f"{tally.written:,} written, {tally.present:,} already present")


async def _import_one(store: EventStore, commit: Commit, where: str) -> bool:
    try:
        return await store.import_commit(commit)
    except (InvalidArgumentError, SerializationError, VersionConflictError) as error:
        # An error of this commit, rather than of the table or the connection: name its line.
        raise CommandError(f"{where}: {error}", exit_status(error)) from error


@dataclass
class _Tally:
    """How many commits an import wrote, and how many were already there."""

    written: int = 0
    present: int = 0

    @property
    def count(self) -> int:
        return self.written + self.present

    def add(self, results: Iterable[bool | BaseException]) -> None:
        """Count the results of imports: True for written, False for already present."""
        for result in results:
            if result is True:
                self.written += 1
            elif result is False:
                self.present += 1

    async def wait(self, in_flight: set[asyncio.Task[bool]]) -> None:
        """Wait for some imports in flight; count them, then raise the first error if any."""
        done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        in_flight -= done
        errors = [error for task in done if (error := task.exception()) is not None]
        self.add(task.result() for task in done if task.exception() is None)
        if errors:
            raise errors[0]
