"""Property-based tests: the store against an in-memory model, and fuzzed append inputs.

Hypothesis drives a real store on each backend. Its rules run in an event loop of their own
(hypothesis calls them synchronously), one table for each test function.
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from conftest import Backend, new_table_name, raw_items
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from aio_eventstore import (
    Commit,
    InvalidCommitError,
    SerializationError,
    VersionConflictError,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Iterator

T = TypeVar("T")

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
NOT_JSON = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not math.isfinite(x)),
    st.binary(max_size=4),
    st.sets(st.integers(), max_size=2),
    st.builds(object),
    st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=2),
    st.complex_numbers(allow_nan=False, allow_infinity=False),
)
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.builds(object),
)


def mostly(
    valid: st.SearchStrategy[Any], *others: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Valid values about three times in four, the others the rest of the time."""
    junk = st.one_of(*others)
    return st.integers(0, 3).flatmap(lambda n: junk if n == 3 else valid)


EVENTS = mostly(
    st.lists(JSON, min_size=1, max_size=3),
    st.lists(st.one_of(JSON, NOT_JSON), min_size=1, max_size=3),
    st.tuples(JSON, JSON),
    ANYTHING,
)
AGGREGATE_IDS = mostly(
    st.text(min_size=1, max_size=40),
    st.text(alphabet="é", min_size=500, max_size=510),  # around the 1,006-byte limit
    st.just("lone \ud800 surrogate"),
    st.just(""),
    ANYTHING,
)
VERSIONS = mostly(
    st.integers(0, 5), st.integers(-3, -1), st.sampled_from([2**53 - 1, 2**53]), ANYTHING
)

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Loop:
    """An event loop of the test's own, and a store on a new table in it."""

    def __init__(self, backend: Backend) -> None:
        self.loop = asyncio.new_event_loop()
        self.store = backend.store(new_table_name())
        self.run(self.store.open())
        self.run(self.store.create_table())

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def close(self) -> None:
        self.run(self.store.delete_table())
        self.run(self.store.close())
        self.loop.close()


@pytest.fixture
def loop(backend: Backend) -> Iterator[Loop]:
    loop = Loop(backend)
    try:
        yield loop
    finally:
        loop.close()


def as_stored(value: Any) -> Any:
    """What JSON gives back for a value: tuples become lists."""
    if isinstance(value, list | tuple):
        return [as_stored(item) for item in value]
    if isinstance(value, dict):
        return {key: as_stored(item) for key, item in value.items()}
    return value


@SETTINGS
@given(aggregate_id=AGGREGATE_IDS, version=VERSIONS, events=EVENTS)
def test_any_append_round_trips_exactly_or_fails_typed_writing_nothing(
    loop: Loop, aggregate_id: Any, version: Any, events: Any
) -> None:
    store = loop.store
    before = len(loop.run(raw_items(store)))
    try:
        commit = loop.run(store.append(aggregate_id, version, events))
    except (InvalidCommitError, SerializationError) as error:
        event(f"refused: {type(error).__name__}")
        assert len(loop.run(raw_items(store))) == before
        return
    except VersionConflictError as conflict:  # hypothesis drew this id and version before
        assert conflict.commit is not None
        assert (conflict.commit.aggregate_id, conflict.commit.version) == (aggregate_id, version)
        return
    event("stored")
    [stored] = loop.run(store.query(aggregate_id, version))[:1]
    assert stored.commit_id == commit.commit_id
    assert stored.events == as_stored(events)
    assert json.dumps(stored.events) == json.dumps(as_stored(events))
    assert len(loop.run(raw_items(store))) == before + 1


class StoreModel(RuleBasedStateMachine):
    """The store's observable behaviour, checked against a dict of commits."""

    loop: Loop

    def __init__(self) -> None:
        super().__init__()
        self.prefix = uuid.uuid4().hex[:8]  # each run its own aggregates, on the shared table
        self.commits: dict[tuple[str, int], Commit] = {}

    def aggregate(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    @rule(
        name=st.sampled_from("abc"),
        version=st.integers(0, 4),
        events=st.lists(JSON, min_size=1, max_size=2),
    )
    def append(self, name: str, version: int, events: list[Any]) -> None:
        aggregate_id = self.aggregate(name)
        try:
            commit = self.loop.run(self.loop.store.append(aggregate_id, version, events))
        except VersionConflictError as conflict:
            assert (aggregate_id, version) in self.commits
            assert conflict.commit == self.commits[aggregate_id, version]
        else:
            assert (aggregate_id, version) not in self.commits
            assert commit.events == events
            self.commits[aggregate_id, version] = commit

    @rule(
        name=st.sampled_from("abc"),
        version=st.integers(0, 4),
        key=st.text(min_size=1, max_size=8).filter(str.isprintable),
    )
    def append_twice_with_one_idempotency_key(self, name: str, version: int, key: str) -> None:
        aggregate_id = self.aggregate(name)
        if (aggregate_id, version) in self.commits:
            return
        store = self.loop.store
        first = self.loop.run(store.append(aggregate_id, version, ["once"], idempotency_key=key))
        again = self.loop.run(store.append(aggregate_id, version, ["once"], idempotency_key=key))
        assert again == first
        self.commits[aggregate_id, version] = first

    @rule(name=st.sampled_from("abc"), version=st.integers(0, 5))
    def query(self, name: str, version: int) -> None:
        aggregate_id = self.aggregate(name)
        expected = sorted(
            (c for (a, v), c in self.commits.items() if a == aggregate_id and v >= version),
            key=lambda c: c.version,
        )
        assert self.loop.run(self.loop.store.query(aggregate_id, version)) == expected

    @rule(name=st.sampled_from("abc"))
    def latest(self, name: str) -> None:
        aggregate_id = self.aggregate(name)
        mine = [c for (a, _), c in self.commits.items() if a == aggregate_id]
        expected = max(mine, key=lambda c: c.version) if mine else None
        assert self.loop.run(self.loop.store.latest(aggregate_id)) == expected

    @invariant()
    def scan_lists_every_commit_in_stream_order(self) -> None:
        async def mine() -> list[Commit]:
            return [
                c async for c in self.loop.store.scan() if c.aggregate_id.startswith(self.prefix)
            ]

        assert self.loop.run(mine()) == sorted(self.commits.values(), key=lambda c: c.sort_key)


def test_the_store_behaves_like_its_model(loop: Loop) -> None:
    StoreModel.loop = loop
    run_state_machine_as_test(
        StoreModel,
        settings=settings(
            max_examples=15,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
