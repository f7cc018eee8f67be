"""boto3, the synchronous SDK, in a thread pool: the other thing a user would reach for."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from benchmarks.contender import BOTO3
from benchmarks.meter import RequestCounter
from benchmarks.pycontender import PythonContender
from benchmarks.workload import NEW_VERSION, new_commit_item, query_request, scan_request

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from benchmarks.contender import AppendWork, ReadWork, Sample

T = TypeVar("T")


class Boto3Contender(PythonContender):
    """Each append or read is a boto3 call that an asyncio task awaits in a thread pool.

    The pool has as many threads as appends or reads are in flight, as a service would
    size it; boto3's client is thread-safe and shared by the threads.
    """

    name = BOTO3

    def __init__(self, client: Any, append_table: str) -> None:  # noqa: ANN401 - untyped boto3
        super().__init__(RequestCounter(client))
        self.client = client
        self._append_table = append_table
        self._pool: ThreadPoolExecutor | None = None

    async def append(self, work: AppendWork) -> Sample:
        with self._threads(work.concurrency):
            return await super().append(work)

    async def read(self, work: ReadWork) -> Sample:
        with self._threads(work.concurrency):
            return await super().read(work)

    async def append_one(self, aggregate_id: str, version: int) -> None:
        await self._call(self._put, new_commit_item(aggregate_id, version))

    async def read_once(self, work: ReadWork) -> int:
        if work.kind == "query":
            request = query_request(work.table, work.aggregate_id)
        else:
            request = scan_request(work.table)
        return await self._call(self._read_commits, request)

    @contextmanager
    def _threads(self, count: int) -> Iterator[None]:
        with ThreadPoolExecutor(max_workers=count, thread_name_prefix="boto3") as pool:
            self._pool = pool
            try:
                yield
            finally:
                self._pool = None

    async def _call(self, function: Callable[[dict[str, Any]], T], argument: dict[str, Any]) -> T:
        if self._pool is None:
            raise RuntimeError("boto3 calls run only within append() or read()")
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, argument)

    def _put(self, item: dict[str, Any]) -> None:
        self.client.put_item(
            TableName=self._append_table,
            Item=item,
            ConditionExpression=NEW_VERSION,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    def _read_commits(self, request: dict[str, Any]) -> int:
        count = 0
        while True:
            answer = self.client.query(**request)
            events = [json.loads(item["events"]["S"]) for item in answer["Items"]]
            count += len(events)
            last_key = answer.get("LastEvaluatedKey")
            if last_key is None:
                return count
            request = {**request, "ExclusiveStartKey": last_key}
