"""Every page of one DynamoDB Query, lazily, reading one page ahead.

DynamoDB answers a Query with at most 1 MB and a ``LastEvaluatedKey`` to continue from; the
answer is complete only when that key is absent. While the caller works through one page the
next one is already on its way, so a consumer that spends time per item waits about
max(fetch, consume) per page, not their sum. Stopping early cancels the request ahead and
sends no other.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from ._item import Item
    from ._transport import Request, Transport

__all__ = ["query_pages"]

# aiobotocore signs and hands a request to aiohttp in one turn of the event loop; aiohttp
# writes its body from a task of its own in the next ones (measured with aiobotocore 2.25
# and 3.10: three turns put the request on the wire).
_TURNS_TO_SEND = 3


async def query_pages(transport: Transport, request: Request) -> AsyncGenerator[list[Item], None]:
    """Yield the items of each page of the Query ``request``, in order, until the last."""
    ahead: asyncio.Task[tuple[list[Item], Item | None]] | None = asyncio.ensure_future(
        _fetch(transport, request, None)
    )
    try:
        while ahead is not None:
            items, last_key = await ahead
            ahead = None
            if last_key is not None:
                ahead = asyncio.ensure_future(_fetch(transport, request, last_key))
                # Let the request reach the wire before the consumer gets the page: one that
                # does not await between commits would hold the loop for the whole page.
                for _ in range(_TURNS_TO_SEND):
                    await asyncio.sleep(0)
            yield items
    finally:
        if ahead is not None:
            ahead.cancel()
            ahead.add_done_callback(_consume_outcome)


async def _fetch(
    transport: Transport, request: Request, start_key: Item | None
) -> tuple[list[Item], Item | None]:
    if start_key is not None:
        request = {**request, "ExclusiveStartKey": start_key}
    page = await transport.call("Query", request)
    return page.get("Items", []), page.get("LastEvaluatedKey")


def _consume_outcome(task: asyncio.Task[Any]) -> None:
    # A cancelled read-ahead may still have failed first: retrieve its error so that asyncio
    # does not log it as never retrieved.
    if not task.cancelled():
        task.exception()
