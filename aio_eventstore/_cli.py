"""The ``aio-eventstore`` command line (also ``python -m aio_eventstore``).

Each subcommand is a row of :data:`COMMANDS`: a name, a small async handler whose docstring
is its help, and its arguments. Commits go to stdout as JSON lines, everything else to
stderr. An expected error ends the command with one line on stderr and the exit status that
:func:`exit_status`, the one mapping of errors to statuses, gives it.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import json
import logging
import math
import os
import stat
import sys
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING

from aiobotocore.session import AioSession

from ._commit import Commit
from ._demo import run_demo
from ._events import to_json
from ._exceptions import (
    AccessDeniedError,
    EventStoreError,
    InvalidArgumentError,
    SerializationError,
    TableExistsError,
    TableNotFoundError,
    ThrottledError,
    UnavailableError,
    VersionConflictError,
)
from ._progress import Progress
from ._store import DEFAULT_INDEX_NAME, DEFAULT_TABLE_NAME, EventStore

if TYPE_CHECKING:
    from collections.abc import (
        Awaitable,
        Callable,
        Iterable,
        Iterator,
        Sequence,
    )

    Handler = Callable[[argparse.Namespace], Awaitable[None]]

__all__ = ["COMMANDS", "EXIT_MEANINGS", "Exit", "build_parser", "exit_status", "main"]

PROG = "aio-eventstore"
TABLE_ENV = "AIO_EVENTSTORE_TABLE"
INDEX_ENV = "AIO_EVENTSTORE_INDEX"
INDEX_SHARDS_ENV = "AIO_EVENTSTORE_INDEX_SHARDS"


# Exit statuses, and the errors that end in each.


class Exit(IntEnum):
    """The exit statuses of the command."""

    OK = 0
    ERROR = 1
    USAGE = 2
    CONFLICT = 3
    TABLE_NOT_FOUND = 4
    TABLE_EXISTS = 5
    UNAVAILABLE = 6
    ACCESS_DENIED = 7
    NO_COMMITS = 8
    INTERRUPTED = 130
    BROKEN_PIPE = 141


EXIT_MEANINGS = {
    Exit.OK: "success",
    Exit.ERROR: "any other error",
    Exit.USAGE: "bad options or input: JSON, aggregate id, version, position, file",
    Exit.CONFLICT: "version conflict: the aggregate already has a commit at that version",
    Exit.TABLE_NOT_FOUND: "the table does not exist",
    Exit.TABLE_EXISTS: "create-table found the table (--exist-ok accepts it)",
    Exit.UNAVAILABLE: "DynamoDB unreachable, failing or throttling, after the retries",
    Exit.ACCESS_DENIED: "no usable AWS credentials, or access denied",
    Exit.NO_COMMITS: "latest: the aggregate has no commits",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
    Exit.BROKEN_PIPE: "stdout was closed early, as by '| head'",
}

# The first class an error is an instance of decides its status; any other is Exit.ERROR.
_STATUS_BY_ERROR: tuple[tuple[type[EventStoreError], Exit], ...] = (
    (VersionConflictError, Exit.CONFLICT),
    (InvalidArgumentError, Exit.USAGE),
    (SerializationError, Exit.USAGE),
    (TableNotFoundError, Exit.TABLE_NOT_FOUND),
    (TableExistsError, Exit.TABLE_EXISTS),
    (UnavailableError, Exit.UNAVAILABLE),
    (ThrottledError, Exit.UNAVAILABLE),
    (AccessDeniedError, Exit.ACCESS_DENIED),
)


class CommandError(Exception):
    """An error of the command line itself: bad input, or an action it refuses.

    Attributes:
        status: the exit status it ends the command with.
    """

    def __init__(self, message: str, status: Exit = Exit.USAGE) -> None:
        super().__init__(message)
        self.status = status


def exit_status(error: EventStoreError | CommandError) -> Exit:
    """The exit status an expected error ends the command with."""
    if isinstance(error, CommandError):
        return error.status
    for cls, status in _STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return Exit.ERROR


# The handlers: one coroutine per subcommand; the docstring is its --help.


def _with_store(
    handler: Callable[[EventStore, argparse.Namespace], Awaitable[None]],
) -> Handler:
    """The handler, given a store opened from the global options."""

    @functools.wraps(handler)
    async def run(arguments: argparse.Namespace) -> None:
        # Whatever is not given stays None, for botocore to take from the AWS environment.
        store = EventStore(
            arguments.table,
            arguments.index,
            region_name=arguments.region,
            endpoint_url=arguments.endpoint_url,
            session=AioSession(profile=arguments.profile),
            index_shards=arguments.index_shards,
        )
        async with store:
            await handler(store, arguments)

    return run


async def _demo(_arguments: argparse.Namespace) -> None:
    """Walk through the main job on an embedded moto server.

    Append, lose a race to a version conflict, query and scan, on a moto
    server started in this process: no AWS account, no network. Needs moto:
    pip install 'aio-eventstore[demo]'.
    """
    await run_demo()


@_with_store
async def _create_table(store: EventStore, arguments: argparse.Namespace) -> None:
    """Create the table and its global index, billed on demand.

    Returns once both are active. They have dynamodb-event-store's schema,
    so the JS library can share the table.
    """
    await store.create_table(exist_ok=arguments.exist_ok)
    _note(f"table {store.table_name!r} with index {store.index_name!r} is ready")


@_with_store
async def _delete_table(store: EventStore, arguments: argparse.Namespace) -> None:
    """Delete the table and every commit in it (only with --yes).

    Returns once the table is gone.
    """
    if not arguments.yes:
        raise CommandError(
            f"delete-table deletes table {store.table_name!r} and every commit in it: "
            "pass --yes to confirm"
        )
    await store.delete_table()
    _note(f"deleted table {store.table_name!r}")


@_with_store
async def _append(store: EventStore, arguments: argparse.Namespace) -> None:
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


@_with_store
async def _query(store: EventStore, arguments: argparse.Namespace) -> None:
    """Print every commit of an aggregate, in version order.

    Strongly consistent. Prints nothing for an aggregate without commits.
    """
    commits = await store.query(arguments.aggregate_id, arguments.from_version)
    sys.stdout.buffer.writelines(json_line(commit) for commit in commits)


@_with_store
async def _latest(store: EventStore, arguments: argparse.Namespace) -> None:
    """Print the commit of an aggregate with the highest version.

    Prints nothing and exits with status 8 if the aggregate has no commits.
    """
    commit = await store.latest(arguments.aggregate_id)
    if commit is None:
        raise CommandError(f"aggregate {arguments.aggregate_id!r} has no commits", Exit.NO_COMMITS)
    sys.stdout.buffer.write(json_line(commit))


@_with_store
async def _scan(store: EventStore, arguments: argparse.Namespace) -> None:
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


@_with_store
async def _export(store: EventStore, arguments: argparse.Namespace) -> None:
    """Write every commit to a file of JSON lines, for a backup or a migration.

    One line per commit, in the global order, as scan prints them. Shows
    progress on stderr when it is a terminal.
    """
    progress = Progress(sys.stderr, "exported")
    count = 0
    with _output(arguments.file) as (out, name):
        commits = store.scan(page_size=arguments.page_size)
        try:
            async with aclosing(commits):
                async for commit in commits:
                    out.write(json_line(commit))
                    count += 1
                    progress.update(count)
        except BaseException:
            progress.finish(count)
            _note(f"export stopped after {count:,} commits: {name} is incomplete")
            raise
    progress.finish(count)
    _note(f"exported {count:,} commits to {name}")


@_with_store
async def _import(store: EventStore, arguments: argparse.Namespace) -> None:
    """Write the commits of a file of JSON lines (from export) exactly as they are.

    Each commit keeps its commit id, time and version. A commit that is
    already stored is skipped, so importing a file twice changes nothing; a
    different commit at its version is a conflict (exit status 3). Prints how
    many commits were written and how many were already there; shows
    progress on stderr when it is a terminal.
    """
    tally = _Tally()
    in_flight: set[asyncio.Task[bool]] = set()
    with _input(arguments.file) as (lines, name, size):
        progress = Progress(sys.stderr, "imported", size)
        done_bytes = 0
        try:
            for number, line in enumerate(lines, 1):
                done_bytes += len(line)
                if not line.strip():
                    continue
                where = f"{name}:{number}"
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
            _note(f"{tally.written:,} written, {tally.present:,} already present")


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


# JSON lines in and out.

_COMMIT_KEYS = ("commitId", "committedAt", "aggregateId", "version", "events")


def json_line(commit: Commit) -> bytes:
    """The commit as one line of UTF-8 JSON: the seed's shape, plus its position."""
    return f"{to_json({**commit.to_dict(), 'position': commit.position})}\n".encode()


def parse_commit(line: bytes, where: str) -> Commit:
    """The commit on a line that :func:`json_line` wrote, or ``CommandError`` naming ``where``."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise CommandError(f"{where}: not valid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise CommandError(f"{where}: a commit is a JSON object, not {type(record).__name__}")
    missing = [key for key in _COMMIT_KEYS if key not in record]
    if missing:
        raise CommandError(f"{where}: not a commit: no {', '.join(missing)}")
    unknown = sorted(set(record) - {*_COMMIT_KEYS, "position"})
    if unknown:
        raise CommandError(f"{where}: not a commit: unknown keys {', '.join(unknown)}")
    commit = Commit(*(record[key] for key in _COMMIT_KEYS))
    if record.get("position", commit.position) != commit.position:
        raise CommandError(f"{where}: position {record['position']!r} is not the commit's")
    return commit


@contextmanager
def _output(path: str) -> Iterator[tuple[IO[bytes], str]]:
    """The file (``-``: stdout) to write JSON lines to, and its name for messages."""
    if path == "-":
        yield sys.stdout.buffer, "stdout"
        return
    try:
        file = Path(path).open("wb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}", Exit.ERROR) from None
    with file:
        yield file, path


@contextmanager
def _input(path: str) -> Iterator[tuple[IO[bytes], str, int | None]]:
    """The file (``-``: stdin) to read JSON lines from, its name, and its size if known."""
    if path == "-":
        yield sys.stdin.buffer, "stdin", _size(sys.stdin.buffer)
        return
    try:
        file = Path(path).open("rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    with file:
        yield file, path, _size(file)


def _size(file: IO[bytes]) -> int | None:
    """The size of a regular file; ``None`` for a pipe or a terminal."""
    try:
        info = os.fstat(file.fileno())
    except (OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _note(message: str) -> None:
    """A line for the person at the terminal, on stderr."""
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


# The parser.


def _natural(text: str) -> int:
    if not (text.isascii() and text.isdecimal()):
        raise argparse.ArgumentTypeError(f"not a whole number >= 0: {text!r}")
    return int(text)


def _positive(text: str) -> int:
    number = _natural(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a whole number >= 1: {text!r}")
    return number


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds >= 0: {text!r}")
    return seconds


def _no_arguments(_parser: argparse.ArgumentParser) -> None:
    pass


def _create_table_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--exist-ok", action="store_true", help="accept an existing table of the same schema"
    )


def _delete_table_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="confirm: delete every commit")


def _append_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("aggregate_id", metavar="AGGREGATE_ID")
    parser.add_argument("version", metavar="VERSION", type=_natural, help="from 0")
    parser.add_argument("events", metavar="EVENTS_JSON", help="a JSON array; '-' reads stdin")
    parser.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="your id for this append: repeated after an 'unavailable' error (exit status 6), "
        "it prints the commit if the first try was stored, rather than a conflict",
    )


def _aggregate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("aggregate_id", metavar="AGGREGATE_ID")


def _query_arguments(parser: argparse.ArgumentParser) -> None:
    _aggregate_arguments(parser)
    parser.add_argument(
        "--from-version", metavar="N", type=_natural, default=0, help="start at version N"
    )


def _page_size_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--page-size",
        metavar="N",
        type=_positive,
        help="the most commits a request reads (default: what fits in 1 MB)",
    )


def _scan_arguments(parser: argparse.ArgumentParser) -> None:
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--from",
        dest="from_commit_id",
        metavar="COMMIT_ID",
        help="start at commit id COMMIT_ID or the next; a prefix such as 20240101 starts at a date",
    )
    start.add_argument("--after", metavar="POSITION", help="start after this position")
    parser.add_argument("--follow", action="store_true", help="go on with new commits live")
    parser.add_argument(
        "--settle",
        metavar="S",
        type=_seconds,
        help="with --follow: seconds to hold a commit back for late writers (default: 2)",
    )
    parser.add_argument(
        "--poll-interval",
        metavar="S",
        type=_seconds,
        help="with --follow: seconds between polls once caught up (default: 1)",
    )
    _page_size_argument(parser)


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="where to write; '-' writes to stdout")
    _page_size_argument(parser)


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="what to read; '-' reads stdin")
    parser.add_argument(
        "--concurrency",
        metavar="N",
        type=_positive,
        default=16,
        help="how many commits to write at once (default: 16)",
    )


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, its handler (whose docstring is its help), its arguments."""

    name: str
    handler: Handler
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.handler.__doc__ or "")

    @property
    def summary(self) -> str:
        first = self.description.partition("\n")[0].rstrip(".")
        return first[:1].lower() + first[1:]


COMMANDS = (
    Command("demo", _demo),
    Command("create-table", _create_table, _create_table_arguments),
    Command("delete-table", _delete_table, _delete_table_arguments),
    Command("append", _append, _append_arguments),
    Command("query", _query, _query_arguments),
    Command("latest", _latest, _aggregate_arguments),
    Command("scan", _scan, _scan_arguments),
    Command("export", _export, _export_arguments),
    Command("import", _import, _import_arguments),
)


def _epilog() -> str:
    statuses = "\n".join(f"  {int(status):>3}  {EXIT_MEANINGS[status]}" for status in Exit)
    return (
        "environment:\n"
        f"  {TABLE_ENV}, {INDEX_ENV}, {INDEX_SHARDS_ENV}\n"
        "      the defaults of --table, --index and --index-shards\n"
        "  AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION,\n"
        "  AWS_PROFILE, AWS_ACCESS_KEY_ID, ..., ~/.aws/config and ~/.aws/credentials\n"
        "      read as every AWS tool reads them\n"
        "\n"
        f"exit status:\n{statuses}"
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of the command line: global options, then a subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Look into and operate a table of aio-eventstore or dynamodb-event-store\n"
        "commits. Commits go to stdout as JSON lines; messages go to stderr.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    aws = parser.add_argument_group("AWS (by default from the AWS environment and config)")
    aws.add_argument("--endpoint-url", metavar="URL", help="DynamoDB's endpoint URL")
    aws.add_argument("--region", metavar="REGION", help="the AWS region")
    aws.add_argument("--profile", metavar="NAME", help="the profile of the AWS config files")
    table = parser.add_argument_group("table")
    table.add_argument(
        "--table",
        metavar="NAME",
        default=os.environ.get(TABLE_ENV) or DEFAULT_TABLE_NAME,
        help=f"the table of commits (default: ${TABLE_ENV}, else {DEFAULT_TABLE_NAME})",
    )
    table.add_argument(
        "--index",
        metavar="NAME",
        default=os.environ.get(INDEX_ENV) or DEFAULT_INDEX_NAME,
        help=f"its global index (default: ${INDEX_ENV}, else {DEFAULT_INDEX_NAME})",
    )
    table.add_argument(
        "--index-shards",
        metavar="N",
        type=_positive,
        default=os.environ.get(INDEX_SHARDS_ENV) or "1",
        help="the writers' index shards; every reader and writer must use the same "
        f"(default: ${INDEX_SHARDS_ENV}, else 1)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v info, -vv debug")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        subparser = commands.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.arguments(subparser)
        subparser.set_defaults(handler=command.handler)
    return parser


def _version() -> str:
    from importlib.metadata import version  # noqa: PLC0415 - only the parser needs it

    return version("aio-eventstore")


@contextmanager
def _logging_to_stderr(verbosity: int) -> Iterator[None]:
    """The store's warnings (with -v, info; with -vv, debug) on stderr while the command runs."""
    logger = logging.getLogger("aio_eventstore")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel((logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)])
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit status."""
    arguments = build_parser().parse_args(argv)
    try:
        with _logging_to_stderr(arguments.verbose):
            asyncio.run(arguments.handler(arguments))
        sys.stdout.flush()  # here, rather than at exit, where a closed pipe can't be handled
    except KeyboardInterrupt:
        return Exit.INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout has gone: keep the flush at exit from failing as well.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.BROKEN_PIPE
    except (EventStoreError, CommandError) as error:
        _note(f"error: {_message(error, arguments)}")
        return exit_status(error)
    return Exit.OK


def _message(error: EventStoreError | CommandError, arguments: argparse.Namespace) -> str:
    """The error on one line, with what the person needs to act on it."""
    message = " ".join(str(error).splitlines())
    if isinstance(error, TableNotFoundError):
        # moto says this of a missing index too (DynamoDB: ValidationException).
        return f"table {arguments.table!r} or its index {arguments.index!r} not found: {message}"
    if isinstance(error, TableExistsError):
        return f"{message} (pass --exist-ok to accept it)"
    return message


if __name__ == "__main__":
    sys.exit(main())
