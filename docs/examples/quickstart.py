"""Quick start: append, lose a race, read one aggregate, read everything, follow live.

Run it against DynamoDB, or against any local DynamoDB-compatible server::

    AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 python docs/examples/quickstart.py

Region and credentials come from the usual AWS places (environment variables, ~/.aws, an
instance or task role). A local server accepts any credentials, but botocore still wants some.
"""

# ruff: noqa: INP001, T201 - a script in the docs, not a package; printing is its output

from __future__ import annotations

import asyncio
import os
import uuid

from aio_eventstore import DEFAULT_TABLE_NAME, EventStore, VersionConflictError


async def main() -> None:
    """Walk through the store's main operations once."""
    store = EventStore(
        os.environ.get("AIO_EVENTSTORE_TABLE", DEFAULT_TABLE_NAME),
        # Unset: DynamoDB in the configured region. region_name= and the aws_* arguments
        # are there too, for when the environment is not the place to set them.
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
    )
    async with store:
        # Creates the table and its index, billed on demand, and waits until they are
        # active. exist_ok=True accepts a table that is already there.
        await store.create_table(exist_ok=True)

        # A new aggregate each run, so that the script can run again on the same table.
        order = f"order-{uuid.uuid4().hex[:8]}"

        # Each append is one commit: its events are stored together or not at all.
        placed = await store.append(order, 0, [{"type": "OrderPlaced", "customer": "ada"}])
        print(f"appended version {placed.version} of {order}: {placed.commit_id}")
        added = await store.append(
            order,
            1,
            [
                {"type": "ItemAdded", "sku": "tea", "quantity": 2},
                {"type": "ItemAdded", "sku": "mug", "quantity": 1},
            ],
        )

        # Optimistic concurrency: version 1 is taken, so this append fails and writes nothing.
        try:
            await store.append(order, 1, [{"type": "OrderCancelled"}])
        except VersionConflictError as conflict:
            print(f"conflict: {conflict.aggregate_id} already has version {conflict.version}")

        # Everything one aggregate has, in version order, strongly consistent.
        for commit in await store.query(order):
            print(f"query: version {commit.version}: {commit.events}")

        # Only the newest commit: what a command handler reads to pick the next version.
        head = await store.latest(order)
        if head is not None:
            print(f"latest: version {head.version}")

        # The global stream: every commit of every aggregate, by commit id, read page by
        # page. Here from our first commit on; scan() with no argument starts at the first.
        async for commit in store.scan(placed.commit_id):
            print(f"scan: {commit.commit_id} version {commit.version}")

        # Follow the global stream live, from where this consumer stopped last time. New
        # commits are held back for `settle` seconds (2 by default), so that slow or skewed
        # writers cannot slip in behind what was delivered: expect a short wait here.
        checkpoint = store.checkpoint("quickstart")
        async for commit in store.subscribe(after=await checkpoint.load()):
            print(f"subscribe: {commit.aggregate_id} version {commit.version}")
            await checkpoint.save(commit.position)
            if commit.position == added.position:
                break  # A subscription never ends by itself: stop once ours has come by.


if __name__ == "__main__":
    asyncio.run(main())
