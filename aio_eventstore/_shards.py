"""Which hash key of the global index a commit goes to, and which consumer takes an aggregate.

The seed puts every commit under one index hash key, ``"t"``: one index partition takes every
write of the store, about 1,000 a second on DynamoDB. With ``index_shards=N`` an aggregate's
commits go to one of N hash keys, chosen by a hash of its id that is the same in every
process and Python version (CRC-32 of its UTF-8 bytes; Python's ``hash()`` is salted).
Shard 0 keeps ``"t"``, so a table written with one shard is a valid table of any N.
"""

from __future__ import annotations

import zlib

__all__ = ["index_key", "index_keys", "stable_hash"]

_SEED_KEY = "t"


def stable_hash(aggregate_id: str) -> int:
    """A hash of an aggregate id that never changes between processes or versions."""
    return zlib.crc32(aggregate_id.encode("utf-8", "surrogatepass"))


def index_key(aggregate_id: str, shards: int) -> str:
    """The global index hash key under which the aggregate's new commits are written."""
    return _key(stable_hash(aggregate_id) % shards)


def index_keys(shards: int) -> list[str]:
    """Every hash key of a global index of ``shards`` shards, in shard order."""
    return [_key(shard) for shard in range(shards)]


def _key(shard: int) -> str:
    return _SEED_KEY if shard == 0 else f"{_SEED_KEY}{shard}"
