"""The table and global index that hold commits: dynamodb-event-store's schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._exceptions import EventStoreError
from ._item import AGGREGATE_ID, COMMIT_ID, INDEX_KEY, VERSION

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["check_schema", "table_definition"]

_TABLE_KEYS = [
    {"AttributeName": AGGREGATE_ID, "KeyType": "HASH"},
    {"AttributeName": VERSION, "KeyType": "RANGE"},
]
_INDEX_KEYS = [
    {"AttributeName": INDEX_KEY, "KeyType": "HASH"},
    {"AttributeName": COMMIT_ID, "KeyType": "RANGE"},
]


def table_definition(table_name: str, index_name: str) -> dict[str, Any]:
    """The CreateTable request: the seed's keys and index, billed on demand."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": AGGREGATE_ID, "AttributeType": "S"},
            {"AttributeName": VERSION, "AttributeType": "N"},
            {"AttributeName": INDEX_KEY, "AttributeType": "S"},
            {"AttributeName": COMMIT_ID, "AttributeType": "S"},
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


def is_active(table: dict[str, Any], index_name: str) -> bool:
    """True when a DescribeTable answer shows the table and its index ready for use."""
    indexes = {
        index.get("IndexName"): index.get("IndexStatus")
        for index in table.get("GlobalSecondaryIndexes") or []
    }
    return table.get("TableStatus") == "ACTIVE" and indexes.get(index_name) == "ACTIVE"


def _keys(schema: Iterable[Mapping[str, str]] | None) -> list[tuple[str | None, str | None]]:
    return [(key.get("AttributeName"), key.get("KeyType")) for key in schema or []]
