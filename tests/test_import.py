"""import_commit: a commit written exactly as given, for imports and migrations."""

from __future__ import annotations

import pytest
from conftest import raw_items

from aio_eventstore import Commit, EventStore, InvalidCommitError, VersionConflictError

EXPORTED = Commit("20240102030405678:agg-A", 1_704_164_645_678, "agg-A", 3, [{"n": 1}])


async def test_an_imported_commit_keeps_its_commit_id_and_time(store: EventStore) -> None:
    assert await store.import_commit(EXPORTED) is True
    assert await store.query("agg-A") == [EXPORTED]
    assert [c async for c in store.scan()] == [EXPORTED]


async def test_importing_the_same_commit_twice_changes_nothing(store: EventStore) -> None:
    await store.import_commit(EXPORTED)
    assert await store.import_commit(EXPORTED) is False
    assert len(await raw_items(store)) == 1


async def test_importing_over_a_different_commit_is_a_conflict(store: EventStore) -> None:
    await store.append("agg-A", 3, [{"n": "other"}])
    with pytest.raises(VersionConflictError) as caught:
        await store.import_commit(EXPORTED)
    assert caught.value.commit is not None
    assert caught.value.commit.events == [{"n": "other"}]


@pytest.mark.parametrize(
    "commit",
    [
        Commit("20240102030405679:agg-A", 1_704_164_645_678, "agg-A", 3, [1]),
        Commit("20240102030405678:agg-B", 1_704_164_645_678, "agg-A", 3, [1]),
        Commit("20240102030405678:agg-A", 1_704_164_645_678, "agg-A", -1, [1]),
        Commit("20240102030405678:agg-A", 1_704_164_645_678, "agg-A", 3, []),
    ],
    ids=["time", "aggregate", "version", "events"],
)
async def test_an_inconsistent_commit_is_refused(store: EventStore, commit: Commit) -> None:
    with pytest.raises(InvalidCommitError):
        await store.import_commit(commit)
    assert await raw_items(store) == []
