"""Checks of the arguments callers pass, made before any request is sent."""

from __future__ import annotations

import math
from typing import TypeGuard

from ._exceptions import InvalidArgumentError, InvalidCommitError
from ._position import MAX_TIMESTAMP

__all__ = [
    "MAX_AGGREGATE_ID_BYTES",
    "MAX_VERSION",
    "check_aggregate_id",
    "check_group",
    "check_idempotency_key",
    "check_page_size",
    "check_positive",
    "check_seconds",
    "check_version",
    "is_timestamp",
]

MAX_AGGREGATE_ID_BYTES = 1006
"""The GSI range key ``commitId`` (17 digits, ``:``, the id) may hold at most 1,024 bytes."""

MAX_VERSION = 2**53 - 1
"""The largest version JavaScript's numbers hold exactly: the JS library must read it back."""

MAX_IDEMPOTENCY_KEY_CHARS = 256


def check_aggregate_id(
    aggregate_id: object, error: type[InvalidArgumentError] = InvalidArgumentError
) -> str:
    """``aggregate_id`` if it is a valid aggregate id, else ``error``."""
    if not isinstance(aggregate_id, str):
        raise error(f"aggregate_id must be a str, not {type(aggregate_id).__name__}")
    if not aggregate_id:
        raise error("aggregate_id must not be empty")
    try:
        size = len(aggregate_id.encode())
    except UnicodeEncodeError:
        raise error("aggregate_id contains a lone surrogate, which UTF-8 cannot encode") from None
    if size > MAX_AGGREGATE_ID_BYTES:
        raise error(
            f"aggregate_id is {size:,} UTF-8 bytes; at most {MAX_AGGREGATE_ID_BYTES:,} fit "
            "in the global index's commit id"
        )
    return aggregate_id


def check_version(
    version: object,
    error: type[InvalidArgumentError] = InvalidArgumentError,
    *,
    name: str = "version",
) -> int:
    """``version`` if it is a valid version, else ``error``."""
    if not _is_int(version):
        raise error(f"{name} must be an int, not {type(version).__name__}")
    if not 0 <= version <= MAX_VERSION:
        raise error(f"{name} must be from 0 to 2**53-1, not {version}")
    return version


def check_idempotency_key(key: object) -> str:
    """``key`` if it is a valid idempotency key, else ``InvalidCommitError``."""
    if not isinstance(key, str):
        raise InvalidCommitError(f"idempotency_key must be a str, not {type(key).__name__}")
    if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY_CHARS or not key.isprintable():
        raise InvalidCommitError(
            f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable characters"
        )
    return key


def check_page_size(page_size: object) -> int | None:
    """``page_size`` if it is ``None`` or a positive int, else ``InvalidArgumentError``."""
    return None if page_size is None else check_positive(page_size, "page_size")


def check_positive(value: object, name: str) -> int:
    """``value`` if it is a positive int, else ``InvalidArgumentError``."""
    if not _is_int(value) or value < 1:
        raise InvalidArgumentError(f"{name} must be a positive int, not {value!r}")
    return value


def check_seconds(value: object, name: str, *, allow_zero: bool = True) -> float:
    """``value`` if it is a finite number of seconds (above 0 unless ``allow_zero``)."""
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidArgumentError(f"{name} must be a finite number {bound}, not {value!r}")
    return value


def check_group(member: object, size: object) -> tuple[int, int]:
    """``(member, size)`` if they name a member of a consumer group, else an error."""
    if not _is_int(size) or size < 1:
        raise InvalidArgumentError(f"group_size must be a positive int, not {size!r}")
    if not _is_int(member) or not 0 <= member < size:
        raise InvalidArgumentError(f"group_member must be in range({size}), not {member!r}")
    return member, size


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_timestamp(value: object) -> TypeGuard[int]:
    """True if ``value`` is epoch milliseconds that a 17-digit commit id can hold."""
    return _is_int(value) and 0 <= value <= MAX_TIMESTAMP
