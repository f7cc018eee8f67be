"""Commit ids and positions: where a commit stands in the global stream.

A **commit id** is ``YYYYMMDDHHMMSSmmm:<aggregate id>``: the commit's UTC time as 17 digits,
a colon, its aggregate id (dynamodb-event-store's format). The global index sorts by it.
Several commits can share one (one aggregate, one millisecond), so the global order is by
commit id, then version: a commit's **sort key**.

A **position** names one commit exactly, as ``"<commit id>/<version>"``. Callers treat it as
opaque: they store it and hand it back as ``after=``.
"""

from __future__ import annotations

import operator
import re
import time
from typing import TYPE_CHECKING

from ._exceptions import InvalidPositionError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "COMMIT_ID_PATTERN",
    "MAX_TIMESTAMP",
    "SortKey",
    "check_commit_id",
    "format_commit_id",
    "format_position",
    "format_timestamp",
    "parse_position",
    "sort_key_of",
]

COMMIT_ID_PATTERN = re.compile(r"\d{17}:.+", re.DOTALL)
"""What every commit id looks like: 17 digits of UTC time, a colon, the aggregate id."""

MAX_TIMESTAMP = 253_402_300_799_999
"""The last millisecond of the year 9999, the last a 17-digit commit id can hold."""

SortKey = tuple[str, int]
"""A commit's place in the global order: (commit id, version)."""

sort_key_of: Callable[[object], SortKey] = operator.attrgetter("commit_id", "version")
"""The sort key of anything with a ``commit_id`` and a ``version``, computed in C."""

_SEPARATOR = "/"


def format_timestamp(committed_at: int) -> str:
    """Epoch milliseconds as the 17 digits ``YYYYMMDDHHMMSSmmm`` (UTC) of a commit id."""
    seconds, millis = divmod(committed_at, 1000)
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(seconds)) + f"{millis:03d}"


def format_commit_id(committed_at: int, aggregate_id: str) -> str:
    """The commit id of a commit: its UTC time as 17 digits, a colon, its aggregate id."""
    return f"{format_timestamp(committed_at)}:{aggregate_id}"


def format_position(commit_id: str, version: int) -> str:
    """The position of the commit with this commit id and version."""
    return f"{commit_id}{_SEPARATOR}{version}"


def parse_position(position: object) -> SortKey:
    """The (commit id, version) named by a position, or ``InvalidPositionError``."""
    if not isinstance(position, str):
        raise InvalidPositionError(f"a position is a str, not {type(position).__name__}")
    commit_id, separator, version = position.rpartition(_SEPARATOR)
    if not separator or not version.isdecimal() or not version.isascii():
        raise InvalidPositionError(f"not a position: {position!r}")
    check_commit_id(commit_id)
    return commit_id, int(version)


def check_commit_id(commit_id: object) -> str:
    """``commit_id`` if it has the form of a commit id, else ``InvalidPositionError``."""
    if not isinstance(commit_id, str) or COMMIT_ID_PATTERN.fullmatch(commit_id) is None:
        raise InvalidPositionError(f"not a commit id: {commit_id!r}")
    return commit_id
