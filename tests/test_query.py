"""query and latest: one aggregate's commits, strongly consistent, every page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from conftest import TRANSPORTS

from aio_eventstore import EventStore, InvalidArgumentError

if TYPE_CHECKING:
    from collections import Counter

# A contract test: it holds on either transport.
pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)


async def test_query_returns_the_commits_from_a_version_in_order(store: EventStore) -> None:
    for version in range(5):
        await store.append("agg-A", version, [{"v": version}])
    await store.append("agg-B", 0, [{"other": True}])
    commits = await store.query("agg-A", version=2)
    assert [(c.aggregate_id, c.version, c.events) for c in commits] == [
        ("agg-A", 2, [{"v": 2}]),
        ("agg-A", 3, [{"v": 3}]),
        ("agg-A", 4, [{"v": 4}]),
    ]


async def test_query_from_version_zero_by_default(store: EventStore) -> None:
    await store.append("agg-A", 0, [1])
    await store.append("agg-A", 1, [2])
    assert [c.version for c in await store.query("agg-A")] == [0, 1]


async def test_query_of_an_unknown_aggregate_is_empty(store: EventStore) -> None:
    assert await store.query("nobody") == []


async def test_query_reads_every_page_past_one_megabyte(
    store: EventStore, counted: EventStore, sent: Counter[str]
) -> None:
    payload = "x" * 100_000
    for version in range(25):  # about 2.5 MB in one aggregate
        await store.append("agg-A", version, [{"v": version, "payload": payload}])
    commits = await counted.query("agg-A")
    assert [c.version for c in commits] == list(range(25))
    assert all(c.events[0]["payload"] == payload for c in commits)
    assert sent["Query"] >= 3


async def test_latest_returns_the_highest_version(
    store: EventStore, counted: EventStore, sent: Counter[str]
) -> None:
    for version in (0, 1, 7):
        await store.append("agg-A", version, [{"v": version}])
    head = await counted.latest("agg-A")
    assert head is not None
    assert (head.version, head.events) == (7, [{"v": 7}])
    assert sent == {"Query": 1}


async def test_latest_of_an_unknown_aggregate_is_none(store: EventStore) -> None:
    await store.append("agg-A", 0, [1])
    assert await store.latest("agg-B") is None


@pytest.mark.parametrize("version", [-1, 2**53, True, 1.5, "0", None])
async def test_query_refuses_a_bad_version(
    counted: EventStore, sent: Counter[str], version: object
) -> None:
    with pytest.raises(InvalidArgumentError):
        await counted.query("agg-A", version)  # type: ignore[arg-type]
    assert sent == {}


@pytest.mark.parametrize("aggregate_id", ["", None, 7, "\ud800", "x" * 1007])
async def test_reads_refuse_a_bad_aggregate_id(
    counted: EventStore, sent: Counter[str], aggregate_id: object
) -> None:
    with pytest.raises(InvalidArgumentError):
        await counted.query(aggregate_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        await counted.latest(aggregate_id)  # type: ignore[arg-type]
    assert sent == {}
