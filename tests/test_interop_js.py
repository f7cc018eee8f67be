"""The JavaScript library dynamodb-event-store 2.2.0 and this one share a table.

Each test drives the real JS library (``tests/interop/seed.js`` on Node) against the same
server and table as the Python store: what one writes, the other reads back identically, and
each sees the other's commits as version conflicts.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import T0, Backend, raw_items

from aio_eventstore import EventStore, VersionConflictError

SEED = Path(__file__).parent / "interop" / "seed.js"


async def run_js(
    backend: Backend, store: EventStore, operations: list[dict[str, Any]]
) -> list[Any]:
    """Run operations with the JS library; return their outcomes."""
    node = shutil.which("node")
    assert node is not None, "the interop tests need Node.js"
    process = await asyncio.create_subprocess_exec(
        node,
        str(SEED),
        str(backend.endpoint_url),
        store.table_name,
        store.index_name,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"},
    )
    stdout, stderr = await process.communicate(json.dumps(operations).encode())
    assert process.returncode == 0, stderr.decode()
    outcomes: list[Any] = json.loads(stdout)
    return outcomes


def js_append(aggregate_id: str, version: int, events: list[Any], now: int) -> dict[str, Any]:
    commit = {"aggregateId": aggregate_id, "version": version, "events": events}
    return {"op": "append", "commit": commit, "now": now}


EVENTS: list[list[Any]] = [
    [{"type": "accountCreated", "username": "john", "email": "john@doe.com"}],
    [{"type": "profileEdited", "name": "Zoë Ünïcødé ✓ 日本", "tags": ["a", "b"]}, {"n": 2.5}],
    [{"type": "accountDeleted", "nested": {"deep": [1, None, True]}}],
]


async def test_commits_written_by_js_read_back_identically(
    backend: Backend, store: EventStore
) -> None:
    writes = [js_append(f"agg-{n % 2}", n // 2, EVENTS[n % 3], T0 + n) for n in range(6)]
    reads: list[dict[str, Any]] = [
        {"op": "query", "options": {"aggregateId": "agg-0", "version": 0}},
        {"op": "query", "options": {"aggregateId": "agg-1", "version": 1}},
        {"op": "scan"},
    ]
    outcomes = await run_js(backend, store, writes + reads)
    assert all(outcome == {"ok": None} for outcome in outcomes[:6])
    js_agg0, js_agg1, js_scan = (outcome["ok"] for outcome in outcomes[6:])
    assert [c.to_dict() for c in await store.query("agg-0")] == js_agg0
    assert [c.to_dict() for c in await store.query("agg-1", 1)] == js_agg1
    assert [c.to_dict() async for c in store.scan()] == js_scan
    assert len(js_scan) == 6


async def test_commits_written_by_python_read_back_identically_in_js(
    backend: Backend, make_store: Any
) -> None:
    clock = iter(range(T0, T0 + 100))
    store = await make_store(clock=lambda: next(clock))
    for n in range(6):
        await store.append(f"agg-{n % 2}", n // 2, EVENTS[n % 3])
    outcomes = await run_js(
        backend,
        store,
        [
            {"op": "query", "options": {"aggregateId": "agg-1", "version": 0}},
            {"op": "scan"},
            {"op": "scan", "options": {"commitId": f"{(await store.query('agg-0'))[1].commit_id}"}},
        ],
    )
    js_query, js_scan, js_scan_from = (outcome["ok"] for outcome in outcomes)
    assert js_query == [c.to_dict() for c in await store.query("agg-1")]
    python_scan = [c.to_dict() async for c in store.scan()]
    assert js_scan == python_scan
    assert js_scan_from == python_scan[2:]


async def test_python_sees_a_js_commit_as_a_version_conflict(
    backend: Backend, store: EventStore
) -> None:
    [outcome] = await run_js(backend, store, [js_append("agg-A", 0, EVENTS[0], T0)])
    assert outcome == {"ok": None}
    with pytest.raises(VersionConflictError) as caught:
        await store.append("agg-A", 0, EVENTS[1])
    assert caught.value.commit is not None
    assert caught.value.commit.events == EVENTS[0]


async def test_js_sees_a_python_commit_as_a_version_conflict(
    backend: Backend, store: EventStore
) -> None:
    await store.append("agg-A", 0, EVENTS[0])
    [outcome] = await run_js(backend, store, [js_append("agg-A", 0, EVENTS[1], T0)])
    assert outcome == {"error": "EventStoreVersionConflictError"}
    assert [c.events for c in await store.query("agg-A")] == [EVENTS[0]]


async def test_both_libraries_write_the_same_item(backend: Backend, make_store: Any) -> None:
    store = await make_store(clock=lambda: T0)
    await store.append("agg-py", 0, EVENTS[1])
    await run_js(backend, store, [js_append("agg-js", 0, EVENTS[1], T0)])
    items = {item["aggregateId"]["S"]: item for item in await raw_items(store)}
    python_item, js_item = items["agg-py"], items["agg-js"]
    assert set(python_item) - set(js_item) == {"idempotencyKey"}
    for name in ("events", "committedAt", "version", "active"):
        assert python_item[name] == js_item[name], name
    assert python_item["commitId"]["S"] == "20240102030405678:agg-py"
    assert js_item["commitId"]["S"] == "20240102030405678:agg-js"


async def test_a_table_created_by_js_serves_python(backend: Backend, table_name: str) -> None:
    async with backend.store(table_name) as store:
        [outcome] = await run_js(backend, store, [{"op": "createTable"}])
        assert outcome == {"ok": None}
        try:
            await store.create_table(exist_ok=True)  # checks the schema, waits until active
            commit = await store.append("agg-A", 0, EVENTS[0])
            assert [c async for c in store.scan()] == [commit]
        finally:
            await store.delete_table()


async def test_js_never_sees_a_snapshot_or_a_checkpoint(backend: Backend, make_store: Any) -> None:
    store = await make_store(clock=lambda: T0)
    commits = [await store.append("agg-A", version, EVENTS[version]) for version in range(3)]
    await store.save_snapshot("agg-A", 2, {"state": "as of 2"})
    await store.checkpoint("agg-A").save(commits[-1].position)  # named like the aggregate
    outcomes = await run_js(
        backend,
        store,
        [
            {"op": "query", "options": {"aggregateId": "agg-A", "version": 0}},
            {"op": "scan"},
        ],
    )
    js_query, js_scan = (outcome["ok"] for outcome in outcomes)
    expected = [c.to_dict() for c in commits]
    assert js_query == expected
    # One commit id for all three: the JS library leaves them in the index's order.
    assert sorted(js_scan, key=lambda commit: commit["version"]) == expected
    assert len(await raw_items(store)) == 5
