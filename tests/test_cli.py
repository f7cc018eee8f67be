"""The ``aio-eventstore`` command line, run as the installed console script in a subprocess.

Each run costs about a second of start-up (aiobotocore's import), so every test runs the
command as few times as its behaviour needs; setup and checks go through the store itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import T0, Backend, new_table_name, on_servers_with_transactions, raw_items
from servers import env_backends, free_port

from aio_eventstore import Commit, EventStore, TableNotFoundError
from aio_eventstore._cli._backup import SHARDS_PROBED
from aio_eventstore._cli._exit import EXIT_MEANINGS, CommandError, Exit
from aio_eventstore._cli._jsonlines import json_line
from aio_eventstore._cli._parser import COMMANDS, build_parser
from aio_eventstore._cli._progress import Progress
from aio_eventstore._cli._trace import console_tracing
from aio_eventstore._groups import partition_of
from aio_eventstore._shards import index_key, index_keys

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from faultproxy import FaultProxy

SCRIPT = Path(sys.executable).parent / "aio-eventstore"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
NOWHERE = "/nonexistent/aio-eventstore-test"
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


# For what only the command's own code decides (how an option reaches the store, what a
# message says), one backend is enough; the store's own tests cover it on every backend.
on_one_backend = pytest.mark.parametrize("backend", env_backends()[:1], indirect=True)


def aws_env(**variables: str) -> dict[str, str]:
    """This process's environment without any AWS or aio-eventstore setting, plus ``variables``.

    No config files and no instance metadata either: botocore sees only what a test gives.
    And stdout buffered, as people run it: the command must flush what it prints itself.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "AIO_EVENTSTORE_")) and name != "PYTHONUNBUFFERED"
    }
    env |= {
        "AWS_CONFIG_FILE": NOWHERE,
        "AWS_SHARED_CREDENTIALS_FILE": NOWHERE,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return env | variables


@dataclass
class Run:
    """What one run of the command did."""

    status: int
    stdout: str
    stderr: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines()]

    @property
    def failed_cleanly(self) -> bool:
        """One line on stderr, prefixed with the program's name, and no traceback."""
        return (
            self.stderr.startswith("aio-eventstore: error: ")
            and self.stderr.count("\n") == 1
            and "Traceback" not in self.stderr
        )


@dataclass
class Cli:
    """The command, with the environment and global options of one test's table."""

    env: dict[str, str]
    options: list[str]

    async def start(self, *arguments: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            SCRIPT,
            *self.options,
            *arguments,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
        )

    async def __call__(self, *arguments: str, stdin: bytes = b"", timeout: float = 60) -> Run:
        process = await self.start(*arguments)
        stdout, stderr = await asyncio.wait_for(process.communicate(stdin), timeout)
        assert process.returncode is not None
        return Run(process.returncode, stdout.decode(), stderr.decode())


def record(commit: Commit) -> dict[str, Any]:
    return {**commit.to_dict(), "position": commit.position}


@pytest.fixture
def cli(backend: Backend, table_name: str) -> Cli:
    """The command on the test's own table (the one ``store`` creates) of the backend."""
    env = dict(os.environ) if backend.name == "external" else aws_env(**TEST_CREDENTIALS)
    assert backend.endpoint_url is not None
    options = ["--endpoint-url", backend.endpoint_url]
    return Cli(env, [*options, "--table", table_name, "--index", f"{table_name}-index"])


@pytest.fixture
def offline_cli() -> Cli:
    """The command pointed at a closed port: a test passes only if it sends no request."""
    endpoint_url = f"http://127.0.0.1:{free_port()}"
    return Cli(aws_env(**TEST_CREDENTIALS), ["--endpoint-url", endpoint_url])


@pytest.fixture
async def other_store(backend: Backend) -> AsyncIterator[EventStore]:
    """A second, empty table."""
    async with backend.store(new_table_name()) as other:
        await other.create_table()
        try:
            yield other
        finally:
            await other.delete_table()


OLD_BACKUP = b'{"an": "older backup"}\n' * 3
# Export first checks for commits in other shards: a Query per shard key it does not read.
EXPORT_PROBES = SHARDS_PROBED - 1


async def write_commits(store: EventStore) -> list[Commit]:
    """Commits of three aggregates, in the order scan returns them."""
    return [
        await store.append("agg-0", 0, [{"type": "created", "name": "Zoë"}]),
        await store.append("agg-1", 0, [{"type": "created"}, {"type": "renamed"}]),
        await store.append("agg-2", 0, [1, 2.5, None, "✓"]),
        await store.append("agg-2", 1, [{"nested": {"list": [True, False]}}]),
    ]


def through_proxy(cli: Cli, proxy: FaultProxy) -> Cli:
    """The same command, sending its requests through ``proxy``."""
    return Cli(cli.env, [*cli.options, "--endpoint-url", proxy.url])


def files_in(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def without_idempotency_keys(items: list[dict[str, Any]]) -> list[str]:
    """The raw items as sorted JSON texts, without the idempotency key that import sets anew."""
    return sorted(
        json.dumps({name: value for name, value in item.items() if name != "idempotencyKey"})
        for item in items
    )


async def has_seen(proxy: FaultProxy, operation: str, count: int) -> bool:
    return proxy.requests[operation] >= count


async def stored_count(store: EventStore, count: int) -> bool:
    return len(await raw_items(store)) >= count


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> bool:
    """Whether ``check`` comes true within ``timeout`` seconds, asking every 50 ms."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


# Tables


async def test_create_table_creates_a_table_the_store_can_use(
    cli: Cli, backend: Backend, table_name: str
) -> None:
    run = await cli("create-table")
    async with backend.store(table_name) as store:
        try:
            assert run.status == Exit.OK, run.stderr
            assert "is ready" in run.stderr
            commit = await store.append("agg-A", 0, [1])
            assert [c async for c in store.scan()] == [commit]
        finally:
            await store.delete_table()


@on_one_backend
@pytest.mark.usefixtures("store")
async def test_create_table_on_an_existing_table_exits_5(cli: Cli) -> None:
    run = await cli("create-table")
    assert run.status == Exit.TABLE_EXISTS, run.stderr
    assert run.failed_cleanly
    assert "--exist-ok" in run.stderr


@on_one_backend
@pytest.mark.usefixtures("store")
async def test_create_table_with_exist_ok_accepts_an_existing_table(cli: Cli) -> None:
    run = await cli("create-table", "--exist-ok")
    assert run.status == Exit.OK, run.stderr


async def test_delete_table_with_yes_deletes_the_table(
    cli: Cli, backend: Backend, table_name: str
) -> None:
    async with backend.store(table_name) as store:
        await store.create_table()
        run = await cli("delete-table", "--yes")
        assert run.status == Exit.OK, run.stderr
        with pytest.raises(TableNotFoundError):
            await store.query("agg-A")


@on_one_backend
async def test_a_missing_table_exits_4_naming_the_table(cli: Cli, table_name: str) -> None:
    run = await cli("query", "agg-A")
    assert run.status == Exit.TABLE_NOT_FOUND, run.stderr
    assert run.failed_cleanly
    assert repr(table_name) in run.stderr


# Writing


async def test_append_prints_the_stored_commit_and_query_prints_it_back(
    cli: Cli, store: EventStore
) -> None:
    appended = await cli("append", "agg-A", "0", '[{"type": "created", "name": "Zoë"}]')
    assert appended.status == Exit.OK, appended.stderr
    assert appended.records == [record(c) for c in await store.query("agg-A")]
    # Compact JSON, UTF-8 rather than escapes: the seed's shape, ready for jq.
    assert '"events":[{"type":"created","name":"Zoë"}]' in appended.stdout
    queried = await cli("query", "agg-A")
    assert queried.status == Exit.OK, queried.stderr
    assert queried.stdout == appended.stdout


@on_one_backend
async def test_append_reads_the_events_from_stdin_given_a_dash(cli: Cli, store: EventStore) -> None:
    run = await cli("append", "agg-A", "0", "-", stdin=b'[{"type": "created"}]\n')
    assert run.status == Exit.OK, run.stderr
    [commit] = await store.query("agg-A")
    assert commit.events == [{"type": "created"}]


@on_one_backend
async def test_append_stores_the_idempotency_key(cli: Cli, store: EventStore) -> None:
    run = await cli("append", "agg-A", "0", "[1]", "--idempotency-key", "order-42-placed")
    assert run.status == Exit.OK, run.stderr
    [item] = await raw_items(store)
    assert item["idempotencyKey"] == {"S": "order-42-placed"}


@on_one_backend
async def test_a_version_conflict_exits_3_and_says_conflict(cli: Cli, store: EventStore) -> None:
    await store.append("agg-A", 0, [1])
    run = await cli("append", "agg-A", "0", "[2]")
    assert run.status == Exit.CONFLICT, run.stderr
    assert run.failed_cleanly
    assert "conflict" in run.stderr
    assert run.stdout == ""


# Reading


@on_one_backend
async def test_query_from_version_starts_at_that_version(cli: Cli, store: EventStore) -> None:
    commits = [await store.append("agg-A", version, [version]) for version in range(3)]
    run = await cli("query", "agg-A", "--from-version", "1")
    assert run.status == Exit.OK, run.stderr
    assert run.records == [record(c) for c in commits[1:]]


async def test_latest_prints_the_commit_with_the_highest_version(
    cli: Cli, store: EventStore
) -> None:
    await store.append("agg-A", 0, [0])
    last = await store.append("agg-A", 1, [1])
    run = await cli("latest", "agg-A")
    assert run.status == Exit.OK, run.stderr
    assert run.records == [record(last)]


@on_one_backend
@pytest.mark.usefixtures("store")
async def test_latest_of_an_aggregate_without_commits_exits_8(cli: Cli) -> None:
    run = await cli("latest", "agg-A")
    assert run.status == Exit.NO_COMMITS, run.stderr
    assert run.failed_cleanly
    assert run.stdout == ""


async def test_snapshot_prints_the_newest_snapshot(cli: Cli, store: EventStore) -> None:
    await store.append("agg-A", 0, [0])
    await store.append("agg-A", 1, [1])
    await store.save_snapshot("agg-A", 1, {"total": 1, "ü": [True, None]})
    run = await cli("snapshot", "agg-A")
    assert run.status == Exit.OK, run.stderr
    [snapshot] = run.records
    assert snapshot["aggregateId"] == "agg-A"
    assert (snapshot["version"], snapshot["state"]) == (1, {"total": 1, "ü": [True, None]})
    none = await cli("snapshot", "agg-B")
    assert none.status == Exit.NO_COMMITS, none.stderr
    assert none.failed_cleanly
    assert "no snapshot" in none.stderr


async def test_group_prints_a_line_per_partition(cli: Cli, store: EventStore) -> None:
    commits = [await store.append(f"agg-{n}", 0, [n]) for n in range(3)]
    consumed = store.consume(
        "projector", partitions=4, settle=0, poll_interval=0.05, lease_seconds=3.0
    )
    async with contextlib.aclosing(consumed):
        delivered = [await anext(consumed) for _ in commits]
        held = await cli("group", "projector")
    assert held.status == Exit.OK, held.stderr
    assert len({line["owner"] for line in held.records}) == 1  # the one member, by its name
    assert None not in {line["owner"] for line in held.records}
    # A clean exit released every lease, with the commits finished before the last.
    run = await cli("group", "projector")
    assert run.status == Exit.OK, run.stderr
    assert [line["partition"] for line in run.records] == [0, 1, 2, 3]
    assert {line["owner"] for line in run.records} == {None}
    finished = {partition_of(c.aggregate_id, 4): c.position for c in delivered[:-1]}
    assert {
        line["partition"]: line["position"] for line in run.records if line["position"]
    } == finished
    waiting = partition_of(delivered[-1].aggregate_id, 4)
    assert [line["lag"] > 0 for line in run.records] == [p == waiting for p in range(4)]
    none = await cli("group", "nobody")
    assert none.status == Exit.NO_COMMITS, none.stderr
    assert none.failed_cleanly
    assert "no leases" in none.stderr


def test_trace_without_the_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    with pytest.raises(CommandError, match="--trace needs the OpenTelemetry SDK: pip install"):  # noqa: SIM117
        with console_tracing():
            pass


@on_servers_with_transactions
async def test_append_atomic_appends_every_line_or_none(cli: Cli, store: EventStore) -> None:
    def lines(*commits: tuple[str, int, list[Any]]) -> bytes:
        return b"".join(
            json.dumps({"aggregateId": a, "version": v, "events": e}).encode() + b"\n"
            for a, v, e in commits
        )

    run = await cli("append", "--atomic", stdin=lines(("a", 0, [1]), ("b", 0, [{"n": 2}])))
    assert run.status == Exit.OK, run.stderr
    assert [(r["aggregateId"], r["version"], r["events"]) for r in run.records] == [
        ("a", 0, [1]),
        ("b", 0, [{"n": 2}]),
    ]
    conflict = await cli("append", "--atomic", stdin=lines(("c", 0, [3]), ("a", 0, [4])))
    assert conflict.status == Exit.CONFLICT, conflict.stderr
    assert conflict.failed_cleanly
    assert await store.query("c") == []


@pytest.mark.parametrize(
    ("arguments", "stdin"),
    [
        (["append", "--atomic", "agg-A"], b""),
        (["append", "--atomic"], b'{"aggregateId": "a", "version": 0}\n'),
        (["append", "--atomic"], b"not json\n"),
        (["append", "agg-A"], b""),
    ],
    ids=["arguments-too", "no-events", "not-json", "half-arguments"],
)
async def test_bad_atomic_appends_exit_2(
    offline_cli: Cli, arguments: list[str], stdin: bytes
) -> None:
    run = await offline_cli(*arguments, stdin=stdin)
    assert run.status == Exit.USAGE, run.stderr
    assert run.failed_cleanly


async def test_scan_prints_every_commit_in_the_global_order(cli: Cli, store: EventStore) -> None:
    commits = await write_commits(store)
    run = await cli("scan", "--page-size", "1")
    assert run.status == Exit.OK, run.stderr
    assert run.records == [record(c) for c in commits]


@on_one_backend
@pytest.mark.parametrize(
    ("start", "first"),
    [
        (lambda commits: ["--after", commits[1].position], 2),
        (lambda commits: ["--from", commits[1].commit_id], 1),
    ],
    ids=["after-position", "from-commit-id"],
)
async def test_scan_starts_where_it_is_told(
    cli: Cli, store: EventStore, start: Callable[[list[Commit]], list[str]], first: int
) -> None:
    commits = await write_commits(store)
    run = await cli("scan", *start(commits))
    assert run.status == Exit.OK, run.stderr
    assert run.records == [record(c) for c in commits[first:]]


@on_one_backend
async def test_scan_with_index_shards_reads_every_shard(
    cli: Cli, make_store: Callable[..., Any]
) -> None:
    sharded = await make_store(index_shards=4)
    commits = [await sharded.append(f"agg-{n}", 0, [n]) for n in range(8)]
    run = await cli("--index-shards", "4", "scan")
    assert run.status == Exit.OK, run.stderr
    assert run.records == [record(c) for c in sorted(commits, key=lambda c: c.sort_key)]


async def test_scan_follow_prints_new_commits_until_interrupted(
    cli: Cli, store: EventStore
) -> None:
    old = await store.append("agg-A", 0, ["before"])
    process = await cli.start("scan", "--follow", "--settle", "0", "--poll-interval", "0.05")
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        first = await asyncio.wait_for(process.stdout.readline(), 30)
        new = await store.append("agg-A", 1, ["after"])
        second = await asyncio.wait_for(process.stdout.readline(), 30)
        assert [json.loads(first), json.loads(second)] == [record(old), record(new)]
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == Exit.INTERRUPTED
        assert "Traceback" not in (await process.stderr.read()).decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@on_one_backend
async def test_a_closed_stdout_exits_141_quietly(cli: Cli, store: EventStore) -> None:
    await store.append("agg-A", 0, [1])
    reader, writer = os.pipe()
    os.close(reader)  # nobody reads: the command's first write fails, as under '| head'
    try:
        process = await asyncio.create_subprocess_exec(
            SCRIPT,
            *cli.options,
            "query",
            "agg-A",
            stdout=writer,
            stderr=asyncio.subprocess.PIPE,
            env=cli.env,
        )
    finally:
        os.close(writer)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == Exit.BROKEN_PIPE, stderr
    assert stderr == b""


# Export and import


async def test_export_then_import_into_a_fresh_table_reproduces_every_item(
    cli: Cli, store: EventStore, other_store: EventStore, tmp_path: Path
) -> None:
    commits = await write_commits(store)
    # JSON that Python's == cannot tell apart: True == 1 == 1.0, False == 0.
    commits.append(await store.append("agg-3", 0, [True, 1, 1.0, 0, False, {"ü": {"ß": "✓"}}]))
    path = tmp_path / "commits.jsonl"
    path.write_bytes(b"an older, longer backup\n" * 100)
    path.chmod(0o640)
    exported = await cli("export", str(path))
    assert exported.status == Exit.OK, exported.stderr
    assert f"exported {len(commits)} commits" in exported.stderr
    assert exported.stdout == ""
    assert "\r" not in exported.stderr  # no progress bar: stderr is not a terminal
    assert path.stat().st_mode & 0o777 == 0o640  # replaced, keeping the old file's permissions
    into_other = ["--table", other_store.table_name, "--index", other_store.index_name]
    imported = await cli(*into_other, "import", str(path))
    assert imported.status == Exit.OK, imported.stderr
    assert f"{len(commits)} written, 0 already present" in imported.stderr
    assert without_idempotency_keys(await raw_items(other_store)) == without_idempotency_keys(
        await raw_items(store)
    )


@on_one_backend
async def test_an_export_that_fails_at_once_leaves_the_old_file_as_it_was(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "commits.jsonl"
    path.write_bytes(OLD_BACKUP)
    run = await cli("export", str(path))  # the test's table was never created
    assert run.status == Exit.TABLE_NOT_FOUND, run.stderr
    assert path.read_bytes() == OLD_BACKUP
    assert files_in(tmp_path) == [path.name]  # no temporary file left behind


@on_one_backend
async def test_an_export_that_fails_midway_leaves_the_old_file_as_it_was(
    cli: Cli, store: EventStore, proxy: FaultProxy, tmp_path: Path
) -> None:
    commits = await write_commits(store)
    path = tmp_path / "commits.jsonl"
    path.write_bytes(OLD_BACKUP)
    # The check for other shards and the first pages, of one commit each, pass; every
    # later Query fails, retries included.
    proxy.add("delay", operation="Query", times=EXPORT_PROBES + len(commits) - 1)
    proxy.add("error", operation="Query", code="InternalServerError", status=500)
    run = await through_proxy(cli, proxy)("export", "--page-size", "1", str(path))
    assert run.status == Exit.UNAVAILABLE, run.stderr
    assert path.read_bytes() == OLD_BACKUP
    assert files_in(tmp_path) == [path.name]  # no temporary file left behind
    stopped = re.search(r"export stopped after (\d+) commits: \S+ is unchanged", run.stderr)
    assert stopped, run.stderr
    assert 0 < int(stopped[1]) < len(commits)  # it failed midway through the temporary file


@on_one_backend
async def test_an_interrupted_export_leaves_the_old_file_as_it_was(
    cli: Cli, store: EventStore, proxy: FaultProxy, tmp_path: Path
) -> None:
    await write_commits(store)
    path = tmp_path / "commits.jsonl"
    path.write_bytes(OLD_BACKUP)
    # The check for other shards and the first page pass; the next page hangs.
    passing = EXPORT_PROBES + 1
    proxy.add("delay", operation="Query", times=passing)
    proxy.add("delay", operation="Query", seconds=3)
    process = await through_proxy(cli, proxy).start("export", "--page-size", "1", str(path))
    try:
        assert await eventually(lambda: has_seen(proxy, "Query", passing + 1))
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == Exit.INTERRUPTED, stderr
        assert path.read_bytes() == OLD_BACKUP
        assert files_in(tmp_path) == [path.name]
        assert re.search(
            rf"export stopped after \d+ commits: {re.escape(str(path))} is unchanged",
            stderr.decode(),
        )
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_export_refuses_a_table_with_commits_in_shards_it_would_not_read(
    cli: Cli, make_store: Callable[..., Any], tmp_path: Path
) -> None:
    sharded = await make_store(index_shards=4)
    commits = [await sharded.append(f"agg-{n}", 0, [n]) for n in range(8)]
    highest = max(index_keys(4).index(index_key(c.aggregate_id, 4)) for c in commits)
    assert highest > 0  # some commits are under keys that one shard does not read
    path = tmp_path / "commits.jsonl"
    path.write_bytes(OLD_BACKUP)
    refused = await cli("export", str(path))
    assert refused.status == Exit.USAGE, refused.stderr
    assert refused.failed_cleanly
    assert f"--index-shards N (at least {highest + 1})" in refused.stderr
    assert path.read_bytes() == OLD_BACKUP
    exported = await cli("--index-shards", "4", "export", str(path))
    assert exported.status == Exit.OK, exported.stderr
    in_order = sorted(commits, key=lambda c: c.sort_key)
    assert path.read_bytes() == b"".join(json_line(commit) for commit in in_order)


@on_one_backend
async def test_import_writes_the_lines_it_has_while_stdin_waits_for_more(
    cli: Cli, store: EventStore
) -> None:
    lines = [
        json_line(Commit(f"20240102030405678:agg-{n}", T0, f"agg-{n}", 0, [n])) for n in range(5)
    ]
    process = await cli.start("import", "-")
    assert process.stdin is not None
    try:
        # A producer that pauses: three lines, then nothing until the first commits are stored.
        process.stdin.writelines(lines[:3])
        await process.stdin.drain()
        assert await eventually(lambda: stored_count(store, 3))
        assert process.returncode is None  # still reading stdin
        _, stderr = await asyncio.wait_for(process.communicate(b"".join(lines[3:])), 60)
        assert process.returncode == Exit.OK, stderr
        assert b"5 written, 0 already present" in stderr
        assert len(await raw_items(store)) == 5
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@on_one_backend
async def test_importing_commits_already_stored_writes_nothing(cli: Cli, store: EventStore) -> None:
    commits = await write_commits(store)
    before = await raw_items(store)
    lines = b"".join(json_line(commit) for commit in commits)
    run = await cli("import", "-", stdin=lines)
    assert run.status == Exit.OK, run.stderr
    assert f"0 written, {len(commits)} already present" in run.stderr
    assert sorted(map(str, await raw_items(store))) == sorted(map(str, before))


# The AWS environment and config


@on_one_backend
async def test_the_endpoint_comes_from_aws_endpoint_url_dynamodb(
    cli: Cli, backend: Backend, store: EventStore
) -> None:
    commit = await store.append("agg-A", 0, [1])
    assert backend.endpoint_url is not None
    env = cli.env | {"AWS_ENDPOINT_URL_DYNAMODB": backend.endpoint_url}
    no_endpoint = Cli(env, ["--table", store.table_name, "--index", store.index_name])
    run = await no_endpoint("latest", "agg-A")
    assert run.status == Exit.OK, run.stderr
    assert run.records == [record(commit)]


@on_one_backend
async def test_a_profile_gives_the_region_and_credentials(
    cli: Cli, backend: Backend, store: EventStore, tmp_path: Path
) -> None:
    if backend.name == "external":
        pytest.skip("the profile holds the local servers' test credentials")
    commit = await store.append("agg-A", 0, [1])
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[profile cli-test]\nregion = us-east-1\n")
    credentials.write_text("[cli-test]\naws_access_key_id = test\naws_secret_access_key = test\n")
    env = aws_env(AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(credentials))
    run = await Cli(env, [*cli.options, "--profile", "cli-test"])("latest", "agg-A")
    assert run.status == Exit.OK, run.stderr
    assert run.records == [record(commit)]


# Failures that need no server (the command runs against a closed port)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["append", "agg-A", "0", "[1,"], "not valid JSON"),
        (["append", "agg-A", str(2**53), "[1]"], "version must be"),
    ],
    ids=["json", "version"],
)
async def test_bad_input_exits_2_before_any_request(
    offline_cli: Cli, arguments: list[str], says: str
) -> None:
    run = await offline_cli(*arguments)
    assert run.status == Exit.USAGE, run.stderr
    assert run.failed_cleanly
    assert says in run.stderr


async def test_delete_table_without_yes_exits_2_before_any_request(offline_cli: Cli) -> None:
    run = await offline_cli("delete-table")
    assert run.status == Exit.USAGE, run.stderr
    assert run.failed_cleanly
    assert "--yes" in run.stderr


async def test_an_import_line_that_is_not_a_commit_exits_2_naming_it(offline_cli: Cli) -> None:
    run = await offline_cli("import", "-", stdin=b'\n{"commitId": "20240101000000000:a"}\n')
    assert run.status == Exit.USAGE, run.stderr
    summary, error = run.stderr.splitlines()  # the import's summary, then the error
    assert summary == "aio-eventstore: 0 written, 0 already present"
    assert error.startswith("aio-eventstore: error: stdin:2: not a commit: no committedAt")


async def test_an_unreachable_endpoint_exits_6(offline_cli: Cli) -> None:
    run = await offline_cli("latest", "agg-A")
    assert run.status == Exit.UNAVAILABLE, run.stderr
    assert run.failed_cleanly


async def test_missing_credentials_exit_7(offline_cli: Cli) -> None:
    env = aws_env(AWS_DEFAULT_REGION="us-east-1")
    run = await Cli(env, offline_cli.options)("latest", "agg-A")
    assert run.status == Exit.ACCESS_DENIED, run.stderr
    assert run.failed_cleanly
    assert "credentials" in run.stderr


async def test_an_sso_profile_without_a_login_exits_7(offline_cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile sso]\n"
        "sso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = Reader\n"
        "region = us-east-1\n"
    )
    # No token in the SSO cache (under an empty home): the person must 'aws sso login'.
    env = aws_env(AWS_CONFIG_FILE=str(config), AWS_PROFILE="sso", HOME=str(tmp_path))
    run = await Cli(env, offline_cli.options)("latest", "agg-A")
    assert run.status == Exit.ACCESS_DENIED, run.stderr
    assert run.failed_cleanly
    assert "SSO" in run.stderr


# The command itself


async def test_demo_walks_through_on_an_embedded_server() -> None:
    run = await Cli(aws_env(), [])("demo")
    assert run.status == Exit.OK, run.stderr
    assert "VersionConflictError" in run.stdout
    assert "the demo is over" in run.stdout


async def test_python_m_aio_eventstore_runs_the_command() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aio_eventstore", "--help", stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    assert all(command.name in stdout.decode() for command in COMMANDS)
    assert "exit status" in stdout.decode()


def test_every_subcommand_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in COMMANDS:
        assert command.summary, command.name
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args([command.name, "--help"])
        assert exited.value.code == 0
        assert command.description.partition("\n")[0] in capsys.readouterr().out


@pytest.mark.parametrize("text", ["zero", "-1", "1.5", "", "٣"])
def test_a_version_that_is_not_a_whole_number_is_a_usage_error(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["append", "agg-A", text, "[1]"])
    assert exited.value.code == Exit.USAGE
    assert "argument VERSION: not a whole number" in capsys.readouterr().err


def test_the_docs_and_the_help_list_every_exit_status() -> None:
    page = DOCS.read_text()
    epilog = build_parser().epilog or ""
    for status in Exit:
        assert f"| {int(status)} |" in page, status
        assert f"{int(status):>3}  {EXIT_MEANINGS[status]}" in epilog, status


# The progress bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_a_bar_on_a_terminal() -> None:
    terminal = Terminal()
    progress = Progress(terminal, "imported", total_bytes=1000)
    progress.update(42, 500)
    progress.finish(84, 1000)
    first, last = terminal.getvalue().split("\r")[1:]
    assert " 50% of " in first
    assert "imported 42 commits" in first
    assert "100% of " in last
    assert last.endswith("\n")


def test_progress_is_silent_elsewhere() -> None:
    stream = io.StringIO()
    progress = Progress(stream, "exported")
    progress.update(1)
    progress.finish(1)
    assert stream.getvalue() == ""
