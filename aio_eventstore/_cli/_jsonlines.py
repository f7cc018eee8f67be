"""A commit as one line of JSON, and back: what scan and export print and import reads."""

from __future__ import annotations

import json

from aio_eventstore._commit import Commit
from aio_eventstore._events import to_json

from ._exit import CommandError

__all__ = ["json_line", "parse_commit"]

_COMMIT_KEYS = ("commitId", "committedAt", "aggregateId", "version", "events")


def json_line(commit: Commit) -> bytes:
    """The commit as one line of UTF-8 JSON: the seed's shape, plus its position."""
    return f"{to_json({**commit.to_dict(), 'position': commit.position})}\n".encode()


def parse_commit(line: bytes, where: str) -> Commit:
    """The commit on a line that :func:`json_line` wrote, or ``CommandError`` naming ``where``."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise CommandError(f"{where}: not valid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise CommandError(f"{where}: a commit is a JSON object, not {type(record).__name__}")
    missing = [key for key in _COMMIT_KEYS if key not in record]
    if missing:
        raise CommandError(f"{where}: not a commit: no {', '.join(missing)}")
    unknown = sorted(set(record) - {*_COMMIT_KEYS, "position"})
    if unknown:
        raise CommandError(f"{where}: not a commit: unknown keys {', '.join(unknown)}")
    commit = Commit(*(record[key] for key in _COMMIT_KEYS))
    if record.get("position", commit.position) != commit.position:
        raise CommandError(f"{where}: position {record['position']!r} is not the commit's")
    return commit
