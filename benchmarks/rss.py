"""Peak memory of a full scan, measured in a child process of its own (Linux).

The child opens its client and makes one small read, which loads every module a scan needs.
It then resets its peak RSS to its current RSS, scans the whole table keeping no commit, and
reports by how much the peak rose: ``VmHWM`` after the scan minus ``VmRSS`` before it.

``ru_maxrss`` (``getrusage``) cannot serve: it cannot be reset, and Linux hands it down
through fork and exec, so a child starts with its parent's peak. ``VmHWM`` (in
``/proc/self/status``) is the peak of the process's own memory map, and writing ``5`` to
``/proc/self/clear_refs`` resets it (Linux 4.0 and later).

Run as a script, this module is that child::

    python -m benchmarks.rss ENDPOINT TABLE CONTENDER
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiobotocore.session import get_session

from aio_eventstore import EventStore
from benchmarks.configs import STORE_CONFIG
from benchmarks.contender import RAW, STORE
from benchmarks.raw_contender import read_commits
from benchmarks.workload import CREDENTIALS, INDEX_NAME, scan_request

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

ROOT = Path(__file__).resolve().parent.parent
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_RESET_PEAK = "5"


async def scan_memory(
    endpoint_url: str, table: str, contender: str, commits: int
) -> dict[str, float]:
    """By how many MB a full scan of ``table`` by ``contender`` raised the peak RSS."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.rss",
        endpoint_url,
        table,
        contender,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the memory child failed: {stderr.decode(errors='replace')}")
    measured: dict[str, float] = json.loads(stdout)
    if measured.pop("commits") != commits:
        raise RuntimeError(f"{contender} did not scan {commits} commits")
    return measured


async def _measure(
    warm_up: Callable[[], Awaitable[object]], scan: Callable[[], Awaitable[int]]
) -> dict[str, float]:
    await warm_up()
    before = _reset_peak()
    commits = await scan()
    return {"rss_growth_mb": (_status_kb("VmHWM") - before) / 1024, "commits": commits}


async def _child(endpoint_url: str, table: str, contender: str) -> dict[str, float]:
    session = get_session()
    if contender == STORE:
        async with EventStore(
            table, INDEX_NAME, session=session, endpoint_url=endpoint_url, **CREDENTIALS
        ) as store:

            async def scan_store() -> int:
                commits = 0
                async for _ in store.scan():
                    commits += 1
                return commits

            return await _measure(lambda: store.query("warm-up"), scan_store)
    if contender == RAW:
        async with session.create_client(
            "dynamodb", endpoint_url=endpoint_url, config=STORE_CONFIG, **CREDENTIALS
        ) as client:
            return await _measure(
                lambda: client.query(**scan_request(table), Limit=1),
                lambda: read_commits(client, scan_request(table), _ignore),
            )
    raise ValueError(f"no such contender: {contender!r}")


def _reset_peak() -> int:
    """Reset the peak RSS to the current RSS; return it, in KB."""
    _CLEAR_REFS.write_text(_RESET_PEAK)
    return _status_kb("VmRSS")


def _status_kb(field: str) -> int:
    for line in _STATUS.read_text().splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    raise RuntimeError(f"no {field} in {_STATUS}")


async def _ignore(_: list[Any]) -> None:
    return None


if __name__ == "__main__":
    endpoint, table_name, name = sys.argv[1:]
    print(json.dumps(asyncio.run(_child(endpoint, table_name, name))))
