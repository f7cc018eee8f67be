"""The parser of the command line: the global options, then a subcommand."""

from __future__ import annotations

import argparse
import os

from aio_eventstore._store import DEFAULT_INDEX_NAME, DEFAULT_TABLE_NAME

from . import _backup, _commits, _demo, _groups, _stream, _tables
from ._command import PROG, positive
from ._exit import EXIT_MEANINGS, Exit

__all__ = ["COMMANDS", "INDEX_ENV", "INDEX_SHARDS_ENV", "TABLE_ENV", "build_parser"]

TABLE_ENV = "AIO_EVENTSTORE_TABLE"
INDEX_ENV = "AIO_EVENTSTORE_INDEX"
INDEX_SHARDS_ENV = "AIO_EVENTSTORE_INDEX_SHARDS"

COMMANDS = (
    *_demo.commands,
    *_tables.commands,
    *_commits.commands,
    *_stream.commands,
    *_groups.commands,
    *_backup.commands,
)
"""Every subcommand, in the order ``--help`` lists them."""


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
        type=positive,
        default=os.environ.get(INDEX_SHARDS_ENV) or "1",
        help="the writers' index shards; every reader and writer must use the same "
        f"(default: ${INDEX_SHARDS_ENV}, else 1)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v info, -vv debug")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="print the command's OpenTelemetry spans, with the capacity each request "
        "consumed, to stderr (needs opentelemetry-sdk)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        subparser = subparsers.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(subparser)
        subparser.set_defaults(handler=command.handler)
    return parser


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


def _version() -> str:
    from importlib.metadata import version  # noqa: PLC0415 - only the parser needs it

    return version("aio-eventstore")
