"""An item of the global index that is not a commit: raised with its position, or skipped.

Another tool may write into the table, or a commit's events may not be JSON. A reader of
the stream must be able to get past such an item, and must not be stopped by it forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from conftest import T0, Clock

from aio_eventstore import Commit, EventStore, InvalidArgumentError, SerializationError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.parametrize("index_shards", [1, 3])

PAYLOAD = "secret-payload-not-json"


async def put_bad_item(store: EventStore, *, at: int) -> str:
    """An index item at time ``at`` whose events are not JSON; its position."""
    commit_id = f"2024010203040{at:04d}:agg-bad"
    await store.client.put_item(
        TableName=store.table_name,
        Item={
            "aggregateId": {"S": "agg-bad"},
            "version": {"N": "0"},
            "commitId": {"S": commit_id},
            "committedAt": {"N": str(T0)},
            "events": {"S": PAYLOAD},
            "active": {"S": "t"},
        },
    )
    return f"{commit_id}/0"


@dataclass
class AroundABadItem:
    """Three commits, a bad item, three commits, in stream order; the writers' clock."""

    store: EventStore
    clock: Clock
    commits: list[Commit]
    bad: str


async def around_a_bad_item(make_store: Any) -> AroundABadItem:
    clock = Clock()
    store: EventStore = await make_store(clock=clock)
    before = []
    for n in range(3):
        clock.now = T0 + n
        before.append(await store.append(f"agg-{n}", 0, [n]))
    bad = await put_bad_item(store, at=5678 + 10)  # 20240102030405688: after the first three
    after = []
    for n in range(3, 6):
        clock.now = T0 + 100 + n
        after.append(await store.append(f"agg-{n}", 0, [n]))
    clock.now = T0 + 60_000
    return AroundABadItem(store, clock, before + after, bad)


async def read_into(stream: AsyncIterator[Commit], into: list[Commit]) -> None:
    async for commit in stream:
        into.append(commit)  # noqa: PERF401 - what was read before an error counts too


async def take(stream: AsyncIterator[Commit], count: int) -> list[Commit]:
    taken = []
    async for commit in stream:
        taken.append(commit)
        if len(taken) == count:
            break
    return taken


async def test_scan_raises_at_the_item_with_its_position(make_store: Any) -> None:
    setup = await around_a_bad_item(make_store)
    store, commits, bad = setup.store, setup.commits, setup.bad
    seen: list[Commit] = []
    with pytest.raises(SerializationError) as caught:
        await read_into(store.scan(), seen)
    assert seen == commits[:3]
    assert caught.value.position == bad
    assert PAYLOAD not in str(caught.value)
    assert [c async for c in store.scan(after=caught.value.position)] == commits[3:]


async def test_scan_can_skip_the_item_logging_its_position(
    make_store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    setup = await around_a_bad_item(make_store)
    store, commits, bad = setup.store, setup.commits, setup.bad
    with caplog.at_level(logging.ERROR, logger="aio_eventstore"):
        assert [c async for c in store.scan(on_invalid="skip")] == commits
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert bad in record.getMessage()
    assert PAYLOAD not in caplog.text


async def test_subscribe_raises_at_the_item_and_resumes_past_it(make_store: Any) -> None:
    setup = await around_a_bad_item(make_store)
    store, commits = setup.store, setup.commits
    seen: list[Commit] = []
    with pytest.raises(SerializationError) as caught:
        await read_into(store.subscribe(settle=0, poll_interval=0.01), seen)
    assert seen == commits[:3]
    resumed = store.subscribe(after=caught.value.position, settle=0, poll_interval=0.01)
    assert await take(resumed, 3) == commits[3:]


async def test_subscribe_skips_the_item_once_and_goes_on_live(
    make_store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    setup = await around_a_bad_item(make_store)
    store, commits, bad = setup.store, setup.commits, setup.bad
    stream = store.subscribe(settle=0, poll_interval=0.01, on_invalid="skip")
    with caplog.at_level(logging.ERROR, logger="aio_eventstore"):
        assert await take(stream, 6) == commits
        live = await store.append("agg-live", 0, ["live"])  # many polls later
        setup.clock.now += 1  # settled
        assert await take(stream, 1) == [live]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"skipped an item that is not a commit at position {bad}"]


@pytest.mark.parametrize("on_invalid", ["ignore", None, True])
async def test_on_invalid_refuses_other_values(store: EventStore, on_invalid: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        await anext(store.scan(on_invalid=on_invalid))
    with pytest.raises(InvalidArgumentError):
        await anext(store.subscribe(on_invalid=on_invalid))
