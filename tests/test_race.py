"""Optimistic concurrency under contention: many writers, one aggregate, one winner a version."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aio_eventstore import Commit, VersionConflictError

if TYPE_CHECKING:
    from aio_eventstore import EventStore

WRITERS = 50
VERSIONS = 100


async def test_racing_writers_get_one_winner_per_version_and_no_gap(store: EventStore) -> None:
    won: list[Commit] = []
    lost: list[VersionConflictError] = []

    async def writer(name: str) -> None:
        version = 0
        while version < VERSIONS:
            try:
                won.append(await store.append("contended", version, [{"by": name}]))
            except VersionConflictError as conflict:
                lost.append(conflict)
            version += 1

    await asyncio.gather(*(writer(f"w{n}") for n in range(WRITERS)))

    commits = await store.query("contended")
    assert [c.version for c in commits] == list(range(VERSIONS))  # no gap
    assert sorted(won, key=lambda c: c.version) == commits  # one winner each, as stored
    assert len(won) + len(lost) == WRITERS * VERSIONS  # everyone else lost, typed
    assert all(conflict.aggregate_id == "contended" for conflict in lost)
    for conflict in lost:
        assert conflict.commit == commits[conflict.version]
