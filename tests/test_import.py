"""import_commit: a commit written exactly as given, for imports and migrations."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
from conftest import TRANSPORTS, raw_items

from aio_eventstore import Commit, EventStore, InvalidCommitError, VersionConflictError

if TYPE_CHECKING:
    from faultproxy import FaultProxy

# A contract test: it holds on either transport.
pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


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


@pytest.mark.parametrize(
    ("stored", "imported"),
    [
        ([1], [True]),
        ([1.0], [True]),
        ([0], [False]),
        ([{"n": 1.0}], [{"n": 1}]),
        ([{"n": 1, "m": 2}], [{"m": 2, "n": 1}]),
    ],
    ids=["int-for-bool", "float-for-bool", "zero-for-false", "float-for-int", "key-order"],
)
async def test_an_import_whose_events_differ_only_in_json_text_is_a_conflict(
    store: EventStore, stored: list[Any], imported: list[Any]
) -> None:
    await store.import_commit(dataclasses.replace(EXPORTED, events=stored))
    with pytest.raises(VersionConflictError):
        await store.import_commit(dataclasses.replace(EXPORTED, events=imported))
    assert len(await raw_items(store)) == 1


async def test_an_import_whose_answer_was_lost_reports_written(
    store: EventStore, make_store: Any, proxy: FaultProxy
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("lose_response", operation="PutItem", times=1)
    assert await proxied.import_commit(EXPORTED) is True
    assert proxy.requests["PutItem"] == 2  # the lost try, and the retry that found it
    assert await store.query("agg-A") == [EXPORTED]
    assert await proxied.import_commit(EXPORTED) is False  # a later, separate import
