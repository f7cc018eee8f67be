"""Decide, then append: a command handler's loop, with snapshots and retries on conflict.

Load the aggregate (its newest snapshot, then the commits after it), fold the events into a
state, ask ``decide`` for the events that a command makes happen, append them at the next
version. If another writer took that version first, read only the commits not yet seen,
fold them, and decide again: optimistic concurrency, as Equinox's Decider and KurrentDB's
expected revisions do it.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any, TypeVar

from ._exceptions import EventStoreError, InvalidArgumentError, VersionConflictError
from ._snapshots import Snapshot, save_snapshot
from ._validation import check_aggregate_id, check_positive

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from ._commit import Commit
    from ._store import EventStore

__all__ = ["transact"]

logger = logging.getLogger("aio_eventstore")

S = TypeVar("S")


async def transact(
    store: EventStore,
    aggregate_id: str,
    decide: Callable[[S], Sequence[Any] | Awaitable[Sequence[Any]]],
    *,
    evolve: Callable[[S, Any], S],
    initial: S,
    snapshot_every: int | None,
    max_attempts: int,
) -> tuple[S, Commit | None]:
    """The loop of ``EventStore.transact``: see there."""
    check_aggregate_id(aggregate_id)
    if not callable(decide) or not callable(evolve):
        raise InvalidArgumentError("decide and evolve must be functions")
    if snapshot_every is not None:
        check_positive(snapshot_every, "snapshot_every")
    check_positive(max_attempts, "max_attempts")
    state, version = await _load(
        store, aggregate_id, initial, evolve, snapshots=bool(snapshot_every)
    )
    for attempt in range(1, max_attempts + 1):
        events = await _decision(decide, state)
        if not events:
            return state, None
        try:
            commit = await store.append(aggregate_id, version + 1, events)  # type: ignore[arg-type]
        except VersionConflictError:
            if attempt == max_attempts:
                raise
            logger.debug("transact: version %d was taken; deciding again", version + 1)
            state, version = await _catch_up(store, aggregate_id, state, version, evolve)
            continue
        for event in commit.events:
            state = evolve(state, event)
        if snapshot_every is not None and _crosses(version, commit.version, snapshot_every):
            taken_at = store._clock.now()  # noqa: SLF001 - the store's own clock
            await _save_snapshot(store, Snapshot(aggregate_id, commit.version, state, taken_at))
        return state, commit
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


async def _load(
    store: EventStore,
    aggregate_id: str,
    initial: S,
    evolve: Callable[[S, Any], S],
    *,
    snapshots: bool,
) -> tuple[S, int]:
    """The aggregate's state and version: from its newest snapshot if asked, then commits."""
    state, version = initial, -1
    if snapshots:
        snapshot = await store.load_snapshot(aggregate_id)
        if snapshot is not None:
            state, version = snapshot.state, snapshot.version
    return await _catch_up(store, aggregate_id, state, version, evolve)


async def _decision(
    decide: Callable[[S], Sequence[Any] | Awaitable[Sequence[Any]]], state: S
) -> Sequence[Any]:
    events = decide(state)
    if inspect.isawaitable(events):
        return await events
    return events


async def _catch_up(
    store: EventStore,
    aggregate_id: str,
    state: S,
    version: int,
    evolve: Callable[[S, Any], S],
) -> tuple[S, int]:
    """The state and version after folding the commits that follow ``version``."""
    for commit in await store.query(aggregate_id, version + 1):
        for event in commit.events:
            state = evolve(state, event)
        version = commit.version
    return state, version


def _crosses(before: int, after: int, every: int) -> bool:
    """True if the count of commits went past a multiple of ``every``."""
    return (after + 1) // every > (before + 1) // every


async def _save_snapshot(store: EventStore, snapshot: Snapshot) -> None:
    """Save a snapshot the command just made possible; a failure is logged, never raised."""
    try:
        # The version was just written by this very call: no need to check that it exists.
        telemetry = store._telemetry  # noqa: SLF001 - the store's own
        with telemetry.operation("save_snapshot", snapshot.aggregate_id):
            await save_snapshot(store.transport, store.table_name, snapshot, verified=True)
    except EventStoreError as error:
        logger.warning(
            "a snapshot at version %d could not be saved: %s: %s",
            snapshot.version,
            type(error).__name__,
            error,
        )
