"""A server outage mid-run: dynalite keeps its data on disk, is killed, and restarts.

Writers retry with idempotency keys, a subscriber waits the outage out; afterwards every
acknowledged commit is stored once and delivered once, in scan order. This runs on dynalite
only: it is the server here that can be killed and brought back with its data.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from botocore.config import Config
from conftest import TEST_CREDENTIALS, raw_items
from servers import Dynalite

from aio_eventstore import Commit, EventStore, UnavailableError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

COMMITS = 60
KILL_AFTER = 20


@pytest.fixture
def dynalite(tmp_path: Path) -> Iterator[Dynalite]:
    server = Dynalite(path=tmp_path / "data")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def store(dynalite: Dynalite) -> AsyncIterator[EventStore]:
    # Few, quick retries, so that the outage reaches the callers as UnavailableError.
    config = Config(
        connect_timeout=1, read_timeout=2, retries={"mode": "standard", "max_attempts": 2}
    )
    async with EventStore(
        "commits",
        "commitsByCommitId",
        endpoint_url=dynalite.endpoint_url,
        config=config,
        **TEST_CREDENTIALS,
    ) as store:
        await store.create_table()
        yield store


class Writer:
    """Appends commits, retrying through the outage with the same idempotency keys."""

    def __init__(self, store: EventStore, dynalite: Dynalite) -> None:
        self.store = store
        self.dynalite = dynalite
        self.failures = 0
        self.restarted: asyncio.Task[None] | None = None

    async def append(self, n: int) -> Commit:
        while True:
            try:
                return await self.store.append(
                    f"agg-{n % 5}", n // 5, [{"n": n}], idempotency_key=f"w-{n}"
                )
            except UnavailableError:
                self.failures += 1
                if self.restarted is None:  # the outage reached the writer: end it soon
                    self.restarted = asyncio.ensure_future(self._restart())
                await asyncio.sleep(0.05)

    async def _restart(self) -> None:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(self.dynalite.start)


async def test_an_outage_loses_and_repeats_nothing(dynalite: Dynalite, store: EventStore) -> None:
    delivered: list[Commit] = []
    all_delivered = asyncio.Event()

    async def subscriber() -> None:
        async for commit in store.subscribe(settle=3.0, poll_interval=0.05):
            delivered.append(commit)
            if len(delivered) == COMMITS:
                all_delivered.set()

    following = asyncio.ensure_future(subscriber())
    writer = Writer(store, dynalite)
    acknowledged = []
    for n in range(COMMITS):
        if n == KILL_AFTER:
            dynalite.kill()
        acknowledged.append(await writer.append(n))
    await asyncio.wait_for(all_delivered.wait(), timeout=60)
    await asyncio.sleep(0.5)  # room for a duplicate to show up, if there were one
    following.cancel()

    assert writer.failures > 0, "the writer must have met the outage"
    items = await raw_items(store)
    assert sorted(item["idempotencyKey"]["S"] for item in items) == sorted(
        f"w-{n}" for n in range(COMMITS)
    )
    scanned = [c async for c in store.scan()]
    assert sorted(scanned, key=by_position) == sorted(acknowledged, key=by_position)
    assert delivered == scanned


def by_position(commit: Commit) -> tuple[str, int]:
    return commit.sort_key
