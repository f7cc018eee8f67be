"""How a subcommand is declared: once, by its handler, with its arguments beside it.

A module of commands makes a :class:`CommandGroup` and declares each command on it::

    commands = CommandGroup()


    @commands.command("latest", argument("aggregate_id", metavar="AGGREGATE_ID"))
    @with_store
    async def latest(store: EventStore, arguments: argparse.Namespace) -> None:
        ...

The handler's docstring is the command's ``--help``; its first line is the summary that the
top-level ``--help`` lists. The parser adds every group's commands, in one place.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import math
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiobotocore.session import AioSession

from aio_eventstore._store import EventStore

from ._trace import console_tracing

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Mapping

    Handler = Callable[[argparse.Namespace], Awaitable[None]]

__all__ = [
    "PAGE_SIZE",
    "PROG",
    "Argument",
    "Command",
    "CommandGroup",
    "OneOf",
    "argument",
    "natural",
    "note",
    "one_of",
    "positive",
    "seconds",
    "with_store",
]

PROG = "aio-eventstore"


@dataclass(frozen=True)
class Argument:
    """An argument of a command: what ``ArgumentParser.add_argument`` takes."""

    names: tuple[str, ...]
    options: Mapping[str, Any]


@dataclass(frozen=True)
class OneOf:
    """Arguments of which a command takes at most one."""

    arguments: tuple[Argument, ...]


def argument(*names: str, **options: Any) -> Argument:  # noqa: ANN401 - argparse's own options
    """An argument, declared as ``ArgumentParser.add_argument`` would add it."""
    return Argument(names, options)


def one_of(*arguments: Argument) -> OneOf:
    """Arguments that exclude each other."""
    return OneOf(arguments)


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, its handler (whose docstring is its help), its arguments."""

    name: str
    handler: Handler
    arguments: tuple[Argument | OneOf, ...] = ()

    @property
    def description(self) -> str:
        """The handler's docstring: the command's ``--help``."""
        return inspect.cleandoc(self.handler.__doc__ or "")

    @property
    def summary(self) -> str:
        """The first line of the description, as the top-level ``--help`` lists it."""
        first = self.description.partition("\n")[0].rstrip(".")
        return first[:1].lower() + first[1:]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the command's arguments to its parser."""
        for declared in self.arguments:
            if isinstance(declared, OneOf):
                group = parser.add_mutually_exclusive_group()
                for member in declared.arguments:
                    group.add_argument(*member.names, **member.options)
            else:
                parser.add_argument(*declared.names, **declared.options)


class CommandGroup:
    """The commands of one module, in the order they are declared."""

    def __init__(self) -> None:
        self._commands: list[Command] = []

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands)

    def command(self, name: str, *arguments: Argument | OneOf) -> Callable[[Handler], Handler]:
        """Declare the decorated handler as the command ``name``, taking ``arguments``."""

        def declare(handler: Handler) -> Handler:
            self._commands.append(Command(name, handler, arguments))
            return handler

        return declare


def with_store(
    handler: Callable[[EventStore, argparse.Namespace], Awaitable[None]],
) -> Handler:
    """The handler, given a store opened from the global options."""

    @functools.wraps(handler)
    async def run(arguments: argparse.Namespace) -> None:
        with ExitStack() as stack:
            # Traced, each request also reports the capacity it consumed.
            tracing: dict[str, Any] = {}
            if arguments.trace:
                provider = stack.enter_context(console_tracing())
                tracing = {"tracer_provider": provider, "consumed_capacity": True}
            # Whatever is not given stays None, for botocore to take from the AWS environment.
            store = EventStore(
                arguments.table,
                arguments.index,
                region_name=arguments.region,
                endpoint_url=arguments.endpoint_url,
                session=AioSession(profile=arguments.profile),
                index_shards=arguments.index_shards,
                **tracing,
            )
            async with store:
                await handler(store, arguments)

    return run


def note(message: str) -> None:
    """A line for the person at the terminal, on stderr."""
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


# The types of arguments: each refuses what is not its kind with a usage error.


def natural(text: str) -> int:
    """A whole number >= 0, in ASCII digits."""
    if not (text.isascii() and text.isdecimal()):
        raise argparse.ArgumentTypeError(f"not a whole number >= 0: {text!r}")
    return int(text)


def positive(text: str) -> int:
    """A whole number >= 1."""
    number = natural(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a whole number >= 1: {text!r}")
    return number


def seconds(text: str) -> float:
    """A finite number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds >= 0: {text!r}")
    return value


# Arguments that more than one command takes.

PAGE_SIZE = argument(
    "--page-size",
    metavar="N",
    type=positive,
    help="the most commits a request reads (default: what fits in 1 MB)",
)
