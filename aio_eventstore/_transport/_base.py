"""What the store asks of a transport: send one DynamoDB data-plane request, get its answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Answer", "Request", "Transport"]

Request = dict[str, Any]
"""A request in DynamoDB's JSON protocol: ``{"TableName": ..., "Item": {...}, ...}``."""

Answer = dict[str, Any]
"""An answer in DynamoDB's JSON protocol: ``{"Items": [...], "LastEvaluatedKey": ...}``."""


class Transport(Protocol):
    """Sends the store's data-plane requests (PutItem, GetItem, Query, UpdateItem, ...).

    A transport retries what is worth retrying, and raises the store's typed errors for the
    rest (``ConditionFailedError`` for a failed condition).
    """

    async def call(self, operation: str, request: Request | Callable[[], Request]) -> Answer:
        """Send ``request`` as ``operation`` and return DynamoDB's answer.

        ``request`` may be a function that builds it: it is called once per attempt, so that
        each attempt can be stamped afresh.
        """
        ...

    async def close(self) -> None:
        """Release what the transport holds (connections); safe to call twice."""
        ...
