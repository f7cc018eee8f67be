"""The table and global index that hold commits: dynamodb-event-store's schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._exceptions import EventStoreError
from ._item import (
    AGGREGATE_ID_ATTRIBUTE,
    COMMIT_ID_ATTRIBUTE,
    INDEX_KEY_ATTRIBUTE,
    VERSION_ATTRIBUTE,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["check_schema", "statuses", "table_definition"]

_TABLE_KEYS = [
    {"AttributeName": AGGREGATE_ID_ATTRIBUTE, "KeyType": "HASH"},
    {"AttributeName": VERSION_ATTRIBUTE, "KeyType": "RANGE"},
]
_INDEX_KEYS = [
    {"AttributeName": INDEX_KEY_ATTRIBUTE, "KeyType": "HASH"},
    {"AttributeName": COMMIT_ID_ATTRIBUTE, "KeyType": "RANGE"},
]


def table_definition(table_name: str, index_name: str) -> dict[str, Any]:
    """The CreateTable request: the seed's keys and index, billed on demand."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": AGGREGATE_ID_ATTRIBUTE, "AttributeType": "S"},
            {"AttributeName": VERSION_ATTRIBUTE, "AttributeType": "N"},
            {"AttributeName": INDEX_KEY_ATTRIBUTE, "AttributeType": "S"},
            {"AttributeName": COMMIT_ID_ATTRIBUTE, "AttributeType": "S"},
        ],
        "KeySchema": _TABLE_KEYS,
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index_name,
                "KeySchema": _INDEX_KEYS,
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def check_schema(table: dict[str, Any], index_name: str) -> None:
    """Raise ``EventStoreError`` unless a DescribeTable answer is the commits' schema."""
    name = table.get("TableName")
    if _keys(table.get("KeySchema")) != _keys(_TABLE_KEYS):
        raise EventStoreError(f"table {name!r} exists, but is not keyed by aggregateId, version")
    for index in table.get("GlobalSecondaryIndexes") or []:
        if index.get("IndexName") == index_name:
            if _keys(index.get("KeySchema")) != _keys(_INDEX_KEYS):
                raise EventStoreError(f"index {index_name!r} is not keyed by active, commitId")
            if index.get("Projection", {}).get("ProjectionType") != "ALL":
                raise EventStoreError(f"index {index_name!r} does not project all attributes")
            return
    raise EventStoreError(f"table {name!r} exists, but has no global index {index_name!r}")


def statuses(table: dict[str, Any], index_name: str) -> tuple[str, str | None]:
    """The table's status and its index's, from a DescribeTable answer; ``ACTIVE`` when ready."""
    indexes = {
        index.get("IndexName"): index.get("IndexStatus")
        for index in table.get("GlobalSecondaryIndexes") or []
    }
    return str(table.get("TableStatus")), indexes.get(index_name)


def _keys(schema: Iterable[Mapping[str, str]] | None) -> list[tuple[str | None, str | None]]:
    return [(key.get("AttributeName"), key.get("KeyType")) for key in schema or []]
