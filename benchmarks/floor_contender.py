"""The bare floor: the raw contender's requests, signed and posted with nothing else.

The same conditional PutItem and the same paginated Query as raw aiobotocore, built as
JSON by ``json.dumps``, signed by the store's SigV4 ``Signer`` (which caches its derived key
and the date of the current second: the minimal cached signer), posted on a plain aiohttp
session with a pool as large as the store's; answers decoded with ``json.loads``. No
retries, no error translation, no checksum, no timeouts of its own: no store logic at all.
It does not use the store's transport: it is what that transport is measured against.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from botocore.credentials import ReadOnlyCredentials

from aio_eventstore._transport._sigv4 import Signer, host_header
from benchmarks.contender import FLOOR
from benchmarks.pycontender import PythonContender
from benchmarks.workload import (
    CREDENTIALS,
    NEW_VERSION,
    new_commit_item,
    query_request,
    scan_request,
)

if TYPE_CHECKING:
    from benchmarks.contender import ReadWork

_TARGET = "DynamoDB_20120810."


class Sent:
    """The floor's requests, counted as it posts them."""

    def __init__(self) -> None:
        self.count = 0


class FloorContender(PythonContender):
    """One signed POST per append or page; ``json.loads`` of the answer and of each commit."""

    name = FLOOR

    def __init__(self, http: aiohttp.ClientSession, endpoint_url: str, append_table: str) -> None:
        self._sent = Sent()
        super().__init__(self._sent)
        self._http = http
        self._url = f"{endpoint_url.rstrip('/')}/"
        self._host = host_header(endpoint_url)
        self._signer = Signer(CREDENTIALS["region_name"])
        self._credentials = ReadOnlyCredentials(
            CREDENTIALS["aws_access_key_id"], CREDENTIALS["aws_secret_access_key"], None
        )
        self._append_table = append_table

    async def append_one(self, aggregate_id: str, version: int) -> None:
        await self._call(
            "PutItem",
            {
                "TableName": self._append_table,
                "Item": new_commit_item(aggregate_id, version),
                "ConditionExpression": NEW_VERSION,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
        )

    async def read_once(self, work: ReadWork) -> int:
        if work.kind == "query":
            request = query_request(work.table, work.aggregate_id)
        else:
            request = scan_request(work.table)
        count = 0
        while True:
            answer = await self._call("Query", request)
            events = [json.loads(item["events"]["S"]) for item in answer["Items"]]
            count += len(events)
            last_key = answer.get("LastEvaluatedKey")
            if last_key is None:
                return count
            request = {**request, "ExclusiveStartKey": last_key}

    async def _call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(request, separators=(",", ":")).encode()
        headers = self._signer.sign(
            self._credentials,
            host=self._host,
            target=_TARGET + operation,
            body=body,
            now=time.time(),
        )
        self._sent.count += 1
        try:
            raw = await self._post(operation, body, headers)
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError):
            # The server closed a pooled connection it had kept alive: what any client
            # must survive, with one more try on a new connection.
            self._sent.count += 1
            raw = await self._post(operation, body, headers)
        answer: dict[str, Any] = json.loads(raw)
        return answer

    async def _post(self, operation: str, body: bytes, headers: dict[str, str]) -> bytes:
        async with self._http.post(self._url, data=body, headers=headers) as response:
            raw = await response.read()
            if response.status != 200:  # a benchmark must not count a failure as done
                raise RuntimeError(f"{operation}: HTTP {response.status}: {raw[:300]!r}")
        return raw
