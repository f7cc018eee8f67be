"""Deciding on a long aggregate: ``transact`` with snapshots, against query, fold, append.

A command handler loads an aggregate, decides, and appends at the next version. By hand that
is ``query`` of every commit, a fold of their events, and ``append``: the whole history read
for every command. ``transact(..., snapshot_every=N)`` loads the newest snapshot and only the
commits after it, and saves a new snapshot each time the commits cross a multiple of N.

Each sample has an aggregate of its own: ``commits`` commits (a multiple of N), seeded just
before it and untimed, with a snapshot of its last version saved by ``save_snapshot``, also
untimed. That is the state an aggregate driven by ``transact`` is in when its commits reach a
multiple of N: the command that wrote the last one saved it. (A first ``transact`` on an
aggregate without a snapshot would read every commit and save none: the next multiple is N
commits away.) The sample is then N commands, one after the other, each appending one
commit: one whole cycle from a snapshot to the next, which its last command saves. So
``transact`` reads 0 to N-1 commits after the snapshot, 49.5 on average for N = 100, where
the hand-written loop reads ``commits`` to ``commits + N - 1``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchmarks.contender import TRANSACT
from benchmarks.meter import SentCounter, direct_sent, measure
from benchmarks.seeding import seed, seeded_commits
from benchmarks.workload import EVENTS

if TYPE_CHECKING:
    from aio_eventstore import EventStore
    from benchmarks.contender import Sample

State = dict[str, int]
"""What a command decides on: how many items were added to the order, and their quantity."""

INITIAL: State = {"items": 0, "quantity": 0}


def evolve(state: State, event: Any) -> State:  # noqa: ANN401 - an event is any JSON value
    """The state after one event: an item added."""
    return {"items": state["items"] + 1, "quantity": state["quantity"] + event["quantity"]}


def decide(_: State) -> list[Any]:
    """The events of one command: the workload's one event, an item added."""
    return EVENTS


def folded(events: int) -> State:
    """The state after ``events`` of the workload's events."""
    return {"items": events, "quantity": events * EVENTS[0]["quantity"]}


class DecidingProbe:
    """Runs one snapshot cycle of commands on a new long aggregate, by either contender."""

    def __init__(self, store: EventStore, commits: int, snapshot_every: int) -> None:
        if commits % snapshot_every:
            raise ValueError(f"{commits} commits are not a multiple of {snapshot_every}")
        self._store = store
        self._commits = commits
        self._every = snapshot_every
        self._counter = SentCounter([direct_sent(store)])

    async def measure(self, contender: str, tag: str) -> Sample:
        """Seed the aggregate ``{tag}-0`` (untimed), then time ``snapshot_every`` commands."""
        store = self._store
        aggregate_id = f"{tag}-0"
        await seed(store.client, store.table_name, seeded_commits(tag, self._commits, 1))
        last = self._commits - 1
        if contender == TRANSACT:
            await store.save_snapshot(aggregate_id, last, folded(self._commits))
        await store.latest(aggregate_id)  # opens a connection, untimed
        command = self._transact if contender == TRANSACT else self._by_hand
        states: list[State] = []

        async def commands() -> int:
            states.extend([await command(aggregate_id) for _ in range(self._every)])
            return self._every

        sample = await measure(commands, self._counter)
        expected = [folded(self._commits + n) for n in range(1, self._every + 1)]
        if states != expected:
            raise RuntimeError(f"{contender} decided on wrong states: {states} not {expected}")
        if contender == TRANSACT:
            snapshot = await store.load_snapshot(aggregate_id)
            if snapshot is None or snapshot.version != last + self._every:
                raise RuntimeError(f"the cycle's last command saved no snapshot: {snapshot}")
        return sample

    async def _transact(self, aggregate_id: str) -> State:
        state, commit = await self._store.transact(
            aggregate_id, decide, evolve=evolve, initial=INITIAL, snapshot_every=self._every
        )
        if commit is None:
            raise RuntimeError("transact appended nothing")
        return state

    async def _by_hand(self, aggregate_id: str) -> State:
        commits = await self._store.query(aggregate_id)
        state = INITIAL
        for commit in commits:
            for event in commit.events:
                state = evolve(state, event)
        appended = await self._store.append(aggregate_id, commits[-1].version + 1, decide(state))
        for event in appended.events:
            state = evolve(state, event)
        return state
