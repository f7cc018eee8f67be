"""Raw aiobotocore, the same work written by hand: the floor for the store to beat."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from benchmarks.contender import RAW
from benchmarks.meter import RequestCounter
from benchmarks.pycontender import PythonContender
from benchmarks.workload import NEW_VERSION, new_commit_item, query_request, scan_request

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from types_aiobotocore_dynamodb import DynamoDBClient

    from benchmarks.contender import ReadWork


class RawContender(PythonContender):
    """A conditional PutItem per append; a paginated Query plus ``json.loads`` per read."""

    def __init__(self, client: DynamoDBClient, append_table: str, name: str = RAW) -> None:
        super().__init__(RequestCounter(client))
        self.name = name
        self.client = client
        self._append_table = append_table

    async def append_one(self, aggregate_id: str, version: int) -> None:
        await self.client.put_item(
            TableName=self._append_table,
            Item=new_commit_item(aggregate_id, version),
            ConditionExpression=NEW_VERSION,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    async def read_once(self, work: ReadWork) -> int:
        if work.kind == "query":
            request = query_request(work.table, work.aggregate_id)
        else:
            request = scan_request(work.table)
        return await read_commits(self.client, request, _ignore)


async def read_commits(
    client: DynamoDBClient,
    request: dict[str, Any],
    consume: Callable[[list[Any]], Awaitable[None]],
) -> int:
    """Every page of a Query, one after the other, each page's decoded events to ``consume``.

    The next page is asked for only once ``consume`` is done with the current one: the
    sequential loop a user writes by hand.
    """
    count = 0
    while True:
        answer = await client.query(**request)
        events = [json.loads(item["events"]["S"]) for item in answer["Items"]]
        await consume(events)
        count += len(events)
        last_key = answer.get("LastEvaluatedKey")
        if last_key is None:
            return count
        request = {**request, "ExclusiveStartKey": last_key}


async def _ignore(_: list[Any]) -> None:
    return None
