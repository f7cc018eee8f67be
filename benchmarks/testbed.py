"""One run's world: a dynalite server, its seeded tables, and the contenders, all open."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3  # type: ignore[import-untyped]
from aiobotocore.session import get_session

from aio_eventstore import EventStore
from benchmarks.boto3_contender import Boto3Contender
from benchmarks.configs import RAW_CONFIG, STORE_CONFIG, boto3_config
from benchmarks.contender import RAW_TUNED, ReadWork
from benchmarks.js_contender import JsContender
from benchmarks.raw_contender import RawContender
from benchmarks.seeding import count_pages, seed, seeded_commits
from benchmarks.server import Dynalite
from benchmarks.store_contender import StoreContender
from benchmarks.workload import CREDENTIALS, INDEX_NAME, query_request, scan_request

if TYPE_CHECKING:
    from types import TracebackType

    from types_aiobotocore_dynamodb import DynamoDBClient
    from typing_extensions import Self

    from benchmarks.contender import Contender
    from benchmarks.sizes import Sizes


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


class Testbed:
    """dynalite on 127.0.0.1 (a free port), its tables seeded, every contender open.

    Use it with ``async with``; on exit it closes every client and stops the server.

    Attributes:
        contenders: by name, in the order of round 1.
        query: the query case's read; ``scan``: the scan case's; ``one_page_query`` and
            ``one_page_scan``: reads of the table under 1 MB that the JS library reads whole.
        subscriber: a store with its own client, reading the subscribe table.
        writer: a store on the main store's client, appending to the subscribe table.
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
        main = await self._stack.enter_async_context(self._own_store(self.tables.appends, session))
        stores = {
            table: EventStore(table, INDEX_NAME, client=main.client) for table in self.tables.all()
        }
        for store in stores.values():
            await store.create_table()
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
        self.raw_tuned = RawContender(tuned_client, self.tables.appends, RAW_TUNED)
        self.store_contender = StoreContender(stores, self.tables.appends)
        self.contenders: dict[str, Contender] = {
            contender.name: contender
            for contender in (
                self.store_contender,
                self.raw,
                self.raw_tuned,
                self._boto3(),
                JsContender(self.endpoint_url, self.tables.appends),
            )
        }
        self.writer = stores[self.tables.subscribe]
        self.subscriber = await self._stack.enter_async_context(
            self._own_store(self.tables.subscribe, session)
        )

    def _own_store(self, table: str, session: Any) -> EventStore:  # noqa: ANN401 - AioSession
        """A store (unopened) that will open a client of its own from ``session``."""
        return EventStore(
            table, INDEX_NAME, session=session, endpoint_url=self.endpoint_url, **CREDENTIALS
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
