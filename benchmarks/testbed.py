"""One run's world: a dynalite server, its seeded tables, and the contenders, all open.

The cases of the store's own API (transact, consumer groups) also run on moto's server.
The telemetry cases run where OpenTelemetry's SDK is installed (the ``otel`` group), and are
left out, with a line on stderr, where it is not (the ``bench`` group alone).
"""

from __future__ import annotations

import importlib.util
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import boto3  # type: ignore[import-untyped]
from aiobotocore.session import get_session

from aio_eventstore import EventStore
from benchmarks.boto3_contender import Boto3Contender
from benchmarks.configs import MOTO_CONFIG, RAW_CONFIG, STORE_CONFIG, boto3_config, user_options
from benchmarks.contender import RAW_TUNED, ReadWork
from benchmarks.floor_contender import FloorContender
from benchmarks.js_contender import JsContender
from benchmarks.raw_contender import RawContender
from benchmarks.seeding import count_pages, seed, seeded_commits
from benchmarks.server import Dynalite, MotoProcess
from benchmarks.store_contender import StoreContender
from benchmarks.workload import CREDENTIALS, INDEX_NAME, query_request, scan_request

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from botocore.config import Config
    from types_aiobotocore_dynamodb import DynamoDBClient
    from typing_extensions import Self

    from aio_eventstore._client import TransportName
    from benchmarks.contender import Contender
    from benchmarks.pycontender import PythonContender
    from benchmarks.sizes import Sizes
    from benchmarks.telemetry import TelemetryProbe


DECIDING_TABLE = "bench-transact"
"""The table of the transact case, on each server: a new long aggregate for every sample."""

GROUPS_TABLE = "bench-groups"
"""The table of the consumer group case, on each server: the stream every group reads."""


@dataclass(frozen=True, slots=True)
class Tables:
    """The tables of a run, each with the store's schema and index."""

    appends: str = "bench-appends"
    query: str = "bench-query"
    scan: str = "bench-scan"
    one_page: str = "bench-one-page"
    subscribe: str = "bench-subscribe"

    def all(self) -> list[str]:
        """Every table, appends first."""
        return [self.appends, self.query, self.scan, self.one_page, self.subscribe]


@dataclass(frozen=True, slots=True)
class Site:
    """A server the store-only cases run on, and the stores they use there, all open.

    Every store has a client and a transport of its own, as separate processes would.

    Attributes:
        server: ``"dynalite"`` or ``"moto"``.
        deciding: a store of the table of long aggregates that ``transact`` decides on.
        stream: a store of the table the consumer groups read (seeded once, then only
            read); the plain subscription reads through it.
        members: stores of that same table, one for each member of the largest group.
    """

    server: str
    deciding: EventStore
    stream: EventStore
    members: list[EventStore]


class Testbed:
    """dynalite on 127.0.0.1 (a free port), its tables seeded, every contender open; moto's too.

    Use it with ``async with``; on exit it closes every client and stops the server.

    Every store has a client and a transport of its own: a store given a client would
    send through botocore, whatever its ``transport``.

    Attributes:
        contenders: by name, in the order of round 1; ``python``: those in this process.
        query: the query case's read; ``scan``: the scan case's; ``one_page_query`` and
            ``one_page_scan``: reads of the table under 1 MB that the JS library reads whole;
            ``small_query``: repeated loads of a small aggregate.
        subscriber: a store with its own client, reading the subscribe table.
        writer: the direct store contender's store of the subscribe table, appending to it.
        sites: by server, dynalite then moto's server: where the transact and consumer
            group cases run, each on both.
        telemetry: the telemetry cases' two stores of the appends table, on dynalite; None
            without OpenTelemetry's SDK.
    """

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes
        self.tables = Tables()
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Self:
        try:
            await self._open()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    async def _open(self) -> None:
        server = Dynalite()
        self._stack.callback(server.stop)
        self.endpoint_url = server.endpoint_url
        session = get_session()
        stores = {table: await self._own_store(table, session) for table in self.tables.all()}
        for store in stores.values():
            await store.create_table()
        # Every table but the subscription's: subscribing is the default store's case only.
        botocore_tables = [
            self.tables.appends,
            self.tables.query,
            self.tables.scan,
            self.tables.one_page,
        ]
        botocore_stores = {
            table: await self._own_store(table, session, "botocore") for table in botocore_tables
        }
        raw_client: DynamoDBClient = await self._stack.enter_async_context(
            session.create_client(
                "dynamodb", endpoint_url=self.endpoint_url, config=RAW_CONFIG, **CREDENTIALS
            )
        )
        tuned_client: DynamoDBClient = await self._stack.enter_async_context(
            session.create_client(
                "dynamodb", endpoint_url=self.endpoint_url, config=STORE_CONFIG, **CREDENTIALS
            )
        )
        await self._seed(raw_client)
        self.raw = RawContender(raw_client, self.tables.appends)
        self.store_contender = StoreContender(stores, self.tables.appends, "direct")
        self.python: dict[str, PythonContender] = {
            contender.name: contender
            for contender in (
                self.store_contender,
                StoreContender(botocore_stores, self.tables.appends, "botocore"),
                FloorContender(await self._floor_session(), self.endpoint_url, self.tables.appends),
                self.raw,
                RawContender(tuned_client, self.tables.appends, RAW_TUNED),
                self._boto3(),
            )
        }
        js = JsContender(self.endpoint_url, self.tables.appends)
        self.contenders: dict[str, Contender] = {**self.python, js.name: js}
        self.writer = stores[self.tables.subscribe]
        self.subscriber = await self._own_store(self.tables.subscribe, session)
        self.telemetry = await self._telemetry(session)
        moto = MotoProcess()
        self._stack.callback(moto.stop)
        self.sites = {
            "dynalite": await self._site("dynalite", self.endpoint_url, session),
            "moto": await self._site("moto", moto.endpoint_url, session, MOTO_CONFIG),
        }

    async def _site(
        self,
        server: str,
        endpoint_url: str,
        session: Any,  # noqa: ANN401 - AioSession
        config: Config | None = None,
    ) -> Site:
        """The stores of the store-only cases on one server, their tables made and seeded."""

        async def own_store(table: str) -> EventStore:
            return await self._own_store(table, session, endpoint_url=endpoint_url, config=config)

        deciding, stream = await own_store(DECIDING_TABLE), await own_store(GROUPS_TABLE)
        for store in (deciding, stream):
            await store.create_table()
        members = [await own_store(GROUPS_TABLE) for _ in range(max(self.sizes.group_members))]
        sizes = self.sizes
        commits = seeded_commits("group", sizes.group_commits, sizes.group_aggregates)
        await seed(stream.client, GROUPS_TABLE, commits)
        return Site(server, deciding, stream, members)

    async def _telemetry(self, session: Any) -> TelemetryProbe | None:  # noqa: ANN401 - AioSession
        """A store of the appends table without telemetry, one reporting to the SDK; or None."""
        if not _sdk_installed():
            print("telemetry cases left out: opentelemetry-sdk is not installed", file=sys.stderr)
            return None
        from benchmarks.telemetry import (  # noqa: PLC0415 - needs the SDK
            SdkTelemetry,
            TelemetryProbe,
            without_telemetry,
        )

        sdk = SdkTelemetry()
        self._stack.callback(sdk.shutdown)  # after the stores close
        table = self.tables.appends
        off = await self._own_store(table, session, make=without_telemetry)
        return TelemetryProbe(off, await self._own_store(table, session, make=sdk.store), sdk)

    async def _own_store(
        self,
        table: str,
        session: Any,  # noqa: ANN401 - AioSession
        transport: TransportName = "direct",
        *,
        endpoint_url: str | None = None,
        config: Config | None = None,
        make: Callable[..., EventStore] = EventStore,
    ) -> EventStore:
        """An open store with a client (and transport) of its own, from ``session``.

        On the run's dynalite, unless ``endpoint_url`` names another server; on the store's
        defaults, with ``config`` merged over them if given. ``make`` makes it from
        ``EventStore``'s arguments: ``EventStore`` itself, unless told otherwise.
        """
        store = make(
            table,
            INDEX_NAME,
            session=session,
            endpoint_url=endpoint_url or self.endpoint_url,
            transport=transport,
            config=config,
            **CREDENTIALS,
        )
        return await self._stack.enter_async_context(store)

    async def _floor_session(self) -> aiohttp.ClientSession:
        """A plain aiohttp session, its pool as large as the store's."""
        pool = user_options(STORE_CONFIG)["max_pool_connections"]
        return await self._stack.enter_async_context(
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=pool))
        )

    def _boto3(self) -> Boto3Contender:
        client = boto3.session.Session().client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            config=boto3_config(max(self.sizes.appends)),
            **CREDENTIALS,
        )
        self._stack.callback(client.close)
        return Boto3Contender(client, self.tables.appends)

    async def _seed(self, client: DynamoDBClient) -> None:
        sizes, tables = self.sizes, self.tables
        await seed(client, tables.query, seeded_commits("query", sizes.query_commits, 1))
        await seed(client, tables.query, seeded_commits("small", sizes.small_query_commits, 1))
        await seed(
            client,
            tables.scan,
            seeded_commits("scan", sizes.scan_commits, max(1, sizes.scan_commits // 10)),
        )
        await seed(client, tables.one_page, seeded_commits("page", sizes.one_page_commits, 1))
        self.query = ReadWork(
            "query",
            tables.query,
            "query-0",
            sizes.query_commits,
            await count_pages(client, query_request(tables.query, "query-0")),
            repeat=1,
        )
        self.small_query = ReadWork(
            "query",
            tables.query,
            "small-0",
            sizes.small_query_commits,
            await count_pages(client, query_request(tables.query, "small-0")),
            repeat=sizes.small_query_repeat,
            concurrency=sizes.small_query_concurrency,
        )
        self.scan = ReadWork(
            "scan",
            tables.scan,
            "",
            sizes.scan_commits,
            await count_pages(client, scan_request(tables.scan)),
            repeat=1,
        )
        pages = [
            await count_pages(client, query_request(tables.one_page, "page-0")),
            await count_pages(client, scan_request(tables.one_page)),
        ]
        if pages != [1, 1]:
            raise RuntimeError(
                f"{sizes.one_page_commits} commits take more than one 1 MB page ({pages}):"
                " the JS library would read only the first"
            )
        self.one_page_query = ReadWork(
            "query", tables.one_page, "page-0", sizes.one_page_commits, 1, sizes.one_page_repeat
        )
        self.one_page_scan = ReadWork(
            "scan", tables.one_page, "", sizes.one_page_commits, 1, sizes.one_page_repeat
        )


def _sdk_installed() -> bool:
    try:
        return importlib.util.find_spec("opentelemetry.sdk") is not None
    except ModuleNotFoundError:  # not even its API
        return False
