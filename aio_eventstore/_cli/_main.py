"""Running the command: parse, run the subcommand's handler, end with its exit status."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from aio_eventstore._exceptions import EventStoreError, TableExistsError, TableNotFoundError

from ._command import PROG, note
from ._exit import CommandError, Exit, exit_status
from ._parser import build_parser

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Sequence

__all__ = ["main"]


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
        note(f"error: {_message(error, arguments)}")
        return exit_status(error)
    return Exit.OK


@contextmanager
def _logging_to_stderr(verbosity: int) -> Iterator[None]:
    """The store's warnings (with -v, info; with -vv, debug) on stderr while the command runs.

    Other libraries' records (botocore's tracebacks of a failed credential refresh, say) are
    dropped: the command reports the error they lead to on one line of its own.
    """
    logger = logging.getLogger("aio_eventstore")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel((logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)])
    others = logging.NullHandler()  # keeps logging's last-resort handler quiet
    logging.getLogger().addHandler(others)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(others)
        logger.removeHandler(handler)
        logger.setLevel(level)


def _message(error: EventStoreError | CommandError, arguments: argparse.Namespace) -> str:
    """The error on one line, with what the person needs to act on it."""
    message = " ".join(str(error).splitlines())
    if isinstance(error, TableNotFoundError):
        # moto says this of a missing index too (DynamoDB: ValidationException).
        return f"table {arguments.table!r} or its index {arguments.index!r} not found: {message}"
    if isinstance(error, TableExistsError):
        return f"{message} (pass --exist-ok to accept it)"
    return message
