"""Where the store's client CPU goes: cProfile of its appends, small queries and a full scan.

    python -m benchmarks.profile_store [--transport direct|botocore] [--appends N]
        [--in-flight C] [--queries N] [--commits N] [--top K] [--telemetry default|off|sdk]

It starts its own dynalite, like the benchmark, and prints the functions with the most time
of their own (tottime) and the most time below them (cumtime), for each of the three: the
appends, queries of an aggregate of 10 commits (as many in flight as the appends), a scan.
Times are CPU time of this process (``time.process_time``): on a wall clock, whatever the
server does while the client waits in ``epoll`` or in a loopback ``send`` would count too.

``--telemetry`` sets the stores' telemetry: ``default`` is what ``EventStore`` does where it
runs (the global providers if ``opentelemetry-api`` is installed, else none), ``off`` none at
all, ``sdk`` OpenTelemetry's SDK exporting nothing, as the telemetry cases of the benchmark
set them up (``benchmarks/telemetry.py``; it needs ``opentelemetry-sdk``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from typing import TYPE_CHECKING

from aiobotocore.session import get_session

from aio_eventstore import EventStore
from benchmarks.seeding import seed, seeded_commits
from benchmarks.server import Dynalite
from benchmarks.workload import CREDENTIALS, EVENTS, INDEX_NAME, worker_shares

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from aio_eventstore._client import TransportName

_SMALL = "small-0"
_SMALL_COMMITS = 10


def main(argv: Sequence[str] | None = None) -> int:
    """Profile the store's appends, small queries and scan; print the top functions."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_store")
    parser.add_argument("--transport", choices=("direct", "botocore"), default="direct")
    parser.add_argument("--appends", type=int, default=3_000)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--queries", type=int, default=2_000, help="queries of 10 commits")
    parser.add_argument("--commits", type=int, default=20_000, help="commits scanned")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--telemetry", choices=("default", "off", "sdk"), default="default")
    arguments = parser.parse_args(argv)
    asyncio.run(_profile(arguments))
    return 0


async def _profile(arguments: argparse.Namespace) -> None:
    transport: TransportName = arguments.transport
    in_flight: int = arguments.in_flight
    top: int = arguments.top
    make = _maker(arguments.telemetry)
    server = Dynalite()
    try:
        session, url = get_session(), server.endpoint_url

        def store(table: str) -> EventStore:
            return make(
                table,
                INDEX_NAME,
                session=session,
                endpoint_url=url,
                transport=transport,
                **CREDENTIALS,
            )

        async with store("profile-appends") as writer, store("profile-scan") as reader:
            print(f"transport: {type(writer.transport).__name__}", flush=True)
            await writer.create_table()
            await reader.create_table()
            await seed(
                reader.client, reader.table_name, seeded_commits("scan", arguments.commits, 1_000)
            )
            await seed(reader.client, reader.table_name, seeded_commits("small", _SMALL_COMMITS, 1))
            await _write(writer, "warm", [1] * in_flight)
            await _query(reader, [1] * in_flight)
            appends = worker_shares(arguments.appends, in_flight)
            queries = worker_shares(arguments.queries, in_flight)
            await _report(
                f"{arguments.appends:,} appends, {in_flight} in flight",
                lambda: _write(writer, "profiled", appends),
                top,
            )
            await _report(
                f"{arguments.queries:,} queries of {_SMALL_COMMITS} commits, {in_flight} in flight",
                lambda: _query(reader, queries),
                top,
            )
            await _report(f"a scan of {arguments.commits:,} commits", lambda: _scan(reader), top)
    finally:
        server.stop()


def _maker(telemetry: str) -> Callable[..., EventStore]:
    """What makes the stores, with the telemetry asked for."""
    if telemetry == "default":
        return EventStore
    from benchmarks.telemetry import SdkTelemetry, without_telemetry  # noqa: PLC0415 - the SDK

    return without_telemetry if telemetry == "off" else SdkTelemetry().store


async def _write(store: EventStore, tag: str, shares: list[int]) -> None:
    async def writer(aggregate_id: str, versions: int) -> None:
        for version in range(versions):
            await store.append(aggregate_id, version, EVENTS)

    await asyncio.gather(*(writer(f"{tag}-w{w}", n) for w, n in enumerate(shares)))


async def _query(store: EventStore, shares: list[int]) -> None:
    async def reader(queries: int) -> None:
        for _ in range(queries):
            if len(await store.query(_SMALL)) != _SMALL_COMMITS:
                raise RuntimeError(f"{_SMALL} has not {_SMALL_COMMITS} commits")

    await asyncio.gather(*(reader(n) for n in shares))


async def _scan(store: EventStore) -> None:
    async for _ in store.scan():
        pass


async def _report(title: str, run: Callable[[], Awaitable[None]], top: int) -> None:
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    await run()
    profiler.disable()
    for order in ("tottime", "cumtime"):
        print(f"\n=== {title}: top {top} by {order} ===", flush=True)
        pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(top)


if __name__ == "__main__":
    sys.exit(main())
