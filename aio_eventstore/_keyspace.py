"""The reserved key space: items in the table of commits that are not commits.

The table is keyed by ``aggregateId`` (hash) and ``version`` (range). Commits have versions
from 0, and every read of commits asks for ``version >= 0`` (the JS library's too). Every
other item the store keeps there has a **negative version**, one per kind, and **no global
index key** (no ``active``, no ``commitId``), so that it never enters the global index:

=============  ===========================  =======  ====================================
kind           aggregateId                  version  what
=============  ===========================  =======  ====================================
checkpoint     ``$checkpoint:<name>``       -1       a named consumer's position
snapshot       ``<aggregate id>``           -2       the newest snapshot of an aggregate
lease          ``$group:<group>``           -1000-p  partition ``p``'s lease and checkpoint
=============  ===========================  =======  ====================================

Kinds never collide with each other or with commits, whatever the names: each kind has its
own version, and commits have none below 0. The ``$`` prefix only makes them readable in a
console. A snapshot sits in its aggregate's own partition, beside its commits; a consumer
group's leases share one partition key, so that one strongly consistent Query reads them
all. This module is the one place that lays out their keys.
"""

from __future__ import annotations

from ._exceptions import InvalidArgumentError
from ._item import AGGREGATE_ID_ATTRIBUTE, VERSION_ATTRIBUTE, Item

__all__ = [
    "CHECKPOINT_VERSION",
    "MAX_PARTITIONS",
    "SNAPSHOT_VERSION",
    "checkpoint_key",
    "group_key",
    "lease_key",
    "lease_partition",
    "lease_versions",
    "snapshot_key",
]

CHECKPOINT_VERSION = -1
SNAPSHOT_VERSION = -2
_FIRST_LEASE_VERSION = -1000
MAX_PARTITIONS = 1000
"""A consumer group's partitions take the versions -1000 down to -1999."""

_CHECKPOINT_PREFIX = "$checkpoint:"
_GROUP_PREFIX = "$group:"
_MAX_NAME_BYTES = 1024


def checkpoint_key(name: object) -> Item:
    """The key of the checkpoint called ``name``, or ``InvalidArgumentError``."""
    return _key(_CHECKPOINT_PREFIX, _check_name(name, "a checkpoint name"), CHECKPOINT_VERSION)


def snapshot_key(aggregate_id: str) -> Item:
    """The key of the newest snapshot of ``aggregate_id`` (an id already checked)."""
    return _key("", aggregate_id, SNAPSHOT_VERSION)


def group_key(group: object) -> str:
    """The partition key all leases of consumer group ``group`` share, or an error."""
    return _GROUP_PREFIX + _check_name(group, "a group name")


def lease_key(group_key: str, partition: int) -> Item:
    """The key of the lease of ``partition`` (from 0) in the group of ``group_key``."""
    return {
        AGGREGATE_ID_ATTRIBUTE: {"S": group_key},
        VERSION_ATTRIBUTE: {"N": str(_FIRST_LEASE_VERSION - partition)},
    }


def lease_versions(partitions: int) -> tuple[int, int]:
    """The lowest and highest versions of a group of ``partitions`` leases."""
    return _FIRST_LEASE_VERSION - partitions + 1, _FIRST_LEASE_VERSION


def lease_partition(version: int) -> int:
    """The partition whose lease has ``version``."""
    return _FIRST_LEASE_VERSION - version


def _key(prefix: str, name: str, version: int) -> Item:
    return {AGGREGATE_ID_ATTRIBUTE: {"S": prefix + name}, VERSION_ATTRIBUTE: {"N": str(version)}}


def _check_name(name: object, what: str) -> str:
    if isinstance(name, str) and name:
        try:
            size = len(name.encode())
        except UnicodeEncodeError:
            raise InvalidArgumentError(
                f"{what} contains a lone surrogate, which UTF-8 cannot encode"
            ) from None
        if size <= _MAX_NAME_BYTES:
            return name
    raise InvalidArgumentError(
        f"{what} is a non-empty str of at most {_MAX_NAME_BYTES} UTF-8 bytes, not {name!r}"
    )
