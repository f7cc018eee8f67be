"""A fault-injecting HTTP proxy in front of a DynamoDB-compatible server.

It forwards every request to the server, except where a fault rule says otherwise:

- ``delay``: wait ``seconds`` before forwarding;
- ``reset``: close the connection without forwarding, as a network fault would;
- ``lose_response``: forward the request, let the server apply it, then close the
  connection instead of answering;
- ``error``: answer with a DynamoDB error ``code`` and HTTP ``status`` without forwarding.

Rules match an operation (``"PutItem"``, or ``None`` for any), fire with a probability, and
can be limited to a number of times. The proxy counts the requests it saw per operation.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from typing_extensions import Self

Action = Literal["delay", "reset", "lose_response", "error"]

_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "host"}


@dataclass
class Fault:
    """One rule of the proxy."""

    action: Action
    operation: str | None = None
    probability: float = 1.0
    times: int | None = None
    seconds: float = 0.0
    code: str = "ProvisionedThroughputExceededException"
    status: int = 400
    fired: int = field(default=0, init=False)

    def matches(self, operation: str, rng: random.Random) -> bool:
        if self.operation is not None and self.operation != operation:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        return rng.random() < self.probability


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 that injects faults between the store and its server."""

    def __init__(self, upstream_url: str, *, seed: int = 0) -> None:
        self.upstream_url = upstream_url
        self.faults: list[Fault] = []
        self.requests: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession(auto_decompress=False)
        return self.url

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def add(self, action: Action, **rule: object) -> Fault:
        fault = Fault(action, **rule)  # type: ignore[arg-type]
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def _pick(self, operation: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(operation, self._rng):
                fault.fired += 1
                self.injected[fault.action] += 1
                return fault
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        operation = request.headers.get("X-Amz-Target", "").rpartition(".")[2]
        self.requests[operation] += 1
        fault = self._pick(operation)
        if fault is not None and fault.action == "delay":
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.action == "reset":
            return _abort(request)
        if fault is not None and fault.action == "error":
            return _error(fault.code, fault.status)
        status, headers, answer = await self._forward(request, body)
        if fault is not None and fault.action == "lose_response":
            return _abort(request)
        return web.Response(status=status, headers=headers, body=answer)

    async def _forward(
        self, request: web.Request, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._session.request(
            request.method, self.upstream_url + request.rel_url.path_qs, headers=headers, data=body
        ) as response:
            answer = await response.read()
            kept = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP}
            return response.status, kept, answer


def _abort(request: web.Request) -> web.StreamResponse:
    # Close the TCP connection under the request: the client sees the server disconnect.
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)


def _error(code: str, status: int) -> web.Response:
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": f"injected {code}"}
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"},
    )
