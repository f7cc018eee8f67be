"""The seed JS library, dynamodb-event-store 2.2.0 on Node, timed inside Node.

Each sample is one Node process running ``seed_bench.js``, which warms up, then measures
wall time, its own CPU time and the requests it sent. Node's start is not timed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

from benchmarks.configs import js_options
from benchmarks.contender import JS, AppendWork, ReadWork, Sample
from benchmarks.workload import EVENTS, INDEX_NAME

SCRIPT = Path(__file__).with_name("seed_bench.js")


class JsContender:
    """Runs ``seed_bench.js`` in a Node child process per sample."""

    name = JS

    def __init__(self, endpoint_url: str, append_table: str) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH: the JS contender needs Node.js")
        self._node = node
        self._endpoint_url = endpoint_url
        self._append_table = append_table

    async def append(self, work: AppendWork) -> Sample:
        return await self._run(
            case="append",
            table=self._append_table,
            tag=work.tag,
            count=work.count,
            concurrency=work.concurrency,
        )

    async def read(self, work: ReadWork) -> Sample:
        return await self._run(
            case=work.kind,
            table=work.table,
            aggregateId=work.aggregate_id,
            repeat=work.repeat,
            concurrency=work.concurrency,
        )

    async def _run(self, **spec: Any) -> Sample:  # noqa: ANN401 - JSON values
        spec |= {
            "endpoint": self._endpoint_url,
            "index": INDEX_NAME,
            "events": EVENTS,
            "client": js_options(),
        }
        process = await asyncio.create_subprocess_exec(
            self._node,
            str(SCRIPT),
            json.dumps(spec),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"},
        )
        stdout, stderr = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"seed_bench.js failed: {stderr.decode(errors='replace')}")
        measured: dict[str, Any] = json.loads(stdout)
        return Sample(
            wall_s=float(measured["wall_s"]),
            cpu_s=float(measured["cpu_s"]),
            ops=int(measured["ops"]),
            requests=int(measured["requests"]),
        )
