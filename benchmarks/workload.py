"""What every contender writes and reads: the same events in the seed library's item format.

The item is dynamodb-event-store 2.2.0's (see ../shared/FACTS.md) plus ``idempotencyKey``, the
attribute aio_eventstore adds. It is built by hand here, not with the store's private encoder,
so that the raw contenders and the seeding stay independent of the store's internals.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, TypedDict


class Credentials(TypedDict):
    """What a client of the local server is created with, as keyword arguments."""

    region_name: str
    aws_access_key_id: str
    aws_secret_access_key: str


CREDENTIALS = Credentials(
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",  # noqa: S106 - the local server's dummy credentials
)

INDEX_NAME = "commitsByCommitId"
"""The global index of every benchmark table (aio_eventstore's and the seed's default name)."""

NEW_VERSION = "attribute_not_exists(version)"
"""The condition of every append: the aggregate has no commit at the version yet."""

T0 = 1_704_164_645_678
"""The time of the first seeded commit, in epoch milliseconds (2024-01-02T03:04:05.678Z)."""

EVENTS: list[dict[str, Any]] = [
    {
        "type": "itemAdded",
        "orderId": "order-0001",
        "sku": "SKU-12345",
        "quantity": 2,
        "price": 19.99,
        "at": "2024-01-02T03:04:05.678Z",
    }
]
"""The events of every commit: one event of about 130 bytes of JSON, as a service writes it."""

Item = dict[str, dict[str, str]]


def encode_events(events: list[Any]) -> str:
    """Events as compact JSON text, as JavaScript's ``JSON.stringify`` writes them."""
    return json.dumps(events, separators=(",", ":"), ensure_ascii=False)


def now_ms() -> int:
    """The wall clock in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def commit_id(committed_at: int, aggregate_id: str) -> str:
    """``YYYYMMDDHHMMSSmmm:<aggregate id>``: the commit's UTC time and aggregate."""
    return f"{timestamp(committed_at)}:{aggregate_id}"


def timestamp(committed_at: int) -> str:
    """Epoch milliseconds as the 17 digits ``YYYYMMDDHHMMSSmmm`` (UTC) that begin a commit id."""
    seconds, millis = divmod(committed_at, 1000)
    return f"{time.strftime('%Y%m%d%H%M%S', time.gmtime(seconds))}{millis:03d}"


def commit_item(
    aggregate_id: str, version: int, committed_at: int, events_json: str, idempotency_key: str
) -> Item:
    """The stored item of one commit."""
    return {
        "commitId": {"S": commit_id(committed_at, aggregate_id)},
        "committedAt": {"N": str(committed_at)},
        "aggregateId": {"S": aggregate_id},
        "version": {"N": str(version)},
        "events": {"S": events_json},
        "active": {"S": "t"},
        "idempotencyKey": {"S": idempotency_key},
    }


def new_commit_item(aggregate_id: str, version: int) -> Item:
    """The item of a new commit of ``EVENTS``, stamped now, as an append writes it."""
    return commit_item(aggregate_id, version, now_ms(), encode_events(EVENTS), uuid.uuid4().hex)


def query_request(table: str, aggregate_id: str) -> dict[str, Any]:
    """The Query of every commit of one aggregate, strongly consistent (as the store's)."""
    return {
        "TableName": table,
        "ConsistentRead": True,
        "KeyConditionExpression": "aggregateId = :a AND version >= :v",
        "ExpressionAttributeValues": {":a": {"S": aggregate_id}, ":v": {"N": "0"}},
    }


def scan_request(table: str, from_commit_id: str | None = None) -> dict[str, Any]:
    """The Query of the global index: every commit of the table, from a commit id on."""
    condition = "active = :k"
    values = {":k": {"S": "t"}}
    if from_commit_id is not None:
        condition += " AND commitId >= :lo"
        values[":lo"] = {"S": from_commit_id}
    return {
        "TableName": table,
        "IndexName": INDEX_NAME,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }


def worker_shares(count: int, workers: int) -> list[int]:
    """How many of ``count`` appends each of ``workers`` sequential writers makes."""
    share, extra = divmod(count, workers)
    return [share + (1 if worker < extra else 0) for worker in range(workers)]
