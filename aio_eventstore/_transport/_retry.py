"""The direct transport's retry policy: which failures to retry, how often, how long to wait.

Retried: throttling (``ThrottledError``) and what leaves a request's fate unknown or says the
service failed (``UnavailableError``: HTTP 5xx, dropped connections, timeouts, an answer whose
CRC32 does not match). Never retried: validation errors, failed conditions, missing tables,
access denied: the same request would fail the same way.

The shape is botocore's ``standard`` mode for DynamoDB, so that a store keeps its documented
bounds whichever transport it uses: at most ``attempts`` requests in all (4 by default), with
full-jitter exponential backoff between them, from up to 1 s after a throttle (then 2, 4 s:
at most 7 s in all) and from up to 25 ms after another failure. A retry quota, shared by
every request of the transport, stops retries when most recent requests failed, so that a
struggling table is not hit by a storm of retries: each retry costs 5 tokens (10 after a
timeout), each success returns one, and the quota starts and caps at 500.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aio_eventstore._exceptions import EventStoreError, ThrottledError, UnavailableError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_ATTEMPTS", "RetryPolicy"]

DEFAULT_ATTEMPTS = 4
"""Requests in all, the first included: the store's default (``total_max_attempts``)."""

# botocore's attempts when retries names no count: standard mode's, and legacy mode's for
# DynamoDB (its default mode, unless the AWS configuration says otherwise).
_ATTEMPTS_BY_MODE = {"standard": 3, "legacy": 10}
_THROTTLED_BASE = 1.0
_FAILED_BASE = 0.025  # botocore's for DynamoDB
_MAX_BACKOFF = 20.0
_QUOTA = 500
_RETRY_COST = 5
_TIMEOUT_RETRY_COST = 10


@dataclass
class RetryPolicy:
    """When to retry a failed request, and after how long.

    Attributes:
        attempts: requests in all for one call, the first included.
    """

    attempts: int = DEFAULT_ATTEMPTS
    _quota: int = field(default=_QUOTA, repr=False)
    _random: Any = field(default=random.random, repr=False)

    @classmethod
    def from_config(cls, retries: Mapping[str, Any] | None) -> RetryPolicy:
        """The policy that a botocore ``retries`` setting describes.

        ``total_max_attempts`` counts every request, ``max_attempts`` the retries only (as
        botocore reads them); without either, what botocore's mode makes of DynamoDB: 3
        requests in standard mode, 10 in legacy mode. The backoff is standard mode's in
        either: the store's bounds do not depend on the mode.
        """
        retries = retries or {}
        if "total_max_attempts" in retries:
            attempts = int(retries["total_max_attempts"])
        elif "max_attempts" in retries:
            attempts = int(retries["max_attempts"]) + 1
        else:
            attempts = _ATTEMPTS_BY_MODE.get(retries.get("mode", "legacy"), 3)
        return cls(max(attempts, 1))

    def backoff(self, attempt: int, error: EventStoreError) -> float | None:
        """Seconds to wait before retrying after ``attempt`` (from 1) ended in ``error``.

        ``None``: don't retry (an error worth no retry, the attempts spent, or the quota).
        """
        if attempt >= self.attempts or not isinstance(error, ThrottledError | UnavailableError):
            return None
        cost = _TIMEOUT_RETRY_COST if _is_timeout(error) else _RETRY_COST
        if self._quota < cost:
            return None
        self._quota -= cost
        base = _THROTTLED_BASE if isinstance(error, ThrottledError) else _FAILED_BASE
        return float(self._random() * min(base * 2 ** (attempt - 1), _MAX_BACKOFF))

    def succeeded(self, attempt: int) -> None:
        """Return to the quota what a call that succeeded at ``attempt`` took from it."""
        refund = 1 if attempt == 1 else _RETRY_COST
        self._quota = min(self._quota + refund, _QUOTA)


def _is_timeout(error: EventStoreError) -> bool:
    return isinstance(error.__cause__, TimeoutError | asyncio.TimeoutError)
