"""A commit: the events one append stored atomically, and its place in the global stream."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidPositionError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Commit", "format_position", "parse_position", "stream_order"]

# A commit id: the UTC time of the commit as 17 digits, a colon, the aggregate id.
COMMIT_ID = re.compile(r"\d{17}:.+", re.DOTALL)

_POSITION_SEPARATOR = "/"

stream_order: Callable[[Commit], tuple[str, int]] = operator.attrgetter("commit_id", "version")
"""A commit's place in the global order (``Commit.sort_key``), computed in C for sorting."""


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
    def sort_key(self) -> tuple[str, int]:
        """The commit's place in the global order: commit id, then version."""
        return stream_order(self)

    def to_dict(self) -> dict[str, Any]:
        """The commit in dynamodb-event-store's JSON shape."""
        return {
            "commitId": self.commit_id,
            "committedAt": self.committed_at,
            "aggregateId": self.aggregate_id,
            "version": self.version,
            "events": self.events,
        }


def format_position(commit_id: str, version: int) -> str:
    """The position of the commit with this commit id and version."""
    return f"{commit_id}{_POSITION_SEPARATOR}{version}"


def parse_position(position: object) -> tuple[str, int]:
    """The (commit id, version) named by a position, or ``InvalidPositionError``."""
    if not isinstance(position, str):
        raise InvalidPositionError(f"a position is a str, not {type(position).__name__}")
    commit_id, separator, version = position.rpartition(_POSITION_SEPARATOR)
    if not separator or not version.isdecimal() or not version.isascii():
        raise InvalidPositionError(f"not a position: {position!r}")
    check_commit_id(commit_id)
    return commit_id, int(version)


def check_commit_id(commit_id: object) -> str:
    """``commit_id`` if it has the form of a commit id, else ``InvalidPositionError``."""
    if not isinstance(commit_id, str) or COMMIT_ID.fullmatch(commit_id) is None:
        raise InvalidPositionError(f"not a commit id: {commit_id!r}")
    return commit_id
