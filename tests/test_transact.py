"""transact: load, decide, append; on a conflict, read what is new and decide again."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import pytest
from conftest import raw_items

from aio_eventstore import Commit, EventStore, InvalidArgumentError, VersionConflictError

if TYPE_CHECKING:
    from collections.abc import Sequence


def count(state: int, event: dict[str, Any]) -> int:
    by: int = event["by"]
    return state + by


def increment(_: int) -> list[dict[str, Any]]:
    return [{"type": "incremented", "by": 1}]


async def test_a_command_on_a_new_aggregate_appends_version_zero(store: EventStore) -> None:
    state, commit = await store.transact("counter", increment, evolve=count, initial=0)
    assert state == 1
    assert commit is not None
    assert (commit.version, commit.events) == (0, [{"type": "incremented", "by": 1}])
    assert await store.query("counter") == [commit]


async def test_a_command_folds_what_is_there_before_deciding(store: EventStore) -> None:
    for version in range(3):
        await store.append("counter", version, [{"by": 10}])
    seen: list[int] = []

    def decide(state: int) -> list[dict[str, Any]]:
        seen.append(state)
        return [{"by": 1}]

    state, commit = await store.transact("counter", decide, evolve=count, initial=0)
    assert seen == [30]
    assert (state, commit and commit.version) == (31, 3)


async def test_no_events_write_nothing(store: EventStore) -> None:
    await store.append("counter", 0, [{"by": 2}])
    state, commit = await store.transact("counter", lambda _: [], evolve=count, initial=0)
    assert (state, commit) == (2, None)
    assert len(await raw_items(store)) == 1


async def test_a_decision_that_raises_writes_nothing(store: EventStore) -> None:
    def refuse(state: int) -> list[Any]:
        raise PermissionError(f"not at {state}")

    with pytest.raises(PermissionError, match="not at 0"):
        await store.transact("counter", refuse, evolve=count, initial=0)
    assert await raw_items(store) == []


async def test_an_async_decision_is_awaited(store: EventStore) -> None:
    async def decide(state: int) -> list[dict[str, Any]]:
        await asyncio.sleep(0)
        return [{"by": state + 5}]

    state, _ = await store.transact("counter", decide, evolve=count, initial=0)
    assert state == 5


async def test_twenty_concurrent_increments_end_at_twenty(make_store: Any) -> None:
    stores = [await make_store() for _ in range(4)]  # four processes, say

    async def command(n: int) -> tuple[int, Commit | None]:
        store: EventStore = stores[n % 4]
        return await store.transact("counter", increment, evolve=count, initial=0, max_attempts=25)

    results = await asyncio.gather(*(command(n) for n in range(20)))
    commits = await stores[0].query("counter")
    assert [c.version for c in commits] == list(range(20))
    assert sorted(state for state, _ in results) == list(range(1, 21))  # no lost update
    final, _ = await stores[0].transact("counter", lambda _: [], evolve=count, initial=0)
    assert final == 20


async def test_a_conflict_reads_only_the_commits_not_yet_seen(
    store: EventStore, make_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    other: EventStore = await make_store()
    await store.append("counter", 0, [{"by": 1}])
    queried: list[int] = []
    query = store.query

    async def spy(aggregate_id: str, version: int = 0) -> list[Commit]:
        queried.append(version)
        return await query(aggregate_id, version)

    monkeypatch.setattr(store, "query", spy)
    decisions: list[int] = []

    async def decide(state: int) -> list[dict[str, Any]]:
        decisions.append(state)
        if len(decisions) == 1:  # someone else appends first
            await other.append("counter", 1, [{"by": 100}])
        return [{"by": 1}]

    state, commit = await store.transact("counter", decide, evolve=count, initial=0)
    assert decisions == [1, 101]
    assert queried == [0, 1]  # everything, then only what followed version 0
    assert (state, commit and commit.version) == (102, 2)


async def test_the_last_conflict_is_raised_after_max_attempts(
    store: EventStore, make_store: Any
) -> None:
    other: EventStore = await make_store()
    decisions = 0

    async def always_beaten(state: int) -> list[dict[str, Any]]:
        nonlocal decisions
        decisions += 1
        await other.append("counter", state, [{"by": 1}])  # takes the next version first
        return [{"by": 1}]

    with pytest.raises(VersionConflictError) as caught:
        await store.transact("counter", always_beaten, evolve=count, initial=0, max_attempts=3)
    assert decisions == 3
    assert caught.value.version == 2


async def test_with_snapshots_a_load_reads_at_most_the_commits_since_the_last(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[Sequence[Commit]] = []
    query = store.query

    async def spy(aggregate_id: str, version: int = 0) -> list[Commit]:
        commits = await query(aggregate_id, version)
        read.append(commits)
        return commits

    monkeypatch.setattr(store, "query", spy)
    for _ in range(23):
        await store.transact("counter", increment, evolve=count, initial=0, snapshot_every=5)
    snapshot = await store.load_snapshot("counter")
    assert snapshot is not None
    assert (snapshot.version, snapshot.state) == (19, 20)  # after 20 commits
    assert max(len(commits) for commits in read) <= 4
    state, _ = await store.transact(
        "counter", lambda _: [], evolve=count, initial=0, snapshot_every=5
    )
    assert state == 23


async def test_a_snapshot_that_cannot_be_saved_never_fails_the_command(
    store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    def evolve(state: set[int], event: dict[str, Any]) -> set[int]:
        return state | {event["by"]}  # a set: not JSON

    def add_one(_: set[int]) -> list[dict[str, Any]]:
        return [{"by": 1}]

    nothing: set[int] = set()
    with caplog.at_level(logging.WARNING, logger="aio_eventstore"):
        state, commit = await store.transact(
            "counter", add_one, evolve=evolve, initial=nothing, snapshot_every=1
        )
    assert (state, commit and commit.version) == ({1}, 0)
    assert "could not be saved" in caplog.text
    assert await store.load_snapshot("counter") is None


@pytest.mark.parametrize(
    "options",
    [{"snapshot_every": 0}, {"max_attempts": 0}, {"max_attempts": 1.5}, {"snapshot_every": True}],
)
async def test_bad_options_are_refused(store: EventStore, options: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        await store.transact("counter", increment, evolve=count, initial=0, **options)
