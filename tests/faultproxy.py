"""A fault-injecting HTTP proxy in front of a DynamoDB-compatible server.

It forwards every request to the server, except where a fault rule says otherwise:

- ``delay``: wait ``seconds`` before forwarding;
- ``reset``: close the connection without forwarding, as a network fault would;
- ``lose_response``: forward the request, let the server apply it, then close the
  connection instead of answering;
- ``error``: answer with a DynamoDB error ``code`` and HTTP ``status`` without forwarding
  (after ``seconds``, if set);
- ``corrupt``: forward the request, then answer with the server's headers (its
  ``x-amz-crc32`` included) but one byte of the body changed, as a faulty network would.

Rules match an operation (``"PutItem"``, or ``None`` for any), fire with a probability, and
can be limited to a number of times. The proxy counts the requests it saw per operation,
notes when it forwarded each one, the access keys that signed them, and how many were in
flight at most. It also serves as a forward proxy (``proxies={"http": proxy.url}``): it
forwards every request to its upstream, whatever URL it names.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from typing_extensions import Self

Action = Literal["delay", "reset", "lose_response", "error", "corrupt"]

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
    body: bytes | None = None  # an error's body other than DynamoDB's JSON for ``code``
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
        self.forwarded: list[tuple[str, float]] = []  # (operation, time.time() when sent on)
        self.access_keys: Counter[str] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0
        self._arrived = asyncio.Condition()
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

    async def seen(self, operation: str, count: int, timeout: float = 10.0) -> None:
        """Wait until the proxy has seen ``count`` requests of ``operation``."""

        async def enough() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: self.requests[operation] >= count)

        await asyncio.wait_for(enough(), timeout)

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
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        operation = request.headers.get("X-Amz-Target", "").rpartition(".")[2]
        self.requests[operation] += 1
        async with self._arrived:
            self._arrived.notify_all()
        credential = request.headers.get("Authorization", "").partition("Credential=")[2]
        self.access_keys[credential.partition("/")[0]] += 1
        fault = self._pick(operation)
        if fault is not None and fault.seconds:
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.action == "reset":
            return _abort(request)
        if fault is not None and fault.action == "error":
            if fault.body is not None:
                return web.Response(status=fault.status, body=fault.body)
            return _error(fault.code, fault.status)
        self.forwarded.append((operation, time.time()))
        status, headers, answer = await self._forward(request, body)
        if fault is not None and fault.action == "lose_response":
            return _abort(request)
        if fault is not None and fault.action == "corrupt" and answer:
            middle = len(answer) // 2
            answer = answer[:middle] + bytes([answer[middle] ^ 0x01]) + answer[middle + 1 :]
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
