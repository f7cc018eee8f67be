"""A commit: the events one append stored atomically, and its place in the global stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._position import SortKey, format_position, sort_key_of

__all__ = ["Commit"]


@dataclass(frozen=True, slots=True)
class Commit:
    """Events appended to one aggregate at one version, atomically.

    Attributes:
        commit_id: ``YYYYMMDDHHMMSSmmm:<aggregate id>``, the commit's UTC time and aggregate;
            the global stream is ordered by it (and by version among equal commit ids).
        committed_at: the commit's time in epoch milliseconds.
        aggregate_id: the aggregate the events belong to.
        version: the commit's version within the aggregate, from 0.
        events: the events, as decoded from their stored JSON.
    """

    commit_id: str
    committed_at: int
    aggregate_id: str
    version: int
    events: list[Any]

    @property
    def position(self) -> str:
        """Where this commit stands in the global stream; pass it as ``after=`` to resume.

        Opaque: store it and hand it back, but don't take it apart. Positions name
        commits exactly, also when several commits share one commit id.
        """
        return format_position(self.commit_id, self.version)

    @property
    def sort_key(self) -> SortKey:
        """The commit's place in the global order: commit id, then version."""
        return sort_key_of(self)

    def to_dict(self) -> dict[str, Any]:
        """The commit in dynamodb-event-store's JSON shape."""
        return {
            "commitId": self.commit_id,
            "committedAt": self.committed_at,
            "aggregateId": self.aggregate_id,
            "version": self.version,
            "events": self.events,
        }
