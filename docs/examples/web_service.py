"""An aiohttp service on one EventStore: handlers append, a projector builds a read model.

    POST /carts/{cart_id}/commits  {"version": 0, "events": [{"type": "ItemAdded", ...}]}
    GET  /carts/{cart_id}          the cart as the projector has built it so far

Run it against DynamoDB, or against a local DynamoDB-compatible server::

    export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 AIO_EVENTSTORE_CREATE_TABLE=1
    python docs/examples/web_service.py
"""

# ruff: noqa: INP001 - a script in the docs, not a package

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from aio_eventstore import (
    DEFAULT_TABLE_NAME,
    Commit,
    EventStore,
    EventStoreError,
    InvalidArgumentError,
    VersionConflictError,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

logger = logging.getLogger("carts")


@dataclass(frozen=True)
class Settings:
    """What the service needs to know about its store."""

    table_name: str = DEFAULT_TABLE_NAME
    endpoint_url: str | None = None  # None: DynamoDB in the configured region
    settle: float = 2.0  # see "Choosing settle" in the operations docs
    poll_interval: float = 1.0
    create_table: bool = False  # for local runs; in production the table is provisioned

    @classmethod
    def from_environment(cls) -> Settings:
        """Settings from environment variables, with the defaults above."""
        return cls(
            table_name=os.environ.get("AIO_EVENTSTORE_TABLE", DEFAULT_TABLE_NAME),
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
            settle=float(os.environ.get("AIO_EVENTSTORE_SETTLE", "2.0")),
            poll_interval=float(os.environ.get("AIO_EVENTSTORE_POLL_INTERVAL", "1.0")),
            create_table=os.environ.get("AIO_EVENTSTORE_CREATE_TABLE") == "1",
        )


CART = "cart:"  # carts are the aggregates "cart:<id>"; the table may hold others too


@dataclass
class Carts:
    """The read model: every cart's items, as of the last commit projected."""

    items: dict[str, dict[str, int]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    position: str | None = None  # the last commit projected

    def apply(self, commit: Commit) -> None:
        """Fold one commit into the carts; skip commits of other aggregates."""
        self.position = commit.position
        if not commit.aggregate_id.startswith(CART):
            return
        cart_id = commit.aggregate_id.removeprefix(CART)
        cart = self.items.setdefault(cart_id, {})
        for event in commit.events:  # checked by append_commit, their only writer
            if event["type"] == "ItemAdded":
                cart[event["sku"]] = cart.get(event["sku"], 0) + event["quantity"]
            elif event["type"] == "ItemRemoved":
                cart.pop(event["sku"], None)
        self.versions[cart_id] = commit.version


SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", EventStore)
CARTS = web.AppKey("carts", Carts)


def is_cart_event(event: object) -> bool:
    """True for the events a cart knows: ItemAdded and ItemRemoved."""
    if not isinstance(event, dict) or not isinstance(event.get("sku"), str):
        return False
    if event.get("type") == "ItemRemoved":
        return True
    quantity = event.get("quantity")
    return event.get("type") == "ItemAdded" and type(quantity) is int and quantity > 0


def error(status: int, message: str) -> web.Response:
    """An error answer, as JSON."""
    return web.json_response({"error": message}, status=status)


async def append_commit(request: web.Request) -> web.Response:
    """Append the request's events to a cart, at the version the client expects."""
    try:
        body = await request.json()
        version, events = body["version"], body["events"]
    except (ValueError, TypeError, KeyError):
        return error(400, 'the body must be JSON: {"version": N, "events": [...]}')
    if not isinstance(events, list) or not all(is_cart_event(event) for event in events):
        return error(400, "events must be a list of ItemAdded and ItemRemoved events")
    store = request.app[STORE]
    try:
        commit = await store.append(
            CART + request.match_info["cart_id"],
            version,  # the store checks it: an int from 0
            events,  # and that there is at least one event
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
    except VersionConflictError as conflict:
        # Someone else appended this version first: the client reloads and decides again.
        return error(409, f"conflict: version {conflict.version} is taken")
    except InvalidArgumentError as invalid:
        return error(400, str(invalid))
    answer = {"version": commit.version, "commitId": commit.commit_id}
    return web.json_response(answer, status=201)


async def show_cart(request: web.Request) -> web.Response:
    """The cart as projected so far: eventually consistent with the appends."""
    cart_id = request.match_info["cart_id"]
    carts = request.app[CARTS]
    if cart_id not in carts.versions:
        return error(404, f"no cart {cart_id!r}, or not projected yet")
    return web.json_response(
        {"cart": cart_id, "version": carts.versions[cart_id], "items": carts.items[cart_id]}
    )


async def project(store: EventStore, carts: Carts, settings: Settings) -> None:
    """Keep the read model up to date with the global stream, until cancelled."""
    while True:
        try:
            # The read model is in memory, so it starts empty and reads the stream from the
            # first commit; after a failure it goes on from the last commit it applied.
            async for commit in store.subscribe(
                after=carts.position,
                settle=settings.settle,
                poll_interval=settings.poll_interval,
            ):
                carts.apply(commit)
        except EventStoreError:  # noqa: PERF203 - a retry loop
            # subscribe() waits out throttling and outages by itself; anything else (a
            # permission taken away, a deleted table) lands here. Keep trying, loudly.
            logger.exception("the projector failed; retrying in 5 s")
            await asyncio.sleep(5)


async def event_store(app: web.Application) -> AsyncIterator[None]:
    """One store for the app's lifetime, and the projector task that reads from it."""
    settings = app[SETTINGS]
    async with EventStore(settings.table_name, endpoint_url=settings.endpoint_url) as store:
        if settings.create_table:
            await store.create_table(exist_ok=True)
        app[STORE] = store
        projector = asyncio.create_task(project(store, app[CARTS], settings))
        yield
        projector.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await projector


def create_app(settings: Settings) -> web.Application:
    """The service, configured by ``settings``."""
    app = web.Application()
    app[SETTINGS] = settings
    app[CARTS] = Carts()
    app.cleanup_ctx.append(event_store)
    app.router.add_post("/carts/{cart_id}/commits", append_commit)
    app.router.add_get("/carts/{cart_id}", show_cart)
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    web.run_app(create_app(Settings.from_environment()), host="127.0.0.1", port=8080)
