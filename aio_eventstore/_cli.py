"""The ``aio-eventstore`` command line (also ``python -m aio_eventstore``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from ._demo import run_demo

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aio-eventstore",
        description="Look into and operate an aio-eventstore / dynamodb-event-store table.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("demo", help="walk through the main job on an embedded moto server")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit status."""
    arguments = build_parser().parse_args(argv)
    if arguments.command == "demo":
        asyncio.run(run_demo())
    return 0


if __name__ == "__main__":
    sys.exit(main())
