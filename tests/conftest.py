"""One suite, every backend: each test that takes ``store`` or ``backend`` runs on each server.

Backends: ``moto`` (moto's server in a thread) and ``dynalite`` (Node, in a child process),
both by default; ``AIO_EVENTSTORE_BACKENDS=moto`` picks some. ``AIO_EVENTSTORE_ENDPOINT_URL``
points the suite at any endpoint instead, real AWS included (credentials and region from the
environment). A backend that cannot start fails its tests; none is ever skipped.
"""

from __future__ import annotations

import os
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from aiobotocore.session import AioSession, get_session
from faultproxy import FaultProxy
from servers import Dynalite, MotoServer, env_backends

from aio_eventstore import EventStore

if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import AsyncIterator, Callable, Iterator

TRANSPORTS = ["direct", "botocore"]
"""Both ways the store sends its reads and writes: the contract tests run on each."""

on_servers_with_transactions = pytest.mark.parametrize(
    "backend", [name for name in env_backends() if name != "dynalite"], indirect=True
)
"""For what needs TransactWriteItems, which dynalite lacks: moto's server, or any endpoint."""

on_servers_without_transactions = pytest.mark.parametrize(
    "backend", [name for name in env_backends() if name == "dynalite"], indirect=True
)
"""For what the store says on a server without transactions: dynalite."""

T0 = 1_704_164_645_678
"""2024-01-02T03:04:05.678Z: the commit id 20240102030405678 of the seed's README."""


class Clock:
    """A clock the test sets by hand: ``Clock()`` stands still at T0 until moved."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


TEST_CREDENTIALS: dict[str, Any] = {
    "region_name": "us-east-1",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}


@dataclass
class Backend:
    """A DynamoDB-compatible server the suite runs on."""

    name: str
    endpoint_url: str | None
    session: AioSession

    @property
    def has_all_old(self) -> bool:
        """Whether a failed condition returns the stored item (dynalite's does not)."""
        return self.name != "dynalite"

    def client_args(self) -> dict[str, Any]:
        if self.name == "external":
            return {"endpoint_url": self.endpoint_url}
        return {"endpoint_url": self.endpoint_url, **TEST_CREDENTIALS}

    def store(self, table_name: str, endpoint_url: str | None = None, **options: Any) -> EventStore:
        """A store on this backend (or on a proxy in front of it)."""
        arguments = {"session": self.session, **self.client_args()}
        if endpoint_url is not None:
            arguments["endpoint_url"] = endpoint_url
        return EventStore(table_name, f"{table_name}-index", **{**arguments, **options})


@pytest.fixture(scope="session", params=env_backends())
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    name: str = request.param
    session = get_session()
    if name == "external":
        yield Backend(name, os.environ["AIO_EVENTSTORE_ENDPOINT_URL"], session)
        return
    server = MotoServer() if name == "moto" else Dynalite()
    try:
        yield Backend(name, server.endpoint_url, session)
    finally:
        server.stop()


def new_table_name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def table_name() -> str:
    return new_table_name()


@pytest.fixture
def index_shards() -> int:
    """The index shards of ``store`` and ``make_store``'s stores.

    A test module runs its tests under several with
    ``pytestmark = pytest.mark.parametrize("index_shards", [1, 3])``.
    """
    return 1


@pytest.fixture
def transport() -> str:
    """The transport of ``store`` and ``make_store``'s stores: the default, direct one.

    The contract tests run under both with
    ``pytestmark = pytest.mark.parametrize("transport", TRANSPORTS)``.
    """
    return "direct"


@pytest.fixture
async def store(
    backend: Backend, table_name: str, index_shards: int, transport: str
) -> AsyncIterator[EventStore]:
    """An open store on a new table of its own, deleted afterwards."""
    async with backend.store(table_name, index_shards=index_shards, transport=transport) as store:
        await store.create_table()
        try:
            yield store
        finally:
            await store.delete_table()


@pytest.fixture
async def make_store(
    backend: Backend, store: EventStore, index_shards: int, transport: str
) -> AsyncIterator[Callable[..., Any]]:
    """Open more stores on the table of ``store``, with other options (clock, shards, ...)."""
    async with AsyncExitStack() as stack:

        async def make(endpoint_url: str | None = None, **options: Any) -> EventStore:
            options = {"index_shards": index_shards, "transport": transport, **options}
            other = backend.store(store.table_name, endpoint_url, **options)
            return await stack.enter_async_context(other)

        yield make


@pytest.fixture
async def proxy(backend: Backend) -> AsyncIterator[FaultProxy]:
    """A fault-injecting proxy in front of the backend's server."""
    assert backend.endpoint_url is not None
    async with FaultProxy(backend.endpoint_url) as proxy:
        yield proxy


@pytest.fixture
async def counted(make_store: Callable[..., Any], proxy: FaultProxy) -> EventStore:
    """A store on the table of ``store`` whose requests pass a proxy that counts them."""
    store: EventStore = await make_store(endpoint_url=proxy.url)
    return store


@pytest.fixture
def sent(counted: EventStore, proxy: FaultProxy) -> Counter[str]:  # noqa: ARG001 - its proxy's
    """The HTTP requests ``counted`` sends from now on, by operation (retries included)."""
    return proxy.requests


async def raw_items(store: EventStore) -> list[dict[str, Any]]:
    """Every item of the store's table, read with a plain Scan."""
    items: list[dict[str, Any]] = []
    paginator = store.client.get_paginator("scan")
    async for page in paginator.paginate(TableName=store.table_name, ConsistentRead=True):
        items.extend(page.get("Items", []))
    return items


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the heaviest tests run one after another on one worker each.

    A consumer group on moto keeps its server busy (moto reads its whole table for each
    Query), and the benchmarks' smoke run starts servers of its own: side by side on two
    cores, they starve each other's leases and requests. Other tests spread as usual
    (``--dist loadgroup``).
    """
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_moto = callspec is not None and callspec.params.get("backend") == "moto"
        if item.path.name == "test_groups.py" and on_moto:
            item.add_marker(pytest.mark.xdist_group("groups-on-moto"))
        elif item.path.name == "test_benchmarks_smoke.py":
            item.add_marker(pytest.mark.xdist_group("benchmarks"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With AIO_EVENTSTORE_FORBID_SKIPS=1 a skipped test fails the run: CI proves every backend."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if reporter and skipped and os.environ.get("AIO_EVENTSTORE_FORBID_SKIPS") == "1":
        reporter.write_line(f"FAILED: {len(skipped)} tests were skipped; this run must skip none")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
