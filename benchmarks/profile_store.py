"""Where the store's client CPU goes: cProfile of its appends and of a full scan.

    python -m benchmarks.profile_store [--appends N] [--in-flight C] [--commits N] [--top K]

It starts its own dynalite, like the benchmark, and prints the functions with the most time
of their own (tottime) and the most time below them (cumtime), for each of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
from typing import TYPE_CHECKING

from aiobotocore.session import get_session

from aio_eventstore import EventStore
from benchmarks.seeding import seed, seeded_commits
from benchmarks.server import Dynalite
from benchmarks.workload import CREDENTIALS, EVENTS, worker_shares

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Profile the store's appends and scan; print the top functions."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_store")
    parser.add_argument("--appends", type=int, default=3_000)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--commits", type=int, default=20_000, help="commits scanned")
    parser.add_argument("--top", type=int, default=25)
    arguments = parser.parse_args(argv)
    asyncio.run(_profile(arguments.appends, arguments.in_flight, arguments.commits, arguments.top))
    return 0


async def _profile(appends: int, in_flight: int, commits: int, top: int) -> None:
    server = Dynalite()
    try:
        session, url = get_session(), server.endpoint_url
        async with (
            EventStore(
                "profile-appends", session=session, endpoint_url=url, **CREDENTIALS
            ) as writer,
            EventStore("profile-scan", session=session, endpoint_url=url, **CREDENTIALS) as reader,
        ):
            await writer.create_table()
            await reader.create_table()
            await seed(reader.client, reader.table_name, seeded_commits("scan", commits, 1_000))
            await _write(writer, "warm", [1] * in_flight)
            shares = worker_shares(appends, in_flight)
            await _report(
                f"{appends:,} appends, {in_flight} in flight",
                lambda: _write(writer, "profiled", shares),
                top,
            )
            await _report(f"a scan of {commits:,} commits", lambda: _scan(reader), top)
    finally:
        server.stop()


async def _write(store: EventStore, tag: str, shares: list[int]) -> None:
    async def writer(aggregate_id: str, versions: int) -> None:
        for version in range(versions):
            await store.append(aggregate_id, version, EVENTS)

    await asyncio.gather(*(writer(f"{tag}-w{w}", n) for w, n in enumerate(shares)))


async def _scan(store: EventStore) -> None:
    async for _ in store.scan():
        pass


async def _report(title: str, run: Callable[[], Awaitable[None]], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    await run()
    profiler.disable()
    for order in ("tottime", "cumtime"):
        print(f"\n=== {title}: top {top} by {order} ===", flush=True)
        pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(top)


if __name__ == "__main__":
    sys.exit(main())
